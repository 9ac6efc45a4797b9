/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "basic/strbuf.h"

static int grow(struct strbuf *sb, size_t need)
{
	size_t a;
	char *nb;

	if (sb->err)
		return sb->err;
	if (sb->len + need + 1 <= sb->alloc)
		return 0;
	a = sb->alloc ? sb->alloc : 64;
	while (a < sb->len + need + 1)
		a *= 2;
	nb = realloc(sb->buf, a);
	if (!nb)
		return sb->err = -ENOMEM;
	sb->buf = nb;
	sb->alloc = a;
	return 0;
}

void strbuf_putn(struct strbuf *sb, const char *s, size_t n)
{
	if (grow(sb, n) < 0)
		return;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void strbuf_puts(struct strbuf *sb, const char *s)
{
	strbuf_putn(sb, s, strlen(s));
}

void strbuf_putc(struct strbuf *sb, char c)
{
	strbuf_putn(sb, &c, 1);
}

void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0) {
		sb->err = -EINVAL;
		return;
	}
	if (grow(sb, (size_t)n) < 0)
		return;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vprintf(sb, fmt, ap);
	va_end(ap);
}

void strbuf_put_escaped(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 0xf]};
		unsigned char n = (unsigned char)s[1];

		if (c == 0xc2 && n >= 0x80 && n <= 0x9f) {
			char c1[8] = {'\\', 'x', 'c', '2', '\\', 'x', hex[n >> 4], hex[n & 0xf]};

			strbuf_putn(sb, c1, sizeof(c1));
			s++;
		} else if (c < 0x20 || c == 0x7f) {
			strbuf_putn(sb, esc, sizeof(esc));
		} else {
			strbuf_putc(sb, (char)c);
		}
	}
}

int str_escaped(const char *s, char **ret)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

	if (!s) {
		*ret = NULL;
		return 0;
	}
	strbuf_put_escaped(&sb, s);
	return strbuf_steal(&sb, ret);
}

int strbuf_steal(struct strbuf *sb, char **ret)
{
	char *s;

	if (sb->err)
		return sb->err;
	s = sb->buf ? sb->buf : strdup("");
	if (!s)
		return -ENOMEM;
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
	*ret = s;
	return 0;
}

const char *strbuf_str(struct strbuf *sb)
{
	if (sb->err)
		return NULL;
	return sb->buf ? sb->buf : "";
}

void strbuf_release(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
	sb->err = 0;
}
