/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "cpulist.h"

static int parse_cpu(const char **s, unsigned *ret)
{
	unsigned long v = 0;
	const char *p = *s;

	if (!isdigit((unsigned char)*p))
		return -EBADMSG;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > CPULIST_MAX_CPU)
			return -EBADMSG;
		p++;
	}
	*s = p;
	*ret = (unsigned)v;
	return 0;
}

/* Walks the list once, calling back per range; shared by parse and count. */
static int walk(const char *s, bool *bitmap)
{
	const char *p = s;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '\n')
		return 0;
	for (;;) {
		unsigned a, b;
		int r;

		r = parse_cpu(&p, &a);
		if (r < 0)
			return r;
		b = a;
		if (*p == '-') {
			p++;
			r = parse_cpu(&p, &b);
			if (r < 0)
				return r;
			if (b < a)
				return -EBADMSG;
		}
		if (bitmap)
			for (unsigned c = a; c <= b; c++)
				bitmap[c] = true;
		if (*p == ',') {
			p++;
			continue;
		}
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		return *p ? -EBADMSG : 0;
	}
}

int cpulist_parse(const char *s, unsigned **ret, size_t *ret_n)
{
	bool *bitmap;
	unsigned *l = NULL;
	size_t n = 0;
	int r;

	r = walk(s, NULL);
	if (r < 0)
		return r;
	bitmap = calloc(CPULIST_MAX_CPU + 1, sizeof(bool));
	if (!bitmap)
		return -ENOMEM;
	(void)walk(s, bitmap);
	for (unsigned c = 0; c <= CPULIST_MAX_CPU; c++)
		n += bitmap[c];
	if (n > 0) {
		size_t i = 0;

		l = malloc(n * sizeof(unsigned));
		if (!l) {
			free(bitmap);
			return -ENOMEM;
		}
		for (unsigned c = 0; c <= CPULIST_MAX_CPU; c++)
			if (bitmap[c])
				l[i++] = c;
	}
	free(bitmap);
	*ret = l;
	*ret_n = n;
	return 0;
}

int cpulist_count(const char *s)
{
	_Static_assert(CPULIST_MAX_CPU < 1 << 30, "count fits in int");
	unsigned *l = NULL;
	size_t n = 0;
	int r;

	r = cpulist_parse(s, &l, &n);
	if (r < 0)
		return r;
	free(l);
	return (int)n;
}
