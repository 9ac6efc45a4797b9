/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <stdio.h>

#include "basic/log.h"
#include "core/verbs.h"
#include "write/gen.h"

static void help(void)
{
	printf("Usage: gpt-bootcfg [--root DIR] plan [--json] [--allow REASON[,REASON...]]\n\n"
	       "Show what apply would do and why: the devices claimed, the refusals, the\n"
	       "kernel parameters, and each managed file with a diff. Writes nothing.\n"
	       "Exits 1 when anything is refused.\n\n"
	       "  --json            machine-readable output\n"
	       "  --allow REASON    override a refusal reason for every device\n");
}

int verb_plan(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"allow", required_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	_cleanup_strv_free_ char **allow = NULL;
	struct gen g;
	bool json = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 'j':
			json = true;
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
	if (verb_extra_operand(argc, argv))
		return EXIT_ERROR;

	r = gen_load(cli, allow, &g);
	if (r == EXIT_OK)
		r = gen_check_guardrails(cli, &g);
	if (r == EXIT_OK) {
		if (gen_print_plan(&g, json, true) < 0)
			r = EXIT_ERROR;
		else if (plan_is_refused(g.plan))
			r = EXIT_PROBLEMS;
	}
	gen_done(&g);
	return r;
}
