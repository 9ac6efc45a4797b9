/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "basic/parse-util.h"
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "core/proc-nodes.h"

int proc_open_nodes(struct path_cxt *pc, char ***ret, unsigned *ret_hidden)
{
	_cleanup_strv_free_ char **pids = NULL, **l = NULL;
	unsigned hidden = 0;
	int r;

	r = path_list_dir(pc, &pids, "/proc");
	if (r < 0)
		return r;
	l = calloc(1, sizeof(char *));
	if (!l)
		return -ENOMEM;
	STRV_FOREACH (p, pids) {
		_cleanup_strv_free_ char **fds = NULL;
		_cleanup_free_ char *comm = NULL, *raw = NULL;
		unsigned u;

		if (safe_atou(*p, &u) < 0)
			continue;
		r = path_list_dir(pc, &fds, "/proc/%s/fd", *p);
		if (r == -EACCES || r == -EPERM)
			hidden++;
		if (r < 0)
			continue;
		if (path_read_string(pc, &raw, "/proc/%s/comm", *p) >= 0 &&
		    str_escaped(raw, &comm) < 0)
			return -ENOMEM;
		STRV_FOREACH (f, fds) {
			_cleanup_free_ char *target = NULL, *entry = NULL;

			r = path_readlink(pc, &target, "/proc/%s/fd/%s", *p, *f);
			/* The list is readable, the links are not (the ptrace access check). */
			if (r == -EACCES || r == -EPERM) {
				hidden++;
				break;
			}
			if (r < 0 || !startswith(target, "/dev/"))
				continue;
			if (asprintf(&entry, "%s\t%s\t%s", target, *p, comm ? comm : "?") < 0)
				return -ENOMEM;
			if (strv_consume(&l, TAKE_PTR(entry)) < 0)
				return -ENOMEM;
		}
	}
	if (ret_hidden)
		*ret_hidden = hidden;
	*ret = TAKE_PTR(l);
	return 0;
}
