/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What "vm run" (and, in part, every vm verb) checks before QEMU starts: the CPUs, files
 * and disks named in [vm NAME], the devices' driver, the hugepage pool and its mount.
 * Each check logs its refusal with FILE:LINE:COL where the config file has one.
 */
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "basic/log.h"
#include "basic/parse-util.h"
#include "conf/vmconfig.h"
#include "planner/disk-policy.h"
#include "shared/host.h"
#include "vm/handover.h"
#include "vm/owners.h"
#include "vm/qemucmd.h"
#include "vm/preflight.h"

static int check_cpus(struct vm_ctx *x, const struct cpu_set_list *l, const char *key,
		      unsigned line, unsigned col, const struct cpu_set_list *online,
		      const char *online_str)
{
	for (size_t i = 0; i < l->n; i++)
		if (!cpulist_contains(online, l->cpus[i]))
			return log_error_errno(-EINVAL,
					       "%s:%u:%u: %s: CPU %u is not online on this host "
					       "(online: %s)",
					       vm_cfg_path(x), line, col, key, l->cpus[i],
					       online_str);
	return 0;
}

static int check_file(struct vm_ctx *x, const char *what, const char *p, unsigned line,
		      unsigned col)
{
	struct stat st;
	int r = path_stat(x->cli->pc, &st, "%s", p);

	if (r < 0) {
		if (line)
			return log_error_errno(r, "%s:%u:%u: %s '%s': %m", vm_cfg_path(x), line,
					       col, what, p);
		return log_error_errno(r, "%s '%s': %m", what, p);
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return log_error_errno(-EINVAL,
				       "%s:%u:%u: %s '%s' is neither a file nor a block device",
				       vm_cfg_path(x), line, col, what, p);
	return 0;
}

int vm_check_cpus(struct vm_ctx *x)
{
	const struct vm_options *o = vm_options(x->vm);
	/* The host model read online, or possible on trees without it (snapshots). */
	const char *cpus_file = x->host->cpus_online_path, *online_str = x->host->cpus_online;
	struct cpu_set_list online = {0};
	int r;

	if (!online_str)
		return log_error_errno(-ENOENT,
				       "Failed to read '/sys/devices/system/cpu/possible': %s",
				       strerror(ENOENT));
	r = cpulist_parse_ordered(online_str, &online);
	if (r < 0)
		return log_error_errno(r, "%s: invalid CPU list '%s'", cpus_file, online_str);
	r = check_cpus(x, &x->vm->vcpu_pins, "vcpu-pins", o->vcpu_pins_line, o->vcpu_pins_col,
		       &online, online_str);
	if (r >= 0)
		r = check_cpus(x, &x->vm->emulator_cpus, "emulator-cpus", o->emulator_cpus_line,
			       o->emulator_cpus_col, &online, online_str);
	free(online.cpus);
	return r;
}

int vm_check_files(struct vm_ctx *x)
{
	const struct vm_options *o = vm_options(x->vm);
	int r;

	for (size_t i = 0; i < o->n_disks; i++) {
		const struct vm_disk *d = &o->disks[i];

		if (d->nvme_host) {
			if (!host_find_pci_address(x->host, d->nvme_addr))
				return log_error_errno(-ENODEV,
						       "%s:%u:%u: disk: NVMe controller %s is not "
						       "present on this host",
						       vm_cfg_path(x), d->line, d->col,
						       d->nvme_addr);
			continue;
		}
		r = check_file(x, "disk", d->path, d->line, d->col);
		if (r < 0)
			return r;
	}
	STRV_FOREACH (cd, o->cdroms) {
		r = check_file(x, "cdrom", *cd, o->cdroms_line, o->cdroms_col);
		if (r < 0)
			return r;
	}
	if (o->firmware == VM_FIRMWARE_OVMF) {
		r = check_file(x, "OVMF firmware", x->in.ovmf_code ? x->in.ovmf_code : o->ovmf_code,
			       0, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

/* An input device QEMU's user gets: an evdev node, not what a planted link names. */
static int check_evdev(struct vm_ctx *x, const struct vm_host_path *hp)
{
	_cleanup_free_ char *canon = NULL, *why = NULL;
	struct stat st;
	int r;

	r = path_canonicalize(x->cli->pc, &canon, "%s", hp->path);
	if (r >= 0)
		r = path_lstat(x->cli->pc, &st, "%s", canon);
	if (r == -ENOENT)
		return 0; /* vm run says it is missing (vm_gaming_run_check()) */
	if (r >= 0)
		r = vm_handover_allowed(x->host, canon, &st, VM_HANDOVER_EVDEV, &why);
	if (r < 0 && why)
		return log_error_errno(r,
				       "%s:%u:%u: input '%s' (%s) is %s; refusing to give it to "
				       "VM '%s'",
				       vm_cfg_path(x), hp->line, hp->col, hp->path, canon, why,
				       x->vm->name);
	if (r < 0)
		return log_error_errno(r, "%s:%u:%u: input '%s': %m", vm_cfg_path(x), hp->line,
				       hp->col, hp->path);
	return 0;
}

/*
 * A disk, cdrom or any other path QEMU opens (vm_host_paths()) that is (a partition of) a
 * disk the host uses never reaches QEMU.
 */
int vm_check_host_disks(struct vm_ctx *x)
{
	_cleanup_free_ struct vm_host_path *paths = NULL;
	size_t n = 0;
	int r;

	r = vm_host_paths(x->vm, &paths, &n);
	if (r < 0)
		return log_oom();
	for (size_t i = 0; i < n; i++) {
		const struct vm_host_path *hp = &paths[i];
		_cleanup_free_ char *detail = NULL;

		r = vm_disk_host_use(x->host, hp->path, &detail);
		if (r < 0)
			return log_error_errno(r, "%s:%u:%u: %s '%s': %m", vm_cfg_path(x), hp->line,
					       hp->col, hp->key, hp->path);
		if (r == 0 && streq(hp->key, "input")) {
			r = check_evdev(x, hp);
			if (r < 0)
				return r;
			continue;
		}
		if (r > 0 && hp->line == 0)
			return log_error_errno(-EBUSY,
					       "%s: %s '%s' (the default) is a disk the host uses "
					       "(%s); refusing to give it to VM '%s'",
					       vm_cfg_path(x), hp->key, hp->path, detail,
					       x->vm->name);
		if (r > 0)
			return log_error_errno(-EBUSY,
					       "%s:%u:%u: %s '%s' is a disk the host uses (%s); "
					       "refusing to give it to VM '%s'",
					       vm_cfg_path(x), hp->line, hp->col, hp->key, hp->path,
					       detail, x->vm->name);
	}
	return 0;
}

int vm_check_vfio(struct vm_ctx *x)
{
	const struct vm_options *o = vm_options(x->vm);
	int bad = 0;

	for (size_t i = 0; i < x->n_pt; i++) {
		const struct pci_device *d = host_find_pci(x->host, &x->pt[i].addr);

		/* handover = yes: vm run moves it after the lock (vm/handover.h). */
		if (vm_handover_device(x, d))
			continue;
		if (!d->driver || !streq(d->driver, "vfio-pci")) {
			log_error(
			    "Device '%s' (%s) is on %s, not vfio-pci: run 'gpt-bootcfg status' "
			    "(was it claimed at boot?)",
			    x->pt[i].device, x->pt[i].address, d->driver ? d->driver : "no driver");
			bad++;
		}
	}
	for (size_t i = 0; i < o->n_disks; i++) {
		const struct pci_device *d;

		if (!o->disks[i].nvme_host)
			continue;
		d = host_find_pci_address(x->host, o->disks[i].nvme_addr);
		if (!d->driver || !streq(d->driver, "vfio-pci")) {
			log_error("NVMe controller %s (disk nvme://) is on %s, not vfio-pci",
				  o->disks[i].nvme_addr, d->driver ? d->driver : "no driver");
			bad++;
		}
	}
	return bad ? -EBUSY : 0;
}

/* The sysfs directory of the VM's hugepage size (for messages): of NUMA node node, or global. */
static int vm_hugepage_dir(struct vm_ctx *x, int node, char **ret)
{
	uint64_t kb = x->vm->hugepage_size >> 10;

	if (node >= 0)
		return asprintf(ret,
				"/sys/devices/system/node/node%d/hugepages/hugepages-%" PRIu64 "kB",
				node, kb) < 0
			   ? -ENOMEM
			   : 0;
	return asprintf(ret, "/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB", kb) < 0 ? -ENOMEM
											 : 0;
}

/* The pagesize= of hugetlbfs mount options ("rw,pagesize=1024M") in bytes; 0 if absent. */
static uint64_t mount_pagesize(const char *options)
{
	const char *p = options, *end;
	uint64_t v;

	for (;;) {
		p = strstr(p, "pagesize=");
		if (!p)
			return 0;
		if (p == options || p[-1] == ',')
			break;
		p++;
	}
	p += strlen("pagesize=");
	if (safe_atou64_prefix(p, 10, &v, &end) < 0 || v > (UINT64_C(1) << 34))
		return 0;
	switch (*end) {
	case 'K':
		return v << 10;
	case 'M':
		return v << 20;
	case 'G':
		return v << 30;
	default:
		return v;
	}
}

/*
 * QEMU backs the memory with whatever the file system under hugepage-mount gives: on
 * anything but hugetlbfs that is ordinary memory, and on a hugetlbfs of the other page
 * size the pages come from the other pool (one the check above did not look at).
 */
static int check_hugepage_mount(struct vm_ctx *x)
{
	const struct vm_config *vm = x->vm;
	const char *mp = vm_options(vm)->hugepage_mount;
	const struct mount_entry *m = host_find_mount(x->host, mp);
	uint64_t size;

	if (!m)
		return 0;
	if (!streq(m->fstype, "hugetlbfs"))
		return log_error_errno(-EINVAL,
				       "VM '%s': hugepage-mount '%s' is on %s (mounted on %s), not "
				       "hugetlbfs: QEMU would back its memory with ordinary pages; "
				       "mount a hugetlbfs there or set hugepage-mount",
				       vm->name, mp, m->fstype, m->target);
	size = mount_pagesize(m->options);
	if (size && size != vm->hugepage_size)
		return log_error_errno(
		    -EINVAL,
		    "VM '%s': hugepage-mount '%s' serves %" PRIu64 " MiB pages, not the %" PRIu64
		    " MiB of hugepage-size; the default size changes with "
		    "default_hugepagesz= at the next boot after 'gpt-bootcfg apply', "
		    "a second size needs its own mount (pagesize=)",
		    vm->name, mp, size >> 20, vm->hugepage_size >> 20);
	return 0;
}

int vm_check_hugepages(struct vm_ctx *x)
{
	const struct vm_config *vm = x->vm;
	int node = qemu_cmd_numa_node(&x->in);
	_cleanup_free_ char *dir = NULL, *where = NULL;
	const struct host_hugepages *hp;
	const struct hugepage_count *pool;
	uint64_t need, total, free_pages;
	int r;

	if (!vm->hugepage_size)
		return 0;
	need = vm->memory / vm->hugepage_size;
	r = vm_hugepage_dir(x, node, &dir);
	if (r < 0)
		return log_oom();
	if (node >= 0 ? asprintf(&where, " on NUMA node %d", node) < 0 : !(where = strdup("")))
		return log_oom();
	/* Read again: the pools are what they are after the prepare hooks (which may reserve
	 * pages), not at host_load(). */
	r = host_reload_hugepages(x->host);
	if (r < 0)
		return log_oom();
	r = host_hugepages(x->host, &hp);
	if (r < 0)
		return log_error_errno(r, "Failed to read the hugepage pools: %s",
				       host_last_error());
	pool = host_hugepage_count(hp, vm->hugepage_size, node);
	if (!pool)
		return log_error_errno(-ENOENT,
				       "The host has no %" PRIu64 " MiB hugepages%s ('%s' is "
				       "missing): run 'gpt-bootcfg apply' and reboot",
				       vm->hugepage_size >> 20, where, dir);
	total = pool->nr;
	free_pages = pool->free;
	if (total < need)
		return log_error_errno(
		    -ENOMEM,
		    "VM '%s' needs %" PRIu64 " MiB = %" PRIu64 " hugepages of %" PRIu64
		    " MiB, more than the hugepage pool%s (%" PRIu64
		    " pages, %s/nr_hugepages): run 'gpt-bootcfg apply' and reboot",
		    vm->name, vm->memory >> 20, need, vm->hugepage_size >> 20, where, total, dir);
	if (free_pages < need)
		return log_error_errno(-ENOMEM,
				       "VM '%s' needs %" PRIu64 " free hugepages of %" PRIu64
				       " MiB%s, but only %" PRIu64 " of %" PRIu64
				       " are free (%s/free_hugepages): is another VM running?",
				       vm->name, need, vm->hugepage_size >> 20, where, free_pages,
				       total, dir);
	/* The test overrides put the memory in a plain file (docs/vm.md, "Testing"). */
	return x->in.mem_path ? 0 : check_hugepage_mount(x);
}

int vm_load_checked(struct cli *cli, const char *name, struct vm_ctx *x)
{
	int r = vm_load(cli, name, x);

	if (r < 0)
		return r;
	r = vm_check_cpus(x);
	if (r < 0)
		return r;
	return vm_check_files(x);
}
