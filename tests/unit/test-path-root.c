/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Paths below --root resolve as under chroot (issue 14, item 5), through openat2() and
 * through the component walk that replaces it where the kernel lacks it: both must give
 * the same answers, and no write may land outside the root.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fileio.h"
#include "basic/path.h"
#include "tap.h"

static char top[256], root[512], out[512];

static void mk(const char *fmt, const char *arg)
{
	char p[PATH_MAX * 2];

	snprintf(p, sizeof(p), fmt, arg);
	if (mkdir(p, 0755) < 0)
		perror(p);
}

static void ln(const char *target, const char *name)
{
	char p[PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s%s", root, name);
	if (symlink(target, p) < 0)
		perror(p);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.' || (de->d_name[1] && strcmp(de->d_name, ".."));
	closedir(d);
	return n;
}

static void resolves(struct path_cxt *pc, const char *host, bool follow, const char *want,
		     const char *mode)
{
	char *got = NULL;
	int r = path_resolve_in_root(pc, host, follow, &got);

	if (want)
		is_str(r >= 0 ? got : "(error)", want, "%s: %s%s", mode, host,
		       follow ? "" : " (last not followed)");
	else
		ok(r < 0, "%s: %s fails (%d)", mode, host, r);
	free(got);
}

static void run(const char *mode)
{
	struct path_cxt *pc = NULL;
	char abs_out[PATH_MAX * 2], *s = NULL;
	size_t n = 0;

	is_int(path_cxt_new(root, &pc), 0, "%s: context", mode);
	snprintf(abs_out, sizeof(abs_out), "%s", out);

	resolves(pc, "/etc/real/x", true, "/etc/real/x", mode);
	resolves(pc, "/etc/abs/x", true, strcat(strcpy((char[PATH_MAX * 2]){0}, abs_out), "/x"),
		 mode);
	resolves(pc, "/etc/rel/x", true, "/outside/x", mode);
	resolves(pc, "/etc/rel", false, "/etc/rel", mode);
	resolves(pc, "/etc/rel", true, "/outside", mode);
	resolves(pc, "/etc/dotdot/../../../x", true, "/x", mode);
	resolves(pc, "/etc/chain/y", true, "/etc/real/y", mode);
	resolves(pc, "/etc/dangling/new/file", true, "/nowhere/new/file", mode);
	resolves(pc, "/etc/loop/x", true, NULL, mode);

	/* Writes through the layer: nothing lands outside. */
	is_int(path_write_atomic(pc, "/etc/abs/f", "a\n", 2, 0644), 0, "%s: write through abs",
	       mode);
	is_int(path_write_atomic(pc, "/etc/rel/f", "b\n", 2, 0644), 0, "%s: write through rel",
	       mode);
	is_int(path_mkdir_p(pc, "/etc/dangling/d1/d2", 0755), 0, "%s: mkdir -p through dangling",
	       mode);
	is_int(path_rename_durable(pc, "/etc/rel/f", "/etc/abs/g"), 0, "%s: rename", mode);
	is_int(path_unlink_durable(pc, "/etc/abs/f"), 0, "%s: unlink", mode);
	is_int(path_read_full(pc, &s, &n, "/etc/abs/g"), 0, "%s: read back", mode);
	is_str(s, "b\n", "%s: contents", mode);
	free(s);
	is_int(count_entries(out), 0, "%s: nothing outside the root", mode);
	is_int(path_unlink_durable(pc, "/etc/abs/g"), 0, "%s: clean up", mode);
	path_cxt_free(pc);
}

int main(void)
{
	char t[] = "/tmp/test-path-root.XXXXXX";

	if (!mkdtemp(t))
		return 1;
	snprintf(top, sizeof(top), "%s", t);
	snprintf(root, sizeof(root), "%s/root", top);
	snprintf(out, sizeof(out), "%s/outside", top);
	mk("%s", root);
	mk("%s", out);
	mk("%s/etc", root);
	mk("%s/etc/real", root);
	mk("%s/outside", root);
	{
		char p[1200];

		/* The absolute target exists inside the root too, as chroot would see it. */
		snprintf(p, sizeof(p), "mkdir -p '%s%s'", root, out);
		if (system(p) != 0)
			return 1;
	}
	ln(out, "/etc/abs");
	ln("../../outside", "/etc/rel");
	ln("../..", "/etc/dotdot");
	ln("rel2", "/etc/chain");
	ln("/etc/real", "/etc/rel2");
	ln("/nowhere", "/etc/dangling");
	ln("loop", "/etc/loop");

	{
		/* A backup never replaces a file (issue 14: the second apply's rename did). */
		struct path_cxt *pc = NULL;
		char *s = NULL;

		path_cxt_new(root, &pc);
		path_write_atomic(pc, "/etc/real/user.cfg", "mine\n", 5, 0640);
		path_write_atomic(pc, "/etc/real/user.cfg.bak", "older\n", 6, 0640);
		is_int(path_rename_noreplace_durable(pc, "/etc/real/user.cfg",
						     "/etc/real/user.cfg.bak"),
		       -EEXIST, "rename onto an existing backup: -EEXIST");
		is_int(path_read_full(pc, &s, NULL, "/etc/real/user.cfg.bak"), 0,
		       "backup readable");
		is_str(s, "older\n", "the existing backup is untouched");
		free(s);
		s = NULL;
		is_int(path_read_full(pc, &s, NULL, "/etc/real/user.cfg"), 0, "file still there");
		is_str(s, "mine\n", "and unchanged");
		free(s);
		is_int(path_rename_noreplace_durable(pc, "/etc/real/user.cfg",
						     "/etc/real/user.cfg.bak.1"),
		       0, "rename to a free name works");
		path_cxt_free(pc);
	}
	unsetenv("GPT_BOOTCFG_PATH_NO_OPENAT2");
	run("openat2");
	setenv("GPT_BOOTCFG_PATH_NO_OPENAT2", "1", 1);
	run("walk");
	{
		char p[PATH_MAX + 16];

		snprintf(p, sizeof(p), "rm -rf '%s'", top);
		if (system(p) != 0)
			return 1;
	}
	return done_testing();
}
