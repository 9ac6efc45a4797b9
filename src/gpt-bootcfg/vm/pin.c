/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vCPU pinning: the vCPU threads QEMU reports over QMP, and the CPU affinity of those and
 * of every other QEMU thread (vm run), or what it is now (vm status).
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>

#include "basic/json.h"
#include "basic/log.h"
#include "basic/parse-util.h"
#include "basic/qmp.h"
#include "vm/pin.h"

int vm_set_affinity(pid_t tid, const struct cpu_set_list *l)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (size_t i = 0; i < l->n; i++) {
		if (l->cpus[i] >= CPU_SETSIZE)
			return -EINVAL;
		CPU_SET(l->cpus[i], &set);
	}
	if (sched_setaffinity(tid, sizeof(set), &set) < 0)
		return negative_errno();
	return 0;
}

int vm_get_affinity(pid_t tid, char **ret)
{
	struct cpu_set_list l = {0};
	cpu_set_t set;
	unsigned cpus[CPU_SETSIZE];
	int r;

	if (sched_getaffinity(tid, sizeof(set), &set) < 0)
		return negative_errno();
	for (unsigned c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			cpus[l.n++] = c;
	l.cpus = cpus;
	r = cpulist_format(l.cpus, l.n, ret);
	return r;
}

/* vCPU index -> thread id from query-cpus-fast; -EBADMSG on a reply we cannot use. */
int vm_query_vcpu_threads(struct qmp *q, pid_t **ret, size_t *ret_n)
{
	_cleanup_json_ struct json_value *v = NULL;
	_cleanup_free_ pid_t *tids = NULL;
	int r;

	r = qmp_execute(q, "query-cpus-fast", NULL, QMP_REPLY_TIMEOUT_MS, &v);
	if (r < 0)
		return r;
	if (v->type != JSON_ARRAY || v->n == 0 || v->n > 4096)
		return -EBADMSG;
	tids = calloc(v->n, sizeof(*tids));
	if (!tids)
		return -ENOMEM;
	for (size_t i = 0; i < v->n; i++) {
		int64_t idx, tid;

		if (!json_get_int(&v->items[i], "cpu-index", &idx) ||
		    !json_get_int(&v->items[i], "thread-id", &tid) || idx < 0 ||
		    (uint64_t)idx >= v->n || tid <= 0 || tid > INT32_MAX || tids[idx])
			return -EBADMSG;
		tids[idx] = (pid_t)tid;
	}
	*ret_n = v->n;
	*ret = TAKE_PTR(tids);
	return 0;
}

int vm_pin_threads(struct vm_ctx *x, struct qmp *q, pid_t qemu_pid)
{
	const struct vm_config *vm = x->vm;
	_cleanup_path_cxt_ struct path_cxt *live = NULL;
	_cleanup_strv_free_ char **tasks = NULL;
	_cleanup_free_ pid_t *tids = NULL;
	size_t n = 0;
	int r;

	r = vm_query_vcpu_threads(q, &tids, &n);
	if (r < 0)
		return log_error_errno(r, "Failed to query the vCPU threads: %s",
				       r == -EBADMSG ? "unexpected reply" : qmp_error(q));
	if (vm->vcpu_pins.n && n != vm->vcpu_pins.n)
		return log_error_errno(-EBADMSG, "QEMU reports %zu vCPUs, %zu are pinned", n,
				       vm->vcpu_pins.n);
	for (size_t i = 0; i < n && vm->vcpu_pins.n; i++) {
		struct cpu_set_list one = {.cpus = &vm->vcpu_pins.cpus[i], .n = 1};

		r = vm_set_affinity(tids[i], &one);
		if (r < 0)
			return log_error_errno(r,
					       "Failed to pin vCPU %zu (thread %d) to CPU %u: %m",
					       i, (int)tids[i], vm->vcpu_pins.cpus[i]);
		log_info("Pinned vCPU %zu (thread %d) to CPU %u.", i, (int)tids[i],
			 vm->vcpu_pins.cpus[i]);
	}
	if (!vm->emulator_cpus.n)
		return 0;

	/* Every other thread (main loop, I/O threads, workers) goes to the emulator CPUs. */
	r = path_cxt_new(NULL, &live);
	if (r < 0)
		return log_oom();
	r = path_list_dir(live, &tasks, "/proc/%d/task", (int)qemu_pid);
	if (r < 0)
		return log_error_errno(r, "Failed to list '/proc/%d/task': %m", (int)qemu_pid);
	STRV_FOREACH (t, tasks) {
		bool is_vcpu = false;
		unsigned u;
		pid_t tid;

		if (safe_atou_range(*t, 1, INT_MAX, &u) < 0)
			continue; /* not a thread id */
		tid = (pid_t)u;
		for (size_t i = 0; i < n; i++)
			is_vcpu = is_vcpu || tids[i] == tid;
		if (is_vcpu)
			continue;
		r = vm_set_affinity(tid, &vm->emulator_cpus);
		/* A worker thread may have exited since the listing. */
		if (r == -ESRCH)
			continue;
		if (r < 0)
			return log_error_errno(
			    r, "Failed to pin QEMU thread %d to the emulator CPUs: %m", (int)tid);
	}
	return 0;
}

/* The CPU a thread last ran on: field 39 of /proc/TID/stat, after the "(comm)". */
int vm_thread_last_cpu(struct path_cxt *live, pid_t tid, int *ret)
{
	_cleanup_free_ char *s = NULL;
	const char *p;
	uint64_t v;
	int r, field = 2;

	r = path_read_string(live, &s, "/proc/%d/stat", (int)tid);
	if (r < 0)
		return r;
	p = strrchr(s, ')');
	if (!p)
		return -EBADMSG;
	for (; *p && field < 39; p++)
		if (*p == ' ')
			field++;
	if (field != 39)
		return -EBADMSG;
	/* The field ends at the next blank: only its digits count. */
	if (safe_atou64_prefix(p, 10, &v, NULL) < 0 || v > INT_MAX)
		return -EBADMSG;
	*ret = (int)v;
	return 0;
}
