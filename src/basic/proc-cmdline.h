/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The kernel command line, split and unquoted by the kernel's own rules (next_arg() in
 * lib/cmdline.c, parse_args() and parameq() in kernel/params.c):
 *  - words are separated by white space; a double quote toggles "inside quotes", where
 *    white space is part of the word, so both a="x y" and "a=x y" are one word;
 *  - a word that begins with a quote loses it and its closing quote; a value that begins
 *    with a quote loses it and the word's closing quote;
 *  - the first '=' (not the word's first character) separates name and value;
 *  - in NAMES '-' and '_' are the same character (intel-iommu=on is intel_iommu=on);
 *    values are compared as written;
 *  - a bare "--" ends the kernel's parameters: what follows is for init, not the kernel;
 *  - each lookup answers with the last occurrence, as a later parameter overrides.
 * libc only: the claim binary uses it. Nothing allocates except proc_cmdline_get().
 */

#include <stdbool.h>
#include <stddef.h>

/* One parameter: pointers into the command line, not NUL-terminated. */
struct proc_cmdline_word {
	const char *key;
	size_t key_len;
	const char *value; /* NULL for a bare flag ("quiet"); may be empty ("a=") */
	size_t value_len;
};

/*
 * Split the next parameter off *p, advancing *p past it. Returns 1 and fills *ret, or 0
 * (ret untouched) at the end of the string or at "--".
 */
int proc_cmdline_next(const char **p, struct proc_cmdline_word *ret);

/* True if the parameter name key[0..len) is name, '-' and '_' counting as equal. */
bool proc_cmdline_key_eq(const char *key, size_t len, const char *name);

/* True if the word's value is exactly s (false for a bare flag). */
bool proc_cmdline_value_eq(const struct proc_cmdline_word *w, const char *s);

/*
 * The last occurrence of parameter key in cmdline. Returns 1 and, if ret_value is not NULL,
 * a newly allocated value in *ret_value ("" for a bare flag); 0 when absent; -ENOMEM. On 0
 * and on failure *ret_value is untouched. cmdline may be NULL (no parameters).
 */
int proc_cmdline_get(const char *cmdline, const char *key, char **ret_value);

/*
 * True if the parameter written as param ("intel_iommu=on", "quiet", as it would appear on
 * the command line) is in effect: the last occurrence of its name has the same value (or
 * is a bare flag too, for a bare flag).
 */
bool proc_cmdline_in_effect(const char *cmdline, const char *param);
