/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vm-hooks.h"

/* One path (the hook itself when last): root's and not writable by anyone else. */
static int check_one(struct path_cxt *pc, const char *p, bool last, bool allow_link,
		     char **ret_why)
{
	struct stat st;
	int r = path_lstat(pc, &st, "%s", p);

	if (r < 0)
		return r;
	/* A link's own owner and mode mean nothing; where it points is checked separately. */
	if (S_ISLNK(st.st_mode) && allow_link)
		return 0;
	if (last && !S_ISREG(st.st_mode))
		return asprintf(ret_why, "'%s' is not a regular file", p) < 0 ? -ENOMEM : -EPERM;
	if (!last && !S_ISDIR(st.st_mode))
		return asprintf(ret_why, "'%s' is not a directory", p) < 0 ? -ENOMEM : -EPERM;
	if (st.st_uid != 0)
		return asprintf(ret_why, "'%s' is owned by uid %u, not root", p,
				(unsigned)st.st_uid) < 0
			       ? -ENOMEM
			       : -EPERM;
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return asprintf(ret_why, "'%s' has mode %04o: writable by %s", p,
				(unsigned)(st.st_mode & 07777),
				(st.st_mode & S_IWOTH) ? "others" : "its group") < 0
			       ? -ENOMEM
			       : -EPERM;
	return 0;
}

/* Every prefix of an absolute host path, "/" first, then the path itself. */
static int check_chain(struct path_cxt *pc, const char *path, bool allow_link, char **ret_why)
{
	_cleanup_free_ char *buf = strdup(path);
	int r;

	if (!buf)
		return -ENOMEM;
	r = check_one(pc, "/", false, false, ret_why);
	for (char *s = buf + 1; r >= 0 && *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		r = check_one(pc, buf, false, allow_link, ret_why);
		*s = '/';
	}
	if (r >= 0)
		r = check_one(pc, buf, true, allow_link, ret_why);
	return r;
}

int vm_hook_check(struct path_cxt *pc, const char *path, char **ret_canonical, char **ret_why)
{
	_cleanup_free_ char *canon = NULL, *why = NULL;
	int r;

	if (path[0] != '/')
		return -EINVAL;
	/* The path as written: who could replace a directory or plant a link on the way. */
	r = check_chain(pc, path, true, &why);
	if (r >= 0) {
		/* Where it leads: links must land on ground that passes the same rule. */
		r = path_canonicalize(pc, &canon, "%s", path);
		if (r == -EXDEV) {
			if (asprintf(&why, "a symlink on the way to '%s' leaves the root", path) < 0)
				return -ENOMEM;
			r = -EXDEV;
		} else if (r >= 0 && !streq(canon, path)) {
			r = check_chain(pc, canon, false, &why);
		}
	}
	if (r < 0) {
		if (why)
			*ret_why = TAKE_PTR(why);
		return r;
	}
	*ret_canonical = TAKE_PTR(canon);
	return 0;
}
