/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Windows 11 guests (issue 24) as a feature of the table (core/feature.h): "tpm",
 * "secure-boot" and "os" of [vm NAME] (features/win11-keys.h), a TPM 2.0 from swtpm around
 * every run (features/swtpm.h), the Secure Boot firmware from QEMU's descriptors
 * (features/fwdesc.h), plan's and check's findings (features/win11-host.h).
 *
 * Besides its hooks, the runner calls the functions below: vm/context.c chooses the
 * firmware when it loads a VM, vm/run.c records which template made the VM's UEFI
 * variable store. CLI code: these log, one line per refusal ("FILE:LINE:COL: ..." for
 * what the configuration asks), and return -errno.
 */

#include "basic/json.h"
#include "basic/path.h"
#include "core/feature.h"
#include "features/fwdesc.h"
#include "features/win11-keys.h"

extern const struct feature_ops feature_win11;

/*
 * vm command, run, export, status, stop: the firmware of a VM with secure-boot = yes for
 * machine type machine (NULL: not known yet, any pc-q35-*): 1 with *ret_fw filled, 0
 * without Secure Boot (untouched), -errno after logging why there is none.
 */
int vm_win11_load(struct path_cxt *pc, const char *config_path, const struct vm_config *vm,
		  const char *machine, struct fw_choice *ret_fw);

/*
 * vm run, when it makes the VM's variable store from template: the origin record
 * (features/win11-keys.h) that tells a later run whether the store holds Secure Boot's
 * keys. Written before the store. Logs; -errno.
 */
int vm_win11_vars_made(struct path_cxt *pc, const struct vm_config *vm, const char *template);

/* vm run, when the store exists: a warning when it holds keys and secure-boot = no. */
void vm_win11_vars_warn(struct path_cxt *pc, const struct vm_config *vm);

/*
 * The hooks, for the table and for tests: vm run's check (swtpm and swtpm_setup offer a
 * TPM 2.0; a store made without keys is refused when secure-boot = yes, with the command
 * that moves it aside), its start (a leftover swtpm ended, the TPM state made once for
 * QEMU's user, swtpm started and ready: a failure is one line, nothing left running), its
 * stop (swtpm ended, from its record: also a killed runner's, from vm stop), vm status.
 */
int vm_win11_run_check(const struct feature_run *fr);
int vm_win11_run_start(const struct feature_run *fr);
void vm_win11_run_stop(const struct feature_run *fr);
void vm_win11_status(struct path_cxt *pc, const struct vm_config *vm, struct json_writer *jw);
