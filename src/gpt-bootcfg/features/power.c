/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * [host] cpu-governor and max-cstate (vm-power.h): the keys, the governor of the VM's
 * pinned CPUs set record-first and played back, and the C-state kernel parameters.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "basic/cpulist.h"
#include "basic/fileio.h"
#include "basic/macro.h"
#include "basic/parse-util.h"
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "core/qemu-input.h"
#include "core/vm-lock.h"
#include "core/vm-paths.h"
#include "features/power.h"

#define CPUFREQ "/sys/devices/system/cpu/cpu%u/cpufreq/%s"

/* The deepest C-state number max-cstate takes (intel_idle's CPUIDLE_STATE_MAX is 10). */
#define MAX_CSTATE 9

/* cpufreq governor names: CPUFREQ_NAME_LEN is 16 with the NUL. */
static bool governor_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 15)
		return false;
	for (const char *p = s; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_')
			return false;
	return true;
}

int host_power_parse_key(const struct config *c, const struct config_entry *e,
			 struct host_config *h, char **ret_error)
{
	const char *v = e->value;
	unsigned u;

	if (streq(e->key, "cpu-governor")) {
		char *g;

		if (!governor_name_valid(v)) {
			*ret_error = config_error(c, e->line, e->col_value,
						  "cpu-governor: invalid governor name '%s' (e.g. "
						  "performance, schedutil, ondemand)",
						  v);
			return *ret_error ? -EINVAL : -ENOMEM;
		}
		g = strdup(v);
		if (!g)
			return -ENOMEM;
		free(h->cpu_governor);
		h->cpu_governor = g;
		h->cpu_governor_line = e->line;
		h->cpu_governor_col = e->col_value;
		return 1;
	}
	if (streq(e->key, "max-cstate")) {
		if (parse_uint(v, MAX_CSTATE, &u) < 0) {
			*ret_error =
			    config_error(c, e->line, e->col_value,
					 "max-cstate: expected a C-state from 0 to %u, not "
					 "'%s'",
					 MAX_CSTATE, v);
			return *ret_error ? -EINVAL : -ENOMEM;
		}
		h->has_max_cstate = true;
		h->max_cstate = u;
		return 1;
	}
	return 0;
}

int host_power_check(const struct config *c, const struct config_section *s,
		     const struct host_config *h, char **ret_error)
{
	const struct config_entry *mc = config_section_get(s, "max-cstate");
	const struct config_entry *cl = config_section_get(s, "cmdline");

	if (!h->has_max_cstate || !mc || !cl)
		return 0;
	STRV_FOREACH (w, h->extra_cmdline)
		if (startswith(*w, "intel_idle.max_cstate=") ||
		    startswith(*w, "processor.max_cstate=")) {
			/* Two values for one parameter: the kernel would take the last one. */
			*ret_error =
			    config_error(c, mc->line, mc->col_value,
					 "max-cstate: cmdline (line %u) sets '%s' too; keep "
					 "one of them",
					 cl->line, *w);
			return *ret_error ? -EINVAL : -ENOMEM;
		}
	return 0;
}

int host_power_cstate_params(const struct host_config *h, const char *cpu_vendor,
			     char ***ret_params, char ***ret_whys)
{
	_cleanup_strv_free_ char **params = calloc(1, sizeof(char *));
	_cleanup_strv_free_ char **whys = calloc(1, sizeof(char *));
	bool amd = streq_ptr(cpu_vendor, "AuthenticAMD") || streq_ptr(cpu_vendor, "HygonGenuine");
	int r;

	if (!params || !whys)
		return -ENOMEM;
	if (h->has_max_cstate && !amd) {
		/*
		 * intel_idle drives idle on Intel CPUs and ignores every other vendor; 0 turns
		 * it off, and idle falls to ACPI's driver (limited below).
		 */
		r = strv_addf(&params, "intel_idle.max_cstate=%u", h->max_cstate);
		if (r >= 0)
			r = strv_addf(
			    &whys, "[host] max-cstate: %s (intel_idle, Intel's idle driver%s)",
			    h->max_cstate == 0 ? "intel_idle off, the vCPUs' host CPUs wake "
						 "without deep-sleep exit latency"
					       : "no deeper C-state on any CPU",
			    cpu_vendor ? "" : "; CPU vendor unknown, harmless on AMD");
		if (r < 0)
			return r;
	}
	if (h->has_max_cstate) {
		r = strv_addf(&params, "processor.max_cstate=%u", h->max_cstate);
		if (r >= 0)
			r = strv_addf(&whys,
				      "[host] max-cstate: the same limit for ACPI's processor idle "
				      "driver%s%s",
				      amd ? " (AMD CPUs idle through it)"
					  : " (used without intel_idle)",
				      h->max_cstate == 0 ? "; it never goes below C1" : "");
		if (r < 0)
			return r;
	}
	*ret_params = TAKE_PTR(params);
	*ret_whys = TAKE_PTR(whys);
	return 0;
}

