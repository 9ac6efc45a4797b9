/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "basic/fd-util.h"
#include "basic/parse-util.h"
#include "basic/path-internal.h"

#define READ_FULL_MAX (64u * 1024 * 1024)

int path_cxt_new(const char *root, struct path_cxt **ret)
{
	struct path_cxt *pc;
	size_t l;

	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	pc->cache = calloc(1, sizeof(*pc->cache));
	if (!pc->cache) {
		free(pc);
		return -ENOMEM;
	}
	pc->cache->fd = -1;
	/* Tests walk on a kernel that has openat2() too, to cover the fallback. */
	pc->cache->failed = getenv("GPT_BOOTCFG_PATH_NO_OPENAT2") != NULL;

	if (!root || streq(root, "/"))
		root = "";
	pc->root = strdup(root);
	if (!pc->root) {
		free(pc->cache);
		free(pc);
		return -ENOMEM;
	}
	/* "tests/x/" and "tests/x" must produce the same paths. */
	l = strlen(pc->root);
	while (l > 1 && pc->root[l - 1] == '/')
		pc->root[--l] = '\0';

	*ret = pc;
	return 0;
}

void path_cxt_free(struct path_cxt *pc)
{
	if (!pc)
		return;
	if (pc->cache->fd >= 0)
		close(pc->cache->fd);
	free(pc->cache->realroot);
	free(pc->cache);
	free(pc->root);
	free(pc);
}

const char *path_cxt_root(const struct path_cxt *pc)
{
	return pc->root;
}

bool path_cxt_is_host(const struct path_cxt *pc)
{
	return pc->root[0] == '\0';
}

void path_cxt_set_recorder(struct path_cxt *pc, path_recorder_t fn, void *userdata)
{
	pc->recorder = fn;
	pc->recorder_data = userdata;
}

static void record(struct path_cxt *pc, const char *host)
{
	if (pc->recorder)
		pc->recorder(pc->recorder_data, host);
}

/* The host path from fmt, and the prefixed path to hand to the system call. */
static int build_path(const struct path_cxt *pc, bool follow_last, char **ret_host,
		      char **ret_prefixed, const char *fmt, va_list ap)
{
	_cleanup_free_ char *host = NULL, *resolved = NULL;
	char *p = NULL;
	int r;

	if (vasprintf(&host, fmt, ap) < 0) {
		host = NULL;
		return -ENOMEM;
	}
	if (host[0] != '/')
		return -EINVAL;
	if (path_cxt_is_host(pc)) {
		p = strdup(host);
		if (!p)
			return -ENOMEM;
	} else {
		r = path_resolve_in_root(pc, host, follow_last, &resolved);
		if (r < 0)
			return r;
		if (asprintf(&p, "%s%s", pc->root, resolved) < 0)
			return -ENOMEM;
	}
	if (ret_host)
		*ret_host = TAKE_PTR(host);
	*ret_prefixed = p;
	return 0;
}

int path_vprefix(const struct path_cxt *pc, char **ret, const char *fmt, va_list ap)
{
	return build_path(pc, false, NULL, ret, fmt, ap);
}

int path_prefix(const struct path_cxt *pc, char **ret, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = path_vprefix(pc, ret, fmt, ap);
	va_end(ap);
	return r;
}

int path_prefix_follow(const struct path_cxt *pc, char **ret, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = build_path(pc, true, NULL, ret, fmt, ap);
	va_end(ap);
	return r;
}

/*
 * var: the prefixed path, resolved below the root (the last component too when follow);
 * var##_host: the host path as asked for, which the recorder gets.
 */
