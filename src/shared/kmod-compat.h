/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What libkmod 30 added, for the older ones gpt-bootcfg supports (Debian 11's kmod 28, Ubuntu
 * 22.04's kmod 29). The Makefile defines HAVE_KMOD_NAME_LOOKUP when pkg-config reports libkmod
 * 30 or newer, which is then used as it is.
 */
#include <libkmod.h>

#ifndef HAVE_KMOD_NAME_LOOKUP
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether the path of a modules.builtin line ("kernel/drivers/vfio/pci/vfio-pci.ko") names it. */
static inline int kmod_compat_names(const char *line, const char *modname)
{
	const char *b = strrchr(line, '/');
	size_t i;

	b = b ? b + 1 : line;
	for (i = 0; modname[i] && b[i] && strncmp(b + i, ".ko", 3) != 0; i++)
		if ((b[i] == '-' ? '_' : b[i]) != (modname[i] == '-' ? '_' : modname[i]))
			return 0;
	return !modname[i] && strncmp(b + i, ".ko", 3) == 0;
}

/*
 * kmod_module_new_from_name_lookup() (libkmod 30): the module of that name from modules.dep,
 * else from modules.builtin (its path is then NULL); *mod stays NULL when neither lists it.
 * kmod_module_new_from_lookup() of the older libkmod is no substitute: where the kernel has a
 * modules.builtin.modinfo (5.2 and later) it looks for built-in modules only among their
 * aliases, and a built-in vfio-pci (Ubuntu's kernels) would not be found by its name.
 */
static inline int kmod_module_new_from_name_lookup(struct kmod_ctx *ctx, const char *modname,
						   struct kmod_module **mod)
{
	struct kmod_module *m = NULL;
	char path[4096], line[512];
	int r, found = 0;
	FILE *f;

	r = kmod_module_new_from_name(ctx, modname, &m);
	if (r < 0)
		return r;
	if (kmod_module_get_path(m)) {
		*mod = m;
		return 0;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/modules.builtin", kmod_get_dirname(ctx)) >=
	    sizeof(path)) {
		kmod_module_unref(m);
		return -ENAMETOOLONG;
	}
	f = fopen(path, "re");
	if (!f) {
		r = errno;
		kmod_module_unref(m);
		return r == ENOENT ? 0 : -r;
	}
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		found = kmod_compat_names(line, modname);
	}
	fclose(f);
	if (found)
		*mod = m;
	else
		kmod_module_unref(m);
	return 0;
}
#endif
