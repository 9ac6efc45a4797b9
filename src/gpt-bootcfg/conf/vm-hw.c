/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * [vm] keys for the guest's hardware: boot order, vfio-pci device options, SPICE display
 * and audio, machine type and UUID. The boot order the QEMU command gets from them is
 * qemuboot.c's: this file is the config parser's side and does not know the QEMU builder.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "basic/macro.h"
#include "basic/parse-util.h"
#include "basic/strv-util.h"
#include "conf/vm-hw.h"
#include "features/table.h"

bool vm_machine_type_valid(const char *s)
{
	const char *v = startswith(s, "pc-q35-");
	unsigned dots = 0;

	/* MAJOR.MINOR, as QEMU names its versioned machine types ("pc-q35-7.2"). */
	if (!v || !isdigit((unsigned char)*v) || strlen(s) > 32)
		return false;
	for (const char *p = v; *p; p++) {
		if (*p == '.') {
			if (!isdigit((unsigned char)p[1]))
				return false;
			dots++;
		} else if (!isdigit((unsigned char)*p)) {
			return false;
		}
	}
	return dots == 1;
}

bool vm_uuid_valid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (size_t i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-'
							    : !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* ---- device-options ---- */

enum hw_opt_type {
	HW_OPT_BOOL, /* on/off, other boolean spellings normalised */
	HW_OPT_ONOFFAUTO,
	HW_OPT_UINT,  /* decimal, 0..max */
	HW_OPT_PCIID, /* 0xHHHH */
	HW_OPT_PATH,  /* absolute, under --root at run time */
	HW_OPT_ENUM,
	HW_OPT_BOOTINDEX,
};

struct hw_vfio_option {
	const char *name;
	enum hw_opt_type type;
	unsigned max;		   /* HW_OPT_UINT */
	const char *const *values; /* HW_OPT_ENUM, NULL-terminated */
};

static const char *const hw_msix_relocation[] = {"off",	 "auto", "bar0", "bar1", "bar2",
						 "bar3", "bar4", "bar5", NULL};

/*
 * The vfio-pci properties (QEMU 7.2) a user of a passed-through device may need. Those
 * that place the device (host, sysfsdev, bus, addr, id, multifunction, acpi-index) are
 * gpt-bootcfg's, and the migration ones make no sense with a pinned, passed-through device.
 */
static const struct hw_vfio_option hw_vfio_options[] = {
    {"bootindex", HW_OPT_BOOTINDEX, 0, NULL},
    {"rombar", HW_OPT_UINT, 1, NULL},
    {"romfile", HW_OPT_PATH, 0, NULL},
    {"x-vga", HW_OPT_BOOL, 0, NULL},
    {"display", HW_OPT_ONOFFAUTO, 0, NULL},
    {"x-no-kvm-intx", HW_OPT_BOOL, 0, NULL},
    {"x-no-kvm-msi", HW_OPT_BOOL, 0, NULL},
    {"x-no-kvm-msix", HW_OPT_BOOL, 0, NULL},
    {"x-no-mmap", HW_OPT_BOOL, 0, NULL},
    {"x-no-geforce-quirks", HW_OPT_BOOL, 0, NULL},
    {"x-no-kvm-ioeventfd", HW_OPT_BOOL, 0, NULL},
    {"x-no-vfio-ioeventfd", HW_OPT_BOOL, 0, NULL},
    {"x-igd-opregion", HW_OPT_BOOL, 0, NULL},
    {"x-igd-gms", HW_OPT_UINT, 64, NULL},
    {"x-balloon-allowed", HW_OPT_BOOL, 0, NULL},
    {"x-req", HW_OPT_BOOL, 0, NULL},
    {"x-pcie-extcap-init", HW_OPT_BOOL, 0, NULL},
    {"x-pcie-lnksta-dllla", HW_OPT_BOOL, 0, NULL},
    {"x-intx-mmap-timeout-ms", HW_OPT_UINT, 60000, NULL},
    {"x-nv-gpudirect-clique", HW_OPT_UINT, 15, NULL},
    {"x-msix-relocation", HW_OPT_ENUM, 0, hw_msix_relocation},
    {"x-pci-vendor-id", HW_OPT_PCIID, 0, NULL},
    {"x-pci-device-id", HW_OPT_PCIID, 0, NULL},
    {"x-pci-sub-vendor-id", HW_OPT_PCIID, 0, NULL},
    {"x-pci-sub-device-id", HW_OPT_PCIID, 0, NULL},
};

static const char *const hw_reserved_options[] = {
    "host", "sysfsdev", "bus", "addr", "id", "multifunction", "acpi-index", "failover_pair_id",
};

/*
 * One "name=value" of device-options at offset off of the entry's value. Returns the
 * option as QEMU gets it in *ret_opt (NULL for bootindex, which goes to dopt->bootindex).
 */
static int hw_parse_vfio_option(const struct config *c, const struct config_entry *e, size_t off,
				const char *opt, struct vm_device_options *dopt, char **ret_opt,
				char **ret_error)
{
	const char *eq = strchr(opt, '='), *v;
	const struct hw_vfio_option *def = NULL;
	_cleanup_free_ char *k = NULL;
	size_t voff;
	unsigned u;
	bool b;

	if (!eq)
		return config_fail(c, e, off, ret_error, "device-options: '%s' is not name=value",
				   opt);
	k = strndup(opt, (size_t)(eq - opt));
	if (!k)
		return -ENOMEM;
	v = eq + 1;
	voff = off + (size_t)(v - opt);
	for (size_t i = 0; i < ARRAY_SIZE(hw_reserved_options); i++)
		if (streq(k, hw_reserved_options[i]))
			return config_fail(c, e, off, ret_error,
					   "device-options: '%s' is set by gpt-bootcfg, not here",
					   k);
	for (size_t i = 0; i < ARRAY_SIZE(hw_vfio_options); i++)
		if (streq(k, hw_vfio_options[i].name))
			def = &hw_vfio_options[i];
	if (!def)
		return config_fail(
		    c, e, off, ret_error,
		    "device-options: unknown option '%s' (known: " HW_KNOWN_OPTIONS ")", k);
	if (!*v)
		return config_fail(c, e, voff, ret_error, "device-options: %s has no value", k);
	/* Whatever the type: no second '=' (it would read as another option to a human). */
	if (strchr(v, '='))
		return config_fail(c, e, voff, ret_error,
				   "device-options: invalid value '%s' for %s", v, k);

	switch (def->type) {
	case HW_OPT_BOOTINDEX:
		if (parse_uint(v, 999, &u) < 0 || u == 0)
			return config_fail(c, e, voff, ret_error,
					   "device-options: bootindex must be 1 to 999, not '%s'",
					   v);
		dopt->bootindex = u;
		dopt->line = e->line;
		dopt->col = e->col_value + (unsigned)off;
		*ret_opt = NULL;
		return 0;
	case HW_OPT_BOOL:
		if (parse_bool(v, &b) < 0)
			return config_fail(c, e, voff, ret_error,
					   "device-options: %s expects on or off, not '%s'", k, v);
		/* QEMU wants on/off; yes/true/1 are normalised here. */
		return asprintf(ret_opt, "%s=%s", k, b ? "on" : "off") < 0 ? -ENOMEM : 0;
	case HW_OPT_ONOFFAUTO:
		if (!streq(v, "auto") && parse_bool(v, &b) < 0)
			return config_fail(c, e, voff, ret_error,
					   "device-options: %s expects on, off or auto, not '%s'",
					   k, v);
		return asprintf(ret_opt, "%s=%s", k,
				streq(v, "auto") ? "auto"
				: b		 ? "on"
						 : "off") < 0
			   ? -ENOMEM
			   : 0;
	case HW_OPT_UINT:
		if (parse_uint(v, def->max, &u) < 0)
			return config_fail(
			    c, e, voff, ret_error,
			    "device-options: %s must be a number from 0 to %u, not '%s'", k,
			    def->max, v);
		return asprintf(ret_opt, "%s=%u", k, u) < 0 ? -ENOMEM : 0;
	case HW_OPT_PCIID: {
		const char *h = startswith(v, "0x");
		uint64_t id;

		if (!h || strlen(h) != 4 || safe_atox64(h, &id) < 0)
			return config_fail(
			    c, e, voff, ret_error,
			    "device-options: %s must be a PCI id like 0x10de, not '%s'", k, v);
		return asprintf(ret_opt, "%s=0x%04" PRIx64, k, id) < 0 ? -ENOMEM : 0;
	}
	case HW_OPT_PATH:
		if (v[0] != '/' || strlen(v) >= 4096 || strcspn(v, ", \t\r\n\v\f") != strlen(v))
			return config_fail(c, e, voff, ret_error,
					   "device-options: %s '%s' is not an absolute path", k, v);
		for (const char *p = v; *p; p++)
			if (iscntrl((unsigned char)*p))
				return config_fail(
				    c, e, voff, ret_error,
				    "device-options: %s '%s' is not an absolute path", k, v);
		return asprintf(ret_opt, "%s=%s", k, v) < 0 ? -ENOMEM : 0;
	case HW_OPT_ENUM:
		for (const char *const *x = def->values; *x; x++)
			if (streq(v, *x))
				return asprintf(ret_opt, "%s=%s", k, v) < 0 ? -ENOMEM : 0;
		return config_fail(c, e, voff, ret_error,
				   "device-options: invalid value '%s' for %s", v, k);
	}
	return -EINVAL;
}

/*
 * "device-options = DEVICE name=value,name=value": one word for the device, one for the
 * options, separated by commas only. A comma can never reach QEMU inside a value (it is
 * the separator) and every value is checked against its property's type, so nothing here
 * can add a property, a device or an option of its own to the command line.
 */
static int hw_parse_device_options(const struct config *c, const struct config_entry *e,
				   struct vm_options *o, char **ret_error)
{
	const char *v = e->value, *p;
	_cleanup_free_ char *dev = NULL;
	_cleanup_strv_free_ char **opts = NULL;
	struct vm_device_options d = {0}, *nd;
	size_t n = 0, dev_len, start, end;
	int r;

	dev_len = strcspn(v, " \t");
	p = v + dev_len;
	start = (size_t)(p - v) + strspn(p, " \t");
	end = start + strcspn(v + start, " \t");
	if (dev_len == 0 || start == end || v[end + strspn(v + end, " \t")] != '\0')
		return config_fail(c, e, 0, ret_error,
				   "device-options: expected 'DEVICE option=value,...'");
	dev = strndup(v, dev_len);
	if (!dev)
		return -ENOMEM;

	for (size_t off = start; off < end;) {
		size_t len = strcspn(v + off, ",");
		_cleanup_free_ char *opt = NULL;
		char *out = NULL;

		if (off + len > end)
			len = end - off;
		if (len == 0)
			return config_fail(
			    c, e, off, ret_error,
			    "device-options: empty option (two commas, or one at the "
			    "start or end)");
		opt = strndup(v + off, len);
		if (!opt)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			size_t kl = strcspn(opts[i], "=");

			if (strncmp(opts[i], opt, kl) == 0 && opt[kl] == '=')
				return config_fail(c, e, off, ret_error,
						   "device-options: %.*s is given twice", (int)kl,
						   opt);
		}
		if (d.bootindex && startswith(opt, "bootindex="))
			return config_fail(c, e, off, ret_error,
					   "device-options: bootindex is given twice");
		r = hw_parse_vfio_option(c, e, off, opt, &d, &out, ret_error);
		if (r < 0)
			return r;
		if (out) {
			r = strv_consume(&opts, out);
			if (r < 0)
				return r;
			n++;
		}
		off += len;
		if (off < end) {
			off++; /* the comma */
			if (off == end)
				return config_fail(c, e, off - 1, ret_error,
						   "device-options: empty option (two commas, or "
						   "one at the start or end)");
		}
	}
	if (!config_has_device_section(c, dev))
		return config_fail(c, e, 0, ret_error, "device-options: no [device %s] section",
				   dev);
	for (size_t i = 0; i < o->n_devopts; i++)
		if (streq(o->devopts[i].device, dev))
			return config_fail(c, e, 0, ret_error,
					   "device-options: '%s' is given twice", dev);
	if (!opts) {
		opts = calloc(1, sizeof(char *));
		if (!opts)
			return -ENOMEM;
	}

	nd = realloc(o->devopts, (o->n_devopts + 1) * sizeof(*nd));
	if (!nd)
		return -ENOMEM;
	o->devopts = nd;
	d.device = TAKE_PTR(dev);
	d.options = TAKE_PTR(opts);
	nd[o->n_devopts++] = d;
	return 0;
}

