/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <net/if.h>
#include <stdio.h>
#include <sys/stat.h>

#include "basic/json.h"
#include "basic/strv-util.h"
#include "core/qemu-input.h"
#include "core/vm-options.h"
#include "core/vm-paths.h"
#include "features/bridge.h"
#include "shared/platform.h"

/* The helper recurses into includes without a limit; a loop would only end when fopen fails. */
#define INCLUDE_DEPTH_MAX 8

#define STREMPTY(s) ((s) ? (s) : "")

void bridge_acl_result_done(struct bridge_acl_result *r)
{
	free(r->where);
	r->where = NULL;
}

struct acl_eval {
	struct path_cxt *pc;
	const char *bridge;
	char *allow_where; /* first rule that allows the bridge */
	char *deny_where;  /* first rule that denies it */
	bool allowed, denied;
};

/* Format a message into *ret and return error, or -ENOMEM. */
static int fmt_error(char **ret, int error, const char *fmt, ...) _printf_(3, 4);
static int fmt_error(char **ret, int error, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (k < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return error;
}

static int where_set(char **where, const char *file, unsigned line, const char *cmd,
		     const char *arg)
{
	if (*where)
		return 0;
	return fmt_error(where, 0, "%s:%u: %s %s", file, line, cmd, arg);
}

static int parse_file(struct acl_eval *e, const char *file, unsigned depth);

/*
 * One file's text, line by line as the helper reads it. Rules count only when applies
 * (the file's group is root). Returns 0, -EINVAL after a line the helper rejects (message
 * in *ret_bad), or -ENOMEM.
 */
static int parse_text(struct acl_eval *e, const char *file, const char *text, bool applies,
		      unsigned depth, char **ret_bad)
{
	unsigned lineno = 0;

	for (const char *l = text; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		_cleanup_free_ char *line = strndup(l, len);
		char *ptr, *cmd, *arg, *end;
		char iface[IFNAMSIZ];
		int r = 0;

		l = nl ? nl + 1 : NULL;
		lineno++;
		if (!line)
			return -ENOMEM;
		for (ptr = line; isspace((unsigned char)*ptr); ptr++)
			;
		if (*ptr == '#' || *ptr == '\0')
			continue;
		cmd = ptr;
		arg = strchr(cmd, ' ');
		if (!arg)
			arg = strchr(cmd, '\t');
		if (!arg)
			return fmt_error(ret_bad, -EINVAL, "%s:%u: '%s' has no argument", file,
					 lineno, cmd);
		*arg++ = '\0';
		while (isspace((unsigned char)*arg))
			arg++;
		for (end = arg + strlen(arg); end > arg && isspace((unsigned char)end[-1]); end--)
			;
		*end = '\0';
		/* The helper keeps IFNAMSIZ - 1 characters of a name. */
		snprintf(iface, sizeof(iface), "%s", arg);

		if (streq(cmd, "allow") || streq(cmd, "deny")) {
			bool all = streq(arg, "all"), allow = streq(cmd, "allow");

			if (!applies || (!all && !streq(iface, e->bridge)))
				continue;
			if (allow) {
				e->allowed = true;
				r = where_set(&e->allow_where, file, lineno, cmd, arg);
			} else {
				e->denied = true;
				r = where_set(&e->deny_where, file, lineno, cmd, arg);
			}
		} else if (streq(cmd, "include")) {
			_cleanup_free_ char *inc = NULL;

			/* The helper's working directory is QEMU's: "/" under the systemd unit. */
			if (asprintf(&inc, "%s%s", arg[0] == '/' ? "" : "/", arg) < 0)
				return -ENOMEM;
			if (depth < INCLUDE_DEPTH_MAX)
				r = parse_file(e, inc, depth + 1);
		} else {
			return fmt_error(ret_bad, -EINVAL, "%s:%u: unknown command '%s'", file,
					 lineno, cmd);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* An included file: errors (unreadable, a bad line) end it quietly, as in the helper. */
static int parse_file(struct acl_eval *e, const char *file, unsigned depth)
{
	_cleanup_free_ char *text = NULL, *bad = NULL;
	struct stat st;
	int r;

	if (path_stat(e->pc, &st, "%s", file) < 0 || !S_ISREG(st.st_mode) ||
	    path_read_full(e->pc, &text, NULL, "%s", file) < 0)
		return 0;
	r = parse_text(e, file, text, st.st_gid == 0, depth, &bad);
	return r == -ENOMEM ? r : 0;
}

int bridge_acl_evaluate(struct path_cxt *pc, const char *contents, gid_t gid, const char *bridge,
			struct bridge_acl_result *ret)
{
	struct acl_eval e = {.pc = pc, .bridge = bridge};
	_cleanup_free_ char *bad = NULL;
	struct bridge_acl_result res = {};
	int r;

	if (!contents) {
		if (asprintf(&res.where, "%s does not exist", BRIDGE_ACL_PATH) < 0)
			return -ENOMEM;
		res.verdict = BRIDGE_ACL_NOT_ALLOWED;
		*ret = res;
		return 0;
	}
	r = parse_text(&e, BRIDGE_ACL_PATH, contents, gid == 0, 0, &bad);
	if (r == -ENOMEM)
		goto fail;
	if (r < 0) {
		res.verdict = BRIDGE_ACL_BROKEN;
		res.where = TAKE_PTR(bad);
	} else if (e.denied) {
		res.verdict = BRIDGE_ACL_DENIED;
		res.where = TAKE_PTR(e.deny_where);
	} else if (e.allowed) {
		res.verdict = BRIDGE_ACL_ALLOWED;
		res.where = TAKE_PTR(e.allow_where);
	} else {
		res.verdict = BRIDGE_ACL_NOT_ALLOWED;
		if ((gid != 0 ? asprintf(&res.where,
					 "%s belongs to group %u: its rules apply only to callers "
					 "of that group, and QEMU runs the helper as root",
					 BRIDGE_ACL_PATH, (unsigned)gid)
			      : asprintf(&res.where, "no line of %s allows %s", BRIDGE_ACL_PATH,
					 bridge)) < 0) {
			res.where = NULL;
			r = -ENOMEM;
			goto fail;
		}
	}
	free(e.allow_where);
	free(e.deny_where);
	*ret = res;
	return 0;
fail:
	free(e.allow_where);
	free(e.deny_where);
	return r;
}

int bridge_acl_read(struct path_cxt *pc, bool follow, char **ret_contents, gid_t *ret_gid)
{
	struct stat st;
	char *buf = NULL;
	int r;

	r = follow ? path_stat(pc, &st, BRIDGE_ACL_PATH) : path_lstat(pc, &st, BRIDGE_ACL_PATH);
	if (r == -ENOENT) {
		*ret_contents = NULL;
		*ret_gid = 0;
		return 0;
	}
	if (r < 0)
		return r;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if (!S_ISREG(st.st_mode))
		return -EISDIR;
	/* Edited as a C string: a NUL byte would cut the admin's lines after it (issue 30). */
	r = path_read_text(pc, &buf, BRIDGE_ACL_PATH);
	if (r < 0)
		return r;
	*ret_contents = buf;
	*ret_gid = st.st_gid;
	return 0;
}

/* Where our block starts and ends (end: after its last newline) in s, or false. */
static bool block_find(const char *s, size_t *ret_begin, size_t *ret_end)
{
	const char *b = NULL, *e;

	for (const char *p = s; p && *p;) {
		if (startswith(p, BRIDGE_BLOCK_BEGIN)) {
			b = p;
			break;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!b)
		return false;
	for (e = b + strlen(BRIDGE_BLOCK_BEGIN); e && *e;) {
		if (startswith(e, BRIDGE_BLOCK_END)) {
			*ret_begin = (size_t)(b - s);
			*ret_end = (size_t)(e - s) + strlen(BRIDGE_BLOCK_END);
			return true;
		}
		e = strchr(e, '\n');
		if (e)
			e++;
	}
	return false;
}

int bridge_block_strip(const char *contents, char **ret, bool *ret_found)
{
	size_t b = 0, e = 0;
	bool found = contents && block_find(contents, &b, &e);
	char *s;

	if (!contents)
		s = strdup("");
	else if (!found)
		s = strdup(contents);
	else if (asprintf(&s, "%.*s%s", (int)b, contents, contents + e) < 0)
		s = NULL;
	if (!s)
		return -ENOMEM;
	*ret = s;
	*ret_found = found;
	return 0;
}

int bridge_block_set(const char *contents, char *const *bridges, char **ret)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	size_t b = 0, e = 0;
	bool found = contents && block_find(contents, &b, &e);
	char *s = NULL;

	if (!found) {
		b = 0;
		e = 0;
	}
	if (contents)
		strbuf_printf(&sb, "%.*s", (int)b, contents);
	if (bridges && bridges[0]) {
		strbuf_puts(&sb, BRIDGE_BLOCK_BEGIN);
		STRV_FOREACH (br, bridges)
			strbuf_printf(&sb, "allow %s\n", *br);
		strbuf_puts(&sb, BRIDGE_BLOCK_END);
	}
	if (contents)
		strbuf_puts(&sb, contents + e);
	if (!strbuf_str(&sb))
		return -ENOMEM;
	if (strbuf_steal(&sb, &s) < 0)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int bridge_config_bridges(const struct config *c, char ***ret)
{
	_cleanup_strv_free_ char **l = NULL;

	for (size_t i = 0; i < c->n_vms; i++) {
		const struct vm_options *o = vm_options(c->vms[i]);

		if (o->network == VM_NET_BRIDGE && strv_add_unique(&l, o->net_ifname) < 0)
			return -ENOMEM;
	}
	if (l)
		strv_sort(l);
	*ret = TAKE_PTR(l);
	return 0;
}

int bridge_acl_wanted(struct path_cxt *pc, const struct config *c, bool created, char **ret_current,
		      char **ret_wanted)
{
	_cleanup_strv_free_ char **bridges = NULL, **add = NULL;
	_cleanup_free_ char *cur = NULL, *user = NULL, *wanted = NULL;
	gid_t gid = 0;
	bool found;
	int r;

	r = bridge_config_bridges(c, &bridges);
	if (r < 0)
		return r;
	r = bridge_acl_read(pc, false, &cur, &gid);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 1;
	r = bridge_block_strip(cur, &user, &found);
	if (r < 0)
		return r;
	STRV_FOREACH (b, bridges) {
		struct bridge_acl_result res;

		r = bridge_acl_evaluate(pc, cur ? user : NULL, gid, *b, &res);
		if (r < 0)
			return r;
		/* The user's own allow makes ours redundant; ours could not beat their deny. */
		if ((res.verdict == BRIDGE_ACL_NOT_ALLOWED || res.verdict == BRIDGE_ACL_BROKEN) &&
		    strv_add(&add, *b) < 0)
			r = -ENOMEM;
		bridge_acl_result_done(&res);
		if (r < 0)
			return r;
	}
	if (!cur && !add) {
		*ret_current = NULL;
		*ret_wanted = NULL;
		return 0;
	}
	r = bridge_block_set(cur, add, &wanted);
	if (r < 0)
		return r;
	/* A file only we wrote goes when our block does. */
	if (created && !add && !*user) {
		free(wanted);
		wanted = NULL;
	}
	*ret_current = TAKE_PTR(cur);
	*ret_wanted = TAKE_PTR(wanted);
	return 0;
}

static int bridge_exists(struct path_cxt *pc, const char *bridge)
{
	return path_exists(pc, "/sys/class/net/%s/bridge", bridge);
}

/* The verdict on the file as it is now. */
static int acl_now(struct path_cxt *pc, const char *bridge, struct bridge_acl_result *ret)
{
	_cleanup_free_ char *cur = NULL;
	gid_t gid = 0;
	int r;

	r = bridge_acl_read(pc, true, &cur, &gid);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		ret->verdict = BRIDGE_ACL_BROKEN;
		return fmt_error(&ret->where, 0, "%s cannot be read: %s", BRIDGE_ACL_PATH,
				 r == -EBADMSG ? "it holds a NUL byte, and apply does not edit it"
					       : strerror(-r));
	}
	return bridge_acl_evaluate(pc, cur, gid, bridge, ret);
}

int bridge_plan_findings(struct path_cxt *pc, const struct config *c, char ***warnings,
			 char ***notes)
{
	_cleanup_free_ char *cur = NULL, *wanted = NULL;
	gid_t gid = 0;
	bool left_alone;
	int r;

	r = bridge_acl_wanted(pc, c, false, &cur, &wanted);
	if (r < 0)
		return r;
	left_alone = r > 0;
	if (!left_alone) {
		/* The group a new file gets (root) or the one apply keeps. */
		_cleanup_free_ char *dummy = NULL;

		if (bridge_acl_read(pc, false, &dummy, &gid) < 0)
			gid = 0;
	}

	for (size_t i = 0; i < c->n_vms; i++) {
		const struct vm_config *vm = c->vms[i];
		const struct vm_options *o = vm_options(vm);
		struct bridge_acl_result now = {}, after = {};
		const char *b = o->net_ifname;

		if (o->network != VM_NET_BRIDGE)
			continue;
		r = bridge_exists(pc, b);
		if (r < 0 && r != -ENOENT && r != -ENOTDIR)
			return r;
		if (r <= 0) {
			r = strv_addf(
			    warnings,
			    "[vm %s] network = bridge:%s: there is no bridge %s on this host "
			    "(no /sys/class/net/%s/bridge); QEMU cannot start the VM until the "
			    "host's network configuration creates it",
			    vm->name, b, b, b);
			if (r < 0)
				return r;
		}
		r = acl_now(pc, b, &now);
		if (r >= 0 && left_alone)
			r = acl_now(pc, b, &after);
		else if (r >= 0)
			r = bridge_acl_evaluate(pc, wanted, gid, b, &after);
		if (r < 0)
			goto done;

		/* Line numbers as the user sees the file now (our block would shift them). */
		if (now.verdict == after.verdict && now.where) {
			free(after.where);
			after.where = TAKE_PTR(now.where);
		}
		switch (after.verdict) {
		case BRIDGE_ACL_ALLOWED:
			if (now.verdict == BRIDGE_ACL_ALLOWED)
				break;
			r = strv_addf(
			    notes,
			    "[vm %s] network = bridge:%s: qemu-bridge-helper refuses %s until "
			    "apply adds \"allow %s\" to %s (now: %s)",
			    vm->name, b, b, b, BRIDGE_ACL_PATH, STREMPTY(now.where));
			break;
		case BRIDGE_ACL_DENIED:
			r = strv_addf(
			    warnings,
			    "[vm %s] network = bridge:%s: denied by %s; apply does not override "
			    "a deny of yours: QEMU fails (\"bridge helper failed\") until it goes",
			    vm->name, b, after.where);
			break;
		case BRIDGE_ACL_BROKEN:
			r = strv_addf(
			    warnings,
			    "[vm %s] network = bridge:%s: qemu-bridge-helper cannot parse %s "
			    "(%s) and refuses every bridge until that line is fixed",
			    vm->name, b, BRIDGE_ACL_PATH, after.where);
			break;
		case BRIDGE_ACL_NOT_ALLOWED:
			r = strv_addf(
			    warnings,
			    "[vm %s] network = bridge:%s: qemu-bridge-helper refuses it (%s), "
			    "and apply cannot change that%s: allow it in %s yourself",
			    vm->name, b, STREMPTY(after.where),
			    left_alone ? " (it edits only a regular file, never a link)" : "",
			    BRIDGE_ACL_PATH);
			break;
		}
	done:
		bridge_acl_result_done(&now);
		bridge_acl_result_done(&after);
		if (r < 0)
			return r;
	}
	return 0;
}

int bridge_check(struct path_cxt *pc, const struct config *c, struct check_report *rep)
{
	for (size_t i = 0; i < c->n_vms; i++) {
		const struct vm_config *vm = c->vms[i];
		const struct vm_options *o = vm_options(vm);
		struct bridge_acl_result now = {};
		_cleanup_free_ char *remedy = NULL;
		const char *b = o->net_ifname;
		int r;

		if (o->network != VM_NET_BRIDGE)
			continue;
		r = bridge_exists(pc, b);
		if (r < 0 && r != -ENOENT && r != -ENOTDIR)
			return r;
		if (r <= 0) {
			if (asprintf(&remedy,
				     "create bridge %s in the host's network configuration", b) < 0)
				return -ENOMEM;
			r = check_report_add(rep, "vm-bridge", CHECK_FAIL, remedy,
					     "[vm %s] bridge %s does not exist", vm->name, b);
			if (r < 0)
				return r;
			continue;
		}
		r = acl_now(pc, b, &now);
		if (r < 0)
			return r;
		switch (now.verdict) {
		case BRIDGE_ACL_ALLOWED:
			r = check_report_add(rep, "vm-bridge", CHECK_PASS, NULL,
					     "[vm %s] bridge %s exists and is allowed (%s)",
					     vm->name, b, now.where);
			break;
		case BRIDGE_ACL_NOT_ALLOWED:
			r = fmt_error(&remedy, 0, "'gpt-bootcfg apply' adds \"allow %s\" to %s", b,
				      BRIDGE_ACL_PATH);
			if (r >= 0)
				r = check_report_add(
				    rep, "vm-bridge", CHECK_WARN, remedy,
				    "[vm %s] qemu-bridge-helper refuses bridge %s: %s", vm->name, b,
				    STREMPTY(now.where));
			break;
		case BRIDGE_ACL_DENIED:
		case BRIDGE_ACL_BROKEN:
			r = fmt_error(&remedy, 0, "edit %s: %s", BRIDGE_ACL_PATH,
				      now.verdict == BRIDGE_ACL_DENIED ? "remove the deny"
								       : "fix that line");
			if (r >= 0)
				r = check_report_add(
				    rep, "vm-bridge", CHECK_FAIL, remedy,
				    "[vm %s] qemu-bridge-helper refuses bridge %s: %s", vm->name, b,
				    now.where);
			break;
		}
		bridge_acl_result_done(&now);
		if (r < 0)
			return r;
	}
	return 0;
}

int bridge_status(struct path_cxt *pc, const struct config *c, bool json, struct json_writer *w,
		  struct strbuf *out, bool *ok)
{
	bool header = false;

	if (json)
		json_array_begin(w, "bridges");
	for (size_t i = 0; i < c->n_vms; i++) {
		const struct vm_config *vm = c->vms[i];
		const struct vm_options *o = vm_options(vm);
		struct bridge_acl_result now = {};
		const char *b = o->net_ifname;
		bool exists, allowed;
		int r;

		if (o->network != VM_NET_BRIDGE)
			continue;
		r = bridge_exists(pc, b);
		if (r < 0 && r != -ENOENT && r != -ENOTDIR)
			return r;
		exists = r > 0;
		r = acl_now(pc, b, &now);
		if (r < 0)
			return r;
		allowed = now.verdict == BRIDGE_ACL_ALLOWED;
		*ok &= exists && allowed;
		if (json) {
			json_object_begin(w, NULL);
			json_string(w, "vm", vm->name);
			json_string(w, "bridge", b);
			json_bool(w, "exists", exists);
			json_bool(w, "allowed", allowed);
			json_string(w, "acl", now.where);
			json_object_end(w);
		} else {
			if (!header)
				strbuf_puts(out, "\nBridges (network = bridge:NAME):\n");
			header = true;
			strbuf_printf(out, "  %-4s [vm %s] %s: %s, %s%s%s\n",
				      exists && allowed ? "ok" : "GAP", vm->name, b,
				      exists ? "exists" : "no such bridge",
				      allowed ? "allowed" : "refused by qemu-bridge-helper",
				      now.where ? ": " : "", STREMPTY(now.where));
		}
		bridge_acl_result_done(&now);
	}
	if (json)
		json_array_end(w);
	return 0;
}

int bridge_vm_ready(struct path_cxt *pc, const char *bridge, char **ret_error)
{
	struct bridge_acl_result now = {};
	int r;

	r = bridge_exists(pc, bridge);
	if (r < 0 && r != -ENOENT && r != -ENOTDIR)
		return r;
	if (r <= 0)
		return fmt_error(ret_error, -ENODEV,
				 "network = bridge:%s: there is no bridge %s on this host (no "
				 "/sys/class/net/%s/bridge)",
				 bridge, bridge, bridge);
	r = acl_now(pc, bridge, &now);
	if (r < 0)
		return r;
	if (now.verdict != BRIDGE_ACL_ALLOWED)
		r = fmt_error(ret_error, -EACCES,
			      "network = bridge:%s: qemu-bridge-helper would refuse %s (%s%s); "
			      "run 'gpt-bootcfg plan' and 'gpt-bootcfg apply'",
			      bridge, bridge, now.verdict == BRIDGE_ACL_DENIED ? "denied by " : "",
			      STREMPTY(now.where));
	bridge_acl_result_done(&now);
	return r;
}

bool bridge_vhost_net(struct path_cxt *pc)
{
	return path_exists(pc, "/dev/vhost-net") > 0;
}

const struct feature_ops feature_bridge = {
    .name = "bridge",
    .what = "bridges",
    .plan_findings = bridge_plan_findings,
    .managed_path = BRIDGE_ACL_PATH,
    .managed_shared = true,
    .managed_file = bridge_acl_wanted,
    .block_strip = bridge_block_strip,
    .block_begin = BRIDGE_BLOCK_BEGIN,
};
