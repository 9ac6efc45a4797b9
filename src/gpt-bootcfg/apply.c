/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "apply-json.h"
#include "basic/log.h"
#include "basic/strv-util.h"
#include "core/verbs.h"
#include "now/now.h"
#include "trial/trial.h"
#include "write/gen.h"
#include "write/lock.h"
#include "write/transaction.h"

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
	bool yes = false, no_rebuild = false, json = false;
	struct apply_json aj = APPLY_JSON_INIT;
	int c, r, trial_req = -1;
	_cleanup_close_ int lock = -1;
	struct transaction t;
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
	if (verb_extra_operand(argc, argv))
		return EXIT_ERROR;
	/* A JSON consumer is a program: it cannot answer the prompt, so it must say --yes. */
	if (json && !yes) {
		log_error(
		    "apply --json does not ask: add --yes (after reviewing 'gpt-bootcfg plan').");
		return EXIT_ERROR;
	}
	if (!yes && !isatty(STDIN_FILENO)) {
		log_error(
		    "Not asking for confirmation without a terminal: run 'gpt-bootcfg plan' to "
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
	if (r == EXIT_OK)
		r = gen_check_guardrails(cli, &g);
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
	r = transaction_begin(cli, &g, trial_req, &t);
	if (r != EXIT_OK)
		goto out;
	if (!transaction_has_work(&t)) {
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
	r = transaction_write(&t);
	if (r != EXIT_OK)
		goto out;
	aj.written = true;
	aj.reboot_required = t.grub || transaction_rebuild(&t);
	aj.trial = t.trial;
	aj.trial_grub = t.grub;
	for (size_t i = 0; i < g.files.n; i++) {
		const struct managed_file *f = &g.files.files[i];

		if (t.trial && f == t.grub)
			printf("Prepared %s for the trial entry (%s stays as it is until the trial "
			       "is confirmed)\n",
			       f->shared ? TRIAL_KCMDLINE_PATH : TRIAL_DROPIN_PATH, f->path);
		else if (f->action != MANAGED_UNCHANGED)
			printf("%s %s\n",
			       f->action == MANAGED_CREATE   ? "Created"
			       : f->action == MANAGED_UPDATE ? "Updated"
							     : "Removed",
			       f->path);
	}
	STRV_FOREACH (w, g.plan->params.warnings)
		log_warning("%s", *w);
	STRV_FOREACH (n, g.plan->notes)
		log_notice("%s", *n);
	fflush(stdout);

	r = transaction_commit(&t, no_rebuild);
	if (r != EXIT_OK)
		goto out;
	if (t.trial)
		printf("Armed generation %" PRIu64 " as a trial: the next boot uses it once, and "
		       "gpt-bootcfg-health.service makes it the default if it is healthy.\n",
		       g.files.generation);
	else
		printf("Applied generation %" PRIu64 ".%s\n", g.files.generation,
		       now ? "" : " Reboot to claim the devices.");
	/* After the transaction committed: the boot configuration is complete whatever happens now.
	 */
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
