/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "basic/strv-util.h"
#include "claimproto/claimlist.h"
#include "claimproto/modload.h"
#include "shared/initramfs.h"
#include "write/initrdcheck.h"

/* Compressed module names: the image holds what modules.dep names, maybe recompressed. */
static const char *const module_suffixes[] = {".ko", ".ko.xz", ".ko.zst", ".ko.gz"};

/* grub.d/10_linux's grub_file_is_not_garbage(). */
static bool grub_lists(const char *name)
{
	size_t l = strlen(name);

	if (strstr(name, ".dpkg-"))
		return false;
	return !(l >= 8 && (streq(name + l - 8, ".rpmsave") || streq(name + l - 7, ".rpmnew")));
}

static const char *file_type_name(uint32_t mode)
{
	return S_ISDIR(mode) ? "a directory" : S_ISLNK(mode) ? "a dangling symlink" : "not a file";
}

/* A regular, executable file of the image (symlinks followed), or a problem about it. */
static int need_executable(struct initrd_image *im, const struct initramfs *img, const char *path,
			   const char *what)
{
	const struct initramfs_entry *e = initramfs_lookup(img, path, true);

	if (!e)
		return strv_addf(&im->problems, "no %s (%s)", what, path);
	if (!S_ISREG(e->mode))
		return strv_addf(&im->problems, "the %s %s is %s", what, path,
				 file_type_name(e->mode));
	if (!(e->mode & 0111))
		return strv_addf(&im->problems, "the %s %s is not executable", what, path);
	if (e->size == 0)
		return strv_addf(&im->problems, "the %s %s is empty", what, path);
	return 0;
}

/*
 * ORDER is a shell fragment mkinitramfs writes, one '/scripts/init-top/NAME "$@"' line per
 * script in the order they run (docs/boot-claim.md, "Running before udev"). Returns the
 * 1-based position of name among them, 0 when absent.
 */
static unsigned order_position(const char *order, const char *name)
{
	unsigned n = 0;

	for (const char *line = order; line && *line;) {
		const char *eol = strchrnul(line, '\n');
		const char *s = line + strspn(line, " \t");
		const char *script = startswith(s, "/scripts/init-top/");

		if (script) {
			size_t l = strcspn(script, " \t\n");

			n++;
			if (l == strlen(name) && strncmp(script, name, l) == 0)
				return n;
		}
		line = *eol ? eol + 1 : NULL;
	}
	return 0;
}

static int check_order(struct initrd_image *im, const struct initramfs *img)
{
	const struct initramfs_entry *e = initramfs_lookup(img, INITRD_ORDER, true);
	unsigned ours, udev;

	if (!e || !S_ISREG(e->mode) || !e->data)
		return strv_addf(&im->problems, "no %s: the init-top script may run after udev",
				 INITRD_ORDER);
	ours = order_position(e->data, "gpt-bootcfg");
	udev = order_position(e->data, "udev");
	if (ours == 0)
		return strv_addf(&im->problems, "%s does not run the init-top script gpt-bootcfg",
				 INITRD_ORDER);
	if (udev > 0 && udev < ours)
		return strv_addf(&im->problems,
				 "%s runs gpt-bootcfg after udev: host drivers may take the "
				 "devices first",
				 INITRD_ORDER);
	return 0;
}

/* "generation 7" of a list, or 0 when it has none or does not parse. */
static uint64_t list_generation(const char *buf, size_t size)
{
	struct claim_list l = CLAIM_LIST_INIT;
	uint64_t g = 0;

	if (claim_list_parse(buf, size, &l, NULL, NULL) >= 0 && l.has_generation)
		g = l.generation;
	claim_list_done(&l);
	return g;
}

static int check_list(struct initrd_image *im, const struct initramfs *img, const char *etc,
		      size_t etc_size)
{
	const struct initramfs_entry *e = initramfs_lookup(img, INITRD_CLAIM_LIST, true);
	uint64_t gi, ge;

	if (!e)
		return strv_addf(&im->problems, "no claim list (%s)", INITRD_CLAIM_LIST);
	if (e->data && e->size == etc_size && memcmp(e->data, etc, etc_size) == 0)
		return 0;
	gi = e->data ? list_generation(e->data, (size_t)e->size) : 0;
	ge = list_generation(etc, etc_size);
	if (gi != ge)
		return strv_addf(&im->problems,
				 "stale claim list: generation %" PRIu64 " in the image, %" PRIu64
				 " in %s",
				 gi, ge, INITRD_CLAIM_LIST);
	return strv_addf(&im->problems, "the claim list differs from %s", INITRD_CLAIM_LIST);
}

