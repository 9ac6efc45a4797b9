/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Host audio and the cpufreq governors of the VM's CPUs around vm run (issue 15). */

#include "vm/context.h"

/* vm command, export, run: audio-user's runtime directory for QEMU (vm-audio.h). */
int vm_audio_load(struct vm_ctx *x);

/*
 * vm run, before the lock: QEMU's pa driver, the audio user's cookie loaded, the server
 * reachable and accepting QEMU's user.
 */
int vm_check_audio(struct vm_ctx *x);

/*
 * vm run, after vm_check_audio(): the audio user's cookie for QEMU (zeros when there is
 * none), "PULSE_COOKIE=..." in *ret_env and the descriptor QEMU inherits (O_CLOEXEC: the
 * child clears it) in *ret_fd: 1, or 0 (nothing to pass) without host audio.
 */
int vm_audio_cookie_env(const struct vm_ctx *x, char **ret_env, int *ret_fd);

/* "XDG_RUNTIME_DIR=..." for QEMU (under --run-paths' root) in *ret: 1, or 0 without host audio. */
int vm_audio_env(const struct vm_ctx *x, char **ret);

/* vm run, before the lock: every CPU of the VM offers cpu-governor (vm-power.h). */
int vm_check_power(struct vm_ctx *x);

/* vm run, under the lock: a leftover record played back, then cpu-governor set, recorded. */
int vm_power_set(struct vm_ctx *x);

/* When vm run ends (vm_ctx_done()): the recorded governors back. Logs failures. */
void vm_power_release(struct vm_ctx *x);

/* vm stop, under the lock once QEMU is gone: a record a killed runner left, played back. */
int vm_power_stop_restore(struct cli *cli, const char *name);
