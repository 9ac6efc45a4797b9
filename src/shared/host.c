/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <blkid.h>
#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pci/pci.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cpulist.h"
#include "host.h"
#include "mountinfo.h"
#include "proc-cmdline.h"
#include "strbuf.h"
#include "strv-util.h"

static __thread char last_error[1024];

const char *host_last_error(void)
{
	return last_error[0] ? last_error : "unknown error";
}

/*
 * Remember "ROOT/host/path: problem" and return r. The prefixed path is named because it
 * is the file the user can look at (with --root, the fixture's copy).
 */
static int fail(struct path_cxt *pc, int r, const char *host_path, const char *fmt, ...)
	_printf_(4, 5);
static int fail(struct path_cxt *pc, int r, const char *host_path, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(last_error, sizeof(last_error), "%s%s: %s", path_cxt_root(pc), host_path, what);
	return r;
}

static int fail_errno(struct path_cxt *pc, int r, const char *host_path)
{
	if (r == -EBADMSG)
		return fail(pc, r, host_path, "unexpected contents");
	return fail(pc, r, host_path, "%s", strerror(-r));
}

static char **strv_new_empty(void)
{
	return calloc(1, sizeof(char *));
}

/* Split on blanks into a strv (reset_method, cpuinfo flags). */
static int strv_split(const char *s, char ***ret)
{
	char **l = strv_new_empty();

	if (!l)
		return -ENOMEM;
	while (*s) {
		size_t k;
		char tok[256];

		s += strspn(s, " \t\n");
		k = strcspn(s, " \t\n");
		if (k == 0)
			break;
		if (k >= sizeof(tok)) {
			strv_free(l);
			return -EBADMSG;
		}
		memcpy(tok, s, k);
		tok[k] = '\0';
		if (strv_add(&l, tok) < 0) {
			strv_free(l);
			return -ENOMEM;
		}
		s += k;
	}
	*ret = l;
	return 0;
}

/* Host path of the directory a sysfs link (DIR/NAME) points to. */
static int sysfs_link_path(struct path_cxt *pc, const char *dir, const char *name, char **ret)
{
	_cleanup_free_ char *target = NULL;
	int r;

	r = path_readlink(pc, &target, "%s/%s", dir, name);
	if (r == -EINVAL)
		/* A plain directory (hand-made trees): its own path is the canonical one. */
		return asprintf(ret, "%s/%s", dir, name) < 0 ? -ENOMEM : 0;
	if (r < 0)
		return r;
	return path_resolve_link(dir, target, ret);
}

static int cmp_pci(const void *a, const void *b)
{
	const struct pci_device *x = a, *y = b;

	return pci_addr_cmp(&x->addr, &y->addr);
}

struct pci_device *host_find_pci(const struct host *h, const char *address)
{
	struct pci_device key = {};

	if (!address || pci_addr_parse(address, &key.addr) < 0)
		return NULL;
	return bsearch(&key, h->pci, h->n_pci, sizeof(struct pci_device), cmp_pci);
}

struct iommu_group *host_find_group(const struct host *h, int id)
{
	for (size_t i = 0; i < h->n_groups; i++)
		if (h->groups[i].id == id)
			return &h->groups[i];
	return NULL;
}

struct block_device *host_find_block(const struct host *h, const char *name)
{
	for (size_t i = 0; i < h->n_blocks; i++)
		if (streq(h->blocks[i].name, name))
			return &h->blocks[i];
	return NULL;
}

const struct mount_entry *host_find_mount(const struct host *h, const char *path)
{
	const struct mount_entry *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < h->n_mounts; i++) {
		const char *t = h->mounts[i].target;
		size_t l = strlen(t);

		/* "/" is every path's parent; "/dev" is "/dev/hugepages"'s, "/de" is not. */
		while (l > 1 && t[l - 1] == '/')
			l--;
		if (strncmp(path, t, l) != 0 ||
		    !(l == 1 || path[l] == '\0' || path[l] == '/'))
			continue;
		if (l >= best_len) {
			best = &h->mounts[i];
			best_len = l;
		}
	}
	return best;
}

