/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The checks of a trial boot: is this the trial, is it healthy, what the journal says. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "basic/proc-cmdline.h"
#include "basic/parse-util.h"
#include "basic/spawn-util.h"
#include "basic/strv-util.h"
#include "trial/trial.h"

int trial_is_trial_boot(const struct trial *t, const char *cmdline, uint64_t *ret_other_generation)
{
	_cleanup_free_ char *trial = NULL, *gen = NULL;
	uint64_t g = 0;
	int r;

	if (ret_other_generation)
		*ret_other_generation = 0;
	r = proc_cmdline_get(cmdline, "gpt_bootcfg.trial", &trial);
	if (r < 0)
		return r;
	if (r == 0 || !streq(trial, "1"))
		return 0;
	r = proc_cmdline_get(cmdline, "gpt_bootcfg.generation", &gen);
	if (r < 0)
		return r;
	if (r == 0 || safe_atou64(gen, &g) < 0)
		return 0;
	if (g == t->generation && t->state == TRIAL_PENDING)
		return 1;
	if (ret_other_generation)
		*ret_other_generation = g;
	return 0;
}

static int check_unit(char ***failures, const char *unit, trial_unit_active_fn fn, void *userdata)
{
	int r = fn(unit, userdata);

	if (r < 0)
		return strv_addf(failures, "%s: could not ask systemd: %s", unit, strerror(-r));
	if (r == 0)
		return strv_addf(failures, "%s is not active", unit);
	return 0;
}

int trial_check(struct path_cxt *pc, const struct trial *t, const char *cmdline,
		trial_unit_active_fn unit_active, void *userdata, char ***ret_failures)
{
	_cleanup_strv_free_ char **failures = calloc(1, sizeof(char *));
	int r;

	if (!failures)
		return -ENOMEM;

	STRV_FOREACH (p, t->params)
		if (!proc_cmdline_in_effect(cmdline, *p)) {
			r = strv_addf(&failures, "kernel parameter '%s' is not in effect", *p);
			if (r < 0)
				return r;
		}

	STRV_FOREACH (d, t->devices) {
		_cleanup_free_ char *drv = NULL;

		r = path_readlink_basename(pc, &drv, "/sys/bus/pci/devices/%s/driver", *d);
		if (r == -ENOENT) {
			r = path_exists(pc, "/sys/bus/pci/devices/%s", *d);
			if (r < 0)
				return r;
			r = strv_addf(
			    &failures,
			    r ? "%s is bound to no driver, not vfio-pci" : "%s is not present", *d);
		} else if (r < 0) {
			return r;
		} else if (!streq(drv, "vfio-pci")) {
			r = strv_addf(&failures, "%s is bound to %s, not vfio-pci", *d, drv);
		}
		if (r < 0)
			return r;
	}

	STRV_FOREACH (u, t->units) {
		r = check_unit(&failures, *u, unit_active, userdata);
		if (r < 0)
			return r;
	}
	r = check_unit(&failures, "multi-user.target", unit_active, userdata);
	if (r < 0)
		return r;
	/* Debian marks the enabled display manager with this alias. */
	r = path_lstat(pc, &(struct stat){}, "/etc/systemd/system/" DISPLAY_MANAGER_UNIT);
	if (r >= 0) {
		r = check_unit(&failures, DISPLAY_MANAGER_UNIT, unit_active, userdata);
		if (r < 0)
			return r;
	} else if (r != -ENOENT) {
		return r;
	}

	r = failures[0] == NULL;
	*ret_failures = TAKE_PTR(failures);
	return r;
}

int trial_run(char *const *argv)
{
	/* Output goes to stderr: stdout belongs to the verb's own report. */
	return spawn_run(argv, SPAWN_STDIN_NULL | SPAWN_STDOUT_TO_STDERR, 0, NULL);
}

int trial_run_capture(char *const *argv, char **ret)
{
	return spawn_run(argv, SPAWN_STDIN_NULL | SPAWN_STDERR_NULL, 1024 * 1024, ret);
}

