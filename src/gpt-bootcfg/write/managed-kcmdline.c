/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * systemd-boot's side of the managed files: our line in /etc/kernel/cmdline
 * (core/kcmdline.h), which kernel-install puts into every entry, in place of GRUB's drop-in.
 */
#include <stdio.h>

#include "basic/strv-util.h"
#include "core/kcmdline.h"
#include "shared/host.h"
#include "trial/trial.h"
#include "write/managed-internal.h"
#include "write/managed.h"

/* The kept line of a pending trial (trial.h), without its newline: 1 and *ret, or 0. */
static int kept_line(struct path_cxt *pc, char **ret)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = path_read_full(pc, &text, NULL, TRIAL_KCMDLINE_PATH);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	text[strcspn(text, "\n")] = '\0';
	*ret = TAKE_PTR(text);
	return 1;
}

bool managed_kcmdline_matches(struct path_cxt *pc, const char *line)
{
	_cleanup_free_ char *cur = NULL, *ours = NULL, *kept = NULL;
	int have_ours = 0, have_kept;

	if (path_read_full(pc, &cur, NULL, KERNEL_CMDLINE_PATH) >= 0)
		have_ours = kcmdline_block_get(cur, &ours);
	have_kept = kept_line(pc, &kept);
	if (have_ours < 0 || have_kept < 0)
		return false;
	if (have_ours == 0 && have_kept == 0)
		return true;
	return (have_ours > 0 && streq(ours, line)) || (have_kept > 0 && streq(kept, line));
}

int managed_kcmdline_add(struct path_cxt *pc, struct managed_set *s, const char *line,
			 char **ret_error)
{
	_cleanup_free_ char *cur = NULL, *kept = NULL;
	bool is_link = false;
	char *want = NULL;
	int r;

	r = managed_read_current(pc, KERNEL_CMDLINE_PATH, &is_link, &cur);
	if (r >= 0 && (!cur || is_link))
		r = -ENOENT;
	if (r < 0) {
		if (ret_error &&
		    asprintf(ret_error,
			     "%s: %s; kernel-install writes its parameters into systemd-boot's "
			     "entries, and takes /proc/cmdline's without it: write the kernel's "
			     "parameters there (as the entries have them, without initrd= and "
			     "systemd.machine_id=), then run the command again",
			     KERNEL_CMDLINE_PATH,
			     r == -ENOENT    ? "missing, or not a regular file"
			     : r == -EISDIR  ? "not a regular file"
			     : r == -EBADMSG ? "holds a NUL byte"
					     : strerror(-r)) < 0)
			*ret_error = NULL;
		return r;
	}
	r = kcmdline_block_set(cur, line, &want);
	if (r < 0)
		return r;
	r = managed_add_shared(s, KERNEL_CMDLINE_PATH, kcmdline_block_strip, TAKE_PTR(cur), want);
	if (r < 0)
		return r;
	s->files[s->n - 1].rebuild = MANAGED_REBUILD_GRUB;
	/*
	 * During a pending trial the default entries keep their line and the new one waits
	 * (trial.h): one equal to it is no news, or every apply would arm the trial again.
	 */
	{
		_cleanup_(trial_freep) struct trial *t = NULL;

		if (trial_load(pc, &t, NULL) < 0 || t->state != TRIAL_PENDING)
			return 0;
	}
	r = kept_line(pc, &kept);
	if (r > 0 && streq(kept, line))
		s->files[s->n - 1].action = MANAGED_UNCHANGED;
	return r < 0 ? r : 0;
}
