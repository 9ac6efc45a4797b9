/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The CPU placement policy (placement.h): whole host cores, the device's node, one L3. */
#include <stdio.h>
#include <stdlib.h>

#include "basic/cpulist.h"
#include "basic/strv-util.h"
#include "core/placement.h"

/* A whole host core: its online SMT siblings. */
struct hcore {
	const struct host_cpu *first; /* the lowest sibling: siblings, node and L3 */
	bool cpu0;		      /* the core of CPU 0 */
	bool free; /* no CPU of it is taken, chosen or CPU 0's (unless allowed) */
};

static bool in_list(const unsigned *l, size_t n, unsigned cpu)
{
	for (size_t i = 0; i < n; i++)
		if (l[i] == cpu)
			return true;
	return false;
}

static bool core_has_any(const struct hcore *c, const unsigned *l, size_t n)
{
	for (size_t i = 0; i < c->first->n_siblings; i++)
		if (in_list(l, n, c->first->siblings[i]))
			return true;
	return false;
}

/* The whole, online cores of known topology, by their lowest CPU. */
static int host_cores(const struct host_topology *t, const struct placement_request *req,
		      struct hcore **ret, size_t *ret_n)
{
	struct hcore *cores = calloc(t->n_cpus ? t->n_cpus : 1, sizeof(*cores));
	size_t n = 0;

	if (!cores)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_cpus; i++) {
		const struct host_cpu *c = &t->cpus[i];
		bool whole = c->online && c->package >= 0 && c->siblings[0] == c->id;

		for (size_t j = 0; whole && j < c->n_siblings; j++) {
			const struct host_cpu *s = host_topology_cpu(t, c->siblings[j]);

			whole = s && s->online;
		}
		if (!whole)
			continue;
		cores[n] =
		    (struct hcore){.first = c, .cpu0 = in_list(c->siblings, c->n_siblings, 0)};
		cores[n].free = !core_has_any(&cores[n], req->taken, req->n_taken) &&
				!core_has_any(&cores[n], req->pinned, req->n_pinned);
		n++;
	}
	*ret = cores;
	*ret_n = n;
	return 0;
}

static int fmt_core(const struct hcore *c, char *buf, size_t size)
{
	_cleanup_free_ char *l = NULL;
	int r = cpulist_format(c->first->siblings, c->first->n_siblings, &l);

	if (r < 0)
		return r;
	snprintf(buf, size, "host core %u (CPUs %s, node %d, L3 %d)", c->first->id, l,
		 c->first->node, c->first->l3);
	return 0;
}

#define ANY_NODE (-3)

static bool eligible(const struct hcore *c, int node, bool allow_cpu0)
{
	return c->free && (node == ANY_NODE || c->first->node == node) && (allow_cpu0 || !c->cpu0);
}

static size_t count_free(const struct hcore *cores, size_t n, int node, bool allow_cpu0, int l3,
			 bool any_l3)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (eligible(&cores[i], node, allow_cpu0) && (any_l3 || cores[i].first->l3 == l3))
			k++;
	return k;
}

/*
 * Take need cores: the highest-numbered eligible ones of L3 l3 (any_l3: of any L3, the
 * fullest L3 first), marked not free, into out[] in ascending order.
 */
static size_t take(struct hcore *cores, size_t n, int node, bool allow_cpu0, int l3, bool any_l3,
		   size_t need, struct hcore **out)
{
	size_t got = 0;

	while (got < need) {
		struct hcore *best = NULL;
		size_t best_free = 0;

		for (size_t i = n; i-- > 0;) {
			struct hcore *c = &cores[i];
			size_t f;

			if (!eligible(c, node, allow_cpu0) || (!any_l3 && c->first->l3 != l3))
				continue;
			if (!any_l3) {
				best = c;
				break;
			}
			/* Spanning L3s: fill the fullest L3 first, its highest cores first. */
			f = count_free(cores, n, node, allow_cpu0, c->first->l3, false);
			if (!best || f > best_free) {
				best = c;
				best_free = f;
			}
		}
		if (!best)
			break;
		best->free = false;
		out[got++] = best;
	}
	/* Ascending: guest core 0 on the lowest of the chosen host cores. */
	for (size_t i = 0; i < got / 2; i++) {
		struct hcore *x = out[i];

		out[i] = out[got - 1 - i];
		out[got - 1 - i] = x;
	}
	return got;
}

