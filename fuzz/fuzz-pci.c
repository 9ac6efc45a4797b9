/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PCI identity parsers (pci.h) on arbitrary strings. Beyond "no crash", every accepted
 * input must survive a format/parse round trip, since the generator writes addresses it
 * parsed back into files the claim binary parses again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "basic/pci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = fuzz_strndup(data, size);
	char buf[PCI_ADDR_STRLEN];
	struct pci_addr a, b;
	uint16_t v = 0, d = 0;
	uint32_t c = 0;

	if (!s)
		return 0;

	if (pci_addr_parse(s, &a) >= 0) {
		FUZZ_ASSERT(a.dev <= 31 && a.fn <= 7);
		pci_addr_format(&a, buf);
		FUZZ_ASSERT(strlen(buf) == 12);
		FUZZ_ASSERT(pci_addr_parse(buf, &b) == 0);
		FUZZ_ASSERT(pci_addr_cmp(&a, &b) == 0);
		FUZZ_ASSERT(pci_addr_same_slot(&a, &b));
		/* The canonical form is the input up to case and the optional domain. */
		FUZZ_ASSERT(strcasecmp(buf + (strlen(s) == 7 ? 5 : 0), s) == 0);
	}

	if (pci_id_pair_parse(s, &v, &d) >= 0) {
		char ids[10];

		snprintf(ids, sizeof(ids), "%04x:%04x", v, d);
		FUZZ_ASSERT(strcasecmp(ids, s) == 0);
	}

	if (pci_class_parse(s, &c) >= 0)
		FUZZ_ASSERT(c <= 0xffffff);

	return 0;
}
