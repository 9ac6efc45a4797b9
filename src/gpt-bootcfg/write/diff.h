/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Unified diffs of two texts, for plan's text output. */

#include "basic/strbuf.h"

/*
 * Append a unified diff (3 lines of context) from a to b to out, with "--- a_label" and
 * "+++ b_label" headers. NULL stands for an absent file (diffed as empty, labelled
 * /dev/null). Nothing is appended when the texts are equal.
 */
void diff_unified(struct strbuf *out, const char *a, const char *b, const char *a_label,
		  const char *b_label);
