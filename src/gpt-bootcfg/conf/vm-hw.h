/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The [vm] keys that shape the guest's hardware beyond CPUs and memory: the boot order
 * ("boot"), the vfio-pci properties of "device-options", the SPICE display and audio
 * ("display", "audio") and the stable identity ("machine", "uuid"). vm_config_parse()
 * hands each entry to vm_hw_parse_key() and checks the whole section with vm_hw_check().
 */

#include "core/config.h"
#include "core/vm-options.h"

/* Keeps the list in messages short: the options most setups use. */
#define HW_KNOWN_OPTIONS                                                                           \
	"bootindex, rombar, romfile, x-vga, display, x-no-kvm-intx, x-pci-*-id, ...; see "         \
	"gpt-bootcfg.conf(5)"

/*
 * Parse one [vm] entry if it is one of the keys above: 1 when handled, 0 when the key is
 * not one of them, -EINVAL with "FILE:LINE:COL: ..." in *ret_error on a bad value.
 */
int vm_hw_parse_key(const struct config *c, const struct config_entry *e, struct vm_options *o,
		    char **ret_error);

/*
 * Checks across keys once the section is read (boot items that name nothing configured,
 * SPICE-only keys without SPICE, ...), and the defaults that depend on other keys.
 */
int vm_hw_check(const struct config *c, const struct config_section *s, struct vm_config *vm,
		char **ret_error);

/* Free what vm_hw_parse_key() allocated in o. */
void vm_hw_free(struct vm_options *o);

/* "pc-q35-7.2" and the like: a versioned q35 machine type. */
bool vm_machine_type_valid(const char *s);

/* An RFC 4122 UUID in its 36-character text form. */
bool vm_uuid_valid(const char *s);
