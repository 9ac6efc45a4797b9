/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <stdio.h>

#include "basic/log.h"
#include "basic/strv-util.h"
#include "core/verbs.h"
#include "now/now.h"
#include "write/lock.h"
#include "write/transaction.h"

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
	_cleanup_(transaction_rollback_done) struct transaction_rollback rb = {};
	bool dry_run = false, no_rebuild = false, found = false, now = false;
	int now_st = EXIT_OK;
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
	if (verb_extra_operand(argc, argv))
		return EXIT_ERROR;

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
			log_notice(
			    "%zu device%s claimed by 'apply --now' stay%s on vfio-pci until the "
			    "next boot; 'gpt-bootcfg revert --now' gives them back now.",
			    strv_length(record), record[1] ? "s" : "", record[1] ? "" : "s");
	}
	r = transaction_rollback_begin(cli, dry_run, &rb, &found);
	if (r != EXIT_OK)
		return r;
	/* No state file: nothing to do. One with nothing left in it: an interrupted revert. */
	if (!found) {
		printf("Nothing to revert: apply has not written anything here.\n");
		return now_st;
	}
	STRV_FOREACH (s, rb.steps)
		printf("%s%s\n", dry_run ? "Would " : "", *s);
	STRV_FOREACH (k, rb.kept)
		log_warning("Kept %s.", *k);
	fflush(stdout);
	if (dry_run)
		return now_st;

	r = transaction_rollback_commit(&rb, no_rebuild);
	if (r != EXIT_OK)
		return r;
	STRV_FOREACH (s, rb.steps)
		printf("%s\n", *s);
	STRV_FOREACH (k, rb.kept)
		log_warning("Kept %s.", *k);
	printf("Reverted.\n");
	return now_st;
}
