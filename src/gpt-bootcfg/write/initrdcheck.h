/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The initramfs images the next boot loads, checked against what the claim needs: GRUB's
 * entries boot /boot/vmlinuz-VERSION with /boot/initrd.img-VERSION (grub.d/10_linux), so
 * each such image must hold the claim binary, the init-top script ordered before udev's,
 * the claim list of /etc byte for byte, and the modules of the vfio-pci chain of that
 * kernel as the claim binary resolves it (its modules.dep), unless the kernel has vfio-pci
 * built in (modules.builtin). Without a claim list in /etc (nothing configured, or
 * reverted), an image must not hold one either: it would still claim devices.
 *
 * Used by apply (after update-initramfs ran) and status. docs/boot-claim.md, "The image
 * that boots".
 */

#include <stdbool.h>

#include "basic/json.h"
#include "basic/path.h"
#include "basic/strbuf.h"

#define INITRD_CLAIM_BIN  "/usr/lib/gpt-bootcfg/gpt-bootcfg-claim"
#define INITRD_INIT_TOP	  "/scripts/init-top/gpt-bootcfg"
#define INITRD_ORDER	  "/scripts/init-top/ORDER"
#define INITRD_CLAIM_LIST "/etc/gpt-bootcfg/claim.list"

struct initrd_image {
	char *kernel;	   /* "6.1.0-18-amd64" */
	char *path;	   /* "/boot/initrd.img-6.1.0-18-amd64", a host path */
	char *compression; /* of its parts, "none zstd"; NULL when unreadable */
	char **problems;   /* what is missing or wrong, one sentence each; NULL when none */
	char *summary;	   /* what is in place, for the ok line */
};

struct initrd_check {
	struct initrd_image *images; /* by kernel version */
	size_t n;
};

/*
 * Check every image GRUB boots below the root. Problems are results, not errors: returns 0,
 * or -errno when /boot cannot be listed or on allocation failure.
 */
int initrd_check(struct path_cxt *pc, struct initrd_check *ret);
void initrd_check_done(struct initrd_check *c);

/* Whether no image has a problem. */
bool initrd_check_ok(const struct initrd_check *c);

/* The status section: an "ok" or "FAIL" line per image, problems below. */
void initrd_check_text(const struct initrd_check *c, struct strbuf *out);

/* As a JSON array under key: kernel, image, compression, ok, problems, summary. */
void initrd_check_json(const struct initrd_check *c, struct json_writer *w, const char *key);
