/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * One GPU (issue 27): a [device] with "handover = yes" is not claimed at boot; vm run of a
 * VM that passes it hands it, with its IOMMU group mates, from the host's drivers to
 * vfio-pci (the display manager stopped, the consoles off the frame buffer, the firmware
 * frame buffer released) and gives all of it back when QEMU ends (vm/handover.h). This is
 * the feature's table entry: the [device] key, the [vm] keys "display-manager" and
 * "handover-timeout", and vm status' lines from the hand-off's record.
 */

#include "core/feature.h"

extern const struct feature_ops feature_handover;

/* The display manager's unit vm run stops while the VM runs, and the default. */
#define HANDOVER_DEFAULT_DM	 "display-manager.service"
#define HANDOVER_DEFAULT_TIMEOUT 60

/* VM_RUN_DIR/NAME.handover: what the hand-off changed, written before it changes it. */
#define HANDOVER_RECORD_SUFFIX ".handover"
/* VM_RUN_DIR/NAME.handover-failed: why the host did not get everything back (vm status). */
#define HANDOVER_FAILED_SUFFIX ".handover-failed"

static inline const char *vm_handover_dm(const struct vm_options *o)
{
	return o->display_manager ? o->display_manager : HANDOVER_DEFAULT_DM;
}

static inline unsigned vm_handover_timeout(const struct vm_options *o)
{
	return o->handover_timeout ? o->handover_timeout : HANDOVER_DEFAULT_TIMEOUT;
}
