/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The files an unprivileged QEMU opens, handed to its user for the run and given back
 * after it: recorded first (a record under VM_RUN_DIR), so a killed runner's changes are
 * undone by the next run or vm stop.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fileio.h"
#include "basic/parse-util.h"
#include "basic/qmp.h"
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "core/vm-paths.h"
#include "features/gaming-host.h"
#include "vm/owners.h"

/* The record of changes, below the VM's own state directory. */
#define OWNERS_FILE VM_STATE_DIR "/%s/owners"

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
	const char *p = startswith(l, "chown "), *end;
	uint64_t v[3];

	if (!p)
		return -EBADMSG;
	for (int i = 0; i < 3; i++) {
		if (safe_atou64_prefix(p, i == 2 ? 8 : 10, &v[i], &end) < 0 || *end != ' ' ||
		    v[i] >= UINT32_MAX)
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
	STRV_FOREACH (n, usb) {
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

	if (asprintf(&rec, OWNERS_FILE, vm->name) < 0 ||
	    asprintf(&dir, VM_STATE_DIR "/%s", vm->name) < 0 || vm_qmp_path(vm->name, &qmp) < 0 ||
	    vm_pid_path(vm->name, &pid) < 0)
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
	STRV_FOREACH (cd, o->cdroms) {
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
		if (asprintf(&mem, "%s/gpt-bootcfg-%s",
			     in->mem_path ? in->mem_path : o->hugepage_mount, vm->name) < 0)
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
undo : {
	_cleanup_free_ char *ignored = NULL;

	(void)vm_owner_restore(pc, vm->name, &ignored);
}
fail:
	strbuf_release(&w.rec);
	return r;
}
