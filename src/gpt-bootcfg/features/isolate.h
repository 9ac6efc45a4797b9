/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * [host] isolate-cpus = dynamic (issue 28): the host's own work is kept off the VMs' vCPU
 * CPUs only while a VM runs, instead of isolcpus= at boot, which takes them from the host
 * even when no VM runs. At vm run, before QEMU starts:
 *  - systemd's AllowedCPUs= of system.slice, user.slice and init.scope, as runtime
 *    properties (systemctl set-property --runtime, gone at reboot);
 *  - the affinity of every IRQ that takes one (/proc/irq/N/smp_affinity_list; per-CPU and
 *    kernel-managed IRQs refuse the write and are left alone);
 *  - the unbound workqueues' cpumask (/sys/devices/virtual/workqueue/cpumask) where the
 *    kernel offers it;
 * all set to the online CPUs minus the vCPU CPUs of every VM that runs.
 *
 * Record first, as the governors (features/power.h): the values found are written to
 * VM_ISOLATE_RECORD before the first change, and the record is removed only once the values
 * are back. vm stop, the runner's exit and the next vm run of a killed runner play it back
 * (run_stop). Two VMs: a VM starting while another's record exists takes that record's
 * values as the originals (not the narrowed ones it finds); a VM ending narrows the host
 * to the other records' CPUs, and the last record gives the originals back. All records
 * are read and written under one lock.
 *
 * systemctl is $GPT_BOOTCFG_SYSTEMCTL when set; under --root without it the slices cannot
 * be changed and vm run refuses (an error, never a silent pass).
 */

#include <stddef.h>

#include "basic/cpulist.h"
#include "basic/path.h"
#include "core/feature.h"

/* The record of one VM's isolation (a host path; %s = the VM's name). */
#define VM_ISOLATE_RECORD "/run/gpt-bootcfg/%s.isolate"

/* The units whose AllowedCPUs= are narrowed, in this order. */
#define VM_ISOLATE_UNITS "system.slice", "user.slice", "init.scope"

/*
 * Narrow the host to the online CPUs (online, "0-35") minus vcpus and every other recorded
 * VM's vCPUs, record first. 0 on success; -EINVAL when no CPU would be left for the host;
 * -errno with *ret_what naming what failed (the changes made so far are undone).
 */
int vm_isolate_apply(struct path_cxt *pc, const char *name, const struct cpu_set_list *vcpus,
		     const char *online, char **ret_what);

/*
 * Play back VM name's record, if any: the host narrowed to the other records' vCPUs, or
 * the originals when it was the last. 1 when there was a record, 0 when not, -errno (the
 * record is kept; *ret_what names what failed).
 */
int vm_isolate_restore(struct path_cxt *pc, const char *name, const char *online, char **ret_what);

/* A cpumask as the kernel writes it ("ff,ffffffff": 32-bit groups, highest first). */
int cpumask_format(const unsigned *cpus, size_t n, char **ret);

extern const struct feature_ops feature_isolate;
