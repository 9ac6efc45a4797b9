/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The configuration as the parts of the CLI share it: the raw sections and entries with
 * their positions (every error can say FILE:LINE:COL), the typed [host] and [device NAME]
 * sections, and the [vm NAME] sections (core/vm-options.h). This header holds the types
 * and the helpers every key parser uses; conf/config.h loads and validates a file, walking
 * the feature table (features/table.h) for the keys features own.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/path.h"
#include "basic/pci.h"
#include "core/vm-options.h"

struct config_entry {
	char *key;
	char *value; /* trimmed; quotes removed */
	unsigned line;
	unsigned col_key;   /* 1-based column of the key */
	unsigned col_value; /* 1-based column of the value */
};

struct config_section {
	char *type; /* "host", "device", "vm" */
	char *name; /* NULL for [host] */
	unsigned line;
	struct config_entry *entries;
	size_t n_entries;
};

struct device_config {
	char *name;
	struct pci_addr addr;
	char address[PCI_ADDR_STRLEN];
	bool has_id, has_subsystem, has_class;
	uint16_t vendor, device;		     /* id = vvvv:dddd */
	uint16_t subsystem_vendor, subsystem_device; /* subsystem = vvvv:dddd */
	uint32_t class;
	char **allow; /* refusal reasons the user overrides by name (override = ...) */
	/*
	 * reset-method = METHOD... (features/reset.h): the kernel's names in the user's order,
	 * or "default" alone; NULL when the key is absent (the kernel's order is left alone).
	 */
	char **reset_methods;
	/*
	 * handover = yes (features/handover.h): not claimed at boot; vm run hands it (and its
	 * IOMMU group mates) from the host's drivers to vfio-pci and gives it back after.
	 */
	bool handover;
	const struct config_section *section;
};

struct host_config {
	bool isolate_cpus;
	bool
	    isolate_dynamic; /* isolate-cpus = dynamic: only while a VM runs (features/isolate.h) */
	bool acs_override;
	bool allow_unsafe_interrupts;
	char **extra_cmdline; /* extra kernel parameters */
	/*
	 * CPU power for the VMs' pinned CPUs (issue 15, vm-power.h): the cpufreq governor vm
	 * run sets on them while the VM runs (NULL: left alone), and the deepest C-state on
	 * the kernel command line (planner).
	 */
	char *cpu_governor;
	unsigned cpu_governor_line, cpu_governor_col;
	bool has_max_cstate;
	unsigned max_cstate;
};

struct config {
	char *path; /* host path of the file, for messages */
	struct config_section *sections;
	size_t n_sections;

	struct host_config host;
	struct device_config *devices;
	size_t n_devices;
	struct vm_config **vms;
	size_t n_vms;
};

/* The last entry for key in a section, NULL if absent. */
const struct config_entry *config_section_get(const struct config_section *s, const char *key);

/*
 * A [device NAME] section in the raw layer (c may be NULL: none), for the [vm] keys that
 * name devices before the typed [device] sections are read.
 */
bool config_has_device_section(const struct config *c, const char *name);

/* Lookups by name; NULL if absent. */
const struct device_config *config_find_device(const struct config *c, const char *name);
const struct vm_config *config_find_vm(const struct config *c, const char *name);

/* Format "FILE:LINE:COL: message" (col 0: "FILE:LINE: message") into a new string. */
char *config_error(const struct config *c, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * The one way a key parser refuses a value: *ret_error = "FILE:LINE:COL: message" at byte
 * offset off of e's value. Returns -EINVAL, or -ENOMEM when the message cannot be made.
 */
int config_fail(const struct config *c, const struct config_entry *e, size_t off, char **ret_error,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The same at an explicit line and column (col 0: the whole line). */
int config_fail_at(const struct config *c, unsigned line, unsigned col, char **ret_error,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