/*
 * Read a sysfs attribute (at most a page) into buf with one open and, in practice, one
 * read: sysfs hands out the whole value in the first read, and so does a regular file in a
 * fixture. This is the hot path of "list" on big hosts. The value is cut at the first
 * newline and trailing blanks are dropped.
 */
static int read_attr(struct path_cxt *pc, int dirfd, const char *dir, const char *attr, char *buf,
		     size_t size)
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
		fail(pc, r, p, "missing attribute");
	else if (!what)
		fail_errno(pc, r, p);
	else
		fail(pc, r, p, "%s", what);
	/* r, not fail()'s copy of it: clang's analyzer does not follow variadic calls. */
	return r;
}

/* "0x10de" or "10de"; no sign, no blanks, nothing after the digits. */
static int parse_hex(const char *s, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!isxdigit((unsigned char)*s))
		return -EBADMSG;
	errno = 0;
	v = strtoull(s, &end, 16);
	if (errno || *end)
		return -EBADMSG;
	*ret = v;
	return 0;
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
		return fail_attr(pc, r, dir, attr, r == -EBADMSG ? "not a hexadecimal number" : NULL);
	if (parse_hex(buf, &v) < 0)
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

static int parse_int(const char *s, long min, long max, long *ret)
{
	char *end;
	long v;

	if (!*s || isspace((unsigned char)*s))
		return -EBADMSG;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EBADMSG;
	*ret = v;
	return 0;
}

