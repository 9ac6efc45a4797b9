/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <libkmod.h>
#include <stdio.h>

#include "basic/strv-util.h"
#include "planner/kmodres.h"

struct kmodres {
	char **kernels;
	struct kmod_ctx **ctx; /* one per kernel */
	size_t n;
};

void kmodres_free(struct kmodres *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++)
		kmod_unref(k->ctx[i]);
	free(k->ctx);
	strv_free(k->kernels);
	free(k);
}

char *const *kmodres_kernels(const struct kmodres *k)
{
	return k->kernels;
}

/* libkmod logs to stderr by default; library code must not print. */
static void log_silent(void *data, int priority, const char *file, int line, const char *fn,
		       const char *format, va_list args)
{
	(void)data;
	(void)priority;
	(void)file;
	(void)line;
	(void)fn;
	(void)format;
	(void)args;
}

int kmodres_new(struct path_cxt *pc, struct kmodres **ret)
{
	_cleanup_strv_free_ char **versions = NULL;
	_cleanup_free_ char *cfg_etc = NULL, *cfg_lib = NULL;
	struct kmodres *k;
	int r;

	r = path_list_dir(pc, &versions, "/lib/modules");
	if (r < 0)
		return r;
	/* The root's modprobe.d, never the running host's (kmod's default). */
	r = path_prefix_follow(pc, &cfg_etc, "/etc/modprobe.d");
	if (r < 0)
		return r;
	r = path_prefix_follow(pc, &cfg_lib, "/lib/modprobe.d");
	if (r < 0)
		return r;
	const char *const cfg[] = {cfg_etc, cfg_lib, NULL};

	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->kernels = calloc(strv_length(versions) + 1, sizeof(char *));
	k->ctx = calloc(strv_length(versions) + 1, sizeof(struct kmod_ctx *));
	if (!k->kernels || !k->ctx) {
		kmodres_free(k);
		return -ENOMEM;
	}
	STRV_FOREACH (v, versions) {
		_cleanup_free_ char *dir = NULL;
		struct kmod_ctx *ctx;

		if (path_exists(pc, "/lib/modules/%s/modules.alias.bin", *v) <= 0)
			continue;
		r = path_prefix_follow(pc, &dir, "/lib/modules/%s", *v);
		if (r < 0) {
			kmodres_free(k);
			return r;
		}
		ctx = kmod_new(dir, cfg);
		if (!ctx) {
			kmodres_free(k);
			return -ENOMEM;
		}
		kmod_set_log_fn(ctx, log_silent, NULL);
		k->ctx[k->n] = ctx;
		k->kernels[k->n] = strdup(*v);
		k->n++;
		if (!k->kernels[k->n - 1]) {
			kmodres_free(k);
			return -ENOMEM;
		}
	}
	if (k->n == 0) {
		kmodres_free(k);
		return -ENOENT;
	}
	*ret = k;
	return 0;
}

int kmodres_lookup(struct kmodres *k, const char *modalias, char ***ret)
{
	_cleanup_strv_free_ char **names = NULL;
	int r;

	names = calloc(1, sizeof(char *));
	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < k->n; i++) {
		struct kmod_list *list = NULL, *it;

		r = kmod_module_new_from_lookup(k->ctx[i], modalias, &list);
		if (r < 0)
			return r;
		kmod_list_foreach(it, list)
		{
			struct kmod_module *m = kmod_module_get_module(it);
			const char *name = kmod_module_get_name(m);

			/* Built into the kernel: no softdep or blacklist can hold it back. */
			if (name && !streq(name, "vfio_pci") && kmod_module_get_path(m))
				r = strv_add_unique(&names, name);
			kmod_module_unref(m);
			if (r < 0)
				break;
		}
		kmod_module_unref_list(list);
		if (r < 0)
			return r;
	}
	strv_sort(names);
	*ret = TAKE_PTR(names);
	return 0;
}

int kmodres_kernels_with(struct kmodres *k, const char *name, char ***ret)
{
	_cleanup_strv_free_ char **found = NULL;
	int r = 0;

	found = calloc(1, sizeof(char *));
	if (!found)
		return -ENOMEM;
	for (size_t i = 0; i < k->n && r >= 0; i++) {
		struct kmod_module *m = NULL;

		/* libkmod normalizes '-' to '_' in a name and reads modules.dep.bin for it. */
		if (kmod_module_new_from_name(k->ctx[i], name, &m) < 0)
			continue;
		if (kmod_module_get_path(m))
			r = strv_add(&found, k->kernels[i]);
		kmod_module_unref(m);
	}
	if (r < 0)
		return r;
	*ret = TAKE_PTR(found);
	return 0;
}
