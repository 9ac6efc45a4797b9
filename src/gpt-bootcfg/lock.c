/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "lock.h"
#include "log.h"
#include "path.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static unsigned wait_ms(void)
{
	const char *e = getenv("GPT_BOOTCFG_LOCK_WAIT_MS");
	unsigned long v;
	char *end = NULL;

	if (!e || !*e)
		return LOCK_WAIT_MS;
	errno = 0;
	v = strtoul(e, &end, 10);
	if (errno || *end || v > 600000)
		return LOCK_WAIT_MS;
	return (unsigned)v;
}

/* The pid the holder wrote, 0 when there is none (yet). */
static long holder_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long v;
	char *end = NULL;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || v <= 0)
		return 0;
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
	uint64_t deadline = now_ms() + wait_ms();
	char pid[32];
	int fd = -1, r, n;

	for (;;) {
		if (fd < 0) {
			fd = open_lock_file(cli->pc);
			if (fd < 0)
				return log_error_errno(fd,
						       "Failed to open the lock file '%s' below "
						       "'%s': %m",
						       LOCK_PATH, cli->root);
		}
		if (flock(fd, LOCK_EX | LOCK_NB) >= 0) {
			if (still_linked(cli->pc, fd))
				break;
			/* Someone removed the file: lock the one at the path now. */
			close(fd);
			fd = -1;
			continue;
		}
		if (errno != EWOULDBLOCK && errno != EINTR) {
			r = negative_errno();
			close(fd);
			return log_error_errno(r, "Failed to lock '%s': %m", LOCK_PATH);
		}
		if (now_ms() >= deadline) {
			long holder = holder_pid(fd);

			close(fd);
			if (holder > 0)
				log_error(
				    "Another gpt-bootcfg is running (pid %ld); try again when it "
				    "has finished.",
				    holder);
			else
				log_error("Another gpt-bootcfg is running; try again when it has "
					  "finished.");
			return -EBUSY;
		}
		usleep(50 * 1000);
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		log_debug_errno(errno, "Failed to write the pid into '%s', ignoring: %m",
				LOCK_PATH);
	return fd;
}
