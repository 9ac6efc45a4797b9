/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Private to the planner (planner*.c): the device decisions of planner-devices.c and the
 * hugepage arithmetic of planner-cmdline.c that plan_build() in planner.c puts together.
 */

#include <stdint.h>

#include "planner/planner.h"

#define GIB  (UINT64_C(1) << 30)
#define MIB2 (UINT64_C(2) << 20)

/*
 * Record a refusal (reason, the device's section or NULL for a host-wide one, its address
 * or NULL, and the detail), overridden when --allow or the device's allow names the reason
 * and the reason can be overridden. -ENOMEM.
 */
int plan_add_refusal(struct plan *p, const struct plan_options *o, enum refusal_reason reason,
		     const struct device_config *cfg, const char *address, const char *fmt, ...)
    _printf_(6, 7);

/* Refusals for one configured device (pd->dev NULL: not found). */
int plan_check_device(struct plan *p, const struct host *h, const struct config *c,
		      const struct plan_options *o, struct plan_device *pd);
/* Every group of a configured device must consist of configured devices (and bridges). */
int plan_check_groups(struct plan *p, const struct host *h, const struct config *c,
		      const struct plan_options *o);
/* VM disks that are block devices the host uses: refused, never overridable. */
int plan_check_vm_disks(struct plan *p, const struct host *h, const struct config *c,
			const struct plan_options *o);
/* Softdeps for the claimed devices' drivers, and the blacklist (needs p->claims). */
int plan_resolve_drivers(struct plan *p, const struct host *h, struct kmodres *k);

/* "nvme1n1: ntfs 'Windows'": what the user gives away with a storage controller. */
void plan_describe_content(const struct block_device *b, struct strbuf *sb);

/*
 * "0000:00:1b.0 (Audio device) [snd_hda_intel], host NIC ..., host storage in use: ...":
 * what a host device is and why the host needs it (group-shared refusals, the cmdline
 * guardrail).
 */
void plan_describe_member(const struct host *h, const struct pci_device *d, struct strbuf *sb);

/* "16 GiB", "1.5 GiB" or "955 MiB" into buf. */
void plan_format_size(uint64_t bytes, char *buf, size_t size);

/* qsort() comparator of struct pci_device pointers by address. */
int plan_cmp_dev_ptr(const void *a, const void *b);

/* Pages of one size (GIB, MIB2) all VMs that use that size need, saturating. */
uint64_t plan_hugepages(const struct config *c, uint64_t size);

/*
 * The IOMMU is on and interrupt remapping is known to be missing (host_interrupt_remapping():
 * switched off on the command line, or a DMAR unit without it); unknown is not missing.
 */
bool plan_lacks_intremap(const struct host *h);
