/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host side of the gaming keys (vm-shm.h): the Looking Glass memory file and the
 * presence of evdev and USB devices.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fileio.h"
#include "basic/macro.h"
#include "basic/parse-util.h"
#include "basic/path.h"
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "core/config.h"
#include "features/gaming-host.h"
#include "features/users.h"

#define LG_MODE 0660

/* One static_size_mb entry: MiB, a plain decimal number. */
static int parse_size_mb(const char *s, uint64_t *ret)
{
	unsigned v;
	int r = parse_uint(s, 1u << 20, &v);

	if (r < 0)
		return r;
	*ret = v;
	return 0;
}

bool vm_lg_kvmfr(struct path_cxt *pc)
{
	return path_exists(pc, VM_LG_KVMFR_PATH) > 0;
}

static int lg_user(struct path_cxt *pc, const struct vm_gaming *g, uid_t *ret_uid, char **ret_error)
{
	gid_t gid;
	int r = vm_user_lookup(pc, g->lg_user, ret_uid, &gid);

	if (r < 0)
		return asprintf(ret_error, "looking-glass-user: reading /etc/passwd: %s",
				strerror(-r)) < 0
			   ? -ENOMEM
			   : r;
	if (r == 0)
		return asprintf(ret_error,
				"looking-glass-user: user '%s' does not exist (/etc/passwd)",
				g->lg_user) < 0
			   ? -ENOMEM
			   : -ENOENT;
	return 0;
}

static int lg_kvmfr_prepare(struct path_cxt *pc, const char *dev, uid_t uid, gid_t gid,
			    char **ret_error)
{
	_cleanup_free_ char *p = NULL;
	struct stat st;
	int r;

	r = path_lstat(pc, &st, "%s", dev);
	if (r < 0)
		return asprintf(ret_error, "%s: %s", dev, strerror(-r)) < 0 ? -ENOMEM : r;
	if (!S_ISCHR(st.st_mode))
		return asprintf(ret_error,
				"%s is not a character device (the kvmfr module makes it); "
				"refusing to use it",
				dev) < 0
			   ? -ENOMEM
			   : -ENODEV;
	r = path_prefix(pc, &p, "%s", dev);
	if (r < 0)
		return r;
	/* /dev is root's: checked above, the node cannot turn into a link under us. */
	if (lchown(p, uid, gid) < 0 || chmod(p, LG_MODE) < 0) {
		r = -errno;
		return asprintf(ret_error, "%s: %s", dev, strerror(-r)) < 0 ? -ENOMEM : r;
	}
	return 0;
}

/* A new file, whole (owner, mode, size) before anyone can see it under its name. */
static int lg_shm_create(struct path_cxt *pc, const char *path, uid_t uid, gid_t gid, uint64_t size)
{
	_cleanup_free_ char *tmp = NULL;
	int r;

	r = path_tmp_name(path, &tmp);
	if (r < 0)
		return r;
	_cleanup_close_ int fd =
	    path_open(pc, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0600, "%s", tmp);
	if (fd < 0)
		return fd;
	if (fchown(fd, uid, gid) < 0 || fchmod(fd, LG_MODE) < 0 || ftruncate(fd, (off_t)size) < 0) {
		r = -errno;
		(void)path_unlink_durable(pc, tmp);
		return r;
	}
	r = path_rename_noreplace_durable(pc, tmp, path);
	if (r < 0)
		(void)path_unlink_durable(pc, tmp);
	return r;
}