/* ---- boot, display, audio, machine, uuid ---- */

static int hw_parse_boot(const struct config *c, const struct config_entry *e, struct vm_options *o,
			 char **ret_error)
{
	const char *v = e->value;
	struct vm_boot_item *items = NULL;
	size_t n = 0;
	int r = 0;

	for (size_t off = 0;;) {
		_cleanup_free_ char *w = NULL;
		struct vm_boot_item it = {0}, *ni;
		size_t len;

		off += strspn(v + off, " \t,");
		if (!v[off])
			break;
		len = strcspn(v + off, " \t,");
		w = strndup(v + off, len);
		if (!w) {
			r = -ENOMEM;
			break;
		}
		if ((streq(w, "disk") || streq(w, "cdrom") || streq(w, "network")) &&
		    config_has_device_section(c, w)) {
			/* Either reading would surprise someone: make the name unique. */
			*ret_error = config_error(c, e->line, e->col_value + (unsigned)off,
						  "boot: '%s' is both a keyword and a [device %s] "
						  "section; rename the section",
						  w, w);
			r = -EINVAL;
			break;
		}
		if (streq(w, "disk"))
			it.kind = VM_BOOT_DISK;
		else if (streq(w, "cdrom"))
			it.kind = VM_BOOT_CDROM;
		else if (streq(w, "network"))
			it.kind = VM_BOOT_NETWORK;
		else if (config_has_device_section(c, w))
			it.kind = VM_BOOT_DEVICE;
		else {
			*ret_error =
			    config_error(c, e->line, e->col_value + (unsigned)off,
					 "boot: '%s' is not disk, cdrom, network or a [device] "
					 "section",
					 w);
			r = -EINVAL;
			break;
		}
		for (size_t i = 0; i < n && r == 0; i++)
			if (items[i].kind == it.kind &&
			    (it.kind != VM_BOOT_DEVICE || streq(items[i].device, w))) {
				*ret_error = config_error(c, e->line, e->col_value + (unsigned)off,
							  "boot: '%s' is listed twice", w);
				r = -EINVAL;
			}
		if (r < 0)
			break;
		if (it.kind == VM_BOOT_DEVICE)
			it.device = TAKE_PTR(w);
		ni = realloc(items, (n + 1) * sizeof(*ni));
		if (!ni) {
			free(it.device);
			r = -ENOMEM;
			break;
		}
		items = ni;
		items[n++] = it;
		off += len;
	}
	if (r == 0 && n == 0) {
		*ret_error =
		    config_error(c, e->line, e->col_value,
				 "boot: expected what to boot from, in order (device names, "
				 "disk, cdrom, network)");
		r = -EINVAL;
	}
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			free(items[i].device);
		free(items);
		return r;
	}
	o->boot = items;
	o->n_boot = n;
	o->boot_line = e->line;
	o->boot_col = e->col_value;
	return 0;
}

