/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "basic/lockfile.h"
#include "basic/macro.h"
#include "basic/parse-util.h"
#include "basic/time-util.h"

/*
 * After the deadline the timer fires again at this interval: a first signal that lands
 * between the check of the flag and the entry into flock() is then not the only one.
 */
#define WAIT_REFIRE_MS 10

static volatile sig_atomic_t wait_expired;

static void on_wait_timer(int sig)
{
	(void)sig;
	wait_expired = 1;
}

/* Block in flock() until it succeeds or the timer has fired: 0, -EBUSY or -errno. */
static int flock_until_expired(int fd)
{
	for (;;) {
		if (wait_expired)
			return -EBUSY;
		if (flock(fd, LOCK_EX) >= 0)
			return 0;
		/* EINTR: the timer, or another signal whose handler has run; look again. */
		if (errno != EINTR)
			return negative_errno();
	}
}

int lock_fd_wait(int fd, int timeout_ms)
{
	struct sigaction sa = {.sa_handler = on_wait_timer}, old_sa;
	struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM};
	struct itimerspec its = {
	    .it_value = timespec_from_ms(timeout_ms),
	    .it_interval = timespec_from_ms(WAIT_REFIRE_MS),
	};
	const struct timespec zero = {0};
	sigset_t alrm, old_mask;
	timer_t timer;
	int r;

	if (flock(fd, LOCK_EX | LOCK_NB) >= 0)
		return 0;
	if (errno != EWOULDBLOCK)
		return negative_errno();
	if (timeout_ms <= 0)
		return -EBUSY;

	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	if (sigprocmask(SIG_BLOCK, &alrm, &old_mask) < 0)
		return negative_errno();
	/* No SA_RESTART: the signal must end the blocking flock() with EINTR. */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, &old_sa) < 0) {
		r = negative_errno();
		goto out_mask;
	}
	if (timer_create(CLOCK_MONOTONIC, &sev, &timer) < 0) {
		r = negative_errno();
		goto out_action;
	}
	wait_expired = 0;
	if (timer_settime(timer, 0, &its, NULL) < 0) {
		r = negative_errno();
		goto out_timer;
	}
	if (sigprocmask(SIG_UNBLOCK, &alrm, NULL) < 0) {
		r = negative_errno();
		goto out_timer;
	}
	r = flock_until_expired(fd);

	(void)sigprocmask(SIG_BLOCK, &alrm, NULL);
out_timer:
	(void)timer_delete(timer);
	/* A signal the timer queued before it was deleted must not meet the old handler. */
	while (sigtimedwait(&alrm, NULL, &zero) == SIGALRM)
		;
out_action:
	(void)sigaction(SIGALRM, &old_sa, NULL);
out_mask:
	(void)sigprocmask(SIG_SETMASK, &old_mask, NULL);
	return r;
}

/*
 * The pid that holds fd's flock(): /proc/locks lists each lock with its pid and the file's
 * device and inode ("1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"). Locks are the
 * running kernel's, whatever root the file was opened below, so this is the live /proc.
 */
static pid_t holder_from_proc_locks(int fd)
{
	_cleanup_fclose_ FILE *f = NULL;
	struct stat st;
	char line[256];

	if (fstat(fd, &st) < 0)
		return 0;
	f = fopen("/proc/locks", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		/* "N: FLOCK ADVISORY WRITE PID MAJ:MIN:INO START END"; waiters have "->" first. */
		char *field[6], *save = NULL, *mm, *ino;
		uint64_t pid, maj, min, inode;
		size_t n = 0;

		for (char *t = strtok_r(line, " \t\n", &save); t && n < ARRAY_SIZE(field);
		     t = strtok_r(NULL, " \t\n", &save))
			field[n++] = t;
		if (n < 6 || !streq(field[1], "FLOCK"))
			continue;
		mm = strchr(field[5], ':');
		ino = mm ? strchr(mm + 1, ':') : NULL;
		if (!ino)
			continue;
		*mm = *ino = '\0';
		if (safe_atou64(field[4], &pid) < 0 || safe_atox64(field[5], &maj) < 0 ||
		    safe_atox64(mm + 1, &min) < 0 || safe_atou64(ino + 1, &inode) < 0)
			continue;
		if (inode == (uint64_t)st.st_ino && maj == major(st.st_dev) &&
		    min == minor(st.st_dev) && pid > 0 && pid <= INT32_MAX)
			return (pid_t)pid;
	}
	return 0;
}

pid_t lock_fd_holder(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	const char *end;
	uint64_t v;

	if (n <= 0)
		return holder_from_proc_locks(fd);
	buf[n] = '\0';
	/* "PID\n" as lock_fd_mark() writes it; what follows the newline is not looked at. */
	if (safe_atou64_prefix(buf, 10, &v, &end) < 0 || (*end && *end != '\n') || v == 0 ||
	    v > INT32_MAX)
		return holder_from_proc_locks(fd);
	return (pid_t)v;
}

int lock_fd_mark(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	ssize_t k;

	if (ftruncate(fd, 0) < 0)
		return negative_errno();
	k = pwrite(fd, buf, (size_t)n, 0);
	if (k < 0)
		return negative_errno();
	return k == n ? 0 : -EIO;
}
