/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/parse-util.h"
#include "basic/proc-cmdline.h"
#include "claimproto/claimlist.h"

#define MAX_TOKENS 7

struct token {
	const char *s;
	size_t len;
	unsigned column;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Split one line (without its newline) into tokens; '#' ends the useful part. */
static size_t tokenize(const char *line, size_t len, struct token *t, size_t max)
{
	size_t n = 0, i = 0;

	while (i < len) {
		size_t start;

		while (i < len && is_blank(line[i]))
			i++;
		if (i >= len || line[i] == '#')
			break;
		start = i;
		while (i < len && !is_blank(line[i]) && line[i] != '#')
			i++;
		if (n < max)
			t[n] = (struct token){line + start, i - start, (unsigned)start + 1};
		n++;
	}
	return n;
}

/* Copy a token into a bounded buffer so the NUL-terminated parsers in pci.h can be used. */
static const char *tok_str(const struct token *t, char *buf, size_t size)
{
	size_t l = t->len < size - 1 ? t->len : size - 1;

	memcpy(buf, t->s, l);
	buf[l] = '\0';
	return buf;
}

static void report(claim_list_error_fn fn, void *userdata, unsigned line, unsigned column,
		   const char *fmt, ...) _printf_(5, 6);
static void report(claim_list_error_fn fn, void *userdata, unsigned line, unsigned column,
		   const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fn(userdata, line, column, msg);
}

/* Returns 1 when the line was a malformed one (already reported), 0 otherwise, or -ENOMEM. */
static int parse_line(struct claim_list *l, const char *line, size_t len, unsigned lineno,
		      claim_list_error_fn fn, void *userdata)
{
	struct token t[MAX_TOKENS];
	struct claim_entry e = {.line = lineno};
	char buf[32];
	size_t n;
	int r;

	n = tokenize(line, len, t, MAX_TOKENS);
	if (n == 0)
		return 0;

	if (t[0].len == strlen("generation") && memcmp(t[0].s, "generation", t[0].len) == 0) {
		uint64_t g;

		if (n != 2) {
			report(fn, userdata, lineno, n < 2 ? (unsigned)len + 1 : t[2].column,
			       "expected 'generation N' (one decimal number)");
			return 1;
		}
		if (safe_atou64(tok_str(&t[1], buf, sizeof(buf)), &g) < 0 || t[1].len >= 20) {
			report(fn, userdata, lineno, t[1].column, "invalid generation '%.*s'",
			       (int)(t[1].len > 24 ? 24 : t[1].len), t[1].s);
			return 1;
		}
		if (l->has_generation) {
			report(fn, userdata, lineno, t[0].column, "duplicate generation line");
			return 1;
		}
		l->has_generation = true;
		l->generation = g;
		return 0;
	}

	if (n != 4 && n != 5) {
		report(
		    fn, userdata, lineno, n < 4 ? (unsigned)len + 1 : t[5].column,
		    "expected 'ADDRESS VENDOR:DEVICE SUBVENDOR:SUBDEVICE CLASS', got %zu field%s",
		    n, n == 1 ? "" : "s");
		return 1;
	}
	if (pci_addr_parse(tok_str(&t[0], buf, sizeof(buf)), &e.addr) < 0 || t[0].len >= 20) {
		report(fn, userdata, lineno, t[0].column, "invalid PCI address '%.*s'",
		       (int)(t[0].len > 24 ? 24 : t[0].len), t[0].s);
		return 1;
	}
	if (pci_id_pair_parse(tok_str(&t[1], buf, sizeof(buf)), &e.vendor, &e.device) < 0 ||
	    t[1].len >= 20) {
		report(fn, userdata, lineno, t[1].column, "invalid VENDOR:DEVICE '%.*s'",
		       (int)(t[1].len > 24 ? 24 : t[1].len), t[1].s);
		return 1;
	}
	if (pci_id_pair_parse(tok_str(&t[2], buf, sizeof(buf)), &e.subvendor, &e.subdevice) < 0 ||
	    t[2].len >= 20) {
		report(fn, userdata, lineno, t[2].column, "invalid SUBVENDOR:SUBDEVICE '%.*s'",
		       (int)(t[2].len > 24 ? 24 : t[2].len), t[2].s);
		return 1;
	}
	if (pci_class_parse(tok_str(&t[3], buf, sizeof(buf)), &e.class) < 0 || t[3].len >= 20) {
		report(fn, userdata, lineno, t[3].column, "invalid class '%.*s' (6 hex digits)",
		       (int)(t[3].len > 24 ? 24 : t[3].len), t[3].s);
		return 1;
	}
	if (n == 5) {
		static const char key[] = "reset=";
		const size_t klen = sizeof(key) - 1;
		char why[128];
		size_t bad = 0, vlen = t[4].len - klen;

		if (t[4].len < klen || memcmp(t[4].s, key, klen) != 0) {
			report(fn, userdata, lineno, t[4].column,
			       "unknown field '%.*s' (expected reset=METHOD[,METHOD...])",
			       (int)(t[4].len > 24 ? 24 : t[4].len), t[4].s);
			return 1;
		}
		if (claim_reset_method_check(t[4].s + klen, vlen, ',', &bad, why, sizeof(why)) <
		    0) {
			report(fn, userdata, lineno, t[4].column + (unsigned)(klen + bad),
			       "invalid reset method: %s", why);
			return 1;
		}
		for (size_t i = 0; i < vlen; i++)
			e.reset_method[i] = t[4].s[klen + i] == ',' ? ' ' : t[4].s[klen + i];
		e.reset_method[vlen] = '\0';
	}
	r = claim_list_add(l, &e);
	if (r == -EEXIST) {
		const struct claim_entry *o = claim_list_find(l, &e.addr);

		report(fn, userdata, lineno, t[0].column, "duplicate address %s (first on line %u)",
		       pci_addr_format(&e.addr, buf), o ? o->line : 0);
		return 1;
	}
	return r;
}

int claim_list_parse(const char *buf, size_t size, struct claim_list *ret,
		     claim_list_error_fn on_error, void *userdata)
{
	struct claim_list l = CLAIM_LIST_INIT;
	unsigned lineno = 0, bad = 0;
	size_t pos = 0;

	while (pos < size) {
		const char *nl = memchr(buf + pos, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - (buf + pos)) : size - pos;
		int r;

		lineno++;
		if (memchr(buf + pos, '\0', len)) {
			report(on_error, userdata, lineno, 1, "NUL byte in line");
			bad++;
		} else {
			r = parse_line(&l, buf + pos, len, lineno, on_error, userdata);
			if (r < 0) {
				claim_list_done(&l);
				return r;
			}
			bad += (unsigned)r;
		}
		pos += len + 1;
	}
	if (bad > 0) {
		claim_list_done(&l);
		return -EBADMSG;
	}
	*ret = l;
	return 0;
}

int claim_reset_method_check(const char *s, size_t n, char sep, size_t *ret_bad, char *why,
			     size_t why_size)
{
	size_t i = 0, starts[16], lens[16], k = 0;

	if (n == 0) {
		snprintf(why, why_size, "empty");
		goto bad;
	}
	if (n >= PCI_RESET_METHODS_MAX) {
		snprintf(why, why_size, "longer than %d bytes", PCI_RESET_METHODS_MAX - 1);
		goto bad;
	}
	while (i <= n) {
		size_t start = i, len;

		while (i < n && s[i] != sep)
			i++;
		len = i - start;
		i++; /* past the separator */
		if (len == 0) {
			snprintf(why, why_size, "empty method name");
			i = start;
			goto bad;
		}
		if (len == 7 && memcmp(s + start, "default", 7) == 0) {
			if (n != 7) {
				snprintf(why, why_size, "'default' must stand alone");
				i = start;
				goto bad;
			}
			return 0;
		}
		if (!pci_reset_method_known(s + start, len)) {
			snprintf(why, why_size,
				 "unknown method '%.*s' (known: device_specific acpi flr "
				 "af_flr pm bus cxl_bus, or default alone)",
				 (int)(len > 24 ? 24 : len), s + start);
			i = start;
			goto bad;
		}
		for (size_t j = 0; j < k; j++)
			if (lens[j] == len && memcmp(s + starts[j], s + start, len) == 0) {
				snprintf(why, why_size, "'%.*s' named twice", (int)len, s + start);
				i = start;
				goto bad;
			}
		if (k < ARRAY_SIZE(starts)) {
			starts[k] = start;
			lens[k] = len;
			k++;
		}
	}
	return 0;
bad:
	if (ret_bad)
		*ret_bad = i <= n ? i : n;
	return -EINVAL;
}

static size_t addr_hash(const struct pci_addr *a)
{
	/* FNV-1a over the four fields: addresses of one host differ in few bits. */
	const uint32_t v[] = {a->domain, a->bus, a->dev, a->fn};
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		h ^= v[i];
		h *= UINT64_C(0x100000001b3);
	}
	return (size_t)(h ^ (h >> 29));
}

