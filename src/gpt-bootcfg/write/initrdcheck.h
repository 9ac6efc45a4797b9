/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The initramfs images the next boot loads, checked against what the claim needs. GRUB's
 * entries boot /boot/vmlinuz-VERSION with /boot/initrd.img-VERSION (grub.d/10_linux; dracut
 * elsewhere names it /boot/initramfs-VERSION.img), systemd-boot's the files their "initrd"
 * lines name on the ESP (copies kernel-install made), handed to the kernel one after the
 * other. Each such image must hold the claim binary, what runs it before udev (the
 * init-top script ordered before udev's in initramfs-tools' images, the pre-udev hook in
 * dracut's: which generator built the image is read from the image), the claim list of
 * /etc byte for byte, and the modules of the vfio-pci chain of that kernel as the claim
 * binary resolves it (its modules.dep), unless the kernel has vfio-pci built in
 * (modules.builtin). Without a claim list in /etc (nothing configured, or reverted), an
 * image must not hold one either: it would still claim devices.
 *
 * Used by apply (after update-initramfs ran) and status. docs/boot-claim.md, "The image
 * that boots".
 */

#include <stdbool.h>

#include "basic/json.h"
#include "basic/path.h"
#include "basic/strbuf.h"
#include "shared/host.h"
#include "shared/initramfs.h"

#define INITRD_CLAIM_BIN  "/usr/lib/gpt-bootcfg/gpt-bootcfg-claim"
#define INITRD_INIT_TOP	  "/scripts/init-top/gpt-bootcfg"
#define INITRD_ORDER	  "/scripts/init-top/ORDER"
#define INITRD_CLAIM_LIST "/etc/gpt-bootcfg/claim.list"
/* dracut/90gpt-bootcfg's hook, and the unit that sources the hooks in a systemd initrd. */
#define INITRD_DRACUT_HOOK "/lib/dracut/hooks/pre-udev/00-gpt-bootcfg-claim.sh"
#define INITRD_DRACUT_UNIT "/usr/lib/systemd/system/dracut-pre-udev.service"

struct initrd_image {
	char *kernel; /* "6.1.0-18-amd64" */
	char *path;   /* "/boot/initrd.img-6.1.0-18-amd64", a host path; several, joined
			 by " + ", when an entry hands the kernel more than one file */
	char **files; /* those paths, strv */
	enum initramfs_gen generator; /* which built it; UNKNOWN when unreadable */
	char *compression;	      /* of its parts, "none zstd"; NULL when unreadable */
	char **problems; /* what is missing or wrong, one sentence each; NULL when none */
	char *summary;	 /* what is in place, for the ok line */
};

struct initrd_check {
	struct initrd_image *images; /* by kernel version (GRUB), by entry (systemd-boot) */
	size_t n;
	enum boot_loader loader; /* whose entries: host_boot_detect() */
	char *esp;		 /* systemd-boot: where the entries are */
};

/*
 * Check every image the boot loader's entries boot below the root. Problems are results,
 * not errors: returns 0, or -errno when /boot cannot be listed or on allocation failure.
 */
int initrd_check(struct path_cxt *pc, struct initrd_check *ret);
void initrd_check_done(struct initrd_check *c);

/* Whether no image has a problem. */
bool initrd_check_ok(const struct initrd_check *c);

/* The status section: an "ok" or "FAIL" line per image, problems below. */
void initrd_check_text(const struct initrd_check *c, struct strbuf *out);

/* As a JSON array under key: kernel, image, generator, compression, ok, problems, summary. */
void initrd_check_json(const struct initrd_check *c, struct json_writer *w, const char *key);
