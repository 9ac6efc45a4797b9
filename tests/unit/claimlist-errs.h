/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The claim list tests' error collector: what claim_list_parse() reported, up to eight. */

#include <stdio.h>
#include <string.h>

#include "claimproto/claimlist.h"

struct errs {
	unsigned n;
	unsigned line[8], col[8];
	char msg[8][160];
};

static inline void collect(void *userdata, unsigned line, unsigned column, const char *message)
{
	struct errs *e = userdata;

	if (e->n < 8) {
		e->line[e->n] = line;
		e->col[e->n] = column;
		snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s", message);
	}
	e->n++;
}

/* Parse s into l, the errors into e (cleared first). */
static inline int parse(const char *s, struct claim_list *l, struct errs *e)
{
	*e = (struct errs){0};
	return claim_list_parse(s, strlen(s), l, collect, e);
}
