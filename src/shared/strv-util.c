/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "strv-util.h"
#include "strbuf.h"

bool strv_contains(char *const *l, const char *s)
{
	STRV_FOREACH(i, l)
		if (streq(*i, s))
			return true;
	return false;
}

int strv_consume(char ***l, char *s)
{
	size_t n;
	char **nl;

	if (!s)
		return -ENOMEM;
	n = strv_length(*l);
	nl = realloc(*l, (n + 2) * sizeof(char *));
	if (!nl) {
		free(s);
		return -ENOMEM;
	}
	nl[n] = s;
	nl[n + 1] = NULL;
	*l = nl;
	return 0;
}

int strv_add(char ***l, const char *s)
{
	return strv_consume(l, strdup(s));
}

int strv_addn(char ***l, const char *s, size_t len)
{
	return strv_consume(l, strndup(s, len));
}

int strv_add_unique(char ***l, const char *s)
{
	if (strv_contains(*l, s))
		return 0;
	return strv_add(l, s);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(char **l)
{
	if (l)
		qsort(l, strv_length(l), sizeof(char *), cmp);
}

char *strv_join(char *const *l, const char *sep)
{
	struct strbuf sb = STRBUF_INIT;
	char *s = NULL;

	strbuf_puts(&sb, "");
	STRV_FOREACH(i, l) {
		if (i != l)
			strbuf_puts(&sb, sep);
		strbuf_puts(&sb, *i);
	}
	if (strbuf_steal(&sb, &s) < 0)
		return NULL;
	return s;
}
