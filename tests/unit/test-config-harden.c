/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Issue 14 in the generator's engines: the one validator for values that reach shell- or
 * GRUB-parsed files, with the issue's exact inputs refused at FILE:LINE:COL; and the plan's
 * diff hunk headers.
 */
#include <stdlib.h>

#include "conf/config.h"
#include "write/diff.h"
#include "basic/safeword.h"
#include "tap.h"

static void expect_error(const char *text, const char *want, const char *what)
{
	struct config *c = NULL;
	char *err = NULL;
	int r = config_parse_string("/etc/t.conf", text, strlen(text), &c, &err);

	is_int(r, -EINVAL, "%s: refused", what);
	is_str(err, want, "%s: message", what);
	if (c)
		config_free(c);
	free(err);
}

static void expect_ok(const char *text, const char *what)
{
	struct config *c = NULL;
	char *err = NULL;
	int r = config_parse_string("/etc/t.conf", text, strlen(text), &c, &err);

	is_int(r, 0, "%s: accepted", what);
	if (err)
		printf("#   %s\n", err);
	if (c)
		config_free(c);
	free(err);
}

#define REFUSED                                                                                    \
	"GRUB or the shell reading the drop-in would interpret it (refused: ' \" \\ $ ; { } ` | "  \
	"& < > #, control bytes)"

static void diff_is(const char *a, const char *b, const char *want, const char *what)
{
	struct strbuf sb = STRBUF_INIT;
	char *s = NULL;

	diff_unified(&sb, a, b, "a", "b");
	(void)strbuf_steal(&sb, &s);
	is_str(s, want, "%s", what);
	free(s);
}

int main(void)
{
	/* The issue's inputs, exactly. */
	expect_error("[host]\ncmdline = console=ttyS0,115200 $(touch${IFS}/tmp/x)\n",
		     "/etc/t.conf:2:32: cmdline: '$' is not allowed in kernel parameters: " REFUSED,
		     "command substitution");
	expect_error(
	    "[host]\ncmdline = quiet\";cmd;\"\n",
	    "/etc/t.conf:2:16: cmdline: '\"' is not allowed in kernel parameters: " REFUSED,
	    "closing the drop-in's quote");
	expect_error("[host]\ncmdline = \"quiet';cmd;'\"\n",
		     "/etc/t.conf:2:17: cmdline: ''' is not allowed in kernel parameters: " REFUSED,
		     "single quote inside a quoted value");
	expect_error(
	    "[host]\ncmdline = a=b\\c\n",
	    "/etc/t.conf:2:14: cmdline: '\\' is not allowed in kernel parameters: " REFUSED,
	    "backslash");
	expect_error("[host]\ncmdline = quiet `id`\n",
		     "/etc/t.conf:2:17: cmdline: '`' is not allowed in kernel parameters: " REFUSED,
		     "backquote");
	expect_error("[host]\ncmdline = quiet;reboot\n",
		     "/etc/t.conf:2:16: cmdline: ';' is not allowed in kernel parameters: " REFUSED,
		     "semicolon");
	expect_error("[host]\ncmdline = quiet #x\n",
		     "/etc/t.conf:2:17: cmdline: '#' is not allowed in kernel parameters: " REFUSED,
		     "GRUB comment");
	expect_error("[host]\ncmdline = a{b}\n",
		     "/etc/t.conf:2:12: cmdline: '{' is not allowed in kernel parameters: " REFUSED,
		     "GRUB block");
	expect_error("[host]\ncmdline = a|b&c<d>e\n",
		     "/etc/t.conf:2:12: cmdline: '|' is not allowed in kernel parameters: " REFUSED,
		     "pipe");
	expect_error("[host]\ncmdline = quiet\x1b[31m\n",
		     "/etc/t.conf:2:16: cmdline: control byte 0x1b is not allowed in kernel "
		     "parameters: " REFUSED,
		     "escape byte");
	expect_error("[host]\ncmdline = quiet\rsplash\n",
		     "/etc/t.conf:2:16: cmdline: control byte 0x0d is not allowed in kernel "
		     "parameters: " REFUSED,
		     "carriage return inside the value");
	/* What people really write still passes. */
	expect_ok("[host]\ncmdline = console=ttyS0,115200n8 quiet\tsplash loglevel=3 "
		  "pci=noaer mitigations=auto,nosmt video=DP-1:1920x1080@60 a.b-c_d=1:2/3%\n",
		  "ordinary parameters");
	expect_ok("[host]\ncmdline = \"console=tty0 quiet\"\n", "a quoted value");

	/* The validator itself, as the writers use it. */
	ok(safe_word("intel_iommu=on"), "safe word");
	ok(!safe_word(""), "empty is no word");
	ok(!safe_word("a b"), "a blank splits words");
	ok(!safe_word("snd_hda\ninstall x /bin/sh"), "a newline in a module name");
	ok(!safe_word("a\x7f"), "DEL");
	for (const char *c = SAFE_WORD_REFUSED; *c; c++) {
		char w[4] = {'a', *c, 'b', '\0'};

		ok(!safe_word(w), "'%c' refused", *c);
	}
	is_int(safe_word_span("abc$d", 5), 3, "span stops at the first unsafe byte");
	ok(safe_comment("1 GiB pages, reserved at boot ($x is fine here)"), "a comment");
	ok(!safe_comment("ok\nrm -rf /"), "a newline ends a comment: refused");

	/* Hunk headers: a change at the top of a file (issue 14 saw "@@ -1,2 +14,13 @@"). */
	diff_is("x\ny\n", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n",
		"--- a\n+++ b\n@@ -1,2 +1,13 @@\n-x\n-y\n+1\n+2\n+3\n+4\n+5\n+6\n+7\n+8\n+9\n+10\n"
		"+11\n+12\n+13\n",
		"replacing two lines by thirteen");
	diff_is("a\nb\nc\nd\ne\nf\ng\nh\n", "a\nb\nc\nd\nX\nY\nf\ng\nh\n",
		"--- a\n+++ b\n@@ -2,7 +2,8 @@\n b\n c\n d\n-e\n+X\n+Y\n f\n g\n h\n",
		"a change in the middle, with context");
	diff_is("a\nb\n", "a\nb\nc\n", "--- a\n+++ b\n@@ -1,2 +1,3 @@\n a\n b\n+c\n",
		"an added last line");
	diff_is(NULL, "a\n", "--- /dev/null\n+++ b\n@@ -0,0 +1,1 @@\n+a\n", "a new file");
	return done_testing();
}
