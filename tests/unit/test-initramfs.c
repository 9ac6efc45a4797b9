/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The initramfs reader (initramfs.h) on archives written here byte by byte: the kernel's
 * rules for padding, later archives, hard links, symlinked directories, and the errors.
 * Real images (cpio, the compressors, mkinitramfs): tests/integration/test-initramfs.sh,
 * tests/boot/check-initramfs.sh.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <zlib.h>

#include "shared/initramfs.h"
#include "basic/strbuf.h"
#include "tap.h"

/* One newc entry; ino distinguishes hard links. */
static void entry(struct strbuf *sb, const char *name, unsigned mode, unsigned nlink,
		  unsigned ino, const char *data, size_t size)
{
	size_t namesize = strlen(name) + 1;

	strbuf_printf(sb, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X", ino, mode,
		      0, 0, nlink, 0, size, 0, 0, 0, 0, namesize, 0);
	strbuf_putn(sb, name, namesize);
	while (sb->len % 4)
		strbuf_putc(sb, '\0');
	strbuf_putn(sb, data, size);
	while (sb->len % 4)
		strbuf_putc(sb, '\0');
}

static void file(struct strbuf *sb, const char *name, const char *data)
{
	entry(sb, name, S_IFREG | 0644, 1, 0, data, strlen(data));
}

static void dir(struct strbuf *sb, const char *name)
{
	entry(sb, name, S_IFDIR | 0755, 2, 0, "", 0);
}

static void link_(struct strbuf *sb, const char *name, const char *target)
{
	entry(sb, name, S_IFLNK | 0777, 1, 0, target, strlen(target));
}

static void trailer(struct strbuf *sb)
{
	entry(sb, "TRAILER!!!", 0, 1, 0, "", 0);
}

static int parse(struct strbuf *sb, struct initramfs **img, char **err)
{
	static char *const want[] = {"etc/list", "usr/lib/a", "usr/lib/b", NULL};

	*img = NULL;
	*err = NULL;
	return initramfs_parse(sb->buf, sb->len, want, 0, img, err);
}

static const char *data_of(const struct initramfs *img, const char *path)
{
	const struct initramfs_entry *e = initramfs_lookup(img, path, true);

	return e ? e->data : NULL;
}

static void gzip_into(struct strbuf *out, const struct strbuf *in)
{
	z_stream zs = {0};
	unsigned char buf[65536];

	deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = (unsigned char *)in->buf;
	zs.avail_in = (uInt)in->len;
	do {
		zs.next_out = buf;
		zs.avail_out = sizeof(buf);
		deflate(&zs, Z_FINISH);
		strbuf_putn(out, (const char *)buf, sizeof(buf) - zs.avail_out);
	} while (zs.avail_out == 0);
	deflateEnd(&zs);
}