/* The L3 with the fewest eligible cores that still has need (lower id on ties); -2: none. */
static int fitting_l3(const struct hcore *cores, size_t n, int node, bool allow_cpu0, size_t need)
{
	int best = -2;
	size_t best_free = 0;

	for (size_t i = 0; i < n; i++) {
		int l3 = cores[i].first->l3;
		size_t f;

		if (!eligible(&cores[i], node, allow_cpu0))
			continue;
		f = count_free(cores, n, node, allow_cpu0, l3, false);
		if (f < need)
			continue;
		if (best == -2 || f < best_free || (f == best_free && l3 < best)) {
			best = l3;
			best_free = f;
		}
	}
	return best;
}

/* The node with the most free cores (lower number on ties), or ANY_NODE when none fits. */
static int roomiest_node(const struct hcore *cores, size_t n, size_t need, size_t *ret_free)
{
	int best = ANY_NODE;
	size_t best_free = 0;

	for (size_t i = 0; i < n; i++) {
		int node = cores[i].first->node;
		size_t f = count_free(cores, n, node, true, 0, true);

		if (f > best_free || (f == best_free && best != ANY_NODE && node < best)) {
			best = node;
			best_free = f;
		}
	}
	*ret_free = best_free;
	return best_free >= need ? best : ANY_NODE;
}

static int choose_node(struct hcore *cores, size_t n, const struct placement_request *req,
		       size_t need, struct placement *p)
{
	size_t have = count_free(cores, n, req->node, true, 0, true), most;
	int node;

	if (req->node >= 0 && have >= need) {
		p->node = req->node;
		return strv_addf(&p->why, "node %d: the node of the VM's device (memory too)",
				 req->node);
	}
	node = roomiest_node(cores, n, need, &most);
	if (node != ANY_NODE) {
		p->node = node;
		if (req->node >= 0)
			return strv_addf(&p->why,
					 "node %d: the device's node %d has %zu free cores, %zu "
					 "needed; node %d has the most (%zu)",
					 node, req->node, have, need, node, most);
		return strv_addf(&p->why, "node %d: the node with the most free cores (%zu)", node,
				 most);
	}
	p->node = ANY_NODE;
	return strv_addf(&p->why, "no node has %zu free cores: the VM spans nodes", need);
}

static int place_vcpus(struct hcore *cores, size_t n, const struct placement_request *req,
		       size_t need_v, size_t k, size_t smt, struct hcore **chosen,
		       struct placement *p)
{
	size_t need = need_v + (req->emulator ? 1 : 0), got, nc = req->sockets * req->cores;
	bool allow0;
	int node, l3, r;
	char buf[160];

	r = choose_node(cores, n, req, need, p);
	if (r < 0)
		return r;
	node = p->node;
	allow0 = count_free(cores, n, node, false, 0, true) < need;
	if (allow0) {
		r = strv_add(&p->why, "CPU 0's core is used: nothing else fits");
		if (r < 0)
			return r;
	}
	l3 = fitting_l3(cores, n, node, allow0, need);
	if (l3 == -2)
		l3 = fitting_l3(cores, n, node, allow0, need_v);
	if (l3 != -2)
		r = strv_addf(&p->why, "L3 %d: holds the %zu cores of the vCPUs", l3, need_v);
	else
		r = strv_addf(&p->why, "no L3 has %zu free cores: the vCPUs span L3s", need_v);
	if (r < 0)
		return r;
	got = take(cores, n, node, allow0, l3, l3 == -2, need_v, chosen);
	if (got < need_v)
		return -ENOSPC;

