/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What plan, apply and status share: load the configuration, the host and the module
 * index, build the plan and the managed files, print them, and rebuild the initramfs and
 * GRUB's configuration. These are verb helpers: they log.
 */

#include <stdbool.h>

#include "conf/config.h"
#include "core/verbs.h"
#include "planner/kmodres.h"
#include "planner/planner.h"
#include "shared/host.h"
#include "write/managed.h"

struct gen {
	struct config *config;
	struct host *host;
	struct kmodres *kmod; /* NULL without a module index */
	struct plan *plan;
	struct managed_set files;
};

/*
 * Load everything and plan. Returns EXIT_OK or, after logging the problem, EXIT_ERROR
 * (bad configuration, unreadable host tree).
 */
int gen_load(struct cli *cli, char *const *allow, struct gen *ret);
void gen_done(struct gen *g);

/*
 * The CPU placement (core/placement-config.h) into the plan: warnings about explicit pins
 * as the plan's warnings, each auto VM's reasons as notes. -ENOMEM.
 */
int plan_add_cpu_placement(const struct config *c, char *const *warnings, struct plan *p);

/*
 * For plan and apply: the guardrails (planner/guardrails.h: missing files, memory beyond the
 * host's, isolated CPUs that are not online, a blacklisted driver the host needs), each
 * logged with FILE:LINE:COL. EXIT_OK, or EXIT_ERROR when there is one: nothing is written.
 */
int gen_check_guardrails(struct cli *cli, const struct gen *g);

/* Only the configuration, with the FILE:LINE:COL error logged. EXIT_OK or EXIT_ERROR. */
int gen_load_config(struct cli *cli, struct config **ret);

/* Print the plan: text (with diffs when diffs is set) or JSON, to stdout. */
int gen_print_plan(const struct gen *g, bool json, bool diffs);

/*
 * Rebuild the initramfs and/or the boot entries as what asks (enum managed_rebuild flags),
 * with the host's generator and boot loader (host.h; rebuild.c lists the commands:
 * update-initramfs or dracut, update-grub or kernel-install): on the running host directly,
 * under --root chrooted when ROOT is a full system (it has the generator); otherwise (or
 * with no_rebuild) say that it was skipped and print the commands to run. Their output is
 * shown. Returns 1 when the images were rebuilt (they are new: initrdcheck.h), 0 when not
 * (not asked, or skipped), or -errno / a failing command's status as -EIO after logging.
 */
int gen_rebuild(struct cli *cli, unsigned what, bool no_rebuild);

/* Parse a --allow value (comma-separated reason names) into *allow; logs bad names. */
int gen_parse_allow(const char *arg, char ***allow);
