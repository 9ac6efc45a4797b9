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

#include "fileio.h"
#include "parse-util.h"
#include "qemucmd.h"
#include "qmp.h"
#include "strbuf.h"
#include "vm-shm.h"
#include "vm-user.h"

/* The record of changes, below the VM's own state directory. */
#define OWNERS_FILE VM_STATE_DIR "/%s/owners"

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
	if (r < 0)
		return r;
	if (r == 0 && o->user) {
		if (ret_why && asprintf(ret_why, "user '%s' does not exist (/etc/passwd)", name) < 0)
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
			if (ret_why && asprintf(ret_why, "user = %s, but %s (set user = root)", name,
						need) < 0)
				return -ENOMEM;
			return -EPERM;
		}
		r = 0;
	}
	if (r == 0) {
		/* Root fallback: the caller warns with this reason. */
		if (ret_why &&
		    asprintf(ret_why, "%s", need ? need
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

int vm_user_plan_warning(struct path_cxt *pc, const struct vm_config *vm, char **ret)
{
	_cleanup_free_ char *why = NULL;
	struct vm_user u = {0};
	int r;

	r = vm_user_resolve(pc, vm, &u, &why);
	if (r == -ENOENT || r == -EPERM) {
		if (asprintf(ret, "VM '%s' will not start: %s", vm->name, why) < 0)
			return -ENOMEM;
		return 1;
	}
	if (r < 0)
		return r;
	r = 0;
	if (u.uid == 0 && why) {
		r = asprintf(ret,
			     "VM '%s': QEMU runs as root, so a guest escape is root on the host: %s",
			     vm->name, why) < 0
			    ? -ENOMEM
			    : 1;
	}
	vm_user_done(&u);
	return r;
}

/* ---- the record ---- */

struct owners {
	struct path_cxt *pc;
	struct strbuf rec; /* the record's text */
};

static int add_chown(struct owners *w, const char *path, const struct stat *st)
{
	strbuf_printf(&w->rec, "chown %u %u %o %s\n", (unsigned)st->st_uid, (unsigned)st->st_gid,
		      (unsigned)(st->st_mode & 07777), path);
	return w->rec.err;
}

/* The object a configured path names, by its canonical path (the record never follows). */
static int plan_chown(struct owners *w, const char *path, bool write, char **ret_what)
{
	_cleanup_free_ char *canon = NULL;
	struct stat st;
	int r;

	r = path_canonicalize(w->pc, &canon, "%s", path);
	if (r >= 0)
		r = path_lstat(w->pc, &st, "%s", canon);
	if (r < 0) {
		*ret_what = strdup(path);
		return r;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode) && !S_ISCHR(st.st_mode)) {
		*ret_what = strdup(path);
		return -EINVAL;
	}
	/* A second name elsewhere would be handed over too (a planted hard link). */
	if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
		*ret_what = strdup(path);
		return -EMLINK;
	}
	if (!write && (st.st_mode & S_IROTH))
		return 0;
	return add_chown(w, canon, &st);
}

/* Perform one "chown" line: the owner of the object at path (never through a link). */
static int do_chown(struct path_cxt *pc, const char *path, uid_t uid, gid_t gid, mode_t mode,
		    bool restore)
{
	_cleanup_close_ int fd = -1;
	char proc[64];
	struct stat st;

	fd = path_open(pc, O_PATH | O_NOFOLLOW, 0, "%s", path);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0)
		return negative_errno();
	/* chown() clears set-id bits; the old mode comes back in full on restore. */
	if (restore && (st.st_mode & 07777) != mode) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (chmod(proc, mode) < 0)
			return negative_errno();
	}
	return 0;
}

