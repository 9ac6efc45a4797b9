/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "basic/fileio.h"
#include "basic/parse-util.h"
#include "basic/safeword.h"
#include "basic/strv-util.h"
#include "core/kcmdline.h"
#include "trial/trial.h"

static const char *const state_names[] = {
    [TRIAL_NONE] = "none",
    [TRIAL_PENDING] = "pending",
    [TRIAL_CONFIRMED] = "confirmed",
    [TRIAL_FAILED] = "failed",
};

const char *trial_state_to_string(enum trial_state s)
{
	if ((size_t)s >= ARRAY_SIZE(state_names))
		return NULL;
	return state_names[s];
}

void trial_free(struct trial *t)
{
	if (!t)
		return;
	free(t->armed_boot_id);
	free(t->decided_boot_id);
	strv_free(t->params);
	strv_free(t->devices);
	strv_free(t->units);
	strv_free(t->failures);
	free(t);
}

static int perr(char **ret_error, const char *path, unsigned line, unsigned col, const char *msg,
		const char *arg)
{
	if (ret_error && asprintf(ret_error, "%s:%u:%u: %s%s%s%s", path, line, col, msg,
				  arg ? " '" : "", arg ? arg : "", arg ? "'" : "") < 0)
		*ret_error = NULL;
	return -EINVAL;
}

/* Values are single words except failure lines; a stray blank would be a hand edit. */
static bool is_word(const char *s)
{
	return *s && !strpbrk(s, " \t");
}

int trial_parse(const char *text, const char *path, struct trial **ret, char **ret_error)
{
	_cleanup_(trial_freep) struct trial *t = NULL;
	bool have_state = false;
	unsigned line = 0;
	int r;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;

	for (const char *p = text; *p;) {
		const char *eol = strchrnul(p, '\n');
		_cleanup_free_ char *l = strndup(p, (size_t)(eol - p));
		char *eq, *key, *val;
		uint64_t u;

		if (!l)
			return -ENOMEM;
		line++;
		p = *eol ? eol + 1 : eol;
		if (l[0] == '#' || l[0] == '\0')
			continue;
		eq = strchr(l, '=');
		if (!eq)
			return perr(ret_error, path, line, 1, "expected KEY=VALUE", NULL);
		*eq = '\0';
		key = l;
		val = eq + 1;
#define COL ((unsigned)(val - l) + 1)
		if (streq(key, "state")) {
			size_t i;

			for (i = TRIAL_PENDING; i < ARRAY_SIZE(state_names); i++)
				if (streq(val, state_names[i]))
					break;
			if (i == ARRAY_SIZE(state_names))
				return perr(ret_error, path, line, COL, "unknown state", val);
			t->state = (enum trial_state)i;
			have_state = true;
		} else if (streq(key, "generation") || streq(key, "previous-generation") ||
			   streq(key, "armed-time") || streq(key, "decided-time")) {
			if (safe_atou64(val, &u) < 0)
				return perr(ret_error, path, line, COL, "not a decimal number",
					    val);
			if (streq(key, "generation"))
				t->generation = u;
			else if (streq(key, "previous-generation"))
				t->previous = u;
			else if (streq(key, "armed-time"))
				t->armed_time = u;
			else
				t->decided_time = u;
		} else if (streq(key, "direct")) {
			if (!streq(val, "yes") && !streq(val, "no"))
				return perr(ret_error, path, line, COL, "expected yes or no, not",
					    val);
			t->direct = streq(val, "yes");
		} else if (streq(key, "armed-boot-id") || streq(key, "decided-boot-id")) {
			char **dst =
			    streq(key, "armed-boot-id") ? &t->armed_boot_id : &t->decided_boot_id;

			if (!is_word(val))
				return perr(ret_error, path, line, COL, "not a boot id", val);
			free(*dst);
			*dst = strdup(val);
			if (!*dst)
				return -ENOMEM;
		} else if (streq(key, "param") || streq(key, "device") || streq(key, "unit")) {
			char ***dst = streq(key, "param")    ? &t->params
				      : streq(key, "device") ? &t->devices
							     : &t->units;

			if (!is_word(val))
				return perr(ret_error, path, line, COL, "expected one word, not",
					    val);
			r = strv_add(dst, val);
			if (r < 0)
				return r;
		} else if (streq(key, "failure")) {
			r = strv_add(&t->failures, val);
			if (r < 0)
				return r;
		} else {
			return perr(ret_error, path, line, 1, "unknown key", key);
		}
#undef COL
	}
	if (!have_state)
		return perr(ret_error, path, line ? line : 1, 1, "no state= line", NULL);
	if (t->generation == 0)
		return perr(ret_error, path, line ? line : 1, 1, "no generation= line", NULL);

	*ret = TAKE_PTR(t);
	return 0;
}

