/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdint.h>

#include "write/diff.h"

#define CONTEXT 3
/* Managed files are small; beyond this the diff degrades to "all removed, all added". */
#define MAX_LINES 4000

struct lines {
	const char **start;
	size_t *len;
	size_t n;
};

static int split(const char *s, struct lines *ret)
{
	size_t n = 0, cap = 16;

	ret->start = malloc(cap * sizeof(char *));
	ret->len = malloc(cap * sizeof(size_t));
	if (!ret->start || !ret->len)
		return -ENOMEM;
	while (s && *s) {
		const char *nl = strchr(s, '\n');
		size_t l = nl ? (size_t)(nl - s) + 1 : strlen(s);

		if (n == cap) {
			const char **ns;
			size_t *nlen;

			cap *= 2;
			ns = realloc(ret->start, cap * sizeof(char *));
			if (!ns)
				return -ENOMEM;
			ret->start = ns;
			nlen = realloc(ret->len, cap * sizeof(size_t));
			if (!nlen)
				return -ENOMEM;
			ret->len = nlen;
		}
		ret->start[n] = s;
		ret->len[n] = l;
		n++;
		s += l;
	}
	ret->n = n;
	return 0;
}

static bool line_eq(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && memcmp(a->start[i], b->start[j], a->len[i]) == 0;
}

static void put_line(struct strbuf *out, char tag, const char *s, size_t len)
{
	strbuf_putc(out, tag);
	strbuf_putn(out, s, len);
	if (len == 0 || s[len - 1] != '\n')
		strbuf_puts(out, "\n\\ No newline at end of file\n");
}

/* One edit script entry: ' ' keep, '-' delete a[i], '+' insert b[j]. */
struct op {
	char tag;
	size_t i, j;
};

void diff_unified(struct strbuf *out, const char *a, const char *b, const char *a_label,
		  const char *b_label)
{
	struct lines la = {}, lb = {};
	uint32_t *lcs = NULL;
	struct op *ops = NULL;
	size_t nops = 0;

	if (streq_ptr(a, b) || ((!a || !*a) && (!b || !*b)))
		return;
	if (split(a, &la) < 0 || split(b, &lb) < 0)
		goto oom;

	ops = malloc((la.n + lb.n + 1) * sizeof(*ops));
	if (!ops)
		goto oom;
	if (la.n <= MAX_LINES && lb.n <= MAX_LINES) {
		size_t w = lb.n + 1;
		size_t i = 0, j = 0;

		/* lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..]. */
		lcs = calloc((la.n + 1) * w, sizeof(uint32_t));
		if (!lcs)
			goto oom;
		for (size_t x = la.n; x-- > 0;)
			for (size_t y = lb.n; y-- > 0;)
				lcs[x * w + y] = line_eq(&la, x, &lb, y)
						     ? lcs[(x + 1) * w + y + 1] + 1
						 : lcs[(x + 1) * w + y] >= lcs[x * w + y + 1]
						     ? lcs[(x + 1) * w + y]
						     : lcs[x * w + y + 1];
		while (i < la.n || j < lb.n) {
			if (i < la.n && j < lb.n && line_eq(&la, i, &lb, j)) {
				ops[nops++] = (struct op){' ', i++, j++};
			} else if (j < lb.n &&
				   (i == la.n || lcs[i * w + j + 1] >= lcs[(i + 1) * w + j])) {
				ops[nops++] = (struct op){'+', i, j++};
			} else {
				ops[nops++] = (struct op){'-', i++, j};
			}
		}
	} else {
		for (size_t i = 0; i < la.n; i++)
			ops[nops++] = (struct op){'-', i, 0};
		for (size_t j = 0; j < lb.n; j++)
			ops[nops++] = (struct op){'+', la.n, j};
	}
	/* Deletions before insertions inside a change, as diff(1) prints them. */
	for (size_t k = 0; k + 1 < nops; k++)
		if (ops[k].tag == '+' && ops[k + 1].tag == '-') {
			struct op t = ops[k];

			ops[k] = ops[k + 1];
			ops[k + 1] = t;
			if (k > 0)
				k -= 2;
		}
	/*
	 * The swaps above moved ops past each other: their positions are stale (a '-' that
	 * followed thirteen '+' still says b line 14). Count them again in the final order.
	 */
	for (size_t k = 0, i = 0, j = 0; k < nops; k++) {
		ops[k].i = i;
		ops[k].j = j;
		i += ops[k].tag != '+';
		j += ops[k].tag != '-';
	}

	strbuf_printf(out, "--- %s\n+++ %s\n", a ? a_label : "/dev/null",
		      b ? b_label : "/dev/null");
	for (size_t k = 0; k < nops;) {
		size_t start, end, na = 0, nb = 0, a0, b0;

		if (ops[k].tag == ' ') {
			k++;
			continue;
		}
		start = k >= CONTEXT ? k - CONTEXT : 0;
		while (start < k && ops[start].tag != ' ')
			start++;
		/* Extend while the next change is within 2*CONTEXT unchanged lines. */
		end = k;
		for (;;) {
			size_t e = end;

			while (e < nops && ops[e].tag != ' ')
				e++;
			size_t same = 0;

			while (e + same < nops && ops[e + same].tag == ' ')
				same++;
			if (e + same < nops && same <= 2 * CONTEXT) {
				end = e + same;
				continue;
			}
			end = e + (same < CONTEXT ? same : CONTEXT);
			break;
		}
		a0 = ops[start].i;
		b0 = ops[start].j;
		for (size_t x = start; x < end; x++) {
			na += ops[x].tag != '+';
			nb += ops[x].tag != '-';
		}
		strbuf_printf(out, "@@ -%zu,%zu +%zu,%zu @@\n", na ? a0 + 1 : a0, na,
			      nb ? b0 + 1 : b0, nb);
		for (size_t x = start; x < end; x++) {
			if (ops[x].tag == '+')
				put_line(out, '+', lb.start[ops[x].j], lb.len[ops[x].j]);
			else
				put_line(out, ops[x].tag, la.start[ops[x].i], la.len[ops[x].i]);
		}
		k = end;
	}
	goto done;
oom:
	out->err = -ENOMEM;
done:
	free(lcs);
	free(ops);
	free(la.start);
	free(la.len);
	free(lb.start);
	free(lb.len);
}