/* "chown UID GID MODE PATH" (MODE octal): 0 and the fields, or -EBADMSG. */
static int parse_chown(const char *l, unsigned *ret_uid, unsigned *ret_gid, unsigned *ret_mode,
		       const char **ret_path)
{
	unsigned long v[3];
	const char *p = startswith(l, "chown ");
	char *end;

	if (!p)
		return -EBADMSG;
	for (int i = 0; i < 3; i++) {
		if (*p < '0' || *p > '9')
			return -EBADMSG;
		errno = 0;
		v[i] = strtoul(p, &end, i == 2 ? 8 : 10);
		if (errno || *end != ' ' || v[i] >= UINT32_MAX)
			return -EBADMSG;
		p = end + 1;
	}
	if (*p != '/')
		return -EBADMSG;
	*ret_uid = (unsigned)v[0];
	*ret_gid = (unsigned)v[1];
	*ret_mode = (unsigned)v[2] & 07777;
	*ret_path = p;
	return 0;
}

static int apply_record(struct path_cxt *pc, char *text, const struct vm_user *u, char **ret_what)
{
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned uid, gid, mode;
		const char *p;
		int r;

		if (parse_chown(line, &uid, &gid, &mode, &p) >= 0) {
			r = do_chown(pc, p, u->uid, u->gid, 0, false);
			if (r < 0) {
				*ret_what = strdup(p);
				return r;
			}
		}
	}
	return 0;
}

int vm_owner_restore(struct path_cxt *pc, const char *name, char **ret_what)
{
	_cleanup_free_ char *text = NULL, *rec = NULL;
	_cleanup_strv_free_ char **lines = NULL;
	size_t n;
	int r, first = 0;

	if (asprintf(&rec, OWNERS_FILE, name) < 0)
		return -ENOMEM;
	r = path_read_full(pc, &text, NULL, "%s", rec);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		*ret_what = TAKE_PTR(rec);
		return r;
	}
	r = split_words(text, "\n", &lines);
	if (r < 0)
		return r;
	n = strv_length(lines);
	/* Last change first: a directory goes after what was made inside it. */
	while (n-- > 0) {
		const char *l = lines[n], *p;
		unsigned uid, gid, mode;

		r = 0;
		if (parse_chown(l, &uid, &gid, &mode, &p) >= 0) {
			r = do_chown(pc, p, uid, gid, mode, true);
		} else if ((p = startswith(l, "rmdir R "))) {
			_cleanup_free_ char *full = NULL;

			r = path_prefix(pc, &full, "%s", p);
			if (r >= 0 && rmdir(full) < 0)
				r = negative_errno();
		} else if ((p = startswith(l, "rmdir L "))) {
			if (rmdir(p) < 0)
				r = negative_errno();
		} else if ((p = startswith(l, "unlink R "))) {
			r = path_unlink_durable(pc, p);
		} else {
			p = l;
			r = *l ? -EBADMSG : 0;
		}
		if (r == -ENOENT)
			r = 0;
		if (r < 0 && !first) {
			first = r;
			*ret_what = strdup(p);
		}
	}
	if (first < 0)
		return first; /* the record stays for another try */
	r = path_unlink_durable(pc, rec);
	if (r < 0 && r != -ENOENT) {
		*ret_what = TAKE_PTR(rec);
		return r;
	}
	return 1;
}

/* A listening unix socket at the QMP path, owner-only, for QEMU to inherit. */
/* QEMU's QMP socket, made by the runner: QEMU cannot create it in VM_RUN_DIR. */
static int make_qmp_socket(struct path_cxt *pc, const char *host, int *ret_fd)
{
	_cleanup_free_ char *p = NULL;
	int r;

	r = path_prefix(pc, &p, "%s", host);
	if (r < 0)
		return r;
	/* Only our own lock guards this name: a stale socket of a killed QEMU is replaced. */
	return qmp_listen(p, ret_fd);
}

/* The pid file QEMU writes (it cannot create files in VM_RUN_DIR), owned by u. */
static int make_pid_file(struct path_cxt *pc, const char *host, const struct vm_user *u)
{
	_cleanup_close_ int fd = -1;
	int r;

	r = path_unlink_durable(pc, host);
	if (r < 0 && r != -ENOENT)
		return r;
	fd = path_open(pc, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644, "%s", host);
	if (fd < 0)
		return fd;
	if (fchown(fd, u->uid, u->gid) < 0)
		return negative_errno();
	return 0;
}

