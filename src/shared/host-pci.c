/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host model's PCI devices and IOMMU groups (sysfs /sys/bus/pci/devices). */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>

#include "basic/parse-util.h"
#include "basic/strv-util.h"
#include "shared/host-internal.h"

struct iommu_group *host_find_group(const struct host *h, int id)
{
	for (size_t i = 0; i < h->n_groups; i++)
		if (h->groups[i].id == id)
			return &h->groups[i];
	return NULL;
}

static int cmp_pci(const void *a, const void *b)
{
	const struct pci_device *x = a, *y = b;

	return pci_addr_cmp(&x->addr, &y->addr);
}

struct pci_device *host_find_pci(const struct host *h, const struct pci_addr *addr)
{
	struct pci_device key = {.addr = *addr};

	return bsearch(&key, h->pci, h->n_pci, sizeof(struct pci_device), cmp_pci);
}

struct pci_device *host_find_pci_address(const struct host *h, const char *address)
{
	struct pci_addr a;

	if (!address || pci_addr_parse(address, &a) < 0)
		return NULL;
	return host_find_pci(h, &a);
}

/*
 * Read a sysfs attribute (at most a page) into buf with one open and, in practice, one
 * read: sysfs hands out the whole value in the first read, and so does a regular file in a
 * fixture. This is the hot path of "list" on big hosts. The value is cut at the first
 * newline and trailing blanks are dropped.
 */
static int read_attr_raw(struct path_cxt *pc, int dirfd, const char *dir, const char *attr,
			 char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	size_t n = 0;

	fd = path_openat(pc, dirfd, dir, attr, O_RDONLY | O_NOCTTY);
	if (fd < 0)
		return fd;
	for (;;) {
		ssize_t k = read(fd, buf + n, size - 1 - n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n == size - 1)
			/* Longer than any attribute we read: not what we expect here. */
			return -EBADMSG;
		/* A short read is the whole value; asking again only to see EOF costs a syscall. */
		break;
	}
	buf[n] = '\0';
	return 0;
}

static int read_attr(struct path_cxt *pc, int dirfd, const char *dir, const char *attr, char *buf,
		     size_t size)
{
	size_t n;
	int r;

	r = read_attr_raw(pc, dirfd, dir, attr, buf, size);
	if (r < 0)
		return r;
	buf[strcspn(buf, "\n")] = '\0';
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 0;
}

static int fail_attr(struct path_cxt *pc, int r, const char *dir, const char *attr,
		     const char *what)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, attr);
	if (!what && r == -ENOENT)
		host_fail(pc, r, p, "missing attribute");
	else if (!what)
		host_fail_errno(pc, r, p);
	else
		host_fail(pc, r, p, "%s", what);
	/* r, not host_fail()'s copy of it: clang's analyzer does not follow variadic calls. */
	return r;
}

/* A hexadecimal attribute; returns 1 if read, 0 if absent and optional. */
static int read_hex_attr(struct path_cxt *pc, int dirfd, const char *dir, const char *attr,
			 uint64_t max, bool optional, uint64_t *ret)
{
	char buf[64], what[64];
	uint64_t v;
	int r;

	r = read_attr(pc, dirfd, dir, attr, buf, sizeof(buf));
	if (r == -ENOENT && optional)
		return 0;
	if (r < 0)
		return fail_attr(pc, r, dir, attr,
				 r == -EBADMSG ? "not a hexadecimal number" : NULL);
	if (host_parse_hex(buf, &v) < 0)
		return fail_attr(pc, -EBADMSG, dir, attr, "not a hexadecimal number");
	if (v > max) {
		snprintf(what, sizeof(what), "value 0x%" PRIx64 " out of range", v);
		return fail_attr(pc, -ERANGE, dir, attr, what);
	}
	*ret = v;
	return 1;
}

/* An optional string attribute; *ret stays NULL when absent. */
static int read_opt_string(struct path_cxt *pc, int dirfd, const char *dir, const char *attr,
			   char **ret)
{
	char buf[4096];
	int r;

	r = read_attr(pc, dirfd, dir, attr, buf, sizeof(buf));
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return fail_attr(pc, r, dir, attr, r == -EBADMSG ? "value too long" : NULL);
	*ret = strdup(buf);
	return *ret ? 1 : -ENOMEM;
}

/* "XXXX:YYYY" (hexadecimal, as pci_uevent() writes it), the whole of s up to end. */
static int parse_id_pair(const char *s, const char *end, uint16_t *ret_a, uint16_t *ret_b)
{
	const char *e;
	uint64_t a, b;

	if (safe_atou64_prefix(s, 16, &a, &e) < 0 || *e != ':' || a > 0xffff ||
	    safe_atou64_prefix(e + 1, 16, &b, &e) < 0 || e != end || b > 0xffff)
		return -EBADMSG;
	*ret_a = (uint16_t)a;
	*ret_b = (uint16_t)b;
	return 0;
}