/* The module rel (relative to /lib/modules/KVER) in the image, under any compression. */
static bool image_has_module(const struct initramfs *img, const char *kver, const char *rel)
{
	_cleanup_free_ char *base = NULL;
	char *ko;

	base = strdup(rel);
	if (!base)
		return false;
	ko = strstr(base, ".ko");
	if (ko)
		*ko = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(module_suffixes); i++) {
		_cleanup_free_ char *p = NULL;
		const struct initramfs_entry *e;

		if (asprintf(&p, "/lib/modules/%s/%s%s", kver, base, module_suffixes[i]) < 0)
			return false;
		e = initramfs_lookup(img, p, true);
		if (e && S_ISREG(e->mode) && e->size > 0)
			return true;
	}
	return false;
}

/* Whether modules.builtin of the kernel lists the module. */
static int builtin(struct path_cxt *pc, const char *kver, const char *module)
{
	_cleanup_free_ char *list = NULL;
	char want[64], have[64];
	int r;

	r = path_read_full(pc, &list, NULL, "/lib/modules/%s/modules.builtin", kver);
	if (r < 0)
		return r;
	modload_name(module, want, sizeof(want));
	for (char *line = list, *eol; line && *line; line = eol ? eol + 1 : NULL) {
		eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		modload_name(line, have, sizeof(have));
		if (streq(have, want))
			return 1;
	}
	return 0;
}

/* The vfio-pci chain as the claim binary loads it (modload_resolve()). */
static int check_modules(struct path_cxt *pc, struct initrd_image *im, const struct initramfs *img,
			 struct strbuf *summary)
{
	_cleanup_strv_free_ char **order = NULL, **missing = NULL;
	_cleanup_free_ char *joined = NULL;
	int r;

	r = modload_resolve(pc, im->kernel, "vfio-pci", &order);
	if (r == -ENOENT || r == -ENOTDIR) {
		r = builtin(pc, im->kernel, "vfio-pci");
		if (r > 0) {
			strbuf_puts(summary, ", vfio-pci built into the kernel");
			return 0;
		}
		if (path_exists(pc, "/lib/modules/%s/modules.dep", im->kernel) <= 0)
			return strv_addf(&im->problems,
					 "no /lib/modules/%s/modules.dep: the vfio-pci modules "
					 "cannot be resolved (depmod %s)",
					 im->kernel, im->kernel);
		return strv_addf(&im->problems,
				 "kernel %s has vfio-pci neither as a module (modules.dep) "
				 "nor built in (modules.builtin)",
				 im->kernel);
	}
	if (r < 0)
		return strv_addf(&im->problems, "cannot read /lib/modules/%s/modules.dep: %s",
				 im->kernel, strerror(-r));
	STRV_FOREACH (m, order)
		if (!image_has_module(img, im->kernel, *m)) {
			char name[64];

			modload_name(*m, name, sizeof(name));
			r = strv_add(&missing, name);
			if (r < 0)
				return r;
		}
	if (missing) {
		joined = strv_join(missing, ", ");
		if (!joined)
			return -ENOMEM;
		return strv_addf(&im->problems,
				 "vfio-pci cannot be loaded: no %s in /lib/modules/%s", joined,
				 im->kernel);
	}
	strbuf_printf(summary, ", vfio-pci with %zu module%s", strv_length(order),
		      strv_length(order) == 1 ? "" : "s");
	return 0;
}

