/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host model's CPU topology: per CPU its package, die, core, SMT siblings, NUMA node and
 * L3 cache, for the placement of a VM's vCPUs (core/placement.h). Read from
 * /sys/devices/system/cpu/cpuN/{topology,cache} and /sys/devices/system/node/nodeN/cpulist.
 */
#include <stdio.h>

#include "basic/cpulist.h"
#include "basic/parse-util.h"
#include "basic/strv-util.h"
#include "shared/host-internal.h"

/* "cpu12" -> 12; -1 for anything else in /sys/devices/system/cpu ("cpufreq", "online"). */
static long cpu_number(const char *name)
{
	const char *num = startswith(name, "cpu");
	unsigned v;

	if (!num || !*num || safe_atou(num, &v) < 0 || v > CPULIST_MAX_CPU)
		return -1;
	return v;
}

static int cmp_cpu(const void *a, const void *b)
{
	unsigned x = ((const struct host_cpu *)a)->id, y = ((const struct host_cpu *)b)->id;

	return (x > y) - (x < y);
}

/* An optional small number: *ret stays -1 when the file is absent. */
static int read_int(struct path_cxt *pc, const char *path, int *ret)
{
	_cleanup_free_ char *s = NULL;
	long v;
	int r;

	r = path_read_string(pc, &s, "%s", path);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return host_fail_errno(pc, r, path);
	/* physical_package_id and die_id are -1 where the firmware does not say. */
	if (host_parse_int(s, -1, CPULIST_MAX_CPU, &v) < 0)
		return host_fail(pc, -EBADMSG, path, "not a number");
	*ret = (int)v;
	return 0;
}

/* An optional CPU list: NULL/0 when the file is absent. */
static int read_list(struct path_cxt *pc, const char *path, unsigned **ret, size_t *ret_n)
{
	_cleanup_free_ char *s = NULL;
	int r;

	r = path_read_string(pc, &s, "%s", path);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return host_fail_errno(pc, r, path);
	r = cpulist_parse(s, ret, ret_n);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return host_fail(pc, r, path, "not a CPU list");
	return 0;
}

/* The L3 of one CPU: the cache/indexN whose level is 3 (index3 on x86, but not everywhere). */
static int load_l3(struct path_cxt *pc, struct host_cpu *c)
{
	_cleanup_strv_free_ char **idx = NULL;
	char dir[64], p[PATH_MAX];
	int r;

	snprintf(dir, sizeof(dir), "/sys/devices/system/cpu/cpu%u/cache", c->id);
	r = path_list_dir(pc, &idx, "%s", dir);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return host_fail_errno(pc, r, dir);
	STRV_FOREACH (i, idx) {
		_cleanup_free_ unsigned *shared = NULL;
		size_t n_shared = 0;
		int level = -1, id = -1;

		if (!startswith(*i, "index") || strlen(*i) > 32)
			continue;
		snprintf(p, sizeof(p), "%s/%.32s/level", dir, *i);
		r = read_int(pc, p, &level);
		if (r < 0)
			return r;
		if (level != 3)
			continue;
		snprintf(p, sizeof(p), "%s/%.32s/id", dir, *i);
		r = read_int(pc, p, &id);
		if (r < 0)
			return r;
		if (id < 0) {
			/* Kernels without the id attribute: the group is named by its first CPU. */
			snprintf(p, sizeof(p), "%s/%.32s/shared_cpu_list", dir, *i);
			r = read_list(pc, p, &shared, &n_shared);
			if (r < 0)
				return r;
			if (n_shared)
				id = (int)shared[0];
		}
		c->l3 = id;
		return 0;
	}
	return 0;
}

