/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host model's memory topology: online NUMA nodes and the hugepage pools per size and node. */
#include <ctype.h>
#include <stdio.h>

#include "basic/cpulist.h"
#include "basic/parse-util.h"
#include "shared/host-internal.h"

int host_load_nodes(struct host *h)
{
	_cleanup_free_ char *s = NULL;
	int r;

	/* Node lists use the CPU list notation. Unknown or garbage: no NUMA information. */
	r = path_read_string(h->pc, &s, "/sys/devices/system/node/online");
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 0;
	r = cpulist_parse(s, &h->nodes_online, &h->n_nodes_online);
	return r == -ENOMEM ? r : 0;
}

/* One counter of a pool: "not a number" names the file, as everything host_load() reads. */
static int read_count(struct path_cxt *pc, const char *dir, const char *name, bool optional,
		      uint64_t *ret)
{
	char p[PATH_MAX];
	int r;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	r = path_read_u64(pc, ret, "%s", p);
	if (r == -ENOENT && optional) {
		*ret = 0;
		return 0;
	}
	if (r == -EBADMSG)
		return host_fail(pc, r, p, "not a number");
	if (r < 0)
		return host_fail(pc, r, p, "%s", strerror(-r));
	return 0;
}

static int read_counts(struct path_cxt *pc, const char *dir, struct hugepage_count *ret)
{
	int r;

	r = read_count(pc, dir, "nr_hugepages", false, &ret->nr);
	if (r >= 0)
		r = read_count(pc, dir, "free_hugepages", false, &ret->free);
	if (r >= 0)
		r = read_count(pc, dir, "surplus_hugepages", true, &ret->surplus);
	return r;
}

/* "node12" -> 12; -1 for anything else in /sys/devices/system/node ("online", "power"). */
static int node_number(const char *name)
{
	const char *num = startswith(name, "node");
	long n;

	if (!num || !isdigit((unsigned char)*num) || host_parse_int(num, 0, 65535, &n) < 0)
		return -1;
	return (int)n;
}

static int load_node_pools(struct host *h, char **nodes, const char *size_dir,
			   struct hugepage_pool *pool)
{
	STRV_FOREACH (nd, nodes) {
		struct hugepage_node_pool *np;
		char dir[PATH_MAX];
		int node = node_number(*nd), r;

		if (node < 0)
			continue;
		snprintf(dir, sizeof(dir), "/sys/devices/system/node/%s/hugepages/%s", *nd,
			 size_dir);
		r = path_exists(h->pc, "%s/nr_hugepages", dir);
		if (r < 0)
			return host_fail_errno(h->pc, r, dir);
		if (r == 0)
			continue;
		np = realloc(pool->nodes, (pool->n_nodes + 1) * sizeof(*np));
		if (!np)
			return -ENOMEM;
		pool->nodes = np;
		np = &pool->nodes[pool->n_nodes++];
		*np = (struct hugepage_node_pool){.node = node};
		r = read_counts(h->pc, dir, &np->pages);
		if (r < 0)
			return r;
	}
	return 0;
}

static int load_pools(struct host *h)
{
	_cleanup_strv_free_ char **sizes = NULL, **nodes = NULL;
	struct host_hugepages *hp = &h->hugepages;
	int r;

	r = path_list_dir(h->pc, &sizes, "/sys/kernel/mm/hugepages");
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return host_fail_errno(h->pc, r, "/sys/kernel/mm/hugepages");
	hp->supported = true;
	r = path_list_dir(h->pc, &nodes, "/sys/devices/system/node");
	if (r < 0 && r != -ENOENT)
		return host_fail_errno(h->pc, r, "/sys/devices/system/node");

	hp->pools = calloc(strv_length(sizes) + 1, sizeof(struct hugepage_pool));
	if (!hp->pools)
		return -ENOMEM;
	/* path_list_dir() sorts in version order: 2048kB before 1048576kB. */
	STRV_FOREACH (s, sizes) {
		const char *num = startswith(*s, "hugepages-"), *end;
		struct hugepage_pool *pool;
		char dir[PATH_MAX];
		uint64_t kb;

		if (!num || safe_atou64_prefix(num, 10, &kb, &end) < 0 || !streq(end, "kB"))
			continue;
		pool = &hp->pools[hp->n_pools++];
		pool->size_kb = kb;
		snprintf(dir, sizeof(dir), "/sys/kernel/mm/hugepages/%s", *s);
		r = read_counts(h->pc, dir, &pool->pages);
		if (r < 0)
			return r;
		r = load_node_pools(h, nodes, *s, pool);
		if (r < 0)
			return r;
	}
	return 0;
}

int host_load_hugepages(struct host *h)
{
	return host_defer_error(load_pools(h), &h->hugepages_error, &h->hugepages_error_msg);
}

int host_reload_hugepages(struct host *h)
{
	host_hugepages_done(&h->hugepages);
	h->hugepages_error = 0;
	free(h->hugepages_error_msg);
	h->hugepages_error_msg = NULL;
	return host_load_hugepages(h);
}

void host_hugepages_done(struct host_hugepages *hp)
{
	for (size_t i = 0; i < hp->n_pools; i++)
		free(hp->pools[i].nodes);
	free(hp->pools);
	*hp = (struct host_hugepages){};
}

int host_hugepages(const struct host *h, const struct host_hugepages **ret)
{
	if (h->hugepages_error < 0) {
		host_deferred_error(h->hugepages_error, h->hugepages_error_msg);
		/* The same value, but the analyzer cannot see that through the call. */
		return h->hugepages_error;
	}
	*ret = &h->hugepages;
	return 0;
}

const struct hugepage_count *host_hugepage_count(const struct host_hugepages *hp, uint64_t size,
						 int node)
{
	for (size_t i = 0; i < hp->n_pools; i++) {
		const struct hugepage_pool *p = &hp->pools[i];

		if (p->size_kb != size >> 10)
			continue;
		if (node < 0)
			return &p->pages;
		for (size_t j = 0; j < p->n_nodes; j++)
			if (p->nodes[j].node == node)
				return &p->nodes[j].pages;
		return NULL;
	}
	return NULL;
}
