/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The context every part of the "vm" verb shares: the configuration, the host, the VM, its
 * resolved devices and the QEMU command's input, and what vm run holds while QEMU runs.
 * The verb's files (docs/architecture.md): vm.c (the subcommand table, vm command, export,
 * status), context.c, preflight.c (checks before QEMU starts), pin.c (vCPU threads),
 * feature-run.c (host audio and CPU power around a run), run.c (vm run, vm stop).
 */

#include <stdbool.h>
#include <sys/types.h>

#include "basic/qmp.h"
#include "conf/config.h"
#include "core/verbs.h"
#include "features/audio.h"
#include "features/fwdesc.h"
#include "features/users.h"
#include "shared/host.h"
#include "vm/qemucmd.h"
#include "vm/state.h"

/* QMP waits: replies are quick; the socket appears only after QEMU has set up memory. */
#define QMP_REPLY_TIMEOUT_MS 10000
#define QMP_START_TIMEOUT_MS (300 * 1000)

struct vm_ctx {
	struct cli *cli;
	struct config *config;
	struct host *host;
	const struct vm_config *vm;
	struct qemu_passthrough *pt;
	size_t n_pt;
	struct qemu_cmd_input in;

	/* vm run: the instance lock, and what was handed to QEMU's user (vm-user.h). */
	int lock_fd;
	int lg_lock_fd; /* the Looking Glass memory's lock (vm-gamedev-run.h) */
	struct vm_user user;
	bool owners_recorded;
	char *mem_path;
	char *user_why;	       /* why QEMU runs as root, for the warning */
	struct vm_identity id; /* machine type and UUID (vm-state.h) */
	/*
	 * The QMP socket vm run made for a QEMU running as root (a real path), removed when
	 * QEMU has ended; an unprivileged QEMU's is in the owners record (vm-user.h).
	 */
	char *qmp_made;

	/*
	 * Issue 15 (vm-gaming.c): audio-user's /run/user/UID and PulseAudio cookie (vm run);
	 * governors set and recorded.
	 */
	char *audio_runtime_dir;
	struct vm_audio_cookie audio_cookie;
	bool power_recorded;
	/* The features' run_start hooks ran: their run_stop hooks go with the rest. */
	bool features_started;
	/* A handover device was handed to the VM (vm/handover.h): given back after QEMU. */
	bool handover;
	/* secure-boot = yes: the firmware chosen for it (in.ovmf_* point into it). */
	struct fw_choice fw;
};

/*
 * Load the config, the host and VM name into x (which need not be initialized), and check
 * what can be checked without starting; logs and returns -errno on failure. x must be
 * released with vm_ctx_done() either way.
 */
int vm_load(struct cli *cli, const char *name, struct vm_ctx *x);

/* Give back what vm run handed to QEMU's user, drop the lock, and free x's contents. */
void vm_ctx_done(struct vm_ctx *x);

/* The configuration file, for FILE:LINE:COL messages. */
const char *vm_cfg_path(const struct vm_ctx *x);
