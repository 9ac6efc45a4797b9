/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Windows 11 feature against a host (win11-host.h): the Secure Boot firmware, the
 * variable store's origin, plan's findings and check's results.
 */
#include <stdio.h>

#include "basic/macro.h"
#include "core/vm-paths.h"
#include "basic/strv-util.h"
#include "features/swtpm.h"
#include "features/win11-host.h"

int vm_win11_firmware(struct path_cxt *pc, const struct vm_config *vm, const struct vm_win11 *w,
		      const char *machine, struct fw_choice *ret, char **ret_why)
{
	const struct vm_options *o = vm_options(vm);
	struct fw_desc *d = NULL;
	size_t n = 0;
	int r;

	if (!vm_win11_secure_boot(w))
		return 0;
	/* Both given: another layout, or a firmware of one's own (firmware = PATH). */
	if (w->ovmf_code_set && w->ovmf_vars_set) {
		struct fw_choice c = {.code = strdup(o->ovmf_code),
				      .vars = strdup(o->ovmf_vars),
				      .source = strdup("ovmf-code and ovmf-vars")};

		if (!c.code || !c.vars || !c.source) {
			fw_choice_done(&c);
			return -ENOMEM;
		}
		*ret = c;
		return 1;
	}
	r = fw_desc_load(pc, machine, &d, &n);
	if (r < 0)
		return r;
	r = fw_select_secure_boot(pc, d, n, w->ovmf_code_set ? o->ovmf_code : NULL,
				  w->ovmf_vars_set ? o->ovmf_vars : NULL, ret, ret_why);
	fw_desc_free_array(d, n);
	return r < 0 ? r : 1;
}

int vm_win11_vars_state(struct path_cxt *pc, const struct vm_config *vm, const struct vm_win11 *w,
			enum vm_vars_verdict *ret)
{
	_cleanup_free_ char *vars = NULL, *origin = NULL;
	int r;

	if (vm_vars_path(vm->name, &vars) < 0)
		return -ENOMEM;
	r = path_exists(pc, "%s", vars);
	if (r < 0)
		return r;
	if (r > 0) {
		int o = path_read_full(pc, &origin, NULL, VM_STATE_DIR "/%s/" VM_VARS_ORIGIN_FILE,
				       vm->name);

		if (o < 0 && o != -ENOENT)
			return o;
	}
	*ret = vm_vars_verdict(vm_win11_secure_boot(w), r > 0, origin);
	return 0;
}

/* The warning for a variable store that keeps the VM from starting (or may surprise). */
static int vars_finding(struct path_cxt *pc, const struct vm_config *vm, const struct vm_win11 *w,
			char ***warnings)
{
	_cleanup_free_ char *why = NULL;
	enum vm_vars_verdict v;
	int r;

	if (vm_options(vm)->firmware != VM_FIRMWARE_OVMF)
		return 0;
	r = vm_win11_vars_state(pc, vm, w, &v);
	if (r < 0)
		return r;
	if (v == VM_VARS_REFUSE_SB_ON) {
		r = vm_vars_refusal(vm->name, &why);
		if (r >= 0)
			r = strv_addf(warnings, "VM '%s' will not start: %s", vm->name, why);
	} else if (v == VM_VARS_WARN_SB_OFF) {
		r = strv_addf(warnings,
			      "VM '%s': secure-boot = no, but its UEFI variable store holds Secure "
			      "Boot keys; the plain OVMF boots anything, and BitLocker may ask for "
			      "its recovery key (another boot chain)",
			      vm->name);
	}
	return r < 0 ? r : 0;
}

