/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tpm, secure-boot and os as a feature of the table (features/win11.h): the firmware choice
 * for the runner, vm run's hooks (swtpm around QEMU), its leftovers, plan's findings for
 * every VM, vm status.
 */
#include <stdio.h>

#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/macro.h"
#include "core/vm-paths.h"
#include "features/swtpm.h"
#include "features/users.h"
#include "features/win11-host.h"
#include "features/win11.h"

/* How long swtpm gets to end by itself once QEMU has gone (it sees the connection close). */
#define SWTPM_GRACE_MS (5 * 1000)

int vm_win11_load(struct path_cxt *pc, const char *config_path, const struct vm_config *vm,
		  const char *machine, struct fw_choice *ret_fw)
{
	const struct vm_win11 *w = vm_win11(vm_options(vm));
	_cleanup_free_ char *why = NULL;
	int r;

	r = vm_win11_firmware(pc, vm, w, machine, ret_fw, &why);
	if (r == -ENOENT)
		return log_error_errno(r, "%s:%u:%u: secure-boot: VM '%s': %s", config_path,
				       w->sb_line, w->sb_col, vm->name, why);
	if (r < 0)
		return log_error_errno(r, "Failed to read QEMU's firmware descriptors: %m");
	return r;
}

int vm_win11_vars_made(struct path_cxt *pc, const struct vm_config *vm, const char *template)
{
	_cleanup_free_ char *text = NULL, *path = NULL;
	int r;

	if (vm_vars_origin_text(vm_win11_secure_boot(vm_win11(vm_options(vm))), template, &text) <
		0 ||
	    asprintf(&path, VM_STATE_DIR "/%s/" VM_VARS_ORIGIN_FILE, vm->name) < 0)
		return log_oom();
	r = path_write_atomic(pc, path, text, strlen(text), 0600);
	if (r < 0)
		return log_error_errno(r, "Failed to write '%s': %m", path);
	return 0;
}

void vm_win11_vars_warn(struct path_cxt *pc, const struct vm_config *vm)
{
	enum vm_vars_verdict v;

	if (vm_win11_vars_state(pc, vm, vm_win11(vm_options(vm)), &v) >= 0 &&
	    v == VM_VARS_WARN_SB_OFF)
		log_warning("VM '%s': secure-boot = no, but its UEFI variables (" VM_STATE_DIR
			    "/%s/OVMF_VARS.fd) hold Secure Boot keys: the plain OVMF boots "
			    "anything, and BitLocker may ask for its recovery key.",
			    vm->name, vm->name);
}

int vm_win11_run_check(const struct feature_run *fr)
{
	const struct vm_win11 *w = vm_win11(vm_options(fr->vm));
	_cleanup_free_ char *why = NULL;
	enum vm_vars_verdict v;
	int r;

	if (vm_win11_tpm(w)) {
		r = vm_tpm_check_tools(&why);
		if (r == -ENOMEM)
			return log_oom();
		if (r < 0)
			return log_error_errno(r, "%s:%u:%u: VM '%s': %s", fr->config_path,
					       w->tpm_line, w->tpm_col, fr->vm->name, why);
	}
	if (!vm_win11_secure_boot(w))
		return 0;
	r = vm_win11_vars_state(fr->pc, fr->vm, w, &v);
	if (r < 0)
		return log_error_errno(r, "Failed to read the UEFI variables of VM '%s': %m",
				       fr->vm->name);
	if (v != VM_VARS_REFUSE_SB_ON)
		return 0;
	if (vm_vars_refusal(fr->vm->name, &why) < 0)
		return log_oom();
	return log_error_errno(-EEXIST, "%s:%u:%u: %s", fr->config_path, w->sb_line, w->sb_col,
			       why);
}

/*
 * The VM's swtpm ended, found by its record: once QEMU has gone it ends by itself; one still
 * there was left by a killed runner, or hangs.
 */
static int reap(struct path_cxt *pc, const struct vm_config *vm)
{
	pid_t pid = 0;
	int r;

	r = vm_tpm_reap(pc, vm->name, SWTPM_GRACE_MS, &pid);
	if (r < 0)
		return log_error_errno(r, "Failed to end the swtpm of VM '%s': %m", vm->name);
	if (r > 0)
		log_warning("VM '%s': swtpm (pid %d) was still running without its QEMU; ended it.",
			    vm->name, (int)pid);
	return 0;
}

