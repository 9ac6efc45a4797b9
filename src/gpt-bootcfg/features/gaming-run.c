/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "basic/log.h"
#include "basic/macro.h"
#include "core/qemu-input.h"
#include "core/vm-lock.h"
#include "core/vm-paths.h"
#include "features/gaming-host.h"
#include "features/gaming-run.h"
#include "features/users.h"

int vm_gaming_run_check(struct path_cxt *pc, const char *config_path, const struct vm_config *vm)
{
	const struct vm_options *o = vm_options(vm);
	const struct vm_gaming *g = vm_gaming(o);
	_cleanup_free_ const struct vm_usb_id **missing = NULL;
	const struct vm_input *gone = NULL;
	size_t n_missing = 0;
	uid_t uid;
	gid_t gid;
	int r;

	if (!g)
		return 0;
	if (g->lg_size) {
		r = vm_user_lookup(pc, g->lg_user, &uid, &gid);
		if (r < 0)
			return log_error_errno(r, "Failed to read /etc/passwd: %m");
		if (r == 0)
			return log_error_errno(-ENOENT,
					       "%s:%u:%u: looking-glass-user: user '%s' does not "
					       "exist (/etc/passwd)",
					       config_path, g->lg_user_line, g->lg_user_col,
					       g->lg_user);
	}
	if (g->lg_size) {
		_cleanup_free_ char *why = NULL;
		const char *path = vm_lg_path(g, vm_lg_kvmfr(pc));

		r = vm_lg_kvmfr_check(pc, vm, path, &why);
		if (r < 0 && why)
			return log_error_errno(r, "%s:%u:%u: looking-glass: %s", config_path,
					       g->lg_file ? g->lg_file_line : g->lg_line,
					       g->lg_file ? g->lg_file_col : g->lg_col, why);
		if (r < 0)
			return log_error_errno(r, "Failed to read " VM_KVMFR_SIZE_PARAM ": %m");
	}
	r = vm_input_missing(pc, o, &gone);
	if (r < 0)
		return log_error_errno(r, "Failed to look for the input devices: %m");
	if (gone)
		return log_error_errno(-ENOENT,
				       "%s:%u:%u: input: %s does not exist now (is it plugged in? "
				       "ls -l /dev/input/by-id/ lists the devices there are)",
				       config_path, gone->line, gone->col, gone->path);
	r = vm_usb_missing(pc, o, &missing, &n_missing);
	if (r < 0)
		return log_error_errno(r, "Failed to look for the USB devices: %m");
	/* Not fatal: usb-host attaches a device whenever it appears. */
	for (size_t i = 0; i < n_missing; i++)
		log_warning("usb-devices: %04x:%04x (%s:%u:%u) is not plugged in now; QEMU "
			    "attaches it when it is",
			    missing[i]->vendor, missing[i]->product, config_path, missing[i]->line,
			    missing[i]->col);
	return 0;
}

int vm_gaming_run_prepare(struct path_cxt *pc, const char *config_path, const struct vm_config *vm,
			  gid_t qemu_gid)
{
	const struct vm_gaming *g = vm_gaming(vm_options(vm));
	_cleanup_free_ char *err = NULL;
	int r;

	if (!g || !g->lg_size)
		return 0;
	r = vm_lg_prepare(pc, vm, vm_lg_path(g, vm_lg_kvmfr(pc)), qemu_gid, &err);
	if (r == -ENOMEM)
		return log_oom();
	if (r < 0) {
		if (err)
			return log_error_errno(r, "%s:%u:%u: looking-glass: %s", config_path,
					       g->lg_line, g->lg_col, err);
		return log_error_errno(r, "%s:%u:%u: looking-glass: %m", config_path, g->lg_line,
				       g->lg_col);
	}
	return 0;
}

