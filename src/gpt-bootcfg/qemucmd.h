/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The QEMU command line for a [vm NAME] section. vmconfig.c validates the keys into a
 * struct vm_options (vm_config.runner); qemu_cmd_build() turns that plus the resolved
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

enum vm_disk_bus {
	VM_DISK_VIRTIO, /* virtio-blk-pci with its own iothread */
	VM_DISK_NVME,   /* emulated NVMe controller, one I/O queue pair per vCPU */
};

struct vm_disk {
	char *path;     /* image file or block device; NULL for nvme:// */
	char *format;   /* "raw" or "qcow2" */
	enum vm_disk_bus bus;
	char *cache;    /* "none" by default */
	char *aio;      /* "native" by default */
	bool nvme_host; /* nvme://ADDR/NS: QEMU's userspace NVMe driver on a vfio-bound controller */
	char nvme_addr[PCI_ADDR_STRLEN];
	unsigned nvme_namespace;
	unsigned line, col; /* of the value, for messages */
};

enum vm_firmware {
	VM_FIRMWARE_OVMF,
	VM_FIRMWARE_BIOS,
};

enum vm_network {
	VM_NET_NONE,
	VM_NET_USER,
	VM_NET_BRIDGE,
	VM_NET_TAP,
};

enum vm_spice {
	VM_SPICE_NONE,
	VM_SPICE_UNIX,     /* unix socket under VM_RUN_DIR, no ticketing (file mode guards it) */
	VM_SPICE_LOOPBACK, /* 127.0.0.1:PORT with a password file */
};

/* Per-device vfio-pci options from "device-options = NAME opt=value,...". */
struct vm_device_options {
	char *device;
	char **options;     /* "x-vga=on", validated names and values (bootindex not here) */
	unsigned bootindex; /* from bootindex=N; 0 = none */
	unsigned line, col; /* of the bootindex option, for messages */
};

/* One entry of "boot = ...": what the firmware tries, in this order. */
enum vm_boot_kind {
	VM_BOOT_DEVICE,  /* a passed-through [device NAME] */
	VM_BOOT_DISK,    /* every disk = image, in the order written */
	VM_BOOT_CDROM,   /* every cdrom =, in the order written */
	VM_BOOT_NETWORK, /* the emulated NIC (PXE/HTTP boot) */
};

struct vm_boot_item {
	enum vm_boot_kind kind;
	char *device; /* VM_BOOT_DEVICE only */
};

/* The emulated display SPICE shows. */
enum vm_display {
	VM_DISPLAY_NONE,       /* the passed-through GPU is the only display */
	VM_DISPLAY_VIRTIO_VGA, /* virtio-vga: Linux guests, Windows with viogpudo */
	VM_DISPLAY_QXL_VGA,    /* qxl-vga: Windows' QXL driver from virtio-win */
};

/* Where the guest's emulated sound card plays (vm-audio.h). */
enum vm_audio {
	VM_AUDIO_NONE,
	VM_AUDIO_SPICE,	     /* ich9-intel-hda + hda-duplex on a SPICE audiodev */
	VM_AUDIO_PIPEWIRE,   /* the same card on audio-user's PipeWire (its pulse server) */
	VM_AUDIO_PULSEAUDIO, /* the same card on audio-user's PulseAudio */
};

struct vm_options {
	char *cpu_model;   /* "host" */
	bool hyperv;       /* Hyper-V enlightenments for Windows guests */
	bool kvm_hidden;   /* kvm=off and a Hyper-V vendor id (NVIDIA's driver checks) */
	bool rtc_localtime;
	int numa_node;     /* -2 = from the first device that has one, -1 = none, >= 0 */
	char *hugepage_mount; /* "/dev/hugepages" */
	char *user;        /* the user QEMU runs as (vm-user.h), NULL = the default */

	struct vm_disk *disks;
	size_t n_disks;
	char **cdroms; /* strv of ISO paths */
	unsigned cdroms_line;

	enum vm_firmware firmware;
	char *ovmf_code; /* read-only code image */
	char *ovmf_vars; /* template copied once to VM_STATE_DIR/NAME/OVMF_VARS.fd */

	enum vm_network network;
	char *net_ifname; /* bridge or tap name */
	char *net_model;  /* "virtio-net-pci" */
	char *mac;        /* NULL = derived by QEMU */

	enum vm_spice spice;
	unsigned spice_port;
	char *spice_password_file;
	unsigned usb_redirect; /* number of SPICE usbredir channels */

	struct vm_device_options *devopts;
	size_t n_devopts;

	struct vm_boot_item *boot; /* "boot = ..."; NULL: the default order */
	size_t n_boot;
	unsigned boot_line, boot_col;

	enum vm_display display;
	enum vm_audio audio;
	char *audio_user; /* "audio-user =": whose sound server plays it; NULL: "user =" */
	unsigned audio_line, audio_col;		  /* of "audio", 0 when not set */
	unsigned audio_user_line, audio_user_col; /* of "audio-user", 0 when not set */

	char *machine; /* "machine = pc-q35-7.2"; NULL: pinned at the first vm run */
	char *uuid;    /* "uuid = ..."; NULL: generated at the first vm run */

	char **extra_args; /* appended verbatim */
	unsigned stop_timeout; /* seconds vm stop waits for the guest to power off */

	/* Positions for errors found later against the host. */
	unsigned vcpu_pins_line, vcpu_pins_col;
	unsigned emulator_cpus_line, emulator_cpus_col;
	unsigned memory_line, memory_col;
	unsigned devices_line, devices_col;
	unsigned user_line, user_col; /* 0 when "user" is not set */
};

static inline const struct vm_options *vm_options(const struct vm_config *vm)
{
	return vm->runner;
}

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

	/*
	 * audio = pipewire|pulseaudio: the audio user's runtime directory ("/run/user/1000",
	 * a host path; vm-audio.h resolves it). test_audiodev (tests only): this audiodev
	 * driver ("none") in place of the sound server, for machines that have none.
	 */
	const char *audio_runtime_dir;
	const char *test_audiodev;
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
