/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Bridge networking for [vm] sections with "network = bridge:NAME".
 *
 * QEMU attaches the VM's tap to the bridge through qemu-bridge-helper, which refuses every
 * bridge that /etc/qemu/bridge.conf does not allow (Debian 12 ships no such file, so out of
 * the box every bridge is refused and QEMU exits with "bridge helper failed"). This module
 * reads that file with the helper's own rules, decides whether a bridge is allowed, and
 * computes the block of "allow NAME" lines apply keeps in it.
 *
 * The helper's rules (QEMU's qemu-bridge-helper.c, parse_acl_file()): a line is
 * "COMMAND ARG" (COMMAND ends at the first space, else at the first tab); blank lines and
 * lines starting with '#' (after leading white space) are skipped. Commands: "allow NAME",
 * "allow all", "deny NAME", "deny all", "include FILE". Any other command, or a line
 * without an argument, makes the helper fail on the main file (every bridge refused); in
 * an included file it only ends that file (the rules before it stay), and an include that
 * cannot be read is ignored. A bridge is allowed when some rule allows it and none denies
 * it: deny always wins, order does not matter. Rules of a file whose group is not root
 * apply only to callers of that group; the runner starts QEMU (and so the helper) as
 * root, so they are ignored.
 *
 * Everything is read through the root-prefix layer. Library code: nothing here prints.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "basic/path.h"
#include "basic/strbuf.h"
#include "core/config.h"
#include "core/feature.h"

struct json_writer;
struct check_report;

#define BRIDGE_ACL_PATH "/etc/qemu/bridge.conf"

/* Our block in BRIDGE_ACL_PATH: these two lines and the "allow" lines between them. */
#define BRIDGE_BLOCK_BEGIN                                                                         \
	"# >>> gpt-bootcfg: bridges of [vm] sections (network = bridge:NAME); apply writes "       \
	"this block, revert removes it\n"
#define BRIDGE_BLOCK_END "# <<< gpt-bootcfg\n"

enum bridge_acl_verdict {
	BRIDGE_ACL_ALLOWED,	/* a rule allows it, none denies it */
	BRIDGE_ACL_NOT_ALLOWED, /* no rule allows it (or there is no file) */
	BRIDGE_ACL_DENIED,	/* a rule denies it: deny wins over any allow */
	BRIDGE_ACL_BROKEN,	/* the helper cannot parse the main file: every bridge refused */
};

struct bridge_acl_result {
	enum bridge_acl_verdict verdict;
	/*
	 * Where it was decided, for messages: "/etc/qemu/bridge.conf:3: allow br0" (the
	 * first deciding rule), "/etc/qemu/bridge.conf:5: unknown command 'permit'",
	 * "/etc/qemu/bridge.conf does not exist"; NULL when nothing more is to be said.
	 */
	char *where;
};

void bridge_acl_result_done(struct bridge_acl_result *r);

/*
 * Evaluate the ACL for bridge as the helper would, with contents standing for the main
 * file (NULL: it does not exist) owned by group gid; included files are read below the
 * root. -ENOMEM only: unreadable included files are what the helper ignores too.
 */
int bridge_acl_evaluate(struct path_cxt *pc, const char *contents, gid_t gid, const char *bridge,
			struct bridge_acl_result *ret);

/*
 * The main file: contents (NULL when absent) and its group. With follow, as the helper
 * reads it (through a symlink); without, only a regular file (-ELOOP for a symlink,
 * -EISDIR for anything else: apply never replaces a link or a directory of the user's).
 * -errno when it cannot be read.
 */
int bridge_acl_read(struct path_cxt *pc, bool follow, char **ret_contents, gid_t *ret_gid);

/* contents without our block (a copy); *ret_found tells whether there was one. */
int bridge_block_strip(const char *contents, char **ret, bool *ret_found);

/*
 * contents (NULL: none) with our block holding "allow B" for each bridge: in place of the
 * old block, else first in the file (the user's lines stay exactly as they are, in their
 * order; the helper's verdict does not depend on the order). An empty list removes the
 * block.
 */
int bridge_block_set(const char *contents, char *const *bridges, char **ret);

/* The distinct bridges of the config's VMs (strv, sorted; NULL when none). */
int bridge_config_bridges(const struct config *c, char ***ret);

/*
 * What apply wants at BRIDGE_ACL_PATH: *ret_current (NULL: absent) and *ret_wanted (NULL:
 * the file must not exist). Our block lists the config's bridges that the user's own
 * lines (the file without our block) do not allow already and do not deny. created says
 * whether our apply created the file: only then does it go once the block is empty.
 * Returns 0, or 1 when the file is left alone whatever the config says (not a regular
 * file, unreadable: plan warns); -ENOMEM.
 */
int bridge_acl_wanted(struct path_cxt *pc, const struct config *c, bool created, char **ret_current,
		      char **ret_wanted);

/*
 * Plan's findings for the bridged VMs, appended to *warnings and *notes (strv): a bridge
 * that does not exist (/sys/class/net/NAME/bridge), one refused now and the line apply
 * adds, a deny or a broken file apply cannot fix.
 */
int bridge_plan_findings(struct path_cxt *pc, const struct config *c, char ***warnings,
			 char ***notes);

/* check's results for the bridged VMs (id "vm-bridge"), one per VM. */
int bridge_check(struct path_cxt *pc, const struct config *c, struct check_report *rep);

/*
 * status: one line per bridged VM (text) or the "bridges" array (JSON, always present).
 * *ok is cleared on a gap (no such bridge, not allowed now).
 */
int bridge_status(struct path_cxt *pc, const struct config *c, bool json, struct json_writer *w,
		  struct strbuf *out, bool *ok);

/*
 * Before vm run starts QEMU: the bridge exists and the ACL allows it. On failure -errno
 * and a message in *ret_error.
 */
int bridge_vm_ready(struct path_cxt *pc, const char *bridge, char **ret_error);

/* Whether /dev/vhost-net is there (below the root): tap networking then uses vhost=on. */
bool bridge_vhost_net(struct path_cxt *pc);

/* Bridge networking's feature (core/feature.h): qemu-bridge-helper's ACL. */
extern const struct feature_ops feature_bridge;
