/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>

#include "basic/json.h"

void json_init(struct json_writer *w, struct strbuf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->first[0] = true;
}

/*
 * The length of the well-formed UTF-8 sequence at p (1 to 4), or 0 when p starts none
 * (a stray continuation byte, an overlong form, a surrogate, beyond U+10FFFF, cut short):
 * the table of Unicode's "well-formed byte sequences" (chapter 3, table 3-7).
 */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

void json_escape(struct strbuf *sb, const char *s)
{
	strbuf_putc(sb, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t n;

		switch (*p) {
		case '"':
			strbuf_puts(sb, "\\\"");
			break;
		case '\\':
			strbuf_puts(sb, "\\\\");
			break;
		case '\n':
			strbuf_puts(sb, "\\n");
			break;
		case '\t':
			strbuf_puts(sb, "\\t");
			break;
		case '\r':
			strbuf_puts(sb, "\\r");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				strbuf_printf(sb, "\\u%04x", *p);
				break;
			}
			n = utf8_len(p);
			if (n == 0) {
				/* Not UTF-8 (a label, a path): JSON cannot hold the byte (issue
				 * 30). */
				strbuf_puts(sb, "\\ufffd");
			} else if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) {
				/* A C1 control: escaped, as the C0 ones, for a terminal's sake. */
				strbuf_printf(sb, "\\u%04x", p[1]);
				p++;
			} else {
				strbuf_putn(sb, (const char *)p, n);
				p += n - 1;
			}
		}
	}
	strbuf_putc(sb, '"');
}

static void indent(struct json_writer *w)
{
	strbuf_putc(w->out, '\n');
	for (int i = 0; i < w->depth; i++)
		strbuf_puts(w->out, "  ");
}

static void prefix(struct json_writer *w, const char *key)
{
	if (w->depth > 0) {
		if (!w->first[w->depth])
			strbuf_putc(w->out, ',');
		w->first[w->depth] = false;
		indent(w);
	}
	if (key) {
		json_escape(w->out, key);
		strbuf_puts(w->out, ": ");
	}
}

static void open_container(struct json_writer *w, const char *key, char c)
{
	prefix(w, key);
	strbuf_putc(w->out, c);
	if (w->depth + 1 < JSON_MAX_DEPTH)
		w->depth++;
	w->first[w->depth] = true;
}

static void close_container(struct json_writer *w, char c)
{
	bool empty = w->first[w->depth];

	if (w->depth > 0)
		w->depth--;
	if (!empty)
		indent(w);
	strbuf_putc(w->out, c);
	if (w->depth == 0)
		strbuf_putc(w->out, '\n');
}

void json_object_begin(struct json_writer *w, const char *key)
{
	open_container(w, key, '{');
}

void json_object_end(struct json_writer *w)
{
	close_container(w, '}');
}

void json_array_begin(struct json_writer *w, const char *key)
{
	open_container(w, key, '[');
}

void json_array_end(struct json_writer *w)
{
	close_container(w, ']');
}

void json_string(struct json_writer *w, const char *key, const char *value)
{
	prefix(w, key);
	if (value)
		json_escape(w->out, value);
	else
		strbuf_puts(w->out, "null");
}

void json_bool(struct json_writer *w, const char *key, bool value)
{
	prefix(w, key);
	strbuf_puts(w->out, value ? "true" : "false");
}

void json_int(struct json_writer *w, const char *key, int64_t value)
{
	prefix(w, key);
	strbuf_printf(w->out, "%" PRId64, value);
}

void json_uint(struct json_writer *w, const char *key, uint64_t value)
{
	prefix(w, key);
	strbuf_printf(w->out, "%" PRIu64, value);
}

void json_null(struct json_writer *w, const char *key)
{
	prefix(w, key);
	strbuf_puts(w->out, "null");
}
