/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The runner's side of the Windows 11 feature (win11.h): the refusals of "vm command" and
 * "vm run", swtpm around QEMU, the leftovers "vm stop" ends, the lines of "vm status". CLI
 * code: it logs; the work is in win11-host.c and swtpm*.c. Each function that can refuse
 * logs one line ("FILE:LINE:COL: ..." for what the configuration asks) and returns -errno.
 */

#include <stdbool.h>

#include "fwdesc.h"
#include "json.h"
#include "path.h"
#include "swtpm.h"
#include "vm-user.h"
#include "win11.h"

/*
 * vm command, vm run, vm export: the Secure Boot firmware of a VM with secure-boot = yes
 * (*ret_fw; untouched otherwise) for machine type machine (NULL: not known). With
 * check_vars (command, run: not export, whose variables are libvirt's), a variable store
 * made without Secure Boot keys is refused with the command that moves it aside.
 */
int vm_win11_load(struct path_cxt *pc, const char *config_path, const struct vm_config *vm,
		  const struct vm_win11 *w, const char *machine, bool check_vars,
		  struct fw_choice *ret_fw);

/* vm run, before the lock: swtpm and swtpm_setup run and offer a TPM 2.0 (tpm = yes). */
int vm_win11_run_check(const char *config_path, const struct vm_config *vm,
		       const struct vm_win11 *w);

/*
 * vm run, when it has made the VM's variable store from template: the origin record
 * (win11.h), so a later switch of secure-boot is recognised. Logs; -errno.
 */
int vm_win11_vars_made(struct path_cxt *pc, const struct vm_config *vm, const struct vm_win11 *w,
		       const char *template);

/* vm run, once the store is there: the warning of a store with keys and secure-boot = no. */
void vm_win11_vars_warn(struct path_cxt *pc, const struct vm_config *vm, const struct vm_win11 *w);

/*
 * vm run, under the VM's lock, before QEMU (tpm = yes): a swtpm an earlier run left is
 * ended, the TPM state made once for QEMU's user u, swtpm started and ready (*ret). A
 * failure is one line ("VM 'w': swtpm exited with status 1: ...") and nothing is left
 * running.
 */
int vm_win11_run_start(struct path_cxt *pc, const char *config_path, const struct vm_config *vm,
		       const struct vm_win11 *w, const struct vm_user *u, struct vm_tpm_proc *ret);

/*
 * vm run, on every way out once vm_win11_run_start() succeeded: swtpm ended (it ends by
 * itself once QEMU's connection closes: qemu_started says whether QEMU ever ran), the
 * record and socket removed. Logs what it had to do.
 */
void vm_win11_run_stop(struct path_cxt *pc, const struct vm_config *vm, struct vm_tpm_proc *p,
		       bool qemu_started);

/*
 * vm stop (and vm run before it starts one), under the VM's lock with no QEMU of the VM
 * alive: a swtpm a killed runner left is ended. Logs; -errno.
 */
int vm_win11_reap(struct path_cxt *pc, const struct vm_config *vm, const struct vm_win11 *w);

/*
 * vm status: the TPM (state, swtpm's pid while it runs) and Secure Boot (the firmware), as
 * "tpm" and "secure_boot" members into jw, or text lines when jw is NULL; fw is
 * vm_win11_load()'s choice (NULL: none).
 */
void vm_win11_status(struct path_cxt *pc, const struct vm_config *vm, const struct vm_win11 *w,
		     const struct fw_choice *fw, struct json_writer *jw);
