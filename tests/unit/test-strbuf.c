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
	return done_testing();
}
