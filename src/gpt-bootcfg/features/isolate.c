/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * isolate-cpus = dynamic (features/isolate.h): the slices' AllowedCPUs=, the IRQ affinities
 * and the workqueue cpumask narrowed while a VM runs, recorded first and played back.
 */
#include <stdio.h>
#include <stdlib.h>

#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/macro.h"
#include "basic/parse-util.h"
#include "basic/spawn-util.h"
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "core/systemctl.h"
#include "core/vm-lock.h"
#include "core/vm-paths.h"
#include "features/isolate.h"

#define ISOLATE_LOCK	"cpus@isolate" /* an '@': no VM has that name */
#define ISOLATE_WAIT_MS (10 * 1000)
#define WQ_CPUMASK	"/sys/devices/virtual/workqueue/cpumask"

static const char *const units[] = {VM_ISOLATE_UNITS};

/* One record: the VM's vCPUs and the originals ("unit NAME VALUE", "irq N LIST", "wq MASK"). */
struct rec {
	unsigned *vcpus;
	size_t n_vcpus;
	char **orig; /* the record's other lines, as written */
};

static void rec_done(struct rec *r)
{
	free(r->vcpus);
	strv_free(r->orig);
	*r = (struct rec){};
}

int cpumask_format(const unsigned *cpus, size_t n, char **ret)
{
	_cleanup_free_ uint32_t *w = NULL;
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	size_t groups = 1;

	for (size_t i = 0; i < n; i++)
		if (cpus[i] / 32 + 1 > groups)
			groups = cpus[i] / 32 + 1;
	w = calloc(groups, sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		w[cpus[i] / 32] |= UINT32_C(1) << (cpus[i] % 32);
	for (size_t g = groups; g-- > 0;)
		strbuf_printf(&sb, g == groups - 1 ? "%x" : ",%08x", (unsigned)w[g]);
	if (!strbuf_str(&sb))
		return -ENOMEM;
	*ret = strdup(strbuf_str(&sb));
	return *ret ? 0 : -ENOMEM;
}

static int set_allowed(struct path_cxt *pc, const char *unit, const char *cpus)
{
	_cleanup_free_ char *prop = NULL;

	if (asprintf(&prop, "AllowedCPUs=%s", cpus) < 0)
		return -ENOMEM;
	return systemctl_run(pc, NULL, "set-property", "--runtime", unit, prop);
}

/* Write an IRQ's affinity; IRQs that refuse one (per-CPU, managed, gone) are left alone. */
static int set_irq(struct path_cxt *pc, const char *irq, const char *cpus)
{
	int r = path_write_string(pc, cpus, "/proc/irq/%s/smp_affinity_list", irq);

	return r == -EIO || r == -EINVAL || r == -ENOENT || r == -EPERM ? 0 : r;
}

/* The values as they are now, as record lines. */
static int read_current(struct path_cxt *pc, struct strbuf *out)
{
	_cleanup_strv_free_ char **irqs = NULL;
	_cleanup_free_ char *wq = NULL;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		_cleanup_free_ char *v = NULL;
		size_t l;

		r = systemctl_run(pc, &v, "show", "-P", "AllowedCPUs", units[i]);
		if (r < 0)
			return r;
		l = strlen(v);
		while (l > 0 && (v[l - 1] == '\n' || v[l - 1] == ' '))
			v[--l] = '\0';
		if (strchr(v, ' ') || strchr(v, '\n'))
			return -EBADMSG;
		strbuf_printf(out, "unit %s %s\n", units[i], *v ? v : "-");
	}
	r = path_list_dir(pc, &irqs, "/proc/irq");
	if (r < 0 && r != -ENOENT)
		return r;
	STRV_FOREACH (q, irqs) {
		_cleanup_free_ char *aff = NULL;
		unsigned n;

		if (safe_atou(*q, &n) < 0 ||
		    path_read_string(pc, &aff, "/proc/irq/%s/smp_affinity_list", *q) < 0 ||
		    cpulist_count(aff) < 0)
			continue;
		strbuf_printf(out, "irq %u %s\n", n, aff);
	}
	r = path_read_string(pc, &wq, WQ_CPUMASK);
	if (r >= 0 && *wq && !strchr(wq, ' '))
		strbuf_printf(out, "wq %s\n", wq);
	return strbuf_str(out) ? 0 : -ENOMEM;
}

