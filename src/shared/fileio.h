/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Writing files we own, always through the root-prefix layer and always crash-safe:
 * a temporary file next to the target, fsync, rename over the target, fsync of the
 * directory. A reader (or a power cut) sees either the old or the new contents.
 *
 * Every write, fsync, rename and unlink passes through fault_point(), so the test
 * suite can fail or kill the process at each step in turn (see docs/hacking.md).
 */

#include <stdbool.h>
#include <sys/types.h>

#include "path.h"

/* Create the directory and its parents (like mkdir -p). Existing directories are fine. */
int path_mkdir_p(struct path_cxt *pc, const char *path, mode_t mode);

/* Atomically replace (or create) path with data. Parents are created with 0755. */
int path_write_atomic(struct path_cxt *pc, const char *path, const void *data, size_t len,
		      mode_t mode);

/* Atomically rename from -> to and fsync the directory. */
int path_rename_durable(struct path_cxt *pc, const char *from, const char *to);

/* Remove a file and fsync its directory. -ENOENT when it does not exist. */
int path_unlink_durable(struct path_cxt *pc, const char *path);

/* fsync the directory that holds path, so a rename or unlink in it is durable. */
int path_fsync_parent(struct path_cxt *pc, const char *path);

/*
 * Fault injection for crash-safety tests. When the environment has
 * GPT_BOOTCFG_FAULT_AT=N, the Nth fault point of this process fails with -EIO
 * (GPT_BOOTCFG_FAULT_MODE=kill: the process is killed with SIGKILL instead).
 * GPT_BOOTCFG_FAULT_LOG=FILE appends "N op path" for each point, to count them.
 * Returns 0 to proceed or a -errno the caller must return.
 */
int fault_point(const char *op, const char *path);