static void put_one_line(struct strbuf *sb, const char *key, const char *val)
{
	strbuf_printf(sb, "%s=", key);
	/* A newline in a value would start a new key on reading back. */
	for (const char *c = val; *c; c++)
		strbuf_putc(sb, *c == '\n' || *c == '\r' ? ' ' : *c);
	strbuf_putc(sb, '\n');
}

int trial_format(const struct trial *t, char **ret)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

	if (t->state == TRIAL_NONE || t->generation == 0)
		return -EINVAL;

	strbuf_puts(&sb, "# gpt-bootcfg trial boot state; see docs/trial-boot.md\n");
	strbuf_printf(&sb, "state=%s\n", trial_state_to_string(t->state));
	strbuf_printf(&sb, "generation=%" PRIu64 "\n", t->generation);
	strbuf_printf(&sb, "previous-generation=%" PRIu64 "\n", t->previous);
	strbuf_printf(&sb, "direct=%s\n", yes_no(t->direct));
	if (t->armed_boot_id)
		put_one_line(&sb, "armed-boot-id", t->armed_boot_id);
	if (t->armed_time)
		strbuf_printf(&sb, "armed-time=%" PRIu64 "\n", t->armed_time);
	if (t->decided_boot_id)
		put_one_line(&sb, "decided-boot-id", t->decided_boot_id);
	if (t->decided_time)
		strbuf_printf(&sb, "decided-time=%" PRIu64 "\n", t->decided_time);
	STRV_FOREACH (s, t->params)
		put_one_line(&sb, "param", *s);
	STRV_FOREACH (s, t->devices)
		put_one_line(&sb, "device", *s);
	STRV_FOREACH (s, t->units)
		put_one_line(&sb, "unit", *s);
	STRV_FOREACH (s, t->failures)
		put_one_line(&sb, "failure", *s);
	return strbuf_steal(&sb, ret);
}

int trial_load(struct path_cxt *pc, struct trial **ret, char **ret_error)
{
	_cleanup_free_ char *text = NULL;
	struct trial *t;
	int r;

	r = path_read_full(pc, &text, NULL, TRIAL_STATE_PATH);
	if (r == -ENOENT) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return -ENOMEM;
		*ret = t;
		return 0;
	}
	if (r < 0)
		return r;
	return trial_parse(text, TRIAL_STATE_PATH, ret, ret_error);
}

int trial_save(struct path_cxt *pc, const struct trial *t)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = trial_format(t, &text);
	if (r < 0)
		return r;
	return path_write_atomic(pc, TRIAL_STATE_PATH, text, strlen(text), 0644);
}

int trial_wanted(struct path_cxt *pc, int requested, bool *ret)
{
	_cleanup_(trial_freep) struct trial *t = NULL;
	int r;

	if (requested >= 0) {
		*ret = requested > 0;
		return 0;
	}
	r = trial_load(pc, &t, NULL);
	if (r < 0)
		return r;
	/* A pending trial is re-armed, a failed one tried again: never promoted by accident. */
	if (t->state != TRIAL_NONE) {
		*ret = t->state != TRIAL_CONFIRMED;
		return 0;
	}
	r = path_exists(pc, GRUB_DROPIN_PATH);
	if (r < 0)
		return r;
	if (r == 0) {
		/* systemd-boot: our line in /etc/kernel/cmdline stands for the drop-in. */
		_cleanup_free_ char *text = NULL, *line = NULL;

		r = path_read_full(pc, &text, NULL, KERNEL_CMDLINE_PATH);
		if (r < 0 && r != -ENOENT)
			return r;
		r = r >= 0 ? kcmdline_block_get(text, &line) : 0;
		if (r < 0)
			return r;
	}
	*ret = r == 0;
	return 0;
}

