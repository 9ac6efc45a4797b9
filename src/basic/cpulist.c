/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>

#include "basic/cpulist.h"
#include "basic/parse-util.h"
#include "basic/strbuf.h"

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	return p;
}

static int parse_cpu(const char **s, unsigned *ret)
{
	const char *end;
	uint64_t v;

	if (safe_atou64_prefix(*s, 10, &v, &end) < 0 || v > CPULIST_MAX_CPU)
		return -EINVAL;
	*s = end;
	*ret = (unsigned)v;
	return 0;
}

/*
 * The one tokenizer: calls fn once per range a-b (a <= b) in the order written. Returns
 * -EINVAL on syntax errors, else what fn returned first if negative, else 0.
 */
static int walk(const char *s, int (*fn)(unsigned a, unsigned b, void *userdata), void *userdata)
{
	const char *p = skip_space(s);
	int r;

	if (*p == '\0')
		return 0;
	for (;;) {
		unsigned a, b;

		p = skip_space(p);
		r = parse_cpu(&p, &a);
		if (r < 0)
			return r;
		b = a;
		p = skip_space(p);
		if (*p == '-') {
			p = skip_space(p + 1);
			r = parse_cpu(&p, &b);
			if (r < 0)
				return r;
			if (b < a)
				return -EINVAL;
			p = skip_space(p);
		}
		r = fn(a, b, userdata);
		if (r < 0)
			return r;
		if (*p == '\0')
			return 0;
		if (*p != ',')
			return -EINVAL;
		p++;
	}
}

static int mark(unsigned a, unsigned b, void *userdata)
{
	bool *bitmap = userdata;

	for (unsigned c = a; c <= b; c++)
		bitmap[c] = true;
	return 0;
}

int cpulist_parse(const char *s, unsigned **ret, size_t *ret_n)
{
	bool *bitmap;
	unsigned *l = NULL;
	size_t n = 0;
	int r;

	bitmap = calloc(CPULIST_MAX_CPU + 1, sizeof(bool));
	if (!bitmap)
		return -ENOMEM;
	r = walk(s, mark, bitmap);
	if (r < 0) {
		free(bitmap);
		return -EBADMSG;
	}
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

bool cpulist_contains(const struct cpu_set_list *l, unsigned cpu)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->cpus[i] == cpu)
			return true;
	return false;
}

struct ordered {
	struct cpu_set_list l;
	size_t alloc;
};

static int append(unsigned a, unsigned b, void *userdata)
{
	struct ordered *o = userdata;

	for (unsigned c = a; c <= b; c++) {
		if (cpulist_contains(&o->l, c))
			return -ENOTUNIQ;
		if (o->l.n == o->alloc) {
			size_t na = o->alloc ? o->alloc * 2 : 16;
			unsigned *nl = realloc(o->l.cpus, na * sizeof(*nl));

			if (!nl)
				return -ENOMEM;
			o->l.cpus = nl;
			o->alloc = na;
		}
		o->l.cpus[o->l.n++] = c;
	}
	return 0;
}

int cpulist_parse_ordered(const char *s, struct cpu_set_list *ret)
{
	struct ordered o = {0};
	int r;

	r = walk(s, append, &o);
	if (r < 0) {
		free(o.l.cpus);
		return r;
	}
	*ret = o.l;
	return 0;
}

int cpulist_format(const unsigned *cpus, size_t n, char **ret)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

	/* An empty list formats as "", not as no string. */
	strbuf_puts(&sb, "");
	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j + 1 < n && cpus[j + 1] == cpus[j] + 1)
			j++;
		if (i > 0)
			strbuf_putc(&sb, ',');
		if (j == i)
			strbuf_printf(&sb, "%u", cpus[i]);
		else
			strbuf_printf(&sb, "%u-%u", cpus[i], cpus[j]);
		i = j + 1;
	}
	return strbuf_steal(&sb, ret);
}
