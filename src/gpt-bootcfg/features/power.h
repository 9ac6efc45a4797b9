/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * CPU power for the VMs' pinned CPUs (issue 15, item 5; the guide's cpuperf.sh and its
 * C-state parameters). Two [host] keys:
 *
 *   cpu-governor = performance   vm run sets this cpufreq governor on the CPUs of the VM's
 *                                vcpu-pins and emulator-cpus before QEMU starts, and puts
 *                                the previous governors back when QEMU has ended
 *   max-cstate = N               intel_idle.max_cstate=N (Intel hosts) and
 *                                processor.max_cstate=N on the kernel command line (planner)
 *
 * The governors are changed record first: the previous governor of every CPU is written to
 * VM_RUN_DIR/NAME.cpufreq (atomically) before the first write to scaling_governor, and the
 * record is removed only once every CPU has its old governor back. A runner killed at any
 * instant leaves the record; the next vm run (before it sets anything) or vm stop (once QEMU
 * is gone) plays it back. The record lives in /run: after a reboot the kernel has reset the
 * governors itself, and the record is gone with it.
 *
 * VMs sharing a CPU: a CPU in another VM's record is that VM's, set by it. A VM starting on
 * it records the governor the other record holds (the original), not the one it finds (the
 * other VM's); a VM ending leaves it alone while another record holds it, and the last
 * record to go gives the original back. All records are read and written under one lock
 * (VM_RUN_DIR/cpufreq@governors.lock), so two runners starting or ending at once each see
 * the other's record whole.
 */

#include <stdbool.h>
#include <stddef.h>

#include "basic/path.h"
#include "core/config.h"
#include "core/feature.h"
#include "core/vm-options.h"

/* The record of the previous governors (a host path; %s = the VM's name). */
#define VM_POWER_RECORD "/run/gpt-bootcfg/%s.cpufreq"

/*
 * Parse one [host] entry if it is "cpu-governor" or "max-cstate": 1 when handled, 0 when
 * not, -EINVAL with "FILE:LINE:COL: ..." in *ret_error on a bad value.
 */
int host_power_parse_key(const struct config *c, const struct config_entry *e,
			 struct host_config *h, char **ret_error);

/* Checks across [host] keys: max-cstate and a C-state parameter also in cmdline. */
int host_power_check(const struct config *c, const struct config_section *s,
		     const struct host_config *h, char **ret_error);

/* The CPUs whose governor vm run sets: vcpu-pins and emulator-cpus, sorted, each once. */
int vm_power_cpus(const struct vm_config *vm, unsigned **ret, size_t *ret_n);

/*
 * Read-only check that every CPU of the VM has a cpufreq policy offering governor
 * (scaling_available_governors). -ENOENT (no cpufreq), -EINVAL (not offered) with
 * *ret_why; other -errno from reading sysfs.
 */
int vm_power_check(struct path_cxt *pc, const struct vm_config *vm, const char *governor,
		   char **ret_why);

/*
 * Record the current governors of the VM's CPUs (for a CPU in another VM's record, that
 * record's), then set governor on each. On failure
 * the CPUs set so far get their governor back, the record is removed (if that worked),
 * and *ret_what names the file that failed. Returns the number of CPUs set.
 */
int vm_power_apply(struct path_cxt *pc, const struct vm_config *vm, const char *governor,
		   char **ret_what);

/*
 * Play back the record of VM name, if any, and remove it. 1 when there was a record, 0
 * when not, -errno (the record is kept; *ret_what names the file) on failure. A CPU whose
 * cpufreq policy is gone (offline) is skipped, and so is one in another VM's record.
 */
int vm_power_restore(struct path_cxt *pc, const char *name, char **ret_what);

/* For plan: the kernel parameters of max-cstate (cpu_vendor from /proc/cpuinfo, may be NULL). */
int host_power_cstate_params(const struct host_config *h, const char *cpu_vendor,
			     char ***ret_params, char ***ret_whys);

/*
 * Plan's findings for cpu-governor, appended to *warnings and *notes (strv): per VM, the
 * CPUs vm run will set, or why vm run would refuse (a governor a CPU does not offer).
 */
int vm_power_plan_findings(struct path_cxt *pc, const struct config *c, char ***warnings,
			   char ***notes);

/* The CPU power feature (core/feature.h): [host] cpu-governor, max-cstate. */
extern const struct feature_ops feature_power;