int trial_cmdline(uint64_t generation, char *const *params, char **ret)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

	STRV_FOREACH (p, params) {
		/* 42_gpt-bootcfg-trial refuses the whole line otherwise: never write one. */
		if (!safe_word(*p) || startswith(*p, "gpt_bootcfg."))
			return -EINVAL;
		strbuf_printf(&sb, "%s ", *p);
	}
	strbuf_printf(&sb, "gpt_bootcfg.generation=%" PRIu64 " gpt_bootcfg.trial=1", generation);
	return strbuf_steal(&sb, ret);
}

int trial_boot_id(struct path_cxt *pc, char **ret)
{
	int r;

	r = path_read_string(pc, ret, "/proc/sys/kernel/random/boot_id");
	if (r == -ENOENT) {
		*ret = NULL;
		return 0;
	}
	return r;
}

static int strv_copy(char *const *l, char ***ret)
{
	char **n = calloc(1, sizeof(char *));
	int r;

	if (!n)
		return -ENOMEM;
	STRV_FOREACH (s, l) {
		r = strv_add(&n, *s);
		if (r < 0) {
			strv_free(n);
			return r;
		}
	}
	*ret = n;
	return 0;
}

static int unlink_if_exists(struct path_cxt *pc, const char *path)
{
	int r = path_unlink_durable(pc, path);

	return r == -ENOENT ? 0 : r;
}

int trial_enable_health_unit(struct path_cxt *pc)
{
	_cleanup_free_ char *link = NULL;
	struct stat st;
	int r;

	r = path_lstat(pc, &st, HEALTH_WANTS_LINK);
	if (r >= 0)
		return 0;
	if (r != -ENOENT)
		return r;
	r = path_mkdir_p(pc, "/etc/systemd/system/multi-user.target.wants", 0755);
	if (r < 0)
		return r;
	r = path_prefix(pc, &link, HEALTH_WANTS_LINK);
	if (r < 0)
		return r;
	/* symlink(2) is atomic by itself: the link is there whole or not at all. */
	r = fault_point("symlink", HEALTH_WANTS_LINK);
	if (r < 0)
		return r;
	if (symlink(HEALTH_UNIT_PATH, link) < 0)
		return negative_errno();
	r = path_fsync_parent(pc, HEALTH_WANTS_LINK);
	return r < 0 ? r : 1;
}

