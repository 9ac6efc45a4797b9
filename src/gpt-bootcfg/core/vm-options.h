/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * [vm NAME] sections: the contract between the generator (which parses the config file,
 * sizes hugepages, isolates CPUs and enables units) and the VM runner (which builds and
 * runs the QEMU command). Types only: conf/vmconfig.c fills them, the features
 * (features/table.h) own the parts they parse.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/cpulist.h"
#include "basic/pci.h"

struct config_section;
struct config;
struct vm_options;

struct vm_config {
	char *name;
	uint64_t memory;	/* bytes */
	uint64_t hugepage_size; /* bytes; 0 = no hugepages */
	unsigned vcpus;
	unsigned sockets, cores, threads;
	struct cpu_set_list vcpu_pins; /* host CPU for vCPU i, empty = no pinning */
	struct cpu_set_list emulator_cpus;
	/* "auto": vcpu_pins/emulator_cpus are filled from the host's topology once it is read
	 * (core/placement-config.h); placement_why says why, for plan. */
	bool vcpu_pins_auto, emulator_cpus_auto;
	char **placement_why;
	char **devices; /* names of [device NAME] sections, strv */
	bool autostart;
	/* Further keys (disks, firmware, network, ...): what the VM runner needs. */
	struct vm_options *options;
};

enum vm_disk_bus {
	VM_DISK_VIRTIO, /* virtio-blk-pci with its own iothread */
	VM_DISK_NVME,	/* emulated NVMe controller, one I/O queue pair per vCPU */
};

struct vm_disk {
	char *path;   /* image file or block device; NULL for nvme:// */
	char *format; /* "raw" or "qcow2" */
	enum vm_disk_bus bus;
	char *cache; /* "none" by default */
	char *aio;   /* "native" by default */
	bool
	    nvme_host; /* nvme://ADDR/NS: QEMU's userspace NVMe driver on a vfio-bound controller */
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
	VM_SPICE_UNIX,	   /* unix socket under VM_RUN_DIR, no ticketing (file mode guards it) */
	VM_SPICE_LOOPBACK, /* 127.0.0.1:PORT with a password file */
};

/* Per-device vfio-pci options from "device-options = NAME opt=value,...". */
struct vm_device_options {
	char *device;
	char **options;	    /* "x-vga=on", validated names and values (bootindex not here) */
	unsigned bootindex; /* from bootindex=N; 0 = none */
	unsigned line, col; /* of the bootindex option, for messages */
	unsigned romfile_line, romfile_col; /* of the romfile value, 0 when none */
};

/* One entry of "boot = ...": what the firmware tries, in this order. */
enum vm_boot_kind {
	VM_BOOT_DEVICE,	 /* a passed-through [device NAME] */
	VM_BOOT_DISK,	 /* every disk = image, in the order written */
	VM_BOOT_CDROM,	 /* every cdrom =, in the order written */
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
	char *cpu_model; /* "host" */
	bool hyperv;	 /* Hyper-V enlightenments for Windows guests */
	bool kvm_hidden; /* kvm=off and a Hyper-V vendor id (NVIDIA's driver checks) */
	bool rtc_localtime;
	int numa_node;	      /* VM_NUMA_NODE_AUTO (vm-numa.h), -1 = none, >= 0 */
	char *hugepage_mount; /* "/dev/hugepages" */
	char *user;	      /* the user QEMU runs as (vm-user.h), NULL = the default */

	struct vm_disk *disks;
	size_t n_disks;
	char **cdroms;			  /* strv of ISO paths */
	unsigned cdroms_line, cdroms_col; /* of the first cdrom = */

	enum vm_firmware firmware;
	char *ovmf_code; /* read-only code image */
	char *ovmf_vars; /* template copied once to VM_STATE_DIR/NAME/OVMF_VARS.fd */
	unsigned ovmf_code_line, ovmf_code_col; /* 0: the default */

	enum vm_network network;
	char *net_ifname; /* bridge or tap name */
	char *net_model;  /* "virtio-net-pci" */
	char *mac;	  /* NULL = derived by QEMU */

	enum vm_spice spice;
	unsigned spice_port;
	char *spice_password_file;
	unsigned spice_password_line, spice_password_col;
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

	char **extra_args;     /* appended verbatim */
	unsigned stop_timeout; /* seconds vm stop waits for the guest to power off */

	/* Positions for errors found later against the host. */
	unsigned vcpu_pins_line, vcpu_pins_col;
	unsigned emulator_cpus_line, emulator_cpus_col;
	unsigned memory_line, memory_col;
	unsigned devices_line, devices_col;
	unsigned user_line, user_col; /* 0 when "user" is not set */

	struct vm_gaming *gaming; /* Looking Glass, input, usb-devices (vm-gamedev.h); NULL: none */
	struct vm_win11 *win11;	  /* tpm, secure-boot, os (features/win11-keys.h); NULL: none */
	/*
	 * The hand-off of a handover = yes device (features/handover.h): the display manager
	 * stopped while the VM runs (NULL: display-manager.service), and how long the VM may
	 * take to run before the host gets it all back (0: the default).
	 */
	char *display_manager;
	unsigned handover_timeout;
};

static inline const struct vm_options *vm_options(const struct vm_config *vm)
{
	return vm->options;
}
