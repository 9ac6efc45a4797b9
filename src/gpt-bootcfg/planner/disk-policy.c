/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "basic/strbuf.h"
#include "planner/disk-policy.h"

void plan_describe_uses(const struct block_device *b, struct strbuf *sb)
{
	strbuf_printf(sb, "%s:", b->name);
	for (size_t i = 0; i < b->n_uses; i++) {
		const struct block_use *u = &b->uses[i];

		strbuf_puts(sb, i ? ", " : " ");
		switch (u->kind) {
		case BLOCK_USE_MOUNT:
			strbuf_printf(sb, "mounted on %s", u->what);
			break;
		case BLOCK_USE_SWAP:
			strbuf_puts(sb, "swap");
			break;
		case BLOCK_USE_HOLDER:
			strbuf_printf(sb, "held by %s (LVM/dm/md)", u->what);
			break;
		}
		if (u->partition)
			strbuf_printf(sb, " (%s)", u->partition);
	}
}

static bool block_has_dev(const struct block_device *b, unsigned maj, unsigned min)
{
	if (b->major == maj && b->minor == min)
		return true;
	for (size_t i = 0; i < b->n_parts; i++)
		if (b->parts[i].major == maj && b->parts[i].minor == min)
			return true;
	return false;
}

int vm_disk_host_use(const struct host *h, const char *path, char **ret_detail)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	_cleanup_free_ char *canon = NULL;
	unsigned maj, min;
	struct stat st;
	int r;

	/* Follows links: /dev/disk/by-id/... names the same node. */
	r = path_stat(h->pc, &st, "%s", path);
	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	if (r < 0)
		return r;
	if (!S_ISBLK(st.st_mode))
		return 0;
	maj = major(st.st_rdev);
	min = minor(st.st_rdev);

	for (size_t i = 0; i < h->n_blocks; i++) {
		const struct block_device *b = &h->blocks[i];

		if (!block_has_dev(b, maj, min) || !block_device_in_use(b))
			continue;
		plan_describe_uses(b, &sb);
		return strbuf_steal(&sb, ret_detail) < 0 ? -ENOMEM : 1;
	}
	/* A device that is no disk in the model (dm, md, loop): its own mounts and swap. */
	for (size_t i = 0; i < h->n_mounts; i++)
		if (h->mounts[i].major == maj && h->mounts[i].minor == min)
			return asprintf(ret_detail, "%u:%u: mounted on %s", maj, min,
					h->mounts[i].target) < 0
				   ? -ENOMEM
				   : 1;
	if (path_canonicalize(h->pc, &canon, "%s", path) >= 0)
		STRV_FOREACH (s, h->swaps)
			if (streq(*s, canon))
				return asprintf(ret_detail, "%s: swap", canon) < 0 ? -ENOMEM : 1;
	return 0;
}
