/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "klog.h"

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

/*
 * Control bytes (a claim list is a file anyone with root can garble) are shown as \xHH,
 * as the CLI's messages do: a newline must not start what looks like another record.
 */
static void escape_controls(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in && o + 5 < size; in++) {
		unsigned char c = (unsigned char)*in;

		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

void klog(int level, const char *fmt, ...)
{
	char raw[900], msg[900], rec[1000];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	escape_controls(raw, msg, sizeof(msg));

	if (kmsg_fd >= 0) {
		/* One write is one record; the <N> prefix sets its level. */
		n = snprintf(rec, sizeof(rec), "<%d>gpt-bootcfg: %s\n", level, msg);
		if (n > 0)
			(void)!write(kmsg_fd, rec, (size_t)n < sizeof(rec) ? (size_t)n : sizeof(rec) - 1);
	}
	if (copy_stderr || kmsg_fd < 0)
		fprintf(stderr, "gpt-bootcfg: %s\n", msg);
}
