/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host model's IOMMU: the firmware's ACPI tables, the units the kernel registered, and
 * the one interrupt-remapping verdict (host.h) the checks and the planner share.
 */
#include <stdio.h>

#include "shared/host-internal.h"

static int cmp_unit(const void *a, const void *b)
{
	return strverscmp(((const struct iommu_unit *)a)->name,
			  ((const struct iommu_unit *)b)->name);
}

static int table_exists(struct path_cxt *pc, const char *path, bool *ret)
{
	int r = path_exists(pc, "%s", path);

	if (r < 0)
		return host_fail_errno(pc, r, path);
	*ret = r > 0;
	return 0;
}

static int load_units(struct host *h)
{
	_cleanup_strv_free_ char **names = NULL;
	struct host_iommu *io = &h->iommu;
	size_t n;
	int r;

	r = path_list_dir(h->pc, &names, "/sys/class/iommu");
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return host_fail_errno(h->pc, r, "/sys/class/iommu");
	n = strv_length(names);
	io->units = calloc(n ? n : 1, sizeof(struct iommu_unit));
	if (!io->units)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct iommu_unit *u = &io->units[io->n_units++];
		char p[PATH_MAX];

		u->name = strdup(names[i]);
		if (!u->name)
			return -ENOMEM;
		if (startswith(u->name, "ivhd"))
			u->kind = IOMMU_UNIT_IVHD;
		if (!startswith(u->name, "dmar"))
			continue;
		u->kind = IOMMU_UNIT_DMAR;
		snprintf(p, sizeof(p), "/sys/class/iommu/%s/intel-iommu/ecap", u->name);
		r = path_read_hex(h->pc, &u->ecap, "%s", p);
		if (r == -EBADMSG)
			return host_fail(h->pc, r, p, "not a hexadecimal number");
		if (r == -ENOENT)
			return host_fail(h->pc, r, p, "missing attribute");
		if (r < 0)
			return host_fail_errno(h->pc, r, p);
	}
	/* path_list_dir() sorts already; the order is part of the model's contract. */
	qsort(io->units, io->n_units, sizeof(struct iommu_unit), cmp_unit);
	return 0;
}

int host_load_iommu(struct host *h)
{
	int r;

	r = table_exists(h->pc, "/sys/firmware/acpi/tables/DMAR", &h->iommu.acpi_dmar);
	if (r >= 0)
		r = table_exists(h->pc, "/sys/firmware/acpi/tables/IVRS", &h->iommu.acpi_ivrs);
	if (r >= 0)
		r = load_units(h);
	return host_defer_error(r, &h->iommu_error, &h->iommu_error_msg);
}

void host_iommu_done(struct host_iommu *io)
{
	for (size_t i = 0; i < io->n_units; i++)
		free(io->units[i].name);
	free(io->units);
	*io = (struct host_iommu){};
}

int host_iommu(const struct host *h, const struct host_iommu **ret)
{
	if (h->iommu_error < 0) {
		host_deferred_error(h->iommu_error, h->iommu_error_msg);
		/* The same value, but the analyzer cannot see that through the call. */
		return h->iommu_error;
	}
	*ret = &h->iommu;
	return 0;
}

/*
 * intremap= takes a comma-separated list (on, off, nosid, no_x2apic_optout, nopost) and
 * the kernel applies it in order, so "off" counts unless a later "on" takes it back
 * (drivers/iommu/irq_remapping.c, setup_irqremap()). nointremap is the old spelling of
 * intremap=off (setup_nointremap()).
 */
static int cmdline_intremap_off(const struct host *h, bool *ret)
{
	_cleanup_free_ char *v = NULL;
	bool off = false;
	int r;

	r = host_cmdline_get(h, "nointremap", NULL);
	if (r < 0)
		return r;
	off = r > 0;
	r = host_cmdline_get(h, "intremap", &v);
	if (r < 0)
		return r;
	for (const char *p = r > 0 ? v : ""; *p;) {
		size_t k = strcspn(p, ",");

		if (k >= 2 && strncmp(p, "on", 2) == 0)
			off = false;
		else if (k >= 3 && strncmp(p, "off", 3) == 0)
			off = true;
		p += k;
		p += strspn(p, ",");
	}
	*ret = off;
	return 0;
}

int host_interrupt_remapping(const struct host *h, struct intremap_verdict *ret)
{
	const struct host_iommu *io = NULL;
	struct intremap_verdict v = {};
	size_t n_ivhd = 0;
	bool off;
	int r;

	r = host_iommu(h, &io);
	if (r < 0)
		return r;
	r = cmdline_intremap_off(h, &off);
	if (r < 0)
		return r;

	for (size_t i = 0; i < io->n_units; i++) {
		if (io->units[i].kind == IOMMU_UNIT_IVHD)
			n_ivhd++;
		if (io->units[i].kind != IOMMU_UNIT_DMAR)
			continue;
		v.n_dmar++;
		if (io->units[i].ecap & DMAR_ECAP_IR)
			v.n_ir++;
	}

	if (off) {
		v.state = INTREMAP_OFF_CMDLINE;
		snprintf(v.reason, sizeof(v.reason),
			 "interrupt remapping is switched off on the kernel command line");
	} else if (v.n_dmar == 1 && v.n_ir == 1) {
		v.state = INTREMAP_ON;
		snprintf(v.reason, sizeof(v.reason),
			 "supported by the DMAR unit (ecap IR bit) and not disabled");
	} else if (v.n_dmar > 0 && v.n_ir == v.n_dmar) {
		v.state = INTREMAP_ON;
		snprintf(v.reason, sizeof(v.reason),
			 "supported by all %zu DMAR units (ecap IR bit) and not disabled",
			 v.n_dmar);
	} else if (v.n_dmar > 0) {
		v.state = INTREMAP_UNSUPPORTED;
		snprintf(v.reason, sizeof(v.reason),
			 "%zu of %zu DMAR units lack interrupt remapping (ecap IR bit)",
			 v.n_dmar - v.n_ir, v.n_dmar);
	} else if (n_ivhd > 0 || (host_cpu_is_amd(h) && h->n_groups > 0)) {
		v.state = INTREMAP_ON;
		snprintf(v.reason, sizeof(v.reason),
			 "AMD-Vi provides interrupt remapping and it is not disabled");
	} else {
		v.state = INTREMAP_NO_IOMMU;
		snprintf(v.reason, sizeof(v.reason),
			 "no active IOMMU unit in /sys/class/iommu, so no interrupt remapping");
	}
	*ret = v;
	return 0;
}
