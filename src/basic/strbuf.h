/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A growable string buffer. On allocation failure it remembers -ENOMEM in "err". */

#include <stddef.h>
#include <stdarg.h>

#include "basic/macro.h"

struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
	int err;
};

#define STRBUF_INIT                                                                                \
	{                                                                                          \
		0                                                                                  \
	}

void strbuf_putn(struct strbuf *sb, const char *s, size_t n);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_putc(struct strbuf *sb, char c);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) _printf_(2, 3);
void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap);

/*
 * Append s with each control byte (below 0x20, and 0x7f) shown as \xHH: what every log
 * line and the claim log do with text that quotes files anyone with root can garble, so
 * that it reaches no terminal as an escape sequence and starts no line of its own. The C1
 * controls in UTF-8 (0xc2 0x80-0x9f: U+0080-U+009F, which xterm obeys as CSI, OSC...) are
 * shown as \xc2\xHH too. Every string from a disk (a filesystem label), a device (a sysfs
 * name) or a process (/proc/PID/comm, QMP) is printed through this (issue 30 #4).
 */
void strbuf_put_escaped(struct strbuf *sb, const char *s);

/*
 * s as strbuf_put_escaped() writes it, in a new string (*ret, free() it); NULL gives
 * NULL. 0 or -ENOMEM. For text that goes into a message by printf formats.
 */
int str_escaped(const char *s, char **ret);

/* Hand the NUL-terminated contents to the caller; -ENOMEM if any append failed. */
int strbuf_steal(struct strbuf *sb, char **ret);

/* Contents as a C string ("" when empty). NULL only after an allocation failure. */
const char *strbuf_str(struct strbuf *sb);

void strbuf_release(struct strbuf *sb);
#define _cleanup_strbuf_ _cleanup_(strbuf_release)
