/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Config value parsers shared by the [host], [device] and [vm] sections. */

#include <stdbool.h>

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
 * Split s on any run of the characters in sep into a new strv (never NULL: empty when s
 * has no words). -ENOMEM.
 */
int split_words(const char *s, const char *sep, char ***ret);
