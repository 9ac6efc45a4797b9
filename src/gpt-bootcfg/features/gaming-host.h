/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What "vm run" and "vm status" do on the host for the gaming keys (vm-gamedev.h): the
 * Looking Glass shared-memory file, and which evdev and USB devices are there now. All
 * access goes through the path layer, so --root trees stand in for the host.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "basic/path.h"
#include "core/qemu-input.h"
#include "core/vm-paths.h"
#include "features/gaming.h"

/* /dev/kvmfr0 exists below the root: Looking Glass memory is the kvmfr device. */
bool vm_lg_kvmfr(struct path_cxt *pc);

/*
 * Make the Looking Glass memory at path (vm_lg_path()) ready before QEMU starts. A file
 * in /dev/shm (default /dev/shm/looking-glass): created
 * when missing (a temporary file with its owner, mode and size, then renamed into place
 * without replacing anything, so no one sees it half made); when present, it must be a
 * regular file, not a symlink, owned by the looking-glass-user; its group becomes
 * qemu_gid (so QEMU, running as that group, can map it), its mode 0660 and its size the
 * configured one. It is kept when the VM stops: the client keeps its mapping across VM
 * restarts. /dev/kvmfrN (kvmfr): must be a character device; owner and mode as above.
 * On refusal returns -errno with a message in *ret_error (without FILE:LINE:COL, which
 * the caller knows: vm_gaming(o)->lg_line).
 */
int vm_lg_prepare(struct path_cxt *pc, const struct vm_config *vm, const char *path, gid_t qemu_gid,
		  char **ret_error);

/* The kvmfr module's sizes of its devices, MiB, one entry per /dev/kvmfrN. */
#define VM_KVMFR_SIZE_PARAM "/sys/module/kvmfr/parameters/static_size_mb"

/* The entries of VM_KVMFR_SIZE_PARAM (strv; -ENOENT: the module is not loaded). */
int vm_kvmfr_sizes(struct path_cxt *pc, char ***ret);

/*
 * When path (vm_lg_path()) is a kvmfr device: its size in static_size_mb must be at least
 * the configured size. 0 when it is (or path is not kvmfr); -ENOSPC (too small or no entry)
 * or -ENOENT (the parameter cannot be read) with the sizes and the fix ("options kvmfr
 * static_size_mb=...") in *ret_why; other -errno from reading it.
 */
int vm_lg_kvmfr_check(struct path_cxt *pc, const struct vm_config *vm, const char *path,
		      char **ret_why);

/* The Looking Glass memory as it is now, for vm status. */
struct vm_lg_info {
	const char *path; /* VM_LG_SHM_PATH or VM_LG_KVMFR_PATH */
	bool exists;
	uint64_t size; /* st_size; 0 for the kvmfr device */
	uid_t uid;
	gid_t gid;
	mode_t mode;   /* permission bits */
	bool owner_ok; /* owned by looking-glass-user */
};
int vm_lg_info(struct path_cxt *pc, const struct vm_config *vm, struct vm_lg_info *ret);

/*
 * The first entry of "input =" whose path does not exist now (following its by-id link
 * below the root), in *ret; NULL when all exist.
 */
int vm_input_missing(struct path_cxt *pc, const struct vm_options *o, const struct vm_input **ret);

/*
 * The entries of "usb-devices =" that no device in ROOT/sys/bus/usb/devices has now:
 * a malloc'ed array of pointers into o (free only the array) and its length.
 */
int vm_usb_missing(struct path_cxt *pc, const struct vm_options *o, const struct vm_usb_id ***ret,
		   size_t *ret_n);

/*
 * For plan: what the gaming keys of each VM of c do (notes) and what on this host would
 * stop or degrade them now (warnings: a looking-glass-user that does not exist, an input
 * device that is not there, a USB device not plugged in), appended to the lists.
 */
int vm_gaming_plan_findings(struct path_cxt *pc, const struct config *c, char ***warnings,
			    char ***notes);

/*
 * The /dev/bus/usb/BBB/DDD nodes of the usb-devices plugged in now (strv, possibly
 * empty): what an unprivileged QEMU must be able to open to attach them at its start.
 */
int vm_usb_nodes(struct path_cxt *pc, const struct vm_options *o, char ***ret);

/* The udev rules for the USB devices of the VMs (a managed file, managed.h). */
#define VM_USB_RULES_PATH "/etc/udev/rules.d/70-gpt-bootcfg-usb.rules"

/*
 * The body of VM_USB_RULES_PATH: for each VM with usb-devices whose QEMU runs unprivileged
 * (vm_user_resolve(): user =, or VM_USER_DEFAULT when it exists), one rule per id making
 * the /dev/bus/usb node of such a device, whenever it is plugged in, that user's (by uid
 * and gid: udev may run without resolving names). After
 * udev's 50-udev-default.rules (which sets the mode). *ret is NULL when no VM needs one.
 */
int vm_usb_udev_rules(struct path_cxt *pc, const struct config *c, char **ret);
