/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Where a VM's runtime and state files live, one home for every part that names them (the
 * QEMU command, the runner, the features, the lock, the libvirt export).
 */

/* Runtime locations (host paths; the argv names them as they are on the host). */
#define VM_RUN_DIR   "/run/gpt-bootcfg"
#define VM_STATE_DIR "/var/lib/gpt-bootcfg"
#define VM_HOOKS_DIR "/etc/gpt-bootcfg/hooks.d"
/* Debian's path (package qemu-system-common), QEMU's built-in default there too. */
#define VM_BRIDGE_HELPER "/usr/lib/qemu/qemu-bridge-helper"

/* VM_RUN_DIR/NAME SUFFIX: vm_run_file("win", ".qmp", &p) is /run/gpt-bootcfg/win.qmp. */
int vm_run_file(const char *name, const char *suffix, char **ret);
/* VM_STATE_DIR/NAME/FILE: the VM's own state directory's FILE. */
int vm_state_file(const char *name, const char *file, char **ret);

/* Host paths derived from the VM name. */
int vm_qmp_path(const char *name, char **ret);
int vm_pid_path(const char *name, char **ret);
int vm_vars_path(const char *name, char **ret);
