/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * plan as a guardrail (issue 30): what plan and apply refuse (FILE:LINE:COL, exit 2, nothing
 * written) and check shows as failed, decided here once from the configuration and the host
 * model (never from sysfs in the verbs).
 */

#include "conf/config.h"
#include "shared/host.h"

/*
 * The host keeps this much of its memory beside the VMs: 1 GiB or 10 % of MemTotal,
 * whichever is more (docs/config.md, "memory").
 */
uint64_t guard_host_reserve(uint64_t mem_total);

/* The findings, each a "FILE:LINE:COL: ..." string, by what check calls them. */
struct guardrails {
	char **files;	/* vm-files: disk images, ISOs, firmware, romfiles that do not exist */
	char **memory;	/* vm-memory: a VM, or the autostarted VMs together, beyond the host's */
	char **cpus;	/* isolate-cpus: a pinned CPU isolcpus= would name that is not online */
	char **cmdline; /* cmdline-blacklist: a driver a host device still needs */
	char **reset;	/* reset-method: a method the device does not offer (features/reset.h) */
	char **skips;	/* what was not checked, for want of which fact (check's skip lines) */
};

/*
 * Every guardrail against config c (its CPU placement done: config_place_cpus()) and host h;
 * pc reads the files VMs name. 0 (findings in *ret, free with guardrails_done()) or -ENOMEM.
 */
int plan_guardrails(struct path_cxt *pc, const struct host *h, const struct config *c,
		    struct guardrails *ret);

/* True when there is something to refuse (skips are not refusals). */
bool guardrails_refuse(const struct guardrails *g);

void guardrails_done(struct guardrails *g);