/* ---- the governor of the VM's CPUs ---- */

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

int vm_power_cpus(const struct vm_config *vm, unsigned **ret, size_t *ret_n)
{
	size_t n = 0, total = vm->vcpu_pins.n + vm->emulator_cpus.n;
	_cleanup_free_ unsigned *l = calloc(total ? total : 1, sizeof(unsigned));

	if (!l)
		return -ENOMEM;
	for (size_t i = 0; i < vm->vcpu_pins.n; i++)
		l[n++] = vm->vcpu_pins.cpus[i];
	for (size_t i = 0; i < vm->emulator_cpus.n; i++)
		l[n++] = vm->emulator_cpus.cpus[i];
	qsort(l, n, sizeof(unsigned), cmp_unsigned);
	/* vm_config_parse() refuses an emulator CPU that runs a vCPU; be safe anyway. */
	if (n) {
		size_t j = 1;

		for (size_t i = 1; i < n; i++)
			if (l[i] != l[j - 1])
				l[j++] = l[i];
		n = j;
	}
	*ret = TAKE_PTR(l);
	*ret_n = n;
	return 0;
}

/* The first word of a sysfs value ("performance\n"). */
static void chomp(char *s)
{
	s[strcspn(s, " \t\n")] = '\0';
}

int vm_power_check(struct path_cxt *pc, const struct vm_config *vm, const char *governor,
		   char **ret_why)
{
	_cleanup_free_ unsigned *cpus = NULL;
	size_t n = 0;
	int r;

	*ret_why = NULL;
	r = vm_power_cpus(vm, &cpus, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *avail = NULL, *cur = NULL;
		_cleanup_strv_free_ char **l = NULL;
		bool found = false;

		r = path_read_string(pc, &cur, CPUFREQ, cpus[i], "scaling_governor");
		if (r == -ENOENT) {
			if (asprintf(ret_why,
				     "cpu-governor = %s, but CPU %u has no cpufreq policy "
				     "(/sys/devices/system/cpu/cpu%u/cpufreq/scaling_governor): "
				     "no frequency scaling driver runs it; remove cpu-governor",
				     governor, cpus[i], cpus[i]) < 0)
				return -ENOMEM;
			return r;
		}
		if (r < 0)
			return r;
		r = path_read_string(pc, &avail, CPUFREQ, cpus[i], "scaling_available_governors");
		if (r < 0 && r != -ENOENT)
			return r;
		if (avail) {
			r = split_words(avail, WHITESPACE, &l);
			if (r < 0)
				return r;
			STRV_FOREACH (g, l)
				found = found || streq(*g, governor);
		}
		if (!found) {
			_cleanup_free_ char *offered =
			    l && l[0] ? strv_join(l, " ") : strdup("none");

			if (!offered || asprintf(ret_why,
						 "cpu-governor = %s is not available on CPU %u "
						 "(scaling_available_governors: %s)",
						 governor, cpus[i], offered) < 0)
				return -ENOMEM;
			return -EINVAL;
		}
	}
	return 0;
}

/* Write one governor, a fault point first (the crash tests kill the runner there). */
static int set_governor(struct path_cxt *pc, unsigned cpu, const char *governor)
{
	char p[96];
	int r;

	snprintf(p, sizeof(p), CPUFREQ, cpu, "scaling_governor");
	r = fault_point("governor", p);
	if (r < 0)
		return r;
	return path_write_string(pc, governor, "%s", p);
}

/* One "CPU GOVERNOR" line of the record; -EBADMSG on anything else. */
static int parse_record_line(char *line, unsigned *ret_cpu, char **ret_gov)
{
	char *sp = strchr(line, ' ');
	unsigned cpu;

	if (!sp)
		return -EBADMSG;
	*sp = '\0';
	if (parse_uint(line, CPULIST_MAX_CPU, &cpu) < 0 || !governor_name_valid(sp + 1))
		return -EBADMSG;
	*ret_cpu = cpu;
	*ret_gov = sp + 1;
	return 0;
}

/* The governors the other VMs' records hold: CPU i has govs[i], NULL when none holds it. */
struct held {
	char **govs;
	size_t n;
};

static void held_done(struct held *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->govs[i]);
	free(h->govs);
	*h = (struct held){0};
}

static const char *held_gov(const struct held *h, unsigned cpu)
{
	return cpu < h->n ? h->govs[cpu] : NULL;
}

