/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The claim binary's per-device outcome: one kernel log line "gpt-bootcfg: ADDRESS: ..."
 * as before, and the same outcome as a record of the claim log (claimlist.h) that
 * "status" reads after boot. Records are collected and written once, at the end.
 */

#include "basic/macro.h"
#include "basic/path.h"
#include "claimproto/claimlist.h"

/* Log "ADDRESS: MESSAGE" at a syslog level (klog.h) and record it with result r. */
void claim_log_device(int level, enum claim_result r, const char *address, const char *fmt, ...)
    _printf_(4, 5);

/*
 * Write the records to ROOT/run/gpt-bootcfg/claim.log (created, or replaced whole by a
 * rename). Best effort: a failure is logged, never fails the claim.
 */
void claim_log_write(struct path_cxt *pc);
