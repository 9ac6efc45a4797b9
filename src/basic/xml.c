/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "basic/xml.h"

void xml_init(struct xml_writer *w, struct strbuf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

int xml_escape(struct strbuf *sb, const char *s)
{
	int r = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '&':
			strbuf_puts(sb, "&amp;");
			break;
		case '<':
			strbuf_puts(sb, "&lt;");
			break;
		case '>':
			strbuf_puts(sb, "&gt;");
			break;
		case '\'':
			strbuf_puts(sb, "&apos;");
			break;
		case '"':
			strbuf_puts(sb, "&quot;");
			break;
		case '\t':
		case '\n':
		case '\r':
			/* Attribute values would turn them into spaces: keep them as written. */
			strbuf_printf(sb, "&#%u;", *p);
			break;
		default:
			/* XML 1.0 has no way to write the other C0 controls, not even escaped. */
			if (*p < 0x20 || *p == 0x7f)
				r = -EINVAL;
			else
				strbuf_putc(sb, (char)*p);
		}
	}
	return r;
}

static void close_tag(struct xml_writer *w)
{
	if (!w->tag_open)
		return;
	strbuf_putc(w->out, '>');
	w->tag_open = false;
}

static void indent(struct xml_writer *w)
{
	for (int i = 0; i < w->depth; i++)
		strbuf_puts(w->out, "  ");
}

void xml_begin(struct xml_writer *w, const char *name)
{
	if (w->depth >= XML_MAX_DEPTH || w->has_text) {
		w->err = w->err ?: -EBADE;
		return;
	}
	if (w->tag_open) {
		close_tag(w);
		strbuf_putc(w->out, '\n');
	}
	indent(w);
	strbuf_printf(w->out, "<%s", name);
	w->names[w->depth++] = name;
	w->tag_open = true;
}

void xml_end(struct xml_writer *w)
{
	const char *name;

	if (w->depth == 0) {
		w->err = w->err ?: -EBADE;
		return;
	}
	name = w->names[--w->depth];
	if (w->tag_open) {
		strbuf_puts(w->out, "/>\n");
		w->tag_open = false;
		return;
	}
	if (!w->has_text)
		indent(w);
	w->has_text = false;
	strbuf_printf(w->out, "</%s>\n", name);
}

void xml_attr(struct xml_writer *w, const char *name, const char *value)
{
	int r;

	if (!w->tag_open) {
		w->err = w->err ?: -EBADE;
		return;
	}
	strbuf_printf(w->out, " %s='", name);
	r = xml_escape(w->out, value);
	if (r < 0)
		w->err = w->err ?: r;
	strbuf_putc(w->out, '\'');
}

void xml_vattrf(struct xml_writer *w, const char *name, const char *fmt, va_list ap)
{
	_cleanup_free_ char *v = NULL;

	if (vasprintf(&v, fmt, ap) < 0) {
		w->err = w->err ?: -ENOMEM;
		return;
	}
	xml_attr(w, name, v);
}

void xml_attrf(struct xml_writer *w, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xml_vattrf(w, name, fmt, ap);
	va_end(ap);
}

void xml_empty_internal(struct xml_writer *w, const char *name, ...)
{
	const char *attr;
	va_list ap;

	xml_begin(w, name);
	va_start(ap, name);
	while ((attr = va_arg(ap, const char *)))
		xml_attr(w, attr, va_arg(ap, const char *));
	va_end(ap);
	xml_end(w);
}

void xml_text(struct xml_writer *w, const char *value)
{
	int r;

	if (w->depth == 0 || (!w->tag_open && !w->has_text)) {
		w->err = w->err ?: -EBADE;
		return;
	}
	close_tag(w);
	r = xml_escape(w->out, value);
	if (r < 0)
		w->err = w->err ?: r;
	w->has_text = true;
}

void xml_textf(struct xml_writer *w, const char *fmt, ...)
{
	_cleanup_free_ char *v = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (r < 0) {
		w->err = w->err ?: -ENOMEM;
		return;
	}
	xml_text(w, v);
}

void xml_element(struct xml_writer *w, const char *name, const char *value)
{
	xml_begin(w, name);
	xml_text(w, value);
	xml_end(w);
}

void xml_element_uint(struct xml_writer *w, const char *name, uint64_t value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, value);
	xml_element(w, name, buf);
}

int xml_finish(struct xml_writer *w)
{
	if (w->err)
		return w->err;
	if (w->out->err)
		return w->out->err;
	if (w->depth != 0 || w->tag_open)
		return -EBADE;
	return 0;
}
