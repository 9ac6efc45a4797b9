/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "gen.h"
#include "log.h"
#include "verbs.h"

static void help(void)
{
	printf("Usage: gpt-bootcfg [--root DIR] apply [--yes] [--no-rebuild] [--allow REASON]\n\n"
	       "Write the boot configuration (GRUB drop-in, modprobe.d, claim list, VM\n"
	       "autostart links) and rebuild the initramfs and GRUB's configuration when a\n"
	       "file they use changed. Nothing is written when anything is refused.\n\n"
	       "  -y, --yes         do not ask (required when stdin is not a terminal)\n"
	       "      --no-rebuild  write the files only; print the rebuild commands\n"
	       "      --allow REASON  override a refusal reason for every device\n");
}

static bool confirm(void)
{
	char answer[16] = "";

	printf("\nApply these changes? [y/N] ");
	fflush(stdout);
	if (!fgets(answer, sizeof(answer), stdin))
		return false;
	return answer[0] == 'y' || answer[0] == 'Y';
}

int verb_apply(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"yes", no_argument, NULL, 'y'},
		{"no-rebuild", no_argument, NULL, 'n'},
		{"allow", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	_cleanup_strv_free_ char **allow = NULL;
	bool yes = false, no_rebuild = false;
	struct gen g;
	int c, r;

	while ((c = getopt_long(argc, argv, "yh", options, NULL)) >= 0) {
		switch (c) {
		case 'y':
			yes = true;
			break;
		case 'n':
			no_rebuild = true;
			break;
		case 'a':
			if (gen_parse_allow(optarg, &allow) < 0)
				return EXIT_ERROR;
			break;
		case 'h':
			help();
			return EXIT_OK;
		default:
			return EXIT_ERROR;
		}
	}
	if (optind < argc) {
		log_error("apply takes no arguments.");
		return EXIT_ERROR;
	}
	if (!yes && !isatty(STDIN_FILENO)) {
		log_error("Not asking for confirmation without a terminal: run 'gpt-bootcfg plan' to "
			  "review, then 'gpt-bootcfg apply --yes'.");
		return EXIT_ERROR;
	}

	r = gen_load(cli, allow, &g);
	if (r != EXIT_OK)
		goto out;

	if (plan_is_refused(g.plan)) {
		(void)gen_print_plan(&g, false, false);
		log_error("Refused; nothing was written. Fix the configuration, or override a "
			  "reason by name (override = REASON in the [device] section, or --allow "
			  "REASON) if you accept the risk.");
		r = EXIT_PROBLEMS;
		goto out;
	}
	if (!managed_set_changes(&g.files)) {
		printf("Nothing to do: the boot configuration is up to date (generation %" PRIu64
		       ").\n",
		       g.files.generation);
		r = EXIT_OK;
		goto out;
	}
	if (!yes) {
		(void)gen_print_plan(&g, false, true);
		if (!confirm()) {
			printf("Nothing was written.\n");
			r = EXIT_OK;
			goto out;
		}
	}

	for (size_t i = 0; i < g.files.n; i++) {
		const struct managed_file *f = &g.files.files[i];

		if (f->backup)
			log_warning("%s %s: keeping it as %s before replacing it.",
				    f->state == MANAGED_STATE_EDITED ? "Hand-edited" : "Not ours:",
				    f->path, f->backup);
	}
	r = managed_apply(cli->pc, &g.files);
	if (r < 0) {
		log_error_errno(r, "Failed to write the boot configuration below '%s': %m",
				cli->root);
		r = EXIT_ERROR;
		goto out;
	}
	for (size_t i = 0; i < g.files.n; i++) {
		const struct managed_file *f = &g.files.files[i];

		if (f->action != MANAGED_UNCHANGED)
			printf("%s %s\n", f->action == MANAGED_CREATE   ? "Created"
					  : f->action == MANAGED_UPDATE ? "Updated"
									: "Removed",
			       f->path);
	}
	STRV_FOREACH(w, g.plan->params.warnings)
		log_warning("%s", *w);
	STRV_FOREACH(n, g.plan->notes)
		log_notice("%s", *n);
	fflush(stdout);

	r = gen_rebuild(cli, managed_set_rebuild(&g.files), no_rebuild);
	if (r < 0) {
		log_error("The files are written, but the rebuild failed: fix it and run the command "
			  "again before rebooting.");
		r = EXIT_ERROR;
		goto out;
	}
	printf("Applied generation %" PRIu64 ". Reboot to claim the devices.\n",
	       g.files.generation);
	r = EXIT_OK;
out:
	gen_done(&g);
	return r;
}
