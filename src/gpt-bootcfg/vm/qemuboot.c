/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The boot order of the QEMU command (and of the libvirt domain): "boot = ..." or the
 * default order, as bootindex= numbers (qemucmd.h, qemu_boot_order()).
 */
#include <errno.h>
#include <stdlib.h>

#include "basic/macro.h"
#include "basic/strv-util.h"
#include "vm/qemucmd.h"

void qemu_boot_order_done(struct qemu_boot_order *bo)
{
	free(bo->pt);
	free(bo->disks);
	free(bo->cdroms);
	*bo = (struct qemu_boot_order){0};
}

/* PCI base class 01h: SCSI, IDE, SATA, RAID, NVMe, ... controllers. */
static bool is_storage(uint32_t class)
{
	return (class >> 16) == 0x01;
}

int qemu_boot_order(const struct qemu_cmd_input *in, struct qemu_boot_order *ret)
{
	const struct vm_options *o = vm_options(in->vm);
	struct qemu_boot_order bo = {0};
	size_t n_cd = o->cdroms ? strv_length(o->cdroms) : 0;
	unsigned next = 1;

	bo.pt = calloc(in->n_pt + 1, sizeof(unsigned));
	bo.disks = calloc(o->n_disks + 1, sizeof(unsigned));
	bo.cdroms = calloc(n_cd + 1, sizeof(unsigned));
	if (!bo.pt || !bo.disks || !bo.cdroms) {
		qemu_boot_order_done(&bo);
		return -ENOMEM;
	}

	if (o->n_boot) {
		for (size_t i = 0; i < o->n_boot; i++) {
			const struct vm_boot_item *it = &o->boot[i];

			switch (it->kind) {
			case VM_BOOT_DEVICE:
				for (size_t j = 0; j < in->n_pt; j++)
					if (streq_ptr(in->pt[j].device, it->device))
						bo.pt[j] = next++;
				break;
			case VM_BOOT_DISK:
				for (size_t j = 0; j < o->n_disks; j++)
					bo.disks[j] = next++;
				break;
			case VM_BOOT_CDROM:
				for (size_t j = 0; j < n_cd; j++)
					bo.cdroms[j] = next++;
				break;
			case VM_BOOT_NETWORK:
				if (o->network != VM_NET_NONE)
					bo.network = next++;
				break;
			}
		}
		*ret = bo;
		return 0;
	}

	/* bootindex= of device-options first; the default order continues after them. */
	for (size_t j = 0; j < in->n_pt; j++)
		for (size_t i = 0; i < o->n_devopts; i++)
			if (o->devopts[i].bootindex &&
			    streq_ptr(in->pt[j].device, o->devopts[i].device)) {
				bo.pt[j] = o->devopts[i].bootindex;
				if (bo.pt[j] >= next)
					next = bo.pt[j] + 1;
			}
	for (size_t j = 0; j < in->n_pt; j++)
		if (!bo.pt[j] && is_storage(in->pt[j].class))
			bo.pt[j] = next++;
	for (size_t j = 0; j < o->n_disks; j++)
		bo.disks[j] = next++;
	for (size_t j = 0; j < n_cd; j++)
		bo.cdroms[j] = next++;
	*ret = bo;
	return 0;
}
