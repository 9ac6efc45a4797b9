/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The QEMU command line for a [vm NAME] section. vmconfig.c validates the keys into a
 * struct vm_options (vmconfig.h); qemu_cmd_build() turns that plus the resolved
 * host devices into an argv. The builder is pure: it reads nothing and checks nothing
 * about the host, so the same input always gives the same argv (golden tests).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/pci.h"
#include "core/qemu-input.h"
#include "core/vm-options.h"
#include "core/vm-paths.h"

/*
 * The enlightenments Windows uses when it finds Hyper-V: cheaper timers, spinlocks,
 * APIC access and TLB flushes. All are KVM features, so TCG runs drop them.
 */
#define HYPERV_FLAGS                                                                               \
	"hv_relaxed,hv_vapic,hv_spinlocks=0x1fff,hv_vpindex,hv_runtime,hv_time,hv_synic,"          \
	"hv_stimer,hv_frequencies,hv_tlbflush,hv_ipi"

/* bootindex= of every bootable device; 0 = none (the firmware does not boot it). */
struct qemu_boot_order {
	unsigned *pt;	 /* per in->pt[i] */
	unsigned *disks; /* per disk */
	unsigned *cdroms;
	unsigned network;
};

/*
 * The boot order of the VM: "boot = ..." when given, else the OS disk first (passed-through
 * storage controllers in the order of devices, then disk images, then CD-ROMs), after any
 * bootindex= of device-options. OVMF boots only devices that have a bootindex once any
 * device has one, so every device meant to boot gets one.
 */
int qemu_boot_order(const struct qemu_cmd_input *in, struct qemu_boot_order *ret);
void qemu_boot_order_done(struct qemu_boot_order *bo);

/*
 * Where one passthrough function goes in the guest: one pcie-root-port per host slot (ports
 * numbered from 1 in the order the slots first appear), all functions of a slot on it, function
 * 0 multifunction when the slot has several, renumbered from 0 when the slot's function 0 is not
 * passed through (the guest would not scan the slot). The QEMU command and the libvirt domain
 * both place devices with this, so the two cannot disagree.
 */
struct qemu_pt_place {
	unsigned port; /* 1-based */
	unsigned fn;
	bool multifunction;
};

/* The place of each of in->pt (array of in->n_pt) and the number of root ports. */
int qemu_place_passthrough(const struct qemu_cmd_input *in, struct qemu_pt_place **ret,
			   unsigned *ret_ports);

/* The device-options entry of [device NAME], or NULL. */
const struct vm_device_options *qemu_find_device_options(const struct vm_options *o,
							 const char *name);

/* Build the argv (strv, argv[0] = in->qemu). */
int qemu_cmd_build(const struct qemu_cmd_input *in, char ***ret_argv);

/* The host NUMA node memory is bound to: the configured one or the first device's, or -1. */
int qemu_cmd_numa_node(const struct qemu_cmd_input *in);
