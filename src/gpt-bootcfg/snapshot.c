/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * "snapshot FILE.tar": run the same loading code as list and check with a recorder on the
 * path layer, copy every recorded path into a staging tree in the fixture format
 * (docs/fixtures.md), and tar it. Replaying the tar with --root gives the same answers.
 */
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "basic/fd-util.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/spawn-util.h"
#include "basic/strbuf.h"
#include "core/verbs.h"
#include "shared/host.h"
#include "shared/platform.h"

/* Symlink hops allowed while following one recorded path. */
#define MAX_HOPS 40

struct recording {
	char **paths;
	size_t n, alloc;
	int err;
};

static void record_path(void *userdata, const char *host_path)
{
	struct recording *rec = userdata;
	char *s;

	if (rec->err)
		return;
	if (rec->n + 1 > rec->alloc) {
		size_t a = rec->alloc ? rec->alloc * 2 : 256;
		char **n = realloc(rec->paths, a * sizeof(char *));

		if (!n) {
			rec->err = -ENOMEM;
			return;
		}
		rec->paths = n;
		rec->alloc = a;
	}
	s = strdup(host_path);
	if (!s) {
		rec->err = -ENOMEM;
		return;
	}
	rec->paths[rec->n++] = s;
}

static void recording_done(struct recording *rec)
{
	for (size_t i = 0; i < rec->n; i++)
		free(rec->paths[i]);
	free(rec->paths);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct stager {
	struct path_cxt *src; /* the host (or --root tree) */
	struct path_cxt *dst; /* the staging directory */
};

static int dst_mkdir(struct stager *s, const char *host_path)
{
	return path_mkdir_p(s->dst, host_path, 0755);
}

static int dst_symlink(struct stager *s, const char *host_path, const char *target)
{
	_cleanup_free_ char *p = NULL;
	struct stat st;
	int r;

	r = path_prefix(s->dst, &p, "%s", host_path);
	if (r < 0)
		return r;
	if (lstat(p, &st) == 0)
		return 0;
	if (symlink(target, p) < 0)
		return negative_errno();
	return 0;
}

/* Create an empty file unless something is there already (a value copy wins). */
static int dst_touch(struct stager *s, const char *host_path)
{
	_cleanup_close_ int fd = -1;

	fd = path_open(s->dst, O_WRONLY | O_CREAT | O_EXCL, 0644, "%s", host_path);
	if (fd < 0 && fd != -EEXIST)
		return fd;
	return 0;
}

static int dst_write(struct stager *s, const char *host_path, const char *data, size_t len)
{
	_cleanup_close_ int fd = -1;

	fd = path_open(s->dst, O_WRONLY | O_CREAT | O_TRUNC, 0644, "%s", host_path);
	if (fd < 0)
		return fd;
	return fd_write_full(fd, data, len);
}

static bool never_follow(const char *host_path)
{
	/*
	 * /proc/self and /proc/net are symlinks into one process's directory; a fixture
	 * has them as plain directories so the tree does not depend on a pid.
	 */
	return startswith(host_path, "/proc/") != NULL;
}

/* Directory entries only by name and type: the tool listed them, it did not read them. */
static int stage_children(struct stager *s, const char *dir)
{
	_cleanup_strv_free_ char **names = NULL;
	int r;

	r = path_list_dir(s->src, &names, "%s", dir);
	if (r < 0)
		return r == -EACCES || r == -EPERM ? 0 : r;
	STRV_FOREACH (n, names) {
		_cleanup_free_ char *child = NULL, *target = NULL;
		struct stat st;

		if (asprintf(&child, "%s/%s", streq(dir, "/") ? "" : dir, *n) < 0)
			return -ENOMEM;
		if (path_lstat(s->src, &st, "%s", child) < 0)
			continue;
		if (S_ISLNK(st.st_mode) && !never_follow(child)) {
			r = path_readlink(s->src, &target, "%s", child);
			if (r < 0)
				return r;
			r = dst_symlink(s, child, target);
		} else if (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode))
			r = dst_mkdir(s, child);
		else
			r = dst_touch(s, child);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * The last component of a recorded path, already known to exist in the source. A
 * directory the tool looked at gets its entries by name; one reached only as the target
 * of a link the tool read (driver, iommu_group) is created empty.
 */
static int stage_final(struct stager *s, const char *p, const struct stat *st, bool via_link)
{
	_cleanup_free_ char *data = NULL;
	size_t size = 0;
	int r;

	if (S_ISDIR(st->st_mode)) {
		r = dst_mkdir(s, p);
		return r < 0 || via_link ? r : stage_children(s, p);
	}
	if (!S_ISREG(st->st_mode) || startswith(p, "/sys/firmware/acpi/tables/"))
		/* Device nodes and firmware tables: presence is all the tool looks at. */
		return dst_touch(s, p);
	r = path_read_full(s->src, &data, &size, "%s", p);
	if (r == -EACCES || r == -EPERM || r == -EIO || r == -EINVAL || r == -ENODEV)
		/* Write-only control files (bind, remove, reset...). */
		return dst_touch(s, p);
	if (r < 0)
		return r;
	return dst_write(s, p, data, size);
}

/*
 * Copy one recorded host path: every directory on the way, every symlink on the way as a
 * symlink (and what it points to), and the final component by value.
 */
static int stage_path(struct stager *s, const char *host_path, unsigned hops, bool via_link)
{
	_cleanup_free_ char *cur = strdup(""), *rest = strdup(host_path);
	char *save = NULL, *tok;
	int r;

	if (!cur || !rest)
		return -ENOMEM;
	if (hops > MAX_HOPS)
		return -ELOOP;
	for (tok = strtok_r(rest, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		_cleanup_free_ char *next = NULL;
		bool last = save == NULL || *save == '\0';
		struct stat st;

		if (asprintf(&next, "%s/%s", cur, tok) < 0)
			return -ENOMEM;
		r = path_lstat(s->src, &st, "%s", next);
		if (r == -ENOENT || r == -ENOTDIR)
			return 0;
		if (r < 0)
			return r;
		if (S_ISLNK(st.st_mode) && !never_follow(next)) {
			_cleanup_free_ char *target = NULL, *dir = NULL, *resolved = NULL,
					    *remaining = NULL;
			char *slash;

			r = path_readlink(s->src, &target, "%s", next);
			if (r < 0)
				return r;
			r = dst_symlink(s, next, target);
			if (r < 0)
				return r;
			dir = strdup(next);
			if (!dir)
				return -ENOMEM;
			slash = strrchr(dir, '/');
			*slash = '\0';
			r = path_resolve_link(*dir ? dir : "/", target, &resolved);
			if (r < 0)
				return r;
			/* Continue with the target plus whatever followed the link. */
			if (asprintf(&remaining, "%s%s%s", resolved, last ? "" : "/",
				     last ? "" : save) < 0)
				return -ENOMEM;
			return stage_path(s, remaining, hops + 1, via_link || last);
		}
		if (last) {
			if (S_ISLNK(st.st_mode)) {
				/* Under /proc: take what the link points to, as a real entry. */
				r = path_stat(s->src, &st, "%s", next);
				if (r < 0)
					return r == -ENOENT ? 0 : r;
			}
			return stage_final(s, next, &st, via_link);
		}
		r = dst_mkdir(s, next);
		if (r < 0)
			return r;
		free(cur);
		cur = TAKE_PTR(next);
	}
	return 0;
}

/*
 * Content that libblkid read from device nodes has no file in the tree; write it as the
 * udev database entries the loader falls back to, so the replay sees the same fstype.
 */
static int stage_probed_content(struct stager *s, const struct host *h)
{
	for (size_t i = 0; i < h->n_blocks; i++) {
		const struct block_device *b = &h->blocks[i];

		if (!b->content_probed)
			continue;
		for (size_t j = 0; j <= b->n_parts; j++) {
			_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
			const char *fstype = j ? b->parts[j - 1].fstype : b->disk_fstype;
			const char *label = j ? b->parts[j - 1].label : b->disk_label;
			unsigned ma = j ? b->parts[j - 1].major : b->major;
			unsigned mi = j ? b->parts[j - 1].minor : b->minor;
			char p[64];
			int r;

			if (!fstype)
				continue;
			strbuf_printf(&sb, "E:ID_FS_TYPE=%s\n", fstype);
			if (label)
				strbuf_printf(&sb, "E:ID_FS_LABEL=%s\n", label);
			if (!strbuf_str(&sb))
				return -ENOMEM;
			snprintf(p, sizeof(p), "/run/udev/data/b%u:%u", ma, mi);
			r = dst_mkdir(s, "/run/udev/data");
			if (r >= 0)
				r = dst_write(s, p, sb.buf, sb.len);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int rm_entry(const char *p, const struct stat *st _unused_, int flag _unused_,
		    struct FTW *ftw _unused_)
{
	(void)remove(p);
	return 0;
}

static int run_tar(const char *staging, const char *out)
{
	char *argv[] = {
	    "tar",	  "--sort=name", "--owner=0",	  "--group=0", "--numeric-owner",
	    "--mtime=@0", "-C",		 (char *)staging, "-cf",       (char *)out,
	    ".",	  NULL,
	};
	int r;

	r = spawn_run(argv, 0, 0, NULL);
	if (r < 0)
		return r;
	return r == 0 ? 0 : -EIO;
}

int verb_snapshot(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	_cleanup_host_ struct host *h = NULL;
	_cleanup_path_cxt_ struct path_cxt *dst = NULL;
	_cleanup_free_ char *tmp_out = NULL, *ids = NULL;
	struct recording rec = {};
	struct check_report rep = {};
	char staging[] = "/tmp/gpt-bootcfg-snapshot.XXXXXX";
	const char *out;
	struct stager s;
	int c, r, ret = EXIT_ERROR;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			printf("Usage: gpt-bootcfg [--root DIR] snapshot FILE.tar\n\n"
			       "Save everything gpt-bootcfg reads from this host into a tar file;\n"
			       "extract it and pass the directory to --root to replay it.\n");
			return EXIT_OK;
		default:
			return EXIT_ERROR;
		}
	}
	if (optind + 1 != argc) {
		log_error("'snapshot' needs exactly one argument, the output file.");
		return EXIT_ERROR;
	}
	out = argv[optind];

	path_cxt_set_recorder(cli->pc, record_path, &rec);
	r = host_load(cli->pc, &h);
	if (r < 0) {
		log_error("Failed to read the host: %s", host_last_error());
		goto finish;
	}
	r = host_load_names(h);
	if (r < 0) {
		log_error_errno(r, "Failed to look up device names: %m");
		goto finish;
	}
	r = platform_check(h, &rep);
	check_report_done(&rep);
	if (r < 0) {
		log_error("Failed to check the platform: %s", platform_last_error());
		goto finish;
	}
	/* What list reads on top of the host model: network interface names. */
	for (size_t i = 0; i < h->n_pci; i++) {
		_cleanup_strv_free_ char **ifs = NULL;

		if (pci_class_is_network(h->pci[i].class))
			(void)host_pci_net_interfaces(h, &h->pci[i], &ifs);
	}
	/* What libpci and libkmod read by themselves, outside the path layer. */
	(void)host_pci_ids_path(cli->pc, &ids);
	if (h->kernel_release)
		for (const char *const *f = platform_kmod_index_files; *f; f++)
			(void)path_exists(cli->pc, "/lib/modules/%s/%s", h->kernel_release, *f);
	path_cxt_set_recorder(cli->pc, NULL, NULL);
	if (rec.err) {
		log_oom();
		goto finish;
	}

	if (!mkdtemp(staging)) {
		log_error_errno(-errno, "Failed to create a staging directory: %m");
		goto finish;
	}
	/* The tar's top entry carries these bits into the directory it is extracted to. */
	(void)chmod(staging, 0755);
	r = path_cxt_new(staging, &dst);
	if (r < 0) {
		log_oom();
		goto cleanup;
	}
	s.src = cli->pc;
	s.dst = dst;
	qsort(rec.paths, rec.n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < rec.n; i++) {
		if (i > 0 && streq(rec.paths[i], rec.paths[i - 1]))
			continue;
		r = stage_path(&s, rec.paths[i], 0, false);
		if (r < 0) {
			log_error_errno(r, "Failed to copy '%s%s': %m", path_cxt_root(cli->pc),
					rec.paths[i]);
			goto cleanup;
		}
	}
	r = stage_probed_content(&s, h);
	if (r < 0) {
		log_error_errno(r, "Failed to write the block device content: %m");
		goto cleanup;
	}

	if (asprintf(&tmp_out, "%s.tmp%d", out, (int)getpid()) < 0) {
		log_oom();
		goto cleanup;
	}
	r = run_tar(staging, tmp_out);
	if (r < 0) {
		log_error_errno(r, "Failed to write '%s' with tar: %m", out);
		(void)unlink(tmp_out);
		goto cleanup;
	}
	if (rename(tmp_out, out) < 0) {
		log_error_errno(-errno, "Failed to rename '%s' to '%s': %m", tmp_out, out);
		(void)unlink(tmp_out);
		goto cleanup;
	}
	log_info("Wrote %s: %zu paths read from %s.", out, rec.n,
		 path_cxt_is_host(cli->pc) ? "this host" : path_cxt_root(cli->pc));
	ret = EXIT_OK;
cleanup:
	(void)nftw(staging, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
finish:
	path_cxt_set_recorder(cli->pc, NULL, NULL);
	recording_done(&rec);
	return ret;
}