static int held_add(struct held *h, unsigned cpu, const char *gov)
{
	if (cpu >= h->n) {
		char **n = realloc(h->govs, (cpu + 1) * sizeof(char *));

		if (!n)
			return -ENOMEM;
		for (size_t i = h->n; i <= cpu; i++)
			n[i] = NULL;
		h->govs = n;
		h->n = cpu + 1;
	}
	/* The first record read wins: each holds the same original (see vm_power_apply()). */
	if (!h->govs[cpu]) {
		h->govs[cpu] = strdup(gov);
		if (!h->govs[cpu])
			return -ENOMEM;
	}
	return 0;
}

/*
 * Every record but that of VM self. A record exists from before a VM's first governor write
 * until all of its CPUs are given back, so its CPUs are held by a VM that runs (or whose
 * runner was killed and whose record is not played back yet). One that cannot be read or
 * parsed is not counted: it is that VM's own run or stop that refuses it.
 */
static int held_load(struct path_cxt *pc, const char *self, struct held *ret)
{
	_cleanup_strv_free_ char **names = NULL;
	struct held h = {0};
	int r;

	r = path_list_dir(pc, &names, VM_RUN_DIR);
	if (r < 0 && r != -ENOENT)
		return r;
	STRV_FOREACH (n, names) {
		_cleanup_free_ char *text = NULL, *vm = NULL;
		const char *dot = strrchr(*n, '.');
		char *save = NULL;

		if (**n == '.' || !dot || !streq(dot, ".cpufreq"))
			continue;
		vm = strndup(*n, (size_t)(dot - *n));
		if (!vm) {
			held_done(&h);
			return -ENOMEM;
		}
		if (streq(vm, self) || path_read_full(pc, &text, NULL, VM_RUN_DIR "/%s", *n) < 0)
			continue;
		for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			unsigned cpu;
			char *gov;

			if (parse_record_line(l, &cpu, &gov) < 0)
				continue;
			r = held_add(&h, cpu, gov);
			if (r < 0) {
				held_done(&h);
				return r;
			}
		}
	}
	*ret = h;
	return 0;
}

/*
 * Records of several VMs are read and written under one lock, so two runners starting or
 * ending together see each other's records whole. The lock's name has an '@', which no
 * VM name has.
 */
#define GOVERNORS_LOCK	  "cpufreq@governors"
#define GOVERNORS_WAIT_MS (10 * 1000)

static int restore_locked(struct path_cxt *pc, const char *name, char **ret_what)
{
	_cleanup_free_ char *record = NULL, *text = NULL;
	struct held held = {0};
	char *save = NULL;
	int r, first = 0;

	if (asprintf(&record, VM_POWER_RECORD, name) < 0)
		return -ENOMEM;
	r = path_read_full(pc, &text, NULL, "%s", record);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		*ret_what = TAKE_PTR(record);
		return r;
	}
	r = held_load(pc, name, &held);
	if (r < 0) {
		*ret_what = TAKE_PTR(record);
		return r;
	}
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		unsigned cpu;
		char *gov;

		r = parse_record_line(l, &cpu, &gov);
		if (r < 0) {
			held_done(&held);
			*ret_what = TAKE_PTR(record);
			return r;
		}
		/* Another VM still runs on it: its record gives the original back later. */
		if (held_gov(&held, cpu))
			continue;
		r = set_governor(pc, cpu, gov);
		/* An offline CPU has no policy now; it keeps its own when it comes back. */
		if (r < 0 && r != -ENOENT && first == 0) {
			first = r;
			if (asprintf(ret_what, CPUFREQ, cpu, "scaling_governor") < 0)
				*ret_what = NULL;
		}
	}
	held_done(&held);
	/* Kept on failure: the next vm run or vm stop tries again. */
	if (first < 0)
		return first;
	r = path_unlink_durable(pc, record);
	if (r < 0 && r != -ENOENT) {
		*ret_what = TAKE_PTR(record);
		return r;
	}
	return 1;
}

int vm_power_restore(struct path_cxt *pc, const char *name, char **ret_what)
{
	_cleanup_close_ int lock = -1;

	lock = vm_lock_wait(pc, GOVERNORS_LOCK, GOVERNORS_WAIT_MS);
	if (lock < 0) {
		if (asprintf(ret_what, VM_RUN_DIR "/%s.lock", GOVERNORS_LOCK) < 0)
			*ret_what = NULL;
		return lock;
	}
	return restore_locked(pc, name, ret_what);
}

