/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The state file: what apply created and backed up, for revert; found where a crash may
 * have left it (write/managed-state.c).
 */

#include <stdbool.h>

#include "basic/macro.h"
#include "basic/path.h"

#define MANAGED_STATE_PATH "/var/lib/gpt-bootcfg/state"

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

/* Write lines as the state file (atomically, in the right candidate place). */
int managed_state_write(struct path_cxt *pc, char *const *lines);

/* Drop every line starting with prefix. */
void managed_state_drop(char **lines, const char *prefix);

/* Record, as lines, the directories of path apply is about to create. */
int managed_state_note_dirs(struct path_cxt *pc, const char *path, char ***lines);

/* A backup of path is recorded in lines. */
bool managed_state_has_backup(char *const *lines, const char *path);
