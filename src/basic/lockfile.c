/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "basic/lockfile.h"
#include "basic/macro.h"
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

pid_t lock_fd_holder(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *end = NULL;
	long v;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || v <= 0 || v > INT32_MAX)
		return 0;
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
