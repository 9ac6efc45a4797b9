/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "core/config.h"
#include "core/vm-options.h"
#include "features/gaming.h"
#include "features/win11-keys.h"
#include "planner/disk-policy.h"

void plan_describe_uses(const struct block_device *b, struct strbuf *sb)
{
	strbuf_printf(sb, "%s:", b->name);
	for (size_t i = 0; i < b->n_uses; i++) {
		const struct block_use *u = &b->uses[i];

		strbuf_puts(sb, i ? ", " : " ");
		switch (u->kind) {
		case BLOCK_USE_MOUNT:
			strbuf_printf(sb, "mounted on %s", u->what);
			break;
		case BLOCK_USE_SWAP:
			strbuf_puts(sb, "swap");
			break;
		case BLOCK_USE_HOLDER:
			strbuf_printf(sb, "held by %s (LVM/dm/md)", u->what);
			break;
		}
		if (u->partition)
			strbuf_printf(sb, " (%s)", u->partition);
	}
}

static bool block_has_dev(const struct block_device *b, unsigned maj, unsigned min)
{
	if (b->major == maj && b->minor == min)
		return true;
	for (size_t i = 0; i < b->n_parts; i++)
		if (b->parts[i].major == maj && b->parts[i].minor == min)
			return true;
	return false;
}

int vm_disk_host_use(const struct host *h, const char *path, char **ret_detail)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	_cleanup_free_ char *canon = NULL;
	unsigned maj, min;
	struct stat st;
	int r;

	/* Follows links: /dev/disk/by-id/... names the same node. */
	r = path_stat(h->pc, &st, "%s", path);
	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	if (r < 0)
		return r;
	if (!S_ISBLK(st.st_mode))
		return 0;
	maj = major(st.st_rdev);
	min = minor(st.st_rdev);

	for (size_t i = 0; i < h->n_blocks; i++) {
		const struct block_device *b = &h->blocks[i];

		if (!block_has_dev(b, maj, min) || !block_device_in_use(b))
			continue;
		plan_describe_uses(b, &sb);
		return strbuf_steal(&sb, ret_detail) < 0 ? -ENOMEM : 1;
	}
	/* A device that is no disk in the model (dm, md, loop): its own mounts and swap. */
	for (size_t i = 0; i < h->n_mounts; i++)
		if (h->mounts[i].major == maj && h->mounts[i].minor == min)
			return asprintf(ret_detail, "%u:%u: mounted on %s", maj, min,
					h->mounts[i].target) < 0
				   ? -ENOMEM
				   : 1;
	if (path_canonicalize(h->pc, &canon, "%s", path) >= 0)
		STRV_FOREACH (s, h->swaps)
			if (streq(*s, canon))
				return asprintf(ret_detail, "%s: swap", canon) < 0 ? -ENOMEM : 1;
	return 0;
}

static int add_path(struct vm_host_path **a, size_t *n, const char *key, const char *path,
		    unsigned line, unsigned col)
{
	struct vm_host_path *na;

	if (!path)
		return 0;
	na = realloc(*a, (*n + 1) * sizeof(**a));
	if (!na)
		return -ENOMEM;
	*a = na;
	na[(*n)++] = (struct vm_host_path){key, path, line, col};
	return 0;
}

/*
 * The default ovmf-code (no line of its own) is the OVMF package's file: the message points
 * at the VM's firmware key, or its section when the firmware is the default too, and names
 * the package, since installing it is the fix, not a path in the configuration.
 */
static char *default_firmware_missing(const struct config *c, const struct vm_config *vm,
				      const char *path)
{
	unsigned line = 0, col = 0;

	for (size_t i = 0; i < c->n_sections; i++) {
		const struct config_section *s = &c->sections[i];
		const struct config_entry *e;

		if (!streq(s->type, "vm") || !s->name || !streq(s->name, vm->name))
			continue;
		e = config_section_get(s, "firmware");
		line = e ? e->line : s->line;
		col = e ? e->col_value : 0;
	}
	return config_error(
	    c, line, col,
	    "VM '%s': its UEFI firmware '%s' (the default ovmf-code) does not "
	    "exist: install the package that provides it (Debian: apt install ovmf), "
	    "or set ovmf-code, or firmware = bios",
	    vm->name, path);
}

int vm_missing_files(struct path_cxt *pc, const struct config *c, char ***errors)
{
	static const char *const keys[] = {"disk", "cdrom", "ovmf-code", "romfile"};

	for (size_t i = 0; i < c->n_vms; i++) {
		_cleanup_free_ struct vm_host_path *paths = NULL;
		size_t n = 0;
		int r;

		r = vm_host_paths(c->vms[i], &paths, &n);
		if (r < 0)
			return r;
		for (size_t j = 0; j < n; j++) {
			bool file = false;
			char *msg;

			for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
				file |= streq(paths[j].key, keys[k]);
			/* Secure Boot picks its firmware from QEMU's descriptors (check's
			 * firmware checks), not the default ovmf-code. */
			if (!file ||
			    (paths[j].line == 0 &&
			     vm_win11_secure_boot(vm_win11(vm_options(c->vms[i])))) ||
			    path_exists(pc, "%s", paths[j].path) != 0)
				continue;
			if (paths[j].line == 0)
				msg = default_firmware_missing(c, c->vms[i], paths[j].path);
			else
				msg = config_error(c, paths[j].line, paths[j].col,
						   "VM '%s': %s '%s' does not exist",
						   c->vms[i]->name, paths[j].key, paths[j].path);
			if (!msg || strv_consume(errors, msg) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

int vm_host_paths(const struct vm_config *vm, struct vm_host_path **ret, size_t *ret_n)
{
	const struct vm_options *o = vm_options(vm);
	const struct vm_gaming *g = vm_gaming(o);
	_cleanup_free_ struct vm_host_path *a = NULL;
	size_t n = 0;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < o->n_disks; i++)
		if (!o->disks[i].nvme_host)
			r = add_path(&a, &n, "disk", o->disks[i].path, o->disks[i].line,
				     o->disks[i].col);
	STRV_FOREACH (cd, o->cdroms)
		if (r >= 0)
			r = add_path(&a, &n, "cdrom", *cd, o->cdroms_line, o->cdroms_col);
	if (r >= 0 && o->firmware == VM_FIRMWARE_OVMF)
		r = add_path(&a, &n, "ovmf-code", o->ovmf_code, o->ovmf_code_line,
			     o->ovmf_code_col);
	for (size_t i = 0; r >= 0 && i < o->n_devopts; i++)
		STRV_FOREACH (opt, o->devopts[i].options) {
			const char *rom = startswith(*opt, "romfile=");

			if (rom && r >= 0)
				r = add_path(&a, &n, "romfile", rom, o->devopts[i].romfile_line,
					     o->devopts[i].romfile_col);
		}
	if (r >= 0 && o->spice == VM_SPICE_LOOPBACK)
		r = add_path(&a, &n, "spice-password-file", o->spice_password_file,
			     o->spice_password_line, o->spice_password_col);
	if (g) {
		if (r >= 0 && g->lg_file)
			r = add_path(&a, &n, "looking-glass-file", g->lg_file, g->lg_file_line,
				     g->lg_file_col);
		for (size_t i = 0; r >= 0 && i < g->n_inputs; i++)
			r = add_path(&a, &n, "input", g->inputs[i].path, g->inputs[i].line,
				     g->inputs[i].col);
	}
	if (r < 0)
		return r;
	*ret = TAKE_PTR(a);
	*ret_n = n;
	return 0;
}