	p->vcpu_pins = calloc(nc * req->threads, sizeof(unsigned));
	if (!p->vcpu_pins)
		return -ENOMEM;
	for (size_t g = 0; g < nc; g++) {
		for (size_t th = 0; th < req->threads; th++) {
			const struct hcore *hc = chosen[g * k + th / smt];

			if (!hc) /* take() filled need_v of them; for the analyzer */
				return -ENOSPC;
			p->vcpu_pins[p->n_vcpu_pins++] = hc->first->siblings[th % smt];
		}
		r = fmt_core(chosen[g * k], buf, sizeof(buf));
		if (r < 0)
			return r;
		r = strv_addf(&p->why, "guest core %zu (vCPUs %zu-%zu) -> %s%s", g,
			      g * req->threads, (g + 1) * req->threads - 1, buf,
			      k > 1 ? " and the next" : (req->threads > 1 ? ": SMT siblings" : ""));
		if (r < 0)
			return r;
	}
	return 0;
}

static int place_emulator(struct hcore *cores, size_t n, const struct placement_request *req,
			  const struct host_topology *t, struct placement *p)
{
	const struct host_cpu *ref = NULL;
	struct hcore *e = NULL;
	int node = p->node;
	char buf[160];
	int r;

	if (!req->vcpus && req->n_pinned) {
		ref = host_topology_cpu(t, req->pinned[0]);
		node = ref ? ref->node : ANY_NODE;
	} else if (p->n_vcpu_pins)
		ref = host_topology_cpu(t, p->vcpu_pins[0]);
	/* The vCPUs' L3, their node, then anywhere; CPU 0's core last in each. */
	for (int pass = 0; pass < 6 && !e; pass++) {
		bool allow0 = pass % 2;
		int nd = pass < 4 ? node : ANY_NODE;
		bool any_l3 = pass >= 2 || !ref;

		if (take(cores, n, nd, allow0, ref ? ref->l3 : 0, any_l3, 1, &e) == 1)
			break;
		e = NULL;
	}
	if (!e)
		return -ENOSPC;
	p->emulator_cpus = malloc(e->first->n_siblings * sizeof(unsigned));
	if (!p->emulator_cpus)
		return -ENOMEM;
	for (size_t i = 0; i < e->first->n_siblings; i++)
		p->emulator_cpus[p->n_emulator_cpus++] = e->first->siblings[i];
	r = fmt_core(e, buf, sizeof(buf));
	if (r < 0)
		return r;
	return strv_addf(&p->why, "emulator and iothreads -> %s: %s%s", buf,
			 ref && e->first->l3 == ref->l3 ? "the vCPUs' L3, " : "",
			 e->cpu0 ? "CPU 0's core: nothing else is free" : "no vCPU on it");
}

int placement_auto(const struct host_topology *t, const struct placement_request *req,
		   struct placement *ret)
{
	_cleanup_free_ struct hcore *cores = NULL;
	_cleanup_free_ struct hcore **chosen = NULL;
	size_t n = 0, smt = SIZE_MAX, k, need_v, free_all = 0;
	struct placement *p = ret;
	int r;

	*p = (struct placement){.node = -1};
	r = host_cores(t, req, &cores, &n);
	if (r < 0)
		return r;
	if (n == 0) {
		p->error = strdup("the host's CPU topology is unknown (no "
				  "/sys/devices/system/cpu/cpuN/topology)");
		return p->error ? -ENODATA : -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (cores[i].first->n_siblings < smt)
			smt = cores[i].first->n_siblings;
		free_all += cores[i].free;
	}
	k = (req->threads + smt - 1) / smt;
	need_v = req->vcpus ? (size_t)req->sockets * req->cores * k : 0;
	if (need_v + (req->emulator ? 1 : 0) > free_all) {
		r = asprintf(&p->error,
			     "needs %zu whole host cores (%zu for the vCPUs%s), the host has %zu "
			     "free",
			     need_v + (req->emulator ? 1 : 0), need_v,
			     req->emulator ? ", 1 for the emulator" : "", free_all);
		return r < 0 ? -ENOMEM : -ENOSPC;
	}
	chosen = calloc(need_v ? need_v : 1, sizeof(*chosen));
	if (!chosen)
		return -ENOMEM;
	if (req->vcpus) {
		r = place_vcpus(cores, n, req, need_v, k, smt, chosen, p);
		if (r < 0)
			return r;
	}
	if (req->emulator) {
		r = place_emulator(cores, n, req, t, p);
		if (r < 0)
			return r;
	}
	if (p->node == ANY_NODE)
		p->node = p->n_vcpu_pins ? host_topology_cpu(t, p->vcpu_pins[0])->node : -1;
	return 0;
}

