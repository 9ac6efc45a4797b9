/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The runtime rules of apply --now: what makes a device unsafe to take from the running
 * host although the boot claim may take it (docs/runtime-claim.md). Everything is read
 * through the path layer, so fixture trees under --root exercise each rule.
 */
#include <ctype.h>
#include <stdio.h>

#include "basic/parse-util.h"
#include "basic/pci.h"
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "now/now.h"

/* Deep enough for PCI device / USB port / USB device / interface / input / eventN. */
#define WALK_MAX_DEPTH 12

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* What lies below a device in sysfs. */
struct below {
	char **nodes;	  /* names of directories with a "dev" file: nvme0n1, card0, ttyUSB0 */
	char **keyboards; /* "input3 (Logitech USB Keyboard)" */
};

/*
 * A keyboard as udev's input_id sees one: its key capability bitmap has every key from
 * KEY_ESC to KEY_D (codes 1 to 31) - the lowest word of the hex words in capabilities/key.
 */
static bool is_keyboard(struct path_cxt *pc, const char *dir)
{
	_cleanup_free_ char *key = NULL;
	const char *last;
	uint64_t low;

	if (path_read_string(pc, &key, "%s/capabilities/key", dir) < 0)
		return false;
	last = strrchr(key, ' ');
	last = last ? last + 1 : key;
	if (safe_atox64(last, &low) < 0)
		return false;
	return (low & 0xfffffffeULL) == 0xfffffffeULL;
}

static int walk(struct path_cxt *pc, const char *dir, unsigned depth, struct below *b)
{
	_cleanup_strv_free_ char **names = NULL;
	const char *base = strrchr(dir, '/');
	int r;

	base = base ? base + 1 : dir;
	if (depth > 0 && path_exists(pc, "%s/dev", dir) > 0 && strv_add(&b->nodes, base) < 0)
		return -ENOMEM;
	if (startswith(base, "input") && all_digits(base + 5) && is_keyboard(pc, dir)) {
		_cleanup_free_ char *name = NULL, *k = NULL, *raw = NULL;

		/* The device's own product name (USB descriptors): escaped (issue 30 #4). */
		if (path_read_string(pc, &raw, "%s/name", dir) >= 0 && str_escaped(raw, &name) < 0)
			return -ENOMEM;
		if (asprintf(&k, "%s (%s)", base, name ? name : "no name") < 0)
			return -ENOMEM;
		if (strv_consume(&b->keyboards, TAKE_PTR(k)) < 0)
			return -ENOMEM;
	}
	if (depth >= WALK_MAX_DEPTH)
		return 0;
	r = path_list_dir(pc, &names, "%s", dir);
	if (r < 0)
		return r == -ENOENT || r == -EACCES ? 0 : r;
	STRV_FOREACH (n, names) {
		_cleanup_free_ char *sub = NULL;
		struct stat st;

		/* Links (subsystem, driver, device, port) lead out of the subtree or back up. */
		if (asprintf(&sub, "%s/%s", dir, *n) < 0)
			return -ENOMEM;
		if (path_lstat(pc, &st, "%s", sub) < 0 || !S_ISDIR(st.st_mode))
			continue;
		/* Other PCI functions below a bridge are other devices, judged on their own. */
		if (depth > 0 && pci_addr_parse(*n, &(struct pci_addr){}) >= 0)
			continue;
		r = walk(pc, sub, depth + 1, b);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The open file in open_nodes of a node name below the device, or NULL. */
static const char *find_open(char *const *open_nodes, char *const *names)
{
	STRV_FOREACH (o, open_nodes) {
		size_t len = strcspn(*o, "\t");
		const char *slash = memrchr(*o, '/', len);
		const char *node = slash ? slash + 1 : *o;
		size_t nlen = len - (size_t)(node - *o);

		STRV_FOREACH (n, names)
			if (strlen(*n) == nlen && strncmp(node, *n, nlen) == 0)
				return *o;
	}
	return NULL;
}

/* "/dev/nvme0n1 is open by fio (pid 812)" from an open_nodes entry. */
static int describe_open(const char *entry, char **ret)
{
	int node = (int)strcspn(entry, "\t");
	const char *pid = entry[node] ? entry + node + 1 : "";
	int plen = (int)strcspn(pid, "\t");
	const char *comm = pid[plen] ? pid + plen + 1 : "?";

	return asprintf(ret, "%.*s is open by %s (pid %.*s)", node, entry, comm, plen, pid) < 0
		   ? -ENOMEM
		   : 0;
}

static int disk_use_reason(const struct block_device *b, char **ret)
{
	const struct block_use *u = &b->uses[0];
	const char *on = u->partition ? u->partition : b->name;

	switch (u->kind) {
	case BLOCK_USE_MOUNT:
		return asprintf(ret, "%s is mounted on %s", on, u->what) < 0 ? -ENOMEM : 0;
	case BLOCK_USE_SWAP:
		return asprintf(ret, "%s is in use as swap", on) < 0 ? -ENOMEM : 0;
	case BLOCK_USE_HOLDER: {
		/* What libblkid found on the held device names the holder's kind (LVM2_member). */
		const char *content = u->partition ? NULL : b->disk_fstype;

		for (size_t i = 0; u->partition && i < b->n_parts; i++)
			if (streq(b->parts[i].name, u->partition))
				content = b->parts[i].fstype;
		return asprintf(ret, "%s is held by %s%s%s%s", on, u->what, content ? " (" : "",
				content ? content : "", content ? ")" : "") < 0
			   ? -ENOMEM
			   : 0;
	}
	}
	return -EINVAL;
}

/* The console's devices (/sys/class/tty/console/active: "tty0 ttyUSB0"), strv. */
static char **console_ttys(struct path_cxt *pc)
{
	_cleanup_free_ char *active = NULL;

	char **l = calloc(1, sizeof(char *));

	if (!l || path_read_string(pc, &active, "/sys/class/tty/console/active") < 0)
		return l;
	for (const char *p = active; *p;) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n > 0 && strv_addn(&l, p, n) < 0) {
			strv_free(l);
			return NULL;
		}
		p += n;
	}
	return l;
}

