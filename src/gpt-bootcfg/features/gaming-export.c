/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gaming keys (vm-gamedev.h) in the libvirt domain of "vm export --libvirt": libvirt's
 * own elements for each, so libvirt manages them (and labels the files) itself.
 */
#include <inttypes.h>

#include "basic/macro.h"
#include "basic/xml.h"
#include "core/vm-options.h"
#include "features/gaming.h"

void vm_gaming_export_libvirt(struct xml_writer *w, const struct vm_options *o)
{
	const struct vm_gaming *g = vm_gaming(o);

	if (!g)
		return;
	if (g->lg_size) {
		const char *name = g->lg_file ? startswith(g->lg_file, "/dev/shm/") : NULL;

		/* libvirt creates /dev/shm/NAME for the QEMU user it runs; kvmfr it cannot say. */
		xml_begin(w, "shmem");
		xml_attr(w, "name", name ? name : "looking-glass");
		xml_empty(w, "model", "type", "ivshmem-plain");
		xml_begin(w, "size");
		xml_attr(w, "unit", "M");
		xml_textf(w, "%" PRIu64, g->lg_size >> 20);
		xml_end(w);
		xml_end(w);
	}
	for (size_t i = 0; i < g->n_inputs; i++) {
		const struct vm_input *d = &g->inputs[i];

		xml_begin(w, "input");
		xml_attr(w, "type", "evdev");
		if (d->keyboard)
			xml_empty(w, "source", "dev", d->path, "grab", "all", "repeat", "on",
				  "grabToggle", g->grab_toggle);
		else
			xml_empty(w, "source", "dev", d->path);
		xml_end(w);
	}
	for (size_t i = 0; i < g->n_usb; i++) {
		xml_begin(w, "hostdev");
		xml_attr(w, "mode", "subsystem");
		xml_attr(w, "type", "usb");
		xml_attr(w, "managed", "no");
		xml_begin(w, "source");
		/* libvirt looks the device up when the domain starts: absent, it is left out. */
		xml_attr(w, "startupPolicy", "optional");
		xml_begin(w, "vendor");
		xml_attrf(w, "id", "0x%04x", g->usb[i].vendor);
		xml_end(w);
		xml_begin(w, "product");
		xml_attrf(w, "id", "0x%04x", g->usb[i].product);
		xml_end(w);
		xml_end(w);
		xml_end(w);
	}
}
