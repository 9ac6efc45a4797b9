/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Carrying out a managed set: the state recorded first, then the files (managed-apply.h). */
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "basic/fileio.h"
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "write/managed-apply.h"
#include "write/managed-internal.h"
#include "write/managed-state.h"
int managed_apply(struct path_cxt *pc, const struct managed_set *s)
{
	_cleanup_strv_free_ char **lines = NULL;
	int r;

	r = managed_state_read(pc, &lines);
	if (r < 0)
		return r;

	/* Record first, act second: a crash in between leaves revert knowing everything. */
	r = managed_state_note_dirs(pc, MANAGED_STATE_PATH, &lines);
	for (size_t i = 0; i < s->n && r >= 0; i++) {
		const struct managed_file *f = &s->files[i];

		if (f->action == MANAGED_UNCHANGED || f->action == MANAGED_REMOVE)
			continue;
		r = managed_state_note_dirs(pc, f->path, &lines);
		if (f->shared) {
			/* "block-new": revert removes the file once our block is all it holds. */
			if (r >= 0)
				r = strv_addf_unique(&lines, "block %s", f->path);
			if (r >= 0 && f->action == MANAGED_CREATE)
				r = strv_addf_unique(&lines, "block-new %s", f->path);
			continue;
		}
		if (r >= 0)
			r = strv_addf_unique(&lines, "%s %s", f->is_link ? "link" : "file",
					     f->path);
		/* Only what was there before our first write is restored by revert. */
		if (r >= 0 && f->backup && f->state == MANAGED_STATE_FOREIGN &&
		    !managed_state_has_backup(lines, f->path))
			r = strv_addf_unique(&lines, "backup %s %s", f->path, f->backup);
	}
	STRV_FOREACH (e, s->extra) {
		_cleanup_free_ char *cur = NULL;
		bool is_link;

		if (r >= 0)
			r = managed_read_current(pc, *e, &is_link, &cur);
		if (r >= 0 && !cur)
			r = managed_state_note_dirs(pc, *e, &lines);
		if (r >= 0 && !cur)
			r = strv_addf_unique(&lines, "extra %s", *e);
	}
	if (r < 0)
		return r;
	/* One unfinished apply at a time: the new one carries on with what the last one left. */
	managed_state_drop(lines, "pending ");
	if (s->pending)
		r = strv_addf_unique(&lines, "pending %s", s->pending);
	if (r < 0)
		return r;
	r = managed_state_write(pc, lines);
	if (r < 0)
		return r;

	for (size_t i = 0; i < s->n; i++) {
		const struct managed_file *f = &s->files[i];
		_cleanup_free_ char *dir = NULL;

		if (f->action == MANAGED_UNCHANGED)
			continue;
		if (f->action == MANAGED_REMOVE) {
			r = path_unlink_durable(pc, f->path);
			if (r < 0 && r != -ENOENT)
				return r;
			continue;
		}
		if (f->record_only) {
			const char *bak = managed_state_backup_of(lines, f->path);

			/*
			 * It stays where it is (the caller writes the new contents elsewhere), but
			 * is kept as a backup all the same, as a second name: whatever later
			 * replaces it, revert can put it back. A retry finds the link made.
			 */
			if (f->backup && !(bak && managed_same_file(pc, f->path, bak))) {
				r = path_link_durable(pc, f->path, f->backup);
				if (r < 0)
					return r;
			}
			continue;
		}
		if (f->backup) {
			/* Never over another backup: that one may hold the user's only copy. */
			r = path_rename_noreplace_durable(pc, f->path, f->backup);
			if (r < 0)
				return r;
		}
		dir = strdup(f->path);
		if (!dir)
			return -ENOMEM;
		*strrchr(dir, '/') = '\0';
		r = path_mkdir_p(pc, dir, 0755);
		if (r < 0)
			return r;
		if (f->is_link)
			r = path_symlink_atomic(pc, f->path, f->content);
		else if (f->shared)
			r = path_write_atomic_keep(pc, f->path, f->content, strlen(f->content),
						   0644);
		else
			r = path_write_atomic(pc, f->path, f->content, strlen(f->content), 0644);
		if (r < 0)
			return r;
	}
	return 0;
}

int managed_pending(struct path_cxt *pc, char **ret)
{
	_cleanup_strv_free_ char **lines = NULL;
	int r;

	r = managed_state_read(pc, &lines);
	if (r < 0)
		return r;
	STRV_FOREACH (l, lines) {
		const char *v = startswith(*l, "pending ");

		if (v) {
			*ret = strdup(v);
			return *ret ? 1 : -ENOMEM;
		}
	}
	*ret = NULL;
	return 0;
}

int managed_finish(struct path_cxt *pc)
{
	_cleanup_strv_free_ char **lines = NULL;
	size_t n;
	int r;

	r = managed_state_read(pc, &lines);
	if (r < 0)
		return r;
	n = strv_length(lines);
	managed_state_drop(lines, "pending ");
	if (strv_length(lines) == n)
		return 0;
	return managed_state_write(pc, lines);
}
