/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The VM's files handed to its unprivileged QEMU user for a run (vm/owners.c). */

#include "core/qemu-input.h"
#include "features/users.h"
#include "shared/host.h"

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
