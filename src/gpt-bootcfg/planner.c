/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "cpulist.h"
#include "kconfig.h"
#include "planner.h"
#include "strbuf.h"
#include "strv-util.h"
#include "vm-disk.h"
#include "vm-user.h"

/* NUMA nodes hugepages can be placed on per node; beyond that, one pool for all. */
#define PLAN_MAX_NODES 64

#define GIB (UINT64_C(1) << 30)
#define MIB2 (UINT64_C(2) << 20)

void plan_params_done(struct plan_params *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->items[i].param);
		free(p->items[i].why);
	}
	free(p->items);
	strv_free(p->warnings);
	*p = (struct plan_params){};
}

void plan_free(struct plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_devices; i++) {
		strv_free(p->devices[i].drivers);
		free(p->devices[i].disks);
	}
	free(p->devices);
	free(p->claims);
	for (size_t i = 0; i < p->n_refusals; i++) {
		free(p->refusals[i].device);
		free(p->refusals[i].detail);
	}
	free(p->refusals);
	plan_params_done(&p->params);
	strv_free(p->softdeps);
	strv_free(p->blacklist);
	strv_free(p->notes);
	free(p);
}

bool plan_is_refused(const struct plan *p)
{
	for (size_t i = 0; i < p->n_refusals; i++)
		if (!p->refusals[i].overridden)
			return true;
	return false;
}

