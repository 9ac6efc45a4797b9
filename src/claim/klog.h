/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The claim binary's logger: each message is one /dev/kmsg record "gpt-bootcfg: ..." (so it
 * lands in dmesg and on the console next to the kernel's own driver messages), and
 * optionally a copy on stderr. Logging never fails the claim: without a writable kmsg the
 * messages go to stderr instead.
 */

#include <stdbool.h>

#include "basic/macro.h"
#include "basic/path.h"

enum { KLOG_ERR = 3, KLOG_WARNING = 4, KLOG_NOTICE = 5, KLOG_INFO = 6, KLOG_DEBUG = 7 };

/* Open ROOT/dev/kmsg through the path layer; with to_stderr also copy to stderr. */
void klog_open(struct path_cxt *pc, bool to_stderr);

/* Close the kmsg descriptor. */
void klog_close(void);

/* Log one line at a syslog level. */
void klog(int level, const char *fmt, ...) _printf_(2, 3);