static int parse_rec(char *text, struct rec *ret)
{
	struct rec r = {};
	char *save = NULL;

	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		const char *v = startswith(l, "vcpus ");

		if (v) {
			free(r.vcpus);
			r.vcpus = NULL;
			if (cpulist_parse(v, &r.vcpus, &r.n_vcpus) < 0) {
				rec_done(&r);
				return -EBADMSG;
			}
		} else if ((startswith(l, "unit ") || startswith(l, "irq ") ||
			    startswith(l, "wq ")) &&
			   strv_add(&r.orig, l) < 0) {
			rec_done(&r);
			return -ENOMEM;
		}
	}
	*ret = r;
	return 0;
}

static int read_rec(struct path_cxt *pc, const char *name, struct rec *ret)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = path_read_full(pc, &text, NULL, VM_ISOLATE_RECORD, name);
	if (r < 0)
		return r;
	return parse_rec(text, ret);
}

/* The other VMs' records: their vCPUs together, and the first one's originals. */
static int load_others(struct path_cxt *pc, const char *self, unsigned **held, size_t *n_held,
		       char ***orig)
{
	_cleanup_strv_free_ char **names = NULL;
	int r;

	r = path_list_dir(pc, &names, VM_RUN_DIR);
	if (r < 0 && r != -ENOENT)
		return r;
	STRV_FOREACH (n, names) {
		_cleanup_free_ char *vm = NULL;
		const char *dot = strrchr(*n, '.');
		struct rec rec = {};
		unsigned *m;

		if (**n == '.' || !dot || !streq(dot, ".isolate"))
			continue;
		vm = strndup(*n, (size_t)(dot - *n));
		if (!vm)
			return -ENOMEM;
		/* One that cannot be read is that VM's own run or stop to refuse. */
		if (streq(vm, self) || read_rec(pc, vm, &rec) < 0)
			continue;
		m = reallocarray(*held, *n_held + rec.n_vcpus + 1, sizeof(unsigned));
		if (!m) {
			rec_done(&rec);
			return -ENOMEM;
		}
		*held = m;
		for (size_t i = 0; i < rec.n_vcpus; i++)
			m[(*n_held)++] = rec.vcpus[i];
		if (!*orig && rec.orig)
			*orig = TAKE_PTR(rec.orig);
		rec_done(&rec);
	}
	return 0;
}

/* online minus the CPUs of a and b. */
static int host_cpus(const char *online, const unsigned *a, size_t na, const unsigned *b, size_t nb,
		     unsigned **ret, size_t *ret_n)
{
	_cleanup_free_ unsigned *all = NULL;
	size_t n = 0, k = 0;
	int r;

	r = cpulist_parse(online, &all, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		bool out = false;

		for (size_t j = 0; j < na && !out; j++)
			out = a[j] == all[i];
		for (size_t j = 0; j < nb && !out; j++)
			out = b[j] == all[i];
		if (!out)
			all[k++] = all[i];
	}
	*ret = TAKE_PTR(all);
	*ret_n = k;
	return 0;
}

/* Narrow everything the record lines name to cpus (a CPU list). */
static int narrow(struct path_cxt *pc, char *const *orig, const unsigned *cpus, size_t n,
		  char **ret_what)
{
	_cleanup_free_ char *list = NULL, *mask = NULL;
	int r;

	r = cpulist_format(cpus, n, &list);
	if (r >= 0)
		r = cpumask_format(cpus, n, &mask);
	if (r < 0)
		return r;
	STRV_FOREACH (l, orig) {
		char what[64] = "";

		if (sscanf(*l, "unit %63s", what) == 1)
			r = set_allowed(pc, what, list);
		else if (sscanf(*l, "irq %63s", what) == 1)
			r = set_irq(pc, what, list);
		else if (startswith(*l, "wq "))
			r = path_write_string(pc, mask, WQ_CPUMASK);
		if (r < 0) {
			*ret_what = strdup(*l);
			return r;
		}
	}
	return 0;
}

/* Give the record lines' values back. */
static int give_back(struct path_cxt *pc, char *const *orig, char **ret_what)
{
	int r = 0;

	STRV_FOREACH (l, orig) {
		char what[64], value[8192];

		if (sscanf(*l, "unit %63s %8191s", what, value) == 2)
			r = set_allowed(pc, what, streq(value, "-") ? "" : value);
		else if (sscanf(*l, "irq %63s %8191s", what, value) == 2)
			r = set_irq(pc, what, value);
		else if (sscanf(*l, "wq %8191s", value) == 1) {
			r = path_write_string(pc, value, WQ_CPUMASK);
			if (r == -ENOENT)
				r = 0;
		}
		if (r < 0) {
			*ret_what = strdup(*l);
			return r;
		}
	}
	return 0;
}

