/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Parsers for /proc/self/mountinfo and /proc/swaps contents (pure text, no I/O). */

#include <stddef.h>

struct mountinfo_entry {
	unsigned major, minor;
	char *target; /* mount point, octal escapes (\040) decoded */
	char *source; /* mount source ("/dev/nvme0n1p1", "tmpfs"), decoded */
	char *fstype;
	char *options; /* super block options ("rw,pagesize=2M"), "" when the line has none */
};

/*
 * Parse the whole mountinfo text. On garbage, -EBADMSG and *ret_line is set to the
 * 1-based line number of the bad line (when ret_line is not NULL).
 */
int mountinfo_parse(const char *text, struct mountinfo_entry **ret, size_t *ret_n,
		    unsigned *ret_line);
void mountinfo_free(struct mountinfo_entry *l, size_t n);

/*
 * Parse /proc/swaps: the first column of every line after the header, decoded, as a
 * NULL-terminated array. -EBADMSG with *ret_line set when the header is missing.
 */
int swaps_parse(const char *text, char ***ret, unsigned *ret_line);
