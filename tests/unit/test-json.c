/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * json_escape(): the output is valid JSON in UTF-8 whatever the input bytes (issue 30 #5):
 * controls as \u00XX, each byte outside well-formed UTF-8 as \ufffd, the rest as it is.
 */
#include <stdlib.h>

#include "basic/json.h"
#include "basic/strbuf.h"
#include "tap.h"

static void check(const char *in, const char *want, const char *what)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

	json_escape(&sb, in);
	is_str(strbuf_str(&sb), want, "%s", what);
}

int main(void)
{
	check("plain", "\"plain\"", "ASCII as it is");
	check("q\"b\\n\n", "\"q\\\"b\\\\n\\n\"", "quote, backslash, newline");
	check("\x1b[2J\x7f", "\"\\u001b[2J\\u007f\"", "ESC and DEL as \\u00XX");
	check("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	      "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
	      "well-formed UTF-8 of 2, 3 and 4 bytes as it is");
	check("W\xff\xfe"
	      "x",
	      "\"W\\ufffd\\ufffdx\"", "0xff 0xfe: one \\ufffd each");
	check("a\xc3", "\"a\\ufffd\"", "a sequence cut short at the end");
	check("\xc3(", "\"\\ufffd(\"", "a lead byte without its continuation");
	check("\x80"
	      "b",
	      "\"\\ufffdb\"", "a stray continuation byte");
	check("\xc0\xaf", "\"\\ufffd\\ufffd\"", "an overlong '/' is not UTF-8");
	check("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"", "a UTF-16 surrogate is not UTF-8");
	check("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", "beyond U+10FFFF");
	check("\xc2\x9b"
	      "2J\xc2\xa0",
	      "\"\\u009b2J\xc2\xa0\"", "C1 CSI escaped, U+00A0 kept");
	return done_testing();
}
