/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the host model's loaders share (host-internal.h): the error of the last failed load
 * (host_last_error()), deferred errors, and small sysfs and number parsers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "basic/parse-util.h"
#include "basic/strv-util.h"
#include "shared/host-internal.h"

static __thread char last_error[1024];

void host_error_reset(void)
{
	last_error[0] = '\0';
}

void host_error_default(int r)
{
	if (!last_error[0])
		snprintf(last_error, sizeof(last_error), "%s", strerror(-r));
}

const char *host_last_error(void)
{
	return last_error[0] ? last_error : "unknown error";
}

/*
 * Remember "ROOT/host/path: problem" and return r. The prefixed path is named because it
 * is the file the user can look at (with --root, the fixture's copy).
 */
int host_fail(struct path_cxt *pc, int r, const char *host_path, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(last_error, sizeof(last_error), "%s%s: %s", path_cxt_root(pc), host_path, what);
	return r;
}

int host_fail_errno(struct path_cxt *pc, int r, const char *host_path)
{
	if (r == -EBADMSG)
		return host_fail(pc, r, host_path, "unexpected contents");
	return host_fail(pc, r, host_path, "%s", strerror(-r));
}

int host_defer_error(int r, int *slot, char **slot_msg)
{
	if (r >= 0 || r == -ENOMEM)
		return r;
	*slot = r;
	*slot_msg = strdup(host_last_error());
	last_error[0] = '\0';
	return *slot_msg ? 0 : -ENOMEM;
}

void host_deferred_error(int r, const char *msg)
{
	snprintf(last_error, sizeof(last_error), "%s", msg ? msg : strerror(-r));
}

char **host_strv_new_empty(void)
{
	return calloc(1, sizeof(char *));
}

/* Host path of the directory a sysfs link (DIR/NAME) points to. */
int host_sysfs_link_path(struct path_cxt *pc, int dirfd, const char *dir, const char *name,
			 char **ret)
{
	_cleanup_free_ char *target = NULL;
	int r;

	r = path_readlinkat(pc, dirfd, dir, name, &target);
	if (r == -EINVAL)
		/* A plain directory (hand-made trees): its own path is the canonical one. */
		return asprintf(ret, "%s/%s", dir, name) < 0 ? -ENOMEM : 0;
	if (r < 0)
		return r;
	return path_resolve_link(dir, target, ret);
}

/* "0x10de" or "10de"; no sign, no blanks, nothing after the digits. */
int host_parse_hex(const char *s, uint64_t *ret)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	return safe_atox64(s, ret) < 0 ? -EBADMSG : 0;
}

int host_parse_int(const char *s, long min, long max, long *ret)
{
	int64_t v;

	if (safe_atoi64(s, &v) < 0 || v < min || v > max)
		return -EBADMSG;
	*ret = (long)v;
	return 0;
}
