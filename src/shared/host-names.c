/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Device and class names of the host model's PCI devices from libpci's pci.ids. */
#include <pci/pci.h>

#include "shared/host-internal.h"

/* libpci wants these; we only look names up, so its messages are of no use to the user. */
static void pci_quiet(char *msg _unused_, ...)
{
}

/*
 * The attribute, not _Noreturn: clang makes only the attribute part of the function type
 * libpci declares.
 */
static void __attribute__((noreturn)) pci_fatal(char *msg _unused_, ...)
{
	/* libpci calls this only when malloc fails inside it and cannot unwind. */
	abort();
}

int host_pci_ids_path(struct path_cxt *pc, char **ret)
{
	_cleanup_free_ char *p = NULL;
	int r;

	r = path_exists(pc, "/usr/share/misc/pci.ids");
	if (r <= 0)
		return r;
	r = path_prefix_follow(pc, &p, "/usr/share/misc/pci.ids");
	if (r < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 1;
}

int host_load_names(struct host *h)
{
	_cleanup_free_ char *ids = NULL;
	struct pci_access *acc;
	int r;

	r = host_pci_ids_path(h->pc, &ids);
	if (r < 0)
		return r;
	acc = pci_alloc();
	if (!acc)
		return -ENOMEM;
	acc->warning = pci_quiet;
	acc->debug = pci_quiet;
	acc->error = pci_fatal;
	if (ids)
		pci_set_name_list_path(acc, ids, 0);

	r = 0;
	for (size_t i = 0; i < h->n_pci && r == 0; i++) {
		struct pci_device *d = &h->pci[i];
		char buf[512], *s;

		/* Never udev's hwdb: names must come from the tree being looked at. */
		s = pci_lookup_name(acc, buf, sizeof(buf),
				    PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_HWDB,
				    d->vendor, d->device);
		free(d->name);
		d->name = strdup(s ? s : "");
		s = pci_lookup_name(acc, buf, sizeof(buf), PCI_LOOKUP_CLASS | PCI_LOOKUP_NO_HWDB,
				    d->class >> 8);
		free(d->class_name);
		d->class_name = strdup(s ? s : "");
		if (!d->name || !d->class_name)
			r = -ENOMEM;
	}
	pci_cleanup(acc);
	return r;
}
