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

#include "macro.h"
#include "path.h"

/* Contents of a regular file, or its link target; NULL in *ret when absent. */
int managed_read_current(struct path_cxt *pc, const char *path, bool *ret_is_link, char **ret);

/* A free name for a backup: PATH.bak, else PATH.bak.1 ... */
int managed_backup_name(struct path_cxt *pc, const char *path, char **ret);

/*
 * Where the state file may be, deepest first: MANAGED_STATE_PATH, then a transit name in
 * each ancestor of its directory (managed-state.c explains why).
 */
int managed_state_candidates(char ***ret);

/* The directory a candidate lives in ("" for the root). */
char *managed_candidate_dir(const char *candidate);

/* The candidate index where the state is, or -1 (*ret_index) when there is none. */
int managed_state_locate(struct path_cxt *pc, char *const *cands, int *ret_index);

/* The state file's lines (comments and blank lines dropped); NULL when there is none. */
int managed_state_read(struct path_cxt *pc, char ***ret);

bool managed_state_has_line(char *const *lines, const char *line);

/* The backup recorded for path ("backup PATH BAK"), or NULL. */
const char *managed_state_backup_of(char *const *lines, const char *path);

/* Whether a and b are names of one file (a hard link made as a backup). */
bool managed_same_file(struct path_cxt *pc, const char *a, const char *b);
