/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rebuild commands (gen.h, gen_rebuild()), for the generator and the boot loader the
 * host uses (host.h, struct host_boot):
 *   initramfs-tools  update-initramfs -u -k all
 *   dracut           dracut --force IMAGE VERSION, for each kernel in /boot: the image its
 *                    boot entries name (boot_kernel_image()), never dracut's own default
 *                    path, which on a systemd-boot host is the ESP's copy
 *   GRUB             update-grub (grub-mkconfig -o /boot/grub/grub.cfg where there is no
 *                    update-grub)
 *   systemd-boot     kernel-install add VERSION /boot/vmlinuz-VERSION IMAGE, for each kernel:
 *                    the entries take /etc/kernel/cmdline, and the ESP gets the new images
 *                    (so a new image alone needs it too)
 */
#include <stdio.h>
#include <sys/wait.h>

#include "basic/log.h"
#include "basic/spawn-util.h"
#include "basic/strv-util.h"
#include "shared/bootentry.h"
#include "write/gen.h"

/* Run argv, output shown; 0 on exit status 0, -EIO otherwise. */
static int run(char *const argv[])
{
	_cleanup_free_ char *cmd = strv_join(argv, " ");
	int status, r;

	log_info("Running: %s", cmd ? cmd : argv[0]);
	fflush(stdout);
	r = spawn_run_status(argv, &status);
	if (r < 0)
		return log_error_errno(r, "Failed to execute %s: %m", argv[0]);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_error("%s failed (%s %d).", cmd ? cmd : argv[0],
			  WIFEXITED(status) ? "exit status" : "signal",
			  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -EIO;
	}
	return 0;
}

/* One command a line: words separated by blanks (no word holds one: paths and versions). */
static int add_cmd(char ***cmds, const char *words)
{
	return strv_add(cmds, words);
}

/* The commands for what (enum managed_rebuild), in order. */
static int commands(struct path_cxt *pc, const struct host_boot *b, unsigned what,
		    char ***ret_initramfs, char ***ret_entries)
{
	_cleanup_strv_free_ char **kernels = NULL, **ini = NULL, **ent = NULL;
	bool sdboot = b->loader == BOOT_LOADER_SYSTEMD_BOOT && b->esp;
	int r;

	r = boot_kernels(pc, &kernels);
	if (r < 0)
		return r;
	if ((what & MANAGED_REBUILD_INITRAMFS) && b->initramfs == INITRAMFS_GEN_DRACUT)
		STRV_FOREACH (k, kernels) {
			_cleanup_free_ char *image = NULL;

			r = boot_kernel_image(pc, *k, &image);
			if (r >= 0)
				r = strv_addf(&ini, "dracut --force %s %s", image, *k);
			if (r < 0)
				return r;
		}
	else if (what & MANAGED_REBUILD_INITRAMFS) {
		r = add_cmd(&ini, "update-initramfs -u -k all");
		if (r < 0)
			return r;
	}
	if (sdboot && (what & (MANAGED_REBUILD_INITRAMFS | MANAGED_REBUILD_GRUB)))
		STRV_FOREACH (k, kernels) {
			_cleanup_free_ char *image = NULL;

			r = boot_kernel_image(pc, *k, &image);
			if (r >= 0)
				r = strv_addf(
				    &ent, "kernel-install add %s /boot/vmlinuz-%s%s%s", *k, *k,
				    (what & MANAGED_REBUILD_INITRAMFS) || r > 0 ? " " : "",
				    (what & MANAGED_REBUILD_INITRAMFS) || r > 0 ? image : "");
			if (r < 0)
				return r;
		}
	else if (what & MANAGED_REBUILD_GRUB) {
		/* The distro's tool when it has one; grub-mkconfig is what update-grub wraps. */
		bool mkconfig = path_exists(pc, "/usr/sbin/update-grub") <= 0 &&
				path_exists(pc, "/usr/sbin/grub-mkconfig") > 0;

		r = add_cmd(&ent,
			    mkconfig ? "grub-mkconfig -o /boot/grub/grub.cfg" : "update-grub");
		if (r < 0)
			return r;
	}
	*ret_initramfs = TAKE_PTR(ini);
	*ret_entries = TAKE_PTR(ent);
	return 0;
}

/* A command line as argv, "chroot ROOT" first under another root. */
static int argv_of(const char *line, const char *chroot_root, char ***ret)
{
	_cleanup_strv_free_ char **argv = NULL;
	_cleanup_free_ char *copy = strdup(line);
	char *save = NULL;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	if (chroot_root) {
		r = strv_add(&argv, "chroot");
		if (r >= 0)
			r = strv_add(&argv, chroot_root);
	}
	for (char *w = strtok_r(copy, " ", &save); w && r >= 0; w = strtok_r(NULL, " ", &save))
		r = strv_add(&argv, w);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(argv);
	return 0;
}

int gen_rebuild(struct cli *cli, unsigned what, bool no_rebuild)
{
	_cleanup_strv_free_ char **ini = NULL, **ent = NULL;
	_cleanup_free_ char *release = NULL;
	char **lists[2];
	const char *root = path_cxt_root(cli->pc), *tool;
	bool host = path_cxt_is_host(cli->pc), full;
	struct host_boot b;
	int r, rebuilt = 0;

	if (what == MANAGED_REBUILD_NONE)
		return 0;
	(void)path_read_string(cli->pc, &release, "/proc/sys/kernel/osrelease");
	r = host_boot_detect(cli->pc, release, &b);
	if (r < 0)
		return log_error_errno(r, "Failed to find the boot loader below '%s': %m", root);
	r = commands(cli->pc, &b, what, &ini, &ent);
	/* A root is a full system when it has the generator to run (and what it needs). */
	if (b.initramfs == INITRAMFS_GEN_DRACUT) {
		tool = "/usr/bin/dracut";
		full = path_exists(cli->pc, "/usr/bin/dracut") > 0 &&
		       path_exists(cli->pc, "/usr/lib/dracut/dracut-functions.sh") > 0;
	} else {
		tool = "/usr/sbin/update-initramfs";
		full = path_exists(cli->pc, "%s", tool) > 0;
	}
	host_boot_done(&b);
	if (r < 0)
		return log_error_errno(r, "Failed to list the kernels below '%s': %m", root);
	lists[0] = ini;
	lists[1] = ent;

	if (no_rebuild || (!host && !full)) {
		if (no_rebuild)
			log_notice(
			    "Skipping the rebuild (--no-rebuild). Run these before rebooting:");
		else
			log_notice("Rebuild skipped: %s is not a full system (no %s there). Run "
				   "these before booting it:",
				   root, tool);
		for (size_t l = 0; l < ARRAY_SIZE(lists); l++)
			STRV_FOREACH (c, lists[l])
				printf("  %s%s%s%s\n", host ? "" : "chroot ", host ? "" : root,
				       host ? "" : " ", *c);
		fflush(stdout);
		return 0;
	}

	/* The images first, then the boot loader's entries that copy or name them. */
	for (size_t l = 0; l < ARRAY_SIZE(lists); l++)
		STRV_FOREACH (c, lists[l]) {
			_cleanup_strv_free_ char **argv = NULL;

			r = argv_of(*c, host ? NULL : root, &argv);
			if (r < 0)
				return log_oom();
			r = run(argv);
			if (r < 0)
				return r;
			if (lists[l] == ini)
				rebuilt = 1;
		}
	return rebuilt;
}
