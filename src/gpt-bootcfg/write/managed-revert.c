/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Revert: undo what the state file records (managed-state.c), then remove the state. */
#include <stdio.h>
#include <sys/stat.h>

#include "basic/fileio.h"
#include "basic/strv-util.h"
#include "core/kcmdline.h"
#include "features/table.h"
#include "trial/trial.h"
#include "write/managed-internal.h"
#include "write/managed-state.h"
#include "write/managed.h"

static unsigned rebuild_for(const char *path)
{
	if (streq(path, MANAGED_GRUB_PATH) || streq(path, TRIAL_CMDLINE_PATH) ||
	    streq(path, KERNEL_CMDLINE_PATH))
		return MANAGED_REBUILD_GRUB;
	if (streq(path, MANAGED_MODPROBE_PATH) || streq(path, MANAGED_CLAIM_LIST_PATH))
		return MANAGED_REBUILD_INITRAMFS;
	return MANAGED_REBUILD_NONE;
}

/* Longer first: a directory's children before the directory. */
static int cmp_len_desc(const void *a, const void *b)
{
	size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);

	return la < lb ? 1 : la > lb ? -1 : strcmp(*(char *const *)a, *(char *const *)b);
}

/* The recorded directories ("dir P"), innermost first. */
static int state_dirs(char *const *lines, char ***ret)
{
	_cleanup_strv_free_ char **dirs = NULL;
	int r;

	STRV_FOREACH (l, lines) {
		const char *d = startswith(*l, "dir ");

		if (d) {
			r = strv_add_unique(&dirs, d);
			if (r < 0)
				return r;
		}
	}
	if (dirs)
		qsort(dirs, strv_length(dirs), sizeof(char *), cmp_len_desc);
	*ret = TAKE_PTR(dirs);
	return 0;
}

/* Is d a proper ancestor directory of path? */
static bool is_ancestor(const char *d, const char *path)
{
	const char *rest = startswith(path, d);

	return rest && *rest == '/';
}

