/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "basic/pci.h"
#include "basic/strv-util.h"
#include "claimproto/claimlist.h"
#include "features/reset.h"

#define RESET_KEY "reset-method"

/* The offset of the k-th blank-separated word of value (split_words() with " \t"). */
static size_t word_offset(const char *value, size_t k)
{
	size_t i = 0;

	for (;;) {
		while (value[i] == ' ' || value[i] == '\t')
			i++;
		if (k == 0 || !value[i])
			return i;
		while (value[i] && value[i] != ' ' && value[i] != '\t')
			i++;
		k--;
	}
}

static int device_parse_key(const struct config *c, const struct config_entry *e,
			    struct device_config *d, char **ret_error)
{
	_cleanup_strv_free_ char **words = NULL;
	_cleanup_free_ char *joined = NULL;
	size_t n;
	int r;

	if (!streq(e->key, "reset-method"))
		return 0;
	r = split_words(e->value, " \t", &words);
	if (r < 0)
		return r;
	n = strv_length(words);
	if (n == 0)
		return config_fail(c, e, 0, ret_error,
				   RESET_KEY ": expected one or more of device_specific, acpi, "
					     "flr, af_flr, pm, bus, cxl_bus, or default");
	for (size_t i = 0; i < n; i++) {
		const char *w = words[i];
		size_t off = word_offset(e->value, i);

		if (streq(w, "default")) {
			if (n > 1)
				return config_fail(c, e, off, ret_error,
						   RESET_KEY ": 'default' (the kernel's own order) "
							     "stands alone");
			continue;
		}
		if (!pci_reset_method_known(w, strlen(w)))
			return config_fail(c, e, off, ret_error,
					   RESET_KEY
					   ": unknown reset method '%s' (the kernel's "
					   "names: device_specific, acpi, flr, af_flr, pm, "
					   "bus, cxl_bus; or default)",
					   w);
		for (size_t j = 0; j < i; j++)
			if (streq(words[j], w))
				return config_fail(c, e, off, ret_error,
						   RESET_KEY ": '%s' named twice", w);
	}
	/* What the claim list carries: the same rule, one place (claimlist.h). */
	joined = strv_join(words, " ");
	if (!joined)
		return -ENOMEM;
	if (claim_reset_method_check(joined, strlen(joined), ' ', NULL, NULL, 0) < 0)
		return config_fail(c, e, 0, ret_error, RESET_KEY ": longer than %d bytes",
				   PCI_RESET_METHODS_MAX - 1);
	strv_free(d->reset_methods);
	d->reset_methods = TAKE_PTR(words);
	return 1;
}

const struct feature_ops feature_reset = {
    .name = "reset-method",
    .device_parse_key = device_parse_key,
};

int reset_method_check(const struct host *h, const struct config *c, char ***errors)
{
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct device_config *d = &c->devices[i];
		const struct config_entry *e;
		const struct pci_device *p;
		char *msg = NULL;

		if (!d->reset_methods || !d->section)
			continue;
		e = config_section_get(d->section, RESET_KEY);
		p = host_find_pci(h, &d->addr);
		if (!e || !p)
			continue;
		if (strv_length(p->reset_methods) == 0) {
			msg = config_error(
			    c, e->line, e->col_value,
			    RESET_KEY ": %s ([device %s]) has no reset_method attribute: the "
				      "kernel (%s) is older than 5.15, which cannot choose a "
				      "device's reset method, or offers no reset method for this "
				      "device; remove the key",
			    d->address, d->name, h->kernel_release ? h->kernel_release : "unknown");
			if (!msg || strv_consume(errors, msg) < 0)
				return -ENOMEM;
			continue;
		}
		for (size_t k = 0; d->reset_methods[k]; k++) {
			const char *m = d->reset_methods[k];
			_cleanup_free_ char *offered = NULL;

			/*
			 * device_specific is listed only for what the kernel's own quirks
			 * reset; a module that adds one (vendor-reset) makes the kernel accept
			 * it when written, without listing it: the claim's write decides.
			 */
			if (streq(m, "default") || streq(m, "device_specific") ||
			    strv_contains(p->reset_methods, m))
				continue;
			offered = strv_join(p->reset_methods, " ");
			if (!offered)
				return -ENOMEM;
			msg = config_error(
			    c, e->line, e->col_value + (unsigned)word_offset(e->value, k),
			    RESET_KEY
			    ": %s ([device %s]) does not offer '%s': its reset_method "
			    "lists %s (the methods enabled now: if a claim narrowed them, "
			    "write default to it to see all of them again)",
			    d->address, d->name, m, offered);
			if (!msg || strv_consume(errors, msg) < 0)
				return -ENOMEM;
			break; /* one per device is enough to fix it */
		}
	}
	return 0;
}

int reset_amd_warnings(const struct host *h, const struct config *c, char *const *kernels,
		       char *const *vendor_reset, char ***warnings)
{
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct device_config *d = &c->devices[i];
		const struct pci_device *p = host_find_pci(h, &d->addr);
		_cleanup_free_ char *offered = NULL, *with = NULL, *looked = NULL;
		bool specific;
		int r;

		if (!p || p->vendor != 0x1002 || !pci_class_is_display(p->class) ||
		    strv_contains(p->reset_methods, "flr"))
			continue;
		/*
		 * device_specific first: vendor-reset's reset (it registers the method when it is
		 * loaded), chosen by the user or first in the kernel's default order.
		 */
		if (d->reset_methods && !streq(d->reset_methods[0], "default"))
			specific = streq(d->reset_methods[0], "device_specific");
		else
			specific = p->reset_methods && p->reset_methods[0] &&
				   streq(p->reset_methods[0], "device_specific");
		if (specific)
			continue;
		offered = strv_length(p->reset_methods) ? strv_join(p->reset_methods, " ")
							: strdup("none");
		if (!offered)
			return -ENOMEM;
		if (strv_length(vendor_reset) > 0) {
			with = strv_join(vendor_reset, ", ");
			if (!with)
				return -ENOMEM;
			r = strv_addf(
			    warnings,
			    "device '%s' (%s, AMD %04x:%04x): its reset methods (%s) lack "
			    "flr, and AMD's Polaris, Vega and Navi 1x cards are known to "
			    "hang on a bus reset after the VM stops. The vendor-reset "
			    "module is there for kernel %s: load it (modprobe "
			    "vendor-reset; at boot: vendor-reset in "
			    "/etc/modules-load.d/) and set reset-method = "
			    "device_specific in [device %s]",
			    d->name, d->address, p->vendor, p->device, offered, with, d->name);
		} else {
			looked = strv_length(kernels) ? strv_join(kernels, ", ") : strdup("none");
			if (!looked)
				return -ENOMEM;
			r = strv_addf(
			    warnings,
			    "device '%s' (%s, AMD %04x:%04x): its reset methods (%s) lack "
			    "flr, and AMD's Polaris, Vega and Navi 1x cards are known to "
			    "hang on a bus reset after the VM stops; no vendor-reset "
			    "module in the module index (kernels: %s): expect the card "
			    "not to come back after a VM stops until the host reboots, "
			    "and stop the VM only by shutting the guest down",
			    d->name, d->address, p->vendor, p->device, offered, looked);
		}
		if (r < 0)
			return r;
	}
	return 0;
}
