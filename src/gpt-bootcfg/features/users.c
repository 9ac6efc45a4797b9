/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/fileio.h"
#include "basic/parse-util.h"
#include "basic/qmp.h"
#include "basic/strbuf.h"
#include "core/qemu-input.h"
#include "core/vm-paths.h"
#include "features/users.h"

void vm_user_done(struct vm_user *u)
{
	free(u->name);
	free(u->groups);
	*u = (struct vm_user){0};
}

const char *vm_user_root_need(const struct vm_config *vm)
{
	const struct vm_options *o = vm_options(vm);

	if (o->network == VM_NET_BRIDGE)
		return "network = bridge: QEMU starts qemu-bridge-helper, which needs "
		       "CAP_NET_ADMIN to add the tap to the bridge";
	if (o->spice == VM_SPICE_UNIX)
		return "spice = unix: QEMU creates the SPICE socket in " VM_RUN_DIR
		       ", which only root may write";
	return NULL;
}

/* The largest uid or gid of passwd and group: (uid_t)-1 means "no id" to chown(2). */
#define ID_MAX (UINT32_MAX - 1)

/*
 * Split one ':'-separated line of passwd/group into at most max fields (in place).
 * Returns the number of fields.
 */
static size_t split_fields(char *line, char **f, size_t max)
{
	size_t n = 0;

	f[n++] = line;
	for (char *s = line; *s && n < max; s++)
		if (*s == ':') {
			*s = '\0';
			f[n++] = s + 1;
		}
	return n;
}

/* name -> uid, gid (and home, may be NULL) from ROOT/etc/passwd: 1 found, 0 not, -errno. */
static int lookup_passwd(struct path_cxt *pc, const char *name, uid_t *ret_uid, gid_t *ret_gid,
			 char **ret_home)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;
	int r;

	r = path_read_full(pc, &text, NULL, "/etc/passwd");
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[7];
		unsigned uid, gid;
		size_t n = split_fields(line, f, 7);

		if (n < 4 || !streq(f[0], name))
			continue;
		if (parse_uint(f[2], ID_MAX, &uid) < 0 || parse_uint(f[3], ID_MAX, &gid) < 0)
			return -EBADMSG;
		if (ret_home) {
			/* A short line has none, which is not the same as "/". */
			if (n < 6 || f[5][0] != '/')
				return -ENODATA;
			*ret_home = strdup(f[5]);
			if (!*ret_home)
				return -ENOMEM;
		}
		*ret_uid = uid;
		*ret_gid = gid;
		return 1;
	}
	return 0;
}

/* The groups of ROOT/etc/group that list name as a member, as initgroups(3) would. */
static int lookup_groups(struct path_cxt *pc, const char *name, gid_t primary, gid_t **ret,
			 size_t *ret_n)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ gid_t *l = calloc(1, sizeof(gid_t));
	size_t n = 0;
	char *save = NULL;
	int r;

	if (!l)
		return -ENOMEM;
	l[n++] = primary;
	r = path_read_full(pc, &text, NULL, "/etc/group");
	if (r < 0 && r != -ENOENT)
		return r;
	for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[4], *msave = NULL;
		unsigned gid;

		if (split_fields(line, f, 4) < 4 || parse_uint(f[2], ID_MAX, &gid) < 0 ||
		    gid == primary)
			continue;
		for (char *m = strtok_r(f[3], ",", &msave); m; m = strtok_r(NULL, ",", &msave))
			if (streq(m, name)) {
				gid_t *nl = realloc(l, (n + 1) * sizeof(gid_t));

				if (!nl)
					return -ENOMEM;
				l = nl;
				l[n++] = gid;
				break;
			}
	}
	*ret = TAKE_PTR(l);
	*ret_n = n;
	return 0;
}

int vm_user_resolve(struct path_cxt *pc, const struct vm_config *vm, struct vm_user *ret,
		    char **ret_why)
{
	const struct vm_options *o = vm_options(vm);
	const char *need = vm_user_root_need(vm);
	const char *name = o->user ? o->user : VM_USER_DEFAULT;
	struct vm_user u = {0};
	uid_t uid = 0;
	gid_t gid = 0;
	int r;

	if (o->user && streq(o->user, "root")) {
		u.name = strdup("root");
		if (!u.name)
			return -ENOMEM;
		*ret = u;
		return 0;
	}
	r = lookup_passwd(pc, name, &uid, &gid, NULL);
	if (r < 0) {
		/* A FIFO or a directory there (issue 30 #13): name the file, not only errno. */
		if (ret_why && r != -ENOMEM &&
		    asprintf(ret_why, "/etc/passwd cannot be read: %s",
			     r == -EBADFD || r == -EISDIR ? "not a regular file" : strerror(-r)) <
			0)
			return -ENOMEM;
		return r;
	}
	if (r == 0 && o->user) {
		if (ret_why &&
		    asprintf(ret_why, "user '%s' does not exist (/etc/passwd)", name) < 0)
			return -ENOMEM;
		return -ENOENT;
	}
	if (r > 0 && uid == 0) {
		/* A second name for root is root: say so instead of pretending. */
		if (o->user) {
			u.name = strdup(name);
			if (!u.name)
				return -ENOMEM;
			*ret = u;
			return 0;
		}
		r = 0;
	}
	if (r > 0 && need) {
		if (o->user) {
			if (ret_why && asprintf(ret_why, "user = %s, but %s (set user = root)",
						name, need) < 0)
				return -ENOMEM;
			return -EPERM;
		}
		r = 0;
	}
	if (r == 0) {
		/* Root fallback: the caller warns with this reason. */
		if (ret_why && asprintf(ret_why, "%s",
					need ? need
					     : "the user " VM_USER_DEFAULT " does not exist (it "
					       "comes with the Debian package; or set user =)") < 0)
			return -ENOMEM;
		u.name = strdup("root");
		if (!u.name)
			return -ENOMEM;
		*ret = u;
		return 0;
	}
	u.name = strdup(name);
	if (!u.name)
		return -ENOMEM;
	u.uid = uid;
	u.gid = gid;
	r = lookup_groups(pc, name, gid, &u.groups, &u.n_groups);
	if (r < 0) {
		vm_user_done(&u);
		return r;
	}
	*ret = u;
	return 0;
}