int vm_hw_parse_key(const struct config *c, const struct config_entry *e, struct vm_options *o,
		    char **ret_error)
{
	const char *k = e->key, *v = e->value;
	int r;

	if (streq(k, "device-options")) {
		r = hw_parse_device_options(c, e, o, ret_error);
		return r < 0 ? r : 1;
	}
	if (streq(k, "boot")) {
		r = hw_parse_boot(c, e, o, ret_error);
		return r < 0 ? r : 1;
	}
	if (streq(k, "display")) {
		if (streq(v, "none"))
			o->display = VM_DISPLAY_NONE;
		else if (streq(v, "virtio-vga"))
			o->display = VM_DISPLAY_VIRTIO_VGA;
		else if (streq(v, "qxl-vga"))
			o->display = VM_DISPLAY_QXL_VGA;
		else
			return config_fail(
			    c, e, 0, ret_error,
			    "display: expected virtio-vga, qxl-vga or none, not '%s'", v);
		return 1;
	}
	if (streq(k, "machine")) {
		if (!vm_machine_type_valid(v))
			return config_fail(
			    c, e, 0, ret_error,
			    "machine: expected a versioned q35 machine type like pc-q35-7.2, "
			    "not '%s' (qemu-system-x86_64 -machine help lists them)",
			    v);
		free(o->machine);
		o->machine = strdup(v);
		return o->machine ? 1 : -ENOMEM;
	}
	if (streq(k, "uuid")) {
		if (!vm_uuid_valid(v))
			return config_fail(c, e, 0, ret_error,
					   "uuid: '%s' is not a UUID like "
					   "8c3f1a52-6b0e-4d3e-9a57-2f6e1c0b9d41",
					   v);
		free(o->uuid);
		o->uuid = strdup(v);
		if (!o->uuid)
			return -ENOMEM;
		/* QEMU and SMBIOS take either case; one spelling keeps the state file stable. */
		for (char *p = o->uuid; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		return 1;
	}
	/* the features' keys: audio, looking-glass, input, usb-devices, ... (features/table.h) */
	FOREACH_FEATURE (f) {
		if (!(*f)->vm_parse_key)
			continue;
		r = (*f)->vm_parse_key(c, e, o, ret_error);
		if (r != 0)
			return r;
	}
	return 0;
}

static const struct config_entry *hw_find(const struct config_section *s, const char *key)
{
	for (size_t i = 0; i < s->n_entries; i++)
		if (streq(s->entries[i].key, key))
			return &s->entries[i];
	return NULL;
}

int vm_hw_check(const struct config *c, const struct config_section *s, struct vm_config *vm,
		char **ret_error)
{
	struct vm_options *o = vm->options;
	const struct config_entry *boot_e = hw_find(s, "boot"), *e;
	int r;

	for (size_t i = 0; i < o->n_boot; i++) {
		const struct vm_boot_item *it = &o->boot[i];
		bool found = false;

		switch (it->kind) {
		case VM_BOOT_DEVICE:
			STRV_FOREACH (d, vm->devices)
				found = found || streq(*d, it->device);
			if (!found)
				return config_fail(c, boot_e, 0, ret_error,
						   "boot: '%s' is not in devices", it->device);
			break;
		case VM_BOOT_DISK:
			if (!o->n_disks)
				return config_fail(c, boot_e, 0, ret_error,
						   "boot: 'disk', but no disk is configured");
			break;
		case VM_BOOT_CDROM:
			if (!o->cdroms || !o->cdroms[0])
				return config_fail(c, boot_e, 0, ret_error,
						   "boot: 'cdrom', but no cdrom is configured");
			break;
		case VM_BOOT_NETWORK:
			if (o->network == VM_NET_NONE)
				return config_fail(c, boot_e, 0, ret_error,
						   "boot: 'network', but network = none");
			break;
		}
	}
	for (size_t i = 0; i < o->n_devopts; i++) {
		const struct vm_device_options *d = &o->devopts[i];

		if (!d->bootindex)
			continue;
		if (boot_e) {
			*ret_error =
			    config_error(c, d->line, d->col,
					 "device-options: bootindex and 'boot' (line %u) both set "
					 "the boot order; use boot = ...",
					 boot_e->line);
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++)
			if (o->devopts[j].bootindex == d->bootindex) {
				*ret_error = config_error(
				    c, d->line, d->col,
				    "device-options: bootindex=%u is also given to "
				    "'%s' on line %u",
				    d->bootindex, o->devopts[j].device, o->devopts[j].line);
				return -EINVAL;
			}
	}

	/* The emulated display and the sound card are what the SPICE client shows and plays. */
	e = hw_find(s, "display");
	if (!e && o->spice != VM_SPICE_NONE)
		o->display = VM_DISPLAY_VIRTIO_VGA;
	if (e && o->display != VM_DISPLAY_NONE && o->spice == VM_SPICE_NONE)
		return config_fail(
		    c, e, 0, ret_error,
		    "display: needs spice = unix or loopback (nothing else shows it)");
	e = hw_find(s, "audio");
	if (e && o->audio == VM_AUDIO_SPICE && o->spice == VM_SPICE_NONE)
		return config_fail(c, e, 0, ret_error,
				   "audio: spice needs spice = unix or loopback");
	/* looking-glass, input, usb-devices (vm-gamedev.c); audio-user (vm-audio.c) */
	FOREACH_FEATURE (f) {
		if (!(*f)->vm_check)
			continue;
		r = (*f)->vm_check(c, s, o, ret_error);
		if (r < 0)
			return r;
	}
	return 0;
}

void vm_hw_free(struct vm_options *o)
{
	for (size_t i = 0; i < o->n_boot; i++)
		free(o->boot[i].device);
	free(o->boot);
	free(o->machine);
	free(o->uuid);
	FOREACH_FEATURE (f)
		if ((*f)->vm_free)
			(*f)->vm_free(o);
}
