/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Which kernel modules would bind a PCI device, asked of libkmod with the target kernels'
 * own module index (ROOT/lib/modules/VERSION/modules.alias.bin) and the root's modprobe.d:
 * the answer depends on the kernel the initramfs is built for, never on a hard-coded list.
 * Every kernel under ROOT/lib/modules with an index is consulted (update-initramfs -k all
 * builds for all of them) and the answers are merged.
 */

#include "basic/path.h"

struct kmodres;

/*
 * Open the module index of every kernel under ROOT/lib/modules. -ENOENT when no kernel
 * there has a module index (nothing could be resolved).
 */
int kmodres_new(struct path_cxt *pc, struct kmodres **ret);
void kmodres_free(struct kmodres *k);
static inline void kmodres_freep(struct kmodres **k)
{
	if (*k)
		kmodres_free(*k);
}
#define _cleanup_kmodres_ _cleanup_(kmodres_freep)

/* The kernel versions consulted, sorted (strv owned by k). */
char *const *kmodres_kernels(const struct kmodres *k);

/*
 * Module names ("snd_hda_intel", underscores as modprobe normalizes them) resolved from a
 * modalias ("pci:v000010DEd...") on any consulted kernel, sorted and unique, as a new strv.
 * vfio_pci itself and modules known only as built-ins are left out: neither can be kept
 * from binding by a softdep.
 */
int kmodres_lookup(struct kmodres *k, const char *modalias, char ***ret);

/*
 * The consulted kernels whose modules.dep has module name (as a file, not built in;
 * "vendor-reset" and "vendor_reset" alike), as a new strv in kmodres_kernels() order
 * (empty: none). -ENOMEM.
 */
int kmodres_kernels_with(struct kmodres *k, const char *name, char ***ret);
