/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The runner's side of the gaming keys (vm-gamedev.h), with its messages: the checks of
 * "vm run" before QEMU starts, the Looking Glass memory made ready, and the lines of
 * "vm status". CLI code: it logs; the work is in vm-shm.c.
 */

#include <sys/types.h>

#include "core/feature.h"
#include "basic/json.h"
#include "basic/path.h"
#include "core/vm-options.h"

/*
 * Before QEMU starts: an input device that does not exist refuses the start
 * ("FILE:LINE:COL: input: PATH does not exist now ..."), so does a looking-glass-user
 * missing from /etc/passwd; USB devices not plugged in are a warning each. Returns 0 or a
 * negative errno after logging the error.
 */
int vm_gaming_run_check(struct path_cxt *pc, const char *config_path, const struct vm_config *vm);

/*
 * The Looking Glass memory ready for QEMU of group qemu_gid (vm_lg_prepare()); logs and
 * returns a negative errno on refusal.
 */
int vm_gaming_run_prepare(struct path_cxt *pc, const char *config_path, const struct vm_config *vm,
			  gid_t qemu_gid);

/*
 * After the VM's own lock: the lock of its Looking Glass memory (VM_RUN_DIR/
 * looking-glass@shm-NAME.lock, @kvmfrN.lock), so no two running VMs share it, whatever
 * configuration each was started from. *ret_fd: the descriptor (O_CLOEXEC; QEMU inherits
 * it like the VM's lock, so it is held while QEMU lives), -1 without looking-glass.
 * Logs and returns -EBUSY when another VM holds it, or another negative errno.
 */
int vm_gaming_run_lock(struct path_cxt *pc, const char *config_path, const struct vm_config *vm,
		       int *ret_fd);

/*
 * vm status: the Looking Glass memory (path, size, owner, mode), as a "looking_glass"
 * object into w, or as a text line when w is NULL. Nothing without looking-glass.
 */
void vm_gaming_status(struct path_cxt *pc, const struct vm_config *vm, struct json_writer *w);

/*
 * The gaming devices feature (core/feature.h): Looking Glass, input, usb-devices; its
 * keys and QEMU arguments in gaming.c, its libvirt elements in gaming-export.c.
 */
extern const struct feature_ops feature_gaming;