int vm_win11_run_start(const struct feature_run *fr)
{
	const struct vm_win11 *w = vm_win11(vm_options(fr->vm));
	const char *name = fr->vm->name;
	_cleanup_free_ char *why = NULL, *state = NULL, *sock = NULL;
	struct vm_tpm_proc p = VM_TPM_PROC_INIT;
	struct vm_user u = {0};
	bool certs = false;
	int r;

	if (!vm_win11_tpm(w))
		return 0;
	r = reap(fr->pc, fr->vm);
	if (r < 0)
		return r;
	/* QEMU's user as the runner resolved it, with its groups: swtpm runs as QEMU does. */
	r = vm_user_resolve(fr->pc, fr->vm, &u, NULL);
	if (r < 0 || u.uid != fr->uid) {
		vm_user_done(&u);
		return log_error_errno(r < 0 ? r : -ESTALE,
				       "Failed to look up the user of VM '%s': %m", name);
	}
	if (vm_tpm_state_path(name, &state) < 0 || vm_tpm_socket_path(name, &sock) < 0) {
		vm_user_done(&u);
		return log_oom();
	}
	r = vm_tpm_setup(fr->pc, name, &u, &certs, &why);
	if (r > 0)
		log_info("VM '%s': made its TPM 2.0 in %s for user '%s'%s.", name, state, u.name,
			 certs ? ", with EK and platform certificates"
			       : " (no certificates: swtpm_localca is not installed)");
	if (r == -ENOMEM)
		log_oom();
	else if (r < 0)
		log_error_errno(r, "%s:%u:%u: VM '%s': cannot make its TPM state: %s",
				fr->config_path, w->tpm_line, w->tpm_col, name,
				why ? why : strerror(-r));
	if (r >= 0) {
		free(why);
		why = NULL;
		r = vm_tpm_start(fr->pc, name, &u, &p, &why);
		if (r == -ENOMEM)
			log_oom();
		else if (r < 0)
			log_error_errno(r, "VM '%s': %s", name, why ? why : strerror(-r));
		else
			log_info("VM '%s': swtpm (pid %d) serves its TPM 2.0 on %s.", name,
				 (int)p.pid, sock);
	}
	vm_user_done(&u);
	/* run_stop finds it by its record; the descriptor is not needed beyond this. */
	if (p.pidfd >= 0)
		close(p.pidfd);
	return r < 0 ? r : 0;
}

void vm_win11_run_stop(const struct feature_run *fr)
{
	if (vm_win11_tpm(vm_win11(vm_options(fr->vm))))
		(void)reap(fr->pc, fr->vm);
}

void vm_win11_status(struct path_cxt *pc, const struct vm_config *vm, struct json_writer *jw)
{
	const struct vm_win11 *w = vm_win11(vm_options(vm));
	_cleanup_(fw_choice_done) struct fw_choice fw = {0};
	_cleanup_free_ char *state = NULL, *why = NULL;
	bool made = false, certs = false, have_fw = false;
	pid_t pid = 0;

	if (vm_win11_tpm(w)) {
		if (vm_tpm_state_path(vm->name, &state) < 0)
			return;
		made = vm_tpm_state_exists(pc, vm->name) > 0;
		certs = path_exists(pc, VM_STATE_DIR "/%s/" VM_TPM_SETUP_DIR "/issuercert.pem",
				    vm->name) > 0;
		pid = vm_tpm_running(pc, vm->name);
	}
	if (vm_win11_secure_boot(w))
		have_fw = vm_win11_firmware(pc, vm, w, NULL, &fw, &why) > 0;
	if (jw) {
		if (vm_win11_tpm(w)) {
			json_object_begin(jw, "tpm");
			json_string(jw, "version", "2.0");
			json_string(jw, "state", state);
			json_bool(jw, "made", made);
			json_bool(jw, "certificates", certs);
			if (pid > 0)
				json_int(jw, "swtpm_pid", pid);
			else
				json_null(jw, "swtpm_pid");
			json_object_end(jw);
		}
		if (vm_win11_secure_boot(w)) {
			json_object_begin(jw, "secure_boot");
			json_string(jw, "code", have_fw ? fw.code : NULL);
			json_string(jw, "vars_template", have_fw ? fw.vars : NULL);
			json_string(jw, "source", have_fw ? fw.source : NULL);
			json_object_end(jw);
		}
		return;
	}
	if (vm_win11_tpm(w))
		printf("  tpm: TPM 2.0 in %s%s, swtpm %s\n", state,
		       !made   ? " (made at the next start)"
		       : certs ? " (with EK and platform certificates)"
			       : "",
		       pid > 0 ? "running" : "not running");
	if (pid > 0)
		printf("  swtpm: pid %d\n", (int)pid);
	if (vm_win11_secure_boot(w))
		printf("  secure-boot: %s%s%s%s%s\n", have_fw ? fw.code : "no firmware: ",
		       have_fw ? " with the keys of "
		       : why   ? why
			       : "?",
		       have_fw ? fw.vars : "", have_fw ? " from " : "", have_fw ? fw.source : "");
}

/* plan: every VM's findings. */
static int plan_findings(struct path_cxt *pc, const struct config *c, char ***warnings,
			 char ***notes)
{
	for (size_t i = 0; i < c->n_vms; i++) {
		int r = vm_win11_plan_findings(pc, c->vms[i], vm_win11(vm_options(c->vms[i])),
					       warnings, notes);

		if (r < 0)
			return r;
	}
	return 0;
}

const struct feature_ops feature_win11 = {
    .name = "win11",
    .what = "TPMs and Secure Boot firmware",
    .vm_parse_key = vm_win11_parse_key,
    .vm_check = vm_win11_check_config,
    .vm_free = vm_win11_free,
    .qemu_args = vm_win11_qemu_args,
    .plan_findings = plan_findings,
    .export_libvirt = vm_win11_export_libvirt,
    .run_check = vm_win11_run_check,
    .run_start = vm_win11_run_start,
    .run_stop = vm_win11_run_stop,
    .status = vm_win11_status,
};
