/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The one implementation of claiming a PCI device for vfio-pci, shared by the static claim
 * binary (boot, before udev) and "apply --now" / "revert --now" (the running system).
 * libc only. Nothing here logs: every function reports what it did through its result
 * and a "why" buffer, and each caller words its own log lines.
 *
 * The rules (docs/boot-claim.md): the slot must hold the listed device (identity), bridges
 * are never claimed, the whole IOMMU group must go to vfio-pci (or be bridges), and the
 * bind is driver_override + unbind + drivers_probe, checked by reading the driver link.
 */

#include <stdbool.h>
#include <stddef.h>

#include "basic/path.h"
#include "claimproto/claimlist.h"

#define CLAIM_VFIO_DRIVER "vfio-pci"

/*
 * Whether the slot of e holds the device the entry describes: vendor, device, subsystem
 * ids and class must all be equal. 0 when they are; -ENODEV (not present), -ESTALE
 * (a difference) or another -errno (unreadable attribute), with why filled
 * ("identity mismatch: device is 0010, list says 0011").
 */
int claim_check_identity(struct path_cxt *pc, const struct claim_entry *e, char *why,
			 size_t why_size);

/*
 * Called for each other member of the group; returns true when that member will be
 * claimed together with the device (listed and passing its own checks).
 */
typedef bool (*claim_member_fn)(void *userdata, const char *address);

/*
 * Whether the device's IOMMU group can go to vfio-pci whole: every other member will be
 * claimed too (will_claim), is already on vfio-pci, or is a bridge. 0 when it can;
 * otherwise a -errno and why names the first member that stays, ending with not_claimed
 * ("IOMMU group 7 also holds 0000:00:08.0 (driver snd_hda_intel), which is not in the
 * list"). No group (IOMMU off) is -ENOENT.
 */
int claim_check_group(struct path_cxt *pc, const char *address, claim_member_fn will_claim,
		      void *userdata, const char *not_claimed, char *why, size_t why_size);

/*
 * Write methods (space-separated kernel names, "flr bus", or "default") to the device's
 * reset_method (kernel 5.15 and later): done before the bind, so that vfio-pci and the VM
 * reset the device that way. 0, or the write's -errno: -ENOENT without the attribute (an
 * older kernel, or a device without any reset method), -EINVAL when the kernel refuses a
 * method the device does not offer.
 */
int claim_set_reset_method(struct path_cxt *pc, const char *address, const char *methods);

/* The step of claim_bind_vfio() that failed. */
enum claim_step {
	CLAIM_STEP_NONE,     /* on vfio-pci */
	CLAIM_STEP_OVERRIDE, /* writing driver_override */
	CLAIM_STEP_UNBIND,   /* unbinding the driver it was on */
	CLAIM_STEP_PROBE,    /* writing drivers_probe */
	CLAIM_STEP_VERIFY,   /* the driver link is not vfio-pci afterwards */
};

struct claim_bind_result {
	char before[64]; /* the driver it was on, "" for none */
	char after[64];	 /* the driver after the probe ("" none); set at CLAIM_STEP_VERIFY */
	char acts[256];	 /* "override 5.68 ms, unbind nvme 3.10 ms, probe 9.28 ms" */
	enum claim_step failed;
	int error;		  /* -errno of the failed write (0 at VERIFY) */
	bool rolled_back;	  /* a rollback was attempted (CLAIM_BIND_ROLLBACK) */
	int rollback_error;	  /* 0 when the device is back where it was, else -errno */
	char rollback_driver[64]; /* the driver after the rollback, "" none */
};

enum {
	/*
	 * On any failure, give the device back to the driver it was on: driver_override
	 * cleared, then bound to that driver again (drivers_probe, then its bind file) and
	 * checked. The runtime claim uses it: a running host must never be left with a device
	 * on no driver. The boot claim does not: a device of the list is not wanted by the
	 * host, and udev would bind the host driver later anyway unless the override stays.
	 */
	CLAIM_BIND_ROLLBACK = 1 << 0,
};

/*
 * Hand the device to vfio-pci, which must be registered: driver_override, unbind from the
 * driver it is on (if any), drivers_probe, then the driver link must be vfio-pci (probing
 * is synchronous in the write). res is always filled. 0 on vfio-pci; -EIO (or the failed
 * write's -errno) otherwise, res->failed saying where.
 */
int claim_bind_vfio(struct path_cxt *pc, const char *address, unsigned flags,
		    struct claim_bind_result *res);

struct claim_release_result {
	char after[64]; /* the driver it ended on, "" none */
};

/*
 * Give a device on vfio-pci back to the host: driver_override cleared, unbound from
 * vfio-pci, drivers_probe, and when that bound nothing and host_driver (may be NULL or "")
 * is registered, host_driver's bind file. 0 when it ends on host_driver (or, without one,
 * on any driver but vfio-pci, or on none when host_driver is ""), else -errno with why.
 */
int claim_release_vfio(struct path_cxt *pc, const char *address, const char *host_driver,
		       struct claim_release_result *res, char *why, size_t why_size);
