/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vm/stopsig.h"

void stop_request_init(struct stop_request *ret, const siginfo_t *si, long long at_ms)
{
	/* SI_USER, SI_QUEUE and SI_TKILL are all <= 0: a process sent it and si_pid is valid. */
	*ret = (struct stop_request){
	    .sig = si->si_signo,
	    .from_process = si->si_code <= 0,
	    .pid = si->si_code <= 0 ? si->si_pid : 0,
	    .at_ms = at_ms,
	};
}

bool stop_request_is_repeat(const struct stop_request *first, const struct stop_request *req,
			    long long window_ms)
{
	if (window_ms < 0)
		window_ms = STOP_REPEAT_WINDOW_MS;
	return first->from_process && req->from_process && first->sig == req->sig &&
	       first->pid == req->pid && req->at_ms >= first->at_ms &&
	       req->at_ms - first->at_ms < window_ms;
}