int vm_lg_prepare(struct path_cxt *pc, const struct vm_config *vm, const char *path, gid_t qemu_gid,
		  char **ret_error)
{
	const struct vm_gaming *g = vm_gaming(vm_options(vm));
	uid_t uid;
	int r;

	if (!g || !g->lg_size)
		return 0;
	r = lg_user(pc, g, &uid, ret_error);
	if (r < 0)
		return r;
	if (vm_lg_path_kvmfr(path, NULL))
		return lg_kvmfr_prepare(pc, path, uid, qemu_gid, ret_error);

	for (int attempt = 0; attempt < 2; attempt++) {
		struct stat st;
		/* O_NONBLOCK: a FIFO put there must not hang the start; it is refused below. */
		_cleanup_close_ int fd =
		    path_open(pc, O_RDWR | O_NOFOLLOW | O_NONBLOCK, 0, "%s", path);
		if (fd == -ENOENT) {
			r = lg_shm_create(pc, path, uid, qemu_gid, g->lg_size);
			if (r == -EEXIST)
				continue; /* made meanwhile: check it as anyone's file */
			if (r < 0)
				return asprintf(ret_error, "creating %s: %s", path, strerror(-r)) <
					       0
					   ? -ENOMEM
					   : r;
			return 0;
		}
		if (fd == -ELOOP)
			return asprintf(ret_error,
					"%s is a symbolic link; refusing to follow it (remove it)",
					path) < 0
				   ? -ENOMEM
				   : -ELOOP;
		if (fd < 0)
			return asprintf(ret_error, "%s: %s", path, strerror(-fd)) < 0 ? -ENOMEM
										      : fd;
		if (fstat(fd, &st) < 0)
			return -errno;
		if (!S_ISREG(st.st_mode))
			return asprintf(ret_error, "%s is not a regular file; refusing to use it",
					path) < 0
				   ? -ENOMEM
				   : -EINVAL;
		/* /dev/shm is everyone's: a file someone else made there is not ours to use. */
		if (st.st_uid != uid)
			return asprintf(ret_error,
					"%s belongs to uid %u, not to looking-glass-user %s (uid "
					"%u); refusing to use it (remove it if it is a leftover)",
					path, (unsigned)st.st_uid, g->lg_user, (unsigned)uid) < 0
				   ? -ENOMEM
				   : -EPERM;
		if ((st.st_gid != qemu_gid && fchown(fd, (uid_t)-1, qemu_gid) < 0) ||
		    ((st.st_mode & 07777) != LG_MODE && fchmod(fd, LG_MODE) < 0) ||
		    ((uint64_t)st.st_size != g->lg_size && ftruncate(fd, (off_t)g->lg_size) < 0)) {
			r = -errno;
			return asprintf(ret_error, "%s: %s", path, strerror(-r)) < 0 ? -ENOMEM : r;
		}
		return 0;
	}
	return asprintf(ret_error, "%s keeps changing; refusing to use it", path) < 0 ? -ENOMEM
										      : -EBUSY;
}

int vm_kvmfr_sizes(struct path_cxt *pc, char ***ret)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = path_read_string(pc, &text, VM_KVMFR_SIZE_PARAM);
	if (r < 0)
		return r;
	return split_words(text, ", \t\n", ret);
}

int vm_lg_kvmfr_check(struct path_cxt *pc, const struct vm_config *vm, const char *path,
		      char **ret_why)
{
	const struct vm_gaming *g = vm_gaming(vm_options(vm));
	const uint64_t want = g ? g->lg_size >> 20 : 0;
	_cleanup_strv_free_ char **sizes = NULL;
	_cleanup_strbuf_ struct strbuf fix = STRBUF_INIT;
	size_t n;
	unsigned idx;
	uint64_t have = 0;
	int r;

	*ret_why = NULL;
	if (!want || !vm_lg_path_kvmfr(path, &idx))
		return 0;
	r = vm_kvmfr_sizes(pc, &sizes);
	if (r == -ENOENT) {
		r = asprintf(ret_why,
			     "%s: the kvmfr module's static_size_mb (" VM_KVMFR_SIZE_PARAM
			     ") cannot be read: is the module loaded? It needs 'options kvmfr "
			     "static_size_mb=%" PRIu64 "' for looking-glass's %" PRIu64 " MiB",
			     path, want, want);
		return r < 0 ? -ENOMEM : -ENOENT;
	}
	if (r < 0)
		return r;
	n = strv_length(sizes);
	if (idx < n && parse_size_mb(sizes[idx], &have) < 0)
		have = 0;
	if (have >= want)
		return 0;
	/* The fix keeps the other devices' sizes: the module numbers devices by position. */
	for (size_t i = 0; i < n || i <= idx; i++)
		if (i == idx)
			strbuf_printf(&fix, "%s%" PRIu64, i ? "," : "", want);
		else
			strbuf_printf(&fix, "%s%s", i ? "," : "", i < n ? sizes[i] : "0");
	if (fix.err)
		return fix.err;
	if (idx < n)
		r = asprintf(ret_why,
			     "%s is %" PRIu64 " MiB (kvmfr static_size_mb), smaller than "
			     "looking-glass's %" PRIu64
			     " MiB; set 'options kvmfr static_size_mb=%s' "
			     "in /etc/modprobe.d/ and reload the kvmfr module (or reboot)",
			     path, have, want, strbuf_str(&fix));
	else
		r = asprintf(ret_why,
			     "%s has no size in kvmfr's static_size_mb (%zu device%s), "
			     "looking-glass needs %" PRIu64 " MiB; set 'options kvmfr "
			     "static_size_mb=%s' in /etc/modprobe.d/ and reload the kvmfr module "
			     "(or reboot)",
			     path, n, n == 1 ? "" : "s", want, strbuf_str(&fix));
	return r < 0 ? -ENOMEM : -ENOSPC;
}

