/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "basic/macro.h"
#include "basic/parse-util.h"
#include "basic/path.h"
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "conf/vm-hw.h"
#include "conf/vmconfig.h"
#include "core/config.h"
#include "core/numa.h"

static void vm_options_free(struct vm_options *o)
{
	if (!o)
		return;
	free(o->cpu_model);
	free(o->hugepage_mount);
	free(o->user);
	for (size_t i = 0; i < o->n_disks; i++) {
		free(o->disks[i].path);
		free(o->disks[i].format);
		free(o->disks[i].cache);
		free(o->disks[i].aio);
	}
	free(o->disks);
	strv_free(o->cdroms);
	free(o->ovmf_code);
	free(o->ovmf_vars);
	free(o->net_ifname);
	free(o->net_model);
	free(o->mac);
	free(o->spice_password_file);
	for (size_t i = 0; i < o->n_devopts; i++) {
		free(o->devopts[i].device);
		strv_free(o->devopts[i].options);
	}
	free(o->devopts);
	strv_free(o->extra_args);
	vm_hw_free(o);
	free(o);
}

void vm_config_free(struct vm_config *vm)
{
	if (!vm)
		return;
	free(vm->name);
	free(vm->vcpu_pins.cpus);
	free(vm->emulator_cpus.cpus);
	strv_free(vm->placement_why);
	strv_free(vm->devices);
	vm_options_free(vm->options);
	free(vm);
}

static void vm_config_freep(struct vm_config **vm)
{
	vm_config_free(*vm);
}

/* "16G", "16GiB", "512M", "1048576" (bytes). Binary units. */
static int parse_size(const char *s, uint64_t *ret)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = {
	    {"", 0},	 {"B", 0},  {"K", 10},	 {"KiB", 10}, {"M", 20},
	    {"MiB", 20}, {"G", 30}, {"GiB", 30}, {"T", 40},   {"TiB", 40},
	};
	const char *p;
	uint64_t v;
	int r = safe_atou64_prefix(s, 10, &v, &p);

	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcasecmp(p, units[i].suffix) != 0)
			continue;
		if (units[i].shift && v > (UINT64_MAX >> units[i].shift))
			return -ERANGE;
		*ret = v << units[i].shift;
		return 0;
	}
	return -EINVAL;
}

/*
 * A name the runner turns into a file name, an interface name or a QEMU id: no leading
 * '.', so it cannot be "." or ".." or a hidden file. Stricter than config.c's
 * valid_section_name(), which only checks the config file's syntax.
 */
static bool valid_runtime_name(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
			return false;
	return s[0] != '.';
}

