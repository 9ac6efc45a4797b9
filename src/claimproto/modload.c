/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/strv-util.h"
#include "claimproto/modload.h"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

void modload_name(const char *path, char *buf, size_t size)
{
	const char *b = strrchr(path, '/');
	size_t i;

	b = b ? b + 1 : path;
	for (i = 0; i + 1 < size && b[i] && !startswith(b + i, ".ko"); i++)
		buf[i] = b[i] == '-' ? '_' : b[i];
	buf[i] = '\0';
}

int modload_resolve(struct path_cxt *pc, const char *kver, const char *name, char ***ret)
{
	_cleanup_free_ char *dep = NULL;
	char want[64], have[64];
	char **order = NULL;
	const char *line;
	int r;

	modload_name(name, want, sizeof(want));
	r = path_read_full(pc, &dep, NULL, "/lib/modules/%s/modules.dep", kver);
	if (r < 0)
		return r;

	for (line = dep; *line;) {
		const char *eol = strchrnul(line, '\n'),
			   *colon = memchr(line, ':', (size_t)(eol - line));

		if (colon) {
			char key[512];
			size_t kl = (size_t)(colon - line);

			if (kl < sizeof(key)) {
				memcpy(key, line, kl);
				key[kl] = '\0';
				modload_name(key, have, sizeof(have));
				if (streq(have, want)) {
					const char *p = eol;

					/*
					 * modules.dep lists what a module needs nearest first, so
					 * loading goes from the end of the line backwards.
					 */
					while (p > colon + 1) {
						const char *end = p, *start;

						while (end > colon + 1 && end[-1] == ' ')
							end--;
						start = end;
						while (start > colon + 1 && start[-1] != ' ')
							start--;
						if (start < end) {
							r = strv_addn(&order, start,
								      (size_t)(end - start));
							if (r < 0)
								goto fail;
						}
						p = start;
					}
					r = strv_addn(&order, line, kl);
					if (r < 0)
						goto fail;
					*ret = order;
					return 0;
				}
			}
		}
		line = *eol ? eol + 1 : eol;
	}
	return -ENOENT;
fail:
	strv_free(order);
	return r;
}

static int load_one(struct path_cxt *pc, const char *kver, const char *rel)
{
	_cleanup_close_ int fd = -1;
	size_t l = strlen(rel);
	int flags = 0;

	fd = path_open_regular(pc, 0, "/lib/modules/%s/%s", kver, rel);
	if (fd < 0)
		return fd;
	/* Compressed modules are decompressed by the kernel (CONFIG_MODULE_DECOMPRESS). */
	if (l < 3 || strcmp(rel + l - 3, ".ko") != 0)
		flags |= MODULE_INIT_COMPRESSED_FILE;
	if (syscall(SYS_finit_module, fd, "", flags) < 0 && errno != EEXIST)
		return negative_errno();
	return 0;
}

/* Whether names already holds name as one of its comma-separated items. */
static bool listed(struct strbuf *names, const char *name)
{
	const char *s = names ? strbuf_str(names) : NULL;
	size_t l = strlen(name);

	for (const char *p = s; p && (p = strstr(p, name)); p += l)
		if ((p == s || p[-1] == ' ') && (p[l] == ',' || p[l] == '\0'))
			return true;
	return false;
}

int modload_load(struct path_cxt *pc, const char *kver, char *const *order, bool do_load,
		 struct strbuf *names, char **ret_failed)
{
	int loaded = 0;

	STRV_FOREACH (m, order) {
		char name[64];
		int r;

		modload_name(*m, name, sizeof(name));
		r = path_exists(pc, "/sys/module/%s", name);
		if (r > 0 || listed(names, name))
			continue;
		/* Only the real host may load modules: --root never touches the kernel. */
		if (do_load && path_cxt_is_host(pc)) {
			r = load_one(pc, kver, *m);
			if (r < 0) {
				if (ret_failed)
					*ret_failed = strdup(name);
				return r;
			}
		}
		if (names)
			strbuf_printf(names, "%s%s", names->len ? ", " : "", name);
		loaded++;
	}
	return loaded;
}
