/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Checks before QEMU starts: CPUs, files, host disks, vfio, hugepages. */

#include "vm/context.h"

/* vcpu-pins and emulator-cpus name online CPUs only. */
int vm_check_cpus(struct vm_ctx *x);

/* Disks, CD-ROMs and the OVMF code exist (files or block devices; NVMe controllers present). */
int vm_check_files(struct vm_ctx *x);

/* No disk is (a partition of) a disk the host uses (vm-disk.h). */
int vm_check_host_disks(struct vm_ctx *x);

/* Every passthrough device and NVMe controller is bound to vfio-pci. */
int vm_check_vfio(struct vm_ctx *x);

/* The hugepage pool (of the devices' NUMA node) has the VM's pages free, on hugetlbfs. */
int vm_check_hugepages(struct vm_ctx *x);

/* vm_load() and the checks that need no running system: CPUs and files. */
int vm_load_checked(struct cli *cli, const char *name, struct vm_ctx *x);