static int load_cpu(struct path_cxt *pc, struct host_cpu *c)
{
	char p[PATH_MAX];
	int r;

	snprintf(p, sizeof(p), "/sys/devices/system/cpu/cpu%u/topology/physical_package_id", c->id);
	r = read_int(pc, p, &c->package);
	if (r < 0)
		return r;
	snprintf(p, sizeof(p), "/sys/devices/system/cpu/cpu%u/topology/die_id", c->id);
	r = read_int(pc, p, &c->die);
	if (r < 0)
		return r;
	if (c->die < 0 && c->package >= 0)
		c->die = 0; /* before Linux 5.3: one die per package */
	snprintf(p, sizeof(p), "/sys/devices/system/cpu/cpu%u/topology/core_id", c->id);
	r = read_int(pc, p, &c->core);
	if (r < 0)
		return r;
	snprintf(p, sizeof(p), "/sys/devices/system/cpu/cpu%u/topology/thread_siblings_list",
		 c->id);
	r = read_list(pc, p, &c->siblings, &c->n_siblings);
	if (r < 0)
		return r;
	if (c->n_siblings == 0) {
		free(c->siblings);
		c->siblings = malloc(sizeof(unsigned));
		if (!c->siblings)
			return -ENOMEM;
		c->siblings[0] = c->id;
		c->n_siblings = 1;
	}
	return load_l3(pc, c);
}

/* Each online node's cpulist names the node of its CPUs. */
static int load_cpu_nodes(struct host *h)
{
	struct host_topology *t = &h->topology;

	for (size_t i = 0; i < h->n_nodes_online; i++) {
		_cleanup_free_ unsigned *cpus = NULL;
		char p[PATH_MAX];
		size_t n = 0;
		int r;

		snprintf(p, sizeof(p), "/sys/devices/system/node/node%u/cpulist",
			 h->nodes_online[i]);
		r = read_list(h->pc, p, &cpus, &n);
		if (r < 0)
			return r;
		for (size_t j = 0; j < n; j++) {
			struct host_cpu *c = (struct host_cpu *)host_topology_cpu(t, cpus[j]);

			if (c)
				c->node = (int)h->nodes_online[i];
		}
	}
	return 0;
}

static int load_topology(struct host *h)
{
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_free_ unsigned *online = NULL;
	struct host_topology *t = &h->topology;
	size_t n_online = 0, n;
	int r;

	r = path_list_dir(h->pc, &names, "/sys/devices/system/cpu");
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return host_fail_errno(h->pc, r, "/sys/devices/system/cpu");
	if (h->cpus_online) {
		r = cpulist_parse(h->cpus_online, &online, &n_online);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return host_fail(h->pc, r, h->cpus_online_path, "not a CPU list");
	}
	n = strv_length(names);
	t->cpus = calloc(n ? n : 1, sizeof(struct host_cpu));
	if (!t->cpus)
		return -ENOMEM;
	STRV_FOREACH (name, names) {
		long id = cpu_number(*name);
		struct host_cpu *c;

		if (id < 0)
			continue;
		c = &t->cpus[t->n_cpus++];
		*c = (struct host_cpu){
		    .id = (unsigned)id, .package = -1, .die = -1, .core = -1, .node = -1, .l3 = -1};
		for (size_t i = 0; i < n_online; i++)
			c->online = c->online || online[i] == c->id;
		r = load_cpu(h->pc, c);
		if (r < 0)
			return r;
	}
	qsort(t->cpus, t->n_cpus, sizeof(struct host_cpu), cmp_cpu);
	return load_cpu_nodes(h);
}

int host_load_topology(struct host *h)
{
	int r = load_topology(h);

	if (r < 0 && r != -ENOMEM) {
		host_topology_done(&h->topology);
		h->topology = (struct host_topology){};
	}
	return host_defer_error(r, &h->topology_error, &h->topology_error_msg);
}

void host_topology_done(struct host_topology *t)
{
	for (size_t i = 0; i < t->n_cpus; i++)
		free(t->cpus[i].siblings);
	free(t->cpus);
}

int host_topology(const struct host *h, const struct host_topology **ret)
{
	if (h->topology_error < 0) {
		host_deferred_error(h->topology_error, h->topology_error_msg);
		return h->topology_error;
	}
	*ret = &h->topology;
	return 0;
}

const struct host_cpu *host_topology_cpu(const struct host_topology *t, unsigned id)
{
	size_t lo = 0, hi = t->n_cpus;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->cpus[mid].id == id)
			return &t->cpus[mid];
		if (t->cpus[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
