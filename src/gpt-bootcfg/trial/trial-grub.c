/* SPDX-License-Identifier: GPL-2.0-or-later */
/* GRUB's side of a trial: next_entry in grubenv and regenerating grub.cfg. */
#include "basic/fileio.h"
#include "trial/trial.h"

static int editenv(struct path_cxt *pc, const char *op, const char *arg)
{
	_cleanup_free_ char *env = NULL;
	int r;

	r = path_mkdir_p(pc, "/boot/grub", 0755);
	if (r < 0)
		return r;
	r = path_prefix(pc, &env, GRUBENV_PATH);
	if (r < 0)
		return r;
	/* grub-editenv writes the file (a new one, renamed into place) in its own process. */
	r = fault_point("editenv", GRUBENV_PATH);
	if (r < 0)
		return r;
	r = trial_run((char *const[]){"grub-editenv", env, (char *)op, (char *)arg, NULL});
	if (r < 0)
		return r;
	return r == 0 ? 0 : -EIO;
}

int trial_set_next_entry(struct path_cxt *pc)
{
	return editenv(pc, "set", "next_entry=" TRIAL_ENTRY_ID);
}

int trial_get_next_entry(struct path_cxt *pc, char **ret)
{
	_cleanup_free_ char *text = NULL;
	char *v = NULL;
	int r;

	r = path_read_full(pc, &text, NULL, GRUBENV_PATH);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	/* The block is "# GRUB Environment Block", then KEY=VALUE lines, then '#' padding. */
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		const char *val = startswith(l, "next_entry=");

		if (val) {
			free(v);
			v = strdup(val);
			if (!v)
				return -ENOMEM;
		}
	}
	if (!v || !*v) {
		free(v);
		return 0;
	}
	*ret = v;
	return 1;
}

int trial_clear_next_entry(struct path_cxt *pc)
{
	_cleanup_free_ char *v = NULL;
	int r;

	r = trial_get_next_entry(pc, &v);
	if (r <= 0)
		return r;
	if (!streq(v, TRIAL_ENTRY_ID))
		return 0;
	r = editenv(pc, "unset", "next_entry");
	return r < 0 ? r : 1;
}

int trial_update_grub(struct path_cxt *pc)
{
	const char *cmd = getenv("GPT_BOOTCFG_UPDATE_GRUB");
	int r;

	if (path_cxt_is_host(pc))
		r = trial_run((char *const[]){"update-grub", NULL});
	else if (cmd && *cmd)
		r = trial_run((char *const[]){(char *)cmd, (char *)path_cxt_root(pc), NULL});
	else
		return 0;
	if (r < 0)
		return r;
	return r == 0 ? 1 : -EIO;
}