int vm_gaming_run_lock(struct path_cxt *pc, const char *config_path, const struct vm_config *vm,
		       int *ret_fd)
{
	const struct vm_gaming *g = vm_gaming(vm_options(vm));
	_cleanup_free_ char *name = NULL;
	const char *path;
	pid_t holder = 0;
	int r;

	*ret_fd = -1;
	if (!g || !g->lg_size)
		return 0;
	path = vm_lg_path(g, vm_lg_kvmfr(pc));
	/* '@' is in no VM name: this lock cannot be a VM's own. */
	if (asprintf(&name, "looking-glass@%s", path + strlen("/dev/")) < 0)
		return log_oom();
	for (char *p = name; *p; p++)
		if (*p == '/')
			*p = '-';
	r = vm_lock_take(pc, name, &holder);
	if (r == -EBUSY) {
		char by[48] = "";

		if (holder > 0)
			snprintf(by, sizeof(by), " (vm run pid %d)", (int)holder);
		return log_error_errno(
		    r,
		    "%s:%u:%u: looking-glass: %s is in use by another running VM%s: VM '%s' "
		    "would overwrite its frames; give each VM its own looking-glass-file",
		    config_path, g->lg_file ? g->lg_file_line : g->lg_line,
		    g->lg_file ? g->lg_file_col : g->lg_col, path, by, vm->name);
	}
	if (r < 0)
		return log_error_errno(r, "Failed to lock '" VM_RUN_DIR "/%s.lock': %m", name);
	*ret_fd = r;
	return 0;
}

void vm_gaming_status(struct path_cxt *pc, const struct vm_config *vm, struct json_writer *w)
{
	const struct vm_gaming *g = vm_gaming(vm_options(vm));
	struct vm_lg_info info;
	char mode[8];

	if (!g || !g->lg_size || vm_lg_info(pc, vm, &info) < 0)
		return;
	snprintf(mode, sizeof(mode), "%04o", (unsigned)info.mode);
	if (w) {
		json_object_begin(w, "looking_glass");
		json_string(w, "path", info.path);
		json_bool(w, "exists", info.exists);
		json_uint(w, "configured_size", g->lg_size);
		json_string(w, "user", g->lg_user);
		if (info.exists) {
			json_uint(w, "size", info.size);
			json_uint(w, "uid", info.uid);
			json_uint(w, "gid", info.gid);
			json_string(w, "mode", mode);
			json_bool(w, "owner_ok", info.owner_ok);
		}
		json_object_end(w);
		return;
	}
	if (!info.exists) {
		printf("  looking-glass: %s (%" PRIu64
		       " MiB) does not exist yet: vm run creates it\n",
		       info.path, g->lg_size >> 20);
		return;
	}
	if (streq(info.path, VM_LG_KVMFR_PATH))
		printf("  looking-glass: %s (kvmfr), owner %s (uid %u), gid %u, mode %s\n",
		       info.path, info.owner_ok ? g->lg_user : "NOT looking-glass-user",
		       (unsigned)info.uid, (unsigned)info.gid, mode);
	else
		printf("  looking-glass: %s %" PRIu64 " MiB, owner %s (uid %u), gid %u, mode %s\n",
		       info.path, info.size >> 20,
		       info.owner_ok ? g->lg_user : "NOT looking-glass-user", (unsigned)info.uid,
		       (unsigned)info.gid, mode);
}

static int usb_rules_file(struct path_cxt *pc, const struct config *c, bool block_created,
			  char **ret_current, char **ret_wanted)
{
	(void)block_created;
	(void)ret_current;
	return vm_usb_udev_rules(pc, c, ret_wanted);
}

static void gaming_export(struct xml_writer *w, const struct qemu_cmd_input *in)
{
	vm_gaming_export_libvirt(w, vm_options(in->vm));
}

const struct feature_ops feature_gaming = {
    .name = "gaming",
    .what = "gaming devices",
    .vm_parse_key = vm_gaming_parse_key,
    .vm_check = vm_gaming_check,
    .vms_check = vm_gaming_check_shared,
    .vm_free = vm_gaming_free,
    .qemu_args = vm_gaming_args,
    .plan_findings = vm_gaming_plan_findings,
    .managed_path = VM_USB_RULES_PATH,
    .managed_file = usb_rules_file,
    .export_libvirt = gaming_export,
    .status = vm_gaming_status,
};
