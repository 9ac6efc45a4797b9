/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The path layer's context, shared by path.c and path-root.c only. */

#include "basic/path.h"

/* As the kernel's MAXSYMLINKS: more links than this in one resolution is a loop. */
#define MAX_LINKS 40

/*
 * What resolving below the root needs, opened on first use: contexts are passed const,
 * and a root may not exist yet when its context is made (snapshot's destination).
 */
struct root_cache {
	int fd;		/* O_PATH of the root, -1 until opened */
	char *realroot; /* its canonical path, for checking what openat2() resolved */
	bool failed;	/* no fast path for this root: always walk */
};

struct path_cxt {
	char *root; /* "" for the host */
	path_recorder_t recorder;
	void *recorder_data;
	struct root_cache *cache;
};

/*
 * The directory host below pc's root as an O_PATH descriptor, resolved by the kernel
 * inside the root (openat2 RESOLVE_IN_ROOT) in one call; -EAGAIN when that is not
 * available (the host itself, an old kernel, a race): the caller resolves the path.
 */
int path_open_dir_in_root(const struct path_cxt *pc, const char *host);

/*
 * openat2() of a plain name below dirfd that is not a symlink: one call instead of a
 * stat and an open. -EAGAIN when name is a symlink or openat2 is missing: the caller
 * takes the in-root walk.
 */
int path_openat_beneath(int dirfd, const char *name, int flags);
