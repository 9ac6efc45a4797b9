/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the QEMU command is built from (vm/qemucmd.h): the VM, the resolved host devices and
 * the runtime facts. Every feature's QEMU arguments (features/table.h) read it too, so it
 * lives below both.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/pci.h"
#include "core/vm-options.h"

/* One host PCI function to pass through, resolved from a [device] section and the host. */
struct qemu_passthrough {
	char address[PCI_ADDR_STRLEN]; /* "0000:65:00.0" */
	struct pci_addr addr;
	const char *device; /* [device NAME] */
	uint32_t class;	    /* for test stand-ins */
	int numa_node;	    /* -1 unknown */
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

	/* /dev/kvmfr0 exists (below the root): Looking Glass memory there, not in /dev/shm. */
	bool lg_kvmfr;
	/*
	 * audio = pipewire|pulseaudio: the audio user's runtime directory ("/run/user/1000",
	 * a host path; vm-audio.h resolves it). test_audiodev (tests only): this audiodev
	 * driver ("none") in place of the sound server, for machines that have none.
	 */
	const char *audio_runtime_dir;
	const char *test_audiodev;
};
