/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static char *root;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void root_cleanup(void)
{
	if (root)
		(void)nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(root);
	root = NULL;
}

const char *fuzz_root(void)
{
	char tmpl[] = "/dev/shm/gpt-bootcfg-fuzz.XXXXXX";

	if (root)
		return root;
	/* tmpfs keeps the per-execution writes off the disk; /tmp is the fallback. */
	if (!mkdtemp(tmpl)) {
		strcpy(tmpl, "/tmp/gpt-bootcfg-fuzz.XXXXXX");
		if (!mkdtemp(tmpl)) {
			perror("mkdtemp");
			abort();
		}
	}
	root = strdup(tmpl);
	if (!root)
		abort();
	atexit(root_cleanup);
	return root;
}

void fuzz_write_file(const char *path, const void *data, size_t size)
{
	_cleanup_free_ char *p = NULL;
	_cleanup_close_ int fd = -1;

	if (asprintf(&p, "%s%s", fuzz_root(), path) < 0)
		abort();
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		perror(p);
		abort();
	}
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		perror(p);
		abort();
	}
}

void fuzz_mkdir(const char *path)
{
	_cleanup_free_ char *p = NULL;

	if (asprintf(&p, "%s%s", fuzz_root(), path) < 0)
		abort();
	for (char *s = p + strlen(fuzz_root()) + 1;; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			perror(p);
			abort();
		}
		*s = c;
		if (!c)
			break;
	}
}
