/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>

#include "basic/json.h"

void json_init(struct json_writer *w, struct strbuf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->first[0] = true;
}

void json_escape(struct strbuf *sb, const char *s)
{
	strbuf_putc(sb, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
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
			if (*p < 0x20)
				strbuf_printf(sb, "\\u%04x", *p);
			else
				strbuf_putc(sb, (char)*p);
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
