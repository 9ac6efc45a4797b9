/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Private to managed.c (what each file should contain), managed-state.c (the state file
 * and writing a set) and managed-revert.c (undoing what the state records). The verbs use
 * managed.h.
 *
 * The state file's lines: "dir P", "file P", "link P", "extra P", "block P", "block-new P",
 * "backup P BAK", "pending TEXT".
 */

#include <stdbool.h>

#include "basic/macro.h"
#include "basic/path.h"

/* Contents of a regular file, or its link target; NULL in *ret when absent. */
int managed_read_current(struct path_cxt *pc, const char *path, bool *ret_is_link, char **ret);

/* A free name for a backup: PATH.bak, else PATH.bak.1 ... */
int managed_backup_name(struct path_cxt *pc, const char *path, char **ret);

struct managed_set;

/*
 * Add a shared file at path (struct managed_file.shared): current and content (taken) as
 * they are and should be; block_strip takes our block out of a text.
 */
int managed_add_shared(struct managed_set *s, const char *path,
		       int (*block_strip)(const char *, char **, bool *), char *current,
		       char *content);

/*
 * systemd-boot (managed-kcmdline.c). managed_kcmdline_matches(): whether a boot entry
 * carries our line as line (KERNEL_CMDLINE_PATH's, or the kept one of a pending trial), or
 * none carries one at all (a first apply interrupted before it). managed_kcmdline_add():
 * KERNEL_CMDLINE_PATH with our line set to line, into s; an error with the reason in
 * *ret_error when the file is missing or not a file.
 */
bool managed_kcmdline_matches(struct path_cxt *pc, const char *line);
int managed_kcmdline_add(struct path_cxt *pc, struct managed_set *s, const char *line,
			 char **ret_error);
