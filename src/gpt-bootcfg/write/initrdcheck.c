/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which images the next boot loads and reading them (initrdcheck.h); what each must hold is
 * initrd-rules.c's.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "basic/strv-util.h"
#include "shared/bootentry.h"
#include "write/initrdcheck-internal.h"

/* What the kernel is handed: one mapped file, or several files concatenated. */
struct image_bytes {
	void *map;
	size_t map_size;
	uint8_t *buf;
	size_t size;
};

static void image_bytes_done(struct image_bytes *b)
{
	if (b->map && b->map != MAP_FAILED)
		munmap(b->map, b->map_size);
	free(b->buf);
	*b = (struct image_bytes){};
}

/*
 * Read the image's files; a file that is missing or unreadable is a problem of the image
 * (1), not an error. Several files are concatenated with NUL padding to 4 bytes, as the
 * boot loaders hand them over and as the kernel expects between archives.
 */
static int read_files(struct path_cxt *pc, struct initrd_image *im, struct image_bytes *ret)
{
	struct image_bytes b = {};
	size_t nfiles = strv_length(im->files);
	int r = 0;

	STRV_FOREACH (f, im->files) {
		_cleanup_close_ int fd = path_open_regular(pc, 0, "%s", *f);
		struct stat st;
		void *map;

		if (fd == -ENOENT) {
			if (nfiles > 1)
				r = strv_addf(
				    &im->problems,
				    "%s does not exist: kernel %s boots without the claim", *f,
				    im->kernel);
			else
				r = strv_addf(&im->problems,
					      "does not exist: kernel %s boots without the claim",
					      im->kernel);
			break;
		}
		if (fd < 0) {
			r = strv_addf(&im->problems, "cannot be opened: %s", strerror(-fd));
			break;
		}
		if (fstat(fd, &st) < 0) {
			r = strv_addf(&im->problems, "cannot be read: %s", strerror(errno));
			break;
		}
		if (!S_ISREG(st.st_mode)) {
			r = strv_addf(&im->problems, "is not a regular file");
			break;
		}
		if (st.st_size == 0)
			continue;
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			r = strv_addf(&im->problems, "cannot be read: %s", strerror(errno));
			break;
		}
		if (nfiles == 1) {
			b.map = map;
			b.map_size = b.size = (size_t)st.st_size;
			continue;
		}
		{
			size_t at = (b.size + 3) & ~(size_t)3;
			uint8_t *n = realloc(b.buf, at + (size_t)st.st_size);

			if (!n) {
				munmap(map, (size_t)st.st_size);
				r = -ENOMEM;
				break;
			}
			memset(n + b.size, 0, at - b.size);
			memcpy(n + at, map, (size_t)st.st_size);
			munmap(map, (size_t)st.st_size);
			b.buf = n;
			b.size = at + (size_t)st.st_size;
		}
	}
	if (r < 0 || im->problems) {
		image_bytes_done(&b);
		return r < 0 ? r : 1;
	}
	*ret = b;
	return 0;
}

/* Read one image and check it; problems go to im. */
static int check_image(struct path_cxt *pc, struct initrd_image *im, const char *etc,
		       size_t etc_size, bool have_etc)
{
	_cleanup_(initramfs_freep) struct initramfs *img = NULL;
	_cleanup_free_ char *err = NULL;
	struct image_bytes b = {};
	int r;

	r = read_files(pc, im, &b);
	if (r != 0)
		return r < 0 ? r : 0;
	r = initramfs_parse(b.map ? b.map : b.buf, b.size, initrd_wanted, 0, &img, &err);
	image_bytes_done(&b);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return strv_addf(&im->problems, "cannot be read: %s", err ? err : strerror(-r));
	im->compression = strdup(img->compressions);
	if (!im->compression)
		return -ENOMEM;
	/* An image of neither kind is held to initramfs-tools' rules, which name what lacks. */
	im->generator = initramfs_generator(img);
	if (im->generator == INITRAMFS_GEN_UNKNOWN)
		im->generator = INITRAMFS_GEN_TOOLS;
	return initrd_rules_check(pc, im, img, etc, etc_size, have_etc);
}

static struct initrd_image *add_image(struct initrd_check *c, const char *kver)
{
	struct initrd_image *n = realloc(c->images, (c->n + 1) * sizeof(*n));

	if (!n)
		return NULL;
	c->images = n;
	n = &c->images[c->n];
	*n = (struct initrd_image){};
	n->kernel = strdup(kver);
	if (!n->kernel)
		return NULL;
	c->n++;
	return n;
}

/* GRUB: each /boot/vmlinuz-VERSION boots with its image of the same version. */
static int grub_images(struct path_cxt *pc, struct initrd_check *c)
{
	_cleanup_strv_free_ char **kernels = NULL;
	int r;

	r = boot_kernels(pc, &kernels);
	if (r < 0)
		return r;
	STRV_FOREACH (k, kernels) {
		struct initrd_image *im = add_image(c, *k);

		if (!im)
			return -ENOMEM;
		r = boot_kernel_image(pc, *k, &im->path);
		if (r >= 0)
			r = strv_add(&im->files, im->path);
		if (r < 0)
			return r;
	}
	return 0;
}

