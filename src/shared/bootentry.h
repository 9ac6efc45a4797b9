/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * systemd-boot's entries: Boot Loader Specification type 1 files ("KEY VALUE" lines) in
 * ESP/loader/entries/, as kernel-install writes them ("title", "version", "machine-id",
 * "sort-key", "options", "linux", "initrd"). A name with a boot counter, "NAME+LEFT-DONE.conf"
 * or "NAME+LEFT.conf", has the id "NAME.conf" (the name LoaderEntryOneShot and
 * LoaderEntrySelected use). Paths in an entry are relative to the partition that holds it.
 */

#include <stddef.h>

#include "basic/path.h"

struct boot_entry {
	char *file;	/* name on disk: "abc-6.1.0-57-amd64+2-1.conf" */
	char *id;	/* without the counter: "abc-6.1.0-57-amd64.conf" */
	int tries_left; /* the counter's LEFT, -1 without a counter */
	int tries_done; /* its DONE, 0 when absent */
	char *title;	/* NULL when absent, as every key */
	char *version;
	char *machine_id;
	char *sort_key;
	char *options;	  /* every "options" line, joined by one blank */
	char *linux_path; /* "/abc/6.1.0-57-amd64/linux" */
	char **initrds;	  /* every "initrd" line in order, strv (NULL: none) */
};

/*
 * Parse an entry's text; file is its name (the id and counter come from it). Unknown keys
 * and comments are skipped, as systemd-boot does. -EINVAL for a name that is not "*.conf".
 */
int boot_entry_parse(const char *file, const char *text, struct boot_entry *ret);
void boot_entry_done(struct boot_entry *e);

/*
 * Every entry in ESP/loader/entries/ below the root (esp: "/boot/efi"), by file name; an
 * unreadable file is skipped. 0 and none when the directory does not exist.
 */
int boot_entries_load(struct path_cxt *pc, const char *esp, struct boot_entry **ret, size_t *ret_n);
void boot_entries_free(struct boot_entry *e, size_t n);

/* The kernel release of an entry: "version", else the directory of "linux" (TOKEN/KVER/linux). */
char *boot_entry_kernel(const struct boot_entry *e);

/*
 * The kernels in /boot below the root, as GRUB's 10_linux and Debian's kernel hooks see them:
 * every regular /boot/vmlinuz-VERSION, without dpkg's and rpm's leftovers (*.dpkg-*,
 * *.rpmsave, *.rpmnew); their versions, sorted. An empty strv without /boot.
 */
int boot_kernels(struct path_cxt *pc, char ***ret);

/*
 * The initramfs image of a kernel in /boot: /boot/initrd.img-VERSION (Debian, Ubuntu, Debian's
 * dracut), else /boot/initramfs-VERSION.img (dracut's own name) when that one exists; the
 * former when neither does. 1 when it exists, 0 when not; -ENOMEM.
 */
int boot_kernel_image(struct path_cxt *pc, const char *version, char **ret);
