/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The runner's side of tpm, secure-boot and os (win11-run.h): refusals, swtpm around QEMU,
 * leftovers, vm status.
 */
#include <stdio.h>

#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "qemucmd.h"
#include "win11-host.h"
#include "win11-run.h"

/* How long swtpm gets to end by itself once QEMU has gone (it sees the connection close). */
#define SWTPM_GRACE_MS (5 * 1000)

int vm_win11_load(struct path_cxt *pc, const char *config_path, const struct vm_config *vm,
		  const struct vm_win11 *w, const char *machine, bool check_vars,
		  struct fw_choice *ret_fw)
{
	_cleanup_free_ char *why = NULL;
	enum vm_vars_verdict v;
	int r;

	if (!vm_win11_secure_boot(w))
		return 0;
	r = vm_win11_firmware(pc, vm, w, machine, ret_fw, &why);
	if (r == -ENOENT)
		return log_error_errno(r, "%s:%u:%u: secure-boot: VM '%s': %s", config_path,
				       w->sb_line, w->sb_col, vm->name, why);
	if (r < 0)
		return log_error_errno(r, "Failed to read QEMU's firmware descriptors: %m");
	if (!check_vars)
		return 0;
	r = vm_win11_vars_state(pc, vm, w, &v);
	if (r < 0)
		return log_error_errno(r, "Failed to read the UEFI variables of VM '%s': %m",
				       vm->name);
	if (v == VM_VARS_REFUSE_SB_ON) {
		if (vm_vars_refusal(vm->name, &why) < 0)
			return log_oom();
		return log_error_errno(-EEXIST, "%s:%u:%u: %s", config_path, w->sb_line, w->sb_col,
				       why);
	}
	return 0;
}

int vm_win11_run_check(const char *config_path, const struct vm_config *vm,
		       const struct vm_win11 *w)
{
	_cleanup_free_ char *why = NULL;
	int r;

	if (!vm_win11_tpm(w))
		return 0;
	r = vm_tpm_check_tools(&why);
	if (r == -ENOMEM)
		return log_oom();
	if (r < 0)
		return log_error_errno(r, "%s:%u:%u: VM '%s': %s", config_path, w->tpm_line,
				       w->tpm_col, vm->name, why);
	return 0;
}

int vm_win11_vars_made(struct path_cxt *pc, const struct vm_config *vm, const struct vm_win11 *w,
		       const char *template)
{
	_cleanup_free_ char *text = NULL, *path = NULL;
	int r;

	if (vm_vars_origin_text(vm_win11_secure_boot(w), template, &text) < 0 ||
	    asprintf(&path, VM_STATE_DIR "/%s/" VM_VARS_ORIGIN_FILE, vm->name) < 0)
		return log_oom();
	r = path_write_atomic(pc, path, text, strlen(text), 0600);
	if (r < 0)
		return log_error_errno(r, "Failed to write '%s': %m", path);
	return 0;
}

void vm_win11_vars_warn(struct path_cxt *pc, const struct vm_config *vm, const struct vm_win11 *w)
{
	enum vm_vars_verdict v;

	if (vm_win11_vars_state(pc, vm, w, &v) >= 0 && v == VM_VARS_WARN_SB_OFF)
		log_warning("VM '%s': secure-boot = no, but its UEFI variables (" VM_STATE_DIR
			    "/%s/OVMF_VARS.fd) hold Secure Boot keys: the plain OVMF boots "
			    "anything, and BitLocker may ask for its recovery key.",
			    vm->name, vm->name);
}

