/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CPU placement (core/placement.c) on the fixture topologies captured from QEMU guests
 * (tests/fixtures/topo-*, tests/fixtures/topology/capture.sh): the host model's topology,
 * vcpu-pins = auto, emulator-cpus = auto, and the checks of explicit pins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "basic/cpulist.h"
#include "basic/path.h"
#include "basic/strv-util.h"
#include "core/placement.h"
#include "shared/host.h"
#include "tap.h"

static char root[64];

/* The overlay fixture NAME on its base, as tests/lib/tap.sh's fixture_copy does. */
static struct host *load(const char *name, struct path_cxt **ret_pc)
{
	char cmd[1024];
	struct host *h = NULL;

	snprintf(cmd, sizeof(cmd),
		 "set -e; rm -rf '%1$s'; mkdir -p '%1$s'; f=tests/fixtures/%2$s; "
		 "if [ -f $f/.base ]; then cp -a tests/fixtures/$(cat $f/.base)/. '%1$s/'; "
		 "[ -f $f/.remove ] && while read -r p; do rm -rf '%1$s'/$p; done <$f/.remove; fi; "
		 "cp -a $f/. '%1$s/'",
		 root, name);
	if (system(cmd) != 0 || path_cxt_new(root, ret_pc) < 0 || host_load(*ret_pc, &h) < 0) {
		printf("# cannot load %s: %s\n", name, host_last_error());
		return NULL;
	}
	return h;
}

static char *fmt(const unsigned *l, size_t n)
{
	char *s = NULL;

	if (cpulist_format(l, n, &s) < 0)
		abort();
	return s;
}

/* The pins as "a,b,c" in vCPU order (cpulist_format() would fold runs). */
static char *order(const unsigned *l, size_t n)
{
	static char buf[512];
	size_t k = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && k < sizeof(buf) - 8; i++)
		k += snprintf(buf + k, sizeof(buf) - k, "%s%u", i ? "," : "", l[i]);
	return buf;
}

static int place(const struct host *h, unsigned cores, unsigned threads, int node,
		 const unsigned *taken, size_t n_taken, struct placement *p)
{
	const struct host_topology *t;
	struct placement_request req = {.sockets = 1,
					.cores = cores,
					.threads = threads,
					.node = node,
					.vcpus = true,
					.emulator = true,
					.taken = taken,
					.n_taken = n_taken};

	if (host_topology(h, &t) < 0)
		return -EIO;
	return placement_auto(t, &req, p);
}

