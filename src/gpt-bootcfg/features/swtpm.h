/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The swtpm process of a VM with tpm = yes (win11.h), run the way libvirt runs it:
 *
 *   - The TPM's state is made once by swtpm_setup, as QEMU's user, into
 *     VM_STATE_DIR/NAME/tpm (a TPM 2.0 with its endorsement keys and, where swtpm_localca
 *     is installed, EK and platform certificates from a local CA of the VM's own in
 *     VM_STATE_DIR/NAME/tpm-setup). It is made in tpm.new and renamed into place, so a
 *     half-made state is never taken for one; it is kept across runs, reboots and package
 *     upgrades (it holds BitLocker's and Windows Hello's keys).
 *   - Each "vm run" starts swtpm as QEMU's user before QEMU, on a listening socket the
 *     runner made at VM_RUN_DIR/NAME.swtpm (owned by QEMU's user, who connects to it), and
 *     proves it ready by initialising the TPM over the control channel (CMD_INIT): a
 *     state swtpm cannot read or lock fails here, before QEMU exists. swtpm ends by itself
 *     when QEMU's connection closes (--terminate); the runner waits for that and ends it
 *     otherwise.
 *   - VM_RUN_DIR/NAME.swtpm.pid records the running swtpm before it executes (the child
 *     waits until the record is written): a swtpm a killed runner left is found and ended
 *     by the next "vm run" or "vm stop", under the VM's lock, so two swtpm never share one
 *     state. Its messages go to VM_RUN_DIR/NAME.swtpm.log.
 *
 * Library code: nothing is printed; failures come back as -errno with a reason string.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "basic/path.h"
#include "features/users.h"

/* Below VM_STATE_DIR/NAME. */
#define VM_TPM_STATE_DIR "tpm"
#define VM_TPM_SETUP_DIR "tpm-setup"
/* swtpm's permanent state file of a TPM 2.0 in its state directory. */
#define VM_TPM_PERMALL "tpm2-00.permall"

/* How long swtpm may take to answer the runner's CMD_INIT, and swtpm_setup to finish. */
#define VM_TPM_START_TIMEOUT_MS (30 * 1000)
#define VM_TPM_SETUP_TIMEOUT_MS (180 * 1000)

/* The programs: swtpm and swtpm_setup from PATH, or GPT_BOOTCFG_SWTPM[_SETUP] (tests). */
const char *vm_tpm_swtpm(void);
const char *vm_tpm_swtpm_setup(void);

/* Host paths of VM name: the state directory, the socket, the pid record, the log. */
int vm_tpm_state_path(const char *name, char **ret);
int vm_tpm_socket_path(const char *name, char **ret);
int vm_tpm_record_path(const char *name, char **ret);
int vm_tpm_log_path(const char *name, char **ret);

/*
 * Whether swtpm and swtpm_setup can be run and make a TPM 2.0 ("--print-capabilities"
 * lists tpm-2.0): 0, or -ENOENT (not installed) / -EOPNOTSUPP (no TPM 2.0) with *ret_why
 * naming the program and the Debian packages.
 */
int vm_tpm_check_tools(char **ret_why);

/*
 * Whether the programs are installed below the root (plan and check on a --root tree
 * look for them in its /usr/bin, /usr/sbin, /bin, /usr/local/bin): 1 yes, 0 no.
 */
int vm_tpm_tools_installed(struct path_cxt *pc);

/*
 * The state of VM name: 1 when VM_TPM_STATE_DIR/VM_TPM_PERMALL exists below the root, 0
 * when not (yet), -errno.
 */
int vm_tpm_state_exists(struct path_cxt *pc, const char *name);

/*
 * Make the TPM state of VM name once, as user u (swtpm_setup), or take the existing one
 * over for u (a change of "user =" moves the files to the new user). 1 when made now
 * (*ret_certs: with EK and platform certificates), 0 when it existed, -errno with *ret_why
 * (swtpm_setup's last words) on failure; nothing half-made is left in place.
 */
int vm_tpm_setup(struct path_cxt *pc, const char *name, const struct vm_user *u, bool *ret_certs,
		 char **ret_why);

/* A running swtpm of "vm run". */
struct vm_tpm_proc {
	pid_t pid; /* 0: none */
	int pidfd; /* -1 where the kernel has none */
};

#define VM_TPM_PROC_INIT                                                                           \
	{                                                                                          \
		.pid = 0, .pidfd = -1                                                              \
	}

/*
 * Start swtpm for VM name as user u on a new socket, and initialise its TPM. The caller
 * holds the VM's lock and has ended any leftover (vm_tpm_reap()). 0 with *ret filled;
 * -errno with *ret_why (swtpm's exit status or the TPM's answer, and its log's last line)
 * when it did not come up, everything undone then (process, record, socket).
 */
int vm_tpm_start(struct path_cxt *pc, const char *name, const struct vm_user *u,
		 struct vm_tpm_proc *ret, char **ret_why);

/*
 * After QEMU has ended: wait up to grace_ms for p to end by itself (it does when QEMU's
 * connection closes; 0 when QEMU never connected), then SIGTERM, then SIGKILL; reap it,
 * remove the record and the socket. p is reset. 1 when it had to be signalled, 0 when it
 * ended by itself or there was none, -errno.
 */
int vm_tpm_stop(struct path_cxt *pc, const char *name, struct vm_tpm_proc *p, int grace_ms);

/*
 * A swtpm an earlier run left (its record, and the process if it is still there and is
 * that VM's swtpm: its command line names the VM's state directory), ended as
 * vm_tpm_stop() ends one, the record and the socket removed. Under the VM's lock, with no
 * QEMU of the VM alive. 1 and *ret_pid when a process was ended, 0 when none was found,
 * -errno.
 */
int vm_tpm_reap(struct path_cxt *pc, const char *name, int grace_ms, pid_t *ret_pid);

/* The pid of VM name's swtpm per its record when that process lives and is it; 0 when none. */
pid_t vm_tpm_running(struct path_cxt *pc, const char *name);