/* The gid of group name in ROOT/etc/group: 1 and *ret_gid, 0 when there is none, -errno. */
static int lookup_group_gid(struct path_cxt *pc, const char *name, gid_t *ret_gid)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;
	int r;

	r = path_read_full(pc, &text, NULL, "/etc/group");
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[4];
		unsigned gid;

		if (split_fields(line, f, 4) >= 3 && streq(f[0], name) &&
		    parse_uint(f[2], ID_MAX, &gid) >= 0) {
			*ret_gid = (gid_t)gid;
			return 1;
		}
	}
	return 0;
}

/* "root" or "disk" when one of u's groups is gid 0 or the disk group, else NULL. */
static int disk_group(struct path_cxt *pc, const struct vm_user *u, const char **ret)
{
	gid_t disk = 0;
	int r;

	*ret = NULL;
	r = lookup_group_gid(pc, "disk", &disk);
	if (r < 0)
		return r;
	for (size_t i = 0; i < u->n_groups; i++) {
		if (u->groups[i] == 0) {
			*ret = "root";
			return 0;
		}
		if (r > 0 && u->groups[i] == disk)
			*ret = "disk";
	}
	return 0;
}

int vm_user_plan_warning(struct path_cxt *pc, const struct vm_config *vm, char **ret)
{
	_cleanup_free_ char *why = NULL;
	struct vm_user u = {0};
	int r;

	r = vm_user_resolve(pc, vm, &u, &why);
	if (r == -ENOENT || r == -EPERM || (r < 0 && r != -ENOMEM && why)) {
		if (asprintf(ret, "VM '%s' will not start: %s", vm->name, why) < 0)
			return -ENOMEM;
		return 1;
	}
	if (r < 0)
		return r;
	r = 0;
	if (u.uid == 0 && why) {
		r = asprintf(
			ret,
			"VM '%s': QEMU runs as root, so a guest escape is root on the host: %s",
			vm->name, why) < 0
			? -ENOMEM
			: 1;
	} else if (u.uid != 0) {
		const char *grp = NULL;

		r = disk_group(pc, &u, &grp);
		if (r >= 0 && grp)
			r = asprintf(ret,
				     "VM '%s': QEMU's user %s is in group %s, so a guest escape "
				     "reads and writes every disk of the host: give QEMU a user of "
				     "its own (user =), outside that group",
				     vm->name, u.name, grp) < 0
				? -ENOMEM
				: 1;
	}
	vm_user_done(&u);
	return r;
}

/* Keep only CAP_IPC_LOCK, as an ambient capability that survives the exec of QEMU. */
static int keep_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {0};

	data[CAP_TO_INDEX(CAP_IPC_LOCK)].effective = CAP_TO_MASK(CAP_IPC_LOCK);
	data[CAP_TO_INDEX(CAP_IPC_LOCK)].permitted = CAP_TO_MASK(CAP_IPC_LOCK);
	data[CAP_TO_INDEX(CAP_IPC_LOCK)].inheritable = CAP_TO_MASK(CAP_IPC_LOCK);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return negative_errno();
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_IPC_LOCK, 0, 0) < 0)
		return negative_errno();
	return 0;
}

int vm_user_drop(const struct vm_user *u)
{
	struct rlimit rl = {.rlim_cur = RLIM_INFINITY, .rlim_max = RLIM_INFINITY};
	bool need_cap;

	/*
	 * vfio pins all guest memory and -overcommit mem-lock=on locks it: an unprivileged
	 * QEMU needs an unlimited RLIMIT_MEMLOCK (the unit sets it; root can raise it). Where
	 * the runner itself may not raise it (no CAP_SYS_RESOURCE, as in containers), QEMU
	 * keeps CAP_IPC_LOCK instead, which allows exactly the same and nothing else.
	 */
	need_cap = setrlimit(RLIMIT_MEMLOCK, &rl) < 0 &&
		   (getrlimit(RLIMIT_MEMLOCK, &rl) < 0 || rl.rlim_cur != RLIM_INFINITY);
	if (u->uid == 0)
		return 0;
	if (need_cap && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return negative_errno();
	if (setgroups(u->n_groups, u->groups) < 0 || setresgid(u->gid, u->gid, u->gid) < 0 ||
	    setresuid(u->uid, u->uid, u->uid) < 0)
		return negative_errno();
	if (need_cap) {
		int r = keep_ipc_lock();

		if (r < 0)
			return r;
	}
	/* No way back: not by a set-id program QEMU might execute, not by the kernel. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return negative_errno();
	if (geteuid() != u->uid || getegid() != u->gid || setuid(0) == 0)
		return -EPERM;
	return 0;
}

int vm_user_lookup(struct path_cxt *pc, const char *name, uid_t *ret_uid, gid_t *ret_gid)
{
	uid_t uid;
	gid_t gid;
	int r = lookup_passwd(pc, name, &uid, &gid, NULL);

	if (r <= 0)
		return r;
	*ret_uid = uid;
	if (ret_gid)
		*ret_gid = gid;
	return 1;
}

int vm_user_home(struct path_cxt *pc, const char *name, char **ret)
{
	uid_t uid;
	gid_t gid;

	return lookup_passwd(pc, name, &uid, &gid, ret);
}
