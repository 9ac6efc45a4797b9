/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bridge.c: qemu-bridge-helper's ACL rules (as in QEMU's qemu-bridge-helper.c) and our
 * block in /etc/qemu/bridge.conf: strip and set give back the user's bytes exactly.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "features/bridge.h"
#include "tap.h"

static struct path_cxt *pc;
static char root[64];

/* The verdict for bridge on contents (main file, group root); *where copied to buf. */
static int verdict(const char *contents, const char *bridge, char *buf, size_t n)
{
	struct bridge_acl_result r = {};
	int v;

	if (bridge_acl_evaluate(pc, contents, 0, bridge, &r) < 0)
		return -1;
	snprintf(buf, n, "%s", r.where ? r.where : "");
	v = (int)r.verdict;
	bridge_acl_result_done(&r);
	return v;
}

static void put(const char *rel, const char *text, gid_t gid)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	f = fopen(p, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
	if (chown(p, 0, gid) < 0)
		abort();
}

int main(void)
{
	char w[512], d[256];
	char *s = NULL, *u = NULL;
	char *br[] = {"br0", "br1", NULL}, *none[] = {NULL};
	bool found;

	snprintf(root, sizeof(root), "/tmp/test-bridge.XXXXXX");
	if (!mkdtemp(root))
		return 1;
	snprintf(d, sizeof(d), "%s/etc/qemu", root);
	if (mkdir(strcat(strcpy(w, root), "/etc"), 0755) < 0 || mkdir(d, 0755) < 0)
		return 1;
	is_int(path_cxt_new(root, &pc), 0, "context");

	/* The helper's line rules. */
	is_int(verdict(NULL, "br0", w, sizeof(w)), BRIDGE_ACL_NOT_ALLOWED, "no file: not allowed");
	is_str(w, "/etc/qemu/bridge.conf does not exist", "... and says why");
	is_int(verdict("", "br0", w, sizeof(w)), BRIDGE_ACL_NOT_ALLOWED, "empty file");
	is_int(verdict("allow br0\n", "br0", w, sizeof(w)), BRIDGE_ACL_ALLOWED, "allow br0");
	is_str(w, "/etc/qemu/bridge.conf:1: allow br0", "where: FILE:LINE: rule");
	is_int(verdict("allow br0\n", "br1", w, sizeof(w)), BRIDGE_ACL_NOT_ALLOWED,
	       "allow br0 does not allow br1");
	is_int(verdict("allow br0", "br0", w, sizeof(w)), BRIDGE_ACL_ALLOWED,
	       "no newline at the end");
	is_int(verdict("# c\n\n  \t# c2\n\tallow   all  \n", "x", w, sizeof(w)), BRIDGE_ACL_ALLOWED,
	       "comments, blank lines, leading tab, spaces around the argument");
	is_str(w, "/etc/qemu/bridge.conf:4: allow all", "... the line counted");
	is_int(verdict("deny all\nallow br0\n", "br0", w, sizeof(w)), BRIDGE_ACL_DENIED,
	       "deny wins, before the allow");
	is_int(verdict("allow br0\ndeny br0\n", "br0", w, sizeof(w)), BRIDGE_ACL_DENIED,
	       "deny wins, after the allow");
	is_str(w, "/etc/qemu/bridge.conf:2: deny br0", "... the deny named");
	is_int(verdict("allow all\ndeny br1\n", "br0", w, sizeof(w)), BRIDGE_ACL_ALLOWED,
	       "a deny of another bridge");
	is_int(verdict("allow br0\npermit x\n", "br0", w, sizeof(w)), BRIDGE_ACL_BROKEN,
	       "an unknown command breaks the file, allows before it notwithstanding");
	is_str(w, "/etc/qemu/bridge.conf:2: unknown command 'permit'", "... named");
	is_int(verdict("allow\n", "br0", w, sizeof(w)), BRIDGE_ACL_BROKEN, "no argument");
	is_int(verdict("allow\tbr0\n", "br0", w, sizeof(w)), BRIDGE_ACL_ALLOWED,
	       "a tab separates when there is no space");
	is_int(verdict("allow\tbr0 \n", "br0", w, sizeof(w)), BRIDGE_ACL_BROKEN,
	       "the first space wins over an earlier tab (command 'allow<TAB>br0')");
	is_int(verdict("allow abcdefghijklmnopq\n", "abcdefghijklmno", w, sizeof(w)),
	       BRIDGE_ACL_ALLOWED, "names are cut to 15 characters, as the helper's IFNAMSIZ");
	{
		struct bridge_acl_result r = {};

		is_int(bridge_acl_evaluate(pc, "allow br0\n", 1000, "br0", &r), 0, "evaluate");
		is_int(r.verdict, BRIDGE_ACL_NOT_ALLOWED, "a main file of another group: ignored");
		ok(r.where && strstr(r.where, "group 1000"), "... and says so");
		bridge_acl_result_done(&r);
	}

	/* Includes, read below the root. */
	put("/etc/qemu/a.conf", "allow br0\n", 0);
	is_int(verdict("include /etc/qemu/a.conf\n", "br0", w, sizeof(w)), BRIDGE_ACL_ALLOWED,
	       "include");
	is_str(w, "/etc/qemu/a.conf:1: allow br0", "where: the included file");
	is_int(verdict("include etc/qemu/a.conf\n", "br0", w, sizeof(w)), BRIDGE_ACL_ALLOWED,
	       "a relative include is taken from / (QEMU's working directory under systemd)");
	is_int(verdict("include /etc/qemu/none.conf\nallow br1\n", "br1", w, sizeof(w)),
	       BRIDGE_ACL_ALLOWED, "a missing include is ignored");
	put("/etc/qemu/a.conf", "allow br0\nwhat\ndeny br0\n", 0);
	is_int(verdict("include /etc/qemu/a.conf\n", "br0", w, sizeof(w)), BRIDGE_ACL_ALLOWED,
	       "a bad line ends the included file only");
	put("/etc/qemu/a.conf", "deny all\n", 1);
	is_int(verdict("include /etc/qemu/a.conf\nallow br0\n", "br0", w, sizeof(w)),
	       BRIDGE_ACL_ALLOWED, "rules of an included file of another group are ignored");
	put("/etc/qemu/a.conf", "include /etc/qemu/b.conf\n", 0);
	put("/etc/qemu/b.conf", "include /etc/qemu/a.conf\n", 0);
	is_int(verdict("include /etc/qemu/a.conf\n", "br0", w, sizeof(w)), BRIDGE_ACL_NOT_ALLOWED,
	       "an include loop ends");

	/* Our block. */
	is_int(bridge_block_set(NULL, br, &s), 0, "set on no file");
	is_str(s, BRIDGE_BLOCK_BEGIN "allow br0\nallow br1\n" BRIDGE_BLOCK_END, "just the block");
	free(s);
	is_int(bridge_block_set("# mine\nallow x", br, &s), 0, "set on a file without newline");
	is_str(s, BRIDGE_BLOCK_BEGIN "allow br0\nallow br1\n" BRIDGE_BLOCK_END "# mine\nallow x",
	       "the block first, the user's bytes after it untouched");
	is_int(bridge_block_strip(s, &u, &found), 0, "strip");
	ok(found, "found the block");
	is_str(u, "# mine\nallow x", "strip gives the user's bytes back");
	free(u);
	{
		char *moved = NULL, *t = NULL;

		if (asprintf(&moved, "a\n%s\nb\n", s) < 0)
			return 1;
		is_int(bridge_block_set(moved, none, &t), 0, "set with no bridges");
		is_str(t, "a\n# mine\nallow x\nb\n", "removes a block the user moved down");
		free(t);
		is_int(bridge_block_set(moved, br + 1, &t), 0, "set in place");
		is_str(t,
		       "a\n" BRIDGE_BLOCK_BEGIN "allow br1\n" BRIDGE_BLOCK_END
		       "# mine\nallow x\nb\n",
		       "the block stays where the user put it");
		free(t);
		free(moved);
	}
	free(s);
	is_int(bridge_block_strip(BRIDGE_BLOCK_BEGIN "allow br0\n", &u, &found), 0,
	       "strip without the end marker");
	ok(!found, "a block without its end is not ours to remove");
	free(u);

	path_cxt_free(pc);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			return 1;
	}
	return done_testing();
}
