/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "basic/log.h"
#include "basic/parse-util.h"
#include "core/verbs.h"
#include "shared/host.h"
#include "trial/trial.h"
#include "write/lock.h"

struct unit_ctx {
	struct path_cxt *pc;
};

/*
 * systemctl answers for the running host only; under --root a test supplies a stand-in
 * through $GPT_BOOTCFG_SYSTEMCTL, and without one the unit cannot be checked (an error,
 * never a pass).
 */
static int unit_active(const char *unit, void *userdata)
{
	struct unit_ctx *u = userdata;
	const char *cmd = getenv("GPT_BOOTCFG_SYSTEMCTL");
	int r;

	if (!cmd || !*cmd) {
		if (!path_cxt_is_host(u->pc))
			return -EOPNOTSUPP;
		cmd = "systemctl";
	}
	r = trial_run((char *const[]){(char *)cmd, "is-active", "--quiet", (char *)unit, NULL});
	if (r < 0)
		return r;
	return r == 0;
}

static void help(void)
{
	printf("Usage: gpt-bootcfg confirm [--force] [--boot] [--timeout SEC]\n\n"
	       "Check the running trial boot and make its configuration the default entry.\n\n"
	       "  -f, --force        promote the pending trial without checking (any boot)\n"
	       "      --boot         the health unit's mode: decide a pending trial (confirmed in\n"
	       "                     the trial boot, failed in any later boot) and never block\n"
	       "  -t, --timeout SEC  keep re-checking for up to SEC seconds before giving up\n"
	       "  -h, --help         show this help\n");
}

static int regenerate(struct cli *cli)
{
	int r = trial_update_entries(cli->pc);

	if (r < 0)
		return log_error_errno(r, "Failed to regenerate the boot entries (update-grub, or "
					  "kernel-install on systemd-boot): %m");
	if (r == 0)
		log_notice("Not regenerating the boot entries under --root %s (set "
			   "GPT_BOOTCFG_UPDATE_GRUB or GPT_BOOTCFG_KERNEL_INSTALL).",
			   cli->root);
	return 0;
}

/*
 * systemd-boot: what the trial entry and LoaderEntryOneShot tell of a trial that never
 * confirmed (trial-sdboot.c), as a reason; NULL when there is nothing to tell.
 */
static char *sdboot_reason(struct cli *cli)
{
	_cleanup_free_ char *oneshot = NULL;
	struct host_boot b;
	char *reason = NULL;
	int r;

	if (host_boot_detect(cli->pc, NULL, &b) < 0)
		return NULL;
	if (b.loader != BOOT_LOADER_SYSTEMD_BOOT || !b.esp) {
		host_boot_done(&b);
		return NULL;
	}
	r = trial_sdboot_entry_present(cli->pc, b.esp);
	if (host_efi_var(cli->pc, "LoaderEntryOneShot", &oneshot) >= 0 &&
	    streq(oneshot, SDBOOT_TRIAL_ID))
		reason = strdup("systemd-boot did not consume LoaderEntryOneShot=" SDBOOT_TRIAL_ID
				" (the boot did not go through systemd-boot?)");
	else if (r > 0)
		/* systemd-boot removes the one-shot as it boots the entry it names. */
		reason = strdup("systemd-boot consumed LoaderEntryOneShot=" SDBOOT_TRIAL_ID
				" (it booted the trial entry) and that boot never confirmed");
	host_boot_done(&b);
	return reason;
}

static int promote(struct cli *cli, struct trial *t)
{
	int r;

	r = trial_promote(cli->pc, t);
	if (r < 0)
		return log_error_errno(r, "Failed to promote the trial to the default entry: %m");
	r = regenerate(cli);
	if (r < 0)
		return r;
	log_info("Trial generation %" PRIu64 " confirmed: it is the default boot entry now.",
		 t->generation);
	return 0;
}

static int fail(struct cli *cli, struct trial *t, char **reasons)
{
	int r;

	STRV_FOREACH (f, reasons)
		log_error("Trial generation %" PRIu64 " failed: %s", t->generation, *f);
	r = trial_fail(cli->pc, t, reasons);
	if (r < 0)
		return log_error_errno(r, "Failed to write '%s': %m", TRIAL_STATE_PATH);
	return regenerate(cli);
}

/* Re-check until healthy or the deadline: units and drivers may still be starting. */
static int check_with_timeout(struct cli *cli, struct trial *t, const char *cmdline,
			      unsigned timeout, char ***ret_failures)
{
	struct unit_ctx u = {.pc = cli->pc};
	time_t deadline = time(NULL) + (time_t)timeout;
	int r;

	for (;;) {
		char **failures = NULL;

		r = trial_check(cli->pc, t, cmdline, unit_active, &u, &failures);
		if (r < 0)
			return log_error_errno(r, "Failed to check the trial boot: %m");
		if (r > 0 || time(NULL) >= deadline) {
			*ret_failures = failures;
			return r;
		}
		strv_free(failures);
		sleep(2);
	}
}

static void free_reasons(char *(*l)[5])
{
	for (size_t i = 0; i < ARRAY_SIZE(*l); i++)
		free((*l)[i]);
}

