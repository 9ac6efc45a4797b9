/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * QEMU off root (issue 14, item 9). "vm run" starts QEMU as an unprivileged user, the way
 * libvirt does: the runner (root) hands exactly the files and nodes the VM uses to that
 * user for the VM's lifetime, records every change in VM_STATE_DIR/NAME/owners before
 * making it, drops the forked child to the user (groups, gid, uid, no_new_privs) and only
 * then executes QEMU, so QEMU never holds root and its seccomp filter keeps
 * elevateprivileges=deny. When QEMU has ended (or, after a crash of the runner, on the
 * next "vm run" or "vm stop") the record is played back and removed.
 *
 * The user: "user =" of [vm NAME]; without it VM_USER_DEFAULT when that user exists, else
 * root. Some configurations need QEMU to start as root (vm_user_root_need()).
 */

#include <stdbool.h>
#include <sys/types.h>

#include "basic/path.h"
#include "core/vm-options.h"
#include "shared/host.h"

struct qemu_cmd_input;

#define VM_USER_DEFAULT "gpt-bootcfg-qemu"

struct vm_user {
	char *name;
	uid_t uid; /* 0: QEMU runs as root */
	gid_t gid;
	gid_t *groups; /* supplementary groups from ROOT/etc/group (kvm) */
	size_t n_groups;
};

void vm_user_done(struct vm_user *u);

/*
 * Why this VM's QEMU must start as root, or NULL: a bridge (qemu-bridge-helper needs
 * CAP_NET_ADMIN) and a SPICE unix socket (created in the root-owned VM_RUN_DIR).
 */
const char *vm_user_root_need(const struct vm_config *vm);

/*
 * The user QEMU of vm runs as, looked up in ROOT/etc/passwd and ROOT/etc/group. uid 0 when
 * it runs as root: then *ret_why (may be NULL) says why, for a warning, unless the
 * configuration asked for root ("user = root"). -ENOENT with *ret_why for a configured
 * user that does not exist, -EPERM with *ret_why when the configured user cannot be used
 * (the VM needs root); another -errno with *ret_why when /etc/passwd cannot be read (a FIFO
 * there is refused, not waited on).
 */
int vm_user_resolve(struct path_cxt *pc, const struct vm_config *vm, struct vm_user *ret,
		    char **ret_why);

/*
 * In the forked child, before exec: an unlimited RLIMIT_MEMLOCK (vfio pins all guest
 * memory; where the limit cannot be raised, QEMU keeps CAP_IPC_LOCK as its only, ambient,
 * capability instead), then the groups, gid and uid of u, and no_new_privs. Allocates and
 * logs nothing. -errno on failure.
 */
int vm_user_drop(const struct vm_user *u);

/*
 * For plan: a warning when a VM's QEMU would run as root, and why, or as a user in group
 * root (gid 0) or disk, which reads and writes every disk of the host (issue 30). 1 with
 * *ret, 0 when there is nothing to say, or -errno.
 */
int vm_user_plan_warning(struct path_cxt *pc, const struct vm_config *vm, char **ret);

/* name -> uid (and gid, may be NULL) from ROOT/etc/passwd: 1 found, 0 not, -errno. */
int vm_user_lookup(struct path_cxt *pc, const char *name, uid_t *ret_uid, gid_t *ret_gid);

/*
 * name's home directory (a host path, absolute) from ROOT/etc/passwd: 1 found, 0 no such
 * user, -ENODATA when its line has no absolute home, -errno.
 */
int vm_user_home(struct path_cxt *pc, const char *name, char **ret);