int vm_lg_info(struct path_cxt *pc, const struct vm_config *vm, struct vm_lg_info *ret)
{
	const struct vm_gaming *g = vm_gaming(vm_options(vm));
	struct vm_lg_info info = {0};
	struct stat st;
	uid_t uid = (uid_t)-1;
	gid_t gid;
	int r;

	if (!g || !g->lg_size)
		return -ENOENT;
	info.path = vm_lg_path(g, vm_lg_kvmfr(pc));
	r = path_lstat(pc, &st, "%s", info.path);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r >= 0) {
		info.exists = true;
		info.size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
		info.uid = st.st_uid;
		info.gid = st.st_gid;
		info.mode = st.st_mode & 07777;
		info.owner_ok = vm_user_lookup(pc, g->lg_user, &uid, &gid) > 0 && uid == st.st_uid;
	}
	*ret = info;
	return 0;
}

int vm_input_missing(struct path_cxt *pc, const struct vm_options *o, const struct vm_input **ret)
{
	const struct vm_gaming *g = vm_gaming(o);

	for (size_t i = 0; g && i < g->n_inputs; i++) {
		int r = path_exists(pc, "%s", g->inputs[i].path);

		if (r < 0)
			return r;
		if (r == 0) {
			*ret = &g->inputs[i];
			return 0;
		}
	}
	*ret = NULL;
	return 0;
}

int vm_usb_missing(struct path_cxt *pc, const struct vm_options *o, const struct vm_usb_id ***ret,
		   size_t *ret_n)
{
	const struct vm_gaming *g = vm_gaming(o);
	_cleanup_strv_free_ char **devs = NULL;
	_cleanup_free_ const struct vm_usb_id **missing = NULL;
	_cleanup_free_ bool *found = NULL;
	size_t n = 0;
	int r;

	if (!g || !g->n_usb) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	found = calloc(g->n_usb, sizeof(bool));
	missing = calloc(g->n_usb, sizeof(*missing));
	if (!found || !missing)
		return -ENOMEM;
	r = path_list_dir(pc, &devs, "/sys/bus/usb/devices");
	if (r < 0 && r != -ENOENT)
		return r;
	/* Devices ("1-2", "3-1.4"), not interfaces ("1-2:1.0"), carry idVendor/idProduct. */
	STRV_FOREACH (d, devs) {
		uint64_t v, p;

		if (strchr(*d, ':'))
			continue;
		if (path_read_hex(pc, &v, "/sys/bus/usb/devices/%s/idVendor", *d) < 0 ||
		    path_read_hex(pc, &p, "/sys/bus/usb/devices/%s/idProduct", *d) < 0)
			continue;
		for (size_t i = 0; i < g->n_usb; i++)
			if (g->usb[i].vendor == v && g->usb[i].product == p)
				found[i] = true;
	}
	for (size_t i = 0; i < g->n_usb; i++)
		if (!found[i])
			missing[n++] = &g->usb[i];
	*ret = TAKE_PTR(missing);
	*ret_n = n;
	return 0;
}

