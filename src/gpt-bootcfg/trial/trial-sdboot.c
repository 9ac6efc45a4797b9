/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * systemd-boot's side of a trial (trial.h): our loader entry on the ESP, LoaderEntryOneShot,
 * and kernel-install, which regenerates the default entries from /etc/kernel/cmdline.
 *
 * LoaderEntryOneShot is read and removed by systemd-boot before it boots the entry, so a
 * trial that hangs or panics is never booted twice: the next boot is the default entry's, and
 * a one-shot that is gone while our entry is still there tells that boot the trial was tried.
 *
 * The trial entry has no boot counter ("+1") in its name, though systemd-boot's boot counting
 * would say the same. systemd-boot matches the one-shot against an entry's id, and before
 * version 258 (systemd PR #38897) the id of "NAME+1.conf" is the whole file name, counter
 * included, while bootctl and later loaders say "NAME.conf". A one-shot of either spelling
 * misses on one side, and the missed one-shot is removed all the same: the trial is never
 * booted (Debian 12's 252 did exactly that). Without a counter both spellings are one.
 * The health check (trial-check.c) decides the trial from the booted command line either way.
 */
#include <stdio.h>
#include <sys/stat.h>

#include "basic/fileio.h"
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "shared/bootentry.h"
#include "trial/trial.h"

#define ONESHOT_VAR "LoaderEntryOneShot"

/* The options of an entry without any gpt_bootcfg.generation= (the trial carries its own). */
static int options_without_generation(const char *options, struct strbuf *out)
{
	_cleanup_free_ char *copy = strdup(options ? options : "");
	char *save = NULL;
	bool first = true;

	if (!copy)
		return -ENOMEM;
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (startswith(w, "gpt_bootcfg.generation=") || startswith(w, "gpt_bootcfg.trial="))
			continue;
		strbuf_printf(out, "%s%s", first ? "" : " ", w);
		first = false;
	}
	return 0;
}

static bool is_ours(const struct boot_entry *e)
{
	return streq(e->id, SDBOOT_TRIAL_ID);
}

/* The entry kernel-install made for the newest kernel (version order), not ours. */
static const struct boot_entry *newest_entry(const struct boot_entry *e, size_t n,
					     char *const *kernels)
{
	const struct boot_entry *best = NULL;
	_cleanup_free_ char *best_k = NULL;

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *k = boot_entry_kernel(&e[i]);

		if (!k || is_ours(&e[i]) || !e[i].linux_path || !strv_contains(kernels, k))
			continue;
		if (best && strverscmp(k, best_k) <= 0)
			continue;
		best = &e[i];
		free(best_k);
		best_k = TAKE_PTR(k);
	}
	return best;
}

/* LoaderEntryOneShot as efivarfs holds it: attributes, then UTF-16LE with its NUL. */
static int write_oneshot_file(struct path_cxt *pc, const char *value)
{
	_cleanup_free_ char *buf = NULL;
	size_t n = strlen(value), size = 4 + 2 * (n + 1);

	buf = calloc(1, size);
	if (!buf)
		return -ENOMEM;
	/* EFI_VARIABLE_NON_VOLATILE | BOOTSERVICE_ACCESS | RUNTIME_ACCESS */
	buf[0] = 0x07;
	for (size_t i = 0; i < n; i++)
		buf[4 + 2 * i] = value[i];
	return path_write_atomic(
	    pc, "/sys/firmware/efi/efivars/" ONESHOT_VAR "-" SYSTEMD_EFI_VENDOR, buf, size, 0644);
}

static int set_oneshot(struct path_cxt *pc, const char *id)
{
	int r;

	if (path_cxt_is_host(pc)) {
		/* bootctl knows efivarfs' ways (the immutable flag, the attributes). */
		r = trial_run((char *const[]){"bootctl", "set-oneshot", (char *)id, NULL});
		if (r < 0)
			return r;
		return r == 0 ? 0 : -EIO;
	}
	r = path_exists(pc, "/sys/firmware/efi/efivars");
	if (r <= 0)
		return r;
	return write_oneshot_file(pc, id);
}

static int clear_oneshot(struct path_cxt *pc)
{
	_cleanup_free_ char *v = NULL;
	int r;

	r = host_efi_var(pc, ONESHOT_VAR, &v);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (!streq(v, SDBOOT_TRIAL_ID))
		return 0;
	if (path_cxt_is_host(pc)) {
		/* An empty id removes the variable. */
		r = trial_run((char *const[]){"bootctl", "set-oneshot", "", NULL});
		if (r < 0)
			return r;
		return r == 0 ? 1 : -EIO;
	}
	r = path_unlink_durable(pc,
				"/sys/firmware/efi/efivars/" ONESHOT_VAR "-" SYSTEMD_EFI_VENDOR);
	return r < 0 && r != -ENOENT ? r : 1;
}

