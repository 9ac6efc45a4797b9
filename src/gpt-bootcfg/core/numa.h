/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The NUMA node a VM's memory comes from: the one rule the planner (boot-time hugepages per
 * node) and the QEMU command (memory bound to the node, qemu_cmd_numa_node()) share, so
 * that the pages reserved at boot are the pages the VM asks for. Pure: the callers say
 * where the VM's devices are, from the host model or the passthrough list.
 */

#include <stddef.h>

/* [vm] numa-node unset: take the node of the first of the VM's devices that has one. */
#define VM_NUMA_NODE_AUTO (-2)

/*
 * configured is [vm] numa-node (>= 0, -1 for none, VM_NUMA_NODE_AUTO); device_node(i,
 * userdata) is the node of the VM's i-th device (in its devices order), -1 when unknown or
 * absent. Returns configured unless it is VM_NUMA_NODE_AUTO, else the first device node
 * >= 0, else -1.
 */
int vm_numa_node(int configured, size_t n_devices,
		 int (*device_node)(size_t i, const void *userdata), const void *userdata);
