/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Hooks run as root, so they get the configuration file's rule (config.c, read_checked()),
 * applied to the hook and to every directory above it up to the root: owned by root and
 * not writable by group or others. A symlink is followed only onto ground that passes the
 * same rule, and never out of the root.
 */

#include "path.h"

/*
 * Check the hook at host path. Returns 0 when it may run, -EPERM (or -EXDEV for a link
 * leaving the root) with *ret_why set to the reason naming the offending path, or another
 * -errno for a failure to look (ret_why untouched then).
 */
int vm_hook_check(struct path_cxt *pc, const char *path, char **ret_why);
