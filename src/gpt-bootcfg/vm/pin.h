/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The vCPU threads from QMP and their CPU affinity. */

#include <sys/types.h>

#include "basic/cpulist.h"
#include "basic/qmp.h"
#include "vm/context.h"

/* Set thread tid's affinity (0: the calling thread) to the CPUs of l; -errno. */
int vm_set_affinity(pid_t tid, const struct cpu_set_list *l);

/* Thread tid's affinity as a CPU list string. */
int vm_get_affinity(pid_t tid, char **ret);

/* vCPU index -> thread id from query-cpus-fast; -EBADMSG on a reply we cannot use. */
int vm_query_vcpu_threads(struct qmp *q, pid_t **ret, size_t *ret_n);

/*
 * Pin vCPU i to vcpu-pins[i] and every other thread of QEMU to emulator-cpus; logs and
 * returns -errno on failure.
 */
int vm_pin_threads(struct vm_ctx *x, struct qmp *q, pid_t qemu_pid);

/* The CPU a thread last ran on (/proc/TID/stat of the live system). */
int vm_thread_last_cpu(struct path_cxt *live, pid_t tid, int *ret);
