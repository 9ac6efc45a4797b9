/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A VM's "disk =" may name a block device. One the host uses (a mounted file system, swap,
 * a dm/md/LVM holder, on the disk or any of its partitions: the same uses that refuse a
 * storage controller, see planner.c) must never reach QEMU: the guest would write to the
 * host's root file system underneath it.
 */

#include "basic/strbuf.h"
#include "shared/host.h"

/*
 * Whether path (a host path, read through the host's path context) is a block device that
 * the host uses, or a partition of such a disk. Returns 1 with *ret_detail ("nvme0n1:
 * mounted on / (nvme0n1p2), swap (nvme0n1p3)"), 0 when it is not (also when it is no block
 * device or does not exist: that is checked elsewhere), or -errno.
 */
int vm_disk_host_use(const struct host *h, const char *path, char **ret_detail);

struct vm_config;

/* One host path QEMU opens for a VM, and where the configuration names it. */
struct vm_host_path {
	const char *key;    /* "disk", "cdrom", "ovmf-code", "romfile", ... */
	const char *path;   /* borrowed from the VM's options */
	unsigned line, col; /* of the value; 0 for a default (ovmf-code) */
};

/*
 * Every host path QEMU opens for vm, whatever key names it (disk, cdrom, ovmf-code,
 * romfile of device-options, spice-password-file, looking-glass-file, input): one list,
 * so plan, vm command and vm run check each of them against what the host uses in one
 * place (issue 30, item 1). *ret is a new array of *ret_n entries (free() it; the strings
 * are borrowed); 0 or -ENOMEM.
 */
int vm_host_paths(const struct vm_config *vm, struct vm_host_path **ret, size_t *ret_n);

/*
 * The files a VM boots from that do not exist: a disk image, a cdrom's ISO, an ovmf-code
 * set in the configuration, a device's romfile (issue 30, "plan as a guardrail"). Each is
 * a "FILE:LINE:COL: VM 'NAME': KEY 'PATH' does not exist" appended to *errors. The default
 * ovmf-code of a UEFI VM too (pointing at its firmware key or its section, naming the
 * package: Debian's ovmf), unless Secure Boot picks the firmware from QEMU's descriptors.
 * 0 or -ENOMEM.
 */
struct config;
int vm_missing_files(struct path_cxt *pc, const struct config *c, char ***errors);

void plan_describe_uses(const struct block_device *b, struct strbuf *sb);