static void test_xeon18(void)
{
	_cleanup_path_cxt_ struct path_cxt *pc = NULL;
	_cleanup_host_ struct host *h = load("topo-xeon18", &pc);
	const struct host_topology *t;
	const struct host_cpu *c;
	struct placement p = {}, q = {};
	struct placement_score s;
	static const unsigned guide[] = {14, 15, 16, 17, 32, 33, 34, 35};
	static const unsigned guide_emu[] = {0, 1, 2, 3, 18, 19, 20, 21};
	unsigned taken[16];
	_cleanup_free_ char *e = NULL;
	_cleanup_strv_free_ char **w = NULL;

	ok(h, "topo-xeon18 loads");
	if (!h)
		return;
	ok(host_topology(h, &t) == 0, "its topology reads");
	is_int(t->n_cpus, 36, "36 CPUs");
	c = host_topology_cpu(t, 14);
	ok(c && c->online && c->package == 0 && c->node == 0, "CPU 14: online, package 0, node 0");
	ok(c && c->n_siblings == 2 && c->siblings[0] == 14 && c->siblings[1] == 32,
	   "CPU 14's SMT sibling is 32 (firmware numbering, not QEMU's)");
	ok(c && c->l3 == host_topology_cpu(t, 35)->l3, "one L3 for the package");

	is_int(place(h, 4, 2, 0, NULL, 0, &p), 0, "4 cores x 2 threads on node 0");
	is_str(order(p.vcpu_pins, p.n_vcpu_pins), "14,32,15,33,16,34,17,35",
	       "guest core N's threads on one host core's siblings, highest cores");
	e = fmt(p.emulator_cpus, p.n_emulator_cpus);
	is_str(e, "13,31", "emulator on the next core, whole");
	is_int(p.node, 0, "node 0");
	ok(p.why && strv_length(p.why) >= 6, "reasons: node, L3, 4 cores, emulator");
	is_int(place(h, 4, 2, 0, NULL, 0, &q), 0, "again");
	is_str(order(q.vcpu_pins, q.n_vcpu_pins), "14,32,15,33,16,34,17,35", "deterministic");
	placement_done(&q);

	ok(placement_score(t, 2, p.vcpu_pins, p.n_vcpu_pins, p.emulator_cpus, p.n_emulator_cpus, 0,
			   &s) == 0 &&
	       s.cores == 4 && s.siblings == 4 && s.on_node == 4 && s.one_l3 == 4 &&
	       s.off_emulator == 4,
	   "auto scores 4 of 4 on all four tests");
	ok(placement_score(t, 2, guide, 8, guide_emu, 8, 0, &s) == 0 && s.siblings == 0 &&
	       s.on_node == 4,
	   "the guide's 14-17,32-35 score 0 of 4 on the sibling test");
	ok(placement_check(t, 2, guide, 8, NULL, 0, 0, &w) == 0 && strv_length(w) == 4 &&
	       strstr(w[0], "CPUs 14 and 15 are not SMT siblings"),
	   "check: the guide's pins split 4 guest cores");

	/* A second VM: the first one's CPUs are taken. */
	for (size_t i = 0; i < 8; i++)
		taken[i] = p.vcpu_pins[i];
	taken[8] = 13;
	taken[9] = 31;
	is_int(place(h, 4, 2, 0, taken, 10, &q), 0, "a second VM");
	is_str(order(q.vcpu_pins, q.n_vcpu_pins), "9,27,10,28,11,29,12,30", "next free cores");
	placement_done(&q);
	placement_done(&p);

	is_int(place(h, 18, 2, 0, NULL, 0, &p), -ENOSPC, "18 cores and an emulator do not fit");
	ok(p.error && strstr(p.error, "needs 19 whole host cores"), "error says so: %s", p.error);
	placement_done(&p);
	is_int(place(h, 17, 2, 0, NULL, 0, &p), 0, "17 cores and an emulator: CPU 0's core used");
	ok(strv_contains(p.why, "CPU 0's core is used: nothing else fits"), "plan says why");
	placement_done(&p);
	is_int(place(h, 4, 1, 0, NULL, 0, &p), 0, "threads = 1");
	is_str(order(p.vcpu_pins, p.n_vcpu_pins), "14,15,16,17", "one CPU of each core");
	placement_done(&p);
}