void placement_done(struct placement *p)
{
	free(p->vcpu_pins);
	free(p->emulator_cpus);
	strv_free(p->why);
	free(p->error);
	*p = (struct placement){.node = -1};
}

/* The host core (lowest sibling) of a CPU; the CPU itself when unknown. */
static unsigned core_of(const struct host_topology *t, unsigned cpu)
{
	const struct host_cpu *c = host_topology_cpu(t, cpu);

	return c ? c->siblings[0] : cpu;
}

static bool shares_core(const struct host_topology *t, unsigned cpu, const unsigned *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (core_of(t, l[i]) == core_of(t, cpu))
			return true;
	return false;
}

int placement_score(const struct host_topology *t, unsigned threads, const unsigned *pins,
		    size_t n_pins, const unsigned *emulator, size_t n_emulator, int node,
		    struct placement_score *ret)
{
	const struct host_cpu *c0;
	struct placement_score s = {};

	if (threads == 0 || n_pins % threads)
		return -EINVAL;
	c0 = n_pins ? host_topology_cpu(t, pins[0]) : NULL;
	for (size_t g = 0; g < n_pins / threads; g++) {
		bool sib = true, on = true, l3 = true, off = true;

		for (size_t i = g * threads; i < (g + 1) * threads; i++) {
			const struct host_cpu *c = host_topology_cpu(t, pins[i]);

			sib = sib && core_of(t, pins[i]) == core_of(t, pins[g * threads]);
			on = on && (node < 0 || (c && c->node == node));
			l3 = l3 && c && c0 && c->l3 >= 0 && c->l3 == c0->l3;
			off = off && !shares_core(t, pins[i], emulator, n_emulator);
		}
		s.cores++;
		s.siblings += sib;
		s.on_node += on;
		s.one_l3 += l3;
		s.off_emulator += off;
	}
	*ret = s;
	return 0;
}

int placement_check(const struct host_topology *t, unsigned threads, const unsigned *pins,
		    size_t n_pins, const unsigned *emulator, size_t n_emulator, int node,
		    char ***warnings)
{
	int r;

	if (threads == 0 || n_pins % threads || t->n_cpus == 0)
		return 0;
	for (size_t g = 0; g < n_pins / threads; g++) {
		size_t a = g * threads, b = (g + 1) * threads - 1;

		for (size_t i = a + 1; i <= b; i++) {
			const struct host_cpu *c = host_topology_cpu(t, pins[a]);
			_cleanup_free_ char *sib = NULL;

			if (core_of(t, pins[i]) == core_of(t, pins[a]))
				continue;
			if (c && cpulist_format(c->siblings, c->n_siblings, &sib) < 0)
				return -ENOMEM;
			r = strv_addf(
			    warnings,
			    "vcpu-pins: guest core %zu (vCPUs %zu-%zu) is split over host "
			    "cores: CPUs %u and %u are not SMT siblings (CPU %u's core is "
			    "%s); QEMU numbers a guest core's threads consecutively, pin "
			    "them to one core's siblings (vcpu-pins = auto does)",
			    g, a, b, pins[a], pins[i], pins[a], sib ? sib : "unknown");
			if (r < 0)
				return r;
			break;
		}
	}
	for (size_t i = 0; node >= 0 && i < n_pins; i++) {
		const struct host_cpu *c = host_topology_cpu(t, pins[i]);

		if (!c || c->node < 0 || c->node == node)
			continue;
		r = strv_addf(warnings,
			      "vcpu-pins: vCPU %zu runs on CPU %u of NUMA node %d, the VM's device "
			      "and memory are on node %d",
			      i, pins[i], c->node, node);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < n_pins; i++) {
		if (!shares_core(t, pins[i], emulator, n_emulator))
			continue;
		r = strv_addf(warnings,
			      "emulator-cpus: vCPU %zu's CPU %u shares a host core with the "
			      "emulator's CPUs: the emulator and iothreads steal its core's time",
			      i, pins[i]);
		if (r < 0)
			return r;
	}
	return 0;
}
