/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The one validator for every value gpt-bootcfg writes into a file that a shell sources or
 * GRUB parses: the /etc/default/grub.d drop-in (sourced by grub-mkconfig, then pasted into
 * grub.cfg), the trial's trial.cmdline (read by grub.d/42_gpt-bootcfg-trial into a
 * menuentry), and the module names of /etc/modprobe.d (one directive a line).
 *
 * A safe word is non-empty and holds no blank, no control byte, and none of
 *     ' " \ $ ; { } ` | & < > #
 * which covers every character grub.d/42_gpt-bootcfg-trial refuses, shell expansion and
 * quoting inside the drop-in's double quotes, GRUB's quoting, variables, blocks and
 * comments, and line breaks that would start another directive (issue 14).
 */

#include <stdbool.h>
#include <stddef.h>

/* The characters refused besides blanks and control bytes, for messages and docs. */
#define SAFE_WORD_REFUSED "'\"\\$;{}`|&<>#"

/* Whether byte c may appear in a safe word. */
bool safe_word_char(unsigned char c);

/*
 * Offset of the first byte of s (length n) that may not appear in a safe word, or n when
 * there is none. Blanks count as unsafe: split words before checking them.
 */
size_t safe_word_span(const char *s, size_t n);

/* Whether s is a safe word (non-empty, every byte safe). */
bool safe_word(const char *s);

/*
 * Whether s may stand in a comment line of such a file ("# ..."): no control byte, so no
 * newline can end the comment and start a line the shell runs.
 */
bool safe_comment(const char *s);

/*
 * Describe the byte c for a message: "'$'", "a tab", "control byte 0x1b". Returns buf,
 * which must hold at least 24 bytes.
 */
const char *safe_word_describe(unsigned char c, char *buf, size_t size);
