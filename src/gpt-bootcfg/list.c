/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <stdio.h>

#include "basic/json.h"
#include "basic/log.h"
#include "basic/strbuf.h"
#include "core/verbs.h"
#include "shared/host.h"

#define ANSI_BOLD   "\033[1m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_RED    "\033[31m"
#define ANSI_RESET  "\033[0m"

static const char *use_kind_str(enum block_use_kind k)
{
	switch (k) {
	case BLOCK_USE_MOUNT:
		return "mount";
	case BLOCK_USE_SWAP:
		return "swap";
	case BLOCK_USE_HOLDER:
		return "holder";
	}
	return "unknown";
}

static bool holds_storage_in_use(const struct pci_device *d)
{
	for (size_t i = 0; i < d->n_disks; i++)
		if (block_device_in_use(d->disks[i]))
			return true;
	return false;
}

static void json_device(struct json_writer *w, const struct host *h, const struct pci_device *d)
{
	char buf[16];

	json_object_begin(w, NULL);
	json_string(w, "address", d->address);
	snprintf(buf, sizeof(buf), "%04x", d->vendor);
	json_string(w, "vendor", buf);
	snprintf(buf, sizeof(buf), "%04x", d->device);
	json_string(w, "device", buf);
	snprintf(buf, sizeof(buf), "%04x", d->subsystem_vendor);
	json_string(w, "subsystem_vendor", buf);
	snprintf(buf, sizeof(buf), "%04x", d->subsystem_device);
	json_string(w, "subsystem_device", buf);
	snprintf(buf, sizeof(buf), "%06x", d->class);
	json_string(w, "class", buf);
	json_string(w, "name", d->name);
	json_string(w, "driver", d->driver);
	json_bool(w, "boot_vga", d->boot_vga);
	json_bool(w, "bridge", d->is_bridge);
	json_bool(w, "storage_in_use", holds_storage_in_use(d));

	json_string(w, "class_name", d->class_name);
	snprintf(buf, sizeof(buf), "%02x", d->revision);
	json_string(w, "revision", buf);
	json_string(w, "driver_override", d->driver_override);
	json_array_begin(w, "reset_methods");
	STRV_FOREACH (m, d->reset_methods)
		json_string(w, NULL, *m);
	json_array_end(w);
	json_int(w, "numa_node", d->numa_node);
	json_string(w, "parent", d->parent ? d->parent->address : NULL);

	json_array_begin(w, "storage");
	for (size_t i = 0; i < d->n_disks; i++) {
		const struct block_device *b = d->disks[i];

		json_object_begin(w, NULL);
		json_string(w, "name", b->name);
		json_string(w, "fstype", b->fstype);
		json_string(w, "label", b->label);
		json_bool(w, "in_use", block_device_in_use(b));
		json_array_begin(w, "partitions");
		for (size_t j = 0; j < b->n_parts; j++) {
			json_object_begin(w, NULL);
			json_string(w, "name", b->parts[j].name);
			json_string(w, "fstype", b->parts[j].fstype);
			json_string(w, "label", b->parts[j].label);
			json_object_end(w);
		}
		json_array_end(w);
		json_array_begin(w, "uses");
		for (size_t j = 0; j < b->n_uses; j++) {
			json_object_begin(w, NULL);
			json_string(w, "kind", use_kind_str(b->uses[j].kind));
			json_string(w, "what", b->uses[j].what);
			json_string(w, "partition", b->uses[j].partition);
			json_object_end(w);
		}
		json_array_end(w);
		json_object_end(w);
	}
	json_array_end(w);

	if (pci_class_is_network(d->class)) {
		_cleanup_strv_free_ char **ifs = NULL;

		json_array_begin(w, "net");
		if (host_pci_net_interfaces(h, d, &ifs) >= 0)
			STRV_FOREACH (i, ifs)
				json_string(w, NULL, *i);
		json_array_end(w);
	}
	json_object_end(w);
}

static void text_storage(struct strbuf *sb, const struct block_device *b)
{
	/* Labels are the disk's content (the guest's, perhaps): escaped (issue 30 #4). */
	strbuf_printf(sb, "%s", b->name);
	if (b->disk_fstype) {
		strbuf_printf(sb, " %s", b->disk_fstype);
		if (b->disk_label) {
			strbuf_puts(sb, " \"");
			strbuf_put_escaped(sb, b->disk_label);
			strbuf_puts(sb, "\"");
		}
	}
	for (size_t i = 0; i < b->n_parts; i++) {
		const struct block_partition *p = &b->parts[i];

		strbuf_printf(sb, "%s %s %s", i ? "," : ":", p->name, p->fstype ? p->fstype : "-");
		if (p->label) {
			strbuf_puts(sb, " \"");
			strbuf_put_escaped(sb, p->label);
			strbuf_puts(sb, "\"");
		}
	}
	if (b->n_uses == 0) {
		strbuf_puts(sb, "; unused");
		return;
	}
	strbuf_puts(sb, "; in use:");
	for (size_t j = 0; j < b->n_uses; j++) {
		const struct block_use *u = &b->uses[j];

		strbuf_printf(sb, "%s %s %s%s%s", j ? "," : "", use_kind_str(u->kind), u->what,
			      u->partition ? " on " : "", u->partition ? u->partition : "");
	}
}