static int add_param(struct plan_params *p, const char *param, const char *why)
{
	struct plan_param *n = realloc(p->items, (p->n + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	p->items = n;
	n[p->n].param = strdup(param);
	n[p->n].why = strdup(why);
	p->n++;
	if (!n[p->n - 1].param || !n[p->n - 1].why)
		return -ENOMEM;
	return 0;
}

static int add_paramf(struct plan_params *p, const char *why, const char *fmt, ...)
	_printf_(3, 4);
static int add_paramf(struct plan_params *p, const char *why, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	return add_param(p, s, why);
}

char *plan_params_join(const struct plan_params *p)
{
	struct strbuf sb = STRBUF_INIT;
	char *s = NULL;

	strbuf_puts(&sb, "");
	for (size_t i = 0; i < p->n; i++) {
		if (i > 0)
			strbuf_putc(&sb, ' ');
		strbuf_puts(&sb, p->items[i].param);
	}
	if (strbuf_steal(&sb, &s) < 0)
		return NULL;
	return s;
}

int plan_interrupt_remapping(const struct host *h)
{
	_cleanup_strv_free_ char **units = NULL;
	_cleanup_free_ char *v = NULL;
	bool any = false;
	int r;

	/* The user can switch it off on the command line whatever the hardware offers. */
	r = host_cmdline_get(h, "intremap", &v);
	if (r < 0)
		return r;
	if (r > 0 && streq(v, "off"))
		return 0;

	r = path_list_dir(h->pc, &units, "/sys/class/iommu");
	if (r == -ENOENT)
		return -ENODATA;
	if (r < 0)
		return r;
	STRV_FOREACH(u, units) {
		uint64_t ecap;

		if (startswith(*u, "dmar")) {
			r = path_read_hex(h->pc, &ecap, "/sys/class/iommu/%s/intel-iommu/ecap", *u);
			if (r < 0)
				return r;
			/* VT-d extended capability bit 3: IR, interrupt remapping support. */
			if (!(ecap & (1u << 3)))
				return 0;
			any = true;
		} else if (startswith(*u, "ivhd")) {
			/* Every AMD-Vi unit implements interrupt remapping. */
			any = true;
		}
	}
	return any ? 1 : -ENODATA;
}

static bool has_iommu_table(const struct host *h)
{
	return path_exists(h->pc, "/sys/firmware/acpi/tables/DMAR") > 0 ||
	       path_exists(h->pc, "/sys/firmware/acpi/tables/IVRS") > 0;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/*
 * The NUMA node a VM's memory comes from, as the runner chooses it (qemu_cmd_numa_node()):
 * numa-node when set, else the node of the first of its devices that has one; -1 none.
 */
static int vm_memory_node(const struct host *h, const struct config *c,
			  const struct vm_config *vm)
{
	int node = vm_options(vm)->numa_node;

	if (node != -2)
		return node;
	STRV_FOREACH(d, vm->devices) {
		const struct device_config *dc = config_find_device(c, *d);
		const struct pci_device *pd = dc ? host_find_pci(h, dc->address) : NULL;

		if (pd && pd->numa_node >= 0)
			return pd->numa_node;
	}
	return -1;
}

/* Number of online NUMA nodes, 1 when the root does not say (or says garbage). */
static unsigned numa_nodes(const struct host *h)
{
	_cleanup_free_ char *s = NULL;
	int n;

	if (path_read_string(h->pc, &s, "/sys/devices/system/node/online") < 0)
		return 1;
	/* Node lists use the CPU list notation. */
	n = cpulist_count(s);
	return n > 0 ? (unsigned)n : 1;
}

/* Per-node boot-time allocation ("hugepages=0:8") exists since Linux 5.14. */
static bool kernel_has_node_hugepages(const struct host *h)
{
	const char *s = h->kernel_release;
	unsigned long major, minor;
	char *end;

	if (!s)
		return false;
	major = strtoul(s, &end, 10);
	if (end == s || *end != '.')
		return false;
	s = end + 1;
	minor = strtoul(s, &end, 10);
	if (end == s)
		return false;
	return major > 5 || (major == 5 && minor >= 14);
}

/*
 * What the running kernel does with VT-d by default, from its /boot/config-RELEASE (Debian's
 * 6.1 and 6.12 turn it on except for integrated graphics; mainline and Ubuntu kernels differ
 * by release), or said as unknown. intel_iommu=on is planned in every case: explicit, it keeps
 * the IOMMU on across a kernel upgrade that changes the default.
 */
static int intel_default_reason(const struct host *h, char **ret)
{
	const char *rel = h->kernel_release ? h->kernel_release : "RELEASE";
	int r = -ENOMEM;

	switch (kconfig_intel_iommu_default(h->pc, h->kernel_release)) {
	case KCONFIG_INTEL_IOMMU_OFF:
		r = asprintf(ret, "Intel VT-d is off by default in this kernel "
				  "(CONFIG_INTEL_IOMMU_DEFAULT_ON is not set); vfio-pci needs it");
		break;
	case KCONFIG_INTEL_IOMMU_ON:
		r = asprintf(ret, "Intel VT-d is on by default in this kernel "
				  "(CONFIG_INTEL_IOMMU_DEFAULT_ON=y); explicit, it stays on after a "
				  "kernel change");
		break;
	case KCONFIG_INTEL_IOMMU_ON_INTGPU_OFF:
		r = asprintf(ret, "Intel VT-d is on by default in this kernel except for integrated "
				  "graphics (CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF=y); explicit, it "
				  "stays on after a kernel change");
		break;
	case KCONFIG_INTEL_IOMMU_NONE:
		r = asprintf(ret, "this kernel has no Intel VT-d driver (CONFIG_INTEL_IOMMU is not "
				  "set); vfio-pci needs a kernel with one");
		break;
	case KCONFIG_INTEL_IOMMU_UNKNOWN:
		if (h->n_groups > 0)
			r = asprintf(ret, "Intel VT-d is on now (%zu IOMMU groups); this kernel's "
					  "default is unknown (no /boot/config-%s); explicit, it stays "
					  "on",
				     h->n_groups, rel);
		else
			r = asprintf(ret, "Intel VT-d may be off by default in this kernel (no "
					  "/boot/config-%s to tell); vfio-pci needs it",
				     rel);
		break;
	}
	return r < 0 ? -ENOMEM : 0;
}

/*
 * Why intel_iommu=on is planned (*ret), or *ret NULL when it is not. The IOMMU the firmware
 * describes decides, not the CPU: an emulated or unusual platform can pair an AMD CPU with an
 * Intel IOMMU (QEMU's q35 with intel-iommu).
 */
static int intel_iommu_reason(const struct host *h, char **ret)
{
	*ret = NULL;
	if (path_exists(h->pc, "/sys/firmware/acpi/tables/DMAR") > 0)
		return intel_default_reason(h, ret);
	/* The AMD IOMMU is on whenever the firmware describes it. */
	if (path_exists(h->pc, "/sys/firmware/acpi/tables/IVRS") > 0)
		return 0;
	if (streq_ptr(h->cpu_vendor, "GenuineIntel"))
		return intel_default_reason(h, ret);
	/* amd_iommu has no "on" value: the AMD IOMMU is on whenever the firmware describes it,
	 * so only the passthrough mode (iommu=pt) is needed. */
	if (streq_ptr(h->cpu_vendor, "AuthenticAMD"))
		return 0;
	*ret = strdup("CPU vendor unknown; harmless where there is no Intel IOMMU");
	return *ret ? 0 : -ENOMEM;
}

/* Pages of one size the VMs that use that size need, each VM's memory rounded up. */
/*
 * Pages for one VM's memory, rounded up without "memory + size - 1", which wraps for
 * memory sizes near 16 EiB (a config can say that much).
 */
static uint64_t pages_for(uint64_t memory, uint64_t size)
{
	return memory / size + (memory % size != 0);
}

/* a + b, or UINT64_MAX when the sum does not fit (issue 14: two huge VMs wrapped). */
static uint64_t add_sat(uint64_t a, uint64_t b)
{
	uint64_t s;

	return __builtin_add_overflow(a, b, &s) ? UINT64_MAX : s;
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
	uint64_t m;

	return __builtin_mul_overflow(a, b, &m) ? UINT64_MAX : m;
}

static uint64_t plan_hugepages(const struct config *c, uint64_t size)
{
	uint64_t pages = 0;

	for (size_t i = 0; i < c->n_vms; i++)
		if (c->vms[i]->hugepage_size == size)
			pages = add_sat(pages, pages_for(c->vms[i]->memory, size));
	return pages;
}

/*
 * The boot-time pool of one page size for the VMs that use it: "hugepagesz=SIZE" and
 * "hugepages=N", or "hugepages=NODE:N,..." when every such VM's memory has a node and the
 * kernel can place pages per node. 1 GiB pages also become the default size, so that the
 * hugetlbfs mount VMs use by default (systemd's /dev/hugepages) serves them.
 */
static int add_hugepage_params(struct plan_params *p, const struct host *h,
			       const struct config *c, uint64_t size)
{
	_cleanup_free_ char *why = NULL, *amount = NULL;
	uint64_t pages = 0, node_pages[PLAN_MAX_NODES] = {0};
	bool all_placed = true;
	int r;

	for (size_t i = 0; i < c->n_vms; i++) {
		uint64_t n;
		int node;

		if (c->vms[i]->hugepage_size != size)
			continue;
		n = pages_for(c->vms[i]->memory, size);
		node = vm_memory_node(h, c, c->vms[i]);
		pages = add_sat(pages, n);
		if (node >= 0 && node < PLAN_MAX_NODES)
			node_pages[node] = add_sat(node_pages[node], n);
		else
			all_placed = false;
	}
	if (!pages)
		return 0;

	if (size == GIB) {
		r = add_param(p, "default_hugepagesz=1G",
			      "the hugetlbfs mount the VM uses serves 1 GiB pages");
		if (r < 0)
			return r;
		r = add_param(p, "hugepagesz=1G",
			      "1 GiB pages can only be reserved reliably at boot, before memory "
			      "fragments");
		if (asprintf(&amount, "%" PRIu64 " GiB", pages) < 0)
			return -ENOMEM;
	} else {
		r = add_param(p, "hugepagesz=2M",
			      "2 MiB pages reserved at boot, while memory is unfragmented: later, "
			      "a VM start can find too few of them free");
		/* 512 pages of 2 MiB make a GiB. */
		if ((pages % 512 == 0 ? asprintf(&amount, "%" PRIu64 " GiB", pages / 512)
				      : asprintf(&amount, "%" PRIu64 " MiB", pages * 2)) < 0)
			return -ENOMEM;
	}
	if (r < 0)
		return r;

	if (all_placed && numa_nodes(h) > 1 && kernel_has_node_hugepages(h)) {
		_cleanup_strbuf_ struct strbuf spec = STRBUF_INIT, nodes = STRBUF_INIT;

		for (int n = 0; n < PLAN_MAX_NODES; n++) {
			if (!node_pages[n])
				continue;
			strbuf_printf(&spec, "%s%d:%" PRIu64, spec.len ? "," : "", n, node_pages[n]);
			strbuf_printf(&nodes, "%s%d", nodes.len ? ", " : "", n);
		}
		if (!strbuf_str(&spec) || !strbuf_str(&nodes) ||
		    asprintf(&why,
			     "%s for the VMs' memory%s, on the NUMA node%s it is placed on (%s: "
			     "numa-node, or the node of the VM's first device)",
			     amount, size == GIB ? "" : " in 2 MiB pages",
			     strchr(nodes.buf, ',') ? "s" : "", nodes.buf) < 0)
			return -ENOMEM;
		return add_paramf(p, why, "hugepages=%s", spec.buf);
	}
	if (asprintf(&why, "%s for the VMs' memory%s", amount,
		     size == GIB ? "" : " in 2 MiB pages") < 0)
		return -ENOMEM;
	return add_paramf(p, why, "hugepages=%" PRIu64, pages);
}

/*
 * A hugetlbfs mount serves one page size, and with any 1 GiB VM that size is 1 GiB on the
 * default mount (default_hugepagesz=1G): a 2 MiB VM there, or on a 1 GiB VM's mount, would
 * draw its memory from the 1 GiB pool, which was sized without it.
 */
static int warn_hugepage_mounts(struct plan_params *p, const struct config *c)
{
	for (size_t i = 0; i < c->n_vms; i++) {
		const struct vm_config *a = c->vms[i];
		const char *ma = vm_options(a)->hugepage_mount;

		if (a->hugepage_size != MIB2)
			continue;
		for (size_t j = 0; j < c->n_vms; j++) {
			const struct vm_config *b = c->vms[j];
			const char *mb = vm_options(b)->hugepage_mount;
			_cleanup_free_ char *msg = NULL;

			if (b->hugepage_size != GIB ||
			    !(streq_ptr(ma, mb) || streq_ptr(ma, "/dev/hugepages")))
				continue;
			if (asprintf(&msg,
				     "VM '%s' uses 2 MiB pages on %s, which serves 1 GiB pages (VM "
				     "'%s' uses them%s): set its hugepage-mount to a hugetlbfs mounted "
				     "with pagesize=2M, or its memory comes from the 1 GiB pool",
				     a->name, ma, b->name,
				     streq_ptr(ma, mb) ? " there" : ", and default_hugepagesz=1G "
								    "makes them the default size") < 0)
				return -ENOMEM;
			if (strv_add(&p->warnings, msg) < 0)
				return -ENOMEM;
			break;
		}
	}
	return 0;
}

/* Memory the host should keep beside the boot-time hugepage pools. */
#define HOST_KEEP (UINT64_C(2) << 30)

/* "16 GiB", "1.5 GiB" or "955 MiB". */
static void format_size(uint64_t bytes, char *buf, size_t size)
{
	if (bytes >= GIB && bytes % GIB == 0)
		snprintf(buf, size, "%" PRIu64 " GiB", bytes / GIB);
	else if (bytes >= GIB)
		snprintf(buf, size, "%.1f GiB", (double)bytes / (double)GIB);
	else
		snprintf(buf, size, "%" PRIu64 " MiB", bytes >> 20);
}

/*
 * Boot-time pools are carved out before anything else runs: pools as big as the RAM leave
 * the kernel nothing to boot with, and the kernel takes what it can without asking. The
 * trial boot falls back from such a boot; this says so before it happens.
 */
static int warn_hugepage_memory(struct plan_params *p, const struct host *h,
				const struct config *c)
{
	uint64_t want = add_sat(mul_sat(plan_hugepages(c, GIB), GIB),
				mul_sat(plan_hugepages(c, MIB2), MIB2));
	char w[32], t[32], k[32];
	_cleanup_free_ char *msg = NULL;
	int r;

	/* Saturated: more than any machine has, whatever MemTotal says (or if it is unknown). */
	if (want == UINT64_MAX)
		return strv_add(&p->warnings,
				"the VMs' hugepages add up to more than 16 EiB: no host has that "
				"much memory; reserved at boot, they would leave the kernel nothing "
				"to run on; lower the VMs' memory");
	if (!want || !h->mem_total)
		return 0;
	format_size(want, w, sizeof(w));
	format_size(h->mem_total, t, sizeof(t));
	if (want >= h->mem_total)
		r = asprintf(&msg,
			     "the VMs' hugepages (%s) are not less than this host's memory (%s, "
			     "MemTotal): reserved at boot, they leave the kernel nothing to run on; "
			     "lower the VMs' memory (a trial boot falls back from such a boot, "
			     "apply --no-trial would not)",
			     w, t);
	else if (h->mem_total - want < HOST_KEEP) {
		format_size(h->mem_total - want, k, sizeof(k));
		r = asprintf(&msg,
			     "the VMs' hugepages (%s) leave this host %s of its %s: reserved at "
			     "boot, they are gone for the host; keep at least 2 GiB for it",
			     w, k, t);
	} else
		return 0;
	if (r < 0)
		return -ENOMEM;
	return strv_add(&p->warnings, msg);
}

int plan_cmdline(const struct host *h, const struct config *c, struct plan_params *ret)
{
	struct plan_params p = {};
	const struct pci_device *gpu = NULL;
	_cleanup_free_ char *iommu_why = NULL;
	bool boot_vga = false;
	int ir, r;

	for (size_t i = 0; i < c->n_devices; i++) {
		const struct pci_device *d = host_find_pci(h, c->devices[i].address);

		if (!d || !pci_class_is_display(d->class))
			continue;
		if (!gpu)
			gpu = d;
		if (d->boot_vga)
			boot_vga = true;
	}

	r = intel_iommu_reason(h, &iommu_why);
	if (r >= 0 && iommu_why)
		r = add_param(&p, "intel_iommu=on", iommu_why);
	if (r < 0)
		goto fail;
	r = add_param(&p, "iommu=pt",
		      "host devices keep direct DMA (identity mapping): no IOMMU cost for them");
	if (r < 0)
		goto fail;
	r = add_param(&p, "kvm.ignore_msrs=1",
		      "guest GPU drivers (NVIDIA) read MSRs KVM does not emulate; ignore instead "
		      "of injecting a fault that crashes the guest");
	if (r < 0)
		goto fail;
	r = add_param(&p, "kvm.report_ignored_msrs=0",
		      "keep the ignored MSR accesses from flooding the kernel log");
	if (r < 0)
		goto fail;

	/* 1 GiB pages first: default_hugepagesz and their hugepagesz= must precede. */
	r = add_hugepage_params(&p, h, c, GIB);
	if (r < 0)
		goto fail;
	r = add_hugepage_params(&p, h, c, MIB2);
	if (r >= 0)
		r = warn_hugepage_mounts(&p, c);
	if (r >= 0)
		r = warn_hugepage_memory(&p, h, c);
	if (r < 0)
		goto fail;

	if (c->host.isolate_cpus) {
		_cleanup_free_ unsigned *cpus = NULL;
		_cleanup_free_ char *list = NULL;
		size_t n = 0, k = 0;

		for (size_t i = 0; i < c->n_vms; i++)
			n += c->vms[i]->vcpu_pins.n;
		cpus = calloc(n + 1, sizeof(unsigned));
		if (!cpus)
			goto oom;
		for (size_t i = 0; i < c->n_vms; i++)
			for (size_t j = 0; j < c->vms[i]->vcpu_pins.n; j++)
				cpus[k++] = c->vms[i]->vcpu_pins.cpus[j];
		qsort(cpus, k, sizeof(unsigned), cmp_uint);
		n = 0;
		for (size_t i = 0; i < k; i++)
			if (n == 0 || cpus[n - 1] != cpus[i])
				cpus[n++] = cpus[i];
		if (n == 0) {
			r = strv_add(&p.warnings, "isolate-cpus = yes, but no VM pins its vCPUs "
						  "(vcpu-pins): nothing to isolate, ignoring");
			if (r < 0)
				goto fail;
		} else {
			if (cpulist_format(cpus, n, &list) < 0)
				goto oom;
			r = add_paramf(&p, "the vCPUs' host CPUs: no other tasks are scheduled there",
				       "isolcpus=%s", list);
			if (r >= 0)
				r = add_paramf(&p, "no scheduler tick on the vCPUs' host CPUs",
					       "nohz_full=%s", list);
			if (r >= 0)
				r = add_paramf(&p, "RCU callbacks run elsewhere than the vCPUs' CPUs",
					       "rcu_nocbs=%s", list);
			if (r < 0)
				goto fail;
		}
	}

	if (boot_vga) {
		r = add_param(&p, "video=efifb:off",
			      "the claimed GPU is the boot display: keep the EFI framebuffer off it");
		if (r >= 0)
			r = add_param(&p, "initcall_blacklist=sysfb_init",
				      "newer kernels set up the boot framebuffer in sysfb_init; "
				      "it would hold the claimed GPU's memory");
		if (r < 0)
			goto fail;
	}

	if (c->host.acs_override) {
		r = add_param(&p, "pcie_acs_override=downstream,multifunction",
			      "acs-override = yes: split IOMMU groups the hardware does not isolate");
		if (r >= 0)
			r = strv_add(&p.warnings,
				     "acs-override = yes: pcie_acs_override works only with a patched "
				     "kernel, and it removes isolation the hardware does not provide: "
				     "a device in the VM can reach devices the host keeps");
		if (r < 0)
			goto fail;
	}

	ir = h->n_groups > 0 ? plan_interrupt_remapping(h) : -ENODATA;
	if (ir == 0 && c->host.allow_unsafe_interrupts) {
		r = add_param(&p, "vfio_iommu_type1.allow_unsafe_interrupts=1",
			      "allow-unsafe-interrupts = yes: this IOMMU has no interrupt "
			      "remapping");
		if (r >= 0)
			r = strv_add(&p.warnings,
				     "allow-unsafe-interrupts = yes: without interrupt remapping a "
				     "guest can forge MSIs and inject interrupts into the host");
		if (r < 0)
			goto fail;
	}

	STRV_FOREACH(w, c->host.extra_cmdline) {
		r = add_param(&p, *w, "[host] cmdline in the configuration");
		if (r < 0)
			goto fail;
	}

	*ret = p;
	return 0;
oom:
	r = -ENOMEM;
fail:
	plan_params_done(&p);
	return r;
}

static int add_refusal(struct plan *p, const struct plan_options *o, enum refusal_reason reason,
		       const struct device_config *cfg, const char *address, const char *fmt, ...)
	_printf_(6, 7);
static int add_refusal(struct plan *p, const struct plan_options *o, enum refusal_reason reason,
		       const struct device_config *cfg, const char *address, const char *fmt, ...)
{
	struct plan_refusal *n = realloc(p->refusals, (p->n_refusals + 1) * sizeof(*n));
	const char *name = refusal_reason_to_string(reason);
	va_list ap;
	int r;

	if (!n)
		return -ENOMEM;
	p->refusals = n;
	n = &p->refusals[p->n_refusals++];
	*n = (struct plan_refusal){.reason = reason};
	snprintf(n->address, sizeof(n->address), "%s", address ? address : "");
	if (cfg) {
		n->device = strdup(cfg->name);
		if (!n->device)
			return -ENOMEM;
	}
	va_start(ap, fmt);
	r = vasprintf(&n->detail, fmt, ap);
	va_end(ap);
	if (r < 0) {
		n->detail = NULL;
		return -ENOMEM;
	}
	if (refusal_reason_overridable(reason))
		n->overridden = (o && strv_contains(o->allow, name)) ||
				(cfg && strv_contains(cfg->allow, name));
	return 0;
}

static const struct device_config *config_device_at(const struct config *c,
						    const struct pci_device *d)
{
	for (size_t i = 0; i < c->n_devices; i++)
		if (pci_addr_cmp(&c->devices[i].addr, &d->addr) == 0)
			return &c->devices[i];
	return NULL;
}

void plan_describe_uses(const struct block_device *b, struct strbuf *sb)
{
	strbuf_printf(sb, "%s:", b->name);
	for (size_t i = 0; i < b->n_uses; i++) {
		const struct block_use *u = &b->uses[i];

		strbuf_puts(sb, i ? ", " : " ");
		switch (u->kind) {
		case BLOCK_USE_MOUNT:
			strbuf_printf(sb, "mounted on %s", u->what);
			break;
		case BLOCK_USE_SWAP:
			strbuf_puts(sb, "swap");
			break;
		case BLOCK_USE_HOLDER:
			strbuf_printf(sb, "held by %s (LVM/dm/md)", u->what);
			break;
		}
		if (u->partition)
			strbuf_printf(sb, " (%s)", u->partition);
	}
}

/* "nvme1n1: ntfs 'Windows'" — what the user gives away with a storage controller. */
static void describe_content(const struct block_device *b, struct strbuf *sb)
{
	size_t n = 0;

	strbuf_printf(sb, "%s:", b->name);
	if (b->disk_fstype) {
		strbuf_printf(sb, " %s", b->disk_fstype);
		if (b->disk_label)
			strbuf_printf(sb, " '%s'", b->disk_label);
		return;
	}
	for (size_t i = 0; i < b->n_parts; i++) {
		const struct block_partition *p = &b->parts[i];

		if (!p->fstype)
			continue;
		strbuf_printf(sb, "%s %s", n++ ? "," : "", p->fstype);
		if (p->label)
			strbuf_printf(sb, " '%s'", p->label);
	}
	if (n == 0 && b->fstype) {
		strbuf_printf(sb, " %s", b->fstype);
		if (b->label)
			strbuf_printf(sb, " '%s'", b->label);
	} else if (n == 0) {
		strbuf_puts(sb, " no filesystem found");
	}
}

/* Why an unconfigured group member matters, for the group-shared detail. */
static void describe_member(const struct host *h, const struct pci_device *d, struct strbuf *sb)
{
	_cleanup_strv_free_ char **ifs = NULL;

	strbuf_printf(sb, "%s", d->address);
	if (d->name)
		strbuf_printf(sb, " (%s)", d->name);
	else
		strbuf_printf(sb, " (class %06x)", d->class);
	if (d->driver)
		strbuf_printf(sb, " [%s]", d->driver);
	if (host_pci_net_interfaces(h, d, &ifs) >= 0)
		STRV_FOREACH(i, ifs) {
			strbuf_printf(sb, ", host NIC %s", *i);
			if (streq_ptr(*i, h->default_route_dev))
				strbuf_puts(sb, " (default route)");
		}
	for (size_t i = 0; i < d->n_disks; i++)
		if (d->disks[i]->n_uses > 0) {
			strbuf_puts(sb, ", host storage in use: ");
			plan_describe_uses(d->disks[i], sb);
		}
}

static int check_device(struct plan *p, const struct host *h, const struct config *c,
			const struct plan_options *o, struct plan_device *pd)
{
	const struct device_config *cfg = pd->cfg;
	const struct pci_device *d = pd->dev;
	_cleanup_strv_free_ char **ifs = NULL;
	int r;

	if (!d)
		return add_refusal(p, o, REFUSE_NOT_FOUND, cfg, cfg->address,
				   "no PCI device %s on this host", cfg->address);

	if ((cfg->has_id && (d->vendor != cfg->vendor || d->device != cfg->device)) ||
	    (cfg->has_subsystem && (d->subsystem_vendor != cfg->subsystem_vendor ||
				    d->subsystem_device != cfg->subsystem_device)) ||
	    (cfg->has_class && d->class != cfg->class))
		return add_refusal(p, o, REFUSE_IDENTITY_MISMATCH, cfg, d->address,
				   "configured %04x:%04x subsystem %04x:%04x class %06x, found "
				   "%04x:%04x subsystem %04x:%04x class %06x (the card moved or was "
				   "replaced?)",
				   cfg->has_id ? cfg->vendor : d->vendor,
				   cfg->has_id ? cfg->device : d->device,
				   cfg->has_subsystem ? cfg->subsystem_vendor : d->subsystem_vendor,
				   cfg->has_subsystem ? cfg->subsystem_device : d->subsystem_device,
				   cfg->has_class ? cfg->class : d->class, d->vendor, d->device,
				   d->subsystem_vendor, d->subsystem_device, d->class);

	if (d->is_bridge)
		return add_refusal(p, o, REFUSE_BRIDGE, cfg, d->address,
				   "%s is a PCI bridge; configure the devices behind it", d->address);

	for (size_t i = 0; i < d->n_disks; i++) {
		const struct block_device *b = d->disks[i];
		_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

		if (b->n_uses == 0)
			continue;
		plan_describe_uses(b, &sb);
		if (!strbuf_str(&sb))
			return -ENOMEM;
		r = add_refusal(p, o, REFUSE_ROOT_DISK, cfg, d->address,
				"the host uses a disk on this controller: %s", strbuf_str(&sb));
		if (r < 0)
			return r;
	}

	r = host_pci_net_interfaces(h, d, &ifs);
	if (r < 0 && r != -ENOENT)
		return r;
	STRV_FOREACH(i, ifs)
		if (streq_ptr(*i, h->default_route_dev)) {
			r = add_refusal(p, o, REFUSE_HOST_NIC, cfg, d->address,
					"%s carries the host's default route", *i);
			if (r < 0)
				return r;
		}

	if (pci_class_is_display(d->class)) {
		bool other = false;

		for (size_t i = 0; i < h->n_pci; i++) {
			const struct pci_device *x = &h->pci[i];

			if (x != d && pci_class_is_display(x->class) && !config_device_at(c, x))
				other = true;
		}
		if (!other) {
			r = add_refusal(p, o, REFUSE_BOOT_VGA, cfg, d->address,
					"%s is the host's only display device: the host would "
					"boot without a console",
					d->address);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/*
 * A VM disk that is a block device the host uses (issue 14): refused like a storage
 * controller holding the root disk, but never overridable, since no VM can share a mounted
 * file system with the host.
 */
static int check_vm_disks(struct plan *p, const struct host *h, const struct config *c,
			  const struct plan_options *o)
{
	for (size_t i = 0; i < c->n_vms; i++) {
		const struct vm_options *vo = vm_options(c->vms[i]);

		for (size_t j = 0; j < vo->n_disks; j++) {
			const struct vm_disk *d = &vo->disks[j];
			_cleanup_free_ char *detail = NULL;
			int r;

			if (d->nvme_host || !d->path)
				continue;
			r = vm_disk_host_use(h, d->path, &detail);
			if (r < 0)
				return r;
			if (r == 0)
				continue;
			r = add_refusal(p, o, REFUSE_ROOT_DISK, NULL, NULL,
					"VM '%s': disk '%s' is a disk the host uses: %s",
					c->vms[i]->name, d->path, detail);
			if (r < 0)
				return r;
			p->refusals[p->n_refusals - 1].overridden = false;
		}
	}
	return 0;
}

static int cmp_dev_ptr(const void *a, const void *b)
{
	const struct pci_device *x = *(const struct pci_device *const *)a,
				*y = *(const struct pci_device *const *)b;

	return pci_addr_cmp(&x->addr, &y->addr);
}

/* Every group of a configured device must consist of configured devices (and bridges). */
static int check_groups(struct plan *p, const struct host *h, const struct config *c,
			const struct plan_options *o)
{
	for (size_t g = 0; g < h->n_groups; g++) {
		const struct iommu_group *grp = &h->groups[g];
		const struct device_config *first = NULL;
		_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
		size_t missing = 0;

		for (size_t i = 0; i < grp->n_devices; i++) {
			const struct device_config *cfg = config_device_at(c, grp->devices[i]);

			if (cfg && !first)
				first = cfg;
		}
		if (!first)
			continue;
		for (size_t i = 0; i < grp->n_devices; i++) {
			const struct pci_device *d = grp->devices[i];

			if (d->is_bridge || config_device_at(c, d))
				continue;
			strbuf_puts(&sb, missing++ ? "; " : "");
			describe_member(h, d, &sb);
		}
		if (missing == 0)
			continue;
		if (!strbuf_str(&sb))
			return -ENOMEM;
		int r = add_refusal(p, o, REFUSE_GROUP_SHARED, first, first->address,
				    "IOMMU group %d also holds %s; a group goes to the VM whole "
				    "(configure %s too, or move the card to another slot)",
				    grp->id, strbuf_str(&sb), missing > 1 ? "them" : "it");
		if (r < 0)
			return r;
	}
	return 0;
}

/* Softdeps for every driver of a claimed device; a blacklist for those no one else needs. */
static int resolve_drivers(struct plan *p, const struct host *h, struct kmodres *k)
{
	_cleanup_strv_free_ char **host_needs = NULL;
	int r;

	for (size_t i = 0; i < p->n_devices; i++) {
		struct plan_device *pd = &p->devices[i];

		if (!pd->dev || !pd->dev->modalias)
			continue;
		r = kmodres_lookup(k, pd->dev->modalias, &pd->drivers);
		if (r < 0)
			return r;
		STRV_FOREACH(m, pd->drivers) {
			r = strv_add_unique(&p->softdeps, *m);
			if (r < 0)
				return r;
		}
	}

	for (size_t i = 0; i < h->n_pci; i++) {
		const struct pci_device *d = &h->pci[i];
		_cleanup_strv_free_ char **mods = NULL;
		bool claimed = false;

		for (size_t j = 0; j < p->n_claims; j++)
			if (p->claims[j] == d)
				claimed = true;
		if (claimed || !d->modalias)
			continue;
		r = kmodres_lookup(k, d->modalias, &mods);
		if (r < 0)
			return r;
		STRV_FOREACH(m, mods) {
			r = strv_add_unique(&host_needs, *m);
			if (r < 0)
				return r;
		}
	}

	STRV_FOREACH(m, p->softdeps)
		if (!strv_contains(host_needs, *m)) {
			r = strv_add(&p->blacklist, *m);
			if (r < 0)
				return r;
		}
	strv_sort(p->softdeps);
	strv_sort(p->blacklist);
	return 0;
}

int plan_build(const struct host *h, const struct config *c, struct kmodres *k,
	       const struct plan_options *o, struct plan **ret)
{
	_cleanup_plan_ struct plan *p = NULL;
	int r;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->devices = calloc(c->n_devices + 1, sizeof(*p->devices));
	p->claims = calloc(c->n_devices + 1, sizeof(*p->claims));
	if (!p->devices || !p->claims)
		return -ENOMEM;

	if (h->n_groups == 0) {
		_cleanup_free_ char *v = NULL;
		bool asked = host_cmdline_get(h, "intel_iommu", &v) > 0 && streq(v, "on");

		if (!has_iommu_table(h) || asked) {
			r = add_refusal(p, o, REFUSE_NO_IOMMU, NULL, NULL,
					asked ? "intel_iommu=on is set, but the kernel made no IOMMU "
						"groups: is VT-d/AMD-Vi enabled in the firmware setup?"
					      : "the firmware describes no IOMMU (no ACPI DMAR or IVRS "
						"table): enable VT-d or AMD-Vi (IOMMU) in the firmware "
						"setup");
			if (r < 0)
				return r;
		} else {
			p->iommu_pending = true;
			r = strv_add(&p->notes,
				     "the IOMMU is present but off: this apply turns it on; after "
				     "the reboot, IOMMU groups are known and a second apply claims "
				     "the devices");
			if (r < 0)
				return r;
		}
	}

	for (size_t i = 0; i < c->n_devices; i++) {
		struct plan_device *pd = &p->devices[p->n_devices++];

		pd->cfg = &c->devices[i];
		pd->dev = host_find_pci(h, c->devices[i].address);
		r = check_device(p, h, c, o, pd);
		if (r < 0)
			return r;
		if (pd->dev && pd->dev->n_disks > 0) {
			_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

			for (size_t j = 0; j < pd->dev->n_disks; j++) {
				strbuf_puts(&sb, j ? "; " : "");
				describe_content(pd->dev->disks[j], &sb);
			}
			if (strbuf_steal(&sb, &pd->disks) < 0)
				return -ENOMEM;
		}
		/* Refused devices stay in the list: plan shows what the claim would be. */
		if (pd->dev && h->n_groups > 0)
			p->claims[p->n_claims++] = pd->dev;
	}
	qsort(p->claims, p->n_claims, sizeof(*p->claims), cmp_dev_ptr);

	r = check_groups(p, h, c, o);
	if (r < 0)
		return r;

	r = check_vm_disks(p, h, c, o);
	if (r < 0)
		return r;

	if (p->n_claims > 0 && h->n_groups > 0 && !c->host.allow_unsafe_interrupts &&
	    plan_interrupt_remapping(h) == 0) {
		r = add_refusal(p, o, REFUSE_UNSAFE_INTERRUPTS, NULL, NULL,
				"this IOMMU has no interrupt remapping: a device in the VM could "
				"forge MSI writes and inject interrupts into the host (an MSI "
				"attack). Set allow-unsafe-interrupts = yes in [host] only if you "
				"trust every guest");
		if (r < 0)
			return r;
	}

	r = plan_cmdline(h, c, &p->params);
	if (r < 0)
		return r;
	for (size_t i = 0; i < c->n_vms; i++) {
		_cleanup_free_ char *msg = NULL;

		r = vm_user_plan_warning(h->pc, c->vms[i], &msg);
		if (r > 0)
			r = strv_add(&p->params.warnings, msg);
		if (r < 0)
			return r;
	}
	p->hugepages = plan_hugepages(c, GIB);
	p->hugepages_2m = plan_hugepages(c, MIB2);

	if (k) {
		r = resolve_drivers(p, h, k);
		if (r < 0)
			return r;
	} else {
		r = strv_add(&p->notes, "no kernel module index under /lib/modules: drivers of "
					"the claimed devices cannot be resolved, no softdeps written");
		if (r < 0)
			return r;
	}

	*ret = TAKE_PTR(p);
	return 0;
}