static int restore_locked(struct path_cxt *pc, const char *name, const char *online,
			  char **ret_what)
{
	_cleanup_free_ unsigned *held = NULL, *cpus = NULL;
	_cleanup_strv_free_ char **other_orig = NULL;
	_cleanup_free_ char *record = NULL;
	struct rec rec = {};
	size_t n_held = 0, n = 0;
	int r;

	if (asprintf(&record, VM_ISOLATE_RECORD, name) < 0)
		return -ENOMEM;
	r = read_rec(pc, name, &rec);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		*ret_what = TAKE_PTR(record);
		return r;
	}
	r = load_others(pc, name, &held, &n_held, &other_orig);
	if (r >= 0 && other_orig) {
		/* Another VM still runs: the host keeps off its vCPUs only. */
		r = host_cpus(online, held, n_held, NULL, 0, &cpus, &n);
		if (r >= 0)
			r = narrow(pc, rec.orig, cpus, n, ret_what);
	} else if (r >= 0)
		r = give_back(pc, rec.orig, ret_what);
	rec_done(&rec);
	if (r < 0)
		return r;
	r = path_unlink_durable(pc, record);
	if (r < 0 && r != -ENOENT) {
		*ret_what = TAKE_PTR(record);
		return r;
	}
	return 1;
}

static int take_lock(struct path_cxt *pc, char **ret_what)
{
	int lock = vm_lock_wait(pc, ISOLATE_LOCK, ISOLATE_WAIT_MS);

	if (lock < 0 && asprintf(ret_what, VM_RUN_DIR "/%s.lock", ISOLATE_LOCK) < 0)
		return -ENOMEM;
	return lock;
}

int vm_isolate_restore(struct path_cxt *pc, const char *name, const char *online, char **ret_what)
{
	_cleanup_close_ int lock = take_lock(pc, ret_what);

	if (lock < 0)
		return lock;
	return restore_locked(pc, name, online, ret_what);
}

int vm_isolate_apply(struct path_cxt *pc, const char *name, const struct cpu_set_list *vcpus,
		     const char *online, char **ret_what)
{
	_cleanup_strbuf_ struct strbuf rec = STRBUF_INIT;
	_cleanup_free_ unsigned *held = NULL, *cpus = NULL;
	_cleanup_strv_free_ char **orig = NULL, **mine = NULL;
	_cleanup_free_ char *record = NULL, *list = NULL, *ignored = NULL;
	_cleanup_close_ int lock = -1;
	size_t n_held = 0, n = 0;
	int r;

	if (asprintf(&record, VM_ISOLATE_RECORD, name) < 0)
		return -ENOMEM;
	lock = take_lock(pc, ret_what);
	if (lock < 0)
		return lock;
	r = load_others(pc, name, &held, &n_held, &orig);
	if (r < 0)
		return r;
	r = host_cpus(online, vcpus->cpus, vcpus->n, held, n_held, &cpus, &n);
	if (r < 0)
		return r;
	if (n == 0)
		return -EINVAL;
	r = cpulist_format(vcpus->cpus, vcpus->n, &list);
	if (r < 0)
		return r;
	strbuf_printf(&rec, "vcpus %s\n", list);
	if (orig) {
		/* Another VM narrowed them: its record holds the originals. */
		STRV_FOREACH (l, orig)
			strbuf_printf(&rec, "%s\n", *l);
	} else {
		r = read_current(pc, &rec);
		if (r < 0) {
			*ret_what = strdup("systemctl show -P AllowedCPUs");
			return r;
		}
	}
	if (!strbuf_str(&rec))
		return -ENOMEM;
	r = path_mkdir_p(pc, VM_RUN_DIR, 0755);
	if (r >= 0)
		r = path_write_atomic(pc, record, strbuf_str(&rec), strlen(strbuf_str(&rec)), 0644);
	if (r < 0) {
		*ret_what = TAKE_PTR(record);
		return r;
	}
	{
		/* The lines just written, parsed back: what narrow() changes is what is recorded.
		 */
		struct rec parsed = {};
		_cleanup_free_ char *copy = strdup(strbuf_str(&rec));

		r = copy ? parse_rec(copy, &parsed) : -ENOMEM;
		mine = TAKE_PTR(parsed.orig);
		rec_done(&parsed);
	}
	if (r >= 0)
		r = narrow(pc, mine, cpus, n, ret_what);
	if (r < 0)
		/* Undo; a failing undo keeps the record for vm stop or the next run. */
		(void)restore_locked(pc, name, online, &ignored);
	return r;
}