/* The index slot of a (its entry, or the free slot where it would go). */
static size_t index_slot(const struct claim_list *l, const struct pci_addr *a)
{
	size_t mask = l->index_size - 1, k = addr_hash(a) & mask;

	while (l->index[k] && pci_addr_cmp(&l->entries[l->index[k] - 1].addr, a) != 0)
		k = (k + 1) & mask;
	return k;
}

/* Keep the index at most half full (rebuilt on growth: amortized constant). */
static int index_reserve(struct claim_list *l, size_t n)
{
	size_t size = l->index_size ? l->index_size : 16;
	size_t *idx;

	while (size / 2 < n) {
		if (size > SIZE_MAX / 4)
			return -ENOMEM;
		size *= 2;
	}
	if (size == l->index_size)
		return 0;
	idx = calloc(size, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	free(l->index);
	l->index = idx;
	l->index_size = size;
	for (size_t i = 0; i < l->n_entries; i++)
		l->index[index_slot(l, &l->entries[i].addr)] = i + 1;
	return 0;
}

int claim_list_add(struct claim_list *l, const struct claim_entry *e)
{
	size_t k;
	int r;

	if (claim_list_find(l, &e->addr))
		return -EEXIST;
	if (l->n_entries == l->n_alloc) {
		size_t na = l->n_alloc ? l->n_alloc * 2 : 8;
		struct claim_entry *n;

		if (na > SIZE_MAX / sizeof(*n))
			return -ENOMEM;
		n = realloc(l->entries, na * sizeof(*n));
		if (!n)
			return -ENOMEM;
		l->entries = n;
		l->n_alloc = na;
	}
	r = index_reserve(l, l->n_entries + 1);
	if (r < 0)
		return r;
	l->entries[l->n_entries++] = *e;
	k = index_slot(l, &e->addr);
	l->index[k] = l->n_entries;
	return 0;
}

const struct claim_entry *claim_list_find(const struct claim_list *l, const struct pci_addr *a)
{
	size_t k;

	if (!l->index_size)
		return NULL;
	k = index_slot(l, a);
	return l->index[k] ? &l->entries[l->index[k] - 1] : NULL;
}

void claim_list_format(const struct claim_list *l, struct strbuf *sb)
{
	char a[PCI_ADDR_STRLEN];

	strbuf_puts(sb,
		    "# gpt-bootcfg claim list: ADDRESS VENDOR:DEVICE SUBVENDOR:SUBDEVICE CLASS\n");
	if (l->has_generation)
		strbuf_printf(sb, "generation %" PRIu64 "\n", l->generation);
	for (size_t i = 0; i < l->n_entries; i++) {
		const struct claim_entry *e = &l->entries[i];

		strbuf_printf(sb, "%s %04x:%04x %04x:%04x %06x", pci_addr_format(&e->addr, a),
			      e->vendor, e->device, e->subvendor, e->subdevice, e->class);
		if (e->reset_method[0]) {
			strbuf_puts(sb, " reset=");
			for (const char *c = e->reset_method; *c; c++)
				strbuf_putc(sb, *c == ' ' ? ',' : *c);
		}
		strbuf_putc(sb, '\n');
	}
}

void claim_list_done(struct claim_list *l)
{
	free(l->entries);
	free(l->index);
	*l = (struct claim_list)CLAIM_LIST_INIT;
}

void claim_cmdline_parse(const char *cmdline, struct claim_cmdline *ret)
{
	struct claim_cmdline c = {0};
	const char *p = cmdline;

	struct proc_cmdline_word w;

	while (proc_cmdline_next(&p, &w) > 0) {
		if (!w.value)
			continue;
		if (proc_cmdline_key_eq(w.key, w.key_len, "gpt_bootcfg"))
			c.off = proc_cmdline_value_eq(&w, "off") ||
				proc_cmdline_value_eq(&w, "0") || proc_cmdline_value_eq(&w, "no");
		else if (proc_cmdline_key_eq(w.key, w.key_len, "gpt_bootcfg.generation")) {
			char v[24];

			/* Longer than any uint64_t: present but invalid. */
			c.has_generation = true;
			c.generation_valid = w.value_len < sizeof(v);
			if (c.generation_valid) {
				memcpy(v, w.value, w.value_len);
				v[w.value_len] = '\0';
				c.generation_valid = safe_atou64(v, &c.generation) == 0;
			}
		}
	}
	*ret = c;
}

static const char *const claim_result_names[_CLAIM_RESULT_MAX] = {
    [CLAIM_RESULT_CLAIMED] = "claimed",
    [CLAIM_RESULT_ALREADY] = "already",
    [CLAIM_RESULT_SKIPPED] = "skipped",
    [CLAIM_RESULT_FAILED] = "failed",
};

const char *claim_result_to_string(enum claim_result r)
{
	return (unsigned)r < _CLAIM_RESULT_MAX ? claim_result_names[r] : NULL;
}

void claim_log_format(struct strbuf *sb, const struct pci_addr *a, enum claim_result r,
		      const char *message)
{
	char addr[PCI_ADDR_STRLEN];

	strbuf_printf(sb, "%s %s ", pci_addr_format(a, addr), strna(claim_result_to_string(r)));
	strbuf_put_escaped(sb, message ? message : "");
	strbuf_putc(sb, '\n');
}

/* One record line (without its newline): 1 and the parts when it is one, else 0. */
static int parse_record(const char *line, size_t len, struct pci_addr *ret_addr,
			enum claim_result *ret_result, const char **ret_msg, size_t *ret_msg_len)
{
	char word[PCI_ADDR_STRLEN + 1];
	const char *p = line, *end = line + len;
	size_t k;

	for (k = 0; p + k < end && p[k] != ' ';)
		k++;
	if (k == 0 || k >= sizeof(word) || p + k >= end)
		return 0;
	memcpy(word, p, k);
	word[k] = '\0';
	if (pci_addr_parse(word, ret_addr) < 0)
		return 0;
	p += k + 1;
	for (int r = 0; r < _CLAIM_RESULT_MAX; r++) {
		size_t n = strlen(claim_result_names[r]);

		if ((size_t)(end - p) >= n && strncmp(p, claim_result_names[r], n) == 0 &&
		    (p + n == end || p[n] == ' ')) {
			*ret_result = (enum claim_result)r;
			p += n;
			if (p < end)
				p++;
			*ret_msg = p;
			*ret_msg_len = (size_t)(end - p);
			return 1;
		}
	}
	return 0;
}

int claim_log_find(const char *text, size_t size, const struct pci_addr *a,
		   enum claim_result *ret_result, char **ret_message)
{
	const char *found = NULL;
	size_t found_len = 0;
	enum claim_result result = CLAIM_RESULT_SKIPPED;

	for (size_t off = 0; text && off < size;) {
		const char *line = text + off, *nl = memchr(line, '\n', size - off);
		size_t len = nl ? (size_t)(nl - line) : size - off;
		struct pci_addr la;
		enum claim_result lr;
		const char *msg;
		size_t msg_len;

		off += len + 1;
		/* A NUL inside is garbage: the message would end there. */
		if (len == 0 || line[0] == '#' || memchr(line, '\0', len))
			continue;
		if (parse_record(line, len, &la, &lr, &msg, &msg_len) &&
		    pci_addr_cmp(&la, a) == 0) {
			found = msg;
			found_len = msg_len;
			result = lr;
		}
	}
	if (!found)
		return 0;
	if (ret_message) {
		char *m = strndup(found, found_len);

		if (!m)
			return -ENOMEM;
		*ret_message = m;
	}
	if (ret_result)
		*ret_result = result;
	return 1;
}
