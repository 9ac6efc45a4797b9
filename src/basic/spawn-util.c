/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/macro.h"
#include "basic/spawn-util.h"
#include "basic/strbuf.h"
#include "basic/time-util.h"

int spawn_wait_status(pid_t pid, int *ret_status)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return negative_errno();
	*ret_status = status;
	return 0;
}

int spawn_fork_pipe(int *ret_fd)
{
	int p[2], r;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return negative_errno();
	pid = fork();
	if (pid < 0) {
		r = negative_errno();
		close(p[0]);
		close(p[1]);
		return r;
	}
	close(p[pid == 0 ? 0 : 1]);
	*ret_fd = p[pid == 0 ? 1 : 0];
	return pid;
}

int spawn_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	long fd = syscall(SYS_pidfd_open, pid, 0);

	if (fd >= 0)
		return (int)fd;
#endif
	return -1;
}

ssize_t read_eintr(int fd, void *buf, size_t n)
{
	ssize_t k;

	do
		k = read(fd, buf, n);
	while (k < 0 && errno == EINTR);
	return k < 0 ? negative_errno() : k;
}

/* A wait status as a shell reports it: the exit status, or 128 + the signal. */
static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int spawn_wait(pid_t pid)
{
	int status = 0, r;

	r = spawn_wait_status(pid, &status);
	if (r < 0)
		return r;
	return exit_code(status);
}

/*
 * Read the child's output until end of file: 0, or -ETIMEDOUT at deadline_ms (< 0: none),
 * -EFBIG past max with fail_big; past max without it the rest is read and dropped.
 */
static int read_output(int fd, struct strbuf *sb, size_t max, bool fail_big, long long deadline_ms)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char buf[4096];
		ssize_t n;

		if (deadline_ms >= 0) {
			long long left = deadline_ms - now_ms();
			int k;

			if (left <= 0)
				return -ETIMEDOUT;
			k = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
			if (k < 0 && errno != EINTR)
				return negative_errno();
			if (k <= 0)
				continue;
		}
		n = read(fd, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (sb->len + (size_t)n > max && fail_big)
			return -EFBIG;
		if (sb->len < max)
			strbuf_putn(sb, buf, (size_t)n);
	}
}

/* Without output to read: wait for the child until deadline_ms, polling its exit. */
static int wait_deadline(pid_t pid, long long deadline_ms)
{
	int status;

	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			return exit_code(status);
		if (w < 0 && errno != EINTR)
			return negative_errno();
		if (now_ms() >= deadline_ms)
			return -ETIMEDOUT;
		usleep(10 * 1000);
	}
}

/* A child given up on: never left running or unreaped. */
static void kill_reap(pid_t pid)
{
	(void)kill(pid, SIGKILL);
	(void)spawn_wait(pid);
}

int spawn_run_opts(char *const *argv, const struct spawn_opts *opts, char **ret_output)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	posix_spawn_file_actions_t fa;
	unsigned flags = opts->flags;
	long long deadline = opts->timeout_ms > 0 ? now_ms() + opts->timeout_ms : -1;
	int pipefd[2] = {-1, -1}, r;
	pid_t pid;

	if (ret_output && pipe2(pipefd, O_CLOEXEC) < 0)
		return negative_errno();
	r = posix_spawn_file_actions_init(&fa);
	if (r == 0 && (flags & SPAWN_STDIN_NULL))
		r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (r == 0 && (flags & SPAWN_STDERR_NULL))
		r = posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	if (r == 0 && ret_output)
		r = posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	if (r == 0 && ret_output && (flags & SPAWN_STDERR_TO_OUTPUT))
		r = posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
	if (r == 0 && !ret_output && (flags & SPAWN_STDOUT_TO_STDERR))
		r = posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
	if (r == 0)
		r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, opts->envp ? opts->envp : environ);
	posix_spawn_file_actions_destroy(&fa);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (r != 0) {
		if (pipefd[0] >= 0)
			close(pipefd[0]);
		return -r;
	}
	if (ret_output) {
		r = read_output(pipefd[0], &sb, opts->max_output, flags & SPAWN_OUTPUT_LIMIT_FAIL,
				deadline);
		close(pipefd[0]);
		if (r < 0)
			return kill_reap(pid), r;
	}
	r = deadline < 0 ? spawn_wait(pid) : wait_deadline(pid, deadline);
	if (r == -ETIMEDOUT)
		kill_reap(pid);
	if (r < 0)
		return r;
	if (ret_output) {
		int k = strbuf_steal(&sb, ret_output);

		if (k < 0)
			return k;
	}
	return r;
}

int spawn_run(char *const *argv, unsigned flags, size_t max_output, char **ret_output)
{
	const struct spawn_opts opts = {.flags = flags, .max_output = max_output};

	return spawn_run_opts(argv, &opts, ret_output);
}

int spawn_run_status(char *const *argv, int *ret_status)
{
	pid_t pid;
	int r;

	r = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (r != 0)
		return -r;
	return spawn_wait_status(pid, ret_status);
}
