/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "spawn-util.h"
#include "strbuf.h"

int spawn_wait_status(pid_t pid, int *ret_status)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return negative_errno();
	*ret_status = status;
	return 0;
}

int spawn_wait(pid_t pid)
{
	int status = 0, r;

	r = spawn_wait_status(pid, &status);
	if (r < 0)
		return r;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int spawn_run(char *const *argv, unsigned flags, size_t max_output, char **ret_output)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	posix_spawn_file_actions_t fa;
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
	if (r == 0 && !ret_output && (flags & SPAWN_STDOUT_TO_STDERR))
		r = posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
	if (r == 0)
		r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (r != 0) {
		if (pipefd[0] >= 0)
			close(pipefd[0]);
		return -r;
	}
	if (ret_output) {
		char buf[4096];
		ssize_t n;

		while ((n = read(pipefd[0], buf, sizeof(buf))) != 0) {
			if (n < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			if (sb.len < max_output)
				strbuf_putn(&sb, buf, (size_t)n);
		}
		close(pipefd[0]);
	}
	r = spawn_wait(pid);
	if (r < 0)
		return r;
	if (ret_output) {
		int k = strbuf_steal(&sb, ret_output);

		if (k < 0)
			return k;
	}
	return r;
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
