/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* NULL-terminated string arrays (strv, see path.h) beyond what the path layer needs. */

#include <stdbool.h>

#include "path.h"

/* True if l contains s. */
bool strv_contains(char *const *l, const char *s);

/* Append a copy of s to *l (which may be NULL: a new strv is made). */
int strv_add(char ***l, const char *s);

/* Append a copy of s unless it is already present. */
int strv_add_unique(char ***l, const char *s);

/* Sort in place (strcmp order). */
void strv_sort(char **l);

/* Join with sep into a new string ("" for an empty or NULL list). */
char *strv_join(char *const *l, const char *sep);
