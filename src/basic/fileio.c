/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>

#include "basic/fd-util.h"
#include "basic/fileio.h"
#include "basic/missing-syscall.h"
#include "basic/parse-util.h"

static unsigned long fault_counter;

int fault_point(const char *op, const char *path)
{
	const char *at = getenv("GPT_BOOTCFG_FAULT_AT");
	const char *logf = getenv("GPT_BOOTCFG_FAULT_LOG");
	unsigned long n = ++fault_counter;
	uint64_t at_n;

	if (logf) {
		FILE *f = fopen(logf, "ae");

		if (f) {
			fprintf(f, "%lu %s %s\n", n, op, path);
			fclose(f);
		}
	}
	if (!at || safe_atou64(at, &at_n) < 0 || at_n != n)
		return 0;
	if (streq_ptr(getenv("GPT_BOOTCFG_FAULT_MODE"), "kill"))
		raise(SIGKILL);
	return -EIO;
}

static int dirname_of(const char *path, char **ret)
{
	const char *slash = strrchr(path, '/');
	char *d;

	if (!slash)
		return -EINVAL;
	d = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
	if (!d)
		return -ENOMEM;
	*ret = d;
	return 0;
}

static int fsync_dir(const char *prefixed_dir)
{
	_cleanup_close_ int fd = -1;

	fd = open(prefixed_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	if (fsync(fd) < 0)
		return negative_errno();
	return 0;
}

int path_fsync_parent(struct path_cxt *pc, const char *path)
{
	_cleanup_free_ char *p = NULL, *d = NULL;
	int r;

	r = path_prefix(pc, &p, "%s", path);
	if (r < 0)
		return r;
	r = dirname_of(p, &d);
	if (r < 0)
		return r;
	r = fault_point("fsync-dir", path);
	if (r < 0)
		return r;
	return fsync_dir(d);
}

int path_mkdir_p(struct path_cxt *pc, const char *path, mode_t mode)
{
	_cleanup_free_ char *p = NULL;
	size_t rootlen = strlen(path_cxt_root(pc));
	int r;

	/*
	 * Resolved below the root, links included (as mkdir -p under chroot): the existing
	 * part then holds no link that stat() below could follow out of the root, and what
	 * is missing is created where the links lead inside it.
	 */
	r = path_prefix_follow(pc, &p, "%s", path);
	if (r < 0)
		return r;
	for (char *s = p + rootlen + 1;; s++) {
		char c = *s;
		struct stat st;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		/* Only a directory that is created is a step worth a fault point. */
		if (stat(p, &st) < 0) {
			r = fault_point("mkdir", p + rootlen);
			if (r >= 0 && mkdir(p, mode) < 0 && errno != EEXIST)
				r = negative_errno();
			/* The new entry must reach the disk before anything is written below it. */
			if (r >= 0)
				r = path_fsync_parent(pc, p + rootlen);
			if (r < 0) {
				*s = c;
				return r;
			}
		}
		*s = c;
		if (c == '\0')
			break;
	}
	return 0;
}

int path_tmp_name(const char *path, char **ret)
{
	_cleanup_free_ char *d = NULL;
	const char *base;
	int r;

	r = dirname_of(path, &d);
	if (r < 0)
		return r;
	base = strrchr(path, '/') + 1;
	if (asprintf(ret, "%s/.#%s.%ld" PATH_TMP_SUFFIX, streq(d, "/") ? "" : d, base,
		     (long)getpid()) < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* Is name ".#BASE.PID.gpt-bootcfg-tmp" for this base (any PID)? */
static bool is_tmp_of(const char *name, const char *base)
{
	const char *s = startswith(name, ".#");
	size_t sl = strlen(PATH_TMP_SUFFIX), n;

	if (!s || !(s = startswith(s, base)) || *s++ != '.')
		return false;
	n = strlen(s);
	if (n <= sl || !streq(s + n - sl, PATH_TMP_SUFFIX))
		return false;
	return strspn(s, "0123456789") == n - sl;
}

int path_remove_stale_tmp(struct path_cxt *pc, const char *path)
{
	_cleanup_free_ char *hostdir = NULL;
	_cleanup_strv_free_ char **names = NULL;
	const char *base = strrchr(path, '/');
	int r;

	if (!base)
		return -EINVAL;
	base++;
	r = dirname_of(path, &hostdir);
	if (r < 0)
		return r;
	r = path_list_dir(pc, &names, "%s", hostdir);
	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	if (r < 0)
		return r;
	STRV_FOREACH (n, names) {
		_cleanup_free_ char *tmp = NULL;

		if (!is_tmp_of(*n, base))
			continue;
		if (asprintf(&tmp, "%s/%s", streq(hostdir, "/") ? "" : hostdir, *n) < 0)
			return -ENOMEM;
		r = path_unlink_durable(pc, tmp);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	return 0;
}

/*
 * The temporary name beside path, as given (*ret_tmp) and below the root (*ret_ptmp), after
 * removing what a crash of an earlier run left there.
 */
static int fresh_tmp(struct path_cxt *pc, const char *path, char **ret_tmp, char **ret_ptmp)
{
	_cleanup_free_ char *tmp = NULL, *ptmp = NULL;
	int r;

	r = path_remove_stale_tmp(pc, path);
	if (r < 0)
		return r;
	r = path_tmp_name(path, &tmp);
	if (r < 0)
		return r;
	r = path_prefix(pc, &ptmp, "%s", tmp);
	if (r < 0)
		return r;
	*ret_tmp = TAKE_PTR(tmp);
	*ret_ptmp = TAKE_PTR(ptmp);
	return 0;
}

/* uid/gid (uid_t)-1, (gid_t)-1: the writer's. */
static int write_atomic(struct path_cxt *pc, const char *path, const void *data, size_t len,
			mode_t mode, uid_t uid, gid_t gid)
{
	_cleanup_free_ char *p = NULL, *d = NULL, *tmp = NULL, *ptmp = NULL, *hostdir = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	r = dirname_of(path, &hostdir);
	if (r < 0)
		return r;
	r = path_mkdir_p(pc, hostdir, 0755);
	if (r < 0)
		return r;
	/* What a crash of an earlier run left next to the target goes first. */
	r = fresh_tmp(pc, path, &tmp, &ptmp);
	if (r < 0)
		return r;
	r = path_prefix(pc, &p, "%s", path);
	if (r < 0)
		return r;
	r = dirname_of(p, &d);
	if (r < 0)
		return r;

	r = fault_point("create", tmp);
	if (r < 0)
		return r;
	/* O_EXCL|O_NOFOLLOW: never write through something planted at the temporary name. */
	fd = open(ptmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return negative_errno();

	r = fault_point("write", tmp);
	if (r >= 0)
		r = fd_write_full(fd, data, len);
	if (r >= 0 && (uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) < 0)
		r = negative_errno();
	/* After fchown, which clears the set-id bits. */
	if (r >= 0 && fchmod(fd, mode) < 0)
		r = negative_errno();
	if (r >= 0)
		r = fault_point("fsync", tmp);
	if (r >= 0 && fsync(fd) < 0)
		r = negative_errno();
	if (r >= 0)
		r = fault_point("rename", path);
	if (r >= 0 && rename(ptmp, p) < 0)
		r = negative_errno();
	if (r < 0) {
		(void)unlink(ptmp);
		return r;
	}
	r = fault_point("fsync-dir", path);
	if (r < 0)
		return r;
	return fsync_dir(d);
}

int path_write_atomic(struct path_cxt *pc, const char *path, const void *data, size_t len,
		      mode_t mode)
{
	return write_atomic(pc, path, data, len, mode, (uid_t)-1, (gid_t)-1);
}

int path_write_atomic_keep(struct path_cxt *pc, const char *path, const void *data, size_t len,
			   mode_t mode)
{
	struct stat st;
	int r;

	r = path_lstat(pc, &st, "%s", path);
	if (r == -ENOENT)
		return write_atomic(pc, path, data, len, mode, (uid_t)-1, (gid_t)-1);
	if (r < 0)
		return r;
	if (!S_ISREG(st.st_mode))
		return -EISDIR;
	return write_atomic(pc, path, data, len, st.st_mode & 07777, st.st_uid, st.st_gid);
}

int path_symlink_atomic(struct path_cxt *pc, const char *path, const char *target)
{
	_cleanup_free_ char *tmp = NULL, *ptmp = NULL;
	int r;

	r = fresh_tmp(pc, path, &tmp, &ptmp);
	if (r < 0)
		return r;
	r = fault_point("symlink", tmp);
	if (r < 0)
		return r;
	if (symlink(target, ptmp) < 0)
		return negative_errno();
	r = path_rename_durable(pc, tmp, path);
	if (r < 0)
		(void)unlink(ptmp);
	return r;
}

/* rename(2), or one that never replaces "to"; then both parent directories synced. */
static int rename_durable(struct path_cxt *pc, const char *from, const char *to, bool noreplace)
{
	_cleanup_free_ char *pf = NULL, *pt = NULL, *df = NULL, *dt = NULL;
	int r;

	r = path_prefix(pc, &pf, "%s", from);
	if (r < 0)
		return r;
	r = path_prefix(pc, &pt, "%s", to);
	if (r < 0)
		return r;
	r = fault_point("rename", to);
	if (r < 0)
		return r;
	if (!noreplace) {
		if (rename(pf, pt) < 0)
			return negative_errno();
	} else if (renameat2(AT_FDCWD, pf, AT_FDCWD, pt, RENAME_NOREPLACE) < 0) {
		if (errno != EINVAL && errno != ENOSYS)
			return negative_errno();
		/* No RENAME_NOREPLACE here: link(2) never replaces either. */
		if (link(pf, pt) < 0)
			return negative_errno();
		if (unlink(pf) < 0)
			return negative_errno();
	}
	r = path_fsync_parent(pc, to);
	if (r < 0)
		return r;
	/* Across directories both entries changed, and both must reach the disk. */
	r = dirname_of(from, &df);
	if (r >= 0)
		r = dirname_of(to, &dt);
	if (r >= 0 && !streq(df, dt))
		r = path_fsync_parent(pc, from);
	return r;
}

int path_rename_durable(struct path_cxt *pc, const char *from, const char *to)
{
	return rename_durable(pc, from, to, false);
}

int path_rename_noreplace_durable(struct path_cxt *pc, const char *from, const char *to)
{
	return rename_durable(pc, from, to, true);
}

int path_link_durable(struct path_cxt *pc, const char *from, const char *to)
{
	_cleanup_free_ char *pf = NULL, *pt = NULL;
	int r;

	r = path_prefix(pc, &pf, "%s", from);
	if (r < 0)
		return r;
	r = path_prefix(pc, &pt, "%s", to);
	if (r < 0)
		return r;
	r = fault_point("link", to);
	if (r < 0)
		return r;
	if (link(pf, pt) < 0)
		return negative_errno();
	return path_fsync_parent(pc, to);
}

/* Remove path below the root with remove_fn (unlink, rmdir), then make that durable. */
static int remove_durable(struct path_cxt *pc, const char *path, const char *op,
			  int (*remove_fn)(const char *))
{
	_cleanup_free_ char *p = NULL;
	int r;

	r = path_prefix(pc, &p, "%s", path);
	if (r < 0)
		return r;
	r = fault_point(op, path);
	if (r < 0)
		return r;
	/* rmdir(2) may say EEXIST for a directory that is not empty. */
	if (remove_fn(p) < 0)
		return errno == EEXIST ? -ENOTEMPTY : negative_errno();
	return path_fsync_parent(pc, path);
}

int path_unlink_durable(struct path_cxt *pc, const char *path)
{
	return remove_durable(pc, path, "unlink", unlink);
}

int path_rmdir_durable(struct path_cxt *pc, const char *path)
{
	return remove_durable(pc, path, "rmdir", rmdir);
}