/*
 * The ids and the class from the device's uevent, which the kernel writes from the same
 * fields as the vendor, device, subsystem_* and class attributes (pci_uevent(): PCI_ID,
 * PCI_SUBSYS_ID, PCI_CLASS): one read instead of five opens, reads and closes, which is most
 * of what "list" costs on a big host (issue 31). 1 when all three were there and well
 * formed; 0 when the file is absent or is not that (a hand-made tree), and the attribute
 * files are read instead, naming what is wrong with them; <0 on a read error.
 */
static int read_uevent_ids(struct path_cxt *pc, int dirfd, const char *dir, struct pci_device *d)
{
	char buf[4096];
	uint16_t id[4];
	uint32_t class = 0;
	unsigned seen = 0;
	int r;

	r = read_attr_raw(pc, dirfd, dir, "uevent", buf, sizeof(buf));
	if (r == -ENOENT || r == -EBADMSG)
		return 0;
	if (r < 0)
		return fail_attr(pc, r, dir, "uevent", NULL);
	for (const char *l = buf; *l;) {
		const char *end = l + strcspn(l, "\n"), *v, *e;
		uint64_t x;

		if ((v = startswith(l, "PCI_ID=")) && parse_id_pair(v, end, &id[0], &id[1]) >= 0)
			seen |= 1;
		else if ((v = startswith(l, "PCI_SUBSYS_ID=")) &&
			 parse_id_pair(v, end, &id[2], &id[3]) >= 0)
			seen |= 2;
		else if ((v = startswith(l, "PCI_CLASS=")) &&
			 safe_atou64_prefix(v, 16, &x, &e) >= 0 && e == end && x <= 0xffffff) {
			class = (uint32_t)x;
			seen |= 4;
		}
		l = *end ? end + 1 : end;
	}
	if (seen != 7)
		return 0;
	d->vendor = id[0];
	d->device = id[1];
	d->subsystem_vendor = id[2];
	d->subsystem_device = id[3];
	d->class = class;
	return 1;
}

/* The five id attributes, one by one: where a tree has no (usable) uevent. */
static int read_id_attrs(struct path_cxt *pc, int dfd, const char *dir, struct pci_device *d)
{
	static const struct {
		const char *attr;
		uint64_t max;
	} attrs[] = {
	    {"vendor", 0xffff},		  {"device", 0xffff},  {"subsystem_vendor", 0xffff},
	    {"subsystem_device", 0xffff}, {"class", 0xffffff},
	};
	uint64_t v[ARRAY_SIZE(attrs)];
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(attrs); i++) {
		r = read_hex_attr(pc, dfd, dir, attrs[i].attr, attrs[i].max, false, &v[i]);
		if (r < 0)
			return r;
	}
	d->vendor = (uint16_t)v[0];
	d->device = (uint16_t)v[1];
	d->subsystem_vendor = (uint16_t)v[2];
	d->subsystem_device = (uint16_t)v[3];
	d->class = (uint32_t)v[4];
	return 0;
}

/*
 * Driver name to module name, filled as devices are loaded: one driver serves many devices,
 * and resolving "driver/module" inside the root costs four system calls a device.
 */
struct module_cache {
	char **drivers;
	char **modules; /* "" for a built-in driver */
};

static void module_cache_done(struct module_cache *c)
{
	strv_free(c->drivers);
	strv_free(c->modules);
}

static int driver_module(struct path_cxt *pc, struct module_cache *c, struct pci_device *d)
{
	_cleanup_free_ char *m = NULL, *p = NULL;
	size_t i = 0;
	int r;

	STRV_FOREACH (k, c->drivers) {
		if (streq(*k, d->driver)) {
			if (*c->modules[i] && !(d->driver_module = strdup(c->modules[i])))
				return -ENOMEM;
			return 0;
		}
		i++;
	}
	r = path_readlink_basename(pc, &m, "%s/driver/module", d->syspath);
	if (r < 0 && r != -ENOENT) {
		if (asprintf(&p, "%s/driver/module", d->syspath) < 0)
			return -ENOMEM;
		return host_fail_errno(pc, r, p);
	}
	if (strv_add(&c->drivers, d->driver) < 0 || strv_add(&c->modules, m ? m : "") < 0)
		return -ENOMEM;
	d->driver_module = TAKE_PTR(m);
	return 0;
}

static int load_pci_device(struct path_cxt *pc, int devfd, const char *name, unsigned skip,
			   struct module_cache *mc, struct pci_device *d)
{
	_cleanup_free_ char *s = NULL, *p = NULL;
	_cleanup_close_ int dfd = -1;
	uint64_t v;
	int r;

