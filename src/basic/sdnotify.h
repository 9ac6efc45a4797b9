/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The systemd readiness protocol, by hand: one datagram to the unix socket named in
 * $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace). No libsystemd.
 */

/*
 * Send state ("READY=1\nSTATUS=..."). Returns 1 when sent, 0 when $NOTIFY_SOCKET is unset
 * (not started by systemd: nothing to do), -errno on failure (-EINVAL for an unusable
 * socket name).
 */
int sd_notify_send(const char *state);
