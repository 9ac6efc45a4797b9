/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "basic/strbuf.h"
#include "basic/strv-util.h"

bool strv_contains(char *const *l, const char *s)
{
	STRV_FOREACH (i, l)
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

int strv_vaddf(char ***l, bool unique, const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		return -ENOMEM;
	if (unique && strv_contains(*l, s)) {
		free(s);
		return 0;
	}
	return strv_consume(l, s);
}

int strv_addf(char ***l, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = strv_vaddf(l, false, fmt, ap);
	va_end(ap);
	return r;
}

int strv_addf_unique(char ***l, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = strv_vaddf(l, true, fmt, ap);
	va_end(ap);
	return r;
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
	STRV_FOREACH (i, l) {
		if (i != l)
			strbuf_puts(&sb, sep);
		strbuf_puts(&sb, *i);
	}
	if (strbuf_steal(&sb, &s) < 0)
		return NULL;
	return s;
}

int split_words(const char *s, const char *sep, char ***ret)
{
	_cleanup_strv_free_ char **l = calloc(1, sizeof(char *));

	if (!l)
		return -ENOMEM;
	for (const char *p = s;;) {
		size_t w;
		int r;

		p += strspn(p, sep);
		w = strcspn(p, sep);
		if (w == 0)
			break;
		r = strv_addn(&l, p, w);
		if (r < 0)
			return r;
		p += w;
	}
	*ret = TAKE_PTR(l);
	return 0;
}
