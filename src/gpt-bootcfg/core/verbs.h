/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * One file per CLI verb. Each verb parses its own options from argv (argv[0] is the
 * verb's name) and returns the process exit status (0, 1 for "found problems", 2 for
 * usage or operational errors) after logging.
 */

#include <getopt.h>
#include <stdbool.h>

#include "basic/log.h"
#include "basic/path.h"

struct cli {
	const char *root;    /* --root DIR, "/" for the host */
	struct path_cxt *pc; /* root-prefix context for root */
	bool color;	     /* stdout is a TTY and NO_COLOR is unset */
	const char *config;  /* --config FILE (host path), default CONFIG_PATH */
};

#define CONFIG_PATH "/etc/gpt-bootcfg/gpt-bootcfg.conf"

#define EXIT_OK	      0
#define EXIT_PROBLEMS 1
#define EXIT_ERROR    2

int verb_list(struct cli *cli, int argc, char **argv);
int verb_check(struct cli *cli, int argc, char **argv);
int verb_snapshot(struct cli *cli, int argc, char **argv);
int verb_init(struct cli *cli, int argc, char **argv);
int verb_plan(struct cli *cli, int argc, char **argv);
int verb_apply(struct cli *cli, int argc, char **argv);
int verb_revert(struct cli *cli, int argc, char **argv);
int verb_status(struct cli *cli, int argc, char **argv);
int verb_confirm(struct cli *cli, int argc, char **argv);
int verb_vm(struct cli *cli, int argc, char **argv);

/*
 * For a verb that takes options only, after its getopt_long() loop: true, having logged
 * "'VERB' takes no arguments, got 'X'.", when an operand follows the options.
 */
static inline bool verb_extra_operand(int argc, char **argv)
{
	if (optind >= argc)
		return false;
	log_error("'%s' takes no arguments, got '%s'.", argv[0], argv[optind]);
	return true;
}
