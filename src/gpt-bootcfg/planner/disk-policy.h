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

void plan_describe_uses(const struct block_device *b, struct strbuf *sb);
