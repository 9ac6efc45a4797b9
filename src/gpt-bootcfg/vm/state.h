/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The VM's stable hardware identity, kept in its state directory
 * (/var/lib/gpt-bootcfg/NAME/, beside OVMF_VARS.fd):
 *
 *   machine   the versioned machine type ("pc-q35-7.2"), pinned at the first "vm run" from
 *             what QEMU's "q35" alias meant then. A QEMU upgrade adds new machine types but
 *             keeps the old ones, so the guest keeps its hardware (Windows does not ask for
 *             re-activation, drivers stay installed). Changed only by "machine = ...".
 *   uuid      the SMBIOS system UUID (-uuid), generated at the first "vm run"; Windows'
 *             activation and some licensing tie to it. "uuid = ..." sets it.
 *
 * Each file holds one line. They are written atomically and never rewritten unless the
 * configuration's machine/uuid key names another value.
 */

#include <stdbool.h>

#include "basic/path.h"
#include "conf/vmconfig.h"

struct vm_identity {
	char *machine;			  /* NULL: not pinned (yet) */
	char *uuid;			  /* NULL: none (yet) */
	bool machine_pinned, uuid_pinned; /* read from the state directory */
};

void vm_identity_done(struct vm_identity *id);

/*
 * What "vm command" and "vm status" show, writing nothing: the configured machine/uuid,
 * else the pinned ones, else (machine only) what the first "vm run" would pin, resolved by
 * asking qemu; if qemu cannot tell, machine stays NULL.
 */
int vm_identity_peek(struct path_cxt *pc, const struct vm_config *vm, const char *qemu,
		     struct vm_identity *ret);

/*
 * "vm run": as vm_identity_peek(), then whatever is not yet in the state directory is
 * written there (machine resolved from qemu's q35 alias, a new random UUID). Fails if
 * qemu's machine types cannot be read and nothing is pinned. ret_changed (may be NULL)
 * tells whether a file was written.
 */
int vm_identity_pin(struct path_cxt *pc, const struct vm_config *vm, const char *qemu,
		    struct vm_identity *ret, bool *ret_changed);

/* Host paths of the state files. */
int vm_machine_path(const char *name, char **ret);
int vm_uuid_path(const char *name, char **ret);

/*
 * From the output of "qemu-system-x86_64 -machine help": the versioned type alias is an
 * alias of ("q35 ... (alias of pc-q35-7.2)"). -ENOENT if it is not listed as an alias.
 */
int qemu_machine_help_alias(const char *help, const char *alias, char **ret);

/*
 * Run "qemu -machine help" and resolve the q35 alias (at most 30 s): -ENOENT when qemu
 * cannot be run or lists no q35 alias, -ENOEXEC when it fails, -ETIMEDOUT.
 */
int qemu_resolve_q35(const char *qemu, char **ret);

/* A new random (version 4) UUID in text form. */
int vm_uuid_generate(char **ret);