/* Boot ids without dashes: journalctl prints them so, /proc with dashes. */
static bool boot_id_eq(const char *a, const char *b)
{
	for (;;) {
		while (*a == '-')
			a++;
		while (*b == '-')
			b++;
		if (*a != *b)
			return false;
		if (!*a)
			return true;
		a++;
		b++;
	}
}

/* journalctl with "-D DIR" under another root; -ENOENT when that root has no journal. */
static int journal_run(struct path_cxt *pc, const char *const *args, char **ret)
{
	const char *cmd = getenv("GPT_BOOTCFG_JOURNALCTL");
	_cleanup_free_ char *dir = NULL;
	const char *argv[16];
	size_t n = 0;
	int r;

	argv[n++] = cmd && *cmd ? cmd : "journalctl";
	if (!path_cxt_is_host(pc)) {
		r = path_exists(pc, "/var/log/journal");
		if (r < 0)
			return r;
		if (r == 0)
			return -ENOENT;
		r = path_prefix_follow(pc, &dir, "/var/log/journal");
		if (r < 0)
			return r;
		argv[n++] = "-D";
		argv[n++] = dir;
	}
	for (; *args && n < ARRAY_SIZE(argv) - 1; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	return trial_run_capture((char *const *)argv, ret);
}

int trial_journal_reason(struct path_cxt *pc, const struct trial *t, char **ret_reason)
{
	_cleanup_free_ char *boots = NULL, *out = NULL, *cmdline = NULL, *last = NULL;
	char prev_id[64] = "";
	uint64_t other;
	int r;

	r = journal_run(pc, (const char *const[]){"--list-boots", "--no-pager", "-q", NULL},
			&boots);
	if (r == -ENOENT || r > 0) {
		*ret_reason = NULL;
		return 0;
	}
	if (r < 0)
		return r;
	for (char *l = strtok(boots, "\n"); l; l = strtok(NULL, "\n")) {
		char idx[24];
		int i;

		/* " -1 BOOT_ID ...": the index, then the boot id. */
		if (sscanf(l, "%23s %63s", idx, prev_id) == 2 && safe_atoi(idx, &i) >= 0 && i == -1)
			break;
		prev_id[0] = '\0';
	}
	if (!prev_id[0]) {
		*ret_reason = NULL;
		return 0;
	}
	/* The journal's previous boot is the one that armed the trial: the trial left nothing. */
	if (t->armed_boot_id && boot_id_eq(prev_id, t->armed_boot_id)) {
		*ret_reason =
		    strdup("the journal has no boot between the one that armed the trial "
			   "and this one: the trial stopped before its journal reached the "
			   "disk (hang, panic or power cut early in boot)");
		return *ret_reason ? 1 : -ENOMEM;
	}

	r = journal_run(
	    pc, (const char *const[]){"-b", "-1", "-o", "cat", "-q", "--no-pager", NULL}, &out);
	if (r < 0)
		return r;
	if (r != 0 || !*out) {
		*ret_reason = NULL;
		return 0;
	}

	/* The kernel logs "Command line: ..." early; the last line is where the boot stopped. */
	for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n")) {
		const char *c = strstr(l, "Command line: ");

		if (c && !cmdline) {
			cmdline = strdup(c + strlen("Command line: "));
			if (!cmdline)
				return -ENOMEM;
		}
		free(last);
		last = strdup(l);
		if (!last)
			return -ENOMEM;
	}
	if (!cmdline)
		r = asprintf(ret_reason,
			     "the previous boot's journal has no kernel command line; "
			     "it ends with: %s",
			     strna(last));
	else if (trial_is_trial_boot(t, cmdline, &other) > 0)
		r = asprintf(ret_reason,
			     "the previous boot was the trial; its journal ends with: %s",
			     strna(last));
	else if (other)
		r = asprintf(ret_reason,
			     "the previous boot was the trial of generation %" PRIu64
			     ", not %" PRIu64,
			     other, t->generation);
	else
		r = asprintf(ret_reason, "the previous boot was not the trial entry (no "
					 "gpt_bootcfg.trial=1 on its command line)");
	if (r < 0) {
		*ret_reason = NULL;
		return -ENOMEM;
	}
	return 1;
}
