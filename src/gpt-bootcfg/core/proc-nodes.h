/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Which process holds which device node: the one /proc/PID/fd scanner of the CLI. */

#include "basic/path.h"

/*
 * Every open file below /dev of every process, through the path layer: a strv of
 * "NODE\tPID\tCOMM" ("/dev/nvme0n1\t812\tfio"), COMM escaped for messages (issue 30 #4).
 * Processes that vanish are skipped; so are those whose descriptors cannot be read (the
 * ptrace access check: another user's, or root's with capabilities the reader lacks),
 * counted in *ret_hidden when it is not NULL, since a holder among them goes unseen.
 * -errno when /proc cannot be listed or on -ENOMEM.
 */
int proc_open_nodes(struct path_cxt *pc, char ***ret, unsigned *ret_hidden);
