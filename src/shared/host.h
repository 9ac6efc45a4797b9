/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The host model: everything gpt-bootcfg knows about a machine, read once through the
 * root-prefix path layer (see path.h). The generator, the VM runner, "list" and "check"
 * all work from this snapshot instead of reading sysfs themselves.
 *
 * Loading is strict about the tree's shape and lenient about optional facts: a --root
 * that has no /sys/bus/pci/devices is an error (-ENOTDIR with a clear message from the
 * CLI), while a missing optional attribute (reset_method, boot_vga on old kernels) is
 * simply absent. A present attribute with garbage in it is an error that names the path
 * (host_last_error()).
 *
 * The IOMMU units and the hugepage pools are read at host_load() too, but garbage there
 * fails only the verbs that use them ("list" still works on such a tree): the error is kept
 * and returned by their accessors, host_iommu() and host_hugepages().
 */

#include <stdbool.h>
#include <stdint.h>

#include "basic/path.h"
#include "basic/pci.h"
#include "shared/initramfs.h"

struct block_device;

struct pci_device {
	char address[PCI_ADDR_STRLEN]; /* "0000:65:00.0" */
	struct pci_addr addr;
	char
	    *syspath; /* canonical host path, "/sys/devices/pci0000:64/0000:64:00.0/0000:65:00.0" */

	uint16_t vendor, device;
	uint16_t subsystem_vendor, subsystem_device;
	uint32_t class; /* 24-bit, 0x030000 */
	uint8_t revision;

	char *driver;	       /* bound driver name, NULL when unbound */
	char *driver_module;   /* the module of that driver ("xhci_pci" for xhci_hcd); NULL
				* when unbound or built in (no driver/module link) */
	char *driver_override; /* NULL when unset ("(null)" in sysfs) */
	char *modalias;	       /* "pci:v000010DEd00001C03sv...", as the kernel builds it */
	bool boot_vga;	       /* boot_vga attribute is 1 */
	char **reset_methods;  /* strv from reset_method, empty when none/absent */
	int numa_node;	       /* -1 when the host has no NUMA information */
	int iommu_group;       /* -1 without an IOMMU */
	bool is_bridge;	       /* class 06xxxx */

	struct pci_device *parent; /* upstream PCI bridge, NULL on the root bus */

	/* Block devices (whole disks) whose nearest PCI ancestor is this device. */
	struct block_device **disks;
	size_t n_disks;

	char *name; /* "NVIDIA Corporation GP106 [GeForce GTX 1060 6GB]", see host_load_names() */
	char *class_name; /* "VGA compatible controller", see host_load_names() */
};

struct iommu_group {
	int id;
	struct pci_device **devices; /* sorted by address */
	size_t n_devices;
};

/* One use of a block device that makes it host-critical or at least "in use". */
enum block_use_kind {
	BLOCK_USE_MOUNT,  /* mounted filesystem; "what" is the mount point */
	BLOCK_USE_SWAP,	  /* active swap */
	BLOCK_USE_HOLDER, /* held by dm/md/LVM; "what" is the holder name ("dm-0") */
};

struct block_use {
	enum block_use_kind kind;
	char *what;
	char *partition; /* partition name carrying the use, NULL for the whole disk */
};

/* A partition of a whole disk, with its own device number and content. */
struct block_partition {
	char *name; /* "nvme0n1p1" */
	unsigned major, minor;
	char *fstype; /* may be NULL */
	char *label;  /* may be NULL */
};

struct block_device {
	char *name;    /* "nvme0n1" (whole disks only; partitions are folded in) */
	char *syspath; /* canonical host path */
	unsigned major, minor;
	struct pci_device *pci; /* nearest PCI ancestor, NULL for virtual devices */

	char **partitions; /* strv of partition names */

	/* Content, from libblkid on the prefixed device node or the udev database. */
	char *fstype; /* of the first partition or the disk that has one; may be NULL */
	char *label;

	struct block_use *uses;
	size_t n_uses;

	/* Same partitions as "partitions", with device numbers and per-partition content. */
	struct block_partition *parts;
	size_t n_parts;
	char *disk_fstype; /* content of the whole disk itself (no partition table), or NULL */
	char *disk_label;
	/* Content came from libblkid on a device node (not from the udev database). */
	bool content_probed;
};

struct mount_entry {
	unsigned major, minor;
	char *target; /* "/boot/efi" */
	char *source; /* "/dev/nvme0n1p1" */
	char *fstype;
	char *options; /* super block options ("rw,pagesize=2M"), "" if none */
};

/* An IOMMU unit the kernel registered, /sys/class/iommu/NAME. */
enum iommu_unit_kind {
	IOMMU_UNIT_OTHER, /* e.g. virtio-iommu, an ARM SMMU */
	IOMMU_UNIT_DMAR,  /* Intel VT-d, "dmar0" */
	IOMMU_UNIT_IVHD,  /* AMD-Vi, "ivhd0" */
};