int trial_arm(struct path_cxt *pc, const struct trial_arm *arm, struct trial **ret)
{
	_cleanup_(trial_freep) struct trial *old = NULL, *t = NULL;
	_cleanup_free_ char *cmdline = NULL, *text = NULL;
	int r;

	if (arm->generation == 0 || !arm->dropin)
		return -EINVAL;
	r = trial_load(pc, &old, NULL);
	if (r < 0)
		return r;
	r = trial_cmdline(arm->generation, arm->params, &cmdline);
	if (r < 0)
		return r;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->state = TRIAL_PENDING;
	t->generation = arm->generation;
	/* Re-arming keeps what the default entry carries, not the never-confirmed trial. */
	/* old is set: clang's analyzer loses trial_parse()'s perr() result (-EINVAL). */
	// NOLINTNEXTLINE(clang-analyzer-core.NullDereference)
	t->previous = old->state == TRIAL_CONFIRMED ? old->generation : old->previous;
	t->armed_time = (uint64_t)time(NULL);
	r = trial_boot_id(pc, &t->armed_boot_id);
	if (r < 0)
		return r;
	if (strv_copy(arm->params, &t->params) < 0 || strv_copy(arm->devices, &t->devices) < 0 ||
	    strv_copy(arm->units, &t->units) < 0)
		return -ENOMEM;

	r = trial_enable_health_unit(pc);
	if (r < 0)
		return r;

	if (arm->loader == BOOT_LOADER_SYSTEMD_BOOT) {
		_cleanup_free_ char *line = NULL;

		if (asprintf(&line, "%s\n", arm->dropin) < 0)
			return -ENOMEM;
		r = path_write_atomic(pc, TRIAL_KCMDLINE_PATH, line, strlen(line), 0644);
	} else
		r = path_write_atomic(pc, TRIAL_DROPIN_PATH, arm->dropin, strlen(arm->dropin),
				      0644);
	if (r < 0)
		return r;
	if (arm->restore_dropin) {
		if (arm->previous_dropin)
			r = path_write_atomic(pc, GRUB_DROPIN_PATH, arm->previous_dropin,
					      strlen(arm->previous_dropin), 0644);
		else
			r = unlink_if_exists(pc, GRUB_DROPIN_PATH);
		if (r < 0)
			return r;
	}
	r = asprintf(&text,
		     "# Written by gpt-bootcfg apply --trial; the trial entry appends this.\n"
		     "%s\n",
		     cmdline);
	if (r < 0) {
		text = NULL;
		return -ENOMEM;
	}
	r = path_write_atomic(pc, TRIAL_CMDLINE_PATH, text, strlen(text), 0644);
	if (r < 0)
		return r;
	r = trial_save(pc, t);
	if (r < 0)
		return r;
	if (ret)
		*ret = TAKE_PTR(t);
	return 0;
}

static int mark_decided(struct path_cxt *pc, struct trial *t, enum trial_state s)
{
	free(t->decided_boot_id);
	t->decided_boot_id = NULL;
	t->state = s;
	t->decided_time = (uint64_t)time(NULL);
	return trial_boot_id(pc, &t->decided_boot_id);
}

int trial_record_direct(struct path_cxt *pc, uint64_t generation)
{
	_cleanup_(trial_freep) struct trial *t = NULL;
	int r;

	if (generation == 0)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->generation = generation;
	t->direct = true;
	r = mark_decided(pc, t, TRIAL_CONFIRMED);
	if (r < 0)
		return r;
	r = unlink_if_exists(pc, TRIAL_CMDLINE_PATH);
	if (r < 0)
		return r;
	r = unlink_if_exists(pc, TRIAL_DROPIN_PATH);
	if (r >= 0)
		r = unlink_if_exists(pc, TRIAL_KCMDLINE_PATH);
	if (r < 0)
		return r;
	return trial_save(pc, t);
}

/* systemd-boot: our kept line into /etc/kernel/cmdline (1), or 0 when none is kept. */
static int promote_kcmdline(struct path_cxt *pc)
{
	_cleanup_free_ char *line = NULL, *cur = NULL, *want = NULL;
	int r;

	r = path_read_full(pc, &line, NULL, TRIAL_KCMDLINE_PATH);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	line[strcspn(line, "\n")] = '\0';
	r = path_read_full(pc, &cur, NULL, KERNEL_CMDLINE_PATH);
	if (r < 0)
		return r;
	r = kcmdline_block_set(cur, line, &want);
	if (r < 0)
		return r;
	/* The admin's file: its mode and owner stay. */
	r = path_write_atomic_keep(pc, KERNEL_CMDLINE_PATH, want, strlen(want), 0644);
	return r < 0 ? r : 1;
}

