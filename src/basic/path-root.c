/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Resolving host paths below --root as chroot(2) would (issue 14, item 5). Libc only: the
 * claim binary links this file too (though on the running host nothing here runs).
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "basic/path-internal.h"

/* Append "/name" (n bytes) to the host path in *out (length *len, "" for "/"). */
static int append_component(char **out, size_t *len, const char *name, size_t n)
{
	char *o = realloc(*out, *len + n + 2);

	if (!o)
		return -ENOMEM;
	o[(*len)++] = '/';
	memcpy(o + *len, name, n);
	*len += n;
	o[*len] = '\0';
	*out = o;
	return 0;
}

/* Drop the last component ("..", never above "/"). */
static void drop_component(char *out, size_t *len)
{
	while (*len > 0 && out[*len - 1] != '/')
		(*len)--;
	if (*len > 0)
		(*len)--;
	out[*len] = '\0';
}

/*
 * The fallback that works everywhere: walk the host path one component at a time, as the
 * kernel does under chroot(2). A symlink's target is read and walked in its place, an
 * absolute one from the root, and ".." stops at the root. Once a component is missing,
 * the rest is folded lexically (it cannot hold links). The last component is followed
 * only with follow_last.
 */
static int walk_in_root(const char *root, const char *host, bool follow_last, char **ret)
{
	_cleanup_free_ char *rest = strdup(host), *out = NULL, *full = NULL;
	bool missing = false;
	unsigned links = 0;
	size_t len = 0;
	char *p;
	int r;

	out = calloc(1, 1);
	if (!rest || !out)
		return -ENOMEM;
	p = rest;
	for (;;) {
		const char *c;
		size_t n;
		bool last;
		struct stat st;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		c = p;
		n = strcspn(p, "/");
		p += n;
		while (*p == '/')
			p++;
		last = !*p;
		if (n == 1 && c[0] == '.')
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			drop_component(out, &len);
			continue;
		}
		r = append_component(&out, &len, c, n);
		if (r < 0)
			return r;
		if (missing || (last && !follow_last))
			continue;
		free(full);
		if (asprintf(&full, "%s%s", root, out) < 0) {
			full = NULL;
			return -ENOMEM;
		}
		if (lstat(full, &st) < 0) {
			/* Missing (or unreadable): the operation itself reports it. */
			missing = true;
			continue;
		}
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t tl;
			char *nrest = NULL;

			if (++links > MAX_LINKS)
				return -ELOOP;
			tl = readlink(full, target, sizeof(target) - 1);
			if (tl < 0)
				return negative_errno();
			target[tl] = '\0';
			/* The link's target takes its place, the unwalked rest follows it. */
			if (asprintf(&nrest, "%s/%s", target, p) < 0)
				return -ENOMEM;
			free(rest);
			rest = p = nrest;
			if (target[0] == '/')
				len = 0;
			else
				drop_component(out, &len);
			out[len] = '\0';
		}
	}
	if (len == 0) {
		free(out);
		out = strdup("/");
		if (!out)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(out);
	return 0;
}

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#define RESOLVE_NO_MAGICLINKS_ 0x02
#define RESOLVE_NO_SYMLINKS_   0x04
#define RESOLVE_BENEATH_       0x08
#define RESOLVE_IN_ROOT_       0x10

/*
 * struct open_how of <linux/openat2.h>, which musl's headers may lack. The kernel reads
 * every member (cppcheck cannot see a system call's use of them).
 */
struct open_how_ {
	uint64_t flags;
	// cppcheck-suppress unusedStructMember
	uint64_t mode;
	// cppcheck-suppress unusedStructMember
	uint64_t resolve;
};

static bool root_cache_ready(const struct path_cxt *pc)
{
	struct root_cache *c = pc->cache;

	if (c->fd >= 0)
		return true;
	if (c->failed)
		return false;
	c->realroot = realpath(pc->root, NULL);
	if (c->realroot)
		c->fd = open(c->realroot, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->fd < 0) {
		free(c->realroot);
		c->realroot = NULL;
		/* A root that is not there yet may be created later: try again then. */
		return false;
	}
	return true;
}

/*
 * The fast path: openat2(RESOLVE_IN_ROOT) resolves like chroot in one call, and the
 * opened file's /proc/self/fd link gives the result. Returns -EAGAIN when it cannot
 * answer (old kernel, no /proc, nothing there to open), and the caller walks instead.
 */
