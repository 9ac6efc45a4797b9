/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/strbuf.h"
#include "claim/claimlog.h"
#include "claim/klog.h"

static struct strbuf records = STRBUF_INIT;

void claim_log_device(int level, enum claim_result r, const char *address, const char *fmt, ...)
{
	struct pci_addr a;
	char msg[800];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	klog(level, "%s: %s", address, msg);
	if (pci_addr_parse(address, &a) == 0)
		claim_log_format(&records, &a, r, msg);
}

void claim_log_write(struct path_cxt *pc)
{
	_cleanup_free_ char *dir = NULL, *tmp = NULL, *dst = NULL;
	_cleanup_close_ int fd = -1;
	const char *text = strbuf_str(&records);
	int r;

	if (!text) {
		klog(KLOG_WARNING, "out of memory: no claim log written");
		goto out;
	}
	/* /run is the initramfs' tmpfs, moved into the booted system: nothing else is there. */
	if (path_prefix(pc, &dir, "/run/gpt-bootcfg") < 0 ||
	    path_prefix(pc, &tmp, CLAIM_LOG_PATH ".tmp") < 0 ||
	    path_prefix(pc, &dst, CLAIM_LOG_PATH) < 0) {
		klog(KLOG_WARNING, "out of memory: no claim log written");
		goto out;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		r = negative_errno();
		goto fail;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0) {
		r = negative_errno();
		goto fail;
	}
	r = fd_write_full(fd, "# gpt-bootcfg-claim: ADDRESS RESULT MESSAGE (claimlist.h)\n",
			  strlen("# gpt-bootcfg-claim: ADDRESS RESULT MESSAGE (claimlist.h)\n"));
	if (r >= 0)
		r = fd_write_full(fd, text, strlen(text));
	if (r >= 0 && rename(tmp, dst) < 0)
		r = negative_errno();
	if (r < 0) {
		(void)unlink(tmp);
		goto fail;
	}
	goto out;
fail:
	klog(KLOG_WARNING, "cannot write %s: %s", CLAIM_LOG_PATH, strerror(-r));
out:
	strbuf_release(&records);
}
