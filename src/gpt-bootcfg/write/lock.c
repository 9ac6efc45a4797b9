/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/lockfile.h"
#include "basic/log.h"
#include "basic/parse-util.h"
#include "basic/path.h"
#include "basic/time-util.h"
#include "write/lock.h"

static unsigned wait_ms(void)
{
	const char *e = getenv("GPT_BOOTCFG_LOCK_WAIT_MS");
	unsigned v;

	if (!e || safe_atou_range(e, 0, 600000, &v) < 0)
		return LOCK_WAIT_MS;
	return v;
}

/* Whether fd is still the file at LOCK_PATH (not one a cleanup removed under us). */
static bool still_linked(struct path_cxt *pc, int fd)
{
	struct stat a, b;

	return fstat(fd, &a) >= 0 && path_lstat(pc, &b, LOCK_PATH) >= 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static int open_lock_file(struct path_cxt *pc)
{
	static const char *const dirs[] = {"/run", LOCK_DIR};
	int fd;

	/*
	 * An existing lock file is opened read-only (flock() needs no more) and left as it
	 * is: an apply with nothing to do writes nothing, not even here (issue 31). The
	 * holder's pid comes from /proc/locks (lock_fd_holder()).
	 */
	fd = path_open(pc, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0, LOCK_PATH);
	if (fd != -ENOENT)
		return fd;
	/* Not a managed file: no fault points, no state line, nothing for revert to undo. */
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		_cleanup_free_ char *p = NULL;
		int r = path_prefix(pc, &p, "%s", dirs[i]);

		if (r < 0)
			return r;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return negative_errno();
	}
	/* O_NOFOLLOW: a link planted at the lock's name is not opened (nor created through). */
	return path_open(pc, O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY, 0600, LOCK_PATH);
}

int bootcfg_lock(struct cli *cli)
{
	long long deadline = now_ms() + wait_ms();
	int fd, r;

	for (;;) {
		fd = open_lock_file(cli->pc);
		if (fd < 0)
			return log_error_errno(fd,
					       "Failed to open the lock file '%s' below '%s': %m",
					       LOCK_PATH, cli->root);
		r = lock_fd_wait(fd, (int)(deadline > now_ms() ? deadline - now_ms() : 0));
		if (r >= 0 && still_linked(cli->pc, fd))
			break;
		if (r >= 0) {
			/* Someone removed the file: lock the one at the path now. */
			close(fd);
			continue;
		}
		if (r == -EBUSY) {
			pid_t holder = lock_fd_holder(fd);

			close(fd);
			if (holder > 0)
				log_error(
				    "Another gpt-bootcfg is running (pid %ld); try again when it "
				    "has finished.",
				    (long)holder);
			else
				log_error("Another gpt-bootcfg is running; try again when it has "
					  "finished.");
			return -EBUSY;
		}
		close(fd);
		return log_error_errno(r, "Failed to lock '%s': %m", LOCK_PATH);
	}
	return fd;
}