#define BUILD_PATH_FOLLOW(pc, var, follow, fmt)                                                    \
	_cleanup_free_ char *var = NULL, *var##_host = NULL;                                       \
	do {                                                                                       \
		va_list ap_;                                                                       \
		int r_;                                                                            \
		va_start(ap_, fmt);                                                                \
		r_ = build_path(pc, follow, &(var##_host), &(var), fmt, ap_);                      \
		va_end(ap_);                                                                       \
		if (r_ < 0)                                                                        \
			return r_;                                                                 \
	} while (0)
#define BUILD_PATH(pc, var, fmt)	  BUILD_PATH_FOLLOW(pc, var, true, fmt)
#define BUILD_PATH_NOFOLLOW(pc, var, fmt) BUILD_PATH_FOLLOW(pc, var, false, fmt)

int path_open(struct path_cxt *pc, int flags, mode_t mode, const char *fmt, ...)
{
	int fd;

	/* O_NOFOLLOW: the last component stays as it is; otherwise it is followed in-root. */
	BUILD_PATH_FOLLOW(pc, p, !(flags & O_NOFOLLOW), fmt);
	fd = open(p, flags | O_CLOEXEC, mode);
	if (fd < 0)
		return negative_errno();
	record(pc, p_host);
	return fd;
}

/* Flags of an open for reading that path_open_regular()'s rule covers. */
static bool is_plain_read(int flags)
{
	return (flags & O_ACCMODE) == O_RDONLY && !(flags & (O_PATH | O_DIRECTORY));
}

/* open(2) of a prefixed path for reading, a regular file only: path_open_regular(). */
static int open_regular(const char *p, int flags)
{
	int fd, r;

	fd = open(p, flags | O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	r = fd_verify_regular(fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

static int vopen_regular(struct path_cxt *pc, int flags, const char *fmt, va_list ap)
{
	_cleanup_free_ char *p = NULL, *p_host = NULL;
	int fd, r;

	r = build_path(pc, !(flags & O_NOFOLLOW), &p_host, &p, fmt, ap);
	if (r < 0)
		return r;
	fd = open_regular(p, flags);
	if (fd < 0)
		return fd;
	record(pc, p_host);
	return fd;
}

int path_open_regular(struct path_cxt *pc, int flags, const char *fmt, ...)
{
	va_list ap;
	int fd;

	va_start(ap, fmt);
	fd = vopen_regular(pc, flags, fmt, ap);
	va_end(ap);
	return fd;
}

int path_read_full(struct path_cxt *pc, char **ret, size_t *ret_size, const char *fmt, ...)
{
	_cleanup_close_ int fd = -1;
	va_list ap;

	va_start(ap, fmt);
	fd = vopen_regular(pc, 0, fmt, ap);
	va_end(ap);
	if (fd < 0)
		return fd;
	return fd_read_full(fd, READ_FULL_MAX, ret, ret_size);
}

int path_read_text(struct path_cxt *pc, char **ret, const char *fmt, ...)
{
	_cleanup_close_ int fd = -1;
	char *buf = NULL;
	va_list ap;
	size_t n;
	int r;

	va_start(ap, fmt);
	fd = vopen_regular(pc, 0, fmt, ap);
	va_end(ap);
	if (fd < 0)
		return fd;
	r = fd_read_full(fd, READ_FULL_MAX, &buf, &n);
	if (r < 0)
		return r;
	if (strlen(buf) != n) {
		free(buf);
		return -EBADMSG;
	}
	*ret = buf;
	return 0;
}

static int vread_string(struct path_cxt *pc, char **ret, const char *fmt, va_list ap)
{
	_cleanup_close_ int fd = -1;
	char *buf = NULL;
	size_t n;
	int r;

	fd = vopen_regular(pc, 0, fmt, ap);
	if (fd < 0)
		return fd;
	r = fd_read_full(fd, READ_FULL_MAX, &buf, &n);
	if (r < 0)
		return r;
	buf[strcspn(buf, "\n")] = '\0';
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	*ret = buf;
	return 0;
}

int path_read_string(struct path_cxt *pc, char **ret, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vread_string(pc, ret, fmt, ap);
	va_end(ap);
	return r;
}

int path_read_u64(struct path_cxt *pc, uint64_t *ret, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	uint64_t v;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vread_string(pc, &s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return r;
	/* No blanks and no sign: strtoull() took "\t-1" for UINT64_MAX (fuzz-path-read). */
	if (safe_atou64(s, &v) < 0)
		return -EBADMSG;
	*ret = v;
	return 0;
}

int path_read_s64(struct path_cxt *pc, int64_t *ret, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;
	int64_t v;
	int r;

	va_start(ap, fmt);
	r = vread_string(pc, &s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return r;
	if (safe_atoi64(s, &v) < 0)
		return -EBADMSG;
	*ret = v;
	return 0;
}

int path_read_hex(struct path_cxt *pc, uint64_t *ret, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	const char *q;
	uint64_t v;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vread_string(pc, &s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return r;
	q = s;
	if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X'))
		q += 2;
	if (safe_atox64(q, &v) < 0)
		return -EBADMSG;
	*ret = v;
	return 0;
}

static int vreadlink(struct path_cxt *pc, char **ret, const char *fmt, va_list ap)
{
	_cleanup_free_ char *p = NULL, *p_host = NULL;
	char buf[PATH_MAX];
	ssize_t n;
	char *s;
	int r;

	r = build_path(pc, false, &p_host, &p, fmt, ap);
	if (r < 0)
		return r;
	n = readlink(p, buf, sizeof(buf) - 1);
	if (n < 0)
		return negative_errno();
	record(pc, p_host);
	buf[n] = '\0';
	s = strdup(buf);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int path_readlink(struct path_cxt *pc, char **ret, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vreadlink(pc, ret, fmt, ap);
	va_end(ap);
	return r;
}

int path_readlink_basename(struct path_cxt *pc, char **ret, const char *fmt, ...)
{
	_cleanup_free_ char *t = NULL;
	const char *b;
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vreadlink(pc, &t, fmt, ap);
	va_end(ap);
	if (r < 0)
		return r;
	b = strrchr(t, '/');
	b = b ? b + 1 : t;
	if (!*b)
		return -EBADMSG;
	s = strdup(b);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int path_open_dir(struct path_cxt *pc, const char *fmt, ...)
{
	int fd;

	if (pc->root[0] != '\0') {
		_cleanup_free_ char *host = NULL;
		va_list ap;
		int r;

		va_start(ap, fmt);
		r = vasprintf(&host, fmt, ap);
		va_end(ap);
		if (r < 0)
			return -ENOMEM;
		fd = path_open_dir_in_root(pc, host);
		if (fd != -EAGAIN)
			return fd;
	}
	BUILD_PATH(pc, p, fmt);
	fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	return fd;
}

/* One name, so a lookup below a directory of the root cannot climb out of it by "..". */
static bool is_plain_name(const char *name)
{
	return *name && !strchr(name, '/') && !streq(name, ".") && !streq(name, "..");
}

static void record_at(struct path_cxt *pc, const char *dir, const char *name)
{
	_cleanup_free_ char *p = NULL;

	if (pc->recorder && asprintf(&p, "%s/%s", dir, name) >= 0)
		pc->recorder(pc->recorder_data, p);
}

/* openat() of one plain name, resolved as path_openat() says. */
static int openat_name(struct path_cxt *pc, int dirfd, const char *dir, const char *name, int flags)
{
	int fd;

	/*
	 * The directory was resolved below the root, but openat() would follow a symlink
	 * at name as the host sees it (an absolute one leaves the root): resolve that one
	 * through the whole path instead.
	 */
	if (!path_cxt_is_host(pc) && !(flags & O_NOFOLLOW)) {
		struct stat st;

		fd = path_openat_beneath(dirfd, name, flags);
		if (fd != -EAGAIN)
			return fd;
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISLNK(st.st_mode))
			return path_open(pc, flags, 0, "%s/%s", dir, name);
	}
	fd = openat(dirfd, name, flags | O_CLOEXEC);
	return fd < 0 ? negative_errno() : fd;
}

int path_openat(struct path_cxt *pc, int dirfd, const char *dir, const char *name, int flags)
{
	bool rd = is_plain_read(flags);
	int fd, r;

	if (dirfd < 0 || !is_plain_name(name))
		return -EINVAL;
	fd = openat_name(pc, dirfd, dir, name, rd ? flags | O_NONBLOCK | O_NOCTTY : flags);
	if (fd < 0)
		return fd;
	if (rd) {
		r = fd_verify_regular(fd);
		if (r < 0) {
			close(fd);
			return r;
		}
	}
	record_at(pc, dir, name);
	return fd;
}

int path_readlinkat(struct path_cxt *pc, int dirfd, const char *dir, const char *name, char **ret)
{
	char buf[PATH_MAX];
	ssize_t n;
	char *s;

	if (dirfd < 0 || !is_plain_name(name))
		return -EINVAL;
	n = readlinkat(dirfd, name, buf, sizeof(buf) - 1);
	if (n < 0)
		return negative_errno();
	record_at(pc, dir, name);
	buf[n] = '\0';
	s = strdup(buf);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int path_readlinkat_basename(struct path_cxt *pc, int dirfd, const char *dir, const char *name,
			     char **ret)
{
	_cleanup_free_ char *t = NULL;
	const char *b;
	char *s;
	int r;

	r = path_readlinkat(pc, dirfd, dir, name, &t);
	if (r < 0)
		return r;
	b = strrchr(t, '/');
	b = b ? b + 1 : t;
	if (!*b)
		return -EBADMSG;
	s = strdup(b);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int path_resolve_link(const char *dir, const char *target, char **ret)
{
	_cleanup_free_ char *buf = NULL;
	char *out, *save = NULL, *tok;
	size_t len = 0, n;

	if (asprintf(&buf, "%s/%s", target[0] == '/' ? "" : dir, target) < 0)
		return -ENOMEM;
	out = malloc(strlen(buf) + 2);
	if (!out)
		return -ENOMEM;
	out[0] = '\0';
	for (tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (streq(tok, "."))
			continue;
		if (streq(tok, "..")) {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			out[len] = '\0';
			continue;
		}
		out[len++] = '/';
		n = strlen(tok);
		memcpy(out + len, tok, n + 1);
		len += n;
	}
	if (len == 0) {
		out[0] = '/';
		out[1] = '\0';
	}
	*ret = out;
	return 0;
}

int path_canonicalize(struct path_cxt *pc, char **ret, const char *fmt, ...)
{
	_cleanup_free_ char *real = NULL, *realroot = NULL;
	const char *rest;
	char *s;

	BUILD_PATH(pc, p, fmt);
	/* p has every link resolved below the root already: realpath() only checks it. */
	real = realpath(p, NULL);
	if (!real)
		return negative_errno();
	record(pc, p_host);
	if (path_cxt_is_host(pc)) {
		*ret = TAKE_PTR(real);
		return 0;
	}
	realroot = realpath(pc->root, NULL);
	if (!realroot)
		return negative_errno();
	rest = startswith(real, realroot);
	if (!rest || (*rest != '/' && *rest != '\0'))
		return -EXDEV;
	s = strdup(*rest ? rest : "/");
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int path_exists(struct path_cxt *pc, const char *fmt, ...)
{
	struct stat st;

	BUILD_PATH(pc, p, fmt);
	if (stat(p, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : negative_errno();
	record(pc, p_host);
	return 1;
}

int path_stat(struct path_cxt *pc, struct stat *ret, const char *fmt, ...)
{
	struct stat st;

	BUILD_PATH(pc, p, fmt);
	if (stat(p, &st) < 0)
		return negative_errno();
	record(pc, p_host);
	*ret = st;
	return 0;
}

int path_lstat(struct path_cxt *pc, struct stat *ret, const char *fmt, ...)
{
	struct stat st;

	BUILD_PATH_NOFOLLOW(pc, p, fmt);
	if (lstat(p, &st) < 0)
		return negative_errno();
	record(pc, p_host);
	*ret = st;
	return 0;
}

int path_opendir(struct path_cxt *pc, DIR **ret, const char *fmt, ...)
{
	DIR *d;

	BUILD_PATH(pc, p, fmt);
	d = opendir(p);
	if (!d)
		return negative_errno();
	record(pc, p_host);
	*ret = d;
	return 0;
}

static int cmp_version(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

int path_list_dir(struct path_cxt *pc, char ***ret, const char *fmt, ...)
{
	_cleanup_closedir_ DIR *d = NULL;
	char **l = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *de;

	BUILD_PATH(pc, p, fmt);
	d = opendir(p);
	if (!d)
		return negative_errno();
	record(pc, p_host);
	while ((errno = 0, de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (n + 2 > alloc) {
			char **nl;

			alloc = alloc ? alloc * 2 : 16;
			nl = realloc(l, alloc * sizeof(char *));
			if (!nl)
				goto oom;
			l = nl;
		}
		l[n] = strdup(de->d_name);
		if (!l[n])
			goto oom;
		l[++n] = NULL;
	}
	if (errno) {
		int r = negative_errno();

		strv_free(l);
		return r;
	}
	if (!l) {
		l = calloc(1, sizeof(char *));
		if (!l)
			return -ENOMEM;
	}
	qsort(l, n, sizeof(char *), cmp_version);
	*ret = l;
	return 0;
oom:
	strv_free(l);
	return -ENOMEM;
}

int path_write_string(struct path_cxt *pc, const char *s, const char *fmt, ...)
{
	_cleanup_close_ int fd = -1;
	size_t l = strlen(s);
	ssize_t n;

	BUILD_PATH(pc, p, fmt);
	fd = open(p, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_TRUNC);
	if (fd < 0)
		return negative_errno();
	n = write(fd, s, l);
	if (n < 0)
		return negative_errno();
	if ((size_t)n != l)
		return -EIO;
	return 0;
}

void strv_free(char **l)
{
	if (!l)
		return;
	for (char **s = l; *s; s++)
		free(*s);
	free(l);
}

size_t strv_length(char *const *l)
{
	size_t n = 0;

	while (l && l[n])
		n++;
	return n;
}
