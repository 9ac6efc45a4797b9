/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>

#include "basic/log.h"
#include "basic/parse-util.h"
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "core/kcmdline.h"
#include "trial/trial.h"
#include "write/initrdcheck.h"
#include "write/managed-apply.h"
#include "write/transaction.h"

int transaction_pending_format(bool trial, unsigned rebuild, char **ret)
{
	if (asprintf(ret, "%s %u", trial ? "trial" : "direct", rebuild) < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

int transaction_pending_parse(const char *pending, bool *ret_trial, unsigned *ret_rebuild)
{
	const char *flags = startswith(pending, "trial ");
	bool trial = flags;
	unsigned v;

	if (!flags)
		flags = startswith(pending, "direct ");
	if (!flags || safe_atou(flags, &v) < 0)
		return -EINVAL;
	*ret_trial = trial;
	*ret_rebuild = v;
	return 0;
}

/* The file that carries the default entry's parameters: GRUB's drop-in, or our line in
 * systemd-boot's /etc/kernel/cmdline. */
static bool is_boot_params(const struct managed_file *f)
{
	return streq(f->path, MANAGED_GRUB_PATH) ||
	       (f->shared && streq(f->path, KERNEL_CMDLINE_PATH));
}

/* Mark the boot parameters' file to be written again (it is up to date on disk). */
static void grub_write_again(struct managed_set *files, bool only_when_different)
{
	for (size_t i = 0; i < files->n; i++) {
		struct managed_file *f = &files->files[i];

		if (!is_boot_params(f) || f->action != MANAGED_UNCHANGED)
			continue;
		if (only_when_different && streq_ptr(f->content, f->current))
			continue;
		f->action = f->current ? MANAGED_UPDATE : MANAGED_CREATE;
	}
}

int transaction_begin(struct cli *cli, struct gen *g, int trial_request, struct transaction *ret)
{
	_cleanup_free_ char *pending = NULL;
	struct transaction t = {.cli = cli, .g = g, .trial_request = trial_request};
	int r;

	/*
	 * An apply that was interrupted after writing files (crash, failed rebuild) left what
	 * it had still to do: finish it the way it was started, unless told otherwise.
	 */
	r = managed_pending(cli->pc, &pending);
	if (r < 0) {
		log_error_errno(r, "Failed to read the state below '%s': %m", cli->root);
		return EXIT_ERROR;
	}
	if (pending) {
		bool pending_trial = false;

		if (transaction_pending_parse(pending, &pending_trial, &t.pending_rebuild) < 0) {
			log_error("Unknown pending step '%s' in %s.", pending, MANAGED_STATE_PATH);
			return EXIT_ERROR;
		}
		t.finishing = true;
		log_notice("The last apply did not finish; finishing it.");
		if (t.trial_request < 0)
			t.trial_request = pending_trial;
		/* The trial entry's files may all be written: arming again needs the drop-in. */
		if (t.trial_request == 1)
			grub_write_again(&g->files, false);
	}
	/* --no-trial during a pending trial makes what the trial would have tried the default. */
	if (t.trial_request == 0)
		grub_write_again(&g->files, true);
	*ret = t;
	return EXIT_OK;
}

bool transaction_has_work(const struct transaction *t)
{
	return t->finishing || managed_set_changes(&t->g->files);
}

unsigned transaction_rebuild(const struct transaction *t)
{
	return managed_set_rebuild(&t->g->files) | t->pending_rebuild;
}

int transaction_write(struct transaction *t)
{
	struct managed_set *files = &t->g->files;
	struct cli *cli = t->cli;
	int r;

	/* Decided before writing: the first apply is the one that finds no drop-in of ours. */
	t->grub = NULL;
	for (size_t i = 0; i < files->n; i++)
		if (is_boot_params(&files->files[i]) && files->files[i].action != MANAGED_UNCHANGED)
			t->grub = &files->files[i];
	r = trial_wanted(cli->pc, t->trial_request, &t->trial);
	if (r < 0) {
		log_error_errno(r, "Failed to read the trial state below '%s': %m", cli->root);
		return EXIT_ERROR;
	}
	if (t->trial && !t->grub) {
		log_notice("Kernel parameters and claims are unchanged: nothing to try, no trial.");
		t->trial = false;
	}
	/* Revert removes what the trial bookkeeping creates as well. */
	{
		static const char *const direct[] = {TRIAL_STATE_PATH, NULL};
		/* HEALTH_WANTS_LINK is one string made of two literals, not a missing comma. */
		static const char *const armed[] = {
		    TRIAL_STATE_PATH, TRIAL_DROPIN_PATH, TRIAL_KCMDLINE_PATH,
		    // NOLINTNEXTLINE(bugprone-suspicious-missing-comma)
		    TRIAL_CMDLINE_PATH, HEALTH_WANTS_LINK, GRUBENV_PATH, NULL};

		for (const char *const *e = t->trial ? armed : direct; *e; e++)
			if (strv_add(&files->extra, *e) < 0) {
				log_oom();
				return EXIT_ERROR;
			}
	}
	/*
	 * Trial boots (trial.h): managed_apply() records the new GRUB drop-in like any other
	 * file but leaves the default entry's alone; the new one waits for the promotion.
	 */
	if (t->trial)
		t->grub->record_only = true;
	free(files->pending);
	if (transaction_pending_format(t->trial, transaction_rebuild(t), &files->pending) < 0) {
		log_oom();
		return EXIT_ERROR;
	}
	r = managed_apply(cli->pc, files);
	if (r < 0) {
		log_error_errno(r, "Failed to write the boot configuration below '%s': %m",
				cli->root);
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

static int arm_trial(struct transaction *t)
{
	const struct gen *g = t->g;
	_cleanup_strv_free_ char **params = calloc(g->plan->params.n + 1, sizeof(char *));
	_cleanup_strv_free_ char **devices = calloc(g->plan->n_claims + 1, sizeof(char *));
	_cleanup_strv_free_ char **units = calloc(g->config->n_vms + 1, sizeof(char *));
	size_t n = 0;
	int r;

	if (!params || !devices || !units)
		return log_oom();
	for (size_t i = 0; i < g->plan->params.n; i++)
		if (!(params[i] = strdup(g->plan->params.items[i].param)))
			return log_oom();
	for (size_t i = 0; i < g->plan->n_claims; i++)
		if (!(devices[i] = strdup(g->plan->claims[i]->address)))
			return log_oom();
	for (size_t i = 0; i < g->config->n_vms; i++) {
		if (!g->config->vms[i]->autostart)
			continue;
		if (asprintf(&units[n], "gpt-bootcfg-vm@%s.service", g->config->vms[i]->name) < 0) {
			units[n] = NULL;
			return log_oom();
		}
		n++;
	}

	struct trial_arm arm = {
	    .generation = g->files.generation,
	    .params = params,
	    .devices = devices,
	    .units = units,
	    .loader = g->host->boot.loader,
	    .dropin = t->grub->content,
	};
	_cleanup_free_ char *line = NULL;

	/* systemd-boot: the line of ours waits, not the admin's whole file. */
	if (t->grub->shared) {
		r = kcmdline_block_get(t->grub->content, &line);
		if (r <= 0)
			return log_error_errno(r < 0 ? r : -EINVAL,
					       "Failed to find our line in the new %s: %m",
					       KERNEL_CMDLINE_PATH);
		arm.dropin = line;
	}
	r = trial_arm(t->cli->pc, &arm, NULL);
	if (r < 0)
		return log_error_errno(r, "Failed to arm the trial boot below '%s': %m",
				       t->cli->root);
	return 0;
}

/*
 * The images update-initramfs just wrote must hold what the claim needs (initrdcheck.h):
 * shown on stdout, each problem logged with its image. -EBADMSG when one has a problem.
 */
static int verify_images(struct cli *cli, bool trial)
{
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	struct initrd_check c;
	bool ok;
	int r;

	r = initrd_check(cli->pc, &c);
	if (r < 0)
		return log_error_errno(r, "Failed to check the initramfs images below '%s': %m",
				       cli->root);
	initrd_check_text(&c, &out);
	ok = initrd_check_ok(&c);
	if (strbuf_str(&out)) {
		printf("\n%s", out.buf);
		fflush(stdout);
	}
	for (size_t i = 0; i < c.n; i++)
		STRV_FOREACH (p, c.images[i].problems)
			log_error("%s: %s", c.images[i].path, *p);
	initrd_check_done(&c);
	if (ok)
		return 0;
	log_error("The files are written and the initramfs was rebuilt, but the image above "
		  "would not claim the devices at the next boot. %s Find the cause in the "
		  "update-initramfs output (a hook that removes ours, the package's files "
		  "missing, a COMPRESS this check cannot read), fix it and run 'gpt-bootcfg "
		  "apply' again: it rebuilds and checks again. 'gpt-bootcfg revert' undoes this "
		  "apply.",
		  trial ? "The trial boot is not selected for the next boot."
			: "The new kernel parameters are already the default; the devices would "
			  "stay on their host drivers.");
	return -EBADMSG;
}

/*
 * The next boot: the trial entry selected once (GRUB's next_entry; systemd-boot's own entry
 * and LoaderEntryOneShot), or no trial selected for an apply without one. Only once the
 * entries are rebuilt: a selection naming a missing entry is useless.
 */
static int select_trial(struct transaction *t, bool no_rebuild)
{
	const struct host_boot *b = &t->g->host->boot;
	struct cli *cli = t->cli;
	_cleanup_free_ char *cmdline = NULL;
	int r;

	if (b->loader != BOOT_LOADER_SYSTEMD_BOOT || !b->esp) {
		if (t->trial && no_rebuild) {
			log_notice("After the rebuild, run 'grub-reboot " TRIAL_ENTRY_ID
				   "' to boot the trial.");
			return 0;
		}
		r = t->trial ? trial_set_next_entry(cli->pc) : trial_clear_next_entry(cli->pc);
		if (r < 0)
			return log_error_errno(r, "Failed to %s next_entry in '%s': %m",
					       t->trial ? "set" : "unset", GRUBENV_PATH);
		return 0;
	}
	if (!t->trial) {
		r = trial_sdboot_clear(cli->pc, b->esp);
		if (r < 0)
			return log_error_errno(r, "Failed to remove the trial entry from '%s': %m",
					       b->esp);
		return 0;
	}
	if (no_rebuild) {
		log_notice("After the rebuild, run 'gpt-bootcfg apply' again: it writes the "
			   "trial entry and selects it with 'bootctl set-oneshot " SDBOOT_TRIAL_ID
			   "'.");
		return 0;
	}
	{
		_cleanup_strv_free_ char **params = NULL;

		for (size_t i = 0; i < t->g->plan->params.n; i++)
			if (strv_add(&params, t->g->plan->params.items[i].param) < 0)
				return log_oom();
		r = trial_cmdline(t->g->files.generation, params, &cmdline);
		if (r < 0)
			return log_error_errno(r,
					       "Failed to put the trial's parameters together: %m");
	}
	r = trial_sdboot_arm(cli->pc, b->esp, cmdline);
	if (r == -ENOENT)
		return log_error_errno(
		    r,
		    "Failed to write the trial entry: no entry in %s/loader/entries "
		    "boots the newest kernel in /boot (has kernel-install run?)",
		    b->esp);
	if (r < 0)
		return log_error_errno(r,
				       "Failed to select the trial entry in '%s' for the next "
				       "boot: %m",
				       b->esp);
	return 0;
}

int transaction_commit(struct transaction *t, bool no_rebuild)
{
	struct cli *cli = t->cli;
	int r;

	r = t->trial ? arm_trial(t) : trial_record_direct(cli->pc, t->g->files.generation);
	if (r < 0) {
		if (!t->trial)
			log_error_errno(r, "Failed to write '%s': %m", TRIAL_STATE_PATH);
		return EXIT_ERROR;
	}

	r = gen_rebuild(cli, transaction_rebuild(t), no_rebuild);
	if (r < 0) {
		log_error(
		    "The files are written, but the rebuild failed: fix it and run the command "
		    "again before rebooting.");
		return EXIT_ERROR;
	}
	/* Failing leaves the apply pending, as a failed rebuild does: running it again redoes it.
	 */
	if (r > 0 && verify_images(cli, t->trial) < 0)
		return EXIT_ERROR;
	r = select_trial(t, no_rebuild);
	if (r < 0)
		return EXIT_ERROR;
	/* Last: until here a crash leaves the rest pending for the next apply. */
	r = managed_finish(cli->pc);
	if (r < 0) {
		log_error_errno(r, "Failed to update the state below '%s': %m", cli->root);
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

/* systemd-boot: our trial entry and a LoaderEntryOneShot naming it go as well. */
static int rollback_sdboot(struct cli *cli, struct transaction_rollback *rb)
{
	struct host_boot b;
	int r;

	r = host_boot_detect(cli->pc, NULL, &b);
	if (r < 0)
		return log_error_errno(r, "Failed to find the boot loader below '%s': %m",
				       cli->root);
	if (b.loader == BOOT_LOADER_SYSTEMD_BOOT && b.esp) {
		r = trial_sdboot_clear(cli->pc, b.esp);
		if (r < 0)
			log_warning_errno(r,
					  "Failed to remove the trial entry from '%s', "
					  "ignoring: %m",
					  b.esp);
		else if (r > 0 &&
			 strv_addf(&rb->steps, "remove the trial entry from %s/loader/entries",
				   b.esp) < 0) {
			host_boot_done(&b);
			return log_oom();
		}
	}
	host_boot_done(&b);
	return 0;
}

int transaction_rollback_begin(struct cli *cli, bool dry_run, struct transaction_rollback *ret,
			       bool *ret_found)
{
	struct transaction_rollback rb = {.cli = cli, .dry_run = dry_run};
	int r;

	r = managed_revert(cli->pc, dry_run, &rb.steps, &rb.kept, &rb.rebuild);
	if (r < 0) {
		log_error_errno(r, "Failed to revert below '%s': %m", cli->root);
		return EXIT_ERROR;
	}
	/* No state file: apply never wrote anything (steps and kept are empty). */
	if (r == 0) {
		*ret = rb;
		*ret_found = false;
		return EXIT_OK;
	}
	/* A grubenv that was there before apply stays, without our one-shot entry. */
	if (!dry_run) {
		r = trial_clear_next_entry(cli->pc);
		if (r < 0)
			log_warning_errno(r, "Failed to unset next_entry in '%s', ignoring: %m",
					  GRUBENV_PATH);
		else if (r > 0 && strv_add(&rb.steps, "unset next_entry in " GRUBENV_PATH) < 0) {
			transaction_rollback_done(&rb);
			log_oom();
			return EXIT_ERROR;
		}
		r = rollback_sdboot(cli, &rb);
		if (r < 0) {
			transaction_rollback_done(&rb);
			return EXIT_ERROR;
		}
	}
	*ret = rb;
	*ret_found = true;
	return EXIT_OK;
}

int transaction_rollback_commit(struct transaction_rollback *rb, bool no_rebuild)
{
	struct cli *cli = rb->cli;
	int r;

	r = gen_rebuild(cli, rb->rebuild, no_rebuild);
	if (r < 0) {
		log_error(
		    "The files are removed, but the rebuild failed: fix it and run the command "
		    "again before rebooting.");
		return EXIT_ERROR;
	}
	/* Last: the state file is what makes a re-run after a crash redo the rebuild. */
	strv_free(rb->steps);
	strv_free(rb->kept);
	rb->steps = rb->kept = NULL;
	r = managed_revert_finish(cli->pc, &rb->steps, &rb->kept);
	if (r < 0) {
		log_error_errno(r, "Failed to remove the state file below '%s': %m", cli->root);
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

void transaction_rollback_done(struct transaction_rollback *rb)
{
	strv_free(rb->steps);
	strv_free(rb->kept);
	rb->steps = rb->kept = NULL;
}
