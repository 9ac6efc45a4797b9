/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <stdio.h>

#include "gen.h"
#include "lock.h"
#include "log.h"
#include "managed.h"
#include "now.h"
#include "strv-util.h"
#include "trial.h"
#include "verbs.h"

static void help(void)
{
	printf("Usage: gpt-bootcfg [--root DIR] revert [--dry-run] [--no-rebuild] [--now]\n\n"
	       "Remove every file and link apply created, restore the files it kept as .bak,\n"
	       "remove the directories it made, and rebuild the initramfs and GRUB's\n"
	       "configuration. The configuration file itself stays.\n\n"
	       "  -n, --dry-run     only show what would be done\n"
	       "      --no-rebuild  print the rebuild commands instead of running them\n"
	       "      --now         first give the devices apply --now claimed in this boot\n"
	       "                    back to their drivers (devices claimed at boot stay on\n"
	       "                    vfio-pci until the next boot)\n");
}

int verb_revert(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{"no-rebuild", no_argument, NULL, 'R'},
		{"now", no_argument, NULL, 'N'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	_cleanup_strv_free_ char **steps = NULL, **kept = NULL;
	bool dry_run = false, no_rebuild = false, now = false;
	int now_st = EXIT_OK;
	unsigned rebuild = 0;
	_cleanup_close_ int lock = -1;
	int c, r;

	while ((c = getopt_long(argc, argv, "nh", options, NULL)) >= 0) {
		switch (c) {
		case 'n':
			dry_run = true;
			break;
		case 'R':
			no_rebuild = true;
			break;
		case 'N':
			now = true;
			break;
		case 'h':
			help();
			return EXIT_OK;
		default:
			return EXIT_ERROR;
		}
	}
	if (optind < argc) {
		log_error("revert takes no arguments.");
		return EXIT_ERROR;
	}

	lock = bootcfg_lock(cli);
	if (lock < 0)
		return EXIT_ERROR;
	/*
	 * The devices first: their record lives in the state directory the revert removes,
	 * and a device that stays claimed (a running VM holds it) is said before the files go.
	 */
	if (now) {
		now_st = now_release(cli, dry_run);
		if (now_st == EXIT_ERROR)
			return EXIT_ERROR;
	} else {
		_cleanup_strv_free_ char **record = NULL;

		if (now_record_load(cli->pc, &record) >= 0 && record[0])
			log_notice("%zu device%s claimed by 'apply --now' stay%s on vfio-pci until the "
				   "next boot; 'gpt-bootcfg revert --now' gives them back now.",
				   strv_length(record), record[1] ? "s" : "", record[1] ? "" : "s");
	}
	r = managed_revert(cli->pc, dry_run, &steps, &kept, &rebuild);
	if (r < 0) {
		log_error_errno(r, "Failed to revert below '%s': %m", cli->root);
		return EXIT_ERROR;
	}
	/* No state file: nothing to do. One with nothing left in it: an interrupted revert. */
	if (r == 0) {
		printf("Nothing to revert: apply has not written anything here.\n");
		return now_st;
	}
	/* A grubenv that was there before apply stays, without our one-shot entry. */
	if (!dry_run) {
		r = trial_clear_next_entry(cli->pc);
		if (r < 0)
			log_warning_errno(r, "Failed to unset next_entry in '%s', ignoring: %m",
					  GRUBENV_PATH);
		else if (r > 0 && strv_add(&steps, "unset next_entry in " GRUBENV_PATH) < 0)
			return log_oom(), EXIT_ERROR;
	}
	STRV_FOREACH(s, steps)
		printf("%s%s\n", dry_run ? "Would " : "", *s);
	STRV_FOREACH(k, kept)
		log_warning("Kept %s.", *k);
	fflush(stdout);
	if (dry_run)
		return now_st;

	r = gen_rebuild(cli, rebuild, no_rebuild);
	if (r < 0) {
		log_error("The files are removed, but the rebuild failed: fix it and run the command "
			  "again before rebooting.");
		return EXIT_ERROR;
	}
	/* Last: the state file is what makes a re-run after a crash redo the rebuild. */
	strv_free(steps);
	strv_free(kept);
	steps = kept = NULL;
	r = managed_revert_finish(cli->pc, &steps, &kept);
	if (r < 0) {
		log_error_errno(r, "Failed to remove the state file below '%s': %m", cli->root);
		return EXIT_ERROR;
	}
	STRV_FOREACH(s, steps)
		printf("%s\n", *s);
	STRV_FOREACH(k, kept)
		log_warning("Kept %s.", *k);
	printf("Reverted.\n");
	return now_st;
}