/* Read one image and check it; problems go to im. */
static int check_image(struct path_cxt *pc, struct initrd_image *im, const char *etc,
		       size_t etc_size, bool have_etc)
{
	static char *const want[] = {(char *)INITRD_CLAIM_LIST + 1, (char *)INITRD_ORDER + 1, NULL};
	_cleanup_(initramfs_freep) struct initramfs *img = NULL;
	_cleanup_strbuf_ struct strbuf summary = STRBUF_INIT;
	_cleanup_free_ char *err = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	void *map = NULL;
	int r;

	fd = path_open(pc, O_RDONLY, 0, "%s", im->path);
	if (fd == -ENOENT)
		return strv_addf(&im->problems, "does not exist: kernel %s boots without the claim",
				 im->kernel);
	if (fd < 0)
		return strv_addf(&im->problems, "cannot be opened: %s", strerror(-fd));
	if (fstat(fd, &st) < 0)
		return strv_addf(&im->problems, "cannot be read: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return strv_addf(&im->problems, "is not a regular file");
	if (st.st_size > 0) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED)
			return strv_addf(&im->problems, "cannot be read: %s", strerror(errno));
	}
	r = initramfs_parse(map, (size_t)st.st_size, want, 0, &img, &err);
	if (map)
		munmap(map, (size_t)st.st_size);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return strv_addf(&im->problems, "cannot be read: %s", err ? err : strerror(-r));
	im->compression = strdup(img->compressions);
	if (!im->compression)
		return -ENOMEM;

	if (!have_etc) {
		if (initramfs_lookup(img, INITRD_CLAIM_LIST, true))
			return strv_addf(&im->problems,
					 "holds a claim list, but %s does not exist: the next "
					 "boot claims the devices of an earlier configuration",
					 INITRD_CLAIM_LIST);
		im->summary = strdup("no claim list, as in /etc: nothing is claimed");
		return im->summary ? 0 : -ENOMEM;
	}
	r = need_executable(im, img, INITRD_CLAIM_BIN, "claim binary");
	if (r >= 0)
		r = need_executable(im, img, INITRD_INIT_TOP, "init-top script");
	if (r >= 0)
		r = check_order(im, img);
	if (r >= 0)
		r = check_list(im, img, etc, etc_size);
	if (r < 0)
		return r;
	strbuf_printf(&summary, "claim binary, init-top script before udev, claim list");
	if (list_generation(etc, etc_size) > 0)
		strbuf_printf(&summary, " of generation %" PRIu64, list_generation(etc, etc_size));
	r = check_modules(pc, im, img, &summary);
	if (r < 0)
		return r;
	return strbuf_steal(&summary, &im->summary);
}

int initrd_check(struct path_cxt *pc, struct initrd_check *ret)
{
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_free_ char *etc = NULL;
	struct initrd_check c = {};
	size_t etc_size = 0;
	bool have_etc;
	int r;

	r = path_list_dir(pc, &names, "/boot");
	if (r < 0 && r != -ENOENT)
		return r;
	r = path_read_full(pc, &etc, &etc_size, INITRD_CLAIM_LIST);
	if (r < 0 && r != -ENOENT)
		return r;
	have_etc = r >= 0;
	r = 0;

	c.images = calloc(strv_length(names) + 1, sizeof(*c.images));
	if (!c.images)
		return -ENOMEM;
	STRV_FOREACH (n, names) {
		const char *kver = startswith(*n, "vmlinuz-");
		struct initrd_image *im = &c.images[c.n];
		struct stat st;

		if (!kver || !*kver || !grub_lists(*n) || path_stat(pc, &st, "/boot/%s", *n) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		c.n++;
		im->kernel = strdup(kver);
		if (!im->kernel || asprintf(&im->path, "/boot/initrd.img-%s", kver) < 0) {
			im->path = NULL;
			r = -ENOMEM;
			break;
		}
		r = check_image(pc, im, etc, etc_size, have_etc);
		if (r < 0)
			break;
	}
	if (r < 0) {
		initrd_check_done(&c);
		return r;
	}
	*ret = c;
	return 0;
}

void initrd_check_done(struct initrd_check *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->images[i].kernel);
		free(c->images[i].path);
		free(c->images[i].compression);
		free(c->images[i].summary);
		strv_free(c->images[i].problems);
	}
	free(c->images);
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
	strbuf_puts(out, "Initramfs images (what GRUB's entries boot):\n");
	if (c->n == 0)
		strbuf_puts(out, "  no /boot/vmlinuz-*: nothing to check\n");
	for (size_t i = 0; i < c->n; i++) {
		const struct initrd_image *im = &c->images[i];

		if (!im->problems) {
			strbuf_printf(out, "  ok   %s (%s): %s\n", im->path, im->compression,
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
