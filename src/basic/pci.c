/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "basic/parse-util.h"
#include "basic/pci.h"

/* Exactly n hex digits at s, then none. */
static int hexn(const char *s, int n, unsigned *ret)
{
	const char *end;
	uint64_t v;

	if (safe_atou64_prefix(s, 16, &v, &end) < 0 || end != s + n)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

int pci_addr_parse(const char *s, struct pci_addr *ret)
{
	unsigned dom = 0, bus, dev, fn;
	size_t l = strlen(s);

	if (l == 12) {
		if (hexn(s, 4, &dom) < 0 || s[4] != ':')
			return -EINVAL;
		s += 5;
	} else if (l != 7)
		return -EINVAL;
	if (hexn(s, 2, &bus) < 0 || s[2] != ':' || hexn(s + 3, 2, &dev) < 0 || s[5] != '.' ||
	    hexn(s + 6, 1, &fn) < 0)
		return -EINVAL;
	if (dev > 31 || fn > 7)
		return -EINVAL;
	ret->domain = (uint16_t)dom;
	ret->bus = (uint8_t)bus;
	ret->dev = (uint8_t)dev;
	ret->fn = (uint8_t)fn;
	return 0;
}

char *pci_addr_format(const struct pci_addr *a, char *buf)
{
	snprintf(buf, PCI_ADDR_STRLEN, "%04x:%02x:%02x.%x", a->domain, a->bus, a->dev & 0x1f,
		 a->fn & 7);
	return buf;
}

bool pci_addr_same_slot(const struct pci_addr *a, const struct pci_addr *b)
{
	return a->domain == b->domain && a->bus == b->bus && a->dev == b->dev;
}

int pci_addr_cmp(const struct pci_addr *a, const struct pci_addr *b)
{
	uint32_t x = ((uint32_t)a->bus << 8) | ((uint32_t)a->dev << 3) | a->fn;
	uint32_t y = ((uint32_t)b->bus << 8) | ((uint32_t)b->dev << 3) | b->fn;

	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	return x < y ? -1 : x > y ? 1 : 0;
}

int pci_id_pair_parse(const char *s, uint16_t *ret_vendor, uint16_t *ret_device)
{
	unsigned v, d;

	if (strlen(s) != 9 || s[4] != ':' || hexn(s, 4, &v) < 0 || hexn(s + 5, 4, &d) < 0)
		return -EINVAL;
	*ret_vendor = (uint16_t)v;
	*ret_device = (uint16_t)d;
	return 0;
}

int pci_class_parse(const char *s, uint32_t *ret)
{
	unsigned c;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (strlen(s) != 6 || hexn(s, 6, &c) < 0)
		return -EINVAL;
	*ret = c;
	return 0;
}

bool pci_reset_method_known(const char *s, size_t n)
{
	static const char *const names[] = {
	    "device_specific", "acpi", "flr", "af_flr", "pm", "bus", "cxl_bus",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0)
			return true;
	return false;
}
