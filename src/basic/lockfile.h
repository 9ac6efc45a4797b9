/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Lock files held for as long as a process runs: an exclusive flock(2) on a file under
 * /run (the boot configuration's lock, lock.h; one per VM, vm-lock.h). The holder writes
 * its pid into the file, so that whoever finds it taken can name it. Opening the file
 * (where, with which flags) stays with each caller.
 */

#include <sys/types.h>

/*
 * Take an exclusive flock() on fd, waiting up to timeout_ms (<= 0: only try). Returns 0
 * once it is held, -EBUSY when another open file still holds it when the time is up, or
 * -errno. The wait blocks in flock(), ended by a timer's SIGALRM: the process must be
 * single-threaded and have no SIGALRM handler of its own (the handler, the signal mask and
 * the timer are put back as they were before this returns).
 */
int lock_fd_wait(int fd, int timeout_ms);

/* The pid the holder of lock file fd wrote into it, 0 when there is none (yet). */
pid_t lock_fd_holder(int fd);

/* Write our pid into lock file fd (which we hold), for lock_fd_holder(). 0 or -errno. */
int lock_fd_mark(int fd);
