/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Running a program and waiting for it: the one place that handles EINTR and turns a wait
 * status into a number. Callers that need their own child setup (a hook's combined output,
 * a timeout) fork themselves but still wait with spawn_wait().
 */

#include <stddef.h>
#include <sys/types.h>

/* Wait for child pid, retrying on EINTR: 0 and its wait status in *ret_status, or -errno. */
int spawn_wait_status(pid_t pid, int *ret_status);

/*
 * Wait for child pid, retrying on EINTR. Returns its exit status (0-255), 128 + the signal
 * number if a signal killed it (as a shell reports it), or -errno if waiting failed.
 */
int spawn_wait(pid_t pid);

enum {
	SPAWN_STDIN_NULL = 1 << 0,	 /* stdin from /dev/null */
	SPAWN_STDOUT_TO_STDERR = 1 << 1, /* stdout joins stderr (not with ret_output) */
	SPAWN_STDERR_NULL = 1 << 2,	 /* stderr to /dev/null */
};

/*
 * Run argv (argv[0] looked up in PATH) with the flags' stdio and wait for it. With
 * ret_output, stdout is captured (at most max_output bytes are kept; the rest is read and
 * dropped so the child never blocks on a full pipe) into a new string. Returns what
 * spawn_wait() returns, or -errno if the program could not be started (-ENOENT when not
 * found). *ret_output is set only when the child ran.
 */
int spawn_run(char *const *argv, unsigned flags, size_t max_output, char **ret_output);

/*
 * Run argv (argv[0] looked up in PATH) with the caller's stdin, stdout and stderr, and wait
 * for it: 0 and its raw wait status in *ret_status (WIFEXITED()/WTERMSIG() tell how it
 * ended, for a message that names a signal), or -errno if it could not be started (-ENOENT
 * when not found) or waited for.
 */
int spawn_run_status(char *const *argv, int *ret_status);
