/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The planner's entry point: plan_build() puts the device decisions (planner-devices.c)
 * and the kernel parameters (planner-cmdline.c) together.
 */
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "features/handover.h"
#include "features/reset.h"
#include "features/users.h"
#include "planner/planner-internal.h"

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

/* The firmware describes an IOMMU (read with the tables even when a unit was garbage). */
static bool plan_has_iommu_table(const struct host *h)
{
	return h->iommu.acpi_dmar || h->iommu.acpi_ivrs;
}

/*
 * A monitor or QMP on a network socket in extra-args (issue 30): QEMU's monitor has no
 * authentication, so whoever reaches the port can read guest memory, add devices with host
 * files or quit the VM. Warned, not refused: a trusted network may be what the admin has.
 */
static int warn_tcp_monitor(const struct vm_config *vm, char ***warnings)
{
	char *const *a = vm_options(vm)->extra_args;
	bool mon = false, net_chardev = false;

	STRV_FOREACH (w, a) {
		const char *opt = startswith(*w, "--") ? *w + 1 : *w;
		const char *v = w[1];

		if (streq(opt, "-mon"))
			mon = true;
		if (!v)
			continue;
		if (streq(opt, "-chardev") && startswith(v, "socket,") &&
		    (strstr(v, ",port=") || strstr(v, ",host=")))
			net_chardev = true;
		if ((streq(opt, "-monitor") || streq(opt, "-qmp") || streq(opt, "-qmp-pretty")) &&
		    (startswith(v, "tcp:") || startswith(v, "telnet:") || startswith(v, "udp:")))
			return strv_addf(
			    warnings,
			    "VM '%s': extra-args opens %s on a network socket (%s %s): "
			    "QEMU's monitor has no password, so anyone who reaches it can "
			    "read the guest's memory, hand it host files or stop it; use a "
			    "unix socket (the runner's QMP is one)",
			    vm->name, opt + 1, *w, v);
	}
	if (mon && net_chardev)
		return strv_addf(
		    warnings,
		    "VM '%s': extra-args puts a monitor (-mon) on a network chardev: "
		    "QEMU's monitor has no password, so anyone who reaches it can read "
		    "the guest's memory, hand it host files or stop it; use a unix socket",
		    vm->name);
	return 0;
}

/* The VMs that pass d, joined ("'win', 'linux'"), or NULL for none. */
static char *vms_passing(const struct config *c, const char *device)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	char *s = NULL;
	size_t n = 0;

	for (size_t i = 0; i < c->n_vms; i++)
		if (strv_contains(c->vms[i]->devices, device))
			strbuf_printf(&sb, "%s'%s'", n++ ? ", " : "", c->vms[i]->name);
	if (n == 0 || strbuf_steal(&sb, &s) < 0)
		return NULL;
	return s;
}

/*
 * handover = yes (issue 27): what vm run does with the devices and what the host loses
 * while the VM runs, one note per handed-over device, the display's first.
 */