/* The temporary files of every state candidate, wherever a crash left them. */
static int remove_state_tmps(struct path_cxt *pc, char *const *cands)
{
	for (size_t i = 0; cands[i]; i++) {
		int r = path_remove_stale_tmp(pc, cands[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * 1 when path is there, as a name: a symlink counts even when it leads nowhere (issue 30
 * #14: the admin's dangling link, kept as the backup, must come back), 0 when not.
 */
static int lexists(struct path_cxt *pc, const char *path)
{
	struct stat st;
	int r = path_lstat(pc, &st, "%s", path);

	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	return r < 0 ? r : 1;
}

/* Take our block out of the shared file path; created: the file was new with it. */
static int revert_block(struct path_cxt *pc, const char *path, bool created, bool dry_run,
			char ***steps, char ***kept)
{
	_cleanup_free_ char *cur = NULL, *user = NULL;
	const struct feature_ops *ft = feature_by_managed_path(path);
	int (*block_strip)(const char *, char **, bool *) = ft ? ft->block_strip : NULL;
	bool is_link = false, found = false;
	int r;

	/* A feature's shared file (features/table.h), or systemd-boot's kernel cmdline. */
	if (streq(path, KERNEL_CMDLINE_PATH))
		block_strip = kcmdline_block_strip;
	if (!block_strip)
		return -EINVAL;
	if (!dry_run) {
		r = path_remove_stale_tmp(pc, path);
		if (r < 0)
			return r;
	}
	r = managed_read_current(pc, path, &is_link, &cur);
	if (r == -EISDIR || (r >= 0 && is_link))
		return strv_addf_unique(kept, "%s (no longer a file, left alone)", path);
	if (r == -EBADMSG)
		return strv_addf_unique(kept, "%s (holds a NUL byte now, left alone)", path);
	if (r < 0 || !cur)
		return r;
	r = block_strip(cur, &user, &found);
	if (r < 0 || !found)
		return r;
	if (created && !*user) {
		r = strv_addf_unique(steps, "remove %s", path);
		if (r >= 0 && !dry_run)
			r = path_unlink_durable(pc, path);
		return r;
	}
	r = strv_addf_unique(steps, "remove gpt-bootcfg's lines from %s", path);
	if (r >= 0 && !dry_run)
		r = path_write_atomic_keep(pc, path, user, strlen(user), 0644);
	return r;
}

int managed_revert(struct path_cxt *pc, bool dry_run, char ***ret_steps, char ***ret_kept,
		   unsigned *ret_rebuild)
{
	_cleanup_strv_free_ char **lines = NULL, **steps = NULL, **kept = NULL, **dirs = NULL,
				 **cands = NULL;
	unsigned rebuild = 0;
	int r, si = -1;

	r = managed_state_candidates(&cands);
	if (r >= 0)
		r = managed_state_locate(pc, cands, &si);
	if (r >= 0)
		r = managed_state_read(pc, &lines);
	if (r < 0)
		return r;
	/*
	 * An apply killed while it wrote the state leaves the state's temporary file at one of
	 * the candidates, possibly before any state file existed (issue 14): no state line
	 * names it, so look at every candidate.
	 */
	r = dry_run ? 0 : remove_state_tmps(pc, cands);
	if (r < 0)
		return r;

	/*
	 * What a recorded path's removal requires, whether the path is still there or an
	 * interrupted revert removed it already: the state stays until the caller rebuilt.
	 */
	STRV_FOREACH (l, lines) {
		const char *v = startswith(*l, "file ");

		if (!v)
			v = startswith(*l, "extra ");
		if (!v)
			v = startswith(*l, "block ");
		if (v)
			rebuild |= rebuild_for(v);
	}

	/* Our files and links first, so the backups can move back into their place. */
	STRV_FOREACH (l, lines) {
		const char *file = startswith(*l, "file "), *link = startswith(*l, "link ");
		_cleanup_free_ char *cur = NULL;
		bool is_link = false;

		if (!file && !link)
			continue;
		/* A crash while apply wrote it may have left its temporary file. */
		if (!dry_run) {
			r = path_remove_stale_tmp(pc, file ? file : link);
			if (r < 0)
				return r;
		}
		r = managed_read_current(pc, file ? file : link, &is_link, &cur);
		if (r == -EBADMSG) {
			/* Not what apply wrote (ours has no NUL byte): someone else's now. */
			r = strv_addf_unique(&kept, "%s (holds a NUL byte, left alone)",
					     file ? file : link);
			if (r < 0)
				return r;
			continue;
		}
		if (r < 0)
			return r;
		if (!cur)
			continue;
		if (link) {
			if (!is_link || !streq(cur, MANAGED_VM_UNIT_TARGET)) {
				r = strv_addf_unique(&kept, "%s (no longer ours, left alone)",
						     link);
				if (r < 0)
					return r;
				continue;
			}
			r = strv_addf_unique(&steps, "remove %s", link);
			if (r >= 0 && !dry_run)
				r = path_unlink_durable(pc, link);
			if (r < 0)
				return r;
			continue;
		}
		switch (is_link ? MANAGED_STATE_FOREIGN : managed_classify(cur)) {
		case MANAGED_STATE_OURS:
			r = strv_addf_unique(&steps, "remove %s", file);
			if (r >= 0 && !dry_run)
				r = path_unlink_durable(pc, file);
			break;
		case MANAGED_STATE_EDITED: {
			_cleanup_free_ char *bak = NULL;

			r = managed_backup_name(pc, file, &bak);
			if (r >= 0)
				r = strv_addf_unique(&kept, "%s (edited by hand, kept as %s)", file,
						     bak);
			if (r >= 0)
				r = strv_addf_unique(&steps, "move %s to %s", file, bak);
			if (r >= 0 && !dry_run)
				r = path_rename_noreplace_durable(pc, file, bak);
			break;
		}
		default: {
			const char *bak = managed_state_backup_of(lines, file);

			/* Still the file that was there, kept by a second name: not a finding. */
			if (bak && managed_same_file(pc, file, bak))
				break;
			r = strv_addf_unique(&kept, "%s (no longer ours, left alone)", file);
			break;
		}
		}
		if (r < 0)
			return r;
	}

	/* What apply created for a trial boot holds no header: it goes whatever it holds. */
	STRV_FOREACH (l, lines) {
		const char *e = startswith(*l, "extra ");
		_cleanup_free_ char *cur = NULL;
		bool is_link = false;

		if (!e)
			continue;
		if (!dry_run) {
			r = path_remove_stale_tmp(pc, e);
			if (r < 0)
				return r;
		}
		r = managed_read_current(pc, e, &is_link, &cur);
		/* It goes whatever it holds, a NUL byte too. */
		if (r < 0 && r != -EBADMSG)
			return r;
		if (r >= 0 && !cur)
			continue;
		r = strv_addf_unique(&steps, "remove %s", e);
		if (r >= 0 && !dry_run)
			r = path_unlink_durable(pc, e);
		if (r < 0)
			return r;
	}

	/* Our block out of a shared file; the user's lines stay as they are. */
	STRV_FOREACH (l, lines) {
		const char *b = startswith(*l, "block ");
		_cleanup_free_ char *newline = NULL;

		if (!b)
			continue;
		if (asprintf(&newline, "block-new %s", b) < 0)
			return -ENOMEM;
		r = revert_block(pc, b, managed_state_has_line(lines, newline), dry_run, &steps,
				 &kept);
		if (r < 0)
			return r;
	}

	STRV_FOREACH (l, lines) {
		const char *v = startswith(*l, "backup ");
		_cleanup_free_ char *path = NULL;
		const char *bak;
		int e;

		if (!v || !(bak = strchr(v, ' ')))
			continue;
		path = strndup(v, (size_t)(bak - v));
		if (!path)
			return -ENOMEM;
		bak++;
		e = lexists(pc, bak);
		if (e < 0)
			return e;
		if (e == 0) {
			/* An interrupted revert that got this far put it back already. */
			e = lexists(pc, path);
			if (e < 0)
				return e;
			if (e > 0)
				continue;
			r = strv_addf_unique(&kept, "%s (its backup %s is gone)", path, bak);
			if (r < 0)
				return r;
			continue;
		}
		r = strv_addf_unique(&steps, "restore %s from %s", path, bak);
		if (r >= 0 && !dry_run) {
			/* rename(2) of one file's two names onto each other does nothing. */
			if (managed_same_file(pc, path, bak))
				r = path_unlink_durable(pc, bak);
			else
				r = path_rename_durable(pc, bak, path);
		}
		if (r < 0)
			return r;
		rebuild |= rebuild_for(path);
	}

	/*
	 * Directories apply created, innermost first; one the user filled since stays. Those
	 * that hold the state go in managed_revert_finish(), after the caller's rebuild.
	 */
	r = state_dirs(lines, &dirs);
	if (r < 0)
		return r;
	STRV_FOREACH (d, dirs) {
		if (si >= 0 && is_ancestor(*d, cands[si]))
			continue;
		if (dry_run) {
			r = strv_addf_unique(&steps, "remove directory %s (if empty)", *d);
			if (r < 0)
				return r;
			continue;
		}
		/* The state's own temporary file, when a crash left it while moving the state. */
		for (size_t i = 0; cands[i]; i++)
			if (is_ancestor(*d, cands[i]) && !strchr(cands[i] + strlen(*d) + 1, '/')) {
				r = path_remove_stale_tmp(pc, cands[i]);
				if (r < 0)
					return r;
			}
		r = path_rmdir_durable(pc, *d);
		/* ENOTDIR: something else (a link) took its place since; it stays. */
		if (r == -ENOENT || r == -ENOTDIR)
			continue;
		if (r == -ENOTEMPTY) {
			r = strv_addf_unique(&kept, "%s/ (not empty)", *d);
			if (r < 0)
				return r;
			continue;
		}
		if (r >= 0)
			r = strv_addf_unique(&steps, "remove directory %s", *d);
		if (r < 0)
			return r;
	}
	if (lines && dry_run) {
		r = strv_addf_unique(&steps, "remove %s", MANAGED_STATE_PATH);
		if (r < 0)
			return r;
		STRV_FOREACH (d, dirs)
			if (si >= 0 && is_ancestor(*d, cands[si])) {
				r = strv_addf_unique(&steps, "remove directory %s (if empty)", *d);
				if (r < 0)
					return r;
			}
	}

	*ret_steps = TAKE_PTR(steps);
	*ret_kept = TAKE_PTR(kept);
	*ret_rebuild = rebuild;
	return si >= 0;
}

int managed_revert_finish(struct path_cxt *pc, char ***steps, char ***kept)
{
	_cleanup_strv_free_ char **lines = NULL, **cands = NULL;
	int r, i = -1;

	r = managed_state_candidates(&cands);
	if (r >= 0)
		r = managed_state_locate(pc, cands, &i);
	if (r >= 0)
		r = managed_state_read(pc, &lines);
	if (r < 0 || i < 0)
		return r;

	/* Up one level before each directory of ours goes: the state always records the rest. */
	for (; cands[i + 1]; i++) {
		_cleanup_free_ char *d = managed_candidate_dir(cands[i]), *line = NULL;

		if (!d)
			return -ENOMEM;
		if (asprintf(&line, "dir %s", d) < 0)
			return -ENOMEM;
		if (!managed_state_has_line(lines, line))
			break;
		r = path_remove_stale_tmp(pc, cands[i]);
		if (r >= 0)
			r = path_rename_durable(pc, cands[i], cands[i + 1]);
		if (r >= 0)
			r = path_rmdir_durable(pc, d);
		if (r == -ENOTEMPTY) {
			r = strv_addf_unique(kept, "%s/ (not empty)", d);
			if (r < 0)
				return r;
			i++;
			break;
		}
		if (r == -ENOENT)
			continue;
		if (r >= 0)
			r = strv_addf_unique(steps, "remove directory %s", d);
		if (r < 0)
			return r;
	}
	r = path_remove_stale_tmp(pc, cands[i]);
	if (r >= 0)
		r = path_unlink_durable(pc, cands[i]);
	if (r == -ENOENT)
		r = 0;
	if (r >= 0)
		r = remove_state_tmps(pc, cands);
	if (r >= 0)
		r = strv_addf_unique(steps, "remove %s", MANAGED_STATE_PATH);
	return r;
}