int vm_win11_run_start(struct path_cxt *pc, const char *config_path, const struct vm_config *vm,
		       const struct vm_win11 *w, const struct vm_user *u, struct vm_tpm_proc *ret)
{
	_cleanup_free_ char *why = NULL, *state = NULL, *sock = NULL;
	bool certs = false;
	int r;

	if (!vm_win11_tpm(w))
		return 0;
	r = vm_win11_reap(pc, vm, w);
	if (r < 0)
		return r;
	if (vm_tpm_state_path(vm->name, &state) < 0 || vm_tpm_socket_path(vm->name, &sock) < 0)
		return log_oom();
	r = vm_tpm_setup(pc, vm->name, u, &certs, &why);
	if (r == -ENOMEM)
		return log_oom();
	if (r < 0)
		return log_error_errno(r, "%s:%u:%u: VM '%s': cannot make its TPM state: %s",
				       config_path, w->tpm_line, w->tpm_col, vm->name,
				       why ? why : strerror(-r));
	if (r > 0)
		log_info("VM '%s': made its TPM 2.0 in %s for user '%s'%s.", vm->name, state,
			 u->name,
			 certs ? ", with EK and platform certificates"
			       : " (no certificates: swtpm_localca is not installed)");
	free(why);
	why = NULL;
	r = vm_tpm_start(pc, vm->name, u, ret, &why);
	if (r == -ENOMEM)
		return log_oom();
	if (r < 0)
		return log_error_errno(r, "VM '%s': %s", vm->name, why ? why : strerror(-r));
	log_info("VM '%s': swtpm (pid %d) serves its TPM 2.0 on %s.", vm->name, (int)ret->pid,
		 sock);
	return 0;
}

void vm_win11_run_stop(struct path_cxt *pc, const struct vm_config *vm, struct vm_tpm_proc *p,
		       bool qemu_started)
{
	pid_t pid = p->pid;
	int r;

	if (pid <= 0)
		return;
	r = vm_tpm_stop(pc, vm->name, p, qemu_started ? SWTPM_GRACE_MS : 0);
	if (r < 0)
		log_error_errno(r, "Failed to stop swtpm (pid %d) of VM '%s': %m", (int)pid,
				vm->name);
	else if (r > 0 && qemu_started)
		log_warning("VM '%s': swtpm (pid %d) did not end with QEMU; stopped it.", vm->name,
			    (int)pid);
}

int vm_win11_reap(struct path_cxt *pc, const struct vm_config *vm, const struct vm_win11 *w)
{
	pid_t pid = 0;
	int r;

	if (!vm_win11_tpm(w))
		return 0;
	r = vm_tpm_reap(pc, vm->name, SWTPM_GRACE_MS, &pid);
	if (r < 0)
		return log_error_errno(
		    r, "Failed to end the swtpm an earlier run of VM '%s' left: %m", vm->name);
	if (r > 0)
		log_warning("VM '%s': ended the swtpm (pid %d) an earlier vm run left.", vm->name,
			    (int)pid);
	return 0;
}

void vm_win11_status(struct path_cxt *pc, const struct vm_config *vm, const struct vm_win11 *w,
		     const struct fw_choice *fw, struct json_writer *jw)
{
	_cleanup_free_ char *state = NULL;
	pid_t pid = 0;
	bool made = false, certs = false;

	if (vm_win11_tpm(w)) {
		if (vm_tpm_state_path(vm->name, &state) < 0)
			return;
		made = vm_tpm_state_exists(pc, vm->name) > 0;
		certs = path_exists(pc, VM_STATE_DIR "/%s/tpm-setup/issuercert.pem", vm->name) > 0;
		pid = vm_tpm_running(pc, vm->name);
	}
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
		if (vm_win11_secure_boot(w) && fw) {
			json_object_begin(jw, "secure_boot");
			json_string(jw, "code", fw->code);
			json_string(jw, "vars_template", fw->vars);
			json_string(jw, "source", fw->source);
			json_object_end(jw);
		}
		return;
	}
	if (vm_win11_tpm(w))
		printf("  tpm: TPM 2.0, state %s%s%s, swtpm %s\n", state,
		       made ? "" : " (made at the next start)",
		       made && certs ? " with EK certificates" : "",
		       pid > 0 ? "running" : "not running");
	if (pid > 0)
		printf("  swtpm: pid %d\n", (int)pid);
	if (vm_win11_secure_boot(w) && fw)
		printf("  secure-boot: on, %s with the keys of %s (%s)\n", fw->code, fw->vars,
		       fw->source);
}
