/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state file: what apply created, for revert (write/managed-state.h). */
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "basic/fileio.h"
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "write/managed-state.h"

/*
 * Where the state file is. On a first apply its directory (and parents) may be missing, and
 * creating one before the state records it would leave it unknown to revert after a crash.
 * So the state is written first next to the innermost directory that exists, as
 * DIR/.gpt-bootcfg-state, and moved down one level after each directory apply creates;
 * revert moves it up the same way before it removes each one. At every step exactly one
 * state file records all apply made, directories included, and both verbs find it.
 * Candidates, deepest first: the state path, then one per ancestor of its directory.
 */
#define STATE_TRANSIT_NAME ".gpt-bootcfg-state"

int managed_state_candidates(char ***ret)
{
	_cleanup_strv_free_ char **l = NULL;
	_cleanup_free_ char *d = strdup(MANAGED_STATE_PATH);
	int r;

	if (!d)
		return -ENOMEM;
	r = strv_add(&l, MANAGED_STATE_PATH);
	for (char *slash = strrchr(d, '/'); r >= 0 && slash && slash != d;
	     slash = strrchr(d, '/')) {
		_cleanup_free_ char *c = NULL;

		*slash = '\0'; /* d is now the directory, its parent follows */
		slash = strrchr(d, '/');
		if (asprintf(&c, "%.*s/" STATE_TRANSIT_NAME, (int)(slash - d), d) < 0)
			return -ENOMEM;
		r = strv_add(&l, c);
	}
	if (r < 0)
		return r;
	*ret = TAKE_PTR(l);
	return 0;
}

/* The directory a candidate lives in ("" for the root: host paths have no trailing slash). */
char *managed_candidate_dir(const char *candidate)
{
	return strndup(candidate, (size_t)(strrchr(candidate, '/') - candidate));
}

/* The candidate index where the state is, or -1 (*ret_index) when there is none. */
int managed_state_locate(struct path_cxt *pc, char *const *cands, int *ret_index)
{
	for (int i = 0; cands[i]; i++) {
		struct stat st;
		int r = path_lstat(pc, &st, "%s", cands[i]);

		if (r == -ENOENT || r == -ENOTDIR)
			continue;
		if (r < 0)
			return r;
		*ret_index = i;
		return 0;
	}
	*ret_index = -1;
	return 0;
}

/* The state file's lines: "dir P", "file P", "link P", "extra P", "backup P BAK", "pending". */
int managed_state_read(struct path_cxt *pc, char ***ret)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_strv_free_ char **l = NULL, **cands = NULL;
	char *save = NULL;
	int r, i = -1;

	r = managed_state_candidates(&cands);
	if (r >= 0)
		r = managed_state_locate(pc, cands, &i);
	if (r < 0)
		return r;
	if (i < 0) {
		*ret = NULL;
		return 0;
	}
	r = path_read_full(pc, &buf, NULL, "%s", cands[i]);
	if (r < 0)
		return r;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || line[0] == '\0')
			continue;
		r = strv_add(&l, line);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(l);
	return 0;
}

/* Write the state where it is (or next to the innermost existing directory), then move it
 * down into place, creating each directory on the way. */
int managed_state_write(struct path_cxt *pc, char *const *lines)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	_cleanup_strv_free_ char **cands = NULL;
	int r, i = -1;

	strbuf_puts(&sb, "# gpt-bootcfg: what apply created, so that revert can undo exactly "
			 "that. Do not edit.\n");
	STRV_FOREACH (l, lines)
		strbuf_printf(&sb, "%s\n", *l);
	if (!strbuf_str(&sb))
		return -ENOMEM;

	r = managed_state_candidates(&cands);
	if (r >= 0)
		r = managed_state_locate(pc, cands, &i);
	if (r < 0)
		return r;
	if (i < 0)
		for (i = 0; cands[i + 1]; i++) {
			_cleanup_free_ char *d = managed_candidate_dir(cands[i]);

			if (!d)
				return -ENOMEM;
			r = path_exists(pc, "%s", *d ? d : "/");
			if (r < 0)
				return r;
			if (r > 0)
				break;
		}
	r = path_write_atomic(pc, cands[i], sb.buf, sb.len, 0644);
	for (; r >= 0 && i > 0; i--) {
		_cleanup_free_ char *d = managed_candidate_dir(cands[i - 1]);

		if (!d)
			return -ENOMEM;
		r = path_mkdir_p(pc, d, 0755);
		if (r >= 0)
			r = path_rename_durable(pc, cands[i], cands[i - 1]);
	}
	return r;
}

bool managed_state_has_line(char *const *lines, const char *line)
{
	STRV_FOREACH (l, lines)
		if (streq(*l, line))
			return true;
	return false;
}

/* Drop the lines starting with prefix. */
void managed_state_drop(char **lines, const char *prefix)
{
	size_t j = 0;

	for (size_t i = 0; lines && lines[i]; i++) {
		if (startswith(lines[i], prefix))
			free(lines[i]);
		else
			lines[j++] = lines[i];
	}
	if (lines)
		lines[j] = NULL;
}

/* Record every missing parent directory of path (outermost first) as "dir P". */
int managed_state_note_dirs(struct path_cxt *pc, const char *path, char ***lines)
{
	_cleanup_free_ char *p = NULL;
	int r;

	/*
	 * The directories path_mkdir_p() will create: those of the path resolved below the
	 * root, where a directory symlink leads (issue 14), not the link's own name.
	 */
	r = path_resolve_in_root(pc, path, false, &p);
	if (r < 0)
		return r;
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		r = path_exists(pc, "%s", p);
		if (r < 0)
			return r;
		if (r == 0) {
			r = strv_addf_unique(lines, "dir %s", p);
			if (r < 0)
				return r;
		}
		*s = '/';
	}
	return 0;
}

bool managed_state_has_backup(char *const *lines, const char *path)
{
	size_t n = strlen(path);

	STRV_FOREACH (l, lines) {
		const char *v = startswith(*l, "backup ");

		if (v && strncmp(v, path, n) == 0 && v[n] == ' ')
			return true;
	}
	return false;
}

/* Whether a and b are names of one file (a hard link made as a backup). */
bool managed_same_file(struct path_cxt *pc, const char *a, const char *b)
{
	struct stat sa, sb;

	return path_lstat(pc, &sa, "%s", a) >= 0 && path_lstat(pc, &sb, "%s", b) >= 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The backup recorded for path ("backup PATH BAK"), or NULL. */
const char *managed_state_backup_of(char *const *lines, const char *path)
{
	size_t n = strlen(path);

	STRV_FOREACH (l, lines) {
		const char *v = startswith(*l, "backup ");

		if (v && strncmp(v, path, n) == 0 && v[n] == ' ')
			return v + n + 1;
	}
	return NULL;
}
