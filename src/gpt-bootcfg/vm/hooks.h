/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Hooks run as root, so they get the configuration file's rule (config.c, read_checked()),
 * applied to the hook and to every directory above it up to the root: owned by root and
 * not writable by group or others. A symlink is followed only onto ground that passes the
 * same rule, and never out of the root.
 */

#include "basic/path.h"

struct cli;
struct vm_config;

/*
 * Check the hook at host path. Returns 0 when it may run, with *ret_canonical the host path
 * it resolves to (what to execute: under --root the kernel would resolve an absolute link
 * on the host, not below the root); -EPERM (or -EXDEV for a link leaving the root) with
 * *ret_why set to the reason naming the offending path; -ENOENT for a link leading
 * nowhere below the root; or another -errno for a failure to look (ret_why untouched).
 */
int vm_hook_check(struct path_cxt *pc, const char *path, char **ret_canonical, char **ret_why);

/*
 * Run the executables in hooks.d/NAME/PHASE.d/ (PHASE "prepare" or "release") in version
 * order, with the GPT_BOOTCFG_* environment of docs/vm.md "Hooks". A failing or unsafe
 * prepare hook refuses the start (-EPERM, logged); in "release" failures are only logged
 * and an unsafe hook is skipped (the result is then -EPERM).
 */
int vm_run_hooks(struct cli *cli, const struct vm_config *vm, const char *phase);
