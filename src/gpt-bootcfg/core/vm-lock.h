/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * One running instance per VM. "vm run" takes an exclusive flock() on
 * VM_RUN_DIR/NAME.lock before it touches anything (socket, hooks, ownership) and hands
 * the descriptor on to QEMU, so the lock is held as long as either the runner or its
 * QEMU lives: a runner killed with SIGKILL leaves a QEMU that still holds it.
 */

#include <sys/types.h>

#include "basic/path.h"

/*
 * Take the lock of VM name without waiting. Returns the descriptor (O_CLOEXEC; the
 * caller clears that flag in QEMU's process), -EBUSY when another instance holds it
 * (*ret_holder then is the pid the holder wrote, 0 if unknown), or -errno.
 */
int vm_lock_take(struct path_cxt *pc, const char *name, pid_t *ret_holder);

/*
 * Wait up to timeout_ms for the lock to become free (QEMU exiting after "quit"), then
 * take it. Same returns as vm_lock_take().
 */
int vm_lock_wait(struct path_cxt *pc, const char *name, int timeout_ms);
