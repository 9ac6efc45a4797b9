/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * One lock for every verb that changes the boot configuration (apply, revert, confirm and
 * the health check, which is "confirm --boot"): two of them at once would plan against
 * the same tree and pick the same backup names, and the second would put generated
 * content over the first one's backup of the user's file (issue 14).
 *
 * The lock is flock(2) on LOCK_PATH below the root. The file is never removed (removing a
 * lock file lets a waiter lock an unlinked inode); /run is a tmpfs, so it goes at reboot.
 * The holder writes its pid into it, for the waiter's message.
 */

#include "core/verbs.h"

#define LOCK_DIR  "/run/gpt-bootcfg"
#define LOCK_PATH LOCK_DIR "/bootcfg.lock"

/* How long a second run waits for the first before it gives up (milliseconds). */
#define LOCK_WAIT_MS 5000

/*
 * Take the lock, waiting up to LOCK_WAIT_MS ($GPT_BOOTCFG_LOCK_WAIT_MS overrides, for
 * tests). Returns the fd that holds it (keep it open until the verb ends), or, after
 * logging "another gpt-bootcfg is running (pid N)" or the failure, a negative errno
 * (-EBUSY when another run holds it).
 */
int bootcfg_lock(struct cli *cli);