static int plan_handover_notes(struct plan *p, const struct config *c)
{
	for (size_t i = 0; i < p->n_devices; i++) {
		const struct plan_device *pd = &p->devices[i];
		_cleanup_free_ char *vms = NULL;
		const struct pci_device *d = pd->dev;
		int r;

		if (!pd->handover)
			continue;
		vms = vms_passing(c, pd->cfg->name);
		if (!pci_class_is_display(d->class)) {
			r = strv_addf(&p->notes,
				      "%s [device %s] is not claimed at boot: it stays on %s until "
				      "vm run of %s hands it to vfio-pci with its IOMMU group, and "
				      "goes back to the host when the VM ends",
				      d->address, pd->cfg->name,
				      d->driver ? d->driver : "no driver",
				      vms ? vms : "a VM that passes it");
		} else {
			const struct vm_config *vm = NULL;

			for (size_t j = 0; j < c->n_vms && !vm; j++)
				if (strv_contains(c->vms[j]->devices, pd->cfg->name))
					vm = c->vms[j];
			r = strv_addf(
			    &p->notes,
			    "%s [device %s] is handed over, not claimed at boot: the host boots "
			    "and displays on it (%s%s) until vm run of %s stops the display "
			    "manager %s, unbinds the consoles from the frame buffer, releases "
			    "the firmware frame buffer and moves it and its IOMMU group to "
			    "vfio-pci. While the VM runs the host has %s: no local console, no "
			    "desktop; reach it over SSH (gpt-bootcfg vm stop %s gives everything "
			    "back). When QEMU ends (guest shutdown, vm stop, a crash, a VM not "
			    "running within %u s) the host driver, the consoles and the display "
			    "manager come back",
			    d->address, pd->cfg->name, d->driver ? d->driver : "no driver",
			    d->boot_vga ? ", the boot display" : "",
			    vms ? vms : "a VM that passes it",
			    vm ? vm_handover_dm(vm_options(vm)) : HANDOVER_DEFAULT_DM,
			    d->boot_vga ? "no display at all" : "no display on this GPU",
			    vm ? vm->name : "NAME",
			    vm ? vm_handover_timeout(vm_options(vm)) : HANDOVER_DEFAULT_TIMEOUT);
		}
		if (r < 0)
			return r;
	}
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

		if (!plan_has_iommu_table(h) || asked) {
			r = plan_add_refusal(
			    p, o, REFUSE_NO_IOMMU, NULL, NULL,
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
		pd->dev = host_find_pci(h, &c->devices[i].addr);
		r = plan_check_device(p, h, c, o, pd);
		if (r < 0)
			return r;
		if (pd->dev && pd->dev->n_disks > 0) {
			_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

			for (size_t j = 0; j < pd->dev->n_disks; j++) {
				strbuf_puts(&sb, j ? "; " : "");
				plan_describe_content(pd->dev->disks[j], &sb);
			}
			if (strbuf_steal(&sb, &pd->disks) < 0)
				return -ENOMEM;
		}
		/* Refused devices stay in the list: plan shows what the claim would be. */
		pd->handover = pd->dev && plan_handover(h, c, pd->dev);
		if (pd->dev && h->n_groups > 0 && !pd->handover)
			p->claims[p->n_claims++] = pd->dev;
	}
	r = plan_handover_notes(p, c);
	if (r < 0)
		return r;
	qsort(p->claims, p->n_claims, sizeof(*p->claims), plan_cmp_dev_ptr);

	r = plan_check_groups(p, h, c, o);
	if (r < 0)
		return r;

	r = plan_check_vm_disks(p, h, c, o);
	if (r < 0)
		return r;

	if (p->n_claims > 0 && h->n_groups > 0 && !c->host.allow_unsafe_interrupts &&
	    plan_lacks_intremap(h)) {
		r = plan_add_refusal(
		    p, o, REFUSE_UNSAFE_INTERRUPTS, NULL, NULL,
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
	for (size_t i = 0; i < c->n_vms; i++) {
		r = warn_tcp_monitor(c->vms[i], &p->params.warnings);
		if (r < 0)
			return r;
	}
	{
		/* The AMD reset bug, with vendor-reset if the target kernels have it. */
		_cleanup_strv_free_ char **vendor_reset = NULL;

		if (k) {
			r = kmodres_kernels_with(k, "vendor-reset", &vendor_reset);
			if (r < 0)
				return r;
		}
		r = reset_amd_warnings(h, c, k ? kmodres_kernels(k) : NULL, vendor_reset,
				       &p->params.warnings);
		if (r < 0)
			return r;
	}
	p->hugepages = plan_hugepages(c, GIB);

	p->hugepages_2m = plan_hugepages(c, MIB2);

	if (k) {
		r = plan_resolve_drivers(p, h, k);
		if (r < 0)
			return r;
	} else {
		r = strv_add(&p->notes,
			     "no kernel module index under /lib/modules: drivers of "
			     "the claimed devices cannot be resolved, no softdeps written");
		if (r < 0)
			return r;
	}

	*ret = TAKE_PTR(p);
	return 0;
}

struct claim_entry plan_claim_entry(const struct pci_device *d)
{
	return (struct claim_entry){
	    .addr = d->addr,
	    .vendor = d->vendor,
	    .device = d->device,
	    .subvendor = d->subsystem_vendor,
	    .subdevice = d->subsystem_device,
	    .class = d->class,
	};
}