static int load_pci_device(struct path_cxt *pc, const char *name, struct pci_device *d)
{
	_cleanup_free_ char *s = NULL, *p = NULL;
	_cleanup_close_ int dfd = -1;
	uint64_t v;
	int r;

	if (pci_addr_parse(name, &d->addr) < 0)
		return fail(pc, -EBADMSG, "/sys/bus/pci/devices", "'%s' is not a PCI address",
			    name);
	pci_addr_format(&d->addr, d->address);
	d->numa_node = -1;
	d->iommu_group = -1;

	r = sysfs_link_path(pc, "/sys/bus/pci/devices", name, &d->syspath);
	if (r < 0) {
		_cleanup_free_ char *lp = NULL;

		if (asprintf(&lp, "/sys/bus/pci/devices/%s", name) < 0)
			return -ENOMEM;
		return fail_errno(pc, r, lp);
	}

	/* Every attribute below is looked up from here, not by its whole path again. */
	dfd = path_open_dir(pc, "%s", d->syspath);
	if (dfd < 0)
		return fail_errno(pc, dfd, d->syspath);

	r = read_hex_attr(pc, dfd, d->syspath, "vendor", 0xffff, false, &v);
	if (r < 0)
		return r;
	d->vendor = (uint16_t)v;
	r = read_hex_attr(pc, dfd, d->syspath, "device", 0xffff, false, &v);
	if (r < 0)
		return r;
	d->device = (uint16_t)v;
	r = read_hex_attr(pc, dfd, d->syspath, "subsystem_vendor", 0xffff, false, &v);
	if (r < 0)
		return r;
	d->subsystem_vendor = (uint16_t)v;
	r = read_hex_attr(pc, dfd, d->syspath, "subsystem_device", 0xffff, false, &v);
	if (r < 0)
		return r;
	d->subsystem_device = (uint16_t)v;
	r = read_hex_attr(pc, dfd, d->syspath, "class", 0xffffff, false, &v);
	if (r < 0)
		return r;
	d->class = (uint32_t)v;
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
			return fail(pc, -EBADMSG, p, "expected 0 or 1");
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
	r = strv_split(s ? s : "", &d->reset_methods);
	if (r < 0)
		return fail(pc, r, d->syspath, "reset_method: cannot parse");
	free(TAKE_PTR(s));

	r = read_opt_string(pc, dfd, d->syspath, "numa_node", &s);
	if (r < 0)
		return r;
	if (r > 0) {
		long n;

		if (parse_int(s, -1, 65535, &n) < 0) {
			if (asprintf(&p, "%s/numa_node", d->syspath) < 0)
				return -ENOMEM;
			return fail(pc, -EBADMSG, p, "not a node number");
		}
		d->numa_node = (int)n;
		free(TAKE_PTR(s));
	}

	r = path_readlinkat_basename(pc, dfd, d->syspath, "driver", &d->driver);
	if (r < 0 && r != -ENOENT) {
		if (asprintf(&p, "%s/driver", d->syspath) < 0)
			return -ENOMEM;
		return fail_errno(pc, r, p);
	}

	r = path_readlinkat_basename(pc, dfd, d->syspath, "iommu_group", &s);
	if (r < 0 && r != -ENOENT) {
		if (asprintf(&p, "%s/iommu_group", d->syspath) < 0)
			return -ENOMEM;
		return fail_errno(pc, r, p);
	}
	if (r >= 0) {
		long n;

		if (parse_int(s, 0, INT_MAX, &n) < 0) {
			if (asprintf(&p, "%s/iommu_group", d->syspath) < 0)
				return -ENOMEM;
			return fail(pc, -EBADMSG, p, "link to '%s' is not an IOMMU group", s);
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

static int load_pci(struct host *h)
{
	_cleanup_strv_free_ char **names = NULL;
	size_t n;
	int r;

	r = path_list_dir(h->pc, &names, "/sys/bus/pci/devices");
	if (r == -ENOENT || r == -ENOTDIR)
		return fail(h->pc, -ENOTDIR, "/sys/bus/pci/devices",
			    "not a host tree (no PCI device directory)");
	if (r < 0)
		return fail_errno(h->pc, r, "/sys/bus/pci/devices");

	n = strv_length(names);
	h->pci = calloc(n ? n : 1, sizeof(struct pci_device));
	if (!h->pci)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		r = load_pci_device(h->pc, names[i], &h->pci[i]);
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
		d->parent = host_find_pci(h, base ? base + 1 : up);
		if (d->parent == d)
			d->parent = NULL;
	}
	return build_groups(h);
}

/* The nearest PCI device among the components of a canonical sysfs path. */
static struct pci_device *pci_ancestor(const struct host *h, const char *syspath)
{
	_cleanup_free_ char *copy = strdup(syspath);
	char *p;

	if (!copy)
		return NULL;
	while ((p = strrchr(copy, '/'))) {
		struct pci_device *d = host_find_pci(h, p + 1);

		if (d)
			return d;
		*p = '\0';
	}
	return NULL;
}

static int read_devno(struct path_cxt *pc, const char *dir, unsigned *ret_major,
		      unsigned *ret_minor)
{
	_cleanup_free_ char *p = NULL, *s = NULL;
	char *colon;
	long ma, mi;
	int r;

	if (asprintf(&p, "%s/dev", dir) < 0)
		return -ENOMEM;
	r = path_read_string(pc, &s, "%s", p);
	if (r == -ENOENT)
		return fail(pc, r, p, "missing attribute");
	if (r < 0)
		return fail_errno(pc, r, p);
	colon = strchr(s, ':');
	if (colon)
		*colon = '\0';
	if (!colon || parse_int(s, 0, INT_MAX, &ma) < 0 ||
	    parse_int(colon + 1, 0, INT_MAX, &mi) < 0)
		return fail(pc, -EBADMSG, p, "not a device number (MAJOR:MINOR)");
	*ret_major = (unsigned)ma;
	*ret_minor = (unsigned)mi;
	return 0;
}

/* Content from the udev database: E:ID_FS_TYPE= and E:ID_FS_LABEL= lines. */
static int udev_content(struct path_cxt *pc, unsigned ma, unsigned mi, char **ret_fstype,
			char **ret_label)
{
	_cleanup_free_ char *text = NULL;
	char *line, *save = NULL;
	int r;

	r = path_read_full(pc, &text, NULL, "/run/udev/data/b%u:%u", ma, mi);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		char p[64];

		snprintf(p, sizeof(p), "/run/udev/data/b%u:%u", ma, mi);
		return fail_errno(pc, r, p);
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *v;
		char **dst = NULL;

		if ((v = startswith(line, "E:ID_FS_TYPE=")))
			dst = ret_fstype;
		else if ((v = startswith(line, "E:ID_FS_LABEL=")))
			dst = ret_label;
		if (!dst || !*v)
			continue;
		free(*dst);
		*dst = strdup(v);
		if (!*dst)
			return -ENOMEM;
	}
	return 0;
}

/* Content with libblkid, read-only, on a device node or image file we opened ourselves. */
static int blkid_content(int fd, char **ret_fstype, char **ret_label)
{
	blkid_probe pr;
	const char *v;
	int r = 0;

	pr = blkid_new_probe();
	if (!pr)
		return -ENOMEM;
	if (blkid_probe_set_device(pr, fd, 0, 0) < 0)
		goto out;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL);
	if (blkid_do_safeprobe(pr) != 0)
		goto out;
	if (blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0 && !(*ret_fstype = strdup(v)))
		r = -ENOMEM;
	if (r == 0 && blkid_probe_lookup_value(pr, "LABEL", &v, NULL) == 0 &&
	    !(*ret_label = strdup(v)))
		r = -ENOMEM;
out:
	blkid_free_probe(pr);
	return r;
}

