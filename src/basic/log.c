/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>

#include "basic/log.h"
#include "basic/strbuf.h"

static int max_level = LOG_LEVEL_INFO;
static const char *program = "gpt-bootcfg";

void log_set_max_level(int level)
{
	max_level = level;
}

int log_get_max_level(void)
{
	return max_level;
}

void log_set_program(const char *name)
{
	program = name;
}

int log_internal(int level, int error, const char *file, int line, const char *fmt, ...)
{
	int e = error < 0 ? -error : error;
	_cleanup_strbuf_ struct strbuf esc = STRBUF_INIT;
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	if (level > max_level)
		return -e;

	/* %m must expand to the error we were handed, not whatever errno happens to be. */
	errno = e;
	fprintf(stderr, "%s: ", program);
	if (level >= LOG_LEVEL_DEBUG)
		fprintf(stderr, "(%s:%d) ", file, line);
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg) {
		fputs("(out of memory formatting a message)\n", stderr);
		return -e;
	}
	/*
	 * Messages quote configuration values, file names and sysfs contents: a control byte
	 * in one of them must not reach the terminal (escape sequences) or start a line that
	 * looks like another message (issue 14).
	 */
	strbuf_put_escaped(&esc, msg);
	fprintf(stderr, "%s\n", strbuf_str(&esc) ?: "(out of memory formatting a message)");
	return -e;
}
