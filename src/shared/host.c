/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host model's core: loading in order, freeing, errors, and the helpers the per-concern
 * files share (host-internal.h). What is read lives beside its parser: host-pci.c,
 * host-block.c (disks, mounts, swaps), host-cpu.c (CPU, kernel, memory), host-iommu.c,
 * host-names.c.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>

#include "host-internal.h"
#include "strv-util.h"

static __thread char last_error[1024];

const char *host_last_error(void)
{
	return last_error[0] ? last_error : "unknown error";
}

/*
 * Remember "ROOT/host/path: problem" and return r. The prefixed path is named because it
 * is the file the user can look at (with --root, the fixture's copy).
 */
int host_fail(struct path_cxt *pc, int r, const char *host_path, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(last_error, sizeof(last_error), "%s%s: %s", path_cxt_root(pc), host_path, what);
	return r;
}

int host_fail_errno(struct path_cxt *pc, int r, const char *host_path)
{
	if (r == -EBADMSG)
		return host_fail(pc, r, host_path, "unexpected contents");
	return host_fail(pc, r, host_path, "%s", strerror(-r));
}

int host_defer_error(int r, int *slot, char **slot_msg)
{
	if (r >= 0 || r == -ENOMEM)
		return r;
	*slot = r;
	*slot_msg = strdup(host_last_error());
	last_error[0] = '\0';
	return *slot_msg ? 0 : -ENOMEM;
}

void host_deferred_error(int r, const char *msg)
{
	snprintf(last_error, sizeof(last_error), "%s", msg ? msg : strerror(-r));
}

char **host_strv_new_empty(void)
{
	return calloc(1, sizeof(char *));
}

/* Host path of the directory a sysfs link (DIR/NAME) points to. */
int host_sysfs_link_path(struct path_cxt *pc, const char *dir, const char *name, char **ret)
{
	_cleanup_free_ char *target = NULL;
	int r;

	r = path_readlink(pc, &target, "%s/%s", dir, name);
	if (r == -EINVAL)
		/* A plain directory (hand-made trees): its own path is the canonical one. */
		return asprintf(ret, "%s/%s", dir, name) < 0 ? -ENOMEM : 0;
	if (r < 0)
		return r;
	return path_resolve_link(dir, target, ret);
}

/* "0x10de" or "10de"; no sign, no blanks, nothing after the digits. */
int host_parse_hex(const char *s, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!isxdigit((unsigned char)*s))
		return -EBADMSG;
	errno = 0;
	v = strtoull(s, &end, 16);
	if (errno || *end)
		return -EBADMSG;
	*ret = v;
	return 0;
}

int host_parse_int(const char *s, long min, long max, long *ret)
{
	char *end;
	long v;

	if (!*s || isspace((unsigned char)*s))
		return -EBADMSG;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EBADMSG;
	*ret = v;
	return 0;
}

int host_load(struct path_cxt *pc, struct host **ret)
{
	struct host *h;
	int r;

	last_error[0] = '\0';
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->pc = pc;

	r = host_load_pci(h);
	if (r >= 0)
		r = host_load_mounts(h);
	if (r >= 0)
		r = host_load_blocks(h);
	if (r >= 0)
		r = host_load_cpu(h);
	if (r >= 0)
		r = host_load_kernel(h);
	if (r >= 0)
		r = host_load_nodes(h);
	if (r >= 0)
		r = host_load_iommu(h);
	if (r >= 0)
		r = host_load_hugepages(h);
	if (r < 0) {
		if (!last_error[0])
			snprintf(last_error, sizeof(last_error), "%s", strerror(-r));
		host_free(h);
		return r;
	}
	*ret = h;
	return 0;
}

void host_free(struct host *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n_pci; i++)
		host_pci_device_done(&h->pci[i]);
	free(h->pci);
	for (size_t i = 0; i < h->n_groups; i++)
		free(h->groups[i].devices);
	free(h->groups);
	for (size_t i = 0; i < h->n_blocks; i++)
		host_block_device_done(&h->blocks[i]);
	free(h->blocks);
	for (size_t i = 0; i < h->n_mounts; i++) {
		free(h->mounts[i].target);
		free(h->mounts[i].source);
		free(h->mounts[i].fstype);
		free(h->mounts[i].options);
	}
	free(h->mounts);
	strv_free(h->swaps);
	free(h->cpu_vendor);
	strv_free(h->cpu_flags);
	free(h->cmdline);
	free(h->kernel_release);
	free(h->default_route_dev);
	free(h->cpus_online);
	free(h->nodes_online);
	host_iommu_done(&h->iommu);
	free(h->iommu_error_msg);
	host_hugepages_done(&h->hugepages);
	free(h->hugepages_error_msg);
	free(h);
}