/* A framebuffer of this device with the framebuffer console on it: fb0 or NULL. */
static int fbcon_on(const struct host *h, const struct pci_device *d, char **ret)
{
	_cleanup_strv_free_ char **fbs = NULL;

	if (path_list_dir(h->pc, &fbs, "/sys/class/graphics") < 0)
		return 0;
	STRV_FOREACH (fb, fbs) {
		_cleanup_free_ char *dev = NULL;

		if (!startswith(*fb, "fb") || streq(*fb, "fbcon"))
			continue;
		if (path_canonicalize(h->pc, &dev, "/sys/class/graphics/%s/device", *fb) < 0 ||
		    !streq(dev, d->syspath))
			continue;
		*ret = strdup(*fb);
		return *ret ? 1 : -ENOMEM;
	}
	return 0;
}

/* Whether a framebuffer console is bound (vtcon*: "frame buffer device", bind 1). */
static bool fbcon_bound(struct path_cxt *pc)
{
	_cleanup_strv_free_ char **vts = NULL;

	if (path_list_dir(pc, &vts, "/sys/class/vtconsole") < 0)
		return false;
	STRV_FOREACH (v, vts) {
		_cleanup_free_ char *name = NULL;
		uint64_t bind = 0;

		if (path_read_string(pc, &name, "/sys/class/vtconsole/%s/name", *v) >= 0 &&
		    strstr(name, "frame buffer") &&
		    path_read_u64(pc, &bind, "/sys/class/vtconsole/%s/bind", *v) >= 0 && bind == 1)
			return true;
	}
	return false;
}

