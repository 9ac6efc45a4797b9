/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * "apply --json" for configuration management (Ansible's changed_when, a reboot handler):
 * one JSON document on stdout and nothing else there. apply keeps printing what it prints
 * (the plan on a refusal, "Created ...", the rebuild commands and their output), but to
 * stderr: apply_json_begin() points file descriptor 1 at stderr for the whole run, children
 * included, and apply_json_finish() writes the document to the saved stdout.
 *
 *   {"changed": bool, "reboot_required": bool, "trial": null | {...}, "generation": N,
 *    "files": [{"path": P, "action": "create"|"update"|"remove"|"trial"}],
 *    "refused": [{"address", "device", "reason", "detail"}],
 *    "now": {"devices": [{"address", "device", "result", "reason", "driver_before"}],
 *            "all_claimed": bool}}   (only with --now; result: "claimed", "already",
 *                                     "reboot", "refused", "failed")
 */

#include <stdbool.h>

#include "now/now.h"
#include "write/gen.h"

struct apply_json {
	int fd;				       /* the real stdout while in JSON mode, else -1 */
	bool written;			       /* managed files were written in this run */
	bool reboot_required;		       /* what was written takes effect at the next boot */
	bool trial;			       /* armed as a trial boot */
	const struct managed_file *trial_grub; /* recorded only; the trial drop-in was written */
	const struct now_result *now;	       /* apply --now ran: "now" (now.h); else absent */
};

#define APPLY_JSON_INIT                                                                            \
	{                                                                                          \
		.fd = -1                                                                           \
	}

/* Save stdout and send everything else printed there to stderr. 0 or -errno. */
int apply_json_begin(struct apply_json *j);

/*
 * Restore stdout and print the document. g may be only partly loaded (a bad configuration):
 * missing parts give empty lists. Does nothing when apply_json_begin() was not called.
 */
int apply_json_finish(struct apply_json *j, const struct gen *g);
