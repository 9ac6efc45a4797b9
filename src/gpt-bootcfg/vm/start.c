/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "basic/macro.h"
#include "basic/spawn-util.h"
#include "basic/time-util.h"
#include "vm/start.h"

/*
 * After a reset or refused QMP connection QEMU is gone or going: how long its exit may
 * take to show (it closes its descriptors before it becomes a zombie).
 */
#define RESET_EXIT_GRACE_MS (10 * 1000)

/*
 * Reap pid if it ends within timeout_ms (0: only if it has ended already). SIGCHLD is
 * blocked by the caller, so one raised after a look is pending, not lost: the wait for it
 * is a wake-up, not a poll interval.
 */
static bool reap_within(pid_t pid, int timeout_ms, int *ret_status)
{
	long long deadline = now_ms() + timeout_ms;
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		struct timespec ts;
		long long left;
		int status;
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid) {
			*ret_status = status;
			return true;
		}
		if (w < 0 && errno != EINTR)
			return false;
		left = deadline - now_ms();
		if (left <= 0)
			return false;
		ts = timespec_from_ms(left);
		(void)sigtimedwait(&chld, NULL, &ts);
	}
}

int vm_start_connect(const char *qmp_path, pid_t pid, const sigset_t *stop, int timeout_ms,
		     struct qmp **ret, int *ret_status, int *ret_sig)
{
	_cleanup_close_ int pidfd = -1, sigfd = -1;
	const struct timespec now = {0};
	sigset_t only_stop = *stop;
	int watch[2], r, sig, status;

	/* SIGCHLD would wake the wait for a stopped QEMU too: its pidfd tells of its exit. */
	sigdelset(&only_stop, SIGCHLD);
	/* No pidfd (before 5.3): the reset of the queued connection tells of its exit. */
	pidfd = spawn_pidfd_open(pid);
	/* The signals stay blocked: the signalfd only shows that one is pending. */
	sigfd = signalfd(-1, &only_stop, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0)
		return negative_errno();
	watch[0] = pidfd;
	watch[1] = sigfd;
	r = qmp_connect_watch(qmp_path, timeout_ms, watch, ARRAY_SIZE(watch), ret);
	if (r >= 0)
		return 0;
	/* QEMU's exit explains any failure first; a reset connection announces it. */
	if (reap_within(pid, r == -ECONNRESET || r == -ECONNREFUSED ? RESET_EXIT_GRACE_MS : 0,
			&status)) {
		*ret_status = status;
		return -ECHILD;
	}
	do
		sig = sigtimedwait(&only_stop, NULL, &now);
	while (sig < 0 && errno == EINTR);
	if (sig > 0) {
		*ret_sig = sig;
		return -EINTR;
	}
	return r;
}

void vm_start_stop_child(pid_t pid, int timeout_ms)
{
	int status;

	kill(pid, SIGTERM);
	if (reap_within(pid, timeout_ms, &status))
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}
