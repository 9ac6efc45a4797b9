/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The Windows 11 feature (win11.h) against a host: the Secure Boot firmware a VM gets, the
 * state of its UEFI variable store, and what plan and check say about it. Library code:
 * nothing is printed, messages come back as strings.
 */

#include "features/fwdesc.h"
#include "basic/path.h"
#include "shared/platform.h"
#include "features/win11-keys.h"

/*
 * The firmware of a VM with secure-boot = yes, below the root: ovmf-code and ovmf-vars
 * when both were set, else the choice of QEMU's descriptors for the VM's machine type
 * (NULL: not known yet), narrowed by the one of them that was set. 1 with *ret filled; 0
 * without Secure Boot (the plain ovmf-code/ovmf-vars apply); -ENOENT with *ret_why when
 * there is no such firmware; -errno.
 */
int vm_win11_firmware(struct path_cxt *pc, const struct vm_config *vm, const struct vm_win11 *w,
		      const char *machine, struct fw_choice *ret, char **ret_why);

/*
 * What the VM's UEFI variable store says of the configuration (win11.h, vm_vars_verdict()):
 * the store and its origin record read below the root.
 */
int vm_win11_vars_state(struct path_cxt *pc, const struct vm_config *vm, const struct vm_win11 *w,
			enum vm_vars_verdict *ret);

/*
 * plan's findings for one VM, appended to *warnings and *notes: a TPM without swtpm
 * installed, Secure Boot without its firmware or with a variable store made without keys
 * ("VM 'w' will not start: ..."), Windows 11's requirements (vm_win11_requirements());
 * where the TPM state is and which firmware boots it.
 */
int vm_win11_plan_findings(struct path_cxt *pc, const struct vm_config *vm,
			   const struct vm_win11 *w, char ***warnings, char ***notes);

/*
 * check's results for one VM: "vm-tpm" (swtpm installed), "vm-secure-boot" (the firmware
 * found), "vm-windows11" (the requirements), each only when the VM uses it.
 */
int vm_win11_check(struct path_cxt *pc, const struct vm_config *vm, const struct vm_win11 *w,
		   struct check_report *rep);
