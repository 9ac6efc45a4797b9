/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What swtpm.c (the process) and swtpm-setup.c (the state) share. */

#include <stdbool.h>
#include <sys/types.h>

#include "basic/path.h"

/*
 * Wait up to timeout_ms for process pid to end: our child (child) is reaped, its status in
 * *ret_status (may be NULL); another process is watched through its pidfd. true when it
 * is gone.
 */
bool swtpm_wait_gone(pid_t pid, int pidfd, bool child, int timeout_ms, int *ret_status);

/* End pid: grace_ms to go by itself, then SIGTERM, then SIGKILL. 1 when signalled, -errno. */
int swtpm_end_process(pid_t pid, int pidfd, bool child, int grace_ms);

/* The last non-empty line of a log below the root, shortened: a new string or NULL. */
char *swtpm_log_last_line(struct path_cxt *pc, const char *path);

/* "exited with status N" / "was killed by signal N" for a wait status. */
void swtpm_describe_status(int status, char buf[static 48]);
