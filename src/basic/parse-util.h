/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The one home of parsing numbers and values (configuration, sysfs and procfs attributes,
 * state files, the environment, options): no strto*() and no digit loops elsewhere.
 */

#include <stdbool.h>
#include <stdint.h>

/* White space as isspace() in the C locale: the separator set for word lists. */
#define WHITESPACE " \t\n\v\f\r"

/*
 * yes/true/on/1 and no/false/off/0, in any case ("Yes" is as clear as "yes"). -EINVAL
 * otherwise, *ret untouched.
 */
int parse_bool(const char *s, bool *ret);

/*
 * A decimal number 0..max, digits only (no sign, no blanks). -EINVAL on anything else,
 * -ERANGE above max; *ret untouched on failure. safe_atou_range(s, 0, max, ret) under the
 * name the key parsers know it by.
 */
int parse_uint(const char *s, unsigned max, unsigned *ret);

/*
 * The safe_ato*() family: the whole of s is one number, or -EINVAL (empty, a sign where
 * none is allowed, blanks, trailing text: also when the digits would overflow) / -ERANGE
 * (a number, out of range); *ret untouched on failure. Use these instead of strto*(), which skip
 * blanks, accept signs on unsigned types and stop silently at the first stray byte.
 */
/* Decimal, 0..UINT_MAX. */
int safe_atou(const char *s, unsigned *ret);
/* Decimal, min..max. */
int safe_atou_range(const char *s, unsigned min, unsigned max, unsigned *ret);
/* Decimal, 0..UINT64_MAX. */
int safe_atou64(const char *s, uint64_t *ret);
/* Hexadecimal digits in either case (no "0x"), 0..UINT64_MAX. */
int safe_atox64(const char *s, uint64_t *ret);
/* Decimal with an optional '-' (no '+'), INT_MIN..INT_MAX. */
int safe_atoi(const char *s, int *ret);
/* Decimal with an optional '-' (no '+'), INT64_MIN..INT64_MAX. */
int safe_atoi64(const char *s, int64_t *ret);

/*
 * The one parser of a number at the start of a longer text ("123 kB", "5.14.0", "8:1", a
 * field of /proc/PID/stat, "16GiB"): the digits of base (8, 10 or 16; either case; no
 * "0x") at s, as many as there are, at least one; no sign, no blanks. *ret_end (when not
 * NULL) points at the first byte after them, for the caller to check what follows.
 * -EINVAL when s does not start with a digit, -ERANGE when they do not fit in 64 bits;
 * *ret and *ret_end untouched on failure.
 */
int safe_atou64_prefix(const char *s, unsigned base, uint64_t *ret, const char **ret_end);

/*
 * A login name as every key naming a host user takes it (user, audio-user,
 * looking-glass-user): 1 to 32 ASCII letters, digits, '-', '_' and '.', not starting with
 * '-' (an option to the tools that get it) or '.'. Whether the user exists is the passwd
 * file's to say.
 */
bool user_name_valid(const char *s);
