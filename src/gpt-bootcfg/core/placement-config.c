/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>

#include "basic/strv-util.h"
#include "core/numa.h"
#include "core/placement-config.h"
#include "core/placement.h"
#include "core/vm-options.h"

struct dev_nodes {
	const struct config *c;
	const struct host *h;
	const struct vm_config *vm;
};

static int device_node(size_t i, const void *userdata)
{
	const struct dev_nodes *d = userdata;
	const struct device_config *dc = config_find_device(d->c, d->vm->devices[i]);
	const struct pci_device *pd = dc ? host_find_pci(d->h, &dc->addr) : NULL;

	return pd ? pd->numa_node : -1;
}

/* The node the VM's memory comes from (core/numa.h), which its vCPUs follow. */
static int vm_node(const struct config *c, const struct host *h, const struct vm_config *vm)
{
	struct dev_nodes d = {.c = c, .h = h, .vm = vm};

	return vm_numa_node(vm_options(vm)->numa_node, strv_length(vm->devices), device_node, &d);
}

static int add_cpus(unsigned **l, size_t *n, const unsigned *cpus, size_t k)
{
	unsigned *m = reallocarray(*l, *n + k + 1, sizeof(unsigned));

	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < k; i++)
		m[(*n)++] = cpus[i];
	*l = m;
	return 0;
}

/* Explicit CPUs must be online CPUs of this host, when its topology is known. */
static int check_online(const struct config *c, const struct host_topology *t,
			const struct cpu_set_list *l, const char *key, unsigned line, unsigned col,
			char **ret_error)
{
	if (t->n_cpus == 0)
		return 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct host_cpu *cpu = host_topology_cpu(t, l->cpus[i]);

		if (!cpu)
			return config_fail_at(c, line, col, ret_error,
					      "%s: CPU %u does not exist on this host (CPUs 0-%u)",
					      key, l->cpus[i], t->cpus[t->n_cpus - 1].id);
		if (!cpu->online)
			return config_fail_at(c, line, col, ret_error,
					      "%s: CPU %u is offline on this host", key,
					      l->cpus[i]);
	}
	return 0;
}

static int place_one(struct config *c, const struct host *h, const struct host_topology *t,
		     struct vm_config *vm, unsigned **taken, size_t *n_taken, char **ret_error)
{
	struct vm_options *o = vm->options;
	struct placement_request req = {
	    .sockets = vm->sockets,
	    .cores = vm->cores,
	    .threads = vm->threads,
	    .node = vm_node(c, h, vm),
	    .vcpus = vm->vcpu_pins_auto,
	    .emulator = vm->emulator_cpus_auto,
	    .pinned = vm->vcpu_pins.cpus,
	    .n_pinned = vm->vcpu_pins_auto ? 0 : vm->vcpu_pins.n,
	    .taken = *taken,
	    .n_taken = *n_taken,
	};
	struct placement p = {};
	int r;

	r = placement_auto(t, &req, &p);
	if (r == -ENODATA || r == -ENOSPC) {
		bool v = vm->vcpu_pins_auto;

		r = config_fail_at(c, v ? o->vcpu_pins_line : o->emulator_cpus_line,
				   v ? o->vcpu_pins_col : o->emulator_cpus_col, ret_error,
				   "%s = auto: %s", v ? "vcpu-pins" : "emulator-cpus", p.error);
	}
	if (r >= 0 && vm->vcpu_pins_auto) {
		free(vm->vcpu_pins.cpus);
		vm->vcpu_pins.n = p.n_vcpu_pins;
		vm->vcpu_pins.cpus = TAKE_PTR(p.vcpu_pins);
		r = add_cpus(taken, n_taken, vm->vcpu_pins.cpus, vm->vcpu_pins.n);
	}
	if (r >= 0 && vm->emulator_cpus_auto) {
		free(vm->emulator_cpus.cpus);
		vm->emulator_cpus.n = p.n_emulator_cpus;
		vm->emulator_cpus.cpus = TAKE_PTR(p.emulator_cpus);
		r = add_cpus(taken, n_taken, vm->emulator_cpus.cpus, vm->emulator_cpus.n);
	}
	if (r >= 0) {
		/* The memory follows the vCPUs when no device decides (hugepages per node). */
		if (vm->vcpu_pins_auto && o->numa_node == VM_NUMA_NODE_AUTO && req.node < 0 &&
		    p.node >= 0 && h->n_nodes_online > 1)
			o->numa_node = p.node;
		strv_free(vm->placement_why);
		vm->placement_why = TAKE_PTR(p.why);
	}
	placement_done(&p);
	return r;
}

int config_place_cpus(struct config *c, const struct host *h, char ***warnings, char **ret_error)
{
	_cleanup_free_ unsigned *taken = NULL;
	const struct host_topology *t;
	static const struct host_topology none = {};
	size_t n_taken = 0;
	int r;

	/* Unreadable topology: as unknown; the auto VMs say so. */
	if (host_topology(h, &t) < 0)
		t = &none;
	for (size_t i = 0; i < c->n_vms; i++) {
		struct vm_config *vm = c->vms[i];
		const struct vm_options *o = vm_options(vm);

		if (!vm->vcpu_pins_auto) {
			r = check_online(c, t, &vm->vcpu_pins, "vcpu-pins", o->vcpu_pins_line,
					 o->vcpu_pins_col, ret_error);
			if (r >= 0)
				r = add_cpus(&taken, &n_taken, vm->vcpu_pins.cpus, vm->vcpu_pins.n);
			if (r < 0)
				return r;
		}
		if (!vm->emulator_cpus_auto) {
			r = check_online(c, t, &vm->emulator_cpus, "emulator-cpus",
					 o->emulator_cpus_line, o->emulator_cpus_col, ret_error);
			if (r >= 0)
				r = add_cpus(&taken, &n_taken, vm->emulator_cpus.cpus,
					     vm->emulator_cpus.n);
			if (r < 0)
				return r;
		}
	}
	for (size_t i = 0; i < c->n_vms; i++) {
		struct vm_config *vm = c->vms[i];
		_cleanup_strv_free_ char **w = NULL;

		if (vm->vcpu_pins_auto || vm->emulator_cpus_auto) {
			r = place_one(c, h, t, vm, &taken, &n_taken, ret_error);
			if (r < 0)
				return r;
		}
		if (!warnings || vm->vcpu_pins_auto)
			continue;
		r = placement_check(t, vm->threads, vm->vcpu_pins.cpus, vm->vcpu_pins.n,
				    vm->emulator_cpus.cpus, vm->emulator_cpus.n, vm_node(c, h, vm),
				    &w);
		if (r < 0)
			return r;
		STRV_FOREACH (s, w)
			if (strv_addf(warnings, "VM '%s': %s", vm->name, *s) < 0)
				return -ENOMEM;
	}
	return 0;
}