/* The private memory directory: created here, owned by u, removed on restore. */
static int make_mem_dir(struct path_cxt *pc, const char *p, const struct vm_user *u)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (path_mkdir_p(pc, p, 0700) < 0)
		return negative_errno();
	fd = path_open(pc, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, "%s", p);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (fchown(fd, u->uid, u->gid) < 0 || fchmod(fd, 0700) < 0)
		return negative_errno();
	return 0;
}

/* Traversal for QEMU to its OVMF variables; the directories stay unlistable (docs/vm.md). */
static int open_vars_dirs(struct path_cxt *pc, const char *name)
{
	_cleanup_free_ char *p = NULL, *dir = NULL;
	int r;

	if (asprintf(&dir, VM_STATE_DIR "/%s", name) < 0)
		return -ENOMEM;
	for (const char *d = VM_STATE_DIR; d; d = d == dir ? NULL : dir) {
		free(p);
		p = NULL;
		r = path_prefix(pc, &p, "%s", d);
		if (r < 0)
			return r;
		if (chmod(p, 0711) < 0)
			return negative_errno();
	}
	return 0;
}

/*
 * The evdev nodes of input = and the USB device nodes of usb-devices plugged in now
 * (vm-gamedev.h): QEMU opens them read-write.
 */
static int plan_gaming_nodes(struct owners *w, const struct vm_options *o, char **ret_what)
{
	const struct vm_gaming *g = vm_gaming(o);
	_cleanup_strv_free_ char **usb = NULL;
	int r;

	if (!g)
		return 0;
	for (size_t i = 0; i < g->n_inputs; i++) {
		r = plan_chown(w, g->inputs[i].path, true, ret_what);
		if (r < 0)
			return r;
	}
	r = vm_usb_nodes(w->pc, o, &usb);
	if (r < 0)
		return r;
	STRV_FOREACH(n, usb) {
		/* Unplugged since: QEMU attaches it when it comes back, if it can then. */
		if (path_exists(w->pc, "%s", *n) <= 0)
			continue;
		r = plan_chown(w, *n, true, ret_what);
		if (r < 0)
			return r;
	}
	return 0;
}

