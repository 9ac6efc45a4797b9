/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Writing files we own, always through the root-prefix layer and always crash-safe:
 * a temporary file next to the target, fsync, rename over the target, fsync of the
 * directory. A reader (or a power cut) sees either the old or the new contents.
 *
 * Every step that changes the tree (create, write, fsync, rename, link, symlink, unlink,
 * mkdir, rmdir and the directory fsyncs) passes through fault_point(), so the test suite
 * can fail or kill the process at each step in turn (docs/hardening.md,
 * tests/integration/test-fault-injection.sh).
 */

#include <stdbool.h>
#include <sys/types.h>

#include "basic/path.h"

/* Create the directory and its parents (like mkdir -p). Existing directories are fine. */
int path_mkdir_p(struct path_cxt *pc, const char *path, mode_t mode);

/* Atomically replace (or create) path with data. Parents are created with 0755. */
int path_write_atomic(struct path_cxt *pc, const char *path, const void *data, size_t len,
		      mode_t mode);

/*
 * path_write_atomic() for a file of the user's that we edit: the new file keeps the mode
 * and owner of the one it replaces (-EISDIR when that is not a regular file); a new file
 * gets mode and the writer's owner.
 */
int path_write_atomic_keep(struct path_cxt *pc, const char *path, const void *data, size_t len,
			   mode_t mode);

/* Atomically rename from -> to and fsync the directory (both, across directories). */
int path_rename_durable(struct path_cxt *pc, const char *from, const char *to);

/*
 * Like path_rename_durable(), but never replaces an existing to: -EEXIST then, and from
 * is left where it was. For backups, which must never land on another backup (issue 14).
 * renameat2(RENAME_NOREPLACE), or link() and unlink() where the file system lacks it.
 */
int path_rename_noreplace_durable(struct path_cxt *pc, const char *from, const char *to);

/* Hard link from -> to (to must not exist) and fsync the directory. */
int path_link_durable(struct path_cxt *pc, const char *from, const char *to);

/* Atomically replace (or create) path with a symlink to target; the parent must exist. */
int path_symlink_atomic(struct path_cxt *pc, const char *path, const char *target);

/* Remove a file and fsync its directory. -ENOENT when it does not exist. */
int path_unlink_durable(struct path_cxt *pc, const char *path);

/* Remove an empty directory and fsync its parent. -ENOENT, -ENOTEMPTY as rmdir(2). */
int path_rmdir_durable(struct path_cxt *pc, const char *path);

/*
 * Temporary files (and symlinks) are created next to their target as
 * DIR/.#BASE.PID.gpt-bootcfg-tmp: hidden, and with a suffix no reader of /etc/modprobe.d,
 * /etc/default/grub.d or systemd's directories takes for one of its files. The PID keeps
 * two processes apart; a crash leaves the name behind for path_remove_stale_tmp().
 */
#define PATH_TMP_SUFFIX ".gpt-bootcfg-tmp"

/* This process's temporary name (a host path) for path. */
int path_tmp_name(const char *path, char **ret);

/* Remove the temporary files of path that any (crashed) process left. */
int path_remove_stale_tmp(struct path_cxt *pc, const char *path);

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
