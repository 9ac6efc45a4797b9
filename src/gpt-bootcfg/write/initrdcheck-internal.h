/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Private to initrdcheck.c (which images, read) and initrd-rules.c (what each must hold). */

#include <stdbool.h>
#include <stddef.h>

#include "shared/initramfs.h"
#include "write/initrdcheck.h"

/* The canonical names whose contents the rules read (initramfs_parse()'s want). */
extern char *const initrd_wanted[];

/*
 * The rules for one parsed image whose im->generator is set: problems go to im->problems,
 * what is in place to im->summary. etc is /etc's claim list (have_etc false: none).
 * -ENOMEM only.
 */
int initrd_rules_check(struct path_cxt *pc, struct initrd_image *im, const struct initramfs *img,
		       const char *etc, size_t etc_size, bool have_etc);