int vm_owner_prepare(struct path_cxt *pc, const struct host *h, struct qemu_cmd_input *in,
		     const struct vm_user *u, char **ret_mem_path, char **ret_what)
{
	const struct vm_config *vm = in->vm;
	const struct vm_options *o = vm_options(vm);
	_cleanup_free_ char *rec = NULL, *dir = NULL, *mem = NULL, *qmp = NULL, *pid = NULL,
			     *text = NULL;
	_cleanup_path_cxt_ struct path_cxt *live = NULL;
	struct owners w = {.pc = pc, .rec = STRBUF_INIT};
	int groups[64];
	size_t n_groups = 0;
	bool mem_live = false;
	int r;

	if (asprintf(&rec, OWNERS_FILE, vm->name) < 0 || asprintf(&dir, VM_STATE_DIR "/%s", vm->name) < 0 ||
	    vm_qmp_path(vm->name, &qmp) < 0 || vm_pid_path(vm->name, &pid) < 0)
		return -ENOMEM;
	r = path_cxt_new(NULL, &live);
	if (r < 0)
		return r;

	/* vfio group nodes of the passed-through functions and nvme:// controllers. */
	for (size_t i = 0; i < in->n_pt + o->n_disks; i++) {
		const char *addr = i < in->n_pt ? in->pt[i].address
						 : (o->disks[i - in->n_pt].nvme_host
							    ? o->disks[i - in->n_pt].nvme_addr
							    : NULL);
		const struct pci_device *d = addr ? host_find_pci_address(h, addr) : NULL;
		_cleanup_free_ char *node = NULL;
		bool seen = false;

		if (!d || d->iommu_group < 0)
			continue;
		for (size_t j = 0; j < n_groups; j++)
			seen = seen || groups[j] == d->iommu_group;
		if (seen || n_groups == ARRAY_SIZE(groups))
			continue;
		groups[n_groups++] = d->iommu_group;
		if (asprintf(&node, "/dev/vfio/%d", d->iommu_group) < 0)
			return -ENOMEM;
		/* Stand-ins (tests) do not open the node; a real run needs it. */
		if (in->standins && path_exists(pc, "%s", node) <= 0)
			continue;
		r = plan_chown(&w, node, true, ret_what);
		if (r < 0)
			goto fail;
	}
	for (size_t i = 0; i < o->n_disks; i++) {
		if (o->disks[i].nvme_host)
			continue;
		r = plan_chown(&w, o->disks[i].path, true, ret_what);
		if (r < 0)
			goto fail;
	}
	STRV_FOREACH(cd, o->cdroms) {
		r = plan_chown(&w, *cd, false, ret_what);
		if (r < 0)
			goto fail;
	}
	if (o->spice == VM_SPICE_LOOPBACK) {
		r = plan_chown(&w, o->spice_password_file, false, ret_what);
		if (r < 0)
			goto fail;
	}
	r = plan_gaming_nodes(&w, o, ret_what);
	if (r < 0)
		goto fail;
	if (o->firmware == VM_FIRMWARE_OVMF) {
		_cleanup_free_ char *vars = NULL;

		if (vm_vars_path(vm->name, &vars) < 0)
			return -ENOMEM;
		r = plan_chown(&w, vars, true, ret_what);
		if (r < 0)
			goto fail;
	}
	if (vm->hugepage_size || in->mem_path) {
		mem_live = in->mem_path != NULL;
		if (asprintf(&mem, "%s/gpt-bootcfg-%s", in->mem_path ? in->mem_path : o->hugepage_mount,
			     vm->name) < 0)
			return -ENOMEM;
		strbuf_printf(&w.rec, "rmdir %c %s\n", mem_live ? 'L' : 'R', mem);
	}
	strbuf_printf(&w.rec, "unlink R %s\nunlink R %s\n", pid, qmp);
	if (w.rec.err)
		return w.rec.err;

	/* Record first, act second: a crash from here on is undone by the next run or stop. */
	r = path_mkdir_p(pc, dir, 0711);
	if (r >= 0)
		r = path_write_atomic(pc, rec, w.rec.buf, w.rec.len, 0600);
	if (r < 0) {
		*ret_what = strdup(rec);
		goto fail;
	}
	text = strdup(w.rec.buf);
	if (!text) {
		r = -ENOMEM;
		goto undo;
	}
	r = apply_record(pc, text, u, ret_what);
	if (r >= 0 && o->firmware == VM_FIRMWARE_OVMF) {
		r = open_vars_dirs(pc, vm->name);
		if (r < 0)
			*ret_what = strdup(dir);
	}
	if (r >= 0 && mem) {
		r = make_mem_dir(mem_live ? live : pc, mem, u);
		if (r < 0)
			*ret_what = strdup(mem);
		else if (mem_live)
			*ret_mem_path = TAKE_PTR(mem);
		else
			r = path_prefix(pc, ret_mem_path, "%s", mem);
	}
	if (r >= 0) {
		r = make_pid_file(pc, pid, u);
		if (r < 0)
			*ret_what = strdup(pid);
	}
	if (r >= 0) {
		r = make_qmp_socket(pc, qmp, &in->qmp_fd);
		if (r < 0)
			*ret_what = strdup(qmp);
		else
			in->qmp_by_fd = true;
	}
	if (r >= 0) {
		strbuf_release(&w.rec);
		return 0;
	}
undo:
	{
		_cleanup_free_ char *ignored = NULL;

		(void)vm_owner_restore(pc, vm->name, &ignored);
	}
fail:
	strbuf_release(&w.rec);
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
