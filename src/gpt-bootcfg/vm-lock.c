/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "qemucmd.h"
#include "vm-lock.h"

static int read_holder(int fd, pid_t *ret)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long v;
	char *end;

	*ret = 0;
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (!errno && end != buf && (*end == '\n' || !*end) && v > 0 && v <= INT32_MAX)
		*ret = (pid_t)v;
	return 0;
}

int vm_lock_take(struct path_cxt *pc, const char *name, pid_t *ret_holder)
{
	char buf[32];
	int fd, r, n;

	r = path_mkdir_p(pc, VM_RUN_DIR, 0755);
	if (r < 0)
		return r;
	/* O_NOFOLLOW: the run directory is root's, but a planted link is never a lock file. */
	fd = path_open(pc, O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY, 0600, VM_RUN_DIR "/%s.lock",
		       name);
	if (fd < 0)
		return fd;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = negative_errno();
		if (r == -EWOULDBLOCK) {
			if (ret_holder)
				(void)read_holder(fd, ret_holder);
			r = -EBUSY;
		}
		close(fd);
		return r;
	}
	/* Who holds it, for the refusal of a second "vm run" (informational only). */
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
		r = negative_errno();
		close(fd);
		return r;
	}
	return fd;
}

int vm_lock_wait(struct path_cxt *pc, const char *name, int timeout_ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};

	for (int waited = 0;; waited += 100) {
		int r = vm_lock_take(pc, name, NULL);

		if (r != -EBUSY || waited >= timeout_ms)
			return r;
		nanosleep(&ts, NULL);
	}
}