/* A later boot without the trial's generation: the trial never confirmed. */
static int decide_missed_trial(struct cli *cli, struct trial *t, const char *boot_id,
			       uint64_t other)
{
	_cleanup_(free_reasons) char *reasons[5] = {};
	_cleanup_free_ char *next = NULL;
	size_t n = 0;
	int r;

	if (other)
		r = asprintf(&reasons[n],
			     "this boot (%s) runs trial generation %" PRIu64
			     ", not the pending %" PRIu64,
			     strna(boot_id), other, t->generation);
	else
		r = asprintf(&reasons[n],
			     "the trial boot never confirmed; this boot (%s) is the "
			     "default entry",
			     strna(boot_id));
	if (r < 0) {
		reasons[n] = NULL;
		return log_oom();
	}
	n++;

	r = trial_journal_reason(cli->pc, t, &reasons[n]);
	if (r < 0)
		log_warning_errno(r, "Failed to read the previous boot's journal, ignoring: %m");
	else if (r == 0)
		reasons[n] = strdup("no journal of the previous boot (no persistent journal, or "
				    "it stopped before the journal reached the disk)");
	if (reasons[n])
		n++;

	/* systemd-boot's view (the removal of our entry comes with fail()'s regeneration). */
	reasons[n] = sdboot_reason(cli);
	if (reasons[n])
		n++;

	/* A next_entry GRUB did not consume would boot the stale trial later. */
	r = trial_get_next_entry(cli->pc, &next);
	if (r > 0 && streq(next, TRIAL_ENTRY_ID)) {
		/* The last reason: if strdup fails, the NULL just ends the list earlier. */
		reasons[n] = strdup("GRUB did not consume next_entry=" TRIAL_ENTRY_ID
				    " (can GRUB write " GRUBENV_PATH "?)");
		r = trial_clear_next_entry(cli->pc);
		if (r < 0)
			log_warning_errno(r, "Failed to unset next_entry in '%s', ignoring: %m",
					  GRUBENV_PATH);
	}
	r = fail(cli, t, reasons);
	return r < 0 ? EXIT_ERROR : EXIT_PROBLEMS;
}

int verb_confirm(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"boot", no_argument, NULL, 'b'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	_cleanup_(trial_freep) struct trial *t = NULL;
	_cleanup_free_ char *error = NULL, *cmdline = NULL, *boot_id = NULL;
	_cleanup_strv_free_ char **failures = NULL;
	bool force = false, boot = false;
	unsigned timeout = 0;
	uint64_t other = 0;
	_cleanup_close_ int lock = -1;
	int c, r;

	while ((c = getopt_long(argc, argv, "+ft:h", options, NULL)) >= 0) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'b':
			boot = true;
			break;
		case 't':
			if (safe_atou_range(optarg, 0, 3600, &timeout) < 0) {
				log_error("Invalid --timeout '%s': expected seconds (0-3600).",
					  optarg);
				return EXIT_ERROR;
			}
			break;
		case 'h':
			help();
			return EXIT_OK;
		default:
			return EXIT_ERROR;
		}
	}
	if (verb_extra_operand(argc, argv))
		return EXIT_ERROR;
	if (force && boot) {
		log_error("--force and --boot exclude each other.");
		return EXIT_ERROR;
	}

	/* The health check too: it promotes or fails a trial that an apply may be re-arming. */
	lock = bootcfg_lock(cli);
	if (lock < 0)
		return EXIT_ERROR;
	r = trial_load(cli->pc, &t, &error);
	if (r == -EINVAL && error) {
		log_error("%s", error);
		return EXIT_ERROR;
	}
	if (r < 0) {
		log_error_errno(r, "Failed to read '%s': %m", TRIAL_STATE_PATH);
		return EXIT_ERROR;
	}
	if (t->state != TRIAL_PENDING) {
		if (boot) {
			log_info("No trial pending (%s).", trial_state_to_string(t->state));
			return EXIT_OK;
		}
		log_error("No trial pending (state: %s); nothing to confirm.",
			  trial_state_to_string(t->state));
		return EXIT_ERROR;
	}
	if (force)
		return promote(cli, t) < 0 ? EXIT_ERROR : EXIT_OK;

	/* Only the command line of the host model: a full host_load() (disks, blkid) is not
	 * what a boot-time unit with a timeout should wait for. */
	r = host_read_cmdline(cli->pc, &cmdline);
	if (r < 0) {
		log_error_errno(r, "Failed to read '/proc/cmdline': %m");
		return EXIT_ERROR;
	}
	r = trial_boot_id(cli->pc, &boot_id);
	if (r < 0) {
		log_error_errno(r, "Failed to read the boot id: %m");
		return EXIT_ERROR;
	}

	r = trial_is_trial_boot(t, cmdline, &other);
	if (r < 0) {
		log_error_errno(r, "Failed to parse '/proc/cmdline': %m");
		return EXIT_ERROR;
	}
	if (r == 0) {
		if (!boot) {
			log_error(
			    "The running boot is not the trial of generation %" PRIu64
			    " (no gpt_bootcfg.generation=%" PRIu64 " gpt_bootcfg.trial=1 on "
			    "/proc/cmdline). Reboot into it, or use --force to promote unchecked.",
			    t->generation, t->generation);
			return EXIT_ERROR;
		}
		/* The boot that armed the trial (no reboot yet) has nothing to decide. */
		if (!other && boot_id && streq_ptr(boot_id, t->armed_boot_id)) {
			log_info("Trial generation %" PRIu64 " is armed for the next boot.",
				 t->generation);
			return EXIT_OK;
		}
		return decide_missed_trial(cli, t, boot_id, other);
	}

	r = check_with_timeout(cli, t, cmdline, timeout, &failures);
	if (r < 0)
		return EXIT_ERROR;
	if (r == 0) {
		if (!boot) {
			STRV_FOREACH (f, failures)
				log_error("Trial check failed: %s", *f);
			log_error("Not confirming; use --force to promote anyway.");
			return EXIT_PROBLEMS;
		}
		return fail(cli, t, failures) < 0 ? EXIT_ERROR : EXIT_PROBLEMS;
	}
	return promote(cli, t) < 0 ? EXIT_ERROR : EXIT_OK;
}
