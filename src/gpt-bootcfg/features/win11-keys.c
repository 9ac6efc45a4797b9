/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tpm, secure-boot and os of [vm NAME] (win11.h): the keys, Windows 11's requirements, the
 * QEMU options, the libvirt elements and the rule for an existing UEFI variable store.
 */
#include <inttypes.h>
#include <stdio.h>

#include "basic/macro.h"
#include "basic/parse-util.h"
#include "core/vm-paths.h"
#include "basic/strv-util.h"
#include "features/win11-keys.h"

static int fail(const struct config *c, const struct config_entry *e, char **ret_error,
		const char *what, const char *v)
{
	return config_fail(c, e, 0, ret_error, "%s: expected %s, not '%s'", e->key, what, v);
}

const char *vm_os_to_string(enum vm_os os)
{
	switch (os) {
	case VM_OS_OTHER:
		return "other";
	case VM_OS_WINDOWS11:
		return "windows11";
	case VM_OS_WINDOWS10:
		return "windows10";
	case VM_OS_LINUX:
		return "linux";
	}
	return "?";
}

int vm_win11_parse_key(const struct config *c, const struct config_entry *e, struct vm_options *o,
		       char **ret_error)
{
	struct vm_win11 **w = &o->win11;
	const char *k = e->key, *v = e->value;
	bool b = false;
	enum vm_os os = VM_OS_OTHER;

	if (streq(k, "tpm") || streq(k, "secure-boot")) {
		if (parse_bool(v, &b) < 0)
			return fail(c, e, ret_error, "yes or no", v);
	} else if (streq(k, "os")) {
		bool found = false;

		for (enum vm_os i = VM_OS_OTHER; i <= VM_OS_LINUX && !found; i++)
			if (streq(v, vm_os_to_string(i))) {
				os = i;
				found = true;
			}
		if (!found)
			return fail(c, e, ret_error, "windows11, windows10, linux or other", v);
	} else {
		return 0;
	}

	if (!*w) {
		*w = calloc(1, sizeof(**w));
		if (!*w)
			return -ENOMEM;
	}
	if (streq(k, "tpm")) {
		(*w)->tpm = b;
		(*w)->tpm_line = e->line;
		(*w)->tpm_col = e->col_value;
	} else if (streq(k, "secure-boot")) {
		(*w)->secure_boot = b;
		(*w)->sb_line = e->line;
		(*w)->sb_col = e->col_value;
	} else {
		(*w)->os = os;
		(*w)->os_line = e->line;
		(*w)->os_col = e->col_value;
	}
	return 1;
}

int vm_win11_check_config(const struct config *c, const struct config_section *s,
			  struct vm_options *o, char **ret_error)
{
	struct vm_win11 *w = o->win11;

	if (!w)
		return 0;
	w->ovmf_code_set = config_section_get(s, "ovmf-code") != NULL;
	w->ovmf_vars_set = config_section_get(s, "ovmf-vars") != NULL;
	if (w->secure_boot && o->firmware != VM_FIRMWARE_OVMF)
		return config_fail_at(c, w->sb_line, w->sb_col, ret_error,
				      "secure-boot: needs firmware = ovmf (SeaBIOS has no Secure "
				      "Boot)");
	return 0;
}

void vm_win11_free(struct vm_options *o)
{
	free(o->win11);
	o->win11 = NULL;
}

bool vm_win11_tpm(const struct vm_win11 *w)
{
	return w && w->tpm;
}

bool vm_win11_secure_boot(const struct vm_win11 *w)
{
	return w && w->secure_boot;
}

int vm_win11_requirements(const struct vm_config *vm, const struct vm_win11 *w, char ***warnings)
{
	const struct vm_options *o = vm_options(vm);
	int r = 0;

	if (!w || w->os != VM_OS_WINDOWS11)
		return 0;
	/* Setup's own check ("This PC can't run Windows 11") refuses each of these. */
	if (vm->vcpus < WIN11_MIN_VCPUS)
		r = strv_addf(warnings,
			      "VM '%s': Windows 11 needs at least %u vCPUs, this VM has %u "
			      "(vcpus)",
			      vm->name, WIN11_MIN_VCPUS, vm->vcpus);
	if (r >= 0 && vm->memory < WIN11_MIN_MEMORY)
		r = strv_addf(warnings,
			      "VM '%s': Windows 11 needs at least 4 GiB of memory, this VM has "
			      "%" PRIu64 " MiB (memory)",
			      vm->name, vm->memory >> 20);
	if (r >= 0 && !w->tpm)
		r = strv_addf(warnings,
			      "VM '%s': Windows 11 needs a TPM 2.0: set tpm = yes (an emulated TPM "
			      "from swtpm)",
			      vm->name);
	if (r >= 0 && !w->secure_boot)
		r = strv_addf(warnings,
			      "VM '%s': Windows 11 needs UEFI with Secure Boot: set secure-boot = "
			      "yes%s",
			      vm->name,
			      o->firmware == VM_FIRMWARE_OVMF ? "" : " and firmware = ovmf");
	return r < 0 ? r : 0;
}