int trial_promote(struct path_cxt *pc, struct trial *t)
{
	_cleanup_free_ char *dropin = NULL;
	size_t size;
	int r;

	if (t->state != TRIAL_PENDING)
		return -ESTALE;
	/*
	 * Order matters for a crash in between: the default entry gets the new drop-in (or
	 * line) first; the state says pending until the end, so a re-run of confirm finishes
	 * the job.
	 */
	r = promote_kcmdline(pc);
	if (r < 0)
		return r;
	if (r == 0) {
		r = path_read_full(pc, &dropin, &size, TRIAL_DROPIN_PATH);
		if (r < 0)
			return r;
		r = path_write_atomic(pc, GRUB_DROPIN_PATH, dropin, size, 0644);
		if (r < 0)
			return r;
	}
	r = unlink_if_exists(pc, TRIAL_CMDLINE_PATH);
	if (r < 0)
		return r;
	r = mark_decided(pc, t, TRIAL_CONFIRMED);
	if (r < 0)
		return r;
	strv_free(t->failures);
	t->failures = NULL;
	r = trial_save(pc, t);
	if (r < 0)
		return r;
	r = unlink_if_exists(pc, TRIAL_DROPIN_PATH);
	return r < 0 ? r : unlink_if_exists(pc, TRIAL_KCMDLINE_PATH);
}

int trial_fail(struct path_cxt *pc, struct trial *t, char *const *reasons)
{
	int r;

	STRV_FOREACH (s, reasons) {
		r = strv_add(&t->failures, *s);
		if (r < 0)
			return r;
	}
	r = mark_decided(pc, t, TRIAL_FAILED);
	if (r < 0)
		return r;
	r = unlink_if_exists(pc, TRIAL_CMDLINE_PATH);
	if (r < 0)
		return r;
	return trial_save(pc, t);
}

static void describe_time(struct strbuf *out, const char *what, uint64_t t, const char *boot_id)
{
	char buf[64] = "";
	time_t tt = (time_t)t;
	struct tm tm;

	if (t && gmtime_r(&tt, &tm))
		strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (!t && !boot_id)
		return;
	strbuf_printf(out, "  %s: %s%s%s%s\n", what, buf, *buf && boot_id ? " " : "",
		      boot_id ? "boot " : "", boot_id ? boot_id : "");
}

void trial_describe(const struct trial *t, struct strbuf *out)
{
	switch (t->state) {
	case TRIAL_NONE:
		strbuf_puts(out, "Trial: none (nothing applied yet)\n");
		return;
	case TRIAL_PENDING:
		strbuf_printf(out,
			      "Trial: pending, generation %" PRIu64
			      " (default entry: generation %" PRIu64
			      "); the next boot is the trial, 'gpt-bootcfg confirm' promotes it\n",
			      t->generation, t->previous);
		break;
	case TRIAL_CONFIRMED:
		if (t->direct)
			strbuf_printf(out,
				      "Trial: none, generation %" PRIu64
				      " applied without a trial (--no-trial)\n",
				      t->generation);
		else
			strbuf_printf(
			    out, "Trial: confirmed, generation %" PRIu64 " is the default entry\n",
			    t->generation);
		break;
	case TRIAL_FAILED:
		strbuf_printf(out,
			      "Trial: FAILED, generation %" PRIu64
			      "; the default entry (generation %" PRIu64 ") stays in use\n",
			      t->generation, t->previous);
		break;
	}
	describe_time(out, "armed", t->armed_time, t->armed_boot_id);
	describe_time(out, "decided", t->decided_time, t->decided_boot_id);
	STRV_FOREACH (f, t->failures)
		strbuf_printf(out, "  failed: %s\n", *f);
}

static void json_strv(struct json_writer *w, const char *key, char *const *l)
{
	json_array_begin(w, key);
	STRV_FOREACH (s, l)
		json_string(w, NULL, *s);
	json_array_end(w);
}

void trial_json(const struct trial *t, struct json_writer *w, const char *key)
{
	json_object_begin(w, key);
	json_string(w, "state", trial_state_to_string(t->state));
	if (t->state != TRIAL_NONE) {
		json_uint(w, "generation", t->generation);
		json_uint(w, "previous_generation", t->previous);
		json_bool(w, "direct", t->direct);
		json_string(w, "armed_boot_id", t->armed_boot_id);
		json_uint(w, "armed_time", t->armed_time);
		json_string(w, "decided_boot_id", t->decided_boot_id);
		json_uint(w, "decided_time", t->decided_time);
		json_strv(w, "params", t->params);
		json_strv(w, "devices", t->devices);
		json_strv(w, "units", t->units);
		json_strv(w, "failures", t->failures);
	}
	json_object_end(w);
}