	if (pci_addr_parse(name, &d->addr) < 0)
		return host_fail(pc, -EBADMSG, "/sys/bus/pci/devices", "'%s' is not a PCI address",
				 name);
	pci_addr_format(&d->addr, d->address);
	d->numa_node = -1;
	d->iommu_group = -1;

	r = host_sysfs_link_path(pc, devfd, "/sys/bus/pci/devices", name, &d->syspath);
	if (r < 0) {
		_cleanup_free_ char *lp = NULL;

		if (asprintf(&lp, "/sys/bus/pci/devices/%s", name) < 0)
			return -ENOMEM;
		return host_fail_errno(pc, r, lp);
	}

	/* Every attribute below is looked up from here, not by its whole path again. */
	dfd = path_open_dir(pc, "%s", d->syspath);
	if (dfd < 0)
		return host_fail_errno(pc, dfd, d->syspath);

	r = read_uevent_ids(pc, dfd, d->syspath, d);
	if (r == 0)
		r = read_id_attrs(pc, dfd, d->syspath, d);
	if (r < 0)
		return r;
	d->is_bridge = pci_class_is_bridge(d->class);
	r = read_hex_attr(pc, dfd, d->syspath, "revision", 0xff, false, &v);
	if (r < 0)
		return r;
	d->revision = (uint8_t)v;

	/*
	 * The kernel creates boot_vga only for VGA devices (class 0300, or the pre-2.0 VGA
	 * class 0001); not probing the others saves a failed open per device.
	 */
	r = 0;
	if ((d->class >> 8) == 0x0300 || (d->class >> 8) == 0x0001)
		r = read_opt_string(pc, dfd, d->syspath, "boot_vga", &s);
	if (r < 0)
		return r;
	if (r > 0) {
		if (!streq(s, "0") && !streq(s, "1")) {
			if (asprintf(&p, "%s/boot_vga", d->syspath) < 0)
				return -ENOMEM;
			return host_fail(pc, -EBADMSG, p, "expected 0 or 1");
		}
		d->boot_vga = streq(s, "1");
		free(TAKE_PTR(s));
	}

	r = read_opt_string(pc, dfd, d->syspath, "driver_override", &d->driver_override);
	if (r < 0)
		return r;
	if (d->driver_override && (streq(d->driver_override, "(null)") || !*d->driver_override))
		free(TAKE_PTR(d->driver_override));

	/*
	 * modalias is a pure function of the ids (pci-sysfs.c modalias_show()); building it
	 * saves an open per device, which matters on hosts with a thousand functions.
	 */
	if (asprintf(&d->modalias, "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", d->vendor,
		     d->device, d->subsystem_vendor, d->subsystem_device, d->class >> 16,
		     (d->class >> 8) & 0xff, d->class & 0xff) < 0) {
		d->modalias = NULL;
		return -ENOMEM;
	}

	r = read_opt_string(pc, dfd, d->syspath, "reset_method", &s);
	if (r < 0)
		return r;
	r = split_words(s ? s : "", " \t\n", &d->reset_methods);
	if (r < 0)
		return r;
	free(TAKE_PTR(s));

	r = skip & HOST_SKIP_PCI_NUMA ? 0 : read_opt_string(pc, dfd, d->syspath, "numa_node", &s);
	if (r < 0)
		return r;
	if (r > 0) {
		long n;

		if (host_parse_int(s, -1, 65535, &n) < 0) {
			if (asprintf(&p, "%s/numa_node", d->syspath) < 0)
				return -ENOMEM;
			return host_fail(pc, -EBADMSG, p, "not a node number");
		}
		d->numa_node = (int)n;
		free(TAKE_PTR(s));
	}

	r = path_readlinkat_basename(pc, dfd, d->syspath, "driver", &d->driver);
	if (r < 0 && r != -ENOENT) {
		if (asprintf(&p, "%s/driver", d->syspath) < 0)
			return -ENOMEM;
		return host_fail_errno(pc, r, p);
	}
	/* What a modprobe.blacklist= names is the module, not the driver (xhci_hcd is in
	 * xhci_pci): the driver's module link, absent for a built-in driver. */
	if (d->driver) {
		r = driver_module(pc, mc, d);
		if (r < 0)
			return r;
	}