/* VT-d extended capability register bit 3: IR, interrupt remapping support. */
#define DMAR_ECAP_IR (UINT64_C(1) << 3)

struct iommu_unit {
	char *name;
	enum iommu_unit_kind kind;
	uint64_t ecap; /* DMAR units: intel-iommu/ecap; 0 for the others */
};

struct host_iommu {
	bool acpi_dmar; /* the firmware describes an Intel IOMMU (/sys/firmware/acpi/tables/DMAR) */
	bool acpi_ivrs; /* ... an AMD IOMMU (IVRS) */
	struct iommu_unit *units; /* sorted by name (version order); none without the class */
	size_t n_units;
};

struct hugepage_count {
	uint64_t nr;	  /* nr_hugepages: the pool's size */
	uint64_t free;	  /* free_hugepages */
	uint64_t surplus; /* surplus_hugepages; 0 when the file is absent */
};

struct hugepage_node_pool {
	int node;
	struct hugepage_count pages; /* /sys/devices/system/node/nodeN/hugepages/hugepages-SIZEkB */
};

struct hugepage_pool {
	uint64_t size_kb;	     /* page size, from the directory name "hugepages-2048kB" */
	struct hugepage_count pages; /* /sys/kernel/mm/hugepages/hugepages-SIZEkB */
	struct hugepage_node_pool *nodes; /* the nodes that have this size, by node number */
	size_t n_nodes;
};

struct host_hugepages {
	bool supported;		     /* /sys/kernel/mm/hugepages exists (CONFIG_HUGETLBFS) */
	struct hugepage_pool *pools; /* in the kernel's directory order (smallest first) */
	size_t n_pools;
};

/* The boot loader that starts the kernel (docs/trial-boot.md). */
enum boot_loader {
	BOOT_LOADER_GRUB,
	BOOT_LOADER_SYSTEMD_BOOT,
};

/* systemd's vendor GUID of the boot loader interface's EFI variables (LoaderInfo, ...). */
#define SYSTEMD_EFI_VENDOR "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
/* What kernel-install writes into the entries of a systemd-boot host (kernel-install(8)). */
#define KERNEL_CMDLINE_PATH "/etc/kernel/cmdline"

/*
 * The boot stack, from the root's files (host_boot_detect()):
 *  - initramfs: dracut when it is installed (/usr/bin/dracut) and initramfs-tools is not
 *    (/usr/sbin/mkinitramfs), initramfs-tools the other way round; both installed: the one
 *    that built the running kernel's image (initramfs_generator()); neither: initramfs-tools;
 *  - loader: systemd-boot when loader/loader.conf is on /efi, /boot/efi or /boot and GRUB is
 *    not there (/etc/default/grub, update-grub, grub-mkconfig, grub.cfg), GRUB the other way
 *    round; both: systemd-boot when the LoaderInfo EFI variable (set by systemd-boot) says it
 *    started this boot; neither: GRUB.
 * Each choice comes with its reason, one sentence for plan and check.
 */
struct host_boot {
	enum initramfs_gen initramfs; /* INITRAMFS_GEN_TOOLS or INITRAMFS_GEN_DRACUT */
	char *initramfs_why;
	enum boot_loader loader;
	char *loader_why;
	char *esp;	     /* the directory with loader/loader.conf ("/boot/efi"), or NULL */
	bool kernel_cmdline; /* KERNEL_CMDLINE_PATH exists */
	char *loader_info;   /* LoaderInfo ("systemd-boot 252.39-1~deb12u2"), NULL when unset */
	char *loader_entry;  /* LoaderEntrySelected: the entry systemd-boot booted, or NULL */
};

/* "grub", "systemd-boot" (plan --json's "bootloader"). */
const char *boot_loader_to_string(enum boot_loader l);

/*
 * Detect the boot stack below the root; kernel_release (may be NULL) names the running
 * kernel, whose image decides when both generators are installed. -errno on failure.
 */
int host_boot_detect(struct path_cxt *pc, const char *kernel_release, struct host_boot *ret);
void host_boot_done(struct host_boot *b);

/*
 * One of systemd's boot loader variables (SYSTEMD_EFI_VENDOR) from the root's efivarfs,
 * as ASCII ('?' for anything else): "LoaderInfo", "LoaderEntrySelected",
 * "LoaderEntryOneShot". -ENOENT when unset.
 */
int host_efi_var(struct path_cxt *pc, const char *name, char **ret);

/*
 * One logical CPU of the host (/sys/devices/system/cpu/cpuN), for CPU placement. Offline
 * CPUs keep their number but the kernel hides most of their topology: what is missing is -1.
 */
