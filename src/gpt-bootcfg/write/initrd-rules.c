/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What an image must hold for the claim to run before udev, by the generator that built it
 * (initrdcheck-internal.h): initramfs-tools' init-top script in ORDER before udev's, or
 * dracut's pre-udev hook (and, in a systemd initrd, the unit that runs it before
 * systemd-udevd); for both the claim binary, the claim list of /etc and the vfio-pci chain.
 */
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "basic/strv-util.h"
#include "claimproto/claimlist.h"
#include "claimproto/modload.h"
#include "write/initrdcheck-internal.h"

/* Compressed module names: the image holds what modules.dep names, maybe recompressed. */
static const char *const module_suffixes[] = {".ko", ".ko.xz", ".ko.zst", ".ko.gz"};

static const char *file_type_name(uint32_t mode)
{
	return S_ISDIR(mode) ? "a directory" : S_ISLNK(mode) ? "a dangling symlink" : "not a file";
}

/*
 * A regular, non-empty file of the image (symlinks followed), executable when exec is set,
 * or a problem about it.
 */
static int need_regular(struct initrd_image *im, const struct initramfs *img, const char *path,
			const char *what, bool exec)
{
	const struct initramfs_entry *e = initramfs_lookup(img, path, true);

	if (!e)
		return strv_addf(&im->problems, "no %s (%s)", what, path);
	if (!S_ISREG(e->mode))
		return strv_addf(&im->problems, "the %s %s is %s", what, path,
				 file_type_name(e->mode));
	if (exec && !(e->mode & 0111))
		return strv_addf(&im->problems, "the %s %s is not executable", what, path);
	if (e->size == 0)
		return strv_addf(&im->problems, "the %s %s is empty", what, path);
	return 0;
}

static int need_executable(struct initrd_image *im, const struct initramfs *img, const char *path,
			   const char *what)
{
	return need_regular(im, img, path, what, true);
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

static int need_file(struct initrd_image *im, const struct initramfs *img, const char *path,
		     const char *what)
{
	return need_regular(im, img, path, what, false);
}

/* Whether a unit file's text orders it before unit (a "Before=" line naming it). */
static bool unit_before(const char *text, const char *unit)
{
	for (const char *l = text; l && *l;) {
		const char *eol = strchrnul(l, '\n'), *v = startswith(l, "Before=");

		if (v) {
			_cleanup_free_ char *words = strndup(v, (size_t)(eol - v));
			char *save = NULL;

			if (!words)
				return false;
			for (char *w = strtok_r(words, " \t", &save); w;
			     w = strtok_r(NULL, " \t", &save))
				if (streq(w, unit))
					return true;
		}
		l = *eol ? eol + 1 : NULL;
	}
	return false;
}

/*
 * dracut sources the pre-udev hooks before udevd starts: its own /init does, and in a
 * systemd initrd (/init -> systemd) dracut-pre-udev.service, which initrd.target wants and
 * which is ordered before systemd-udevd.service (docs/boot-claim.md, "dracut").
 */
static int check_dracut_hook(struct initrd_image *im, const struct initramfs *img,
			     struct strbuf *summary)
{
	const struct initramfs_entry *init = initramfs_lookup(img, "/init", false), *unit, *want;
	int r;

	r = need_file(im, img, INITRD_DRACUT_HOOK, "pre-udev hook");
	if (r < 0 || !init || !S_ISLNK(init->mode) || !init->data ||
	    !endswith(init->data, "/systemd")) {
		strbuf_puts(summary, ", pre-udev hook");
		return r;
	}
	unit = initramfs_lookup(img, INITRD_DRACUT_UNIT, true);
	if (!unit)
		unit = initramfs_lookup(img, "/lib/systemd/system/dracut-pre-udev.service", true);
	want = initramfs_lookup(
	    img, "/etc/systemd/system/initrd.target.wants/dracut-pre-udev.service", false);
	if (!want)
		want = initramfs_lookup(
		    img, "/usr/lib/systemd/system/initrd.target.wants/dracut-pre-udev.service",
		    false);
	if (!unit || !S_ISREG(unit->mode))
		return strv_addf(
		    &im->problems,
		    "a systemd initrd without %s (dracut's dracut-systemd module): the "
		    "pre-udev hook never runs",
		    INITRD_DRACUT_UNIT);
	if (!want)
		return strv_addf(
		    &im->problems,
		    "initrd.target does not want dracut-pre-udev.service: the pre-udev "
		    "hook never runs");
	if (unit->data && !unit_before(unit->data, "systemd-udevd.service"))
		return strv_addf(&im->problems,
				 "%s is not ordered before systemd-udevd.service: host drivers may "
				 "take the devices first",
				 INITRD_DRACUT_UNIT);
	strbuf_puts(summary, ", pre-udev hook before systemd-udevd");
	return 0;
}

char *const initrd_wanted[] = {(char *)INITRD_CLAIM_LIST + 1, (char *)INITRD_ORDER + 1,
			       (char *)INITRD_DRACUT_UNIT + 1,
			       (char *)"lib/systemd/system/dracut-pre-udev.service", NULL};

int initrd_rules_check(struct path_cxt *pc, struct initrd_image *im, const struct initramfs *img,
		       const char *etc, size_t etc_size, bool have_etc)
{
	_cleanup_strbuf_ struct strbuf summary = STRBUF_INIT;
	int r;

	if (!have_etc) {
		if (initramfs_lookup(img, INITRD_CLAIM_LIST, true))
			return strv_addf(&im->problems,
					 "holds a claim list, but %s does not exist: the next "
					 "boot claims the devices of an earlier configuration",
					 INITRD_CLAIM_LIST);
		im->summary = strdup("no claim list, as in /etc: nothing is claimed");
		return im->summary ? 0 : -ENOMEM;
	}
	strbuf_puts(&summary, "claim binary");
	r = need_executable(im, img, INITRD_CLAIM_BIN, "claim binary");
	if (r >= 0 && im->generator == INITRAMFS_GEN_DRACUT)
		r = check_dracut_hook(im, img, &summary);
	else if (r >= 0) {
		r = need_executable(im, img, INITRD_INIT_TOP, "init-top script");
		if (r >= 0)
			r = check_order(im, img);
		strbuf_puts(&summary, ", init-top script before udev");
	}
	if (r >= 0)
		r = check_list(im, img, etc, etc_size);
	if (r < 0)
		return r;
	strbuf_puts(&summary, ", claim list");
	if (list_generation(etc, etc_size) > 0)
		strbuf_printf(&summary, " of generation %" PRIu64, list_generation(etc, etc_size));
	r = check_modules(pc, im, img, &summary);
	if (r < 0)
		return r;
	return strbuf_steal(&summary, &im->summary);
}