int vm_win11_tpm_args(const struct vm_win11 *w, const char *root, const char *name, char ***ret)
{
	_cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
	int r = 0;

	if (!l)
		return -ENOMEM;
	if (vm_win11_tpm(w)) {
		r = strv_add(&l, "-chardev");
		if (r >= 0)
			r = strv_addf(&l,
				      "socket,id=" VM_TPM_CHARDEV ",path=%s" VM_RUN_DIR "/%s.swtpm",
				      root ? root : "", name);
		if (r >= 0)
			r = strv_add(&l, "-tpmdev");
		if (r >= 0)
			r = strv_add(&l, "emulator,id=" VM_TPM_ID ",chardev=" VM_TPM_CHARDEV);
		if (r >= 0)
			r = strv_add(&l, "-device");
		/* CRB, not TIS: the interface of a firmware TPM, libvirt's default for 2.0. */
		if (r >= 0)
			r = strv_add(&l, "tpm-crb,tpmdev=" VM_TPM_ID);
	}
	if (r < 0)
		return r;
	*ret = TAKE_PTR(l);
	return 0;
}

int vm_win11_qemu_args(const struct qemu_cmd_input *in, char ***ret)
{
	return vm_win11_tpm_args(vm_win11(vm_options(in->vm)), in->path_root, in->vm->name, ret);
}

void vm_win11_export_libvirt(struct xml_writer *w, const struct qemu_cmd_input *in)
{
	if (!vm_win11_tpm(vm_win11(vm_options(in->vm))))
		return;
	/* libvirt starts its own swtpm; its state is libvirt's (docs/vm.md, "libvirt"). */
	xml_begin(w, "tpm");
	xml_attr(w, "model", "tpm-crb");
	xml_empty(w, "backend", "type", "emulator", "version", "2.0");
	xml_end(w);
}

enum vm_vars_verdict vm_vars_verdict(bool want_sb, bool exists, const char *origin)
{
	bool had_sb = false;

	if (!exists)
		return VM_VARS_CREATE;
	/* "secure-boot yes" on its own line; a store without a record had none. */
	for (const char *p = origin; p && *p;) {
		size_t n = strcspn(p, "\n");

		if (n == strlen("secure-boot yes") && strncmp(p, "secure-boot yes", n) == 0)
			had_sb = true;
		p += n + (p[n] == '\n');
	}
	if (want_sb && !had_sb)
		return VM_VARS_REFUSE_SB_ON;
	if (!want_sb && had_sb)
		return VM_VARS_WARN_SB_OFF;
	return VM_VARS_KEEP;
}

int vm_vars_origin_text(bool secure_boot, const char *template, char **ret)
{
	return asprintf(
		   ret,
		   "# The template this VM's UEFI variable store was made from (gpt-bootcfg).\n"
		   "secure-boot %s\ntemplate %s\n",
		   secure_boot ? "yes" : "no", template) < 0
		   ? -ENOMEM
		   : 0;
}

int vm_vars_refusal(const char *name, char **ret)
{
	return asprintf(ret,
			"secure-boot: VM '%s' already has a UEFI variable store made without "
			"Secure Boot keys (" VM_STATE_DIR "/%s/OVMF_VARS.fd); Secure Boot needs a "
			"new one from the template, which drops the boot entries the guest wrote. "
			"To make it, move the old one aside: mv " VM_STATE_DIR
			"/%s/OVMF_VARS.fd " VM_STATE_DIR
			"/%s/OVMF_VARS.fd.old (docs/vm.md, \"Windows 11\")",
			name, name, name, name) < 0
		   ? -ENOMEM
		   : 0;
}
