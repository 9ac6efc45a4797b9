/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <lzma.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
/* next_in as const (zlib >= 1.2.5.2): the image is read-only. */
#define ZLIB_CONST
#include <zlib.h>
#include <zstd.h>

#include "basic/macro.h"
#include "basic/strbuf.h"
#include "shared/initramfs.h"

#define CPIO_HEADER_SIZE 110
#define CPIO_TRAILER	 "TRAILER!!!"
/* The kernel ignores names and link targets longer than this (do_header()). */
#define CPIO_PATH_MAX 4096
/* The contents of a wanted file: a claim list or ORDER, never a module. */
#define WANT_MAX ((uint64_t)16 << 20)
/* Symlink hops before a lookup gives up, as the kernel's MAXSYMLINKS. */
#define MAX_LINKS 40
/* Unpacking goes in steps of at least this much free space. */
#define CHUNK	  ((size_t)64 * 1024)
#define MIN(a, b) ((a) < (b) ? (a) : (b))

struct parser {
	struct initramfs *img;
	char *const *want;
	size_t max_unpacked;
	size_t unpacked;
	size_t archive_start; /* first entry of the current archive: hard links are per archive */
	char *error;
};

_printf_(3, 4) static int fail(struct parser *p, int r, const char *fmt, ...)
{
	va_list ap;

	if (!p->error) {
		va_start(ap, fmt);
		if (vasprintf(&p->error, fmt, ap) < 0)
			p->error = NULL;
		va_end(ap);
	}
	return r;
}

