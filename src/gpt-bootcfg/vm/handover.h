/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * One GPU (issue 27): vm run hands a handover = yes device and its IOMMU group mates from
 * the host to vfio-pci, and gives them back (features/handover.h). Everything it changes
 * is written to VM_RUN_DIR/NAME.handover before the first change, so a give-back after a
 * runner that was killed (vm stop, the unit's ExecStopPost, the next vm run) undoes
 * exactly that. CLI code: these log.
 */

#include <stdbool.h>

#include "vm/context.h"

/*
 * Under the instance lock, before QEMU starts: a leftover record given back first; then,
 * when the VM passes a handover device: record; stop the display manager; wait (up to
 * handover-timeout) until no process holds the GPU's DRM nodes; unbind the frame buffer
 * consoles and the firmware frame buffer; move the devices to vfio-pci. 0 (x->handover
 * set when something was handed over), or -errno after giving back what was done.
 */
int vm_handover_take(struct vm_ctx *x);

/*
 * Give back what the VM's record says (nothing without one): the devices to their host
 * drivers, the firmware frame buffer, the consoles, the display manager. The record is
 * removed when all is back; otherwise it stays for the next try, and why is written to
 * VM_RUN_DIR/NAME.handover-failed (vm status) and the kernel log. 0, 1 when something was
 * given back, or -errno when the host did not get everything.
 */
int vm_handover_give_back(struct path_cxt *pc, const char *name);

/* Whether a device of the VM is handed over at vm run (the vfio check skips it). */
bool vm_handover_device(const struct vm_ctx *x, const struct pci_device *d);
