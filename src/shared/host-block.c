/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host model's whole disks with their partitions, content and uses; mounts and swaps. */
#include <blkid.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "basic/mountinfo.h"
#include "basic/strv-util.h"
#include "shared/host-internal.h"

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
		if (strncmp(path, t, l) != 0 || !(l == 1 || path[l] == '\0' || path[l] == '/'))
			continue;
		if (l >= best_len) {
			best = &h->mounts[i];
			best_len = l;
		}
	}
	return best;
}

/* The nearest PCI device among the components of a canonical sysfs path. */
static struct pci_device *pci_ancestor(const struct host *h, const char *syspath)
{
	_cleanup_free_ char *copy = strdup(syspath);
	char *p;

	if (!copy)
		return NULL;
	while ((p = strrchr(copy, '/'))) {
		struct pci_device *d = host_find_pci_address(h, p + 1);

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
		return host_fail(pc, r, p, "missing attribute");
	if (r < 0)
		return host_fail_errno(pc, r, p);
	colon = strchr(s, ':');
	if (colon)
		*colon = '\0';
	if (!colon || host_parse_int(s, 0, INT_MAX, &ma) < 0 ||
	    host_parse_int(colon + 1, 0, INT_MAX, &mi) < 0)
		return host_fail(pc, -EBADMSG, p, "not a device number (MAJOR:MINOR)");
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
		return host_fail_errno(pc, r, p);
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
		return host_fail_errno(pc, r, p);
	}
	STRV_FOREACH (x, holders) {
		r = add_use(b, BLOCK_USE_HOLDER, *x, partition);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Mounts and swaps on one device node (the disk, or one of its partitions). */
static int add_mount_uses(struct host *h, struct block_device *b, const char *node, unsigned ma,
			  unsigned mi, const char *partition)
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
	STRV_FOREACH (s, h->swaps) {
		if (streq(*s, dev)) {
			r = add_use(b, BLOCK_USE_SWAP, *s, partition);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int load_block_device(struct host *h, int dirfd, const char *name, struct block_device *b)
{
	_cleanup_strv_free_ char **entries = NULL;
	int r;

	b->name = strdup(name);
	if (!b->name)
		return -ENOMEM;
	r = host_sysfs_link_path(h->pc, dirfd, "/sys/block", name, &b->syspath);
	if (r < 0) {
		_cleanup_free_ char *p = NULL;

		if (asprintf(&p, "/sys/block/%s", name) < 0)
			return -ENOMEM;
		return host_fail_errno(h->pc, r, p);
	}
	r = read_devno(h->pc, b->syspath, &b->major, &b->minor);
	if (r < 0)
		return r;
	b->pci = pci_ancestor(h, b->syspath);

	b->partitions = host_strv_new_empty();
	if (!b->partitions)
		return -ENOMEM;
	r = path_list_dir(h->pc, &entries, "%s", b->syspath);
	if (r < 0)
		return host_fail_errno(h->pc, r, b->syspath);
	STRV_FOREACH (e, entries) {
		_cleanup_free_ char *dir = NULL;
		struct block_partition *np, *part;

		/* Partitions are the subdirectories named after the disk with a "partition" file.
		 */
		if (!startswith(*e, name) || streq(*e, name))
			continue;
		if (asprintf(&dir, "%s/%s", b->syspath, *e) < 0)
			return -ENOMEM;
		r = path_exists(h->pc, "%s/partition", dir);
		if (r < 0)
			return host_fail_errno(h->pc, r, dir);
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

int host_load_blocks(struct host *h)
{
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_close_ int dfd = -1;
	size_t n;
	int r;

	r = path_list_dir(h->pc, &names, "/sys/block");
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return host_fail_errno(h->pc, r, "/sys/block");
	n = strv_length(names);
	if (n == 0)
		return 0;
	dfd = path_open_dir(h->pc, "/sys/block");
	if (dfd < 0)
		return host_fail_errno(h->pc, dfd, "/sys/block");
	h->blocks = calloc(n, sizeof(struct block_device));
	if (!h->blocks)
		return -ENOMEM;
	/* path_list_dir() sorted the names, so the array is sorted by name. */
	for (size_t i = 0; i < n; i++) {
		r = load_block_device(h, dfd, names[i], &h->blocks[i]);
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

int host_load_mounts(struct host *h)
{
	_cleanup_free_ char *text = NULL;
	struct mountinfo_entry *l = NULL;
	size_t n = 0;
	unsigned line = 0;
	int r;

	r = path_read_full(h->pc, &text, NULL, "/proc/self/mountinfo");
	if (r == -ENOENT)
		/* Without it, no disk could be proven unused: refuse rather than guess. */
		return host_fail(h->pc, r, "/proc/self/mountinfo", "missing");
	if (r < 0)
		return host_fail_errno(h->pc, r, "/proc/self/mountinfo");
	r = mountinfo_parse(text, &l, &n, &line);
	if (r == -EBADMSG)
		return host_fail(h->pc, r, "/proc/self/mountinfo", "line %u: not a mountinfo line",
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
		h->swaps = host_strv_new_empty();
		return h->swaps ? 0 : -ENOMEM;
	}
	if (r < 0)
		return host_fail_errno(h->pc, r, "/proc/swaps");
	r = swaps_parse(text, &h->swaps, &line);
	if (r == -EBADMSG)
		return host_fail(h->pc, r, "/proc/swaps", "line %u: missing the 'Filename' header",
				 line);
	return r;
}

void host_block_device_done(struct block_device *b)
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
