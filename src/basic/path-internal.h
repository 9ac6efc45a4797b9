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
