/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <inttypes.h>
#include <libkmod.h>
#include <stdarg.h>
#include <stdio.h>

#include "basic/strbuf.h"
#include "shared/platform.h"

static __thread char last_error[1024];

const char *platform_last_error(void)
{
	return last_error[0] ? last_error : "unknown error";
}

static int fail(const struct host *h, int r, const char *host_path, const char *fmt, ...)
    _printf_(4, 5);
static int fail(const struct host *h, int r, const char *host_path, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(last_error, sizeof(last_error), "%s%s: %s", path_cxt_root(h->pc), host_path, what);
	return r;
}

/* A fact the host model could not read: its error names the file already. */
static int fail_host(int r)
{
	snprintf(last_error, sizeof(last_error), "%s", host_last_error());
	return r;
}

const char *const platform_kmod_index_files[] = {
    "modules.dep",	 "modules.dep.bin",	"modules.alias",
    "modules.alias.bin", "modules.softdep",	"modules.symbols.bin",
    "modules.builtin",	 "modules.builtin.bin", "modules.builtin.alias.bin",
    "modules.devname",	 "modules.order",	NULL,
};

const char *check_status_to_string(enum check_status s)
{
	switch (s) {
	case CHECK_PASS:
		return "pass";
	case CHECK_WARN:
		return "warn";
	case CHECK_FAIL:
		return "fail";
	case CHECK_SKIP:
		return "skip";
	}
	return "unknown";
}

void check_report_done(struct check_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->results[i].detail);
		free(r->results[i].remedy);
	}
	free(r->results);
	r->results = NULL;
	r->n = 0;
}

bool check_report_failed(const struct check_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->results[i].status == CHECK_FAIL)
			return true;
	return false;
}

static int add(struct check_report *rep, const char *id, enum check_status st, const char *remedy,
	       const char *fmt, ...) _printf_(5, 6);
