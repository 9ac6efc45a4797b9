/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fd-util.c: the one whole-file read (path.c's and config.c's loops) and the one full write
 * (fileio.c, snapshot.c, the claim log's), at their edges: empty, exactly max, one past
 * it, larger than the first buffer, a pipe that hands data out in pieces.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "tap.h"

static char path[] = "/tmp/test-fd-util.XXXXXX";

/* Write n bytes of a known pattern to the test file and open it for reading. */
static int file_of(size_t n)
{
	_cleanup_free_ char *d = malloc(n + 1);
	_cleanup_close_ int w = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);

	for (size_t i = 0; i < n; i++)
		d[i] = (char)('a' + i % 26);
	if (w < 0 || fd_write_full(w, d, n) < 0)
		return -1;
	return open(path, O_RDONLY | O_CLOEXEC);
}

static void read_size(size_t n, size_t max, int want_r, const char *what)
{
	_cleanup_close_ int fd = file_of(n);
	char *buf = (char *)"untouched";
	size_t size = 12345;
	int r = fd_read_full(fd, max, &buf, &size);
	bool pattern = true;

	is_int(r, want_r, "%s: result", what);
	if (r < 0) {
		ok(strcmp(buf, "untouched") == 0 && size == 12345, "%s: out-params untouched",
		   what);
		return;
	}
	is_int((int)size, (int)n, "%s: size", what);
	for (size_t i = 0; i < n && pattern; i++)
		pattern = buf[i] == (char)('a' + i % 26);
	ok(pattern && buf[n] == '\0', "%s: contents and NUL", what);
	free(buf);
}

int main(void)
{
	_cleanup_close_ int tmp = mkstemp(path);
	char *buf = NULL;
	int p[2], status;
	pid_t pid;

	ok(tmp >= 0, "a test file");
	read_size(0, 10, 0, "empty file");
	read_size(10, 10, 0, "exactly max");
	read_size(11, 10, -EFBIG, "one past max");
	read_size(4095, 1 << 20, 0, "one less than the first buffer");
	read_size(4096, 1 << 20, 0, "the first buffer exactly");
	read_size(100000, 1 << 20, 0, "many buffers");
	read_size(100000, 99999, -EFBIG, "many buffers, one past max");
	read_size(5000, 4096, -EFBIG, "past a max below the first buffer's growth");
	is_int(fd_read_full(-1, 10, &buf, NULL), -EBADF, "a bad descriptor is -EBADF");

	/* A pipe hands out what was written so far: the read goes on to end of file. */
	ok(pipe(p) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		for (int i = 0; i < 100; i++)
			if (fd_write_full(p[1], "0123456789", 10) < 0)
				_exit(1);
		_exit(0);
	}
	close(p[1]);
	is_int(fd_read_full(p[0], 1000, &buf, NULL), 0, "1000 bytes through a pipe, in pieces");
	ok(buf && strlen(buf) == 1000 && strncmp(buf + 990, "0123456789", 10) == 0,
	   "all of them, in order");
	free(buf);
	close(p[0]);
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the writer wrote everything");

	ok(pipe(p) == 0, "pipe");
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	is_int(fd_write_full(p[1], "x", 1), -EPIPE, "a write to a closed pipe is -EPIPE");
	close(p[1]);
	is_int(fd_write_full(tmp, "", 0), 0, "nothing to write is 0");

	/* Issue 30 #13: only a regular file is read. */
	is_int(fd_verify_regular(tmp), 0, "a regular file is regular");
	ok(pipe(p) == 0, "pipe");
	is_int(fd_verify_regular(p[0]), -EBADFD, "a pipe is not");
	close(p[0]);
	close(p[1]);
	{
		int d = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		is_int(fd_verify_regular(d), -EISDIR, "a directory is -EISDIR");
		close(d);
	}
	is_int(fd_verify_regular(-1), -EBADF, "a bad descriptor is -EBADF");
	unlink(path);
	return done_testing();
}
