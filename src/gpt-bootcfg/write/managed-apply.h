/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Carrying out a managed set (write/managed.h): the files written, the state recorded first. */

#include "write/managed.h"

/*
 * Carry out the set: record what will be created (and the missing s->extra paths) in the
 * state file, keep foreign or edited
 * files as backups, create parents, write atomically, make and remove links. Files whose
 * action is MANAGED_UNCHANGED are not touched (not even their mtime).
 */
int managed_apply(struct path_cxt *pc, const struct managed_set *s);

/* The pending text (struct managed_set) of an apply that did not finish: 1, or 0 and NULL. */
int managed_pending(struct path_cxt *pc, char **ret);

/* The apply is complete: drop the pending text from the state file. */
int managed_finish(struct path_cxt *pc);