static int openat2_in_root(const struct path_cxt *pc, const char *host, bool follow_last,
			   char **ret)
{
	struct open_how_ how = {
	    .flags = O_PATH | O_CLOEXEC,
	    .resolve = RESOLVE_IN_ROOT_ | RESOLVE_NO_MAGICLINKS_,
	};
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int fd = -1;
	const char *base = NULL, *rest;
	char link[64], real[PATH_MAX];
	ssize_t n;
	size_t rl;

	if (!root_cache_ready(pc))
		return -EAGAIN;
	if (!follow_last) {
		const char *slash = strrchr(host, '/');

		base = slash + 1;
		if (!*base || streq(base, ".") || streq(base, ".."))
			return -EAGAIN;
		dir = strndup(host, (size_t)(slash - host));
		if (!dir)
			return -ENOMEM;
		how.flags |= O_DIRECTORY;
	}
	rest = follow_last ? host : dir;
	while (*rest == '/')
		rest++;
	fd = (int)syscall(SYS_openat2, pc->cache->fd, *rest ? rest : ".", &how, sizeof(how));
	if (fd < 0) {
		/* ENOSYS: no openat2 (Linux < 5.6); ENOENT & co: the walk folds the rest. */
		pc->cache->failed |= errno == ENOSYS;
		return -EAGAIN;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, real, sizeof(real) - 1);
	if (n < 0)
		return -EAGAIN;
	real[n] = '\0';
	rl = strlen(pc->cache->realroot);
	if (streq(pc->cache->realroot, "/"))
		rl = 0;
	if (strncmp(real, pc->cache->realroot, rl) != 0 || (real[rl] != '/' && real[rl] != '\0') ||
	    strstr(real, " (deleted)"))
		return -EAGAIN;
	if (asprintf(ret, "%s%s%s", *(real + rl) ? real + rl : (base ? "" : "/"), base ? "/" : "",
		     base ? base : "") < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

int path_resolve_in_root(const struct path_cxt *pc, const char *host, bool follow_last, char **ret)
{
	int r;

	if (host[0] != '/')
		return -EINVAL;
	/* The running host resolves as the kernel does: nothing to add. */
	if (pc->root[0] == '\0') { /* the host: nothing to resolve inside */
		char *s = strdup(host);

		if (!s)
			return -ENOMEM;
		*ret = s;
		return 0;
	}
	r = openat2_in_root(pc, host, follow_last, ret);
	if (r != -EAGAIN)
		return r;
	return walk_in_root(pc->root, host, follow_last, ret);
}

int path_open_dir_in_root(const struct path_cxt *pc, const char *host)
{
	struct open_how_ how = {
	    .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
	    .resolve = RESOLVE_IN_ROOT_ | RESOLVE_NO_MAGICLINKS_,
	};
	const char *rest = host;
	int fd;

	if (pc->root[0] == '\0' || !root_cache_ready(pc))
		return -EAGAIN;
	while (*rest == '/')
		rest++;
	/*
	 * The kernel keeps the walk inside the root (".." stops there, absolute links start
	 * there) and fails with EAGAIN if a rename races it: the descriptor is the directory
	 * as the root sees it, with no path to re-resolve.
	 */
	fd = (int)syscall(SYS_openat2, pc->cache->fd, *rest ? rest : ".", &how, sizeof(how));
	if (fd >= 0)
		return fd;
	if (errno == ENOSYS) {
		pc->cache->failed = true;
		return -EAGAIN;
	}
	return errno == EAGAIN ? -EAGAIN : negative_errno();
}

int path_openat_beneath(int dirfd, const char *name, int flags)
{
	struct open_how_ how = {
	    .flags = (uint64_t)(flags | O_CLOEXEC),
	    .resolve = RESOLVE_BENEATH_ | RESOLVE_NO_SYMLINKS_ | RESOLVE_NO_MAGICLINKS_,
	};
	int fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));

	if (fd >= 0)
		return fd;
	/* ELOOP: name is a symlink, which only the whole in-root walk may follow. */
	return errno == ENOSYS || errno == ELOOP || errno == EXDEV ? -EAGAIN : negative_errno();
}
