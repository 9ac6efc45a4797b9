/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * PCI addresses and identities: pure parsing, libc only, shared by the generator and the
 * static claim binary.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCI_ADDR_STRLEN 16 /* "0000:65:00.0" plus room */

struct pci_addr {
	uint16_t domain;
	uint8_t bus;
	uint8_t dev; /* 0..31 */
	uint8_t fn;  /* 0..7 */
};

/*
 * Parse "DDDD:BB:DD.F" or the short "BB:DD.F" (domain 0), hex, case-insensitive.
 * -EINVAL on anything else (trailing characters, out-of-range slot or function).
 */
int pci_addr_parse(const char *s, struct pci_addr *ret);

/* Canonical form "0000:65:00.0" into buf (at least PCI_ADDR_STRLEN bytes). */
char *pci_addr_format(const struct pci_addr *a, char *buf);

/* Same domain, bus and slot: functions of one physical device. */
bool pci_addr_same_slot(const struct pci_addr *a, const struct pci_addr *b);

/* Compare for sorting: domain, bus, device, function. */
int pci_addr_cmp(const struct pci_addr *a, const struct pci_addr *b);

/* Parse "10de:1c03" (exactly 4+4 hex digits). */
int pci_id_pair_parse(const char *s, uint16_t *ret_vendor, uint16_t *ret_device);

/* Parse a 6-digit hex class "030000" (an optional 0x prefix is accepted). */
int pci_class_parse(const char *s, uint32_t *ret);

/* Class helpers on the 24-bit class code. */
static inline bool pci_class_is_bridge(uint32_t class)
{
	return (class >> 16) == 0x06;
}
static inline bool pci_class_is_display(uint32_t class)
{
	return (class >> 16) == 0x03;
}
static inline bool pci_class_is_storage(uint32_t class)
{
	return (class >> 16) == 0x01;
}
static inline bool pci_class_is_network(uint32_t class)
{
	return (class >> 16) == 0x02;
}

/*
 * Reset methods, as the kernel names them in /sys/bus/pci/devices/ADDR/reset_method (5.15
 * and later; Documentation/ABI/testing/sysfs-bus-pci): "device_specific", "acpi", "flr",
 * "af_flr", "pm", "bus", "cxl_bus". "default" (restore the kernel's order) is not a method
 * and is not known here. The n bytes at s (need not be NUL-terminated).
 */
bool pci_reset_method_known(const char *s, size_t n);

/* The longest value the claim list and the sysfs write carry: every method once. */
#define PCI_RESET_METHODS_MAX 64
