/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The initramfs reader (initramfs.h), which status and apply run on /boot/initrd.img-*:
 * concatenated newc cpio archives, NUL padding, and gzip, xz, lzma and zstd parts. Any
 * input must give an image or an error with a message, never a crash, leak or hang; the
 * unpacked size is bounded low so that decompression bombs stay cheap. Every entry of a
 * parsed image must be found again by its own name, and lookups through symlinks must end.
 */
#include "fuzz.h"
#include "shared/initramfs.h"
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *const want[] = {"etc/gpt-bootcfg/claim.list", "scripts/init-top/ORDER", NULL};
	struct initramfs *img = NULL;
	char *err = NULL;
	int r;

	r = initramfs_parse(data, size, want, (size_t)4 << 20, &img, &err);
	if (r < 0) {
		FUZZ_ASSERT(err && *err && !img);
		free(err);
		return 0;
	}
	FUZZ_ASSERT(img && img->n > 0 && !err);
	for (size_t i = 0; i < img->n; i++) {
		const struct initramfs_entry *e = &img->entries[i];

		FUZZ_ASSERT(e->name[0] != '/' && e->name[0] != '\0');
		FUZZ_ASSERT(initramfs_lookup(img, e->name, false) == e);
		FUZZ_ASSERT(!e->data || S_ISLNK(e->mode) || S_ISREG(e->mode));
		(void)initramfs_lookup(img, e->name, true);
	}
	(void)initramfs_lookup(img, "/usr/lib/gpt-bootcfg/gpt-bootcfg-claim", true);
	(void)initramfs_lookup(img, "lib/modules/../../etc/gpt-bootcfg/claim.list", true);
	initramfs_free(img);
	return 0;
}
