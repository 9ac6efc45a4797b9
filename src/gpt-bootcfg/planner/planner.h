/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The planner: host model + configuration -> decisions. Which devices are claimed (whole
 * IOMMU groups), which are refused and why, the kernel parameters with the reason for each,
 * and the drivers to hold back. Pure logic over struct host and struct config (plus the
 * module index through kmodres); nothing is written and nothing is printed here.
 */

#include <stdbool.h>
#include <stdint.h>

#include "claimproto/claimlist.h"
#include "conf/config.h"
#include "core/reasons.h"
#include "planner/kmodres.h"
#include "shared/host.h"

/* One kernel parameter and why it is there (shown by plan). */
struct plan_param {
	char *param; /* "intel_iommu=on" */
	char *why;
};

struct plan_params {
	struct plan_param *items;
	size_t n;
	char **warnings; /* strv: things the user must know (acs override, unsafe interrupts) */
};

struct plan_refusal {
	enum refusal_reason reason;
	char address[PCI_ADDR_STRLEN]; /* "" for a host-wide refusal */
	char *device;		       /* [device NAME], NULL for host-wide refusals */
	char *detail;
	bool overridden; /* overridden by the user: reported, does not block */
};

/* A configured device as the planner sees it. */
struct plan_device {
	const struct device_config *cfg;
	const struct pci_device *dev; /* NULL when not found */
	char **drivers;		      /* modules that would bind it (strv) */
	char *disks;		      /* "nvme1n1: ntfs 'Windows'" for storage, else NULL */
	bool handover; /* handed over at vm run, not claimed at boot (plan_handover()) */
};

struct plan {
	struct plan_device *devices; /* in config order */
	size_t n_devices;
	const struct pci_device **claims; /* sorted by address */
	size_t n_claims;
	struct plan_refusal *refusals;
	size_t n_refusals;
	struct plan_params params;
	char **softdeps;       /* drivers that get "softdep DRV pre: vfio-pci", sorted */
	char **blacklist;      /* drivers no unclaimed host device needs, sorted */
	char **notes;	       /* informational lines (strv) */
	bool iommu_pending;    /* the IOMMU exists but is off: groups are unknown until reboot */
	uint64_t hugepages;    /* 1 GiB pages to reserve at boot */
	uint64_t hugepages_2m; /* 2 MiB pages to reserve at boot */
};

struct plan_options {
	char *const *allow; /* reasons overridden for every device (--allow), strv or NULL */
};

/*
 * Build the plan. The kmod resolver may be NULL (no module index under the root): then no
 * driver is resolved and a note says so. -ENOMEM and -errno from reading the root only;
 * refusals are part of a successful plan.
 */
int plan_build(const struct host *h, const struct config *c, struct kmodres *k,
	       const struct plan_options *o, struct plan **ret);
void plan_free(struct plan *p);
static inline void plan_freep(struct plan **p)
{
	if (*p)
		plan_free(*p);
}
#define _cleanup_plan_ _cleanup_(plan_freep)

/* True when any refusal is not overridden: apply must write nothing. */
bool plan_is_refused(const struct plan *p);

/*
 * The kernel parameters for (host, config), each with its reason, without the generation
 * parameter (the writer adds it). Separate from plan_build() so that trial boots can
 * compute the same list.
 */
int plan_cmdline(const struct host *h, const struct config *c, struct plan_params *ret);
void plan_params_done(struct plan_params *p);

/* The parameters as one space-separated string. */
char *plan_params_join(const struct plan_params *p);

/* "nvme0n1: mounted on / (nvme0n1p2), swap (nvme0n1p3)" for a disk in use, into sb. */
struct strbuf;

/*
 * Whether d is handed over at vm run instead of claimed at boot (issue 27): its [device]
 * has handover = yes, or a configured device of its IOMMU group has (group mates follow).
 */
bool plan_handover(const struct host *h, const struct config *c, const struct pci_device *d);

/* The claim list's entry for a device the plan claims: its address and identity. */
struct claim_entry plan_claim_entry(const struct pci_device *d);
