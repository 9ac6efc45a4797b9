/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The start of QEMU in "vm run", the runner's side (issue 18): no polling. The runner makes
 * QEMU's listening QMP socket itself (qmp_listen()) and passes it to QEMU, so it can connect
 * the moment QEMU is forked; the connection waits queued until QEMU serves it. Meanwhile it
 * watches, in one poll(), the socket, QEMU's pidfd (QEMU exited) and a signalfd of the stop
 * signals: whichever comes first decides, without a sleep anywhere.
 *
 * The caller blocks the stop signals and SIGCHLD before the fork (and keeps them blocked),
 * so that none is lost between two looks, and closes its own copy of the listening socket
 * after the fork, so that QEMU's exit also resets the queued connection.
 */

#include <signal.h>
#include <sys/types.h>

#include "basic/qmp.h"

/*
 * Connect to QEMU's QMP socket at qmp_path (a real path) for the QEMU just forked as pid:
 * wait for its greeting and the capabilities reply, up to timeout_ms, while watching its
 * exit and the signals of stop other than SIGCHLD. 0 and *ret on success; -ECHILD when
 * QEMU exited (reaped; *ret_status as from waitpid()); -EINTR when a stop signal came first
 * (taken; *ret_sig names it); -ETIMEDOUT, or the -errno of the connection otherwise. Logs
 * nothing: the caller words it.
 */
int vm_start_connect(const char *qmp_path, pid_t pid, const sigset_t *stop, int timeout_ms,
		     struct qmp **ret, int *ret_status, int *ret_sig);

/*
 * End a QEMU that must not run on: SIGTERM, then up to timeout_ms for it to exit (woken by
 * SIGCHLD, which the caller keeps blocked: no sleep loop), then SIGKILL; reaped either way.
 */
void vm_start_stop_child(pid_t pid, int timeout_ms);
