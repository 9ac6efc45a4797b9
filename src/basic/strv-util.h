/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * NULL-terminated string arrays (strv, see path.h) beyond what the path layer needs: the one
 * home of appending, used by the CLI and the claim binary (libc only).
 */

#include <stdarg.h>
#include <stdbool.h>

#include "basic/path.h"

/* True if l contains s. */
bool strv_contains(char *const *l, const char *s);

/* Append a copy of s to *l (which may be NULL: a new strv is made). -ENOMEM. */
int strv_add(char ***l, const char *s);

/* Append a copy of the first len bytes of s. -ENOMEM. */
int strv_addn(char ***l, const char *s, size_t len);

/*
 * Append s itself: the list owns it from now on, and on failure s is freed. s == NULL
 * gives -ENOMEM, so a failed strdup() or asprintf() result can be passed straight in.
 */
int strv_consume(char ***l, char *s);

/* Append a copy of s unless it is already present. */
int strv_add_unique(char ***l, const char *s);

/*
 * Append the formatted string; with unique, only when the result is not already present
 * (as strv_add_unique()). -ENOMEM. The one home of "format, then append" (problem lists,
 * failure lists, state lines).
 */
int strv_vaddf(char ***l, bool unique, const char *fmt, va_list ap) _printf_(3, 0);
int strv_addf(char ***l, const char *fmt, ...) _printf_(2, 3);
int strv_addf_unique(char ***l, const char *fmt, ...) _printf_(2, 3);

/* Sort in place (strcmp order). */
void strv_sort(char **l);

/* Join with sep into a new string ("" for an empty or NULL list). */
char *strv_join(char *const *l, const char *sep);

/*
 * Split s on any run of the characters in sep into a new strv (never NULL: empty when s
 * has no words). -ENOMEM.
 */
int split_words(const char *s, const char *sep, char ***ret);
