/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the files of the "vm" verb share (private to src/gpt-bootcfg/vm*.c):
 *
 *   vm.c            verb dispatch, loading a VM, vm command / export / status
 *   vm-preflight.c  checks before QEMU starts: CPUs, files, host disks, vfio, hugepages
 *   vm-hooks.c      hooks.d: the ownership rule and running prepare/release hooks
 *   vm-pin.c        vCPU threads from QMP and their CPU affinity
 *   vm-run.c        vm run (supervision: signals, start, QMP connect) and vm stop
 *   vm-gaming.c     host audio and the cpufreq governors of the VM's CPUs (issue 15)
 */

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "host.h"
#include "qemucmd.h"
#include "qmp.h"
#include "verbs.h"
#include "vm-audio.h"
#include "vm-state.h"
#include "vm-user.h"

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
	char *user_why; /* why QEMU runs as root, for the warning */
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
};

/* ---- vm.c ---- */

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

/* ---- vm-preflight.c: each logs its refusal and returns -errno ---- */

/* vcpu-pins and emulator-cpus name online CPUs only. */
int vm_check_cpus(struct vm_ctx *x);

/* Disks, CD-ROMs and the OVMF code exist (files or block devices; NVMe controllers present). */
int vm_check_files(struct vm_ctx *x);

/* No disk is (a partition of) a disk the host uses (vm-disk.h). */
int vm_check_host_disks(struct vm_ctx *x);

/* Every passthrough device and NVMe controller is bound to vfio-pci. */
int vm_check_vfio(struct vm_ctx *x);

/* The hugepage pool (of the devices' NUMA node) has the VM's pages free, on hugetlbfs. */
int vm_check_hugepages(struct vm_ctx *x);

/* ---- vm-pin.c ---- */

/* Set thread tid's affinity (0: the calling thread) to the CPUs of l; -errno. */
int vm_set_affinity(pid_t tid, const struct cpu_set_list *l);

/* Thread tid's affinity as a CPU list string. */
int vm_get_affinity(pid_t tid, char **ret);

/* vCPU index -> thread id from query-cpus-fast; -EBADMSG on a reply we cannot use. */
int vm_query_vcpu_threads(struct qmp *q, pid_t **ret, size_t *ret_n);

/*
 * Pin vCPU i to vcpu-pins[i] and every other thread of QEMU to emulator-cpus; logs and
 * returns -errno on failure.
 */
int vm_pin_threads(struct vm_ctx *x, struct qmp *q, pid_t qemu_pid);

/* The CPU a thread last ran on (/proc/TID/stat of the live system). */
int vm_thread_last_cpu(struct path_cxt *live, pid_t tid, int *ret);

/* ---- vm-gaming.c: host audio and CPU power (issue 15); each logs, returns -errno ---- */

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

/* ---- vm-run.c: the verbs return EXIT_* ---- */

int vm_run(struct cli *cli, const char *name);
int vm_stop(struct cli *cli, const char *name, int timeout);

/* Connect to the QMP socket of a running VM; vm_not_running(r) when there is none. */
int vm_connect_running(struct cli *cli, const char *name, struct qmp **ret);
bool vm_not_running(int r);