/*
 * fstype and label of /dev/NAME: libblkid when the prefixed node is a real block device
 * or a non-empty image file, otherwise the udev database (fixtures, snapshots). Returns
 * 1 when libblkid was used.
 */
static int block_content(struct path_cxt *pc, const char *name, unsigned ma, unsigned mi,
			 char **ret_fstype, char **ret_label)
{
	struct stat st;

	if (path_stat(pc, &st, "/dev/%s", name) >= 0 &&
	    (S_ISBLK(st.st_mode) || (S_ISREG(st.st_mode) && st.st_size > 0))) {
		_cleanup_close_ int fd = path_open(pc, O_RDONLY | O_NONBLOCK, 0, "/dev/%s", name);

		if (fd >= 0) {
			int r = blkid_content(fd, ret_fstype, ret_label);

			return r < 0 ? r : 1;
		}
	}
	return udev_content(pc, ma, mi, ret_fstype, ret_label);
}

static int add_use(struct block_device *b, enum block_use_kind kind, const char *what,
		   const char *partition)
{
	struct block_use *nu, *u;

	nu = realloc(b->uses, (b->n_uses + 1) * sizeof(*nu));
	if (!nu)
		return -ENOMEM;
	b->uses = nu;
	u = &b->uses[b->n_uses];
	memset(u, 0, sizeof(*u));
	u->kind = kind;
	u->what = strdup(what);
	u->partition = partition ? strdup(partition) : NULL;
	b->n_uses++;
	if (!u->what || (partition && !u->partition))
		return -ENOMEM;
	return 0;
}