/* An absolute path without characters that would break QEMU's comma-separated options. */
static bool valid_path(const char *s)
{
	if (s[0] != '/' || strlen(s) >= 4096)
		return false;
	for (const char *p = s; *p; p++)
		if (*p == ',' || isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return false;
	return true;
}

static int parse_cpus(const struct config *c, const struct config_entry *e,
		      struct cpu_set_list *ret, char **ret_error)
{
	struct cpu_set_list l;
	int r;

	r = cpulist_parse_ordered(e->value, &l);
	if (r == -ENOTUNIQ)
		return config_fail(c, e, 0, ret_error, "%s: a CPU is listed twice in '%s'", e->key,
				   e->value);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return config_fail(c, e, 0, ret_error,
				   "%s: invalid CPU list '%s' (expected e.g. 14-17,32-35)", e->key,
				   e->value);
	free(ret->cpus);
	*ret = l;
	return 0;
}

static int parse_disk(const struct config *c, const struct config_entry *e, struct vm_disk *d,
		      char **ret_error)
{
	_cleanup_strv_free_ char **w = NULL;
	const char *nv;
	int r;

	r = split_words(e->value, WHITESPACE, &w);
	if (r < 0)
		return r;
	if (!w[0])
		return config_fail(
		    c, e, 0, ret_error,
		    "disk: empty value (expected PATH [format=raw|qcow2] [bus=virtio|nvme] ...)");

	nv = startswith(w[0], "nvme://");
	if (nv) {
		char addr[PCI_ADDR_STRLEN];
		const char *slash = strchr(nv, '/');
		struct pci_addr a;
		size_t l = slash ? (size_t)(slash - nv) : strlen(nv);

		if (l >= sizeof(addr))
			return config_fail(
			    c, e, 0, ret_error,
			    "disk: invalid NVMe address in '%s' (expected nvme://0000:b3:00.0/1)",
			    w[0]);
		memcpy(addr, nv, l);
		addr[l] = '\0';
		if (pci_addr_parse(addr, &a) < 0)
			return config_fail(
			    c, e, 0, ret_error,
			    "disk: invalid NVMe address in '%s' (expected nvme://0000:b3:00.0/1)",
			    w[0]);
		d->nvme_namespace = 1;
		if (slash && parse_uint(slash + 1, 0xfffffffe, &d->nvme_namespace) < 0)
			return config_fail(c, e, 0, ret_error,
					   "disk: invalid NVMe namespace in '%s'", w[0]);
		if (d->nvme_namespace == 0)
			return config_fail(c, e, 0, ret_error,
					   "disk: NVMe namespaces start at 1 in '%s'", w[0]);
		d->nvme_host = true;
		pci_addr_format(&a, d->nvme_addr);
	} else {
		if (!valid_path(w[0]))
			return config_fail(
			    c, e, 0, ret_error,
			    "disk: '%s' is not an absolute path without commas or spaces", w[0]);
		d->path = strdup(w[0]);
		if (!d->path)
			return -ENOMEM;
	}

	for (char **o = w + 1; *o; o++) {
		const char *v;

		if ((v = startswith(*o, "format="))) {
			if (!streq(v, "raw") && !streq(v, "qcow2"))
				return config_fail(c, e, 0, ret_error,
						   "disk: format must be raw or qcow2, not '%s'",
						   v);
			free(d->format);
			d->format = strdup(v);
		} else if ((v = startswith(*o, "bus="))) {
			if (streq(v, "virtio"))
				d->bus = VM_DISK_VIRTIO;
			else if (streq(v, "nvme"))
				d->bus = VM_DISK_NVME;
			else
				return config_fail(c, e, 0, ret_error,
						   "disk: bus must be virtio or nvme, not '%s'", v);
		} else if ((v = startswith(*o, "cache="))) {
			static const char *const ok[] = {"none", "writeback", "writethrough",
							 "directsync", "unsafe"};
			bool found = false;

			for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
				found = found || streq(v, ok[i]);
			if (!found)
				return config_fail(c, e, 0, ret_error,
						   "disk: unknown cache mode '%s'", v);
			free(d->cache);
			d->cache = strdup(v);
		} else if ((v = startswith(*o, "aio="))) {
			if (!streq(v, "native") && !streq(v, "threads") && !streq(v, "io_uring"))
				return config_fail(
				    c, e, 0, ret_error,
				    "disk: aio must be native, threads or io_uring, not '%s'", v);
			free(d->aio);
			d->aio = strdup(v);
		} else {
			return config_fail(
			    c, e, 0, ret_error,
			    "disk: unknown option '%s' (known: format, bus, cache, aio)", *o);
		}
	}
	if (!d->format) {
		size_t l = d->path ? strlen(d->path) : 0;

		d->format = strdup(l > 6 && streq(d->path + l - 6, ".qcow2") ? "qcow2" : "raw");
	}
	if (!d->cache)
		d->cache = strdup("none");
	if (!d->aio)
		d->aio = strdup("native");
	if (!d->format || !d->cache || !d->aio)
		return -ENOMEM;
	/* Linux AIO is only asynchronous with O_DIRECT; QEMU refuses the combination. */
	if (streq(d->aio, "native") && !streq(d->cache, "none") && !streq(d->cache, "directsync"))
		return config_fail(c, e, 0, ret_error,
				   "disk: aio=native needs cache=none or cache=directsync");
	if (d->nvme_host && !streq(d->format, "raw"))
		return config_fail(c, e, 0, ret_error, "disk: an nvme:// disk is always raw");
	return 0;
}

static int parse_network(const struct config *c, const struct config_entry *e, struct vm_options *o,
			 char **ret_error)
{
	const char *v = e->value, *ifname = NULL;

	if (streq(v, "none"))
		o->network = VM_NET_NONE;
	else if (streq(v, "user"))
		o->network = VM_NET_USER;
	else if ((ifname = startswith(v, "bridge:")))
		o->network = VM_NET_BRIDGE;
	else if ((ifname = startswith(v, "tap:")))
		o->network = VM_NET_TAP;
	else
		return config_fail(
		    c, e, 0, ret_error,
		    "network: expected none, user, bridge:BRIDGE or tap:TAP, not '%s'", v);
	if (ifname) {
		/* IFNAMSIZ is 16 including the NUL. */
		if (!*ifname || strlen(ifname) > 15 || !valid_runtime_name(ifname))
			return config_fail(c, e, 0, ret_error,
					   "network: invalid interface name '%s'", ifname);
		/*
		 * apply writes "allow BRIDGE" into /etc/qemu/bridge.conf, where
		 * qemu-bridge-helper reads "all" as every bridge (issue 30, item 8).
		 */
		if (o->network == VM_NET_BRIDGE && streq(ifname, "all"))
			return config_fail(
			    c, e, (size_t)(ifname - v), ret_error,
			    "network: 'all' is no bridge name: qemu-bridge-helper "
			    "reads 'allow all' in /etc/qemu/bridge.conf as every bridge");
		free(o->net_ifname);
		o->net_ifname = strdup(ifname);
		if (!o->net_ifname)
			return -ENOMEM;
	}
	return 0;
}

static bool valid_mac(const char *s)
{
	uint64_t first;

	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return false;
	/* A multicast address cannot be a NIC's: the low bit of the first octet. */
	return safe_atou64_prefix(s, 16, &first, NULL) >= 0 && (first & 1) == 0;
}

static int set_string(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static bool is_repeatable(const char *key)
{
	return streq(key, "disk") || streq(key, "cdrom") || streq(key, "device-options") ||
	       streq(key, "extra-args");
}

int vm_config_parse(const struct config *c, const struct config_section *s, struct vm_config **ret,
		    char **ret_error)
{
	_cleanup_(vm_config_freep) struct vm_config *vm = NULL;
	struct vm_options *o;
	bool have_memory = false, have_vcpus = false;
	bool have_sockets = false, have_cores = false, have_threads = false, have_rtc = false;
	const struct config_entry *topo_e = NULL, *pins_e = NULL, *emu_e = NULL;
	const struct config_entry *spice_pw_e = NULL, *usb_e = NULL, *mem_e = NULL;
	int r;

	*ret_error = NULL;
	if (!s->name || !valid_runtime_name(s->name)) {
		*ret_error = config_error(c, s->line, 1,
					  "[vm] needs a name of letters, digits, '-', '_' or '.'");
		return -EINVAL;
	}

	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	vm->options = o;
	vm->name = strdup(s->name);
	o->cpu_model = strdup("host");
	o->hugepage_mount = strdup("/dev/hugepages");
	o->ovmf_code = strdup("/usr/share/OVMF/OVMF_CODE_4M.fd");
	o->ovmf_vars = strdup("/usr/share/OVMF/OVMF_VARS_4M.fd");
	o->net_model = strdup("virtio-net-pci");
	o->cdroms = calloc(1, sizeof(char *));
	o->extra_args = calloc(1, sizeof(char *));
	vm->devices = calloc(1, sizeof(char *));
	if (!vm->name || !o->cpu_model || !o->hugepage_mount || !o->ovmf_code || !o->ovmf_vars ||
	    !o->net_model || !o->cdroms || !o->extra_args || !vm->devices)
		return -ENOMEM;
	o->numa_node = VM_NUMA_NODE_AUTO;
	o->stop_timeout = 300;
	o->spice_port = 5930;
	vm->hugepage_size = UINT64_C(1) << 30;
	vm->sockets = 1;
	vm->threads = 1;

	for (size_t i = 0; i < s->n_entries; i++) {
		const struct config_entry *e = &s->entries[i];
		const char *k = e->key, *v = e->value;
		bool b;
		unsigned u;

		if (!is_repeatable(k))
			for (size_t j = 0; j < i; j++)
				if (streq(s->entries[j].key, k)) {
					*ret_error = config_error(c, e->line, e->col_key,
								  "'%s' is already set on line %u",
								  k, s->entries[j].line);
					return -EINVAL;
				}

		if (streq(k, "memory")) {
			if (parse_size(v, &vm->memory) < 0 || vm->memory == 0)
				return config_fail(
				    c, e, 0, ret_error,
				    "memory: invalid size '%s' (expected e.g. 16G or 4096M)", v);
			if (vm->memory % (UINT64_C(1) << 20))
				return config_fail(c, e, 0, ret_error,
						   "memory: '%s' is not a whole number of MiB", v);
			have_memory = true;
			mem_e = e;
			o->memory_line = e->line;
			o->memory_col = e->col_value;
		} else if (streq(k, "hugepage-size")) {
			if (streq(v, "none") || streq(v, "no")) {
				vm->hugepage_size = 0;
			} else if (parse_size(v, &vm->hugepage_size) < 0 ||
				   (vm->hugepage_size != UINT64_C(2) << 20 &&
				    vm->hugepage_size != UINT64_C(1) << 30)) {
				return config_fail(
				    c, e, 0, ret_error,
				    "hugepage-size: expected 1G, 2M or none, not '%s'", v);
			}
		} else if (streq(k, "vcpus")) {
			if (parse_uint(v, 1024, &vm->vcpus) < 0 || vm->vcpus == 0)
				return config_fail(
				    c, e, 0, ret_error,
				    "vcpus: expected a number from 1 to 1024, not '%s'", v);
			have_vcpus = true;
		} else if (streq(k, "sockets") || streq(k, "cores") || streq(k, "threads")) {
			if (parse_uint(v, 1024, &u) < 0 || u == 0)
				return config_fail(c, e, 0, ret_error,
						   "%s: expected a number from 1 to 1024, not '%s'",
						   k, v);
			if (streq(k, "sockets")) {
				vm->sockets = u;
				have_sockets = true;
			} else if (streq(k, "cores")) {
				vm->cores = u;
				have_cores = true;
			} else {
				vm->threads = u;
				have_threads = true;
			}
			topo_e = e;
		} else if (streq(k, "vcpu-pins")) {
			vm->vcpu_pins_auto = streq(v, "auto");
			r = vm->vcpu_pins_auto ? 0 : parse_cpus(c, e, &vm->vcpu_pins, ret_error);
			if (r < 0)
				return r;
			pins_e = e;
			o->vcpu_pins_line = e->line;
			o->vcpu_pins_col = e->col_value;
		} else if (streq(k, "emulator-cpus")) {
			vm->emulator_cpus_auto = streq(v, "auto");
			r = vm->emulator_cpus_auto
				? 0
				: parse_cpus(c, e, &vm->emulator_cpus, ret_error);
			if (r < 0)
				return r;
			emu_e = e;
			o->emulator_cpus_line = e->line;
			o->emulator_cpus_col = e->col_value;
		} else if (streq(k, "cpu-model")) {
			if (!*v || strlen(v) > 64 || strchr(v, ',') || !valid_runtime_name(v))
				return config_fail(c, e, 0, ret_error,
						   "cpu-model: invalid model name '%s'", v);
			if (set_string(&o->cpu_model, v) < 0)
				return -ENOMEM;
		} else if (streq(k, "hyperv") || streq(k, "hide-kvm") || streq(k, "autostart")) {
			if (parse_bool(v, &b) < 0)
				return config_fail(c, e, 0, ret_error,
						   "%s: expected yes or no, not '%s'", k, v);
			if (streq(k, "hyperv"))
				o->hyperv = b;
			else if (streq(k, "hide-kvm"))
				o->kvm_hidden = b;
			else
				vm->autostart = b;
		} else if (streq(k, "rtc")) {
			if (!streq(v, "utc") && !streq(v, "localtime"))
				return config_fail(c, e, 0, ret_error,
						   "rtc: expected utc or localtime, not '%s'", v);
			o->rtc_localtime = streq(v, "localtime");
			have_rtc = true;
		} else if (streq(k, "numa-node")) {
			if (streq(v, "auto"))
				o->numa_node = VM_NUMA_NODE_AUTO;
			else if (streq(v, "none"))
				o->numa_node = -1;
			else if (parse_uint(v, 1023, &u) == 0)
				o->numa_node = (int)u;
			else
				return config_fail(
				    c, e, 0, ret_error,
				    "numa-node: expected auto, none or a node number, not '%s'", v);
		} else if (streq(k, "hugepage-mount")) {
			if (!valid_path(v))
				return config_fail(c, e, 0, ret_error,
						   "hugepage-mount: '%s' is not an absolute path",
						   v);
			if (set_string(&o->hugepage_mount, v) < 0)
				return -ENOMEM;
		} else if (streq(k, "user")) {
			if (!user_name_valid(v))
				return config_fail(c, e, 0, ret_error,
						   "user: invalid user name '%s'", v);
			if (set_string(&o->user, v) < 0)
				return -ENOMEM;
			o->user_line = e->line;
			o->user_col = e->col_value;
		} else if (streq(k, "devices")) {
			_cleanup_strv_free_ char **l = NULL;

			r = split_words(v, WHITESPACE ",", &l);
			if (r < 0)
				return r;
			STRV_FOREACH (d, l) {
				if (!config_has_device_section(c, *d))
					return config_fail(c, e, 0, ret_error,
							   "devices: no [device %s] section", *d);
				for (char *const *d2 = l; d2 < d; d2++)
					if (streq(*d, *d2))
						return config_fail(c, e, 0, ret_error,
								   "devices: '%s' is listed twice",
								   *d);
			}
			strv_free(vm->devices);
			vm->devices = TAKE_PTR(l);
			o->devices_line = e->line;
			o->devices_col = e->col_value;
		} else if ((r = vm_hw_parse_key(c, e, o, ret_error)) != 0) {
			/* boot, device-options, display, audio, machine, uuid (vmhw.c) */
			if (r < 0)
				return r;
		} else if (streq(k, "disk")) {
			struct vm_disk *nd = realloc(o->disks, (o->n_disks + 1) * sizeof(*nd));

			if (!nd)
				return -ENOMEM;
			o->disks = nd;
			memset(&nd[o->n_disks], 0, sizeof(*nd));
			nd[o->n_disks].line = e->line;
			nd[o->n_disks].col = e->col_value;
			o->n_disks++;
			r = parse_disk(c, e, &nd[o->n_disks - 1], ret_error);
			if (r < 0)
				return r;
		} else if (streq(k, "cdrom")) {
			if (!valid_path(v))
				return config_fail(
				    c, e, 0, ret_error,
				    "cdrom: '%s' is not an absolute path without commas or spaces",
				    v);
			if (strv_add(&o->cdroms, v) < 0)
				return -ENOMEM;
			if (!o->cdroms_line) {
				o->cdroms_line = e->line;
				o->cdroms_col = e->col_value;
			}
		} else if (streq(k, "firmware")) {
			if (streq(v, "ovmf"))
				o->firmware = VM_FIRMWARE_OVMF;
			else if (streq(v, "bios"))
				o->firmware = VM_FIRMWARE_BIOS;
			else
				return config_fail(c, e, 0, ret_error,
						   "firmware: expected ovmf or bios, not '%s'", v);
		} else if (streq(k, "ovmf-code") || streq(k, "ovmf-vars")) {
			if (!valid_path(v))
				return config_fail(c, e, 0, ret_error,
						   "%s: '%s' is not an absolute path", k, v);
			if (set_string(streq(k, "ovmf-code") ? &o->ovmf_code : &o->ovmf_vars, v) <
			    0)
				return -ENOMEM;
			if (streq(k, "ovmf-code")) {
				o->ovmf_code_line = e->line;
				o->ovmf_code_col = e->col_value;
			}
		} else if (streq(k, "network")) {
			r = parse_network(c, e, o, ret_error);
			if (r < 0)
				return r;
		} else if (streq(k, "network-model")) {
			if (!streq(v, "virtio-net-pci") && !streq(v, "e1000e") &&
			    !streq(v, "e1000"))
				return config_fail(
				    c, e, 0, ret_error,
				    "network-model: expected virtio-net-pci, e1000e or e1000");
			if (set_string(&o->net_model, v) < 0)
				return -ENOMEM;
		} else if (streq(k, "mac")) {
			if (!valid_mac(v))
				return config_fail(
				    c, e, 0, ret_error,
				    "mac: '%s' is not a unicast MAC address like 52:54:00:12:34:56",
				    v);
			if (set_string(&o->mac, v) < 0)
				return -ENOMEM;
		} else if (streq(k, "spice")) {
			const char *port;

			if (streq(v, "no") || streq(v, "none"))
				o->spice = VM_SPICE_NONE;
			else if (streq(v, "unix"))
				o->spice = VM_SPICE_UNIX;
			else if (streq(v, "loopback"))
				o->spice = VM_SPICE_LOOPBACK;
			else if ((port = startswith(v, "loopback:"))) {
				o->spice = VM_SPICE_LOOPBACK;
				if (parse_uint(port, 65535, &o->spice_port) < 0 ||
				    o->spice_port == 0)
					return config_fail(c, e, 0, ret_error,
							   "spice: invalid port '%s'", port);
			} else
				return config_fail(
				    c, e, 0, ret_error,
				    "spice: expected no, unix or loopback[:PORT], not '%s' "
				    "(SPICE never listens beyond the loopback interface)",
				    v);
		} else if (streq(k, "spice-password-file")) {
			if (!valid_path(v))
				return config_fail(
				    c, e, 0, ret_error,
				    "spice-password-file: '%s' is not an absolute path", v);
			if (set_string(&o->spice_password_file, v) < 0)
				return -ENOMEM;
			o->spice_password_line = e->line;
			o->spice_password_col = e->col_value;
			spice_pw_e = e;
		} else if (streq(k, "usb-redirect")) {
			if (parse_uint(v, 8, &o->usb_redirect) < 0)
				return config_fail(
				    c, e, 0, ret_error,
				    "usb-redirect: expected a number of channels from 0 to 8");
			usb_e = e;
		} else if (streq(k, "stop-timeout")) {
			if (parse_uint(v, 3600, &o->stop_timeout) < 0 || o->stop_timeout == 0)
				return config_fail(
				    c, e, 0, ret_error,
				    "stop-timeout: expected seconds from 1 to 3600, not '%s'", v);
		} else if (streq(k, "extra-args")) {
			_cleanup_strv_free_ char **l = NULL;

			r = split_words(v, WHITESPACE, &l);
			if (r < 0)
				return r;
			STRV_FOREACH (a, l)
				if (strv_add(&o->extra_args, *a) < 0)
					return -ENOMEM;
		} else {
			*ret_error = config_error(c, e->line, e->col_key,
						  "unknown key '%s' in [vm %s]", k, s->name);
			return -EINVAL;
		}
	}

	if (!have_memory) {
		*ret_error = config_error(c, s->line, 1, "[vm %s] needs 'memory = SIZE'", s->name);
		return -EINVAL;
	}
	if (vm->hugepage_size && vm->memory % vm->hugepage_size)
		return config_fail(c, mem_e, 0, ret_error,
				   "memory: %" PRIu64 " MiB is not a multiple of the %" PRIu64
				   " MiB hugepage size",
				   vm->memory >> 20, vm->hugepage_size >> 20);
	if (!have_vcpus)
		vm->vcpus = vm->vcpu_pins.n ? (unsigned)vm->vcpu_pins.n : 2;
	if (!have_cores) {
		if (vm->vcpus % (vm->sockets * vm->threads))
			return config_fail(
			    c, topo_e, 0, ret_error,
			    "vcpus %u cannot be split into %u socket(s) of %u thread(s) per core",
			    vm->vcpus, vm->sockets, vm->threads);
		vm->cores = vm->vcpus / (vm->sockets * vm->threads);
	}
	if ((have_sockets || have_cores || have_threads) &&
	    vm->sockets * vm->cores * vm->threads != vm->vcpus)
		return config_fail(c, topo_e, 0, ret_error,
				   "sockets %u x cores %u x threads %u is not vcpus %u",
				   vm->sockets, vm->cores, vm->threads, vm->vcpus);
	if (pins_e && !vm->vcpu_pins_auto && vm->vcpu_pins.n != vm->vcpus)
		return config_fail(c, pins_e, 0, ret_error,
				   "vcpu-pins: %zu host CPUs for %u vCPUs (one per vCPU, in order)",
				   vm->vcpu_pins.n, vm->vcpus);
	if (emu_e && pins_e)
		for (size_t i = 0; i < vm->emulator_cpus.n; i++)
			if (cpulist_contains(&vm->vcpu_pins, vm->emulator_cpus.cpus[i]))
				return config_fail(
				    c, emu_e, 0, ret_error,
				    "emulator-cpus: CPU %u also runs a vCPU (vcpu-pins)",
				    vm->emulator_cpus.cpus[i]);
	if (o->usb_redirect && o->spice == VM_SPICE_NONE)
		return config_fail(c, usb_e, 0, ret_error,
				   "usb-redirect: needs spice = unix or loopback");
	if (o->spice == VM_SPICE_LOOPBACK && !o->spice_password_file) {
		*ret_error = config_error(
		    c, s->line, 1, "[vm %s]: spice = loopback needs spice-password-file", s->name);
		return -EINVAL;
	}
	if (spice_pw_e && o->spice != VM_SPICE_LOOPBACK)
		return config_fail(c, spice_pw_e, 0, ret_error,
				   "spice-password-file: only used with spice = loopback");
	for (size_t i = 0; i < o->n_devopts; i++) {
		bool listed = false;

		STRV_FOREACH (d, vm->devices)
			listed = listed || streq(*d, o->devopts[i].device);
		if (!listed) {
			*ret_error = config_error(
			    c, s->line, 1,
			    "[vm %s]: device-options for '%s', which is not in devices", s->name,
			    o->devopts[i].device);
			return -EINVAL;
		}
	}
	/* Windows keeps the RTC in local time; hyperv = yes is the config's Windows hint. */
	if (!have_rtc)
		o->rtc_localtime = o->hyperv;
	r = vm_hw_check(c, s, vm, ret_error);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(vm);
	return 0;
}
