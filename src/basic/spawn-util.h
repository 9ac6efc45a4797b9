/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Running a program and waiting for it: the one place that handles EINTR and turns a wait
 * status into a number. spawn_run() covers the common cases; spawn_run_opts() adds an
 * environment, stderr in the captured output, a time limit and a hard output limit (VM
 * hooks, "qemu -machine help"). Callers that need their own child setup (gen.c's) fork
 * themselves but still wait with spawn_wait().
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

/*
 * Fork a child that reports back through a pipe (a check run as another user). In the
 * child: 0, with *ret_fd the pipe's write end. In the parent: the child's pid, with *ret_fd
 * the read end (wait for the child with spawn_wait()). -errno, nothing open, on failure.
 */
int spawn_fork_pipe(int *ret_fd);

/*
 * A pidfd of process pid (readable once it has exited), or -1 where the kernel has none
 * (before 5.3) or the process is gone: callers then fall back to another sign of its exit.
 */
int spawn_pidfd_open(pid_t pid);

/* read(2), retried on EINTR: the bytes read (0 at the end) or -errno. */
ssize_t read_eintr(int fd, void *buf, size_t n);

enum {
	SPAWN_STDIN_NULL = 1 << 0,	  /* stdin from /dev/null */
	SPAWN_STDOUT_TO_STDERR = 1 << 1,  /* stdout joins stderr (not with ret_output) */
	SPAWN_STDERR_NULL = 1 << 2,	  /* stderr to /dev/null */
	SPAWN_STDERR_TO_OUTPUT = 1 << 3,  /* with ret_output: stderr captured with stdout */
	SPAWN_OUTPUT_LIMIT_FAIL = 1 << 4, /* with ret_output: more than max_output is -EFBIG */
};

/*
 * Run argv (argv[0] looked up in PATH) with the flags' stdio and wait for it. With
 * ret_output, stdout is captured (at most max_output bytes are kept; the rest is read and
 * dropped so the child never blocks on a full pipe) into a new string. Returns what
 * spawn_wait() returns, or -errno if the program could not be started (-ENOENT when not
 * found). *ret_output is set only when the child ran.
 */
int spawn_run(char *const *argv, unsigned flags, size_t max_output, char **ret_output);

struct spawn_opts {
	unsigned flags;	   /* SPAWN_* */
	char *const *envp; /* the child's environment; NULL: this process's (environ) */
	size_t max_output; /* with ret_output: bytes kept (see SPAWN_OUTPUT_LIMIT_FAIL) */
	int timeout_ms;	   /* > 0: SIGKILL the child after this long, -ETIMEDOUT */
};

/*
 * spawn_run() with an environment, a time limit and more stdio choices. Returns what
 * spawn_wait() returns; -errno if the program could not be started; -ETIMEDOUT when
 * timeout_ms passed first, or -EFBIG when SPAWN_OUTPUT_LIMIT_FAIL is set and the output
 * exceeds max_output: in both cases the child has been killed and reaped. *ret_output is
 * set only when the child ran and neither limit was hit.
 */
int spawn_run_opts(char *const *argv, const struct spawn_opts *opts, char **ret_output);

/*
 * Run argv (argv[0] looked up in PATH) with the caller's stdin, stdout and stderr, and wait
 * for it: 0 and its raw wait status in *ret_status (WIFEXITED()/WTERMSIG() tell how it
 * ended, for a message that names a signal), or -errno if it could not be started (-ENOENT
 * when not found) or waited for.
 */
int spawn_run_status(char *const *argv, int *ret_status);