static int set(enum now_verdict v, enum now_verdict *ret, char **reason, char **ret_reason)
{
	*ret = v;
	*ret_reason = *reason;
	*reason = NULL;
	return 0;
}

int now_rules_check(const struct host *h, const struct pci_device *d, char *const *open_nodes,
		    enum now_verdict *ret, char **ret_reason)
{
	_cleanup_strv_free_ char **ifaces = NULL, **ttys = NULL;
	_cleanup_free_ char *reason = NULL, *fb = NULL;
	struct below b = {};
	const char *o;
	int r;

	/* Storage of any kind: an NVMe or SATA controller's disks, a USB controller's sticks. */
	for (size_t i = 0; i < d->n_disks; i++)
		if (block_device_in_use(d->disks[i])) {
			r = disk_use_reason(d->disks[i], &reason);
			if (r < 0)
				return r;
			return set(NOW_REFUSED, ret, &reason, ret_reason);
		}

	r = walk(h->pc, d->syspath, 0, &b);
	if (r < 0)
		goto out;

	/* Named for what they are before any open node of theirs (libinput holds a keyboard's). */
	if (b.keyboards && b.keyboards[0]) {
		r = asprintf(&reason, "the host's keyboard %s is on it", b.keyboards[0]) < 0
			? -ENOMEM
			: set(NOW_REFUSED, ret, &reason, ret_reason);
		goto out;
	}
	ttys = console_ttys(h->pc);
	if (!ttys) {
		r = -ENOMEM;
		goto out;
	}
	STRV_FOREACH (t, ttys)
		if (strv_contains(b.nodes, *t)) {
			r = asprintf(&reason,
				     "%s on it is the console (/sys/class/tty/console/active)",
				     *t) < 0
				? -ENOMEM
				: set(NOW_REFUSED, ret, &reason, ret_reason);
			goto out;
		}

	o = find_open(open_nodes, b.nodes);
	if (o) {
		r = describe_open(o, &reason);
		if (r < 0)
			goto out;
		/* Whatever draws on a GPU lets go of it at a reboot, not before. */
		r = set(pci_class_is_display(d->class) ? NOW_REBOOT : NOW_REFUSED, ret, &reason,
			ret_reason);
		goto out;
	}

	r = host_pci_net_interfaces(h, d, &ifaces);
	if (r < 0)
		goto out;
	STRV_FOREACH (i, ifaces) {
		uint64_t flags = 0;

		if (streq_ptr(h->default_route_dev, *i)) {
			r = asprintf(&reason, "%s carries the default route (/proc/net/route)",
				     *i) < 0
				? -ENOMEM
				: set(NOW_REFUSED, ret, &reason, ret_reason);
			goto out;
		}
		/* IFF_UP */
		if (path_read_hex(h->pc, &flags, "/sys/class/net/%s/flags", *i) >= 0 &&
		    (flags & 1)) {
			r = asprintf(&reason, "%s is up (take it down first: ip link set %s down)",
				     *i, *i) < 0
				? -ENOMEM
				: set(NOW_REFUSED, ret, &reason, ret_reason);
			goto out;
		}
	}

	if (pci_class_is_display(d->class)) {
		r = fbcon_on(h, d, &fb);
		if (r < 0)
			goto out;
		if (r > 0 && fbcon_bound(h->pc)) {
			r = asprintf(&reason, "the framebuffer console is on it (%s)", fb) < 0
				? -ENOMEM
				: set(NOW_REBOOT, ret, &reason, ret_reason);
			goto out;
		}
		if (d->boot_vga) {
			r = asprintf(&reason, "it is the boot display (boot_vga): the firmware's "
					      "framebuffer may still use it") < 0
				? -ENOMEM
				: set(NOW_REBOOT, ret, &reason, ret_reason);
			goto out;
		}
	}
	*ret = NOW_CLAIMED;
	*ret_reason = NULL;
	r = 0;
out:
	strv_free(b.nodes);
	strv_free(b.keyboards);
	return r;
}
