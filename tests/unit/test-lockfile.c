/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lockfile.c: the one lock wait that replaced the try-sleep-retry loops of lock.c
 * (apply/revert/confirm) and vm-lock.c (vm stop), and the holder pid both wrote and read.
 * The wait must block (a waiter shows in /proc/locks), end at its timeout, and leave the
 * process' SIGALRM handler, signal mask and pending signals as they were.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/lockfile.h"
#include "basic/macro.h"
#include "tap.h"
#include "basic/time-util.h"

static char path[] = "/tmp/test-lockfile.XXXXXX";

static void own_handler(int sig)
{
	(void)sig;
}

/* Whether /proc/locks shows pid waiting ("->") for a lock. */
static bool waiting_in_proc_locks(pid_t pid)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/locks", "re");
	char line[256], want[32];

	if (!f)
		return false;
	snprintf(want, sizeof(want), " %ld ", (long)pid);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "->") && strstr(line, want))
			return true;
	return false;
}

/*
 * A child takes the lock, tells the parent, and lets go once it sees the parent blocked
 * in flock() (bounded: after 60 s it lets go anyway and exits 1). Exits 0 when it saw.
 */
static pid_t hold_until_waited_for(int ready_w)
{
	pid_t parent = getpid(), pid = fork();
	long long deadline;
	int fd;

	if (pid != 0)
		return pid;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX) < 0 || write(ready_w, "x", 1) != 1)
		_exit(2);
	deadline = now_ms() + 60 * 1000;
	while (!waiting_in_proc_locks(parent)) {
		const struct timespec ts = timespec_from_ms(10);

		if (now_ms() > deadline)
			_exit(1);
		nanosleep(&ts, NULL);
	}
	_exit(0);
}

static void test_holder(int fd, const char *text, pid_t want, const char *what)
{
	is_int(ftruncate(fd, 0), 0, "truncate");
	is_int((int)pwrite(fd, text, strlen(text), 0), (int)strlen(text), "write '%s'", what);
	is_int(lock_fd_holder(fd), want, "holder of %s", what);
}

int main(void)
{
	struct sigaction sa = {.sa_handler = own_handler}, now_sa;
	_cleanup_close_ int a = -1, b = -1;
	sigset_t mask, pending;
	long long t0, t1;
	int p[2], status, r;
	char c;
	pid_t pid;

	a = mkstemp(path);
	ok(a >= 0, "a lock file");
	b = open(path, O_RDWR | O_CLOEXEC);
	ok(b >= 0, "a second open file of it");

	is_int(lock_fd_holder(a), 0, "an empty file names no holder");
	is_int(lock_fd_wait(a, 0), 0, "a free lock is taken without waiting");
	is_int(lock_fd_mark(a), 0, "mark");
	is_int(lock_fd_holder(b), getpid(), "the holder is the pid marked");
	is_int(lock_fd_wait(b, 0), -EBUSY, "held elsewhere, no wait: -EBUSY");

	/* A SIGALRM handler of the caller's, to see it put back. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	t0 = now_ms();
	r = lock_fd_wait(b, 300);
	t1 = now_ms();
	is_int(r, -EBUSY, "held for the whole wait: -EBUSY");
	ok(t1 - t0 >= 299, "it waited the 300 ms (%lld)", t1 - t0);
	/* Only that it ended at all: no upper bound on a loaded host beyond a generous one. */
	ok(t1 - t0 < 30 * 1000, "the timer ended the wait (%lld ms)", t1 - t0);
	sigaction(SIGALRM, NULL, &now_sa);
	ok(now_sa.sa_handler == own_handler, "the caller's SIGALRM handler is back");
	sigprocmask(SIG_SETMASK, NULL, &mask);
	ok(!sigismember(&mask, SIGALRM), "SIGALRM is not left blocked");
	sigpending(&pending);
	ok(!sigismember(&pending, SIGALRM), "no SIGALRM left pending");

	/* A blocked SIGALRM in the caller's mask stays blocked after the wait. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGALRM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	is_int(lock_fd_wait(b, 50), -EBUSY, "a wait with SIGALRM blocked by the caller ends too");
	sigprocmask(SIG_SETMASK, NULL, &mask);
	ok(sigismember(&mask, SIGALRM), "the caller's mask is as it was");
	sigpending(&pending);
	ok(!sigismember(&pending, SIGALRM), "no SIGALRM left pending (blocked)");
	sigprocmask(SIG_UNBLOCK, &mask, NULL);

	/* The wait blocks in flock() and returns as soon as the lock is let go. */
	close(TAKE_FD(a));
	close(TAKE_FD(b));
	ok(pipe(p) == 0, "pipe");
	pid = hold_until_waited_for(p[1]);
	ok(pid > 0, "fork");
	is_int((int)read(p[0], &c, 1), 1, "the child holds the lock");
	b = open(path, O_RDWR | O_CLOEXEC);
	is_int(lock_fd_wait(b, 120 * 1000), 0, "the waiter got the lock when the holder left");
	is_int((int)waitpid(pid, &status, 0), (int)pid, "reaped");
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "the holder saw the waiter blocked in flock() (/proc/locks) before it let go");
	close(p[0]);
	close(p[1]);

	test_holder(b, "4242\n", 4242, "a pid and newline");
	test_holder(b, "4242", 4242, "a pid without newline");
	/* No pid in the file: the kernel's list of locks names the process that holds it. */
	test_holder(b, "42x\n", getpid(), "trailing garbage (/proc/locks)");
	test_holder(b, "-5\n", getpid(), "a negative number (/proc/locks)");
	test_holder(b, "\n", getpid(), "an empty line (/proc/locks)");
	test_holder(b, "99999999999\n", getpid(), "a number past pid_t (/proc/locks)");
	unlink(path);
	return done_testing();
}
