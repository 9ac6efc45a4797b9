/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Refusal reason codes: the names plan prints, JSON carries, and the user writes in
 * "override = ..." or "--allow REASON". Shared by the config parser (to validate names)
 * and the planner (to produce them).
 */

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

enum refusal_reason {
	REFUSE_NOT_FOUND,	  /* no such PCI device */
	REFUSE_IDENTITY_MISMATCH, /* pinned id/subsystem/class differ from the device */
	REFUSE_NO_IOMMU,	  /* the platform has no IOMMU at all */
	REFUSE_ROOT_DISK,	  /* a storage controller whose disks are in use by the host */
	REFUSE_BOOT_VGA,	  /* the host's only display device */
	REFUSE_GROUP_SHARED,	  /* the IOMMU group holds endpoints that are not configured */
	REFUSE_HOST_NIC,	  /* the NIC of the default route */
	REFUSE_UNSAFE_INTERRUPTS, /* no interrupt remapping and allow-unsafe-interrupts unset */
	REFUSE_BRIDGE,		  /* a PCI bridge cannot be passed through */
	_REFUSE_MAX,
};

static const char *const refusal_reason_names[_REFUSE_MAX] = {
    [REFUSE_NOT_FOUND] = "not-found", [REFUSE_IDENTITY_MISMATCH] = "identity-mismatch",
    [REFUSE_NO_IOMMU] = "no-iommu",   [REFUSE_ROOT_DISK] = "root-disk",
    [REFUSE_BOOT_VGA] = "boot-vga",   [REFUSE_GROUP_SHARED] = "group-shared",
    [REFUSE_HOST_NIC] = "host-nic",   [REFUSE_UNSAFE_INTERRUPTS] = "unsafe-interrupts",
    [REFUSE_BRIDGE] = "bridge",
};

/* The code of a reason ("group-shared"). */
static inline const char *refusal_reason_to_string(enum refusal_reason r)
{
	return (unsigned)r < _REFUSE_MAX ? refusal_reason_names[r] : NULL;
}

/* The reason named s, or -1. */
static inline int refusal_reason_from_string(const char *s)
{
	for (size_t i = 0; i < _REFUSE_MAX; i++)
		if (strcmp(refusal_reason_names[i], s) == 0)
			return (int)i;
	return -1;
}

/*
 * Whether the user may override the reason. A device that does not exist, a platform
 * without an IOMMU and a bridge cannot be passed through whatever the user says; unsafe
 * interrupts have their own key (allow-unsafe-interrupts), which also sets the parameter.
 */
static inline bool refusal_reason_overridable(enum refusal_reason r)
{
	return r != REFUSE_NOT_FOUND && r != REFUSE_NO_IOMMU && r != REFUSE_BRIDGE &&
	       r != REFUSE_UNSAFE_INTERRUPTS;
}
