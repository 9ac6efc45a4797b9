/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/numa.h"

int vm_numa_node(int configured, size_t n_devices,
		 int (*device_node)(size_t i, const void *userdata), const void *userdata)
{
	if (configured != VM_NUMA_NODE_AUTO)
		return configured;
	for (size_t i = 0; i < n_devices; i++) {
		int node = device_node(i, userdata);

		if (node >= 0)
			return node;
	}
	return -1;
}