struct host_cpu {
	unsigned id;
	bool online;
	int package; /* topology/physical_package_id, -1 unknown */
	int die;     /* topology/die_id (0 on kernels before 5.3 without it), -1 unknown */
	int core;    /* topology/core_id: unique within a package (and die), not host-wide */
	int node;    /* the NUMA node whose cpulist has it, -1 without NUMA information */
	int l3;	     /* the L3 cache's id (cache/indexN with level 3), else the lowest CPU of its
		      * shared_cpu_list; -1 without an L3 */
	unsigned *siblings; /* topology/thread_siblings_list, sorted, itself included; just
			     * itself when unknown */
	size_t n_siblings;
};

/* The CPUs of the host, by number (host_topology()). */
struct host_topology {
	struct host_cpu *cpus; /* sorted by id: every cpuN directory, online or not */
	size_t n_cpus;
};

struct host {
	struct path_cxt *pc; /* borrowed, must outlive the host */
	unsigned skip;	     /* HOST_SKIP_* the host was loaded with */

	struct pci_device *pci; /* sorted by address */
	size_t n_pci;
	struct iommu_group *groups; /* sorted by id; empty when the IOMMU is off */
	size_t n_groups;
	struct block_device *blocks; /* whole disks, sorted by name */
	size_t n_blocks;
	struct mount_entry *mounts;
	size_t n_mounts;
	char **swaps; /* device paths from /proc/swaps */

	char *cpu_vendor;     /* "GenuineIntel", "AuthenticAMD", NULL if unknown */
	char **cpu_flags;     /* flags of the first processor in /proc/cpuinfo */
	unsigned n_cpus;      /* possible CPUs (/sys/devices/system/cpu/possible) */
	char *cmdline;	      /* /proc/cmdline, stripped */
	char *kernel_release; /* /proc/sys/kernel/osrelease */
	uint64_t mem_total;   /* bytes, MemTotal of /proc/meminfo; 0 if unknown */
	char
	    *default_route_dev; /* interface of the IPv4 default route (/proc/net/route), or NULL */

	/*
	 * Online CPUs as the kernel writes them ("0-7"): /sys/devices/system/cpu/online, or
	 * .../possible on trees without the former (snapshots of hosts without CPU hotplug);
	 * cpus_online_path names the file read. NULL when there is neither.
	 */
	char *cpus_online;
	const char *cpus_online_path;
	/* Online NUMA nodes (/sys/devices/system/node/online, sorted); none when unknown. */
	unsigned *nodes_online;
	size_t n_nodes_online;

	/* Through host_iommu() and host_hugepages(): *_error is the -errno of reading them. */
	struct host_iommu iommu;
	int iommu_error;
	char *iommu_error_msg;
	struct host_hugepages hugepages;
	int hugepages_error;
	char *hugepages_error_msg;
	struct host_topology topology;
	int topology_error;
	char *topology_error_msg;

	struct host_boot boot; /* the initramfs generator and the boot loader */
};

/*
 * Read the whole host. On failure, host_last_error() names the path and the problem
 * ("/sys/bus/pci/devices/0000:00:01.0/vendor: not a hexadecimal number").
 */
int host_load(struct path_cxt *pc, struct host **ret);

/*
 * What a verb that prints only part of the model may leave unread (issue 31: "list" on a
 * thousand devices). A skipped fact keeps its "unknown" value (numa_node -1).
 */
enum {
	HOST_SKIP_PCI_NUMA = 1u << 0, /* each device's numa_node: one open, read, close */
};

/* host_load() without the facts in skip (HOST_SKIP_*). */
int host_load_skip(struct path_cxt *pc, unsigned skip, struct host **ret);
void host_free(struct host *h);
static inline void host_freep(struct host **h)
{
	if (*h)
		host_free(*h);
}
#define _cleanup_host_ _cleanup_(host_freep)

/* True if any use (mount, swap, holder) is recorded on the disk or its partitions. */
static inline bool block_device_in_use(const struct block_device *b)
{
	return b->n_uses > 0;
}

/* Human-readable description of the last host_load() failure in this thread. */
const char *host_last_error(void);

/*
 * Fill pci_device.name and class_name for every device from libpci's pci.ids: the root's
 * copy (ROOT/usr/share/misc/pci.ids) if it has one, libpci's default otherwise.
 */
int host_load_names(struct host *h);

/*
 * The prefixed path of the root's pci.ids: 1 and *ret set when the root has one, 0 when
 * it does not (libpci's default is used then).
 */
int host_pci_ids_path(struct path_cxt *pc, char **ret);

/* Lookups; NULL when absent. */
struct pci_device *host_find_pci(const struct host *h, const struct pci_addr *addr);
/* The same by a textual address ("65:00.0", "0000:65:00.0"); NULL when it is not one. */
struct pci_device *host_find_pci_address(const struct host *h, const char *address);
struct iommu_group *host_find_group(const struct host *h, int id);
struct block_device *host_find_block(const struct host *h, const char *name);