	r = path_readlinkat_basename(pc, dfd, d->syspath, "iommu_group", &s);
	if (r < 0 && r != -ENOENT) {
		if (asprintf(&p, "%s/iommu_group", d->syspath) < 0)
			return -ENOMEM;
		return host_fail_errno(pc, r, p);
	}
	if (r >= 0) {
		long n;

		if (host_parse_int(s, 0, INT_MAX, &n) < 0) {
			if (asprintf(&p, "%s/iommu_group", d->syspath) < 0)
				return -ENOMEM;
			return host_fail(pc, -EBADMSG, p, "link to '%s' is not an IOMMU group", s);
		}
		d->iommu_group = (int)n;
	}
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

static int build_groups(struct host *h)
{
	_cleanup_free_ int *ids = NULL;
	size_t n = 0;

	ids = malloc((h->n_pci + 1) * sizeof(int));
	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < h->n_pci; i++)
		if (h->pci[i].iommu_group >= 0)
			ids[n++] = h->pci[i].iommu_group;
	if (n == 0)
		return 0;
	qsort(ids, n, sizeof(int), cmp_int);
	h->groups = calloc(n, sizeof(struct iommu_group));
	if (!h->groups)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct iommu_group *g;

		if (h->n_groups > 0 && h->groups[h->n_groups - 1].id == ids[i]) {
			h->groups[h->n_groups - 1].n_devices++;
			continue;
		}
		g = &h->groups[h->n_groups++];
		g->id = ids[i];
		g->n_devices = 1;
	}
	for (size_t i = 0; i < h->n_groups; i++) {
		h->groups[i].devices = calloc(h->groups[i].n_devices, sizeof(struct pci_device *));
		if (!h->groups[i].devices)
			return -ENOMEM;
		h->groups[i].n_devices = 0;
	}
	/* h->pci is sorted, so each group's device list comes out sorted too. */
	for (size_t i = 0; i < h->n_pci; i++) {
		struct iommu_group *g;

		if (h->pci[i].iommu_group < 0)
			continue;
		g = host_find_group(h, h->pci[i].iommu_group);
		g->devices[g->n_devices++] = &h->pci[i];
	}
	return 0;
}

int host_load_pci(struct host *h)
{
	_cleanup_(module_cache_done) struct module_cache mc = {};
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_close_ int dfd = -1;
	size_t n;
	int r;

	r = path_list_dir(h->pc, &names, "/sys/bus/pci/devices");
	if (r == -ENOENT || r == -ENOTDIR)
		return host_fail(h->pc, -ENOTDIR, "/sys/bus/pci/devices",
				 "not a host tree (no PCI device directory)");
	if (r < 0)
		return host_fail_errno(h->pc, r, "/sys/bus/pci/devices");

	/* Resolved once: each device's link is read below it, not by its whole path. */
	dfd = path_open_dir(h->pc, "/sys/bus/pci/devices");
	if (dfd < 0)
		return host_fail_errno(h->pc, dfd, "/sys/bus/pci/devices");
	n = strv_length(names);
	h->pci = calloc(n ? n : 1, sizeof(struct pci_device));
	if (!h->pci)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		r = load_pci_device(h->pc, dfd, names[i], h->skip, &mc, &h->pci[i]);
		h->n_pci = i + 1;
		if (r < 0)
			return r;
	}
	qsort(h->pci, h->n_pci, sizeof(struct pci_device), cmp_pci);

	/* The parent bridge is the directory above the device in the canonical sysfs path. */
	for (size_t i = 0; i < h->n_pci; i++) {
		struct pci_device *d = &h->pci[i];
		const char *slash = strrchr(d->syspath, '/');
		char up[PATH_MAX];
		const char *base;

		if (!slash || slash == d->syspath)
			continue;
		snprintf(up, sizeof(up), "%.*s", (int)(slash - d->syspath), d->syspath);
		base = strrchr(up, '/');
		d->parent = host_find_pci_address(h, base ? base + 1 : up);
		if (d->parent == d)
			d->parent = NULL;
	}
	return build_groups(h);
}

void host_pci_device_done(struct pci_device *d)
{
	free(d->syspath);
	free(d->driver);
	free(d->driver_module);
	free(d->driver_override);
	free(d->modalias);
	strv_free(d->reset_methods);
	free(d->disks);
	free(d->name);
	free(d->class_name);
}

int host_pci_net_interfaces(const struct host *h, const struct pci_device *d, char ***ret)
{
	char **l = NULL;
	int r;

	r = path_list_dir(h->pc, &l, "%s/net", d->syspath);
	if (r == -ENOENT) {
		l = host_strv_new_empty();
		if (!l)
			return -ENOMEM;
	} else if (r < 0)
		return r;
	*ret = l;
	return 0;
}

size_t host_slot_functions(const struct host *h, const struct pci_device *d,
			   struct pci_device **ret, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < h->n_pci; i++)
		if (pci_addr_same_slot(&h->pci[i].addr, &d->addr)) {
			if (n < max)
				ret[n] = &h->pci[i];
			n++;
		}
	return n;
}
