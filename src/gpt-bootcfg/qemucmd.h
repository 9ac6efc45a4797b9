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

#include "pci.h"
#include "vmconfig.h"

/*
 * The enlightenments Windows uses when it finds Hyper-V: cheaper timers, spinlocks,
 * APIC access and TLB flushes. All are KVM features, so TCG runs drop them.
 */
#define HYPERV_FLAGS                                                                               \
	"hv_relaxed,hv_vapic,hv_spinlocks=0x1fff,hv_vpindex,hv_runtime,hv_time,hv_synic,"          \
	"hv_stimer,hv_frequencies,hv_tlbflush,hv_ipi"


/* Runtime locations (host paths; the argv names them as they are on the host). */
#define VM_RUN_DIR "/run/gpt-bootcfg"
#define VM_STATE_DIR "/var/lib/gpt-bootcfg"
#define VM_HOOKS_DIR "/etc/gpt-bootcfg/hooks.d"
/* Debian's path (package qemu-system-common), QEMU's built-in default there too. */
#define VM_BRIDGE_HELPER "/usr/lib/qemu/qemu-bridge-helper"

/* One host PCI function to pass through, resolved from a [device] section and the host. */
struct qemu_passthrough {
	char address[PCI_ADDR_STRLEN]; /* "0000:65:00.0" */
	struct pci_addr addr;
	const char *device; /* [device NAME] */
	uint32_t class;     /* for test stand-ins */
	int numa_node;      /* -1 unknown */
};

struct qemu_cmd_input {
	const struct vm_config *vm;
	const struct qemu_passthrough *pt; /* in the order of the vm's devices */
	size_t n_pt;
	const char *qemu; /* binary, "qemu-system-x86_64" */

	/*
	 * Prepended to every file path in the argv ("" or NULL: none). "vm command" prints
	 * host paths; "vm run --root DIR" runs QEMU on this machine with the files under DIR.
	 */
	const char *path_root;

	/*
	 * /dev/vhost-net exists (below the root, so "vm command --root" is reproducible):
	 * tap networking gets vhost=on, the virtio-net data path in the host kernel.
	 */
	bool vhost_net;

	/*
	 * Test-only overrides (docs/vm.md, "Testing"): accel "tcg" (which also swaps the CPU
	 * model for "max" and drops the KVM-only CPU flags), mem_path instead of the
	 * hugetlbfs mount (a tmpfs directory: hugetlbfs is not available in tests), and
	 * stand-ins: emulated devices of the same class in place of vfio-pci, on the same
	 * root port and function, for hosts that have no such hardware.
	 */
	const char *accel;
	const char *mem_path;
	bool standins;

	/*
	 * QMP on a listening socket the runner created and QEMU inherits (vm run with an
	 * unprivileged QEMU, vm-user.h), instead of a socket QEMU creates at the path.
	 */
	bool qmp_by_fd;
	int qmp_fd;

	/*
	 * The VM's stable hardware identity (vm-state.h): the versioned machine type and the
	 * SMBIOS UUID. NULL: "q35" (QEMU's newest, unpinned) and no -uuid.
	 */
	const char *machine;
	const char *uuid;
};

/* bootindex= of every bootable device; 0 = none (the firmware does not boot it). */
struct qemu_boot_order {
	unsigned *pt;    /* per in->pt[i] */
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

/* Host paths derived from the VM name. */
int vm_qmp_path(const char *name, char **ret);
int vm_pid_path(const char *name, char **ret);
int vm_vars_path(const char *name, char **ret);
