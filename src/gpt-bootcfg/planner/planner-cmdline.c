/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel parameters the plan puts on the GRUB line, each with its reason: the IOMMU,
 * KVM's MSR handling, the boot-time hugepage pools (per NUMA node where the kernel can),
 * CPU isolation, the boot framebuffer, ACS override and unsafe interrupts.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "basic/cpulist.h"
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "core/numa.h"
#include "features/power.h"
#include "planner/planner-internal.h"
#include "shared/kconfig.h"

/* NUMA nodes hugepages can be placed on per node; beyond that, one pool for all. */
#define PLAN_MAX_NODES 64

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

static int add_paramf(struct plan_params *p, const char *why, const char *fmt, ...) _printf_(3, 4);
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

bool plan_lacks_intremap(const struct host *h)
{
	struct intremap_verdict v;

	/* Unknown (no unit visible, an unreadable register) is not known to be missing. */
	return h->n_groups > 0 && host_interrupt_remapping(h, &v) >= 0 &&
	       (v.state == INTREMAP_OFF_CMDLINE || v.state == INTREMAP_UNSUPPORTED);
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

struct vm_devices {
	const struct host *h;
	const struct config *c;
	const struct vm_config *vm;
};

static int vm_device_node(size_t i, const void *userdata)
{
	const struct vm_devices *x = userdata;
	const struct device_config *dc = config_find_device(x->c, x->vm->devices[i]);
	const struct pci_device *pd = dc ? host_find_pci(x->h, &dc->addr) : NULL;

	return pd ? pd->numa_node : -1;
}

/* The NUMA node a VM's memory comes from, as the runner chooses it (vm-numa.h); -1 none. */
static int vm_memory_node(const struct host *h, const struct config *c, const struct vm_config *vm)
{
	struct vm_devices x = {h, c, vm};

	return vm_numa_node(vm_options(vm)->numa_node, strv_length(vm->devices), vm_device_node,
			    &x);
}

/* Number of online NUMA nodes, 1 when the root does not say (or says garbage). */
static unsigned numa_nodes(const struct host *h)
{
	return h->n_nodes_online > 0 ? (unsigned)h->n_nodes_online : 1;
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
		r = asprintf(ret,
			     "Intel VT-d is on by default in this kernel "
			     "(CONFIG_INTEL_IOMMU_DEFAULT_ON=y); explicit, it stays on after a "
			     "kernel change");
		break;
	case KCONFIG_INTEL_IOMMU_ON_INTGPU_OFF:
		r = asprintf(ret,
			     "Intel VT-d is on by default in this kernel except for integrated "
			     "graphics (CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF=y); explicit, it "
			     "stays on after a kernel change");
		break;
	case KCONFIG_INTEL_IOMMU_NONE:
		r = asprintf(ret, "this kernel has no Intel VT-d driver (CONFIG_INTEL_IOMMU is not "
				  "set); vfio-pci needs a kernel with one");
		break;
	case KCONFIG_INTEL_IOMMU_UNKNOWN:
		if (h->n_groups > 0)
			r = asprintf(ret,
				     "Intel VT-d is on now (%zu IOMMU groups); this kernel's "
				     "default is unknown (no /boot/config-%s); explicit, it stays "
				     "on",
				     h->n_groups, rel);
		else
			r = asprintf(ret,
				     "Intel VT-d may be off by default in this kernel (no "
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
	if (h->iommu.acpi_dmar)
		return intel_default_reason(h, ret);
	/* The AMD IOMMU is on whenever the firmware describes it. */
	if (h->iommu.acpi_ivrs)
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

uint64_t plan_hugepages(const struct config *c, uint64_t size)
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
static int add_hugepage_params(struct plan_params *p, const struct host *h, const struct config *c,
			       uint64_t size)
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

	if (all_placed && numa_nodes(h) > 1 && host_kernel_has_node_hugepages(h)) {
		_cleanup_strbuf_ struct strbuf spec = STRBUF_INIT, nodes = STRBUF_INIT;

		for (int n = 0; n < PLAN_MAX_NODES; n++) {
			if (!node_pages[n])
				continue;
			strbuf_printf(&spec, "%s%d:%" PRIu64, spec.len ? "," : "", n,
				      node_pages[n]);
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
			if (asprintf(
				&msg,
				"VM '%s' uses 2 MiB pages on %s, which serves 1 GiB pages (VM "
				"'%s' uses them%s): set its hugepage-mount to a hugetlbfs mounted "
				"with pagesize=2M, or its memory comes from the 1 GiB pool",
				a->name, ma, b->name,
				streq_ptr(ma, mb) ? " there"
						  : ", and default_hugepagesz=1G "
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

void plan_format_size(uint64_t bytes, char *buf, size_t size)
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
static int warn_hugepage_memory(struct plan_params *p, const struct host *h, const struct config *c)
{
	uint64_t want =
	    add_sat(mul_sat(plan_hugepages(c, GIB), GIB), mul_sat(plan_hugepages(c, MIB2), MIB2));
	char w[32], t[32], k[32];
	_cleanup_free_ char *msg = NULL;
	int r;

	/* Saturated: more than any machine has, whatever MemTotal says (or if it is unknown). */
	if (want == UINT64_MAX)
		return strv_add(
		    &p->warnings,
		    "the VMs' hugepages add up to more than 16 EiB: no host has that "
		    "much memory; reserved at boot, they would leave the kernel nothing "
		    "to run on; lower the VMs' memory");
	if (!want || !h->mem_total)
		return 0;
	plan_format_size(want, w, sizeof(w));
	plan_format_size(h->mem_total, t, sizeof(t));
	if (want >= h->mem_total)
		r = asprintf(
		    &msg,
		    "the VMs' hugepages (%s) are not less than this host's memory (%s, "
		    "MemTotal): reserved at boot, they leave the kernel nothing to run on; "
		    "lower the VMs' memory (a trial boot falls back from such a boot, "
		    "apply --no-trial would not)",
		    w, t);
	else if (h->mem_total - want < HOST_KEEP) {
		plan_format_size(h->mem_total - want, k, sizeof(k));
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
	int r;

	for (size_t i = 0; i < c->n_devices; i++) {
		const struct pci_device *d = host_find_pci(h, &c->devices[i].addr);

		/* A handed-over GPU is the host's at boot: its frame buffer stays (issue 27). */
		if (!d || !pci_class_is_display(d->class) || plan_handover(h, c, d))
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
			r = add_paramf(&p,
				       "the vCPUs' host CPUs: no other tasks are scheduled there",
				       "isolcpus=%s", list);
			if (r >= 0)
				r = add_paramf(&p, "no scheduler tick on the vCPUs' host CPUs",
					       "nohz_full=%s", list);
			if (r >= 0)
				r = add_paramf(&p,
					       "RCU callbacks run elsewhere than the vCPUs' CPUs",
					       "rcu_nocbs=%s", list);
			if (r < 0)
				goto fail;
		}
	}

	if (boot_vga) {
		r = add_param(
		    &p, "video=efifb:off",
		    "the claimed GPU is the boot display: keep the EFI framebuffer off it");
		if (r >= 0)
			r = add_param(&p, "initcall_blacklist=sysfb_init",
				      "newer kernels set up the boot framebuffer in sysfb_init; "
				      "it would hold the claimed GPU's memory");
		if (r < 0)
			goto fail;
	}

	if (c->host.acs_override) {
		r = add_param(
		    &p, "pcie_acs_override=downstream,multifunction",
		    "acs-override = yes: split IOMMU groups the hardware does not isolate");
		if (r >= 0)
			r = strv_add(
			    &p.warnings,
			    "acs-override = yes: pcie_acs_override works only with a patched "
			    "kernel, and it removes isolation the hardware does not provide: "
			    "a device in the VM can reach devices the host keeps");
		if (r < 0)
			goto fail;
	}

	if (plan_lacks_intremap(h) && c->host.allow_unsafe_interrupts) {
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

	/* [host] max-cstate (vm-power.h): intel_idle only where it can run. */
	if (c->host.has_max_cstate) {
		_cleanup_strv_free_ char **cs = NULL, **why = NULL;

		r = host_power_cstate_params(&c->host, h->cpu_vendor, &cs, &why);
		for (size_t i = 0; r >= 0 && cs[i]; i++)
			r = add_param(&p, cs[i], why[i]);
		if (r < 0)
			goto fail;
	}

	STRV_FOREACH (w, c->host.extra_cmdline) {
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
