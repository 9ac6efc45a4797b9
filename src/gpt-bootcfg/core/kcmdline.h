/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * /etc/kernel/cmdline on a systemd-boot host (KERNEL_CMDLINE_PATH): the admin's kernel
 * parameters, which kernel-install writes into every entry, and one line of ours, the
 * marked part apply writes and revert takes out again. kernel-install reads the file's
 * words across lines ("tr -s $IFS ' '"), so a line of its own adds our parameters after the
 * admin's, as GRUB's drop-in does, without touching a byte of theirs. The line starts with
 * its mark, "gpt_bootcfg.generation=N" (a parameter the kernel hands to no one: a dotted
 * name is a module's), then the plan's parameters.
 *
 * Byte for byte: our line is appended after a newline the file ends with; when the file
 * does not end with one, a newline and our line without one are appended. So whether our
 * line ends with a newline tells what to take out: revert gives back the exact bytes.
 */

#include <stdbool.h>
#include <stdint.h>

#define KCMDLINE_MARK "gpt_bootcfg.generation="

/* Our line: "gpt_bootcfg.generation=N" and the params (strv, may be NULL), blank-separated. */
int kcmdline_line(uint64_t generation, char *const *params, char **ret);

/* contents without our line, as they were before it was added; *ret_found: there was one. */
int kcmdline_block_strip(const char *contents, char **ret, bool *ret_found);

/* contents with our line set to line (which holds no newline): replaced, or added. */
int kcmdline_block_set(const char *contents, const char *line, char **ret);

/* Our line of contents, without its newline: 1 and *ret, 0 when there is none. */
int kcmdline_block_get(const char *contents, char **ret);
