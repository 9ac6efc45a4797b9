/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>

#include "apply-json.h"
#include "basic/json.h"
#include "core/reasons.h"
#include "trial/trial.h"

int apply_json_begin(struct apply_json *j)
{
	int fd;

	fflush(stdout);
	fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	/* Children (update-initramfs, update-grub) inherit it: their output is not JSON either. */
	if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	j->fd = fd;
	return 0;
}

static void write_files(struct json_writer *w, const struct apply_json *j, const struct gen *g)
{
	json_array_begin(w, "files");
	for (size_t i = 0; j->written && i < g->files.n; i++) {
		const struct managed_file *f = &g->files.files[i];

		if (j->trial && f == j->trial_grub) {
			/* The default entry's drop-in stays; the trial entry gets the new one. */
			json_object_begin(w, NULL);
			json_string(w, "path", f->shared ? TRIAL_KCMDLINE_PATH : TRIAL_DROPIN_PATH);
			json_string(w, "action", "trial");
			json_object_end(w);
			continue;
		}
		if (f->action == MANAGED_UNCHANGED)
			continue;
		json_object_begin(w, NULL);
		json_string(w, "path", f->path);
		json_string(w, "action", managed_action_to_string(f->action));
		json_object_end(w);
	}
	json_array_end(w);
}

static void write_refused(struct json_writer *w, const struct gen *g)
{
	json_array_begin(w, "refused");
	for (size_t i = 0; g->plan && i < g->plan->n_refusals; i++) {
		const struct plan_refusal *r = &g->plan->refusals[i];

		/* Overridden ones do not block; plan --json lists them too. */
		if (r->overridden)
			continue;
		json_object_begin(w, NULL);
		if (r->address[0])
			json_string(w, "address", r->address);
		else
			json_null(w, "address");
		json_string(w, "device", r->device);
		json_string(w, "reason", refusal_reason_to_string(r->reason));
		json_string(w, "detail", r->detail);
		json_object_end(w);
	}
	json_array_end(w);
}

int apply_json_finish(struct apply_json *j, const struct gen *g)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	struct json_writer w;
	int r = 0;

	if (j->fd < 0)
		return 0;
	json_init(&w, &sb);
	json_object_begin(&w, NULL);
	json_bool(&w, "changed", j->written);
	json_bool(&w, "reboot_required", j->written && j->reboot_required);
	if (j->written && j->trial) {
		json_object_begin(&w, "trial");
		json_string(&w, "entry", TRIAL_ENTRY_ID);
		json_uint(&w, "generation", g->files.generation);
		json_object_end(&w);
	} else {
		json_null(&w, "trial");
	}
	json_uint(&w, "generation", g->files.generation);
	write_files(&w, j, g);
	write_refused(&w, g);
	if (j->now)
		now_json(j->now, &w, "now");
	json_object_end(&w);

	fflush(stdout);
	if (dup2(j->fd, STDOUT_FILENO) < 0)
		r = -errno;
	close(j->fd);
	j->fd = -1;
	if (r < 0)
		return r;
	if (!strbuf_str(&sb))
		return -ENOMEM;
	if (fputs(strbuf_str(&sb), stdout) < 0 || fflush(stdout) != 0)
		return -EIO;
	return 0;
}
