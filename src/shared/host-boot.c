/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host model's boot stack (host.h, struct host_boot): which initramfs generator builds the
 * images and which boot loader starts the kernel, told from the root's files, and what
 * systemd-boot left in the EFI variables about this boot. docs/boot-claim.md and
 * docs/trial-boot.md say what each choice changes.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "basic/fd-util.h"
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "shared/host.h"
#include "shared/initramfs.h"

/* What each tool leaves in the root. The first found is named in the reason. */
static const char *const dracut_files[] = {"/usr/bin/dracut", "/usr/sbin/dracut", NULL};
static const char *const itools_files[] = {"/usr/sbin/mkinitramfs", "/usr/sbin/update-initramfs",
					   NULL};
static const char *const grub_files[] = {"/usr/sbin/update-grub",
					 "/usr/sbin/grub-mkconfig",
					 "/usr/sbin/grub2-mkconfig",
					 "/boot/grub/grub.cfg",
					 "/boot/grub2/grub.cfg",
					 "/etc/default/grub",
					 NULL};
/* Where the ESP (or XBOOTLDR) with systemd-boot's loader.conf is mounted, in bootctl's order. */
static const char *const esp_dirs[] = {"/efi", "/boot/efi", "/boot", NULL};

const char *boot_loader_to_string(enum boot_loader l)
{
	return l == BOOT_LOADER_SYSTEMD_BOOT ? "systemd-boot" : "grub";
}

/* The first of files that exists below the root: 1 and its name, 0 when none. */
static int first_existing(struct path_cxt *pc, const char *const *files, const char **ret)
{
	for (const char *const *f = files; *f; f++) {
		int r = path_exists(pc, "%s", *f);

		if (r < 0 && r != -ENOTDIR && r != -EACCES)
			return r;
		if (r > 0) {
			*ret = *f;
			return 1;
		}
	}
	*ret = NULL;
	return 0;
}

int host_efi_var(struct path_cxt *pc, const char *name, char **ret)
{
	_cleanup_free_ char *raw = NULL;
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	size_t size = 0;
	int r;

	r = path_read_full(pc, &raw, &size, "/sys/firmware/efi/efivars/%s-" SYSTEMD_EFI_VENDOR,
			   name);
	if (r < 0)
		return r;
	/* Four bytes of attributes, then UTF-16LE up to a NUL; only ASCII is kept as it is. */
	for (size_t i = 4; i + 1 < size; i += 2) {
		unsigned c = (unsigned char)raw[i] | (unsigned)(unsigned char)raw[i + 1] << 8;

		if (c == 0)
			break;
		strbuf_putc(&sb, c >= 0x20 && c < 0x7f ? (char)c : '?');
	}
	if (!strbuf_str(&sb))
		return -ENOMEM;
	return strbuf_steal(&sb, ret);
}

/* Which generator built a kernel's image: the image's own tree (initramfs.h). */
static int image_generator(struct path_cxt *pc, const char *kver, enum initramfs_gen *ret_gen,
			   char **ret_image)
{
	static const char *const names[] = {"/boot/initrd.img-%s", "/boot/initramfs-%s.img"};

	*ret_gen = INITRAMFS_GEN_UNKNOWN;
	*ret_image = NULL;
	for (size_t i = 0; kver && i < ARRAY_SIZE(names); i++) {
		_cleanup_(initramfs_freep) struct initramfs *img = NULL;
		_cleanup_free_ char *path = NULL;
		_cleanup_close_ int fd = -1;
		struct stat st;
		void *map;
		int r;

		if (asprintf(&path, names[i], kver) < 0)
			return -ENOMEM;
		fd = path_open_regular(pc, 0, "%s", path);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
			continue;
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED)
			continue;
		r = initramfs_parse(map, (size_t)st.st_size, NULL, 0, &img, NULL);
		munmap(map, (size_t)st.st_size);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			continue;
		*ret_gen = initramfs_generator(img);
		*ret_image = TAKE_PTR(path);
		return 0;
	}
	return 0;
}

