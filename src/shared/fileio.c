/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fileio.h"

static unsigned long fault_counter;

int fault_point(const char *op, const char *path)
{
	const char *at = getenv("GPT_BOOTCFG_FAULT_AT");
	const char *logf = getenv("GPT_BOOTCFG_FAULT_LOG");
	unsigned long n = ++fault_counter;

	if (logf) {
		FILE *f = fopen(logf, "ae");

		if (f) {
			fprintf(f, "%lu %s %s\n", n, op, path);
			fclose(f);
		}
	}
	if (!at || strtoul(at, NULL, 10) != n)
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

int path_mkdir_p(struct path_cxt *pc, const char *path, mode_t mode)
{
	_cleanup_free_ char *p = NULL;
	size_t rootlen = strlen(path_cxt_root(pc));
	int r;

	r = path_prefix(pc, &p, "%s", path);
	if (r < 0)
		return r;
	for (char *s = p + rootlen + 1;; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			r = negative_errno();
			*s = c;
			return r;
		}
		*s = c;
		if (c == '\0')
			break;
	}
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

int path_write_atomic(struct path_cxt *pc, const char *path, const void *data, size_t len,
		      mode_t mode)
{
	_cleanup_free_ char *p = NULL, *d = NULL, *tmp = NULL, *hostdir = NULL;
	_cleanup_close_ int fd = -1;
	const char *base, *q = data;
	size_t left = len;
	int r;

	r = dirname_of(path, &hostdir);
	if (r < 0)
		return r;
	r = path_mkdir_p(pc, hostdir, 0755);
	if (r < 0)
		return r;
	r = path_prefix(pc, &p, "%s", path);
	if (r < 0)
		return r;
	r = dirname_of(p, &d);
	if (r < 0)
		return r;
	base = strrchr(p, '/') + 1;
	if (asprintf(&tmp, "%s/.#%s.XXXXXX", d, base) < 0) {
		tmp = NULL;
		return -ENOMEM;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return negative_errno();

	r = fault_point("write", path);
	while (r >= 0 && left > 0) {
		ssize_t n = write(fd, q, left);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = negative_errno();
			break;
		}
		q += n;
		left -= (size_t)n;
	}
	if (r >= 0 && fchmod(fd, mode) < 0)
		r = negative_errno();
	if (r >= 0)
		r = fault_point("fsync", path);
	if (r >= 0 && fsync(fd) < 0)
		r = negative_errno();
	if (r >= 0)
		r = fault_point("rename", path);
	if (r >= 0 && rename(tmp, p) < 0)
		r = negative_errno();
	if (r < 0) {
		(void)unlink(tmp);
		return r;
	}
	r = fault_point("fsync-dir", path);
	if (r < 0)
		return r;
	return fsync_dir(d);
}

int path_rename_durable(struct path_cxt *pc, const char *from, const char *to)
{
	_cleanup_free_ char *pf = NULL, *pt = NULL;
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
	if (rename(pf, pt) < 0)
		return negative_errno();
	return path_fsync_parent(pc, to);
}

int path_unlink_durable(struct path_cxt *pc, const char *path)
{
	_cleanup_free_ char *p = NULL;
	int r;

	r = path_prefix(pc, &p, "%s", path);
	if (r < 0)
		return r;
	r = fault_point("unlink", path);
	if (r < 0)
		return r;
	if (unlink(p) < 0)
		return negative_errno();
	return path_fsync_parent(pc, path);
}
