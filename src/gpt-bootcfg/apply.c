/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>

#include "apply-json.h"
#include "gen.h"
#include "initrdcheck.h"
#include "lock.h"
#include "now.h"
#include "log.h"
#include "strv-util.h"
#include "trial.h"
#include "verbs.h"

static void help(void)
{
	printf("Usage: gpt-bootcfg [--root DIR] apply [--yes] [--no-rebuild] [--allow REASON]\n"
	       "                                     [--trial|--no-trial] [--now] [--json]\n\n"
	       "Write the boot configuration (GRUB drop-in, modprobe.d, claim list, VM\n"
	       "autostart links) and rebuild the initramfs and GRUB's configuration when a\n"
	       "file they use changed, then check the rebuilt images (exit 2 if one would not\n"
	       "claim). Nothing is written when anything is refused.\n\n"
	       "  -y, --yes         do not ask (required when stdin is not a terminal)\n"
	       "      --no-rebuild  write the files only; print the rebuild commands\n"
	       "      --allow REASON  override a refusal reason for every device\n"
	       "      --trial       new parameters and claims in a one-shot boot entry only\n"
	       "                    (default for the first apply on a host; docs/trial-boot.md)\n"
	       "      --no-trial    make them the default entry right away\n"
	       "      --now         also claim now each device that is safe to take from the\n"
	       "                    running system; the others wait for the next boot\n"
	       "      --json        one JSON result on stdout (changed, reboot_required, ...);\n"
	       "                    the rest goes to stderr. Needs --yes\n");
}

/*
 * Trial boots (trial.h): managed_apply() recorded the new GRUB drop-in like any other file
 * but left the default entry's alone (record_only); the new one waits for the promotion.
 */
static int arm_trial(struct cli *cli, const struct gen *g, const struct managed_file *grub)
{
	_cleanup_strv_free_ char **params = calloc(g->plan->params.n + 1, sizeof(char *));
	_cleanup_strv_free_ char **devices = calloc(g->plan->n_claims + 1, sizeof(char *));
	_cleanup_strv_free_ char **units = calloc(g->config->n_vms + 1, sizeof(char *));
	size_t n = 0;
	int r;

	if (!params || !devices || !units)
		return log_oom();
	for (size_t i = 0; i < g->plan->params.n; i++)
		if (!(params[i] = strdup(g->plan->params.items[i].param)))
			return log_oom();
	for (size_t i = 0; i < g->plan->n_claims; i++)
		if (!(devices[i] = strdup(g->plan->claims[i]->address)))
			return log_oom();
	for (size_t i = 0; i < g->config->n_vms; i++) {
		if (!g->config->vms[i]->autostart)
			continue;
		if (asprintf(&units[n], "gpt-bootcfg-vm@%s.service", g->config->vms[i]->name) < 0) {
			units[n] = NULL;
			return log_oom();
		}
		n++;
	}

	struct trial_arm arm = {
		.generation = g->files.generation,
		.params = params,
		.devices = devices,
		.units = units,
		.dropin = grub->content,
	};
	r = trial_arm(cli->pc, &arm, NULL);
	if (r < 0)
		return log_error_errno(r, "Failed to arm the trial boot below '%s': %m", cli->root);
	return 0;
}

/*
 * The images update-initramfs just wrote must hold what the claim needs (initrdcheck.h):
 * shown on stdout, each problem logged with its image. -EBADMSG when one has a problem.
 */
static int verify_images(struct cli *cli, bool trial)
{
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	struct initrd_check c;
	bool ok;
	int r;

	r = initrd_check(cli->pc, &c);
	if (r < 0)
		return log_error_errno(r, "Failed to check the initramfs images below '%s': %m",
				       cli->root);
	initrd_check_text(&c, &out);
	ok = initrd_check_ok(&c);
	if (strbuf_str(&out)) {
		printf("\n%s", out.buf);
		fflush(stdout);
	}
	for (size_t i = 0; i < c.n; i++)
		STRV_FOREACH(p, c.images[i].problems)
			log_error("%s: %s", c.images[i].path, *p);
	initrd_check_done(&c);
	if (ok)
		return 0;
	log_error("The files are written and the initramfs was rebuilt, but the image above "
		  "would not claim the devices at the next boot. %s Find the cause in the "
		  "update-initramfs output (a hook that removes ours, the package's files "
		  "missing, a COMPRESS this check cannot read), fix it and run 'gpt-bootcfg "
		  "apply' again: it rebuilds and checks again. 'gpt-bootcfg revert' undoes this "
		  "apply.",
		  trial ? "The trial boot is not selected for the next boot."
			: "The new kernel parameters are already the default; the devices would "
			  "stay on their host drivers.");
	return -EBADMSG;
}

