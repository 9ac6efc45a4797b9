/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The apply transaction, in one place: write the managed files, arm the trial boot (or
 * record a direct apply), rebuild the initramfs and grub.cfg, check the rebuilt images,
 * point GRUB's next boot at the trial entry, and mark the apply finished. The steps belong
 * to other modules (managed.h writes and records files, trial.h arms trials and edits
 * grubenv, gen.h rebuilds, initrdcheck.h checks images); this one owns their order and
 * what a failure between two of them leaves behind.
 *
 *   transaction_begin()    read what an interrupted apply left pending, decide which files
 *                          must be written again to finish it
 *   transaction_write()    decide trial or not, record everything in the state file (with
 *                          the rest still to do as "pending"), then write the files
 *   transaction_commit()   arm the trial or record the direct apply, rebuild, check the
 *                          images, set or clear next_entry, drop "pending"
 *
 * Nothing is undone in place: the state file records each path before it is touched
 * (managed-state.c), so a failure (or a crash) at any step leaves a consistent record.
 * The transaction then stays pending: the next transaction_begin() finds it and rolls it
 * forward (same trial mode, same rebuilds), or the rollback below undoes all of it:
 *
 *   transaction_rollback_begin()   remove what the state records, restore the backups,
 *                                  unset a trial next_entry
 *   transaction_rollback_commit()  rebuild, then remove the state file itself (last: a
 *                                  crash before it leaves a revert to finish, rebuild
 *                                  included)
 *
 * These are verb helpers, like gen.h: they log what failed, and return EXIT_OK or
 * EXIT_ERROR (verbs.h). The caller holds the lock (lock.h) throughout.
 */

#include <stdbool.h>

#include "core/verbs.h"
#include "write/gen.h"
#include "write/managed.h"

struct transaction {
	struct cli *cli;
	struct gen *g;
	bool finishing;		  /* an interrupted apply is being finished */
	unsigned pending_rebuild; /* the rebuilds it still owed (enum managed_rebuild) */
	int trial_request; /* 1 --trial, 0 --no-trial, -1 neither (trial.h: trial_wanted()) */
	bool trial;	   /* after transaction_write(): armed as a trial boot */
	/* After transaction_write(): the GRUB drop-in when it changes (record_only in a trial). */
	struct managed_file *grub;
};

/*
 * Start an apply of g's managed files (gen_load() done, the plan not refused). trial_request
 * as for trial_wanted(); an interrupted apply's own mode wins when it is -1.
 */
int transaction_begin(struct cli *cli, struct gen *g, int trial_request, struct transaction *ret);

/* Whether there is anything to write or finish. */
bool transaction_has_work(const struct transaction *t);

/* The rebuilds this transaction requires (enum managed_rebuild flags). */
unsigned transaction_rebuild(const struct transaction *t);

/*
 * Decide trial or not, record the files and the pending rest in the state file, and write
 * the files. Afterwards t->trial and t->grub tell what was done.
 */
int transaction_write(struct transaction *t);

/*
 * Arm the trial (or record the direct apply), rebuild (or print the commands with
 * no_rebuild), check the images, set or clear next_entry, and mark the apply finished.
 * On failure the apply stays pending.
 */
int transaction_commit(struct transaction *t, bool no_rebuild);

struct transaction_rollback {
	struct cli *cli;
	bool dry_run;
	unsigned rebuild; /* what the removal requires (enum managed_rebuild) */
	char **steps;	  /* what was (dry_run: would be) done, strv */
	char **kept;	  /* what was left alone, and why, strv */
};

/*
 * Undo what apply recorded (managed_revert()) and unset a trial's next_entry. *ret gets
 * the steps; free them with transaction_rollback_done(). Returns EXIT_OK with ret->steps
 * and ret->kept NULL and *ret_found false when apply never wrote anything here.
 */
int transaction_rollback_begin(struct cli *cli, bool dry_run, struct transaction_rollback *ret,
			       bool *ret_found);

/*
 * Rebuild what the removal requires, then remove the state file and its directories. The
 * steps and kept lists are replaced by those of this last part.
 */
int transaction_rollback_commit(struct transaction_rollback *rb, bool no_rebuild);

void transaction_rollback_done(struct transaction_rollback *rb);

/*
 * The pending record (struct managed_set.pending) of an apply: "trial REBUILD" or "direct
 * REBUILD", its mode and the rebuilds (enum managed_rebuild, decimal) it still owes.
 * Written and read only through these two. parse: 0, or -EINVAL for anything else.
 */
int transaction_pending_format(bool trial, unsigned rebuild, char **ret);
int transaction_pending_parse(const char *pending, bool *ret_trial, unsigned *ret_rebuild);
