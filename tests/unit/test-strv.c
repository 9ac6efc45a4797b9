/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * strv-util.c: the one append helper that replaced strv_push() in host.c, modload.c,
 * vmconfig.c and trial.c and hw_strv_append() in vmhw.c, at their call sites' edge cases;
 * and strv_addf(), which replaced four "format, then append" copies.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/strv-util.h"
#include "tap.h"

int main(void)
{
	_cleanup_strv_free_ char **l = NULL;
	char *s;

	/* host.c, trial.c: the list starts as NULL. */
	is_int(strv_add(&l, "a"), 0, "add to a NULL list");
	is_int(strv_length(l), 1, "one entry");
	ok(l[1] == NULL, "NULL-terminated");
	/* modload.c: a word out of a longer line. */
	is_int(strv_addn(&l, "bcd", 2), 0, "add the first len bytes");
	is_str(l[1], "bc", "only len bytes");
	is_int(strv_addn(&l, "x", 0), 0, "add an empty prefix");
	is_str(l[2], "", "empty entry");
	/* vmhw.c: an allocated option string, ownership passes. */
	s = strdup("rombar=0");
	is_int(strv_consume(&l, s), 0, "consume");
	ok(l[3] == s, "the same pointer, not a copy");
	/* vmhw.c passed a failed strndup() result straight in. */
	is_int(strv_consume(&l, NULL), -ENOMEM, "consume NULL is -ENOMEM");
	is_int(strv_length(l), 4, "list untouched on failure");
	ok(strv_contains(l, "bc") && !strv_contains(l, "b"), "contains whole strings");
	is_int(strv_add_unique(&l, "a"), 0, "add_unique of a present string");
	is_int(strv_length(l), 4, "not added twice");

	/* initrdcheck.c, trial-check.c: problem and failure lists, formatted. */
	is_int(strv_addf(&l, "%s is not active (%d)", "unit", 3), 0, "addf");
	is_str(l[4], "unit is not active (3)", "addf formats");
	is_int(strv_addf(&l, "%s is not active (%d)", "unit", 3), 0, "addf again");
	is_int(strv_length(l), 6, "addf appends duplicates");
	/* managed-state.c, managed-revert.c: state lines, each once. */
	is_int(strv_addf_unique(&l, "backup %s %s", "/etc/x", "/var/x.bak"), 0, "addf_unique");
	is_int(strv_addf_unique(&l, "backup %s %s", "/etc/x", "/var/x.bak"), 0,
	       "addf_unique of a present line");
	is_int(strv_length(l), 7, "addf_unique adds once");
	is_str(l[6], "backup /etc/x /var/x.bak", "the line as formatted");
	ok(l[7] == NULL, "still NULL-terminated");

	return done_testing();
}