/*
 * The mount a host path is on: the last mount (mountinfo lists a mount over another after
 * it) whose target is the path or one of its parent directories. Symlinks are not
 * followed. NULL when nothing, not even "/", matches.
 */
const struct mount_entry *host_find_mount(const struct host *h, const char *path);

/* The device's upstream network interface names (from .../net/), strv; empty if none. */
int host_pci_net_interfaces(const struct host *h, const struct pci_device *d, char ***ret);

/* True if the CPU has the flag (e.g. "vmx"). */
bool host_has_cpu_flag(const struct host *h, const char *flag);

/*
 * Look up a kernel command line parameter (last occurrence wins, as in the kernel).
 * Returns 1 and a newly allocated value in *ret_value ("" for a bare flag) when present,
 * 0 when absent (ret_value untouched), -errno on failure. ret_value may be NULL.
 */
int host_cmdline_get(const struct host *h, const char *key, char **ret_value);

/* Functions of the same slot as d (including d), sorted by function number. */
size_t host_slot_functions(const struct host *h, const struct pci_device *d,
			   struct pci_device **ret, size_t max);

/*
 * /proc/cmdline as host_load() reads it (h->cmdline, trailing white space dropped), for a
 * verb that needs nothing else of the host ("confirm" at boot). -ENOENT when absent.
 */
int host_read_cmdline(struct path_cxt *pc, char **ret);

/* True for AMD's and Hygon's CPUs (AMD-V, AMD-Vi). */
bool host_cpu_is_amd(const struct host *h);

/*
 * Whether the kernel reserves boot-time hugepages per NUMA node ("hugepages=0:8,1:8"),
 * which Linux does since 5.14; false when the release is unknown.
 */
bool host_kernel_has_node_hugepages(const struct host *h);

/*
 * The IOMMU tables and units read at host_load(). 0 and *ret set; or the -errno of reading
 * them (garbage in an ecap register), with host_last_error() naming the file.
 */
int host_iommu(const struct host *h, const struct host_iommu **ret);

/*
 * The CPU topology read at host_load() (host-topology.c), as host_iommu(): garbage in a
 * topology or cache file fails only the verbs that place CPUs. A tree without cpuN
 * directories gives an empty topology (n_cpus 0): "unknown", not an error.
 */
int host_topology(const struct host *h, const struct host_topology **ret);

/* The CPU numbered id, NULL when the host has no such CPU. */
const struct host_cpu *host_topology_cpu(const struct host_topology *t, unsigned id);

/* The hugepage pools read at host_load(), as host_iommu(). */
int host_hugepages(const struct host *h, const struct host_hugepages **ret);

/*
 * Read the hugepage pools again, for a verb that must see them as they are now: the VM
 * runner's prepare hooks may reserve pages after host_load(). -ENOMEM only; a read error
 * is kept for host_hugepages() as at host_load().
 */
int host_reload_hugepages(struct host *h);

/*
 * The pool of one page size (bytes), host-wide (node < 0) or on one NUMA node; NULL when
 * the host has no such pool.
 */
const struct hugepage_count *host_hugepage_count(const struct host_hugepages *hp, uint64_t size,
						 int node);

/*
 * Interrupt remapping keeps an assigned device from sending arbitrary MSIs into the host;
 * without it vfio_iommu_type1 refuses devices unless allow_unsafe_interrupts=1. The one
 * verdict "check" reports and the planner refuses on, from what stays visible after boot
 * (not dmesg):
 *  - the kernel command line can switch it off (intremap=off, nointremap);
 *  - Intel: the kernel enables remapping only when every DMAR unit has the IR bit in its
 *    extended capability register, so one unit without it means no remapping;
 *  - AMD: every AMD-Vi implementation remaps interrupts, so an active AMD IOMMU (an ivhd
 *    unit, or an AMD CPU with IOMMU groups) has it.
 */
enum intremap_state {
	INTREMAP_ON,
	INTREMAP_OFF_CMDLINE, /* intremap=off or nointremap */
	INTREMAP_UNSUPPORTED, /* a DMAR unit lacks the IR bit */
	INTREMAP_NO_IOMMU,    /* no active IOMMU unit: nothing to tell (or to remap with) */
};

struct intremap_verdict {
	enum intremap_state state;
	size_t n_dmar;	  /* DMAR units */
	size_t n_ir;	  /* of which with the IR bit */
	char reason[128]; /* one line for "check": "supported by all 2 DMAR units (ecap IR bit) ..."
			   */
};

/* The verdict; -errno when the IOMMU units could not be read (host_iommu()). */
int host_interrupt_remapping(const struct host *h, struct intremap_verdict *ret);