static size_t hash_name(const char *s)
{
	size_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Index into entries, or SIZE_MAX. */
static size_t find(const struct initramfs *img, const char *name)
{
	if (img->table_size == 0)
		return SIZE_MAX;
	for (size_t i = hash_name(name) & (img->table_size - 1);;
	     i = (i + 1) & (img->table_size - 1)) {
		size_t e = img->table[i];

		if (e == 0)
			return SIZE_MAX;
		if (streq(img->entries[e - 1].name, name))
			return e - 1;
	}
}

static int table_grow(struct initramfs *img)
{
	size_t size = img->table_size ? img->table_size * 2 : 256;
	size_t *t = calloc(size, sizeof(size_t));

	if (!t)
		return -ENOMEM;
	for (size_t e = 0; e < img->n; e++) {
		size_t i = hash_name(img->entries[e].name) & (size - 1);

		while (t[i])
			i = (i + 1) & (size - 1);
		t[i] = e + 1;
	}
	free(img->table);
	img->table = t;
	img->table_size = size;
	return 0;
}

/* Fold "", "." and ".." components of path lexically into a canonical name. */
static int normalize(const char *path, struct strbuf *out)
{
	out->len = 0;
	strbuf_puts(out, "");
	for (const char *p = path; *p;) {
		size_t l = strcspn(p, "/");

		if (l == 0 || (l == 1 && p[0] == '.')) {
			/* nothing */
		} else if (l == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = out->buf ? strrchr(out->buf, '/') : NULL;

			out->len = slash ? (size_t)(slash - out->buf) : 0;
			if (out->buf)
				out->buf[out->len] = '\0';
		} else {
			if (out->len > 0)
				strbuf_putc(out, '/');
			strbuf_putn(out, p, l);
		}
		p += l;
		if (*p == '/')
			p++;
	}
	return strbuf_str(out) ? 0 : -ENOMEM;
}

/*
 * Resolve path through the symlinks of the tree so far: every component but the last, and
 * the last too when follow is set. The result is a canonical name.
 */
static int resolve(const struct initramfs *img, const char *path, bool follow, char **ret)
{
	_cleanup_strbuf_ struct strbuf cur = STRBUF_INIT, rest = STRBUF_INIT, tmp = STRBUF_INIT;
	unsigned links = 0;
	int r;

	r = normalize(path, &rest);
	if (r < 0)
		return r;
	strbuf_puts(&cur, "");
	while (rest.len > 0) {
		size_t l = strcspn(rest.buf, "/");
		bool last = rest.buf[l] == '\0';
		size_t before = cur.len, e;

		if (cur.len > 0)
			strbuf_putc(&cur, '/');
		strbuf_putn(&cur, rest.buf, l);
		if (!strbuf_str(&cur))
			return -ENOMEM;
		e = (!last || follow) ? find(img, cur.buf) : SIZE_MAX;
		if (e != SIZE_MAX && S_ISLNK(img->entries[e].mode) && img->entries[e].data) {
			const char *target = img->entries[e].data;

			if (++links > MAX_LINKS)
				return -ELOOP;
			cur.len = before;
			cur.buf[cur.len] = '\0';
			/* The target replaces the component: relative to its directory. */
			tmp.len = 0;
			if (target[0] != '/' && cur.len > 0)
				strbuf_printf(&tmp, "%s/", cur.buf);
			strbuf_puts(&tmp, target);
			if (!last)
				strbuf_printf(&tmp, "/%s", rest.buf + l + 1);
			if (!strbuf_str(&tmp))
				return -ENOMEM;
			cur.len = 0;
			cur.buf[0] = '\0';
			r = normalize(tmp.buf, &rest);
			if (r < 0)
				return r;
			continue;
		}
		if (last)
			break;
		memmove(rest.buf, rest.buf + l + 1, rest.len - l);
		rest.len -= l + 1;
	}
	if (!strbuf_str(&cur))
		return -ENOMEM;
	return strbuf_steal(&cur, ret);
}

const struct initramfs_entry *initramfs_lookup(const struct initramfs *img, const char *path,
					       bool follow)
{
	_cleanup_free_ char *name = NULL;
	size_t e;

	if (!img || resolve(img, path, follow, &name) < 0)
		return NULL;
	e = find(img, name);
	return e == SIZE_MAX ? NULL : &img->entries[e];
}

static bool wanted(const struct parser *p, const char *name)
{
	for (char *const *w = p->want; w && *w; w++)
		if (streq(*w, name))
			return true;
	return false;
}

/* newc hard links carry the data with the last name: every name of the inode gets it. */
static int share_hardlink(struct parser *p, const struct initramfs_entry *last)
{
	for (size_t i = p->archive_start; i < p->img->n; i++) {
		struct initramfs_entry *e = &p->img->entries[i];

		if (e == last || !S_ISREG(e->mode) || e->nlink < 2 || e->ino != last->ino ||
		    e->devmajor != last->devmajor || e->devminor != last->devminor)
			continue;
		e->size = last->size;
		free(e->data);
		e->data = NULL;
		if (last->data && wanted(p, e->name) && !(e->data = strdup(last->data)))
			return -ENOMEM;
	}
	return 0;
}

/* The entry of the directory holding name, or SIZE_MAX for the root. */
static size_t parent_of(const struct initramfs *img, char *name)
{
	char *slash = strrchr(name, '/');
	size_t e;

	if (!slash)
		return SIZE_MAX;
	*slash = '\0';
	e = find(img, name);
	*slash = '/';
	return e;
}

/*
 * Add or replace, as the kernel creates entries (init/initramfs.c): the parent directory
 * must exist (no archive creates it implicitly); an entry of another type replaces an older
 * one, except a directory that holds entries, which rmdir() cannot remove. Returns 1 when
 * added, 0 when the kernel would not create it (n is then the caller's to free).
 */
static int add_entry(struct parser *p, struct initramfs_entry *n)
{
	struct initramfs *img = p->img;
	size_t e = find(img, n->name), parent = parent_of(img, n->name);

	if (strchr(n->name, '/') && (parent == SIZE_MAX || !S_ISDIR(img->entries[parent].mode)))
		return 0;
	if (e != SIZE_MAX) {
		struct initramfs_entry *old = &img->entries[e];

		if (S_ISDIR(old->mode) && old->children > 0) {
			if (!S_ISDIR(n->mode))
				return 0;
			n->children = old->children;
		}
		free(old->name);
		free(old->data);
		*old = *n;
		return 1;
	}
	if ((img->n + 1) * 2 > img->table_size) {
		int r = table_grow(img);

		if (r < 0)
			return r;
	}
	if (img->n == img->entries_cap) {
		size_t cap = img->entries_cap ? img->entries_cap * 2 : 256;
		struct initramfs_entry *ne = realloc(img->entries, cap * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		img->entries = ne;
		img->entries_cap = cap;
	}
	img->entries[img->n] = *n;
	{
		size_t i = hash_name(n->name) & (img->table_size - 1);

		while (img->table[i])
			i = (i + 1) & (img->table_size - 1);
		img->table[i] = img->n + 1;
	}
	img->n++;
	if (parent != SIZE_MAX)
		img->entries[parent].children++;
	return 1;
}

static bool parse_hex8(const uint8_t *s, uint32_t *ret)
{
	uint32_t v = 0;

	for (size_t i = 0; i < 8; i++) {
		uint8_t c = s[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		v = v << 4 | d;
	}
	*ret = v;
	return true;
}

static size_t align4(size_t x)
{
	return (x + 3) & ~(size_t)3;
}

/*
 * cpio archives from buf[*pos] on, with NUL padding between them. Offsets are aligned
 * relative to buf, as the kernel counts them (from the image's start for its uncompressed
 * part, from the start of the unpacked data for a compressed one). In the uncompressed part
 * (raw) anything else ends the run: it is a compressed archive's magic. In unpacked data
 * anything else is junk.
 */
static int parse_cpio(struct parser *p, const uint8_t *buf, size_t size, size_t *pos, bool raw)
{
	while (*pos < size) {
		const uint8_t *h = buf + *pos;
		uint32_t f[13];
		size_t name_at, data_at, end;
		int r;

		if (h[0] == '\0') {
			(*pos)++;
			continue;
		}
		if (h[0] != '0' || (*pos & 3)) {
			if (raw)
				return 0;
			return fail(p, -EBADMSG, "junk within compressed archive at offset %zu",
				    *pos);
		}
		if (size - *pos < CPIO_HEADER_SIZE)
			return fail(p, -EBADMSG, "truncated cpio header at offset %zu", *pos);
		if (memcmp(h, "070701", 6) != 0 && memcmp(h, "070702", 6) != 0)
			return fail(p, -EBADMSG,
				    memcmp(h, "070707", 6) == 0
					? "old cpio format (not newc) at offset %zu"
					: "no cpio magic at offset %zu",
				    *pos);
		for (size_t i = 0; i < ARRAY_SIZE(f); i++)
			if (!parse_hex8(h + 6 + 8 * i, &f[i]))
				return fail(p, -EBADMSG, "bad cpio header field at offset %zu",
					    *pos + 6 + 8 * i);
		/* ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor
		 * namesize check */
		uint32_t mode = f[1], filesize = f[6], namesize = f[11];

		name_at = *pos + CPIO_HEADER_SIZE;
		if (namesize == 0 || namesize > size - name_at ||
		    h[CPIO_HEADER_SIZE + namesize - 1])
			return fail(p, -EBADMSG, "bad or truncated name in the entry at offset %zu",
				    *pos);
		data_at = align4(name_at + namesize);
		if (data_at > size || filesize > size - data_at)
			return fail(p, -EBADMSG, "truncated data of '%s' at offset %zu",
				    (const char *)h + CPIO_HEADER_SIZE, *pos);
		end = align4(data_at + filesize);
		const char *raw_name = (const char *)h + CPIO_HEADER_SIZE;

		if (streq(raw_name, CPIO_TRAILER)) {
			*pos = end < size ? end : size;
			p->archive_start = p->img->n;
			if (raw)
				return 0;
			continue;
		}
		*pos = end < size ? end : size;
		if (namesize > CPIO_PATH_MAX || (S_ISLNK(mode) && filesize > CPIO_PATH_MAX))
			continue;

		struct initramfs_entry n = {
		    .mode = mode,
		    .size = filesize,
		    .nlink = f[4],
		    .ino = f[0],
		    .devmajor = f[7],
		    .devminor = f[8],
		};
		r = resolve(p->img, raw_name, false, &n.name);
		if (r == -ELOOP)
			continue; /* the kernel could not create it either */
		if (r < 0)
			return r;
		if (S_ISLNK(mode) || (S_ISREG(mode) && filesize <= WANT_MAX && wanted(p, n.name))) {
			n.data = strndup((const char *)buf + data_at, filesize);
			if (!n.data) {
				free(n.name);
				return -ENOMEM;
			}
		}
		if (n.name[0] == '\0') {
			/* "." itself: the root directory, nothing to record. */
			free(n.name);
			free(n.data);
			continue;
		}
		r = add_entry(p, &n);
		if (r <= 0) {
			free(n.name);
			free(n.data);
			if (r < 0)
				return r;
			continue;
		}
		if (S_ISREG(mode) && n.nlink >= 2 && filesize > 0) {
			r = share_hardlink(p, &p->img->entries[find(p->img, n.name)]);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

struct unpacked {
	uint8_t *buf;
	size_t len, cap;
};

/* Room for at least one more chunk, within the bound. */
static int unpacked_reserve(struct parser *p, struct unpacked *u)
{
	size_t cap, limit = p->max_unpacked - p->unpacked;
	uint8_t *nb;

	if (u->len > limit)
		return fail(p, -EFBIG, "unpacks to more than %zu KiB", p->max_unpacked >> 10);
	if (u->cap - u->len >= CHUNK)
		return 0;
	cap = u->cap ? u->cap * 2 : 256 * 1024;
	if (cap > limit + CHUNK)
		cap = limit + CHUNK;
	nb = realloc(u->buf, cap);
	if (!nb)
		return -ENOMEM;
	u->buf = nb;
	u->cap = cap;
	return 0;
}

/* One zstd frame from in; *consumed gets its length. */
static int unzstd(struct parser *p, const uint8_t *in, size_t size, size_t off, struct unpacked *u,
		  size_t *consumed)
{
	ZSTD_DStream *ds = ZSTD_createDStream();
	ZSTD_inBuffer ib = {in, size, 0};
	int r = 0;

	if (!ds)
		return -ENOMEM;
	for (;;) {
		size_t ret;

		r = unpacked_reserve(p, u);
		if (r < 0)
			break;
		ZSTD_outBuffer ob = {u->buf + u->len, u->cap - u->len, 0};

		ret = ZSTD_decompressStream(ds, &ob, &ib);
		if (ZSTD_isError(ret)) {
			r = fail(p, -EBADMSG, "zstd data at offset %zu: %s", off,
				 ZSTD_getErrorName(ret));
			break;
		}
		u->len += ob.pos;
		if (ret == 0)
			break;
		if (ib.pos == ib.size && ob.pos < ob.size) {
			r = fail(p, -EBADMSG, "truncated zstd data at offset %zu", off);
			break;
		}
	}
	ZSTD_freeDStream(ds);
	*consumed = ib.pos;
	return r;
}

static int gunzip(struct parser *p, const uint8_t *in, size_t size, size_t off, struct unpacked *u,
		  size_t *consumed)
{
	z_stream zs = {};
	int r = 0, zr;

	/* 16 + MAX_WBITS: a gzip member, as the kernel's gunzip reads. */
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	zs.next_in = in;
	for (;;) {
		size_t before;

		r = unpacked_reserve(p, u);
		if (r < 0)
			break;
		/* avail_* are 32-bit: feed at most 1 GiB at a time. */
		zs.avail_in = (uInt)MIN(size - zs.total_in, (size_t)1 << 30);
		zs.next_out = u->buf + u->len;
		zs.avail_out = (uInt)MIN(u->cap - u->len, (size_t)1 << 30);
		before = zs.avail_out;
		zr = inflate(&zs, Z_NO_FLUSH);
		u->len += before - zs.avail_out;
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_BUF_ERROR && zs.total_in == size) {
			r = fail(p, -EBADMSG, "truncated gzip data at offset %zu", off);
			break;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			r = fail(p, -EBADMSG, "gzip data at offset %zu: %s", off,
				 zs.msg ? zs.msg : "corrupt");
			break;
		}
	}
	*consumed = zs.total_in;
	inflateEnd(&zs);
	return r;
}

static int unxz(struct parser *p, const uint8_t *in, size_t size, size_t off, struct unpacked *u,
		size_t *consumed, bool alone)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret lr;
	int r = 0;

	/* The dictionary bound: mkinitramfs uses xz --check=crc32 with at most 64 MiB. */
	lr = alone ? lzma_alone_decoder(&s, (uint64_t)1 << 28)
		   : lzma_stream_decoder(&s, (uint64_t)1 << 28, 0);
	if (lr != LZMA_OK)
		return -ENOMEM;
	s.next_in = in;
	s.avail_in = size;
	for (;;) {
		r = unpacked_reserve(p, u);
		if (r < 0)
			break;
		s.next_out = u->buf + u->len;
		s.avail_out = u->cap - u->len;
		lr = lzma_code(&s, LZMA_FINISH);
		u->len = u->cap - s.avail_out;
		if (lr == LZMA_STREAM_END)
			break;
		if (lr != LZMA_OK) {
			r = fail(p, lr == LZMA_MEM_ERROR ? -ENOMEM : -EBADMSG,
				 "%s data at offset %zu: %s", alone ? "lzma" : "xz", off,
				 lr == LZMA_BUF_ERROR ? "truncated" : "corrupt");
			break;
		}
	}
	*consumed = (size_t)s.total_in;
	lzma_end(&s);
	return r;
}

/* The kernel's table (lib/decompress.c): two magic bytes name the compression. */
static const struct {
	uint8_t magic[2];
	const char *name;
} formats[] = {
    {{0x1f, 0x8b}, "gzip"}, {{0x1f, 0x9e}, "gzip"}, {{0x42, 0x5a}, "bzip2"}, {{0x5d, 0x00}, "lzma"},
    {{0xfd, 0x37}, "xz"},   {{0x89, 0x4c}, "lzo"},  {{0x02, 0x21}, "lz4"},   {{0x28, 0xb5}, "zstd"},
};

static const char *compression_of(const uint8_t *buf, size_t size)
{
	if (size < 2)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
		if (buf[0] == formats[i].magic[0] && buf[1] == formats[i].magic[1])
			return formats[i].name;
	return NULL;
}

static void note_compression(struct initramfs *img, const char *name)
{
	size_t l = strlen(img->compressions);
	const char *last = strrchr(img->compressions, ' ');

	last = last ? last + 1 : img->compressions;
	if (l > 0 && streq(last, name))
		return;
	snprintf(img->compressions + l, sizeof(img->compressions) - l, "%s%s", l ? " " : "", name);
}

/*
 * A compressed part at buf[*pos], and the parts of the same compression right after it
 * (gzip members, zstd frames): unpacked into one buffer, parsed as one cpio stream.
 */
static int parse_compressed(struct parser *p, const uint8_t *buf, size_t size, size_t *pos,
			    const char *comp)
{
	struct unpacked u = {};
	size_t consumed = 0;
	int r;

	do {
		size_t off = *pos;

		if (streq(comp, "zstd"))
			r = unzstd(p, buf + off, size - off, off, &u, &consumed);
		else if (streq(comp, "gzip"))
			r = gunzip(p, buf + off, size - off, off, &u, &consumed);
		else if (streq(comp, "xz") || streq(comp, "lzma"))
			r = unxz(p, buf + off, size - off, off, &u, &consumed, streq(comp, "lzma"));
		else
			r = fail(p, -EPROTONOSUPPORT,
				 "%s-compressed archive at offset %zu: not supported (gzip, xz, "
				 "lzma and zstd are)",
				 comp, off);
		if (r < 0) {
			free(u.buf);
			return r;
		}
		if (consumed == 0) {
			free(u.buf);
			return fail(p, -EBADMSG, "empty %s data at offset %zu", comp, off);
		}
		*pos += consumed;
	} while (*pos < size && streq_ptr(compression_of(buf + *pos, size - *pos), comp) &&
		 !streq(comp, "lzma"));

	/* The last step may have gone past the bound by less than a chunk. */
	r = unpacked_reserve(p, &u);
	if (r < 0) {
		free(u.buf);
		return r;
	}
	note_compression(p->img, comp);
	p->unpacked += u.len;
	size_t upos = 0;

	p->archive_start = p->img->n;
	r = parse_cpio(p, u.buf, u.len, &upos, false);
	free(u.buf);
	return r;
}

void initramfs_free(struct initramfs *img)
{
	if (!img)
		return;
	for (size_t i = 0; i < img->n; i++) {
		free(img->entries[i].name);
		free(img->entries[i].data);
	}
	free(img->entries);
	free(img->table);
	free(img);
}

int initramfs_parse(const void *buf, size_t size, char *const *want, size_t max_unpacked,
		    struct initramfs **ret, char **ret_error)
{
	struct parser p = {
	    .want = want,
	    .max_unpacked = max_unpacked ? max_unpacked : INITRAMFS_MAX_UNPACKED,
	};
	const uint8_t *b = buf;
	size_t pos = 0;
	int r = 0;

	p.img = calloc(1, sizeof(*p.img));
	if (!p.img)
		return -ENOMEM;
	if (size == 0)
		r = fail(&p, -EBADMSG, "empty file");
	while (r >= 0 && pos < size) {
		const char *comp;

		if (b[pos] == '\0') {
			pos++;
			continue;
		}
		if (b[pos] == '0' && !(pos & 3)) {
			note_compression(p.img, "none");
			r = parse_cpio(&p, b, size, &pos, true);
			continue;
		}
		comp = compression_of(b + pos, size - pos);
		if (!comp) {
			r = fail(&p, -EBADMSG,
				 "neither a cpio archive nor known compressed data at "
				 "offset %zu",
				 pos);
			break;
		}
		r = parse_compressed(&p, b, size, &pos, comp);
	}
	if (r >= 0 && p.img->n == 0)
		r = fail(&p, -EBADMSG, "no files in the image");
	if (r < 0) {
		initramfs_free(p.img);
		if (ret_error)
			*ret_error = p.error ? p.error : strdup(strerror(-r));
		else
			free(p.error);
		return r;
	}
	free(p.error);
	*ret = p.img;
	return 0;
}

const char *initramfs_gen_to_string(enum initramfs_gen g)
{
	switch (g) {
	case INITRAMFS_GEN_TOOLS:
		return "initramfs-tools";
	case INITRAMFS_GEN_DRACUT:
		return "dracut";
	case INITRAMFS_GEN_UNKNOWN:
		break;
	}
	return "unknown";
}

enum initramfs_gen initramfs_generator(const struct initramfs *img)
{
	const struct initramfs_entry *e;

	/* dracut first: its images have no /scripts, but a hand-made one could have both. */
	e = initramfs_lookup(img, "/lib/dracut", true);
	if (e && S_ISDIR(e->mode))
		return INITRAMFS_GEN_DRACUT;
	e = initramfs_lookup(img, "/conf/initramfs.conf", true);
	if (e && S_ISREG(e->mode))
		return INITRAMFS_GEN_TOOLS;
	e = initramfs_lookup(img, "/scripts", true);
	if (e && S_ISDIR(e->mode))
		return INITRAMFS_GEN_TOOLS;
	return INITRAMFS_GEN_UNKNOWN;
}