static int add_holders(struct path_cxt *pc, struct block_device *b, const char *dir,
		       const char *partition)
{
	_cleanup_strv_free_ char **holders = NULL;
	int r;

	r = path_list_dir(pc, &holders, "%s/holders", dir);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		_cleanup_free_ char *p = NULL;

		if (asprintf(&p, "%s/holders", dir) < 0)
			return -ENOMEM;
		return fail_errno(pc, r, p);
	}
	STRV_FOREACH(x, holders)
	{
		r = add_use(b, BLOCK_USE_HOLDER, *x, partition);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Mounts and swaps on one device node (the disk, or one of its partitions). */
static int add_mount_uses(struct host *h, struct block_device *b, const char *node,
			  unsigned ma, unsigned mi, const char *partition)
{
	char dev[PATH_MAX];
	int r;

	snprintf(dev, sizeof(dev), "/dev/%s", node);
	for (size_t i = 0; i < h->n_mounts; i++) {
		const struct mount_entry *m = &h->mounts[i];

		/* btrfs reports anonymous device numbers, so the source path counts too. */
		if ((m->major == ma && m->minor == mi) || streq(m->source, dev)) {
			r = add_use(b, BLOCK_USE_MOUNT, m->target, partition);
			if (r < 0)
				return r;
		}
	}
	STRV_FOREACH(s, h->swaps)
	{
		if (streq(*s, dev)) {
			r = add_use(b, BLOCK_USE_SWAP, *s, partition);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int load_block_device(struct host *h, const char *name, struct block_device *b)
{
	_cleanup_strv_free_ char **entries = NULL;
	int r;

	b->name = strdup(name);
	if (!b->name)
		return -ENOMEM;
	r = sysfs_link_path(h->pc, "/sys/block", name, &b->syspath);
	if (r < 0) {
		_cleanup_free_ char *p = NULL;

		if (asprintf(&p, "/sys/block/%s", name) < 0)
			return -ENOMEM;
		return fail_errno(h->pc, r, p);
	}
	r = read_devno(h->pc, b->syspath, &b->major, &b->minor);
	if (r < 0)
		return r;
	b->pci = pci_ancestor(h, b->syspath);

	b->partitions = strv_new_empty();
	if (!b->partitions)
		return -ENOMEM;
	r = path_list_dir(h->pc, &entries, "%s", b->syspath);
	if (r < 0)
		return fail_errno(h->pc, r, b->syspath);
	STRV_FOREACH(e, entries)
	{
		_cleanup_free_ char *dir = NULL;
		struct block_partition *np, *part;

		/* Partitions are the subdirectories named after the disk with a "partition" file. */
		if (!startswith(*e, name) || streq(*e, name))
			continue;
		if (asprintf(&dir, "%s/%s", b->syspath, *e) < 0)
			return -ENOMEM;
		r = path_exists(h->pc, "%s/partition", dir);
		if (r < 0)
			return fail_errno(h->pc, r, dir);
		if (r == 0)
			continue;
		np = realloc(b->parts, (b->n_parts + 1) * sizeof(*np));
		if (!np)
			return -ENOMEM;
		b->parts = np;
		part = &b->parts[b->n_parts];
		memset(part, 0, sizeof(*part));
		part->name = strdup(*e);
		b->n_parts++;
		if (!part->name || strv_add(&b->partitions, *e) < 0)
			return -ENOMEM;
		r = read_devno(h->pc, dir, &part->major, &part->minor);
		if (r < 0)
			return r;
		r = add_holders(h->pc, b, dir, part->name);
		if (r < 0)
			return r;
		r = add_mount_uses(h, b, part->name, part->major, part->minor, part->name);
		if (r < 0)
			return r;
	}
	r = add_holders(h->pc, b, b->syspath, NULL);
	if (r < 0)
		return r;
	r = add_mount_uses(h, b, b->name, b->major, b->minor, NULL);
	if (r < 0)
		return r;

	/* Content of the disk first (whole-disk filesystem), then of each partition. */
	r = block_content(h->pc, b->name, b->major, b->minor, &b->disk_fstype, &b->disk_label);
	if (r < 0)
		return r;
	b->content_probed = r > 0;
	for (size_t i = 0; i < b->n_parts; i++) {
		struct block_partition *p = &b->parts[i];

		r = block_content(h->pc, p->name, p->major, p->minor, &p->fstype, &p->label);
		if (r < 0)
			return r;
		b->content_probed = b->content_probed || r > 0;
	}
	if (b->disk_fstype) {
		b->fstype = strdup(b->disk_fstype);
		b->label = b->disk_label ? strdup(b->disk_label) : NULL;
	} else {
		for (size_t i = 0; i < b->n_parts; i++) {
			if (!b->parts[i].fstype)
				continue;
			b->fstype = strdup(b->parts[i].fstype);
			b->label = b->parts[i].label ? strdup(b->parts[i].label) : NULL;
			break;
		}
	}
	return 0;
}

static int load_blocks(struct host *h)
{
	_cleanup_strv_free_ char **names = NULL;
	size_t n;
	int r;

	r = path_list_dir(h->pc, &names, "/sys/block");
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return fail_errno(h->pc, r, "/sys/block");
	n = strv_length(names);
	if (n == 0)
		return 0;
	h->blocks = calloc(n, sizeof(struct block_device));
	if (!h->blocks)
		return -ENOMEM;
	/* path_list_dir() sorted the names, so the array is sorted by name. */
	for (size_t i = 0; i < n; i++) {
		r = load_block_device(h, names[i], &h->blocks[i]);
		h->n_blocks = i + 1;
		if (r < 0)
			return r;
	}
	/* Link each disk to its PCI device, in name order. */
	for (size_t i = 0; i < h->n_blocks; i++) {
		struct pci_device *d = h->blocks[i].pci;
		struct block_device **nd;

		if (!d)
			continue;
		nd = realloc(d->disks, (d->n_disks + 1) * sizeof(*nd));
		if (!nd)
			return -ENOMEM;
		d->disks = nd;
		d->disks[d->n_disks++] = &h->blocks[i];
	}
	return 0;
}

static int load_mounts(struct host *h)
{
	_cleanup_free_ char *text = NULL;
	struct mountinfo_entry *l = NULL;
	size_t n = 0;
	unsigned line = 0;
	int r;

	r = path_read_full(h->pc, &text, NULL, "/proc/self/mountinfo");
	if (r == -ENOENT)
		/* Without it, no disk could be proven unused: refuse rather than guess. */
		return fail(h->pc, r, "/proc/self/mountinfo", "missing");
	if (r < 0)
		return fail_errno(h->pc, r, "/proc/self/mountinfo");
	r = mountinfo_parse(text, &l, &n, &line);
	if (r == -EBADMSG)
		return fail(h->pc, r, "/proc/self/mountinfo", "line %u: not a mountinfo line",
			    line);
	if (r < 0)
		return r;
	/* Same layout, so hand the strings over instead of copying them. */
	_Static_assert(sizeof(struct mountinfo_entry) == sizeof(struct mount_entry),
		       "mount_entry mirrors mountinfo_entry");
	h->mounts = calloc(n ? n : 1, sizeof(struct mount_entry));
	if (!h->mounts) {
		mountinfo_free(l, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		h->mounts[i].major = l[i].major;
		h->mounts[i].minor = l[i].minor;
		h->mounts[i].target = l[i].target;
		h->mounts[i].source = l[i].source;
		h->mounts[i].fstype = l[i].fstype;
		h->mounts[i].options = l[i].options;
	}
	h->n_mounts = n;
	free(l);

	free(TAKE_PTR(text));
	r = path_read_full(h->pc, &text, NULL, "/proc/swaps");
	if (r == -ENOENT) {
		h->swaps = strv_new_empty();
		return h->swaps ? 0 : -ENOMEM;
	}
	if (r < 0)
		return fail_errno(h->pc, r, "/proc/swaps");
	r = swaps_parse(text, &h->swaps, &line);
	if (r == -EBADMSG)
		return fail(h->pc, r, "/proc/swaps", "line %u: missing the 'Filename' header",
			    line);
	return r;
}

static int load_cpu(struct host *h)
{
	_cleanup_free_ char *text = NULL, *possible = NULL;
	char *line, *save = NULL;
	unsigned processors = 0;
	int r;

	r = path_read_full(h->pc, &text, NULL, "/proc/cpuinfo");
	if (r < 0 && r != -ENOENT)
		return fail_errno(h->pc, r, "/proc/cpuinfo");
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');
		char *key_end, *v;

		if (!colon)
			continue;
		key_end = colon;
		while (key_end > line && (key_end[-1] == ' ' || key_end[-1] == '\t'))
			key_end--;
		*key_end = '\0';
		v = colon + 1;
		v += strspn(v, " \t");
		if (streq(line, "processor"))
			processors++;
		else if (streq(line, "vendor_id") && !h->cpu_vendor) {
			h->cpu_vendor = strdup(v);
			if (!h->cpu_vendor)
				return -ENOMEM;
		} else if (streq(line, "flags") && !h->cpu_flags) {
			r = strv_split(v, &h->cpu_flags);
			if (r < 0)
				return fail(h->pc, r, "/proc/cpuinfo", "cannot parse the flags line");
		}
	}
	if (!h->cpu_flags) {
		h->cpu_flags = strv_new_empty();
		if (!h->cpu_flags)
			return -ENOMEM;
	}
	h->n_cpus = processors;

	r = path_read_string(h->pc, &possible, "/sys/devices/system/cpu/possible");
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return fail_errno(h->pc, r, "/sys/devices/system/cpu/possible");
	r = cpulist_count(possible);
	if (r < 0)
		return fail(h->pc, r, "/sys/devices/system/cpu/possible", "not a CPU list");
	h->n_cpus = (unsigned)r;
	return 0;
}

/* MemTotal from /proc/meminfo; stays 0 (unknown) when the file or the line is missing. */
static int load_mem_total(struct host *h)
{
	_cleanup_free_ char *text = NULL;
	unsigned long long kb;
	const char *l;
	char *end;
	int r;

	r = path_read_full(h->pc, &text, NULL, "/proc/meminfo");
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return fail_errno(h->pc, r, "/proc/meminfo");
	l = startswith(text, "MemTotal:");
	if (!l) {
		l = strstr(text, "\nMemTotal:");
		l = l ? l + strlen("\nMemTotal:") : NULL;
	}
	if (!l)
		return 0;
	l += strspn(l, " \t");
	if (!isdigit((unsigned char)*l))
		return fail(h->pc, -EBADMSG, "/proc/meminfo", "MemTotal is not a size in kB");
	errno = 0;
	kb = strtoull(l, &end, 10);
	if (errno || end == l || !startswith(end, " kB") || kb > UINT64_MAX / 1024)
		return fail(h->pc, -EBADMSG, "/proc/meminfo", "MemTotal is not a size in kB");
	h->mem_total = (uint64_t)kb * 1024;
	return 0;
}

static int load_kernel(struct host *h)
{
	_cleanup_free_ char *route = NULL;
	char *line, *save = NULL;
	int r;

	r = load_mem_total(h);
	if (r < 0)
		return r;

	r = path_read_full(h->pc, &h->cmdline, NULL, "/proc/cmdline");
	if (r < 0 && r != -ENOENT)
		return fail_errno(h->pc, r, "/proc/cmdline");
	if (h->cmdline) {
		size_t l = strlen(h->cmdline);

		while (l > 0 && isspace((unsigned char)h->cmdline[l - 1]))
			h->cmdline[--l] = '\0';
	}

	r = path_read_string(h->pc, &h->kernel_release, "/proc/sys/kernel/osrelease");
	if (r < 0 && r != -ENOENT)
		return fail_errno(h->pc, r, "/proc/sys/kernel/osrelease");
	if (h->kernel_release &&
	    (!*h->kernel_release || strchr(h->kernel_release, '/') || strchr(h->kernel_release, ' ')))
		/* It becomes a path component under /lib/modules: refuse anything odd. */
		return fail(h->pc, -EBADMSG, "/proc/sys/kernel/osrelease", "not a kernel release");

	r = path_read_full(h->pc, &route, NULL, "/proc/net/route");
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return fail_errno(h->pc, r, "/proc/net/route");
	for (line = strtok_r(route, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char iface[64], dest[16], gw[16], flags_hex[16], mask[16];
		uint64_t flags;

		/* Iface Destination Gateway Flags RefCnt Use Metric Mask ...; Flags is hex. */
		if (sscanf(line, "%63s %15s %15s %15s %*u %*u %*u %15s", iface, dest, gw, flags_hex,
			   mask) != 5 ||
		    parse_hex(flags_hex, &flags) < 0)
			continue;
		if (streq(dest, "00000000") && streq(mask, "00000000") && (flags & 0x1)) {
			h->default_route_dev = strdup(iface);
			return h->default_route_dev ? 0 : -ENOMEM;
		}
	}
	return 0;
}

int host_load(struct path_cxt *pc, struct host **ret)
{
	struct host *h;
	int r;

	last_error[0] = '\0';
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->pc = pc;

	r = load_pci(h);
	if (r >= 0)
		r = load_mounts(h);
	if (r >= 0)
		r = load_blocks(h);
	if (r >= 0)
		r = load_cpu(h);
	if (r >= 0)
		r = load_kernel(h);
	if (r < 0) {
		if (!last_error[0])
			snprintf(last_error, sizeof(last_error), "%s", strerror(-r));
		host_free(h);
		return r;
	}
	*ret = h;
	return 0;
}

static void pci_device_done(struct pci_device *d)
{
	free(d->syspath);
	free(d->driver);
	free(d->driver_override);
	free(d->modalias);
	strv_free(d->reset_methods);
	free(d->disks);
	free(d->name);
	free(d->class_name);
}

static void block_device_done(struct block_device *b)
{
	free(b->name);
	free(b->syspath);
	strv_free(b->partitions);
	free(b->fstype);
	free(b->label);
	for (size_t i = 0; i < b->n_uses; i++) {
		free(b->uses[i].what);
		free(b->uses[i].partition);
	}
	free(b->uses);
	for (size_t i = 0; i < b->n_parts; i++) {
		free(b->parts[i].name);
		free(b->parts[i].fstype);
		free(b->parts[i].label);
	}
	free(b->parts);
	free(b->disk_fstype);
	free(b->disk_label);
}

void host_free(struct host *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n_pci; i++)
		pci_device_done(&h->pci[i]);
	free(h->pci);
	for (size_t i = 0; i < h->n_groups; i++)
		free(h->groups[i].devices);
	free(h->groups);
	for (size_t i = 0; i < h->n_blocks; i++)
		block_device_done(&h->blocks[i]);
	free(h->blocks);
	for (size_t i = 0; i < h->n_mounts; i++) {
		free(h->mounts[i].target);
		free(h->mounts[i].source);
		free(h->mounts[i].fstype);
		free(h->mounts[i].options);
	}
	free(h->mounts);
	strv_free(h->swaps);
	free(h->cpu_vendor);
	strv_free(h->cpu_flags);
	free(h->cmdline);
	free(h->kernel_release);
	free(h->default_route_dev);
	free(h);
}

/* libpci wants these; we only look names up, so its messages are of no use to the user. */
static void pci_quiet(char *msg _unused_, ...)
{
}

static _Noreturn void pci_fatal(char *msg _unused_, ...)
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

int host_pci_net_interfaces(const struct host *h, const struct pci_device *d, char ***ret)
{
	char **l = NULL;
	int r;

	r = path_list_dir(h->pc, &l, "%s/net", d->syspath);
	if (r == -ENOENT) {
		l = strv_new_empty();
		if (!l)
			return -ENOMEM;
	} else if (r < 0)
		return r;
	*ret = l;
	return 0;
}

bool host_has_cpu_flag(const struct host *h, const char *flag)
{
	STRV_FOREACH(f, h->cpu_flags)
		if (streq(*f, flag))
			return true;
	return false;
}

int host_cmdline_get(const struct host *h, const char *key, char **ret_value)
{
	return proc_cmdline_get(h->cmdline, key, ret_value);
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