static int add(struct check_report *rep, const char *id, enum check_status st, const char *remedy,
	       const char *fmt, ...)
{
	struct check_result *n, *c;
	va_list ap;
	int k;

	n = realloc(rep->results, (rep->n + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	rep->results = n;
	c = &rep->results[rep->n++];
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->status = st;
	va_start(ap, fmt);
	k = vasprintf(&c->detail, fmt, ap);
	va_end(ap);
	if (k < 0) {
		c->detail = NULL;
		return -ENOMEM;
	}
	if (st != CHECK_PASS && st != CHECK_SKIP && remedy) {
		c->remedy = strdup(remedy);
		if (!c->remedy)
			return -ENOMEM;
	}
	return 0;
}

int check_report_add(struct check_report *rep, const char *id, enum check_status st,
		     const char *remedy, const char *fmt, ...)
{
	_cleanup_free_ char *d = NULL;
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vasprintf(&d, fmt, ap);
	va_end(ap);
	if (k < 0)
		return -ENOMEM;
	return add(rep, id, st, remedy, "%s", d);
}

static bool is_intel(const struct host *h)
{
	return streq_ptr(h->cpu_vendor, "GenuineIntel");
}

static int check_cpu(const struct host *h, struct check_report *rep)
{
	if (host_has_cpu_flag(h, "vmx"))
		return add(rep, "cpu-virt", CHECK_PASS, NULL,
			   "Intel VT-x: the CPU has the vmx flag");
	if (host_has_cpu_flag(h, "svm"))
		return add(rep, "cpu-virt", CHECK_PASS, NULL, "AMD-V: the CPU has the svm flag");
	return add(rep, "cpu-virt", CHECK_FAIL,
		   "Enable VT-x (Intel) or SVM (AMD) in the firmware setup, then power-cycle.",
		   "no vmx or svm flag in /proc/cpuinfo (%s)",
		   h->cpu_vendor ? h->cpu_vendor : "unknown CPU");
}

/*
 * /dev/kvm, /sys/firmware/efi and the module index are read here, through the path layer,
 * and not in the host model: only "check" asks, and host_load() would make every verb pay
 * for them (libkmod's index in particular). Everything else comes from struct host.
 */
static int check_kvm(const struct host *h, struct check_report *rep)
{
	int r = path_exists(h->pc, "/dev/kvm");

	if (r < 0)
		return fail(h, r, "/dev/kvm", "%s", strerror(-r));
	if (r > 0)
		return add(rep, "kvm", CHECK_PASS, NULL, "/dev/kvm exists");
	return add(rep, "kvm", CHECK_FAIL,
		   host_cpu_is_amd(h)
		       ? "Load kvm_amd (modprobe kvm_amd) after enabling SVM in the firmware."
		       : "Load kvm_intel (modprobe kvm_intel) after enabling VT-x in the firmware.",
		   "/dev/kvm is missing: KVM is not available");
}

static int check_iommu_firmware(const struct host *h, struct check_report *rep)
{
	const struct host_iommu *io;
	int r;

	r = host_iommu(h, &io);
	if (r < 0)
		return fail_host(r);
	if (io->acpi_dmar)
		return add(rep, "iommu-firmware", CHECK_PASS, NULL,
			   "the firmware describes an Intel VT-d IOMMU (ACPI DMAR table)");
	if (io->acpi_ivrs)
		return add(rep, "iommu-firmware", CHECK_PASS, NULL,
			   "the firmware describes an AMD-Vi IOMMU (ACPI IVRS table)");
	return add(rep, "iommu-firmware", CHECK_FAIL,
		   "Enable VT-d (Intel) or AMD-Vi/IOMMU (AMD) in the firmware setup.",
		   "no ACPI DMAR or IVRS table: the firmware does not expose an IOMMU");
}

static int check_iommu_kernel(const struct host *h, struct check_report *rep)
{
	if (h->n_groups > 0)
		return add(rep, "iommu-kernel", CHECK_PASS, NULL,
			   "the IOMMU is active: %zu IOMMU groups", h->n_groups);
	return add(rep, "iommu-kernel", CHECK_FAIL,
		   host_cpu_is_amd(h)
		       ? "Remove amd_iommu=off or iommu=off from the kernel command line and "
			 "enable the IOMMU in the firmware."
		       : "Add intel_iommu=on to the kernel command line (gpt-bootcfg apply "
			 "does) and enable VT-d in the firmware.",
		   "no IOMMU groups: the kernel is not using an IOMMU");
}

/* The verdict and its reason are the host model's (host_interrupt_remapping()). */
static int check_intremap(const struct host *h, struct check_report *rep)
{
	_cleanup_free_ char *v = NULL;
	struct intremap_verdict ir;
	bool unsafe = false;
	int r;

	r = host_interrupt_remapping(h, &ir);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return fail_host(r);
	if (host_cmdline_get(h, "vfio_iommu_type1.allow_unsafe_interrupts", &v) > 0)
		unsafe = streq(v, "1") || streq(v, "Y") || streq(v, "y") || streq(v, "");

	switch (ir.state) {
	case INTREMAP_ON:
		return add(rep, "interrupt-remapping", CHECK_PASS, NULL, "%s", ir.reason);
	case INTREMAP_OFF_CMDLINE:
		return add(rep, "interrupt-remapping", CHECK_FAIL,
			   "Remove intremap=off / nointremap from the kernel command line.", "%s",
			   ir.reason);
	case INTREMAP_UNSUPPORTED:
		return add(
		    rep, "interrupt-remapping", unsafe ? CHECK_WARN : CHECK_FAIL,
		    "Use hardware with interrupt remapping; "
		    "vfio_iommu_type1.allow_unsafe_interrupts=1 works but only for trusted guests.",
		    "%s%s", ir.reason,
		    unsafe ? "; allow_unsafe_interrupts=1 lets vfio assign devices anyway" : "");
	case INTREMAP_NO_IOMMU:
		break;
	}
	return add(rep, "interrupt-remapping", CHECK_FAIL,
		   "Enable the IOMMU first (see iommu-firmware and iommu-kernel).", "%s",
		   ir.reason);
}

static int check_uefi(const struct host *h, struct check_report *rep)
{
	_cleanup_free_ char *size = NULL;
	int r;

	r = path_exists(h->pc, "/sys/firmware/efi");
	if (r < 0)
		return fail(h, r, "/sys/firmware/efi", "%s", strerror(-r));
	if (r == 0)
		return add(rep, "uefi", CHECK_WARN,
			   "Switch the firmware to UEFI boot (CSM off); GPU option ROMs and OVMF "
			   "guests expect it.",
			   "the host booted in legacy BIOS mode");
	r = path_read_string(h->pc, &size, "/sys/firmware/efi/fw_platform_size");
	if (r < 0 && r != -ENOENT)
		return fail(h, r, "/sys/firmware/efi/fw_platform_size", "%s", strerror(-r));
	return add(rep, "uefi", CHECK_PASS, NULL, "the host booted with UEFI%s%s%s",
		   size ? " (" : "", size ? size : "", size ? "-bit firmware)" : "");
}

/* The boot stack apply works with (host.h): which initramfs generator, which boot loader. */
static int check_initramfs(const struct host *h, struct check_report *rep)
{
	const struct host_boot *b = &h->boot;

	if (startswith(b->initramfs_why, "assumed"))
		return add(rep, "initramfs", CHECK_WARN,
			   "Install initramfs-tools or dracut: apply rebuilds the initramfs with "
			   "it, and the claim runs from its image.",
			   "%s: %s", initramfs_gen_to_string(b->initramfs), b->initramfs_why);
	return add(rep, "initramfs", CHECK_PASS, NULL, "%s: %s",
		   initramfs_gen_to_string(b->initramfs), b->initramfs_why);
}

static int check_bootloader(const struct host *h, struct check_report *rep)
{
	const struct host_boot *b = &h->boot;

	if (startswith(b->loader_why, "assumed"))
		return add(rep, "bootloader", CHECK_WARN,
			   "apply writes the kernel parameters for GRUB (/etc/default/grub.d) or "
			   "systemd-boot (" KERNEL_CMDLINE_PATH ", kernel-install); install one.",
			   "%s: %s", boot_loader_to_string(b->loader), b->loader_why);
	if (b->loader == BOOT_LOADER_SYSTEMD_BOOT && !b->kernel_cmdline)
		return add(rep, "bootloader", CHECK_FAIL,
			   "Write the kernel's parameters (root=... and the rest, as in the "
			   "entries) to " KERNEL_CMDLINE_PATH ": kernel-install takes them from "
			   "there, and apply adds its own as a line of their own.",
			   "systemd-boot without " KERNEL_CMDLINE_PATH ": %s", b->loader_why);
	return add(rep, "bootloader", CHECK_PASS, NULL, "%s: %s", boot_loader_to_string(b->loader),
		   b->loader_why);
}

static int check_boot_vga(const struct host *h, struct check_report *rep)
{
	const struct pci_device *boot = NULL;
	size_t n_display = 0;

	for (size_t i = 0; i < h->n_pci; i++) {
		if (pci_class_is_display(h->pci[i].class))
			n_display++;
		if (h->pci[i].boot_vga && !boot)
			boot = &h->pci[i];
	}
	if (!boot)
		return add(
		    rep, "boot-vga", CHECK_WARN,
		    "Set the firmware's primary display (VGA priority) to the onboard device "
		    "if the host needs a console.",
		    "no device is marked as the boot VGA device (%zu display devices)", n_display);
	return add(rep, "boot-vga", CHECK_PASS, NULL,
		   "%s [%04x:%04x] is the boot VGA device (driver %s); %zu display devices",
		   boot->address, boot->vendor, boot->device, boot->driver ? boot->driver : "none",
		   n_display);
}

static const char *const cmdline_keys[] = {
    "intel_iommu",
    "amd_iommu",
    "iommu",
    "intremap",
    "vfio_pci.ids",
    "vfio_iommu_type1.allow_unsafe_interrupts",
    "pcie_acs_override",
    "modprobe.blacklist",
    "default_hugepagesz",
    "hugepagesz",
    "hugepages",
    "isolcpus",
    "kvm.ignore_msrs",
    NULL,
};

static int check_cmdline(const struct host *h, struct check_report *rep)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	_cleanup_free_ char *intel = NULL, *amd = NULL, *iommu = NULL;
	enum check_status st = CHECK_PASS;
	const char *remedy = NULL;
	int r;

	if (!h->cmdline)
		return add(rep, "cmdline", CHECK_WARN, "Check that /proc is mounted.",
			   "/proc/cmdline is missing: kernel parameters unknown");
	for (const char *const *k = cmdline_keys; *k; k++) {
		_cleanup_free_ char *v = NULL;

		r = host_cmdline_get(h, *k, &v);
		if (r < 0)
			return r;
		if (r > 0)
			strbuf_printf(&sb, "%s%s%s%s", sb.len ? " " : "", *k, *v ? "=" : "", v);
	}
	if (host_cmdline_get(h, "intel_iommu", &intel) < 0 ||
	    host_cmdline_get(h, "amd_iommu", &amd) < 0 || host_cmdline_get(h, "iommu", &iommu) < 0)
		return -ENOMEM;
	if ((intel && strstr(intel, "off")) || (amd && streq(amd, "off")) ||
	    (iommu && streq(iommu, "off"))) {
		st = CHECK_FAIL;
		remedy =
		    "Remove intel_iommu=off, amd_iommu=off or iommu=off from the kernel command "
		    "line.";
	} else if (host_cmdline_get(h, "pcie_acs_override", NULL) > 0) {
		st = CHECK_WARN;
		remedy = "Drop pcie_acs_override: it splits IOMMU groups without real isolation, "
			 "so devices may still reach each other by DMA.";
	} else if (is_intel(h) && !intel && h->n_groups == 0) {
		st = CHECK_FAIL;
		remedy = "Add intel_iommu=on (and iommu=pt) to the kernel command line.";
	}
	if (!strbuf_str(&sb))
		return -ENOMEM;
	return add(rep, "cmdline", st, remedy, "%s%s",
		   sb.len ? "in effect: " : "no passthrough-related kernel parameters",
		   strbuf_str(&sb));
}

static int check_hugepages(const struct host *h, struct check_report *rep)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	const struct host_hugepages *hp;
	uint64_t any = 0;
	int r;

	r = host_hugepages(h, &hp);
	if (r < 0)
		return fail_host(r);
	if (!hp->supported)
		return add(rep, "hugepages", CHECK_WARN,
			   "Use a kernel built with hugetlbfs (CONFIG_HUGETLBFS).",
			   "the kernel has no hugepage support (/sys/kernel/mm/hugepages missing)");
	for (size_t i = 0; i < hp->n_pools; i++) {
		const struct hugepage_pool *p = &hp->pools[i];

		strbuf_printf(&sb, "%s%" PRIu64 " kB: %" PRIu64 " total, %" PRIu64 " free",
			      sb.len ? "; " : "", p->size_kb, p->pages.nr, p->pages.free);
		any += p->pages.nr;
		if (p->pages.nr == 0)
			continue;
		for (size_t j = 0; j < p->n_nodes; j++)
			strbuf_printf(&sb, ", node%d %" PRIu64 "/%" PRIu64, p->nodes[j].node,
				      p->nodes[j].pages.free, p->nodes[j].pages.nr);
	}
	if (!strbuf_str(&sb))
		return -ENOMEM;
	if (any == 0)
		return add(
		    rep, "hugepages", CHECK_WARN,
		    "Reserve hugepages for VM memory (hugepagesz=1G hugepages=N on the kernel "
		    "command line; gpt-bootcfg apply sets them from the configuration).",
		    "no hugepages reserved%s%s%s", sb.len ? " (" : "",
		    sb.len ? strbuf_str(&sb) : "", sb.len ? ")" : "");
	return add(rep, "hugepages", CHECK_PASS, NULL, "%s", strbuf_str(&sb));
}

