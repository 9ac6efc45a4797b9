/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A reader of initramfs images as the kernel unpacks them (init/initramfs.c and
 * Documentation/driver-api/early-userspace/buffer-format.rst): a sequence of cpio "newc"
 * (070701, or 070702 with checksums) archives, uncompressed or compressed, with NUL
 * padding between them. Debian's mkinitramfs writes an uncompressed early archive
 * (microcode) followed by one compressed main archive; gzip, xz, lzma and zstd (Debian
 * 12's default) are read, bzip2, lz4 and lzo are recognised and refused by name.
 *
 * The result is the tree the kernel would build in its rootfs: one entry per path, later
 * archives replacing earlier entries, directory components resolved through symlinks made
 * by earlier entries (a merged-/usr image has "lib -> usr/lib"), entries whose directory
 * does not exist (yet) left out as the kernel fails to create them. Only the contents of the
 * files asked for are kept, so reading a whole image costs its unpacked size once.
 *
 * Pure functions over a buffer: no I/O, no logging (fuzz/fuzz-initramfs.c).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The default bound on the unpacked size (a Debian 12 image unpacks to 30-150 MiB). */
#define INITRAMFS_MAX_UNPACKED ((size_t)1 << 30)

struct initramfs_entry {
	char *name;    /* canonical: no leading '/', no "." or ".." components, "" is the root */
	uint32_t mode; /* type and permission bits as in st_mode */
	uint64_t size; /* of the data (the file; a symlink's target) */
	char *data;    /* NUL-terminated symlink target, or a wanted file's contents; else NULL */
	uint32_t nlink, ino, devmajor, devminor;
	size_t children; /* entries directly below a directory */
};

struct initramfs {
	struct initramfs_entry *entries; /* in archive order of first appearance */
	size_t n, entries_cap;
	size_t *table; /* open-addressing hash of names: index + 1, 0 is empty */
	size_t table_size;
	/* Compressions met, in order, space-separated: "none zstd" for Debian's usual image. */
	char compressions[64];
};

/*
 * Parse an image. want lists canonical names ("etc/gpt-bootcfg/claim.list") whose contents
 * are kept (NULL: none). max_unpacked bounds the unpacked size of the compressed parts (0:
 * INITRAMFS_MAX_UNPACKED). On failure returns -EBADMSG (not an image, corrupt, truncated),
 * -EPROTONOSUPPORT (a compression this reader does not decode), -EFBIG (over the bound) or
 * -ENOMEM, and, when ret_error is not NULL, a message in *ret_error saying what and at which
 * offset (free it).
 */
int initramfs_parse(const void *buf, size_t size, char *const *want, size_t max_unpacked,
		    struct initramfs **ret, char **ret_error);

void initramfs_free(struct initramfs *img);
static inline void initramfs_freep(struct initramfs **img)
{
	if (*img)
		initramfs_free(*img);
}

/*
 * The entry for a path as a process in the booted initramfs would open it: "/" and "."
 * folded, symlinks followed in every component, the last one only when follow is set.
 * NULL when there is none (or the links loop).
 */
const struct initramfs_entry *initramfs_lookup(const struct initramfs *img, const char *path,
					       bool follow);

/* The generator that built an image (docs/boot-claim.md, "The image that boots"). */
enum initramfs_gen {
	INITRAMFS_GEN_UNKNOWN,
	INITRAMFS_GEN_TOOLS,  /* initramfs-tools: /scripts and /conf/initramfs.conf */
	INITRAMFS_GEN_DRACUT, /* dracut: /lib/dracut, its hooks and scripts */
};

/* "initramfs-tools", "dracut"; "unknown" for INITRAMFS_GEN_UNKNOWN. */
const char *initramfs_gen_to_string(enum initramfs_gen g);

/*
 * Which generator built the image, told by its tree: dracut's images have the directory
 * /lib/dracut (/usr/lib/dracut behind merged /usr's "lib -> usr/lib"), initramfs-tools'
 * have /conf/initramfs.conf or /scripts. INITRAMFS_GEN_UNKNOWN when neither.
 */
enum initramfs_gen initramfs_generator(const struct initramfs *img);
