/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * "apply --now" and "revert --now" (docs/runtime-claim.md): the devices of the plan handed
 * to vfio-pci on the running system where that is safe, with the boot claim's own code
 * (claim-ops.h) plus rules only a running host needs (disks in use, the keyboard, the
 * console, a NIC that is up, a GPU that is displaying). What was moved is recorded in
 * NOW_RECORD_PATH for this boot only, so that "revert --now" gives back exactly those and
 * "status" tells them from the devices the initramfs claimed.
 */

#include <stdbool.h>

#include "basic/json.h"
#include "basic/strbuf.h"
#include "shared/host.h"
#include "write/gen.h"

#define NOW_RECORD_PATH	 "/var/lib/gpt-bootcfg/runtime-claims"
#define NOW_BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"

enum now_verdict {
	NOW_CLAIMED, /* moved to vfio-pci now */
	NOW_ALREADY, /* was on vfio-pci already */
	NOW_REBOOT,  /* safe at boot, held now (a GPU displaying): the next boot claims it */
	NOW_REFUSED, /* not now: in use by the host, or the claim's own rules say no */
	NOW_FAILED,  /* the bind failed; rolled back to its driver */
};

struct now_device {
	char address[PCI_ADDR_STRLEN];
	const char *name; /* the configuration's device name */
	enum now_verdict verdict;
	char *reason;	      /* why not now, or what was done */
	char before[64];      /* the driver it was on, "" none */
	bool rollback_failed; /* NOW_FAILED and the device is not back on its driver */
};

struct now_result {
	struct now_device *devices;
	size_t n;
};

/*
 * The runtime rules for one device that is not on vfio-pci: NOW_REBOOT or NOW_REFUSED with
 * *ret_reason set, or NOW_CLAIMED (nothing against claiming it now). open_nodes is the
 * strv from proc_open_nodes() (core/proc-nodes.h). -errno on failure.
 */
int now_rules_check(const struct host *h, const struct pci_device *d, char *const *open_nodes,
		    enum now_verdict *ret, char **ret_reason);

/*
 * vfio-pci registered (and the type1 backend QEMU's container needs), or loaded here on the
 * running host with the boot claim's module loader (claimproto/modload.h); never loaded
 * under --root. 0, or -errno with *ret_why saying what is missing.
 */
int now_ensure_vfio(struct cli *cli, const struct host *h, char **ret_why);

/*
 * Claim the plan's devices now (logging each step) and record the ones moved. 0, or
 * -errno when the record cannot be written (the devices stay claimed; logged).
 */
int now_claim(struct cli *cli, const struct gen *g, struct now_result *ret);

/* Print the result: one line per device and a summary. */
void now_print(const struct now_result *r, struct strbuf *out);

/* "now": {"all_claimed": bool, "devices": [...]} for apply --json. */
void now_json(const struct now_result *r, struct json_writer *w, const char *key);

/* EXIT_OK, EXIT_PROBLEMS (a bind failed, rolled back) or EXIT_ERROR (a rollback failed). */
int now_exit_status(const struct now_result *r);

void now_result_done(struct now_result *r);

/*
 * "revert --now": every device recorded by apply --now in this boot and still on
 * vfio-pci goes back to the driver it was on, unless a process holds its VFIO group (a
 * running VM). The record is removed when nothing is left in it. Prints what it does.
 * Returns EXIT_OK, EXIT_PROBLEMS (a device kept) or EXIT_ERROR.
 */
int now_release(struct cli *cli, bool dry_run);

/*
 * The devices apply --now moved in this boot (a record of another boot is stale and
 * ignored): strv of "ADDRESS\tDRIVER" (DRIVER "" when it was on none). An absent record
 * is an empty list.
 */
int now_record_load(struct path_cxt *pc, char ***ret);

/* Whether the address is in a list from now_record_load(); *ret_driver borrowed. */
bool now_record_find(char *const *record, const char *address, const char **ret_driver);