/* systemd-boot: the initrd files of each entry, once per distinct list. */
static int sdboot_images(struct path_cxt *pc, struct initrd_check *c)
{
	struct boot_entry *e = NULL;
	size_t n = 0;
	int r;

	r = boot_entries_load(pc, c->esp, &e, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r >= 0; i++) {
		_cleanup_free_ char *kver = boot_entry_kernel(&e[i]);
		_cleanup_strv_free_ char **files = NULL;
		_cleanup_free_ char *joined = NULL;
		struct initrd_image *im;
		bool seen = false;

		if (!kver || !e[i].initrds)
			continue;
		STRV_FOREACH (f, e[i].initrds) {
			r = strv_addf(&files, "%s%s%s", c->esp, **f == '/' ? "" : "/", *f);
			if (r < 0)
				break;
		}
		joined = r >= 0 ? strv_join(files, " + ") : NULL;
		if (!joined) {
			r = -ENOMEM;
			break;
		}
		for (size_t j = 0; j < c->n; j++)
			seen |= streq(c->images[j].path, joined);
		if (seen)
			continue;
		im = add_image(c, kver);
		if (!im) {
			r = -ENOMEM;
			break;
		}
		im->path = TAKE_PTR(joined);
		im->files = TAKE_PTR(files);
	}
	boot_entries_free(e, n);
	return r;
}

int initrd_check(struct path_cxt *pc, struct initrd_check *ret)
{
	_cleanup_free_ char *etc = NULL, *release = NULL;
	struct initrd_check c = {};
	struct host_boot boot;
	size_t etc_size = 0;
	bool have_etc;
	int r;

	(void)path_read_string(pc, &release, "/proc/sys/kernel/osrelease");
	r = host_boot_detect(pc, release, &boot);
	if (r < 0)
		return r;
	c.loader = boot.loader;
	if (boot.loader == BOOT_LOADER_SYSTEMD_BOOT && boot.esp)
		c.esp = TAKE_PTR(boot.esp);
	host_boot_done(&boot);

	r = path_read_full(pc, &etc, &etc_size, INITRD_CLAIM_LIST);
	if (r < 0 && r != -ENOENT)
		goto fail;
	have_etc = r >= 0;
	r = c.esp ? sdboot_images(pc, &c) : grub_images(pc, &c);
	for (size_t i = 0; i < c.n && r >= 0; i++)
		r = check_image(pc, &c.images[i], etc, etc_size, have_etc);
	if (r < 0)
		goto fail;
	*ret = c;
	return 0;
fail:
	initrd_check_done(&c);
	return r;
}

void initrd_check_done(struct initrd_check *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->images[i].kernel);
		free(c->images[i].path);
		strv_free(c->images[i].files);
		free(c->images[i].compression);
		free(c->images[i].summary);
		strv_free(c->images[i].problems);
	}
	free(c->images);
	free(c->esp);
	*c = (struct initrd_check){};
}

bool initrd_check_ok(const struct initrd_check *c)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->images[i].problems)
			return false;
	return true;
}

void initrd_check_text(const struct initrd_check *c, struct strbuf *out)
{
	if (c->esp)
		strbuf_printf(out, "Initramfs images (what systemd-boot's entries in %s boot):\n",
			      c->esp);
	else
		strbuf_puts(out, "Initramfs images (what GRUB's entries boot):\n");
	if (c->n == 0 && c->esp)
		strbuf_printf(out,
			      "  no entry in %s/loader/entries boots an initrd: nothing to "
			      "check\n",
			      c->esp);
	else if (c->n == 0)
		strbuf_puts(out, "  no /boot/vmlinuz-*: nothing to check\n");
	for (size_t i = 0; i < c->n; i++) {
		const struct initrd_image *im = &c->images[i];

		if (!im->problems) {
			strbuf_printf(out, "  ok   %s (%s, %s): %s\n", im->path,
				      initramfs_gen_to_string(im->generator), im->compression,
				      im->summary);
			continue;
		}
		strbuf_printf(out, "  FAIL %s\n", im->path);
		STRV_FOREACH (p, im->problems)
			strbuf_printf(out, "       %s\n", *p);
	}
}

void initrd_check_json(const struct initrd_check *c, struct json_writer *w, const char *key)
{
	json_array_begin(w, key);
	for (size_t i = 0; i < c->n; i++) {
		const struct initrd_image *im = &c->images[i];

		json_object_begin(w, NULL);
		json_string(w, "kernel", im->kernel);
		json_string(w, "image", im->path);
		if (im->compression)
			json_string(w, "generator", initramfs_gen_to_string(im->generator));
		else
			json_null(w, "generator");
		json_string(w, "compression", im->compression);
		json_bool(w, "ok", !im->problems);
		json_array_begin(w, "problems");
		STRV_FOREACH (p, im->problems)
			json_string(w, NULL, *p);
		json_array_end(w);
		json_string(w, "summary", im->summary);
		json_object_end(w);
	}
	json_array_end(w);
}
