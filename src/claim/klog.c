/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "basic/strbuf.h"
#include "claim/klog.h"

static int kmsg_fd = -1;
static bool copy_stderr;

void klog_open(struct path_cxt *pc, bool to_stderr)
{
	int fd;

	copy_stderr = to_stderr;
	/* No O_CREAT: under --root a fixture without dev/kmsg simply gets no kmsg copy. */
	fd = path_open(pc, O_WRONLY | O_NOCTTY | O_APPEND, 0, "/dev/kmsg");
	kmsg_fd = fd >= 0 ? fd : -1;
}

void klog_close(void)
{
	if (kmsg_fd >= 0)
		close(kmsg_fd);
	kmsg_fd = -1;
}

void klog(int level, const char *fmt, ...)
{
	_cleanup_strbuf_ struct strbuf esc = STRBUF_INIT;
	char raw[900], rec[1000];
	const char *msg;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/*
	 * A claim list is a file anyone with root can garble: a newline in a message must not
	 * start what looks like another record.
	 */
	strbuf_put_escaped(&esc, raw);
	msg = strbuf_str(&esc);
	if (!msg)
		msg = "(out of memory formatting a message)";

	if (kmsg_fd >= 0) {
		/* One write is one record; the <N> prefix sets its level. */
		n = snprintf(rec, sizeof(rec), "<%d>gpt-bootcfg: %s\n", level, msg);
		if (n > 0)
			(void)!write(kmsg_fd, rec,
				     (size_t)n < sizeof(rec) ? (size_t)n : sizeof(rec) - 1);
	}
	if (copy_stderr || kmsg_fd < 0)
		fprintf(stderr, "gpt-bootcfg: %s\n", msg);
}
