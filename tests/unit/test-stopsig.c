/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which stop signal of "vm run" repeats the first one (stopsig.h). */
#include "vm/stopsig.h"
#include "tap.h"

static struct stop_request req(int sig, int code, pid_t pid, long long at)
{
	siginfo_t si = {.si_signo = sig, .si_code = code};
	struct stop_request r;

	si.si_pid = pid;
	stop_request_init(&r, &si, at);
	return r;
}

int main(void)
{
	struct stop_request first = req(SIGTERM, SI_USER, 100, 5000), r;

	is_int(first.from_process, 1, "kill(2): sent by a process");
	is_int(first.pid, 100, "its pid");
	r = req(SIGTERM, SI_KERNEL, 100, 5000);
	is_int(r.from_process, 0, "SI_KERNEL: no sender");
	is_int(r.pid, 0, "SI_KERNEL: si_pid ignored");

	r = req(SIGTERM, SI_USER, 100, 5000);
	ok(stop_request_is_repeat(&first, &r, -1), "same signal, same sender, same moment: repeat");
	r = req(SIGTERM, SI_TKILL, 100, 5999);
	ok(stop_request_is_repeat(&first, &r, -1),
	   "tgkill from the same sender 999 ms later: repeat");
	r = req(SIGTERM, SI_USER, 100, 5000 + STOP_REPEAT_WINDOW_MS);
	ok(!stop_request_is_repeat(&first, &r, -1), "after the window: a second request");
	r = req(SIGTERM, SI_USER, 101, 5001);
	ok(!stop_request_is_repeat(&first, &r, -1), "another sender: a second request");
	r = req(SIGINT, SI_USER, 100, 5001);
	ok(!stop_request_is_repeat(&first, &r, -1), "another signal: a second request");
	r = req(SIGTERM, SI_KERNEL, 0, 5001);
	ok(!stop_request_is_repeat(&first, &r, -1), "kernel-generated: a second request");
	r = req(SIGTERM, SI_USER, 100, 5000);
	ok(!stop_request_is_repeat(&first, &r, 0), "window 0: never a repeat");
	ok(stop_request_is_repeat(
	       &first,
	       &(struct stop_request){
		   .sig = SIGTERM, .from_process = true, .pid = 100, .at_ms = 64999},
	       60000),
	   "a longer window");
	first = req(SIGINT, SI_KERNEL, 0, 5000);
	r = req(SIGINT, SI_KERNEL, 0, 5000);
	ok(!stop_request_is_repeat(&first, &r, -1), "Ctrl-C twice: a second request");
	r = req(SIGTERM, SI_USER, 100, 4000);
	first = req(SIGTERM, SI_USER, 100, 5000);
	ok(!stop_request_is_repeat(&first, &r, -1), "earlier than the first: not a repeat");
	return done_testing();
}
