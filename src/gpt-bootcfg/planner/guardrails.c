/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cpulist.h"
#include "basic/proc-cmdline.h"
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "core/config.h"
#include "core/vm-options.h"
#include "features/reset.h"
#include "planner/disk-policy.h"
#include "planner/guardrails.h"
#include "planner/planner-internal.h"

uint64_t guard_host_reserve(uint64_t mem_total)
{
	uint64_t tenth = mem_total / 10;

	return tenth > GIB ? tenth : GIB;
}

static const struct config_section *vm_section(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->n_sections; i++)
		if (streq(c->sections[i].type, "vm") && c->sections[i].name &&
		    streq(c->sections[i].name, name))
			return &c->sections[i];
	return NULL;
}

/* Where a VM's memory is set: its memory key, or its section for the default. */
static void memory_pos(const struct config *c, const struct vm_config *vm, unsigned *line,
		       unsigned *col)
{
	const struct vm_options *o = vm_options(vm);
	const struct config_section *s = vm_section(c, vm->name);

	*line = o->memory_line ? o->memory_line : s ? s->line : 0;
	*col = o->memory_line ? o->memory_col : 0;
}

static int add_error(char ***l, char *msg)
{
	if (!msg || strv_consume(l, msg) < 0)
		return -ENOMEM;
	return 0;
}

/*
 * Each VM alone, and the autostarted VMs together (they start at boot, all of them), must
 * fit into MemTotal less the host's reserve: QEMU maps the whole memory of a VM with devices
 * passed through (VFIO pins it), so what does not fit is not swapped but fails or kills.
 */
static int guard_memory(const struct host *h, const struct config *c, struct guardrails *g)
{
	uint64_t reserve, avail, sum = 0;
	const struct vm_config *last = NULL;
	char t[32], a[32], rs[32], m[32];
	_cleanup_strv_free_ char **names = NULL;
	unsigned line, col;
	int r;

	if (!h->mem_total)
		return c->n_vms ? strv_add(&g->skips, "vm-memory: the host's memory is unknown "
						      "(no MemTotal in /proc/meminfo): the VMs' "
						      "memory is not checked against it")
				: 0;
	reserve = guard_host_reserve(h->mem_total);
	avail = h->mem_total > reserve ? h->mem_total - reserve : 0;
	plan_format_size(h->mem_total, t, sizeof(t));
	plan_format_size(avail, a, sizeof(a));
	plan_format_size(reserve, rs, sizeof(rs));

	for (size_t i = 0; i < c->n_vms; i++) {
		const struct vm_config *vm = c->vms[i];

		if (vm->autostart) {
			sum = sum + vm->memory < sum ? UINT64_MAX : sum + vm->memory;
			last = vm;
			if (strv_add(&names, vm->name) < 0)
				return -ENOMEM;
		}
		if (vm->memory <= avail)
			continue;
		plan_format_size(vm->memory, m, sizeof(m));
		memory_pos(c, vm, &line, &col);
		r = add_error(
		    &g->memory,
		    config_error(c, line, col,
				 "VM '%s': memory %s is more than this host can give a "
				 "VM: %s of its %s (MemTotal), as the host keeps %s (1 GiB "
				 "or 10 %%, whichever is more)",
				 vm->name, m, a, t, rs));
		if (r < 0)
			return r;
	}
	if (strv_length(names) < 2 || sum <= avail)
		return 0;
	{
		_cleanup_free_ char *list = strv_join(names, "', '");

		if (!list)
			return -ENOMEM;
		if (sum == UINT64_MAX)
			snprintf(m, sizeof(m), "more than 16 EiB");
		else
			plan_format_size(sum, m, sizeof(m));
		memory_pos(c, last, &line, &col);
		return add_error(
		    &g->memory,
		    config_error(c, line, col,
				 "the autostarted VMs ('%s') start together at boot "
				 "and need %s: more than this host can give its VMs: %s "
				 "of its %s (MemTotal), as the host keeps %s (1 GiB or "
				 "10 %%, whichever is more); set autostart = no on some",
				 list, m, a, t, rs));
	}
}

/*
 * isolate-cpus (yes: isolcpus=, nohz_full=, rcu_nocbs= at boot; dynamic: the slices while a
 * VM runs) takes the VMs' pinned CPUs, explicit or placed by vcpu-pins = auto: each must be
 * an online CPU of this host. The topology (cpuN/online) decides when the tree has it, the
 * kernel's online list otherwise; without either nothing is known and nothing is refused.
 */