/*
 * A runner below one of the narrowed units (a shell's user.slice session, a service of
 * system.slice) would put QEMU there too: cgroup v2 confines a child to its parent's CPUs,
 * so the vCPU threads could not run on their own CPUs. The package's unit runs in
 * machine.slice. /proc/self/cgroup's unified line ("0::/PATH") says where this process is;
 * without it (cgroup v1 only, a --root tree without the file) there is nothing to check.
 */
static int isolate_run_check(const struct feature_run *fr)
{
	_cleanup_free_ char *text = NULL;
	const char *cg = NULL;
	char *save = NULL;
	int r;

	if (!fr->host || !fr->host->isolate_dynamic || !fr->vm->vcpu_pins.n)
		return 0;
	r = path_read_full(fr->pc, &text, NULL, "/proc/self/cgroup");
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return log_error_errno(r, "Failed to read /proc/self/cgroup: %m");
	for (char *l = strtok_r(text, "\n", &save); l && !cg; l = strtok_r(NULL, "\n", &save))
		cg = startswith(l, "0::");
	if (!cg)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		const char *rest = startswith(cg + (*cg == '/'), units[i]);

		if (rest && (*rest == '\0' || *rest == '/'))
			return log_error_errno(
			    -EPERM,
			    "isolate-cpus = dynamic: this vm run is in cgroup %s, below %s, "
			    "which is kept off VM '%s''s CPUs while it runs: its vCPU threads "
			    "could not run there; start it as a service: systemctl start "
			    "gpt-bootcfg-vm@%s (in machine.slice)",
			    cg, units[i], fr->vm->name, fr->vm->name);
	}
	return 0;
}

static int isolate_run_start(const struct feature_run *fr)
{
	_cleanup_free_ char *what = NULL, *list = NULL;
	int r;

	if (!fr->host || !fr->host->isolate_dynamic || !fr->vm->vcpu_pins.n)
		return 0;
	if (!fr->cpus_online)
		return log_error_errno(
		    -ENODATA, "isolate-cpus = dynamic: the host's online CPUs are unknown");
	r = vm_isolate_apply(fr->pc, fr->vm->name, &fr->vm->vcpu_pins, fr->cpus_online, &what);
	if (r == -EINVAL)
		return log_error_errno(
		    r,
		    "isolate-cpus = dynamic: the VMs' vCPUs would leave the host "
		    "no CPU of %s",
		    fr->cpus_online);
	if (r < 0)
		return log_error_errno(r, "Failed to keep the host off VM '%s''s CPUs (%s): %m",
				       fr->vm->name, what ? what : "?");
	if (cpulist_format(fr->vm->vcpu_pins.cpus, fr->vm->vcpu_pins.n, &list) < 0)
		return log_oom();
	log_info("VM '%s': the host's slices, IRQs and workqueues kept off CPUs %s (the previous "
		 "values in " VM_ISOLATE_RECORD ").",
		 fr->vm->name, list, fr->vm->name);
	return 0;
}

static void isolate_run_stop(const struct feature_run *fr)
{
	_cleanup_free_ char *what = NULL;
	int r;

	if (!fr->cpus_online)
		return;
	r = vm_isolate_restore(fr->pc, fr->vm->name, fr->cpus_online, &what);
	if (r < 0)
		log_error_errno(r,
				"Failed to give the host back VM '%s''s CPUs (%s): %m (recorded "
				"in " VM_ISOLATE_RECORD ")",
				fr->vm->name, what ? what : "?", fr->vm->name);
	else if (r > 0)
		log_info("VM '%s': the host's slices, IRQs and workqueues have their CPUs back.",
			 fr->vm->name);
}

const struct feature_ops feature_isolate = {
    .name = "isolate",
    .run_check = isolate_run_check,
    .run_start = isolate_run_start,
    .run_stop = isolate_run_stop,
};