/* apply --now: claim what is safe on the running system (now.h), print the outcome. */
static int claim_now(struct cli *cli, const struct gen *g, struct now_result *nr,
		     struct apply_json *aj)
{
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	int r;

	r = now_claim(cli, g, nr);
	aj->now = nr;
	now_print(nr, &out);
	if (strbuf_str(&out))
		fputs(out.buf, stdout);
	fflush(stdout);
	if (r < 0)
		return EXIT_ERROR;
	return now_exit_status(nr);
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
		{"trial", no_argument, NULL, 't'},
		{"no-trial", no_argument, NULL, 'T'},
		{"json", no_argument, NULL, 'j'},
		{"now", no_argument, NULL, 'N'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	_cleanup_strv_free_ char **allow = NULL;
	_cleanup_(now_result_done) struct now_result nr = {};
	bool now = false;
	_cleanup_free_ char *pending = NULL;
	bool yes = false, no_rebuild = false, trial = false, json = false;
	struct apply_json aj = APPLY_JSON_INIT;
	struct managed_file *grub = NULL;
	unsigned pending_rebuild = 0;
	int c, r, trial_req = -1;
	_cleanup_close_ int lock = -1;
	struct gen g;

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
		case 't':
		case 'T':
			trial_req = c == 't';
			break;
		case 'j':
			json = true;
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
		log_error("apply takes no arguments.");
		return EXIT_ERROR;
	}
	/* A JSON consumer is a program: it cannot answer the prompt, so it must say --yes. */
	if (json && !yes) {
		log_error("apply --json does not ask: add --yes (after reviewing 'gpt-bootcfg plan').");
		return EXIT_ERROR;
	}
	if (!yes && !isatty(STDIN_FILENO)) {
		log_error("Not asking for confirmation without a terminal: run 'gpt-bootcfg plan' to "
			  "review, then 'gpt-bootcfg apply --yes'.");
		return EXIT_ERROR;
	}

	if (json) {
		r = apply_json_begin(&aj);
		if (r < 0) {
			log_error_errno(r, "Failed to set up the JSON output: %m");
			return EXIT_ERROR;
		}
	}

