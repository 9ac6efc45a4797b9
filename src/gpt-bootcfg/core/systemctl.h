/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * systemctl ARGS...: $GPT_BOOTCFG_SYSTEMCTL (tests' stand-in), or systemctl on the running
 * host only (-EOPNOTSUPP under --root without a stand-in). ret_output (may be NULL) gets
 * its stdout. 0, -EIO when systemctl exits non-zero (its message is on stderr), or -errno.
 * Unused trailing arguments are NULL. The one home for isolate-cpus' slices and the
 * display manager of a hand-off (features/isolate.c, vm/handover.c).
 */

#include "basic/path.h"

int systemctl_run(struct path_cxt *pc, char **ret_output, const char *a1, const char *a2,
		  const char *a3, const char *a4);