int vm_win11_plan_findings(struct path_cxt *pc, const struct vm_config *vm,
			   const struct vm_win11 *w, char ***warnings, char ***notes)
{
	int r = 0;

	if (vm_win11_tpm(w)) {
		_cleanup_free_ char *state = NULL;

		if (vm_tpm_state_path(vm->name, &state) < 0)
			return -ENOMEM;
		if (vm_tpm_tools_installed(pc) <= 0)
			r = strv_addf(warnings,
				      "VM '%s' will not start: tpm = yes needs swtpm and "
				      "swtpm_setup, which are not installed (Debian: apt install "
				      "swtpm swtpm-tools)",
				      vm->name);
		else
			r = strv_addf(
			    notes,
			    "VM '%s': a TPM 2.0 from swtpm, started with the VM as QEMU's "
			    "user; its state %s %s (back it up with the VM: it holds "
			    "BitLocker's keys)",
			    vm->name, state,
			    vm_tpm_state_exists(pc, vm->name) > 0 ? "is kept"
								  : "is made at the first "
								    "vm run and kept");
		if (r < 0)
			return r;
	}
	if (vm_win11_secure_boot(w)) {
		_cleanup_(fw_choice_done) struct fw_choice fw = {0};
		_cleanup_free_ char *why = NULL;

		r = vm_win11_firmware(pc, vm, w, NULL, &fw, &why);
		if (r == -ENOENT)
			r = strv_addf(warnings, "VM '%s' will not start: secure-boot = yes, but %s",
				      vm->name, why);
		else if (r > 0)
			r = strv_addf(notes,
				      "VM '%s': Secure Boot with Microsoft's keys: %s, variables "
				      "from %s (%s)",
				      vm->name, fw.code, fw.vars, fw.source);
		if (r < 0)
			return r;
	}
	r = vars_finding(pc, vm, w, warnings);
	if (r < 0)
		return r;
	return vm_win11_requirements(vm, w, warnings);
}

int vm_win11_check(struct path_cxt *pc, const struct vm_config *vm, const struct vm_win11 *w,
		   struct check_report *rep)
{
	_cleanup_strv_free_ char **missing = calloc(1, sizeof(char *));
	int r;

	if (!missing)
		return -ENOMEM;
	if (vm_win11_tpm(w)) {
		if (vm_tpm_tools_installed(pc) > 0)
			r = check_report_add(rep, "vm-tpm", CHECK_PASS, NULL,
					     "[vm %s] TPM 2.0: swtpm and swtpm_setup are installed",
					     vm->name);
		else
			r = check_report_add(rep, "vm-tpm", CHECK_FAIL,
					     "apt install swtpm swtpm-tools",
					     "[vm %s] tpm = yes, but swtpm and swtpm_setup are not "
					     "installed",
					     vm->name);
		if (r < 0)
			return r;
	}
	if (vm_win11_secure_boot(w)) {
		_cleanup_(fw_choice_done) struct fw_choice fw = {0};
		_cleanup_free_ char *why = NULL;

		r = vm_win11_firmware(pc, vm, w, NULL, &fw, &why);
		if (r == -ENOENT)
			r = check_report_add(rep, "vm-secure-boot", CHECK_FAIL,
					     "apt install ovmf, or set ovmf-code and ovmf-vars",
					     "[vm %s] secure-boot = yes, but %s", vm->name, why);
		else if (r > 0)
			r = check_report_add(rep, "vm-secure-boot", CHECK_PASS, NULL,
					     "[vm %s] Secure Boot firmware: %s with %s (%s)",
					     vm->name, fw.code, fw.vars, fw.source);
		if (r < 0)
			return r;
	}
	if (!w || w->os != VM_OS_WINDOWS11)
		return 0;
	r = vm_win11_requirements(vm, w, &missing);
	if (r < 0)
		return r;
	STRV_FOREACH (m, missing) {
		/* "VM 'w': Windows 11 needs ...": the detail without the VM's name twice. */
		const char *what = strstr(*m, "Windows 11 needs");

		r = check_report_add(rep, "vm-windows11", CHECK_WARN,
				     "see docs/vm.md, \"Windows 11\"", "[vm %s] %s", vm->name,
				     what ? what : *m);
		if (r < 0)
			return r;
	}
	if (!missing[0])
		return check_report_add(rep, "vm-windows11", CHECK_PASS, NULL,
					"[vm %s] meets Windows 11's requirements (%u vCPUs, "
					"4 GiB or more, a TPM 2.0, Secure Boot)",
					vm->name, vm->vcpus);
	return 0;
}