static int detect_initramfs(struct path_cxt *pc, const char *kver, struct host_boot *b)
{
	_cleanup_free_ char *image = NULL;
	const char *dracut, *itools;
	enum initramfs_gen built;
	int r;

	r = first_existing(pc, dracut_files, &dracut);
	if (r >= 0)
		r = first_existing(pc, itools_files, &itools);
	if (r < 0)
		return r;
	if (dracut && !itools) {
		b->initramfs = INITRAMFS_GEN_DRACUT;
		r = asprintf(&b->initramfs_why, "%s is installed; initramfs-tools is not: no %s",
			     dracut, itools_files[0]);
	} else if (itools && !dracut) {
		b->initramfs = INITRAMFS_GEN_TOOLS;
		r = asprintf(&b->initramfs_why, "%s is installed; dracut is not: no %s", itools,
			     dracut_files[0]);
	} else if (!itools) {
		b->initramfs = INITRAMFS_GEN_TOOLS;
		r = asprintf(&b->initramfs_why, "assumed: neither %s nor %s is installed",
			     itools_files[0], dracut_files[0]);
	} else {
		/* Both: the one that built the running kernel's image builds the next one too. */
		r = image_generator(pc, kver, &built, &image);
		if (r < 0)
			return r;
		b->initramfs =
		    built == INITRAMFS_GEN_DRACUT ? INITRAMFS_GEN_DRACUT : INITRAMFS_GEN_TOOLS;
		if (built != INITRAMFS_GEN_UNKNOWN)
			r = asprintf(&b->initramfs_why,
				     "both %s and %s are installed; %s (the running kernel's) was "
				     "built by %s",
				     itools, dracut, image, initramfs_gen_to_string(built));
		else
			r = asprintf(&b->initramfs_why,
				     "both %s and %s are installed, and no image of the running "
				     "kernel %s tells which built it: initramfs-tools assumed",
				     itools, dracut, strna(kver));
	}
	if (r < 0) {
		b->initramfs_why = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int detect_loader(struct path_cxt *pc, struct host_boot *b)
{
	const char *grub, *esp = NULL;
	int r;

	r = first_existing(pc, grub_files, &grub);
	if (r < 0)
		return r;
	for (const char *const *d = esp_dirs; *d && !esp; d++) {
		r = path_exists(pc, "%s/loader/loader.conf", *d);
		if (r < 0 && r != -ENOTDIR && r != -EACCES)
			return r;
		if (r > 0)
			esp = *d;
	}
	if (esp) {
		b->esp = strdup(esp);
		if (!b->esp)
			return -ENOMEM;
	}
	r = path_exists(pc, KERNEL_CMDLINE_PATH);
	if (r < 0 && r != -ENOTDIR && r != -EACCES)
		return r;
	b->kernel_cmdline = r > 0;
	r = host_efi_var(pc, "LoaderInfo", &b->loader_info);
	if (r < 0 && r != -ENOMEM)
		b->loader_info = NULL;
	else if (r < 0)
		return r;
	r = host_efi_var(pc, "LoaderEntrySelected", &b->loader_entry);
	if (r < 0 && r != -ENOMEM)
		b->loader_entry = NULL;
	else if (r < 0)
		return r;

	if (esp && !grub) {
		b->loader = BOOT_LOADER_SYSTEMD_BOOT;
		r = asprintf(&b->loader_why, "%s/loader/loader.conf is there%s; GRUB is not: no %s",
			     esp,
			     b->kernel_cmdline ? " and " KERNEL_CMDLINE_PATH " holds the "
						 "kernel parameters"
					       : "",
			     "/etc/default/grub, update-grub or grub.cfg");
	} else if (grub && !esp) {
		b->loader = BOOT_LOADER_GRUB;
		r = asprintf(&b->loader_why,
			     "%s is there; systemd-boot is not: no loader/loader.conf on /efi, "
			     "/boot/efi or /boot",
			     grub);
	} else if (!grub) {
		b->loader = BOOT_LOADER_GRUB;
		r = asprintf(&b->loader_why,
			     "assumed: neither GRUB (/etc/default/grub, update-grub) nor "
			     "systemd-boot (loader/loader.conf on /efi, /boot/efi or /boot) is "
			     "there");
	} else if (b->loader_info && startswith(b->loader_info, "systemd-boot")) {
		/* Both: what started this boot is what the next one starts. */
		b->loader = BOOT_LOADER_SYSTEMD_BOOT;
		r = asprintf(&b->loader_why,
			     "both GRUB (%s) and systemd-boot (%s/loader/loader.conf) are there; "
			     "this boot was started by %s (the LoaderInfo EFI variable)",
			     grub, esp, b->loader_info);
	} else {
		b->loader = BOOT_LOADER_GRUB;
		r = asprintf(&b->loader_why,
			     "both GRUB (%s) and systemd-boot (%s/loader/loader.conf) are there; "
			     "systemd-boot did not start this boot (%s%s)",
			     grub, esp, b->loader_info ? "LoaderInfo says " : "",
			     b->loader_info ? b->loader_info : "no LoaderInfo EFI variable");
	}
	if (r < 0) {
		b->loader_why = NULL;
		return -ENOMEM;
	}
	return 0;
}

int host_boot_detect(struct path_cxt *pc, const char *kernel_release, struct host_boot *ret)
{
	struct host_boot b = {};
	int r;

	r = detect_initramfs(pc, kernel_release, &b);
	if (r >= 0)
		r = detect_loader(pc, &b);
	if (r < 0) {
		host_boot_done(&b);
		return r;
	}
	*ret = b;
	return 0;
}

void host_boot_done(struct host_boot *b)
{
	free(b->initramfs_why);
	free(b->loader_why);
	free(b->esp);
	free(b->loader_info);
	free(b->loader_entry);
	*b = (struct host_boot){};
}