static void test_xeon2s(void)
{
	_cleanup_path_cxt_ struct path_cxt *pc = NULL;
	_cleanup_host_ struct host *h = load("topo-xeon2s", &pc);
	const struct host_topology *t;
	struct placement p = {};
	static const unsigned node0[] = {6, 26, 7, 27};
	static const unsigned emu[] = {7};
	_cleanup_strv_free_ char **w = NULL;
	_cleanup_free_ char *e = NULL;

	ok(h, "topo-xeon2s loads");
	if (!h || host_topology(h, &t) < 0)
		return;
	is_int(t->n_cpus, 40, "40 CPUs");
	ok(host_topology_cpu(t, 10)->node == 1 && host_topology_cpu(t, 30)->node == 1 &&
	       host_topology_cpu(t, 9)->node == 0,
	   "socket 1's CPUs 10-19,30-39 are node 1");
	ok(host_find_pci_address(h, "65:00.0")->numa_node == 1, "the GPU is on node 1");
	ok(host_topology_cpu(t, 10)->l3 != host_topology_cpu(t, 0)->l3, "an L3 per socket");

	is_int(place(h, 4, 2, 1, NULL, 0, &p), 0, "4x2 with the GPU on node 1");
	is_str(order(p.vcpu_pins, p.n_vcpu_pins), "16,36,17,37,18,38,19,39", "node 1's cores");
	e = fmt(p.emulator_cpus, p.n_emulator_cpus);
	is_str(e, "15,35", "emulator on node 1 too");
	placement_done(&p);
	is_int(place(h, 4, 2, -1, NULL, 0, &p), 0, "no device node");
	is_int(p.node, 0, "the node with the most free cores, lower on ties");
	placement_done(&p);
	is_int(place(h, 12, 2, 1, NULL, 0, &p), 0, "12 cores fit no node");
	is_int(p.n_vcpu_pins, 24, "24 vCPUs placed across both nodes");
	placement_done(&p);

	ok(placement_check(t, 2, node0, 4, emu, 1, 1, &w) == 0 && strv_length(w) == 6,
	   "check: 4 vCPUs on node 0 with the GPU on node 1, 2 sharing the emulator's core");
}

static void test_amd2l3(void)
{
	_cleanup_path_cxt_ struct path_cxt *pc = NULL;
	_cleanup_host_ struct host *h = load("topo-amd2l3", &pc);
	const struct host_topology *t;
	struct placement p = {};
	struct placement_score s;
	_cleanup_free_ char *e = NULL, *e2 = NULL;

	ok(h, "topo-amd2l3 loads");
	if (!h || host_topology(h, &t) < 0)
		return;
	ok(host_topology_cpu(t, 0)->l3 != host_topology_cpu(t, 4)->l3 &&
	       host_topology_cpu(t, 4)->l3 == host_topology_cpu(t, 15)->l3,
	   "two L3s: CPUs 0-3,8-11 and 4-7,12-15");
	is_int(place(h, 4, 2, 0, NULL, 0, &p), 0, "4x2: fills one L3");
	is_str(order(p.vcpu_pins, p.n_vcpu_pins), "4,12,5,13,6,14,7,15", "the L3 without CPU 0");
	e = fmt(p.emulator_cpus, p.n_emulator_cpus);
	is_str(e, "3,11", "emulator on the other L3, not CPU 0's core");
	ok(placement_score(t, 2, p.vcpu_pins, p.n_vcpu_pins, p.emulator_cpus, p.n_emulator_cpus, 0,
			   &s) == 0 &&
	       s.one_l3 == 4,
	   "inside one L3");
	placement_done(&p);
	is_int(place(h, 3, 2, 0, NULL, 0, &p), 0, "3x2");
	e2 = fmt(p.emulator_cpus, p.n_emulator_cpus);
	is_str(order(p.vcpu_pins, p.n_vcpu_pins), "5,13,6,14,7,15", "one L3's top cores");
	is_str(e2, "4,12", "emulator in the same L3");
	placement_done(&p);
	is_int(place(h, 6, 2, 0, NULL, 0, &p), 0, "6x2 spans both L3s");
	is_int(p.n_vcpu_pins, 12, "12 vCPUs");
	placement_done(&p);
}

static void test_unknown(void)
{
	_cleanup_path_cxt_ struct path_cxt *pc = NULL;
	_cleanup_host_ struct host *h = load("guide-server", &pc);
	struct placement p = {};

	ok(h, "guide-server loads");
	if (!h)
		return;
	is_int(place(h, 2, 2, 0, NULL, 0, &p), -ENODATA, "no cpuN topology: unknown");
	ok(p.error && strstr(p.error, "unknown"), "said so");
	placement_done(&p);
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/test-placement.%d", (int)getpid());
	test_xeon18();
	test_xeon2s();
	test_amd2l3();
	test_unknown();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		(void)!system(cmd);
	}
	return done_testing();
}
