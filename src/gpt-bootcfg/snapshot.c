/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "log.h"
#include "verbs.h"

/* Placeholder until the verb lands; fails loudly so no test can pass against it. */
int verb_snapshot(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	log_error("'snapshot' is not implemented yet.");
	return EXIT_ERROR;
}