int main(void)
{
	struct initramfs *img;
	char *err;
	int r;

	{
		/* A merged-/usr tree, hard links, and a second archive that replaces a file. */
		_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

		dir(&sb, ".");
		dir(&sb, "usr");
		dir(&sb, "./usr/lib");
		link_(&sb, "lib", "usr/lib");
		dir(&sb, "lib/modules"); /* created through the symlink */
		entry(&sb, "usr/lib/a", S_IFREG | 0755, 2, 7, "", 0);
		entry(&sb, "usr/lib/b", S_IFREG | 0755, 2, 7, "shared", 6);
		dir(&sb, "etc");
		file(&sb, "etc/list", "generation 1\n");
		file(&sb, "orphan/x", "no directory");
		trailer(&sb);
		/* Padding between archives, then a later archive. */
		strbuf_putn(&sb, "\0\0\0\0\0\0\0\0", 8);
		file(&sb, "etc/list", "generation 2\n");
		trailer(&sb);
		r = parse(&sb, &img, &err);
		is_int(r, 0, "two archives parse");
		is_str(img ? img->compressions : NULL, "none", "uncompressed");
		ok(initramfs_lookup(img, "/usr/lib/modules", false) &&
			   initramfs_lookup(img, "lib/modules", true) ==
				   initramfs_lookup(img, "usr/lib/modules", false),
		   "an entry below lib/ lands in usr/lib/");
		is_str(data_of(img, "/etc/list"), "generation 2\n", "the later archive wins");
		is_str(data_of(img, "usr/lib/a"), "shared", "a hard link gets the data of the last name");
		is_int(initramfs_lookup(img, "lib/a", true)->size, 6, "and its size, through lib/");
		ok(!initramfs_lookup(img, "orphan/x", false), "no entry without its directory");
		ok(!initramfs_lookup(img, "/usr/lib/../lib/missing", true), "a missing name");
		ok(initramfs_lookup(img, "//usr/./lib/../lib/b", true) != NULL, "// . .. folded");
		ok(S_ISLNK(initramfs_lookup(img, "lib", false)->mode), "lib itself is the link");
		initramfs_free(img);
	}
	{
		/* A symlink loop and an absolute link; a directory with entries stays one. */
		_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

		dir(&sb, "d");
		file(&sb, "d/f", "x");
		link_(&sb, "loop1", "loop2");
		link_(&sb, "loop2", "/loop1");
		link_(&sb, "abs", "/d");
		link_(&sb, "d", "elsewhere");
		trailer(&sb);
		r = parse(&sb, &img, &err);
		is_int(r, 0, "links parse");
		ok(!initramfs_lookup(img, "loop1/x", true), "a loop ends the lookup");
		ok(initramfs_lookup(img, "abs/f", true) == initramfs_lookup(img, "d/f", false),
		   "an absolute link resolves from the image's root");
		ok(S_ISDIR(initramfs_lookup(img, "d", false)->mode),
		   "a directory with entries is not replaced by a symlink");
		initramfs_free(img);
	}
	{
		/* An early archive, then a gzip'ed main one, as mkinitramfs writes them. */
		_cleanup_strbuf_ struct strbuf early = STRBUF_INIT, main_ = STRBUF_INIT;

		dir(&early, "kernel");
		trailer(&early);
		while (early.len % 512)
			strbuf_putc(&early, '\0');
		dir(&main_, "etc");
		file(&main_, "etc/list", "from gzip\n");
		trailer(&main_);
		gzip_into(&early, &main_);
		r = parse(&early, &img, &err);
		is_int(r, 0, "early + gzip parse");
		is_str(img ? img->compressions : NULL, "none gzip", "both parts noted");
		is_str(data_of(img, "etc/list"), "from gzip\n", "the gzip'ed file read");
		initramfs_free(img);

		/* The bound on the unpacked size. */
		r = initramfs_parse(early.buf, early.len, NULL, 1, &img, &err);
		is_int(r, -EFBIG, "over the bound: -EFBIG");
		ok(err && strstr(err, "unpacks to more than"), "said so: %s", err);
		free(err);

		/* Truncated gzip. */
		r = initramfs_parse(early.buf, early.len - 10, NULL, 0, &img, &err);
		is_int(r, -EBADMSG, "truncated gzip: -EBADMSG");
		ok(err && strstr(err, "gzip"), "names gzip: %s", err);
		free(err);
	}
	{
		_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

		r = initramfs_parse("", 0, NULL, 0, &img, &err);
		is_int(r, -EBADMSG, "empty: -EBADMSG");
		is_str(err, "empty file", "empty file");
		free(err);

		strbuf_puts(&sb, "070707");
		while (sb.len < 200)
			strbuf_putc(&sb, '0');
		r = parse(&sb, &img, &err);
		is_int(r, -EBADMSG, "old binary/odc cpio refused");
		is_str(err, "old cpio format (not newc) at offset 0", "named");
		free(err);

		sb.len = 0;
		file(&sb, "a", "x");
		sb.len -= 4; /* cut the data */
		r = parse(&sb, &img, &err);
		is_int(r, -EBADMSG, "truncated data");
		is_str(err, "truncated data of 'a' at offset 0", "named with its offset");
		free(err);

		sb.len = 0;
		strbuf_putn(&sb, "\x04\x22\x4d\x18", 4);
		r = parse(&sb, &img, &err);
		is_int(r, -EBADMSG, "lz4 frame format (not the kernel's legacy lz4) is garbage");
		free(err);

		sb.len = 0;
		strbuf_putn(&sb, "\x42\x5a\x68\x39", 4);
		r = parse(&sb, &img, &err);
		is_int(r, -EPROTONOSUPPORT, "bzip2: not supported");
		ok(err && strstr(err, "bzip2-compressed archive at offset 0"), "named: %s", err);
		free(err);

		sb.len = 0;
		trailer(&sb);
		r = parse(&sb, &img, &err);
		is_int(r, -EBADMSG, "only a trailer: no files");
		free(err);

		/* A misaligned archive after the first is not one. */
		sb.len = 0;
		file(&sb, "a", "x");
		trailer(&sb);
		strbuf_putc(&sb, '\0');
		file(&sb, "b", "y");
		r = parse(&sb, &img, &err);
		is_int(r, -EBADMSG, "misaligned second archive");
		free(err);
	}
	return done_testing();
}
