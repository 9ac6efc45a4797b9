/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The VM's files handed to its unprivileged QEMU user for a run (vm/owners.c). */

#include <sys/stat.h>

#include "core/qemu-input.h"
#include "features/users.h"
#include "shared/host.h"

/* What a path handed to QEMU's user must be (vm_handover_allowed()). */
enum vm_handover {
	VM_HANDOVER_FILE,  /* a regular file with one name, or a block device the host does not use
			    */
	VM_HANDOVER_EVDEV, /* an evdev node: character device 13:64+ under /dev/input */
	VM_HANDOVER_USB,   /* a USB device node: character device 189:* under /dev/bus/usb */
	VM_HANDOVER_VFIO,  /* a vfio group node: a character device under /dev/vfio */
};

/*
 * The one rule for what may be handed to QEMU's unprivileged user (issue 30, items 1 and
 * 2): canon is the object's canonical host path, st its lstat(). 0 when it may be;
 * -EPERM, -EBUSY (a disk the host uses) or -EMLINK with the reason in *ret_why when not;
 * other -errno on failure.
 */
int vm_handover_allowed(const struct host *h, const char *canon, const struct stat *st,
			enum vm_handover kind, char **ret_why);

/*
 * Hand the VM's files to u, recording first: the vfio group nodes, disks, CD-ROM images
 * and the SPICE password file others cannot read, the OVMF variables. *ret_mem_path (for
 * in->mem_path, the caller frees it) is a private directory owned by u below the memory
 * directory (QEMU creates its backing file there), NULL without file-backed memory;
 * in->qmp_fd is a listening QMP socket the runner created, and the pid file is created
 * for u (QEMU cannot create either in VM_RUN_DIR). On failure everything done so far is
 * undone and *ret_what names the path that failed.
 */
int vm_owner_prepare(struct path_cxt *pc, const struct host *h, struct qemu_cmd_input *in,
		     const struct vm_user *u, char **ret_mem_path, char **ret_what);

/*
 * Play back the record of VM name (if any) and remove it: owners and modes restored,
 * created directories, sockets and pid files removed. Returns 1 if there was a record, 0
 * if not, -errno on failure (*ret_what names the path then).
 */
int vm_owner_restore(struct path_cxt *pc, const char *name, char **ret_what);