int vm_power_apply(struct path_cxt *pc, const struct vm_config *vm, const char *governor,
		   char **ret_what)
{
	_cleanup_strbuf_ struct strbuf rec = STRBUF_INIT;
	_cleanup_free_ unsigned *cpus = NULL;
	_cleanup_free_ char *record = NULL;
	_cleanup_close_ int lock = -1;
	struct held held = {0};
	size_t n = 0;
	int r;

	*ret_what = NULL;
	r = vm_power_cpus(vm, &cpus, &n);
	if (r < 0)
		return r;
	if (n == 0)
		return 0;
	if (asprintf(&record, VM_POWER_RECORD, vm->name) < 0)
		return -ENOMEM;
	lock = vm_lock_wait(pc, GOVERNORS_LOCK, GOVERNORS_WAIT_MS);
	if (lock < 0) {
		if (asprintf(ret_what, VM_RUN_DIR "/%s.lock", GOVERNORS_LOCK) < 0)
			*ret_what = NULL;
		return lock;
	}
	r = held_load(pc, vm->name, &held);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *cur = NULL;
		const char *orig = held_gov(&held, cpus[i]);

		/*
		 * A CPU another running VM set: what it found there is the original; what is
		 * there now is that VM's governor, not the one to give back.
		 */
		if (orig) {
			strbuf_printf(&rec, "%u %s\n", cpus[i], orig);
			continue;
		}
		r = path_read_string(pc, &cur, CPUFREQ, cpus[i], "scaling_governor");
		if (r < 0) {
			held_done(&held);
			if (asprintf(ret_what, CPUFREQ, cpus[i], "scaling_governor") < 0)
				*ret_what = NULL;
			return r;
		}
		chomp(cur);
		if (!governor_name_valid(cur)) {
			held_done(&held);
			if (asprintf(ret_what, CPUFREQ, cpus[i], "scaling_governor") < 0)
				*ret_what = NULL;
			return -EBADMSG;
		}
		strbuf_printf(&rec, "%u %s\n", cpus[i], cur);
	}
	held_done(&held);
	if (rec.err)
		return rec.err;
	/* Record first: from here on a kill at any point leaves what to play back. */
	r = path_write_atomic(pc, record, strbuf_str(&rec), strlen(strbuf_str(&rec)), 0644);
	if (r < 0) {
		*ret_what = TAKE_PTR(record);
		return r;
	}
	for (size_t i = 0; i < n; i++) {
		r = set_governor(pc, cpus[i], governor);
		if (r < 0) {
			_cleanup_free_ char *ignored = NULL;

			if (asprintf(ret_what, CPUFREQ, cpus[i], "scaling_governor") < 0)
				*ret_what = NULL;
			/* Undo what was set; a failing undo keeps the record for the next try. */
			(void)restore_locked(pc, vm->name, &ignored);
			return r;
		}
	}
	return (int)n;
}

int vm_power_plan_findings(struct path_cxt *pc, const struct config *c, char ***warnings,
			   char ***notes)
{
	const char *gov = c->host.cpu_governor;
	int r;

	if (!gov)
		return 0;
	for (size_t i = 0; i < c->n_vms; i++) {
		const struct vm_config *vm = c->vms[i];
		_cleanup_free_ unsigned *cpus = NULL;
		_cleanup_free_ char *list = NULL, *why = NULL, *s = NULL;
		size_t n = 0;
		bool warn;

		r = vm_power_cpus(vm, &cpus, &n);
		if (r < 0)
			return r;
		if (n == 0) {
			if (asprintf(&s,
				     "cpu-governor = %s, but VM '%s' pins no CPUs (vcpu-pins, "
				     "emulator-cpus): vm run leaves its governors alone",
				     gov, vm->name) < 0)
				return -ENOMEM;
			r = strv_consume(notes, TAKE_PTR(s));
			if (r < 0)
				return r;
			continue;
		}
		r = cpulist_format(cpus, n, &list);
		if (r < 0)
			return r;
		/* What vm run would refuse, said now: plan runs before the reboot, vm run after. */
		r = vm_power_check(pc, vm, gov, &why);
		if (r == -ENOMEM)
			return r;
		warn = r < 0;
		if (r < 0 && why)
			r = asprintf(&s, "VM '%s' will not start: %s", vm->name, why);
		else if (r < 0)
			r = asprintf(&s, "VM '%s': cannot read the cpufreq policies of CPUs %s: %s",
				     vm->name, list, strerror(-r));
		else
			r = asprintf(&s,
				     "VM '%s': vm run sets the cpufreq governor '%s' on CPUs %s "
				     "while it runs; the previous governors come back when it ends",
				     vm->name, gov, list);
		if (r < 0)
			return -ENOMEM;
		r = strv_consume(warn ? warnings : notes, TAKE_PTR(s));
		if (r < 0)
			return r;
	}
	return 0;
}

const struct feature_ops feature_power = {
    .name = "power",
    .what = "CPU governors",
    .host_parse_key = host_power_parse_key,
    .host_check = host_power_check,
    .plan_findings = vm_power_plan_findings,
};