static void text_device(struct strbuf *sb, const struct host *h, const struct pci_device *d,
			bool color)
{
	const char *warn = color ? ANSI_YELLOW : "", *bad = color ? ANSI_RED : "",
		   *off = color ? ANSI_RESET : "";

	strbuf_printf(sb, "  %s [%04x:%04x] %s [%04x]: %s (rev %02x)\n", d->address, d->vendor,
		      d->device, d->class_name ? d->class_name : "", d->class >> 8,
		      d->name ? d->name : "", d->revision);
	strbuf_printf(sb, "      driver: %s", d->driver ? d->driver : "none");
	if (d->driver_override)
		strbuf_printf(sb, "; driver_override: %s", d->driver_override);
	if (d->boot_vga)
		strbuf_printf(sb, "; %sboot VGA%s", warn, off);
	if (d->is_bridge)
		strbuf_puts(sb, "; bridge");
	if (holds_storage_in_use(d))
		strbuf_printf(sb, "; %sholds storage in use%s", bad, off);
	if (d->reset_methods && d->reset_methods[0]) {
		strbuf_puts(sb, "; reset:");
		STRV_FOREACH (m, d->reset_methods)
			strbuf_printf(sb, " %s", *m);
	}
	if (pci_class_is_network(d->class)) {
		_cleanup_strv_free_ char **ifs = NULL;

		if (host_pci_net_interfaces(h, d, &ifs) >= 0 && ifs[0]) {
			strbuf_puts(sb, "; net:");
			STRV_FOREACH (i, ifs)
				strbuf_printf(
				    sb, " %s%s", *i,
				    streq_ptr(*i, h->default_route_dev) ? " (default route)" : "");
		}
	}
	strbuf_putc(sb, '\n');
	for (size_t i = 0; i < d->n_disks; i++) {
		bool used = block_device_in_use(d->disks[i]);

		strbuf_printf(sb, "      %sstorage: ", used ? bad : "");
		text_storage(sb, d->disks[i]);
		strbuf_printf(sb, "%s\n", used ? off : "");
	}
}

int verb_list(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	_cleanup_host_ struct host *h = NULL;
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	bool json = false, any_ungrouped = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "jh", options, NULL)) >= 0) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			printf("Usage: gpt-bootcfg [--root DIR] list [--json]\n\n"
			       "Show IOMMU groups and their devices, with drivers and flags.\n");
			return EXIT_OK;
		default:
			return EXIT_ERROR;
		}
	}
	if (verb_extra_operand(argc, argv))
		return EXIT_ERROR;

	/* The text shows no NUMA node: on a big host that read is a sixth of the work. */
	r = host_load_skip(cli->pc, json ? 0 : HOST_SKIP_PCI_NUMA, &h);
	if (r < 0) {
		log_error("Failed to read the host: %s", host_last_error());
		return EXIT_ERROR;
	}
	r = host_load_names(h);
	if (r < 0) {
		log_error_errno(r, "Failed to look up device names: %m");
		return EXIT_ERROR;
	}
	for (size_t i = 0; i < h->n_pci; i++)
		any_ungrouped = any_ungrouped || h->pci[i].iommu_group < 0;

	if (json) {
		struct json_writer w;

		json_init(&w, &sb);
		json_object_begin(&w, NULL);
		json_array_begin(&w, "groups");
		for (size_t i = 0; i < h->n_groups; i++) {
			json_object_begin(&w, NULL);
			json_int(&w, "id", h->groups[i].id);
			json_array_begin(&w, "devices");
			for (size_t j = 0; j < h->groups[i].n_devices; j++)
				json_device(&w, h, h->groups[i].devices[j]);
			json_array_end(&w);
			json_object_end(&w);
		}
		json_array_end(&w);
		json_array_begin(&w, "ungrouped");
		for (size_t i = 0; i < h->n_pci; i++)
			if (h->pci[i].iommu_group < 0)
				json_device(&w, h, &h->pci[i]);
		json_array_end(&w);
		json_object_end(&w);
	} else {
		const char *bold = cli->color ? ANSI_BOLD : "", *off = cli->color ? ANSI_RESET : "";

		for (size_t i = 0; i < h->n_groups; i++) {
			strbuf_printf(&sb, "%sIOMMU group %d%s\n", bold, h->groups[i].id, off);
			for (size_t j = 0; j < h->groups[i].n_devices; j++)
				text_device(&sb, h, h->groups[i].devices[j], cli->color);
		}
		if (any_ungrouped) {
			strbuf_printf(&sb, "%s%s%s\n", bold,
				      h->n_groups
					  ? "Devices without an IOMMU group"
					  : "No IOMMU groups (the IOMMU is off): all devices",
				      off);
			for (size_t i = 0; i < h->n_pci; i++)
				if (h->pci[i].iommu_group < 0)
					text_device(&sb, h, &h->pci[i], cli->color);
		}
	}
	if (!strbuf_str(&sb))
		return log_oom(), EXIT_ERROR;
	fputs(strbuf_str(&sb), stdout);
	if (fflush(stdout) != 0) {
		log_error_errno(-errno, "Failed to write the list: %m");
		return EXIT_ERROR;
	}
	return EXIT_OK;
}
