/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Stop signals of "vm run" (docs/vm.md, "Stopping"). The first SIGTERM, SIGINT or SIGHUP is
 * passed on to QEMU; a further one normally means "kill QEMU now". But one stop request can
 * arrive twice: coreutils timeout(1) forwards the signal it gets to its child and then to its
 * whole process group, and a supervisor may signal the child and its group the same way. So
 * the same signal again, sent by the same process (si_pid) within STOP_REPEAT_WINDOW_MS of
 * the first, is that first request once more and is ignored. A different signal, another
 * sender, one sent later, or one the kernel generated (a terminal's Ctrl-C: SI_KERNEL, no
 * sender) is a second request and escalates.
 */

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* How long a repeat from the same sender counts as the same request. */
#define STOP_REPEAT_WINDOW_MS 1000

struct stop_request {
	int sig;
	bool from_process; /* sent by kill(2)/sigqueue(2)/tgkill(2): pid is the sender */
	pid_t pid;
	long long at_ms; /* now_ms() when it was taken */
};

/* Describe the signal of si, taken at at_ms (now_ms()). */
void stop_request_init(struct stop_request *ret, const siginfo_t *si, long long at_ms);

/*
 * Whether req is first sent once more (see above): less than window_ms after it (window_ms < 0:
 * STOP_REPEAT_WINDOW_MS; 0: never a repeat).
 */
bool stop_request_is_repeat(const struct stop_request *first, const struct stop_request *req,
			    long long window_ms);
