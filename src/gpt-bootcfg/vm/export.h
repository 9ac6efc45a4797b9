/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * "vm export NAME --libvirt": the [vm NAME] section as a libvirt domain XML, built from the
 * same input as the QEMU command (struct qemu_cmd_input: the parsed section and the
 * passthrough list vm_load() resolved against the host), so the two describe one VM. Like
 * qemu_cmd_build() it is pure: same input, same bytes (golden tests). The differences that
 * remain between the two, and why, are listed in docs/vm.md ("libvirt").
 */

#include "vm/qemucmd.h"

/* Where libvirt keeps the VM's own copy of the OVMF variables (libvirt's default place). */
#define VM_EXPORT_NVRAM_DIR "/var/lib/libvirt/qemu/nvram"

/* The emulator named in <emulator>: Debian's qemu-system-x86 package. */
#define VM_EXPORT_EMULATOR "/usr/bin/qemu-system-x86_64"

/*
 * Build the domain XML into *ret (NUL-terminated, ends with a newline). Every value from the
 * configuration is XML-escaped. spice_password is the contents of spice-password-file for
 * spice = loopback (libvirt keeps the password in the domain, not in a file), else NULL.
 * -ENOMEM, or -EINVAL when a value holds a character XML cannot carry (a control character).
 */
int vm_export_libvirt(const struct qemu_cmd_input *in, const char *spice_password, char **ret);
