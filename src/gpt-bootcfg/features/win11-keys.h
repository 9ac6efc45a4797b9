/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Windows 11 guests (issue 24): "tpm = yes|no", "secure-boot = yes|no" and "os = windows11"
 * of [vm NAME]. Windows 11 setup refuses a machine without a TPM 2.0 and a Secure Boot
 * capable UEFI; this feature gives a VM both, the way libvirt does:
 *
 *   - tpm = yes: a TPM 2.0 emulated by swtpm (Debian: swtpm, swtpm-tools), its state made
 *     once by swtpm_setup in VM_STATE_DIR/NAME/tpm (swtpm.h) and kept; "vm run" starts
 *     swtpm as QEMU's user on VM_RUN_DIR/NAME.swtpm before QEMU and stops it after;
 *     QEMU gets "-chardev socket -tpmdev emulator -device tpm-crb".
 *   - secure-boot = yes: OVMF's Secure Boot build with a variable template that holds
 *     Microsoft's keys, chosen from QEMU's firmware descriptors (fwdesc.h) unless
 *     ovmf-code/ovmf-vars say otherwise; QEMU gets smm=on on the machine and the pflash
 *     "secure" property, so only SMM code may write the variable store.
 *   - os = windows11: no QEMU option of its own; plan and check warn when the VM misses
 *     one of Windows 11's requirements (2 vCPUs, 4 GiB, a TPM 2.0, Secure Boot), and init
 *     writes tpm = yes and secure-boot = yes for such a VM.
 *
 * This header is the feature's pure part: keys, checks across keys, QEMU arguments,
 * libvirt elements, the rule for an existing variable store. The host-facing parts are in
 * win11-host.h (firmware choice, plan, check, status) and swtpm.h (the process).
 */

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/qemu-input.h"
#include "core/vm-options.h"
#include "basic/xml.h"

/* The guest OS "os =" names: only checks and init's defaults depend on it. */
enum vm_os {
	VM_OS_OTHER,
	VM_OS_WINDOWS11,
	VM_OS_WINDOWS10,
	VM_OS_LINUX,
};

/* Windows 11's minimum hardware (Microsoft's system requirements). */
#define WIN11_MIN_VCPUS	 2
#define WIN11_MIN_MEMORY (UINT64_C(4) << 30)

/* The keys of one [vm] section. */
struct vm_win11 {
	bool tpm;
	bool secure_boot;
	enum vm_os os;
	/* Where each key was set (0: not set), for FILE:LINE:COL messages found later. */
	unsigned tpm_line, tpm_col;
	unsigned sb_line, sb_col;
	unsigned os_line, os_col;
	/* ovmf-code / ovmf-vars were written in the section: they choose the firmware. */
	bool ovmf_code_set, ovmf_vars_set;
};

/*
 * Parse one [vm] entry if it is "tpm", "secure-boot" or "os" (the table's vm_parse_key):
 * 1 when handled (o->win11 is allocated on the first one), 0 when the key is not one of
 * them, -EINVAL with "FILE:LINE:COL: ..." in *ret_error on a bad value, -ENOMEM.
 */
int vm_win11_parse_key(const struct config *c, const struct config_entry *e, struct vm_options *o,
		       char **ret_error);

/*
 * The checks across keys once section s is read into o (the table's vm_check):
 * secure-boot = yes needs firmware = ovmf. Records whether ovmf-code/ovmf-vars were set.
 * 0 or -EINVAL with *ret_error.
 */
int vm_win11_check_config(const struct config *c, const struct config_section *s,
			  struct vm_options *o, char **ret_error);

/* Free o->win11 (the table's vm_free). */
void vm_win11_free(struct vm_options *o);

/* The keys of a VM; NULL when none of them is set. */
static inline const struct vm_win11 *vm_win11(const struct vm_options *o)
{
	return o->win11;
}

/* "windows11", ... */
const char *vm_os_to_string(enum vm_os os);

/* w may be NULL: no TPM, no Secure Boot. */
bool vm_win11_tpm(const struct vm_win11 *w);
bool vm_win11_secure_boot(const struct vm_win11 *w);

/*
 * Windows 11's requirements this VM misses, as plan/check warnings ("VM 'w': Windows 11
 * needs ..."), appended to *warnings; nothing unless os = windows11.
 */
int vm_win11_requirements(const struct vm_config *vm, const struct vm_win11 *w, char ***warnings);

/* The TPM's chardev, backend and device ids in the QEMU command (and libvirt's alias). */
#define VM_TPM_CHARDEV "chrtpm"
#define VM_TPM_ID      "tpm0"

/*
 * The TPM's QEMU options with tpm = yes: its chardev on the socket swtpm listens on (root
 * prefix + VM_RUN_DIR/NAME.swtpm), the emulator backend and a CRB interface device (what
 * Windows and libvirt use for TPM 2.0). Pure; an empty strv without a TPM. (Secure Boot's
 * options go with the firmware, vm/qemucmd.c.)
 */
int vm_win11_tpm_args(const struct vm_win11 *w, const char *root, const char *name, char ***ret);

/* The same for the table's qemu_args: in->vm's keys, in->path_root. */
int vm_win11_qemu_args(const struct qemu_cmd_input *in, char ***ret);

/* libvirt's <tpm model='tpm-crb'> with an emulated TPM 2.0, in <devices> (export_libvirt). */
void vm_win11_export_libvirt(struct xml_writer *w, const struct qemu_cmd_input *in);

/*
 * The VM's UEFI variable store and Secure Boot. A store is made once from a template and
 * then holds the guest's boot entries (and, made from a Secure Boot template, the keys
 * that decide what may boot): it is never replaced silently. VM_STATE_DIR/NAME/
 * VARS_ORIGIN_FILE records which template made it.
 */
#define VM_VARS_ORIGIN_FILE "OVMF_VARS.origin"

enum vm_vars_verdict {
	VM_VARS_CREATE,	      /* no store yet: copy the template, write the origin */
	VM_VARS_KEEP,	      /* the store fits the configuration */
	VM_VARS_REFUSE_SB_ON, /* secure-boot = yes, the store was made without keys */
	VM_VARS_WARN_SB_OFF,  /* secure-boot = no, the store has keys (harmless, but BitLocker
				 sees another boot chain) */
};

/*
 * The rule, pure: want_sb from the configuration, exists whether the store exists,
 * origin the text of the origin record (NULL: none, e.g. a store made before this feature,
 * which had no Secure Boot).
 */
enum vm_vars_verdict vm_vars_verdict(bool want_sb, bool exists, const char *origin);

/* The origin record's text for a store made from template with or without Secure Boot. */
int vm_vars_origin_text(bool secure_boot, const char *template, char **ret);

/*
 * The refusal of VM_VARS_REFUSE_SB_ON for VM name (without FILE:LINE:COL): what is wrong
 * and the command that moves the store aside so the next start makes a new one.
 */
int vm_vars_refusal(const char *name, char **ret);
