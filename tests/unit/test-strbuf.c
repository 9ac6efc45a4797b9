/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * strbuf_put_escaped(): the one control-byte escaping that replaced the copies in log.c
 * (the CLI's messages), klog.c (the claim binary's kmsg records) and claimlist.c (the
 * claim log's records).
 */
#include "basic/strbuf.h"
#include "tap.h"

static void check(const char *in, const char *want, const char *what)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

	strbuf_puts(&sb, "<");
	strbuf_put_escaped(&sb, in);
	strbuf_puts(&sb, ">");
	is_str(strbuf_str(&sb), want, "%s", what);
}

int main(void)
{
	char all[256];
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	size_t n = 0;

	check("", "<>", "nothing appends nothing");
	check("plain text: 0000:65:00.0 'x' \"y\" \\ $",
	      "<plain text: 0000:65:00.0 'x' \"y\" \\ $>",
	      "printable bytes and a backslash stay as they are");
	check("a\nb", "<a\\x0ab>", "a newline cannot start another line");
	check("\x1b[31mred", "<\\x1b[31mred>", "an escape sequence does not reach a terminal");
	check("\t\r\x7f\x01\x1f", "<\\x09\\x0d\\x7f\\x01\\x1f>",
	      "tab, CR, DEL and the ends of the range");
	check(" ~", "< ~>", "space and tilde are not controls");
	check("caf\xc3\xa9 \xff", "<caf\xc3\xa9 \xff>", "bytes from 0x80 up pass (UTF-8)");

	/* Every byte once: 31 controls below 0x20 and DEL grow by 3 bytes each, the rest stay. */
	for (int c = 1; c < 256; c++)
		all[n++] = (char)c;
	all[n] = '\0';
	strbuf_put_escaped(&sb, all);
	is_int((int)sb.len, 255 + 32 * 3, "all 255 non-NUL bytes: 32 escaped");

	/* Issue 30 #4: C1 controls in UTF-8 (xterm obeys U+009B as CSI), and str_escaped(). */
	check("a\xc2\x9b" "2Jb", "<a\\xc2\\x9b2Jb>", "U+009B (CSI in UTF-8) is escaped");
	check("\xc2\x80\xc2\x9f\xc2\xa0", "<\\xc2\\x80\\xc2\\x9f\xc2\xa0>",
	      "U+0080 and U+009F are, U+00A0 is not");
	check("\xc2", "<\xc2>", "a lone 0xc2 at the end passes");
	{
		char *e = NULL;

		is_int(str_escaped("W\x1b]0;PWN\x07\x1b[2Jx", &e), 0, "str_escaped");
		is_str(e, "W\\x1b]0;PWN\\x07\\x1b[2Jx", "the issue's label, escaped");
		free(e);
		e = (char *)"untouched";
		is_int(str_escaped(NULL, &e), 0, "str_escaped(NULL)");
		ok(e == NULL, "gives NULL");
	}
	return done_testing();
}