static int guard_isolate(const struct host *h, const struct config *c, struct guardrails *g)
{
	const struct host_topology *t = NULL;
	_cleanup_free_ unsigned *online = NULL;
	size_t n_online = 0;
	const char *how = c->host.isolate_dynamic ? "dynamic" : "yes";
	int r;

	if (!c->host.isolate_cpus && !c->host.isolate_dynamic)
		return 0;
	if (host_topology(h, &t) < 0 || t->n_cpus == 0)
		t = NULL;
	if (!t && h->cpus_online && cpulist_parse(h->cpus_online, &online, &n_online) < 0)
		online = NULL, n_online = 0;
	if (!t && !online)
		return strv_add(&g->skips, "isolate-cpus: the host's online CPUs are unknown "
					   "(no /sys/devices/system/cpu/online): the pinned CPUs "
					   "are not checked against them");

	for (size_t i = 0; i < c->n_vms; i++) {
		const struct vm_config *vm = c->vms[i];
		const struct vm_options *o = vm_options(vm);

		for (size_t j = 0; j < vm->vcpu_pins.n; j++) {
			unsigned cpu = vm->vcpu_pins.cpus[j];
			const char *why = NULL;

			if (t) {
				const struct host_cpu *hc = host_topology_cpu(t, cpu);

				why = !hc	    ? "does not exist on"
				      : !hc->online ? "is offline on"
						    : NULL;
			} else {
				why = "is not online on";
				for (size_t k = 0; k < n_online; k++)
					if (online[k] == cpu)
						why = NULL;
			}
			if (!why)
				continue;
			r = add_error(&g->cpus,
				      config_error(c, o->vcpu_pins_line, o->vcpu_pins_col,
						   "VM '%s': vcpu-pins%s: CPU %u %s this host, and "
						   "isolate-cpus = %s would isolate it",
						   vm->name, vm->vcpu_pins_auto ? " = auto" : "",
						   cpu, why, how));
			if (r < 0)
				return r;
			break; /* one per VM is enough to fix it */
		}
	}
	return 0;
}

static bool module_eq(const char *a, const char *b, size_t b_len)
{
	size_t i = 0;

	for (; i < b_len && a[i]; i++)
		if (a[i] != b[i] && !((a[i] == '-' || a[i] == '_') && (b[i] == '-' || b[i] == '_')))
			return false;
	return !a[i] && i == b_len;
}

static bool passed_through(const struct config *c, const struct pci_device *d)
{
	for (size_t i = 0; i < c->n_devices; i++)
		if (pci_addr_cmp(&c->devices[i].addr, &d->addr) == 0)
			return true;
	return false;
}

/*
 * modprobe.blacklist= (modprobe's) and module_blacklist= (the kernel's) in [host] cmdline:
 * a module that drives a host device no VM takes (a [device] section) leaves the host
 * without its NIC, audio or disk controller after the next boot. The driver bound now, and
 * its module (host model), decide; a built-in driver cannot be blacklisted.
 */
static int guard_cmdline(const struct host *h, const struct config *c, struct guardrails *g)
{
	const struct config_entry *e = NULL;
	struct proc_cmdline_word w;
	const char *q;

	/* The one [host] section (a second is refused) and its one cmdline key. */
	for (size_t i = 0; i < c->n_sections; i++) {
		const struct config_entry *x;

		if (!streq(c->sections[i].type, "host") || c->sections[i].name)
			continue;
		x = config_section_get(&c->sections[i], "cmdline");
		if (x)
			e = x;
	}
	if (!e)
		return 0;
	q = e->value;
	while (proc_cmdline_next(&q, &w) > 0) {
		const char *v = w.value;
		size_t left = w.value_len;

		if (!v || (!proc_cmdline_key_eq(w.key, w.key_len, "modprobe.blacklist") &&
			   !proc_cmdline_key_eq(w.key, w.key_len, "module_blacklist")))
			continue;
		while (left > 0) {
			const char *comma = memchr(v, ',', left);
			size_t len = comma ? (size_t)(comma - v) : left;
			unsigned col = e->col_value + (unsigned)(v - e->value);

			for (size_t i = 0; len > 0 && i < h->n_pci; i++) {
				const struct pci_device *d = &h->pci[i];
				_cleanup_strbuf_ struct strbuf sb = {};
				int r;

				if (!d->driver_module || !module_eq(d->driver_module, v, len) ||
				    passed_through(c, d))
					continue;
				plan_describe_member(h, d, &sb);
				if (!strbuf_str(&sb))
					return -ENOMEM;
				r = add_error(
				    &g->cmdline,
				    config_error(
					c, e->line, col,
					"cmdline: '%.*s=%.*s' blacklists %s, which drives "
					"the host's %s; no [device] section passes that "
					"device to a VM, so the host would boot without its "
					"driver",
					(int)w.key_len, w.key, (int)w.value_len, w.value,
					d->driver_module, strbuf_str(&sb)));
				if (r < 0)
					return r;
			}
			v += len + (comma ? 1 : 0);
			left -= len + (comma ? 1 : 0);
		}
	}
	return 0;
}

int plan_guardrails(struct path_cxt *pc, const struct host *h, const struct config *c,
		    struct guardrails *ret)
{
	struct guardrails g = {};
	int r;

	r = vm_missing_files(pc, c, &g.files);
	if (r >= 0)
		r = guard_memory(h, c, &g);
	if (r >= 0)
		r = guard_isolate(h, c, &g);
	if (r >= 0)
		r = guard_cmdline(h, c, &g);
	if (r >= 0)
		r = reset_method_check(h, c, &g.reset);
	if (r < 0) {
		guardrails_done(&g);
		return r;
	}
	*ret = g;
	return 0;
}

bool guardrails_refuse(const struct guardrails *g)
{
	return strv_length(g->files) + strv_length(g->memory) + strv_length(g->cpus) +
		   strv_length(g->cmdline) + strv_length(g->reset) >
	       0;
}

void guardrails_done(struct guardrails *g)
{
	strv_free(g->files);
	strv_free(g->memory);
	strv_free(g->cpus);
	strv_free(g->cmdline);
	strv_free(g->reset);
	strv_free(g->skips);
	*g = (struct guardrails){};
}
