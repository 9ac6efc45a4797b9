/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <inttypes.h>
#include <libkmod.h>
#include <stdarg.h>
#include <stdio.h>

#include "platform.h"
#include "strbuf.h"

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
	snprintf(last_error, sizeof(last_error), "%s%s: %s", path_cxt_root(h->pc), host_path,
		 what);
	return r;
}

const char *const platform_kmod_index_files[] = {
	"modules.dep",	   "modules.dep.bin",	 "modules.alias",	  "modules.alias.bin",
	"modules.softdep", "modules.symbols.bin", "modules.builtin",	  "modules.builtin.bin",
	"modules.builtin.alias.bin", "modules.devname", "modules.order", NULL,
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

static int add(struct check_report *rep, const char *id, enum check_status st,
	       const char *remedy, const char *fmt, ...) _printf_(5, 6);
static int add(struct check_report *rep, const char *id, enum check_status st,
	       const char *remedy, const char *fmt, ...)
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
	if (st != CHECK_PASS && remedy) {
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

static bool is_amd(const struct host *h)
{
	return streq_ptr(h->cpu_vendor, "AuthenticAMD") || streq_ptr(h->cpu_vendor, "HygonGenuine");
}

static int check_cpu(const struct host *h, struct check_report *rep)
{
	if (host_has_cpu_flag(h, "vmx"))
		return add(rep, "cpu-virt", CHECK_PASS, NULL, "Intel VT-x: the CPU has the vmx flag");
	if (host_has_cpu_flag(h, "svm"))
		return add(rep, "cpu-virt", CHECK_PASS, NULL, "AMD-V: the CPU has the svm flag");
	return add(rep, "cpu-virt", CHECK_FAIL,
		   "Enable VT-x (Intel) or SVM (AMD) in the firmware setup, then power-cycle.",
		   "no vmx or svm flag in /proc/cpuinfo (%s)", h->cpu_vendor ? h->cpu_vendor : "unknown CPU");
}

static int check_kvm(const struct host *h, struct check_report *rep)
{
	int r = path_exists(h->pc, "/dev/kvm");

	if (r < 0)
		return fail(h, r, "/dev/kvm", "%s", strerror(-r));
	if (r > 0)
		return add(rep, "kvm", CHECK_PASS, NULL, "/dev/kvm exists");
	return add(rep, "kvm", CHECK_FAIL,
		   is_amd(h) ? "Load kvm_amd (modprobe kvm_amd) after enabling SVM in the firmware."
			     : "Load kvm_intel (modprobe kvm_intel) after enabling VT-x in the firmware.",
		   "/dev/kvm is missing: KVM is not available");
}

static int check_iommu_firmware(const struct host *h, struct check_report *rep)
{
	int dmar, ivrs;

	dmar = path_exists(h->pc, "/sys/firmware/acpi/tables/DMAR");
	if (dmar < 0)
		return fail(h, dmar, "/sys/firmware/acpi/tables/DMAR", "%s", strerror(-dmar));
	ivrs = path_exists(h->pc, "/sys/firmware/acpi/tables/IVRS");
	if (ivrs < 0)
		return fail(h, ivrs, "/sys/firmware/acpi/tables/IVRS", "%s", strerror(-ivrs));
	if (dmar > 0)
		return add(rep, "iommu-firmware", CHECK_PASS, NULL,
			   "the firmware describes an Intel VT-d IOMMU (ACPI DMAR table)");
	if (ivrs > 0)
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
		   is_amd(h) ? "Remove amd_iommu=off or iommu=off from the kernel command line and "
			       "enable the IOMMU in the firmware."
			     : "Add intel_iommu=on to the kernel command line (gpt-bootcfg apply "
			       "does) and enable VT-d in the firmware.",
		   "no IOMMU groups: the kernel is not using an IOMMU");
}

/*
 * Interrupt remapping keeps an assigned device from sending arbitrary MSIs into the host;
 * without it vfio_iommu_type1 refuses to assign devices unless allow_unsafe_interrupts=1.
 * dmesg would tell whether the kernel enabled it, but it is gone after a while and not part
 * of a host tree, so we decide from what stays visible:
 *  - the kernel command line can switch it off (intremap=off, nointremap);
 *  - Intel: every DMAR unit's extended capability register (intel-iommu/ecap) has bit 3
 *    (IR) set when the hardware supports it; the kernel enables remapping only when all
 *    units support it, so one unit without IR means no remapping;
 *  - AMD: interrupt remapping is part of every AMD-Vi implementation, so an active AMD
 *    IOMMU (ivhd units, or an IVRS table with IOMMU groups) has it.
 */
static int check_intremap(const struct host *h, struct check_report *rep)
{
	_cleanup_strv_free_ char **units = NULL;
	_cleanup_free_ char *v = NULL;
	size_t n_dmar = 0, n_ir = 0, n_ivhd = 0;
	bool unsafe = false;
	int r;

	r = host_cmdline_get(h, "intremap", &v);
	if (r < 0)
		return r;
	if ((r > 0 && streq(v, "off")) || host_cmdline_get(h, "nointremap", NULL) > 0)
		return add(rep, "interrupt-remapping", CHECK_FAIL,
			   "Remove intremap=off / nointremap from the kernel command line.",
			   "interrupt remapping is switched off on the kernel command line");
	free(TAKE_PTR(v));
	if (host_cmdline_get(h, "vfio_iommu_type1.allow_unsafe_interrupts", &v) > 0)
		unsafe = streq(v, "1") || streq(v, "Y") || streq(v, "y") || streq(v, "");

	r = path_list_dir(h->pc, &units, "/sys/class/iommu");
	if (r < 0 && r != -ENOENT)
		return fail(h, r, "/sys/class/iommu", "%s", strerror(-r));
	STRV_FOREACH(u, units)
	{
		char p[256];
		uint64_t ecap;

		if (startswith(*u, "ivhd")) {
			n_ivhd++;
			continue;
		}
		if (!startswith(*u, "dmar"))
			continue;
		n_dmar++;
		snprintf(p, sizeof(p), "/sys/class/iommu/%s/intel-iommu/ecap", *u);
		r = path_read_hex(h->pc, &ecap, "%s", p);
		if (r == -EBADMSG)
			return fail(h, r, p, "not a hexadecimal number");
		if (r == -ENOENT)
			return fail(h, r, p, "missing attribute");
		if (r < 0)
			return fail(h, r, p, "%s", strerror(-r));
		if (ecap & (UINT64_C(1) << 3))
			n_ir++;
	}

	if (n_dmar == 1 && n_ir == 1)
		return add(rep, "interrupt-remapping", CHECK_PASS, NULL,
			   "supported by the DMAR unit (ecap IR bit) and not disabled");
	if (n_dmar > 0 && n_ir == n_dmar)
		return add(rep, "interrupt-remapping", CHECK_PASS, NULL,
			   "supported by all %zu DMAR units (ecap IR bit) and not disabled", n_dmar);
	if (n_dmar > 0)
		return add(rep, "interrupt-remapping",
			   unsafe ? CHECK_WARN : CHECK_FAIL,
			   "Use hardware with interrupt remapping; "
			   "vfio_iommu_type1.allow_unsafe_interrupts=1 works but only for trusted guests.",
			   "%zu of %zu DMAR units lack interrupt remapping (ecap IR bit)%s",
			   n_dmar - n_ir, n_dmar,
			   unsafe ? "; allow_unsafe_interrupts=1 lets vfio assign devices anyway" : "");
	if (n_ivhd > 0 || (is_amd(h) && h->n_groups > 0))
		return add(rep, "interrupt-remapping", CHECK_PASS, NULL,
			   "AMD-Vi provides interrupt remapping and it is not disabled");
	return add(rep, "interrupt-remapping", CHECK_FAIL,
		   "Enable the IOMMU first (see iommu-firmware and iommu-kernel).",
		   "no active IOMMU unit in /sys/class/iommu, so no interrupt remapping");
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
		return add(rep, "boot-vga", CHECK_WARN,
			   "Set the firmware's primary display (VGA priority) to the onboard device "
			   "if the host needs a console.",
			   "no device is marked as the boot VGA device (%zu display devices)", n_display);
	return add(rep, "boot-vga", CHECK_PASS, NULL,
		   "%s [%04x:%04x] is the boot VGA device (driver %s); %zu display devices",
		   boot->address, boot->vendor, boot->device, boot->driver ? boot->driver : "none",
		   n_display);
}

static const char *const cmdline_keys[] = {
	"intel_iommu", "amd_iommu", "iommu", "intremap", "vfio_pci.ids",
	"vfio_iommu_type1.allow_unsafe_interrupts", "pcie_acs_override", "modprobe.blacklist",
	"default_hugepagesz", "hugepagesz", "hugepages", "isolcpus", "kvm.ignore_msrs", NULL,
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
		remedy = "Remove intel_iommu=off, amd_iommu=off or iommu=off from the kernel command "
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

static int read_u64_attr(const struct host *h, const char *p, uint64_t *ret)
{
	int r = path_read_u64(h->pc, ret, "%s", p);

	if (r == -EBADMSG)
		return fail(h, r, p, "not a number");
	if (r < 0)
		return fail(h, r, p, "%s", strerror(-r));
	return 0;
}

static int check_hugepages(const struct host *h, struct check_report *rep)
{
	_cleanup_strv_free_ char **sizes = NULL, **nodes = NULL;
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	uint64_t any = 0;
	int r;

	r = path_list_dir(h->pc, &sizes, "/sys/kernel/mm/hugepages");
	if (r == -ENOENT)
		return add(rep, "hugepages", CHECK_WARN,
			   "Use a kernel built with hugetlbfs (CONFIG_HUGETLBFS).",
			   "the kernel has no hugepage support (/sys/kernel/mm/hugepages missing)");
	if (r < 0)
		return fail(h, r, "/sys/kernel/mm/hugepages", "%s", strerror(-r));
	r = path_list_dir(h->pc, &nodes, "/sys/devices/system/node");
	if (r < 0 && r != -ENOENT)
		return fail(h, r, "/sys/devices/system/node", "%s", strerror(-r));

	STRV_FOREACH(s, sizes)
	{
		char p[512];
		uint64_t kb, total, free_pages;
		const char *num = startswith(*s, "hugepages-");
		char *end;

		if (!num)
			continue;
		kb = strtoull(num, &end, 10);
		if (end == num || !streq(end, "kB"))
			continue;
		snprintf(p, sizeof(p), "/sys/kernel/mm/hugepages/%s/nr_hugepages", *s);
		r = read_u64_attr(h, p, &total);
		if (r < 0)
			return r;
		snprintf(p, sizeof(p), "/sys/kernel/mm/hugepages/%s/free_hugepages", *s);
		r = read_u64_attr(h, p, &free_pages);
		if (r < 0)
			return r;
		strbuf_printf(&sb, "%s%" PRIu64 " kB: %" PRIu64 " total, %" PRIu64 " free",
			      sb.len ? "; " : "", kb, total, free_pages);
		any += total;
		if (total == 0)
			continue;
		STRV_FOREACH(nd, nodes)
		{
			uint64_t nt, nf;

			if (!startswith(*nd, "node") || !isdigit((unsigned char)(*nd)[4]))
				continue;
			snprintf(p, sizeof(p), "/sys/devices/system/node/%s/hugepages/%s/nr_hugepages",
				 *nd, *s);
			r = path_exists(h->pc, "%s", p);
			if (r <= 0)
				continue;
			r = read_u64_attr(h, p, &nt);
			if (r < 0)
				return r;
			snprintf(p, sizeof(p),
				 "/sys/devices/system/node/%s/hugepages/%s/free_hugepages", *nd, *s);
			r = read_u64_attr(h, p, &nf);
			if (r < 0)
				return r;
			strbuf_printf(&sb, ", %s %" PRIu64 "/%" PRIu64, *nd, nf, nt);
		}
	}
	if (!strbuf_str(&sb))
		return -ENOMEM;
	if (any == 0)
		return add(rep, "hugepages", CHECK_WARN,
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
		return add(rep, "vfio-pci", CHECK_FAIL,
			   "Check that /proc is mounted.",
			   "cannot tell: the kernel release (/proc/sys/kernel/osrelease) is unknown");
	r = path_exists(h->pc, "/lib/modules/%s/modules.dep.bin", h->kernel_release);
	if (r < 0)
		return r;
	if (r == 0)
		return add(rep, "vfio-pci", CHECK_FAIL,
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
	r = kmod_module_new_from_name_lookup(ctx, "vfio_pci", &mod);
	if (r < 0 || !mod) {
		kmod_unref(ctx);
		if (r < 0 && r != -ENOENT)
			return fail(h, r, dir, "cannot read the module index: %s", strerror(-r));
		return add(rep, "vfio-pci", CHECK_FAIL,
			   "Use a kernel with CONFIG_VFIO_PCI (Debian's linux-image-amd64 has it).",
			   "vfio-pci is neither built into kernel %s nor a module", h->kernel_release);
	}
	where = kmod_module_get_path(mod) ? "a module of" : "built into";
	kmod_module_unref(mod);
	kmod_unref(ctx);

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
		check_cpu,	    check_kvm,	    check_iommu_firmware, check_iommu_kernel,
		check_intremap,	    check_uefi,	    check_boot_vga,	  check_cmdline,
		check_hugepages,    check_vfio_pci,
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
