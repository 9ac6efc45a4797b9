/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Config value parsers shared by the [host], [device] and [vm] sections. */

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
 * -ERANGE above max; *ret untouched on failure.
 */
int parse_uint(const char *s, unsigned max, unsigned *ret);

/*
 * The safe_ato*() family: the whole of s is one number, or -EINVAL (empty, a sign where
 * none is allowed, blanks, trailing text) / -ERANGE (out of range); *ret untouched on
 * failure. Use these instead of strto*(), which skip blanks, accept signs on unsigned
 * types and stop silently at the first stray byte.
 */
/* Decimal, 0..UINT_MAX. */
int safe_atou(const char *s, unsigned *ret);
/* Decimal, min..max. */
int safe_atou_range(const char *s, unsigned min, unsigned max, unsigned *ret);
/* Decimal, 0..UINT64_MAX. */
int safe_atou64(const char *s, uint64_t *ret);
/* Hexadecimal digits (no "0x"), 0..UINT64_MAX. */
int safe_atox64(const char *s, uint64_t *ret);
/* Decimal with an optional '-', INT_MIN..INT_MAX. */
int safe_atoi(const char *s, int *ret);
/* Decimal with an optional '-', INT64_MIN..INT64_MAX. */
int safe_atoi64(const char *s, int64_t *ret);

/*
 * A login name as every key naming a host user takes it (user, audio-user,
 * looking-glass-user): 1 to 32 ASCII letters, digits, '-', '_' and '.', not starting with
 * '-' (an option to the tools that get it) or '.'. Whether the user exists is the passwd
 * file's to say.
 */
bool user_name_valid(const char *s);

/*
 * Split s on any run of the characters in sep into a new strv (never NULL: empty when s
 * has no words). -ENOMEM.
 */
int split_words(const char *s, const char *sep, char ***ret);
