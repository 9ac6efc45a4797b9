/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Topology-aware CPU placement: the one policy behind "vcpu-pins = auto" and
 * "emulator-cpus = auto" (docs/vm.md, "CPU placement"). Pure: a function of the host's
 * topology (shared/host.h, read once by host_load()) and the VM's shape; plan, vm command,
 * vm run and the libvirt export all see the same answer.
 *
 * The policy, in order:
 *  - whole host cores only: QEMU numbers a guest core's threads consecutively (vCPU
 *    core * threads + thread), so guest core N's threads go to the SMT siblings of one host
 *    core, in sibling order (a guest with more threads per core than the host takes several
 *    host cores per guest core);
 *  - on the NUMA node of the VM's device (req.node, the same rule as the memory's node,
 *    core/numa.h); without one, the node with the most free cores; when the node is too
 *    small, the node with the most free cores, and only then several nodes;
 *  - inside one L3 cache where the vCPUs fit in one (the fullest fitting L3 is kept for
 *    the VM: the fitting L3 with the fewest free cores, ties to the lower id);
 *  - never the core of CPU 0 (where the kernel's housekeeping runs) unless nothing else fits;
 *  - the highest-numbered free cores of that L3, in ascending order for guest cores 0, 1..;
 *  - the emulator thread and the iothreads on one more whole core of the same node, in the
 *    vCPUs' L3 when it has one left, never on a vCPU's core;
 *  - cores any other VM pins (req.taken) are not free.
 * Deterministic: the same topology and request give the same answer.
 */

#include <stdbool.h>
#include <stddef.h>

#include "shared/host.h"

struct placement_request {
	unsigned sockets, cores, threads; /* the guest's -smp shape */
	int node;			  /* the node to prefer (the VM's device), -1: none */
	bool vcpus;			  /* choose the vCPUs' CPUs (vcpu-pins = auto) */
	bool emulator;			  /* choose the emulator's (emulator-cpus = auto) */
	const unsigned *pinned;		  /* !vcpus: the vCPUs' explicit CPUs, in vCPU order */
	size_t n_pinned;
	const unsigned *taken; /* CPUs other VMs (or the explicit emulator-cpus) use */
	size_t n_taken;
};

struct placement {
	unsigned *vcpu_pins; /* host CPU of vCPU i; NULL unless req.vcpus */
	size_t n_vcpu_pins;
	unsigned *emulator_cpus; /* sorted; NULL unless req.emulator */
	size_t n_emulator_cpus;
	int node;    /* the node the vCPUs are on (the first, when they span several), -1 */
	char **why;  /* strv: one line per choice, for plan */
	char *error; /* on -ENOSPC/-ENODATA: why nothing was chosen */
};

/*
 * Place the VM. 0 and *ret filled; -ENODATA when the topology is unknown (no cpuN
 * topology), -ENOSPC when the host has too few free online cores, both with ret->error
 * set (ret must then still be freed with placement_done()); -ENOMEM.
 */
int placement_auto(const struct host_topology *t, const struct placement_request *req,
		   struct placement *ret);
void placement_done(struct placement *p);

/*
 * Check explicit vcpu-pins (in vCPU order) against the topology: a guest core whose threads
 * sit on two host cores, a vCPU on another node than node (>= 0), a vCPU sharing a core
 * with the emulator's CPUs. One warning line each into *warnings (strv, appended).
 * -ENOMEM only.
 */
int placement_check(const struct host_topology *t, unsigned threads, const unsigned *pins,
		    size_t n_pins, const unsigned *emulator, size_t n_emulator, int node,
		    char ***warnings);

/* Placement quality of pins (bench, plan): the four shares of guest cores. */
struct placement_score {
	size_t cores;	     /* guest cores */
	size_t siblings;     /* whose threads sit on one host core's SMT siblings */
	size_t on_node;	     /* whose CPUs are all on node (all of them when node < 0) */
	size_t one_l3;	     /* whose CPUs all share one L3 with the VM's first vCPU */
	size_t off_emulator; /* none of whose host cores runs the emulator */
};

/* Score pins of a guest with threads per core; 0, or -EINVAL when n_pins % threads. */
int placement_score(const struct host_topology *t, unsigned threads, const unsigned *pins,
		    size_t n_pins, const unsigned *emulator, size_t n_emulator, int node,
		    struct placement_score *ret);