	/* Before planning: the plan picks backup names another run must not pick too. */
	lock = bootcfg_lock(cli);
	if (lock < 0) {
		/* Nothing loaded: the JSON result (if asked for) reports nothing written. */
		g = (struct gen){};
		r = EXIT_ERROR;
		goto out;
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
	/*
	 * An apply that was interrupted after writing files (crash, failed rebuild) left what
	 * it had still to do: finish it the way it was started, unless told otherwise.
	 */
	r = managed_pending(cli->pc, &pending);
	if (r < 0) {
		log_error_errno(r, "Failed to read the state below '%s': %m", cli->root);
		r = EXIT_ERROR;
		goto out;
	}
	if (pending) {
		const char *flags = startswith(pending, "trial ");
		bool pending_trial = flags;
		unsigned long v = 0;
		char *end = NULL;

		if (!flags)
			flags = startswith(pending, "direct ");
		errno = 0;
		if (flags)
			v = strtoul(flags, &end, 10);
		if (!flags || errno || end == flags || *end || v > UINT_MAX) {
			log_error("Unknown pending step '%s' in %s.", pending, MANAGED_STATE_PATH);
			r = EXIT_ERROR;
			goto out;
		}
		pending_rebuild = (unsigned)v;
		log_notice("The last apply did not finish; finishing it.");
		if (trial_req < 0)
			trial_req = pending_trial;
		/* The trial entry's files may all be written: arming again needs the drop-in. */
		if (trial_req == 1)
			for (size_t i = 0; i < g.files.n; i++) {
				struct managed_file *f = &g.files.files[i];

				if (streq(f->path, MANAGED_GRUB_PATH) && f->action == MANAGED_UNCHANGED)
					f->action = f->current ? MANAGED_UPDATE : MANAGED_CREATE;
			}
	}
	/* --no-trial during a pending trial makes what the trial would have tried the default. */
	if (trial_req == 0)
		for (size_t i = 0; i < g.files.n; i++) {
			struct managed_file *f = &g.files.files[i];

			if (streq(f->path, MANAGED_GRUB_PATH) && f->action == MANAGED_UNCHANGED &&
			    !streq_ptr(f->content, f->current))
				f->action = f->current ? MANAGED_UPDATE : MANAGED_CREATE;
		}
	if (!managed_set_changes(&g.files) && !pending) {
		printf("Nothing to do: the boot configuration is up to date (generation %" PRIu64
		       ").\n",
		       g.files.generation);
		/* What the boot would claim may still be claimable now. */
		r = now ? claim_now(cli, &g, &nr, &aj) : EXIT_OK;
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
	/* Decided before writing: the first apply is the one that finds no drop-in of ours. */
	for (size_t i = 0; i < g.files.n; i++)
		if (streq(g.files.files[i].path, MANAGED_GRUB_PATH) &&
		    g.files.files[i].action != MANAGED_UNCHANGED)
			grub = &g.files.files[i];
	r = trial_wanted(cli->pc, trial_req, &trial);
	if (r < 0) {
		log_error_errno(r, "Failed to read the trial state below '%s': %m", cli->root);
		r = EXIT_ERROR;
		goto out;
	}
	if (trial && !grub) {
		log_notice("Kernel parameters and claims are unchanged: nothing to try, no trial.");
		trial = false;
	}
	/* Revert removes what the trial bookkeeping creates as well. */
	{
		static const char *const direct[] = {TRIAL_STATE_PATH, NULL};
		/* HEALTH_WANTS_LINK is one string made of two literals, not a missing comma. */
		static const char *const armed[] = {TRIAL_STATE_PATH, TRIAL_DROPIN_PATH,
		// NOLINTNEXTLINE(bugprone-suspicious-missing-comma)
						    TRIAL_CMDLINE_PATH, HEALTH_WANTS_LINK,
						    GRUBENV_PATH, NULL};

		for (const char *const *e = trial ? armed : direct; *e; e++)
			if (strv_add(&g.files.extra, *e) < 0) {
				r = log_oom();
				goto out;
			}
	}
	if (trial)
		grub->record_only = true;
	if (asprintf(&g.files.pending, "%s %u", trial ? "trial" : "direct",
		     managed_set_rebuild(&g.files) | pending_rebuild) < 0) {
		g.files.pending = NULL;
		(void)log_oom();
		r = EXIT_ERROR;
		goto out;
	}
	r = managed_apply(cli->pc, &g.files);
	if (r < 0) {
		log_error_errno(r, "Failed to write the boot configuration below '%s': %m",
				cli->root);
		r = EXIT_ERROR;
		goto out;
	}
	aj.written = true;
	aj.reboot_required = grub || (managed_set_rebuild(&g.files) | pending_rebuild);
	aj.trial = trial;
	aj.trial_grub = grub;
	for (size_t i = 0; i < g.files.n; i++) {
		const struct managed_file *f = &g.files.files[i];

		if (trial && f == grub)
			printf("Prepared %s for the trial entry (%s stays as it is until the trial "
			       "is confirmed)\n",
			       TRIAL_DROPIN_PATH, f->path);
		else if (f->action != MANAGED_UNCHANGED)
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

	r = trial ? arm_trial(cli, &g, grub) : trial_record_direct(cli->pc, g.files.generation);
	if (r < 0) {
		if (!trial)
			log_error_errno(r, "Failed to write '%s': %m", TRIAL_STATE_PATH);
		r = EXIT_ERROR;
		goto out;
	}

	r = gen_rebuild(cli, managed_set_rebuild(&g.files) | pending_rebuild, no_rebuild);
	if (r < 0) {
		log_error("The files are written, but the rebuild failed: fix it and run the command "
			  "again before rebooting.");
		r = EXIT_ERROR;
		goto out;
	}
	/* Failing leaves the apply pending, as a failed rebuild does: running it again redoes it. */
	if (r > 0 && verify_images(cli, trial) < 0) {
		r = EXIT_ERROR;
		goto out;
	}
	/* Only once grub.cfg has the trial entry: next_entry naming a missing one is useless. */
	if (trial && no_rebuild)
		log_notice("After the rebuild, run 'grub-reboot " TRIAL_ENTRY_ID "' to boot the trial.");
	else
		r = trial ? trial_set_next_entry(cli->pc) : trial_clear_next_entry(cli->pc);
	if (r < 0) {
		log_error_errno(r, "Failed to %s next_entry in '%s': %m", trial ? "set" : "unset",
				GRUBENV_PATH);
		r = EXIT_ERROR;
		goto out;
	}
	r = managed_finish(cli->pc);
	if (r < 0) {
		log_error_errno(r, "Failed to update the state below '%s': %m", cli->root);
		r = EXIT_ERROR;
		goto out;
	}
	if (trial)
		printf("Armed generation %" PRIu64 " as a trial: the next boot uses it once, and "
		       "gpt-bootcfg-health.service makes it the default if it is healthy.\n",
		       g.files.generation);
	else
		printf("Applied generation %" PRIu64 ".%s\n", g.files.generation,
		       now ? "" : " Reboot to claim the devices.");
	/* After the transaction: the boot configuration is complete whatever happens now. */
	r = now ? claim_now(cli, &g, &nr, &aj) : EXIT_OK;
out:
	if (json) {
		int k = apply_json_finish(&aj, &g);

		if (k < 0) {
			log_error_errno(k, "Failed to print the JSON result: %m");
			r = EXIT_ERROR;
		}
	}
	gen_done(&g);
	return r;
}