int trial_sdboot_clear(struct path_cxt *pc, const char *esp)
{
	struct boot_entry *e = NULL;
	size_t n = 0;
	int r, removed = 0;

	r = boot_entries_load(pc, esp, &e, &n);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		_cleanup_free_ char *path = NULL;

		if (!is_ours(&e[i]))
			continue;
		if (asprintf(&path, "%s/loader/entries/%s", esp, e[i].file) < 0) {
			path = NULL;
			r = -ENOMEM;
			break;
		}
		r = path_unlink_durable(pc, path);
		if (r == -ENOENT)
			r = 0;
		else if (r >= 0)
			removed = 1;
	}
	boot_entries_free(e, n);
	if (r < 0)
		return r;
	r = clear_oneshot(pc);
	return r < 0 ? r : (removed || r > 0);
}

int trial_sdboot_arm(struct path_cxt *pc, const char *esp, const char *cmdline)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	_cleanup_strv_free_ char **kernels = NULL;
	_cleanup_free_ char *kver = NULL;
	const struct boot_entry *d;
	struct boot_entry *e = NULL;
	size_t n = 0;
	int r;

	r = trial_sdboot_clear(pc, esp);
	if (r >= 0)
		r = boot_kernels(pc, &kernels);
	if (r >= 0)
		r = boot_entries_load(pc, esp, &e, &n);
	if (r < 0)
		return r;
	d = newest_entry(e, n, kernels);
	if (!d) {
		boot_entries_free(e, n);
		return -ENOENT;
	}
	kver = boot_entry_kernel(d);
	strbuf_puts(&sb,
		    "# Written by gpt-bootcfg apply --trial (docs/trial-boot.md): booted once\n"
		    "# through LoaderEntryOneShot, removed when the trial is decided.\n");
	strbuf_printf(&sb, "title      gpt-bootcfg trial (%s)\n", d->title ? d->title : "Linux");
	strbuf_printf(&sb, "version    %s\n", kver ? kver : "");
	if (d->machine_id)
		strbuf_printf(&sb, "machine-id %s\n", d->machine_id);
	/* Sorted after every distribution's entry: never the default by order. */
	strbuf_puts(&sb, "sort-key   zzz-gpt-bootcfg-trial\noptions    ");
	r = options_without_generation(d->options, &sb);
	strbuf_printf(&sb, "%s%s\n", d->options && *d->options ? " " : "", cmdline);
	strbuf_printf(&sb, "linux      %s\n", d->linux_path);
	STRV_FOREACH (i, d->initrds)
		strbuf_printf(&sb, "initrd     %s\n", *i);
	boot_entries_free(e, n);
	if (r < 0 || !strbuf_str(&sb))
		return -ENOMEM;
	{
		_cleanup_free_ char *path = NULL;

		if (asprintf(&path, "%s/loader/entries/" SDBOOT_TRIAL_ID, esp) < 0)
			return -ENOMEM;
		r = path_write_atomic(pc, path, sb.buf, sb.len, 0644);
		if (r < 0)
			return r;
	}
	return set_oneshot(pc, SDBOOT_TRIAL_ID);
}

int trial_sdboot_entry_present(struct path_cxt *pc, const char *esp)
{
	struct boot_entry *e = NULL;
	size_t n = 0;
	int r, found = 0;

	r = boot_entries_load(pc, esp, &e, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && !found; i++)
		found = is_ours(&e[i]);
	boot_entries_free(e, n);
	return found;
}

int trial_kernel_install_all(struct path_cxt *pc)
{
	const char *cmd = getenv("GPT_BOOTCFG_KERNEL_INSTALL");
	_cleanup_strv_free_ char **kernels = NULL;
	bool host = path_cxt_is_host(pc);
	int r;

	if (!host && (!cmd || !*cmd))
		return 0;
	r = boot_kernels(pc, &kernels);
	if (r < 0)
		return r;
	STRV_FOREACH (k, kernels) {
		_cleanup_free_ char *kernel = NULL, *image = NULL;

		if (asprintf(&kernel, "/boot/vmlinuz-%s", *k) < 0)
			return -ENOMEM;
		r = boot_kernel_image(pc, *k, &image);
		if (r < 0)
			return r;
		if (host)
			r = trial_run((char *const[]){"kernel-install", "add", *k, kernel,
						      r > 0 ? image : NULL, NULL});
		else
			r = trial_run((char *const[]){(char *)cmd, (char *)path_cxt_root(pc), "add",
						      *k, kernel, r > 0 ? image : NULL, NULL});
		if (r < 0)
			return r;
		if (r != 0)
			return -EIO;
	}
	return 1;
}

int trial_update_entries(struct path_cxt *pc)
{
	struct host_boot b;
	int r;

	r = host_boot_detect(pc, NULL, &b);
	if (r < 0)
		return r;
	if (b.loader != BOOT_LOADER_SYSTEMD_BOOT || !b.esp) {
		host_boot_done(&b);
		return trial_update_grub(pc);
	}
	r = trial_sdboot_clear(pc, b.esp);
	host_boot_done(&b);
	if (r < 0)
		return r;
	return trial_kernel_install_all(pc);
}