static void kmod_quiet(void *data _unused_, int priority _unused_, const char *file _unused_,
		       int line _unused_, const char *fn _unused_, const char *format _unused_,
		       va_list args _unused_)
{
}

static int check_vfio_pci(const struct host *h, struct check_report *rep)
{
	_cleanup_free_ char *dir = NULL, *c1 = NULL, *c2 = NULL;
	struct kmod_module *mod = NULL;
	struct kmod_ctx *ctx;
	const char *cfg[3];
	const char *where;
	enum check_status st;
	int r, loaded;

	if (!h->kernel_release)
		return add(
		    rep, "vfio-pci", CHECK_FAIL, "Check that /proc is mounted.",
		    "cannot tell: the kernel release (/proc/sys/kernel/osrelease) is unknown");
	r = path_exists(h->pc, "/lib/modules/%s/modules.dep.bin", h->kernel_release);
	if (r < 0)
		return r;
	if (r == 0)
		return add(
		    rep, "vfio-pci", CHECK_FAIL,
		    "Install the running kernel's modules (linux-image package) and run depmod.",
		    "no module index in /lib/modules/%s", h->kernel_release);
	if (path_prefix_follow(h->pc, &dir, "/lib/modules/%s", h->kernel_release) < 0 ||
	    path_prefix_follow(h->pc, &c1, "/etc/modprobe.d") < 0 ||
	    path_prefix_follow(h->pc, &c2, "/lib/modprobe.d") < 0)
		return -ENOMEM;
	/* The root's own configuration, never the machine we run on. */
	cfg[0] = c1;
	cfg[1] = c2;
	cfg[2] = NULL;
	ctx = kmod_new(dir, cfg);
	if (!ctx)
		return -ENOMEM;
	kmod_set_log_fn(ctx, kmod_quiet, NULL);
	/*
	 * A module has a path in modules.dep; a built-in one is in modules.builtin, which
	 * get_initstate() consults (in this root's index) before it would read /sys. Not
	 * kmod_module_new_from_name_lookup(): libkmod 30 exports it as LIBKMOD_5 and 31 on as
	 * LIBKMOD_30, so a binary linked against one fails to start with the other (Debian 12
	 * against Debian 13 and Ubuntu 24.04), and libkmod before 30 lacks it.
	 */
	r = kmod_module_new_from_name(ctx, "vfio_pci", &mod);
	if (r < 0) {
		kmod_unref(ctx);
		return fail(h, r, dir, "cannot read the module index: %s", strerror(-r));
	}
	if (kmod_module_get_path(mod))
		where = "a module of";
	else if (kmod_module_get_initstate(mod) == KMOD_MODULE_BUILTIN)
		where = "built into";
	else
		where = NULL;
	kmod_module_unref(mod);
	kmod_unref(ctx);
	if (!where)
		return add(rep, "vfio-pci", CHECK_FAIL,
			   "Use a kernel with CONFIG_VFIO_PCI (Debian's linux-image-amd64 has it).",
			   "vfio-pci is neither built into kernel %s nor a module",
			   h->kernel_release);

	loaded = path_exists(h->pc, "/sys/module/vfio_pci");
	if (loaded < 0)
		return loaded;
	st = CHECK_PASS;
	return add(rep, "vfio-pci", st, NULL, "vfio-pci is %s kernel %s%s", where,
		   h->kernel_release, loaded ? " and loaded" : "");
}

int platform_check(const struct host *h, struct check_report *ret)
{
	static int (*const checks[])(const struct host *, struct check_report *) = {
	    check_cpu,	     check_kvm,	     check_iommu_firmware, check_iommu_kernel,
	    check_intremap,  check_uefi,     check_boot_vga,	   check_cmdline,
	    check_hugepages, check_vfio_pci, check_initramfs,	   check_bootloader,
	};
	struct check_report rep = {};

	last_error[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(checks); i++) {
		int r = checks[i](h, &rep);

		if (r < 0) {
			if (!last_error[0])
				snprintf(last_error, sizeof(last_error), "%s", strerror(-r));
			check_report_done(&rep);
			return r;
		}
	}
	*ret = rep;
	return 0;
}
