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