/* The keys QEMU's grab-toggle values stand for. */
static const char *grab_toggle_keys(const char *t)
{
	static const char *const keys[][2] = {
	    {"ctrl-ctrl", "Left Ctrl + Right Ctrl"},
	    {"alt-alt", "Left Alt + Right Alt"},
	    {"shift-shift", "Left Shift + Right Shift"},
	    {"meta-meta", "Left Meta + Right Meta"},
	    {"scrolllock", "Scroll Lock"},
	    {"ctrl-scrolllock", "Ctrl + Scroll Lock"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (streq_ptr(t, keys[i][0]))
			return keys[i][1];
	return t;
}

static int plan_vm(struct path_cxt *pc, const struct vm_config *vm, char ***warnings, char ***notes)
{
	const struct vm_options *o = vm_options(vm);
	const struct vm_gaming *g = vm_gaming(o);
	_cleanup_free_ const struct vm_usb_id **missing = NULL;
	size_t n_missing = 0, n_kbd = 0;
	int r;

	if (!g)
		return 0;
	if (g->lg_size) {
		const char *path = vm_lg_path(g, vm_lg_kvmfr(pc));
		bool kvmfr = vm_lg_path_kvmfr(path, NULL);
		_cleanup_free_ char *why = NULL, *small = NULL;
		uid_t uid;
		gid_t gid;

		if (g->lg_auto)
			r = asprintf(&why,
				     "for %ux%u: %u x %u x 4 bytes x 2 frames + 10 MiB, rounded up "
				     "to a power of two",
				     g->lg_width, g->lg_height, g->lg_width, g->lg_height);
		else
			r = asprintf(&why, "as given");
		if (r < 0)
			return -ENOMEM;
		r = strv_addf(
		    notes,
		    "[vm %s] looking-glass: an ivshmem-plain device over %" PRIu64
		    " MiB of shared memory (%s) in %s%s; vm run makes it %s's (the client "
		    "reads it), QEMU's group, mode 0660, and keeps it across VM restarts",
		    vm->name, g->lg_size >> 20, why, path,
		    kvmfr ? " (the kvmfr module's device)" : "", g->lg_user);
		if (r < 0)
			return r;
		r = vm_lg_kvmfr_check(pc, vm, path, &small);
		if (r < 0 && !small)
			return r;
		if (small) {
			r = strv_addf(warnings,
				      "[vm %s] looking-glass: %s; vm run refuses to start the VM",
				      vm->name, small);
			if (r < 0)
				return r;
		}
		r = vm_user_lookup(pc, g->lg_user, &uid, &gid);
		if (r < 0)
			return r;
		if (r == 0) {
			r = strv_addf(warnings,
				      "[vm %s] looking-glass-user: user '%s' does not exist "
				      "(/etc/passwd); vm run refuses to start the VM",
				      vm->name, g->lg_user);
			if (r < 0)
				return r;
		}
	}
	if (g->n_inputs) {
		const struct vm_input *gone;

		for (size_t i = 0; i < g->n_inputs; i++)
			n_kbd += g->inputs[i].keyboard;
		if (n_kbd)
			r = strv_addf(
			    notes,
			    "[vm %s] input: %zu evdev device%s given to the guest (input-linux); "
			    "pressing %s (input-grab-toggle) moves them between host and guest",
			    vm->name, g->n_inputs, g->n_inputs == 1 ? "" : "s",
			    grab_toggle_keys(g->grab_toggle));
		else
			r = strv_addf(
			    notes,
			    "[vm %s] input: %zu evdev device%s given to the guest (input-linux); "
			    "without a keyboard (a name ending in -event-kbd) there is no grab "
			    "toggle: the guest keeps them while it runs",
			    vm->name, g->n_inputs, g->n_inputs == 1 ? "" : "s");
		if (r < 0)
			return r;
		r = vm_input_missing(pc, o, &gone);
		if (r < 0)
			return r;
		if (gone) {
			r = strv_addf(
			    warnings,
			    "[vm %s] input: %s does not exist now; vm run refuses to start the "
			    "VM without it",
			    vm->name, gone->path);
			if (r < 0)
				return r;
		}
	}
	if (g->n_usb) {
		r = strv_addf(
		    notes,
		    "[vm %s] usb-devices: %zu USB device%s by vendor:product on the VM's xHCI "
		    "controller (usb-host), attached whenever plugged in",
		    vm->name, g->n_usb, g->n_usb == 1 ? "" : "s");
		if (r < 0)
			return r;
		r = vm_usb_missing(pc, o, &missing, &n_missing);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n_missing; i++) {
			r = strv_addf(notes, "[vm %s] usb-devices: %04x:%04x is not plugged in now",
				      vm->name, missing[i]->vendor, missing[i]->product);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int vm_gaming_plan_findings(struct path_cxt *pc, const struct config *c, char ***warnings,
			    char ***notes)
{
	for (size_t i = 0; i < c->n_vms; i++) {
		int r = plan_vm(pc, c->vms[i], warnings, notes);

		if (r < 0)
			return r;
	}
	return 0;
}

int vm_usb_nodes(struct path_cxt *pc, const struct vm_options *o, char ***ret)
{
	const struct vm_gaming *g = vm_gaming(o);
	_cleanup_strv_free_ char **devs = NULL, **nodes = NULL;
	int r;

	nodes = calloc(1, sizeof(char *));
	if (!nodes)
		return -ENOMEM;
	if (g && g->n_usb) {
		r = path_list_dir(pc, &devs, "/sys/bus/usb/devices");
		if (r < 0 && r != -ENOENT)
			return r;
	}
	STRV_FOREACH (d, devs) {
		uint64_t v, p, bus, dev;
		bool want = false;
		char *node;

		if (strchr(*d, ':') ||
		    path_read_hex(pc, &v, "/sys/bus/usb/devices/%s/idVendor", *d) < 0 ||
		    path_read_hex(pc, &p, "/sys/bus/usb/devices/%s/idProduct", *d) < 0)
			continue;
		for (size_t i = 0; i < g->n_usb; i++)
			want = want || (g->usb[i].vendor == v && g->usb[i].product == p);
		if (!want || path_read_u64(pc, &bus, "/sys/bus/usb/devices/%s/busnum", *d) < 0 ||
		    path_read_u64(pc, &dev, "/sys/bus/usb/devices/%s/devnum", *d) < 0 ||
		    bus > 999 || dev > 999)
			continue;
		if (asprintf(&node, "/dev/bus/usb/%03" PRIu64 "/%03" PRIu64, bus, dev) < 0)
			return -ENOMEM;
		r = strv_consume(&nodes, node);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(nodes);
	return 0;
}

/* What may stand between the quotes of a udev rule: a user name as the parser took it. */
static bool udev_safe_name(const char *s)
{
	return *s && strlen(s) <= 32 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
		   strlen(s);
}

int vm_usb_udev_rules(struct path_cxt *pc, const struct config *c, char **ret)
{
	_cleanup_strbuf_ struct strbuf b = STRBUF_INIT;
	bool any = false;

	for (size_t i = 0; i < c->n_vms; i++) {
		const struct vm_config *vm = c->vms[i];
		const struct vm_gaming *g = vm_gaming(vm_options(vm));
		struct vm_user u = {0};
		int r;

		if (!g || !g->n_usb)
			continue;
		/* Whom vm run would start QEMU as; a missing user is vm run's refusal to make. */
		r = vm_user_resolve(pc, vm, &u, NULL);
		if (r == -ENOENT || r == -EPERM)
			continue;
		if (r < 0)
			return r;
		if (u.uid == 0 || !udev_safe_name(u.name)) {
			vm_user_done(&u);
			continue;
		}
		/*
		 * Numbers, as /etc/passwd has them now: udev resolves no names where it runs with
		 * --resolve-names=never (initramfs-tools' udev does); apply again after a change.
		 */
		strbuf_printf(&b, "%s# [vm %s]: usb-devices for QEMU's user %s (uid %u, gid %u)\n",
			      any ? "\n" : "", vm->name, u.name, (unsigned)u.uid, (unsigned)u.gid);
		for (size_t j = 0; j < g->n_usb; j++)
			strbuf_printf(&b,
				      "SUBSYSTEM==\"usb\", ENV{DEVTYPE}==\"usb_device\", "
				      "ATTR{idVendor}==\"%04x\", ATTR{idProduct}==\"%04x\", "
				      "OWNER=\"%u\", GROUP=\"%u\"\n",
				      g->usb[j].vendor, g->usb[j].product, (unsigned)u.uid,
				      (unsigned)u.gid);
		any = true;
		vm_user_done(&u);
	}
	if (b.err)
		return b.err;
	*ret = NULL;
	if (!any)
		return 0;
	return strbuf_steal(&b, ret);
}
