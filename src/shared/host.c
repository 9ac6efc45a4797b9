/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host model's core: loading in order and freeing. The helpers the per-concern files
 * share (errors, parsing) are in host-util.c, so the loaders never call back into this file. What
 * is read lives beside its parser: host-pci.c, host-block.c (disks, mounts, swaps), host-cpu.c
 * (CPU, kernel, memory), host-topology.c (CPU placement), host-iommu.c, host-names.c.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>

#include "basic/strv-util.h"
#include "shared/host-internal.h"

int host_load(struct path_cxt *pc, struct host **ret)
{
	return host_load_skip(pc, 0, ret);
}

int host_load_skip(struct path_cxt *pc, unsigned skip, struct host **ret)
{
	struct host *h;
	int r;

	host_error_reset();
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->pc = pc;
	h->skip = skip;

	r = host_load_pci(h);
	if (r >= 0)
		r = host_load_mounts(h);
	if (r >= 0)
		r = host_load_blocks(h);
	if (r >= 0)
		r = host_load_cpu(h);
	if (r >= 0)
		r = host_load_kernel(h);
	if (r >= 0)
		r = host_load_nodes(h);
	if (r >= 0)
		r = host_load_topology(h);
	if (r >= 0)
		r = host_load_iommu(h);
	if (r >= 0)
		r = host_load_hugepages(h);
	if (r >= 0)
		r = host_boot_detect(pc, h->kernel_release, &h->boot);
	if (r < 0) {
		host_error_default(r);
		host_free(h);
		return r;
	}
	*ret = h;
	return 0;
}

void host_free(struct host *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n_pci; i++)
		host_pci_device_done(&h->pci[i]);
	free(h->pci);
	for (size_t i = 0; i < h->n_groups; i++)
		free(h->groups[i].devices);
	free(h->groups);
	for (size_t i = 0; i < h->n_blocks; i++)
		host_block_device_done(&h->blocks[i]);
	free(h->blocks);
	for (size_t i = 0; i < h->n_mounts; i++) {
		free(h->mounts[i].target);
		free(h->mounts[i].source);
		free(h->mounts[i].fstype);
		free(h->mounts[i].options);
	}
	free(h->mounts);
	strv_free(h->swaps);
	free(h->cpu_vendor);
	strv_free(h->cpu_flags);
	free(h->cmdline);
	free(h->kernel_release);
	free(h->default_route_dev);
	free(h->cpus_online);
	free(h->nodes_online);
	host_iommu_done(&h->iommu);
	free(h->iommu_error_msg);
	host_hugepages_done(&h->hugepages);
	free(h->hugepages_error_msg);
	host_topology_done(&h->topology);
	free(h->topology_error_msg);
	host_boot_done(&h->boot);
	free(h);
}
