/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The planner's device decisions: each configured device against the host (present, the
 * same card, not a bridge, not the host's disk, NIC or only display), whole IOMMU groups,
 * VM disks the host uses, and the drivers to hold back.
 */
#include <stdarg.h>
#include <stdio.h>

#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "planner/disk-policy.h"
#include "planner/planner-internal.h"

int plan_add_refusal(struct plan *p, const struct plan_options *o, enum refusal_reason reason,
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

bool plan_handover(const struct host *h, const struct config *c, const struct pci_device *d)
{
	const struct device_config *cfg = config_device_at(c, d);
	const struct iommu_group *g =
	    d->iommu_group >= 0 ? host_find_group(h, d->iommu_group) : NULL;

	if (cfg && cfg->handover)
		return true;
	for (size_t i = 0; g && i < g->n_devices; i++) {
		cfg = config_device_at(c, g->devices[i]);
		if (cfg && cfg->handover)
			return true;
	}
	return false;
}

/* " 'LABEL'": a label is the disk's content (the guest's, perhaps), escaped (issue 30 #4). */
static void put_label(struct strbuf *sb, const char *label)
{
	strbuf_puts(sb, " '");
	strbuf_put_escaped(sb, label);
	strbuf_puts(sb, "'");
}

/* "nvme1n1: ntfs 'Windows'" — what the user gives away with a storage controller. */
void plan_describe_content(const struct block_device *b, struct strbuf *sb)
{
	size_t n = 0;

	strbuf_printf(sb, "%s:", b->name);
	if (b->disk_fstype) {
		strbuf_printf(sb, " %s", b->disk_fstype);
		if (b->disk_label)
			put_label(sb, b->disk_label);
		return;
	}
	for (size_t i = 0; i < b->n_parts; i++) {
		const struct block_partition *p = &b->parts[i];

		if (!p->fstype)
			continue;
		strbuf_printf(sb, "%s %s", n++ ? "," : "", p->fstype);
		if (p->label)
			put_label(sb, p->label);
	}
	if (n == 0 && b->fstype) {
		strbuf_printf(sb, " %s", b->fstype);
		if (b->label)
			put_label(sb, b->label);
	} else if (n == 0) {
		strbuf_puts(sb, " no filesystem found");
	}
}

void plan_describe_member(const struct host *h, const struct pci_device *d, struct strbuf *sb)
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
		STRV_FOREACH (i, ifs) {
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

int plan_check_device(struct plan *p, const struct host *h, const struct config *c,
		      const struct plan_options *o, struct plan_device *pd)
{
	const struct device_config *cfg = pd->cfg;
	const struct pci_device *d = pd->dev;
	_cleanup_strv_free_ char **ifs = NULL;
	int r;

	if (!d)
		return plan_add_refusal(p, o, REFUSE_NOT_FOUND, cfg, cfg->address,
					"no PCI device %s on this host", cfg->address);

	if ((cfg->has_id && (d->vendor != cfg->vendor || d->device != cfg->device)) ||
	    (cfg->has_subsystem && (d->subsystem_vendor != cfg->subsystem_vendor ||
				    d->subsystem_device != cfg->subsystem_device)) ||
	    (cfg->has_class && d->class != cfg->class))
		return plan_add_refusal(
		    p, o, REFUSE_IDENTITY_MISMATCH, cfg, d->address,
		    "configured %04x:%04x subsystem %04x:%04x class %06x, found "
		    "%04x:%04x subsystem %04x:%04x class %06x (the card moved or was "
		    "replaced?)",
		    cfg->has_id ? cfg->vendor : d->vendor, cfg->has_id ? cfg->device : d->device,
		    cfg->has_subsystem ? cfg->subsystem_vendor : d->subsystem_vendor,
		    cfg->has_subsystem ? cfg->subsystem_device : d->subsystem_device,
		    cfg->has_class ? cfg->class : d->class, d->vendor, d->device,
		    d->subsystem_vendor, d->subsystem_device, d->class);

	if (d->is_bridge)
		return plan_add_refusal(p, o, REFUSE_BRIDGE, cfg, d->address,
					"%s is a PCI bridge; configure the devices behind it",
					d->address);

	for (size_t i = 0; i < d->n_disks; i++) {
		const struct block_device *b = d->disks[i];
		_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

		if (b->n_uses == 0)
			continue;
		plan_describe_uses(b, &sb);
		if (!strbuf_str(&sb))
			return -ENOMEM;
		r = plan_add_refusal(p, o, REFUSE_ROOT_DISK, cfg, d->address,
				     "the host uses a disk on this controller: %s",
				     strbuf_str(&sb));
		if (r < 0)
			return r;
	}

	r = host_pci_net_interfaces(h, d, &ifs);
	if (r < 0 && r != -ENOENT)
		return r;
	STRV_FOREACH (i, ifs)
		if (streq_ptr(*i, h->default_route_dev)) {
			r = plan_add_refusal(p, o, REFUSE_HOST_NIC, cfg, d->address,
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
		/* handover = yes: the host keeps it but while a VM runs (plan_handover_notes()). */
		if (!other && !plan_handover(h, c, d)) {
			r = plan_add_refusal(p, o, REFUSE_BOOT_VGA, cfg, d->address,
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
 * A disk = nvme://ADDR takes the whole controller from the host (QEMU's userspace driver on
 * vfio-pci): refused when a disk behind it is in use (issue 30), as a path would be, and
 * never overridable. vm run refused it already; plan said nothing.
 */
static int check_nvme_disks(struct plan *p, const struct host *h, const struct vm_config *vm,
			    const struct plan_options *o)
{
	const struct vm_options *vo = vm_options(vm);

	for (size_t i = 0; i < vo->n_disks; i++) {
		const struct pci_device *d;

		if (!vo->disks[i].nvme_host)
			continue;
		d = host_find_pci_address(h, vo->disks[i].nvme_addr);
		for (size_t b = 0; d && b < h->n_blocks; b++) {
			_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
			int r;

			if (h->blocks[b].pci != d || !block_device_in_use(&h->blocks[b]))
				continue;
			plan_describe_uses(&h->blocks[b], &sb);
			r = plan_add_refusal(p, o, REFUSE_ROOT_DISK, NULL, NULL,
					     "VM '%s': disk 'nvme://%s' takes the controller of a "
					     "disk the host uses: %s",
					     vm->name, vo->disks[i].nvme_addr, strbuf_str(&sb));
			if (r < 0)
				return r;
			p->refusals[p->n_refusals - 1].overridden = false;
			break;
		}
	}
	return 0;
}

/*
 * A VM disk, cdrom or any other host path QEMU opens that is a block device the host uses
 * (issues 14 and 30): refused like a storage controller holding the root disk, but never
 * overridable, since no VM can share a mounted file system with the host.
 */
int plan_check_vm_disks(struct plan *p, const struct host *h, const struct config *c,
			const struct plan_options *o)
{
	for (size_t i = 0; i < c->n_vms; i++) {
		_cleanup_free_ struct vm_host_path *paths = NULL;
		size_t n = 0;
		int r;

		r = vm_host_paths(c->vms[i], &paths, &n);
		if (r < 0)
			return r;
		for (size_t j = 0; j < n; j++) {
			_cleanup_free_ char *detail = NULL;

			r = vm_disk_host_use(h, paths[j].path, &detail);
			if (r < 0)
				return r;
			if (r == 0)
				continue;
			r = plan_add_refusal(p, o, REFUSE_ROOT_DISK, NULL, NULL,
					     "VM '%s': %s '%s' is a disk the host uses: %s",
					     c->vms[i]->name, paths[j].key, paths[j].path, detail);
			if (r < 0)
				return r;
			p->refusals[p->n_refusals - 1].overridden = false;
		}
		r = check_nvme_disks(p, h, c->vms[i], o);
		if (r < 0)
			return r;
	}
	return 0;
}

int plan_cmp_dev_ptr(const void *a, const void *b)
{
	const struct pci_device *x = *(const struct pci_device *const *)a,
				*y = *(const struct pci_device *const *)b;

	return pci_addr_cmp(&x->addr, &y->addr);
}

/* Every group of a configured device must consist of configured devices (and bridges). */
int plan_check_groups(struct plan *p, const struct host *h, const struct config *c,
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
			plan_describe_member(h, d, &sb);
		}
		if (missing == 0)
			continue;
		if (!strbuf_str(&sb))
			return -ENOMEM;
		int r =
		    plan_add_refusal(p, o, REFUSE_GROUP_SHARED, first, first->address,
				     "IOMMU group %d also holds %s; a group goes to the VM whole "
				     "(configure %s too, or move the card to another slot)",
				     grp->id, strbuf_str(&sb), missing > 1 ? "them" : "it");
		if (r < 0)
			return r;
	}
	return 0;
}

/* Softdeps for every driver of a claimed device; a blacklist for those no one else needs. */
int plan_resolve_drivers(struct plan *p, const struct host *h, struct kmodres *k)
{
	_cleanup_strv_free_ char **host_needs = NULL;
	int r;

	for (size_t i = 0; i < p->n_devices; i++) {
		struct plan_device *pd = &p->devices[i];

		/* Handed over at vm run: the host needs its drivers at boot (no softdep). */
		if (!pd->dev || !pd->dev->modalias || pd->handover)
			continue;
		r = kmodres_lookup(k, pd->dev->modalias, &pd->drivers);
		if (r < 0)
			return r;
		STRV_FOREACH (m, pd->drivers) {
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
		STRV_FOREACH (m, mods) {
			r = strv_add_unique(&host_needs, *m);
			if (r < 0)
				return r;
		}
	}

	STRV_FOREACH (m, p->softdeps)
		if (!strv_contains(host_needs, *m)) {
			r = strv_add(&p->blacklist, *m);
			if (r < 0)
				return r;
		}
	strv_sort(p->softdeps);
	strv_sort(p->blacklist);
	return 0;
}
