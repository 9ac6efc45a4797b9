/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * parse-util.c: parse_bool() and split_words(), once each for config.c, vmconfig.c and
 * vmhw.c (which had three parse_bool and two split_words), at their callers' edge cases.
 */
#include <errno.h>
#include <stdlib.h>

#include "basic/parse-util.h"
#include "basic/path.h"
#include "basic/strv-util.h"
#include "tap.h"

static const char *joined(const char *s, const char *sep)
{
	static char buf[256];
	_cleanup_strv_free_ char **l = NULL;
	char *j;

	if (split_words(s, sep, &l) < 0 || !l)
		return "(error)";
	j = strv_join(l, "|");
	snprintf(buf, sizeof(buf), "%s", j ? j : "(oom)");
	free(j);
	return buf;
}

int main(void)
{
	bool b = false;

	is_int(parse_bool("yes", &b), 0, "yes");
	ok(b, "yes is true");
	is_int(parse_bool("OFF", &b), 0, "OFF");
	ok(!b, "case does not matter");
	is_int(parse_bool("1", &b), 0, "1");
	ok(b, "1 is true");
	is_int(parse_bool("", &b), -EINVAL, "empty refused");
	is_int(parse_bool("yess", &b), -EINVAL, "near miss refused");
	ok(b, "untouched on failure");

	unsigned u = 7;

	is_int(parse_uint("0", 10, &u), 0, "zero");
	is_int(u, 0, "zero parsed");
	is_int(parse_uint("65535", 65535, &u), 0, "max itself");
	is_int(parse_uint("65536", 65535, &u), -ERANGE, "above max");
	is_int(parse_uint("99999999999999999999999", 65535, &u), -ERANGE, "no overflow");
	is_int(parse_uint("", 10, &u), -EINVAL, "empty");
	is_int(parse_uint("-1", 10, &u), -EINVAL, "sign");
	is_int(parse_uint(" 1", 10, &u), -EINVAL, "blank");
	/*
	 * vmhw.c refused more than 10 characters, vmconfig.c did not. The limit only guarded
	 * against overflow, which the max check already prevents; leading zeros are a number.
	 */
	is_int(parse_uint("000000000001", 10, &u), 0, "leading zeros");
	is_int(u, 1, "leading zeros parsed");

	/* config.c: extra-cmdline on blanks, allow on blanks and commas. */
	is_str(joined("  a  b\tc ", " \t"), "a|b|c", "runs of blanks");
	is_str(joined("a, b,,c", " \t,"), "a|b|c", "commas as separators");
	is_str(joined("", " \t"), "", "no words: empty list, not NULL");
	/* vmconfig.c: isspace() words. */
	is_str(joined("a\nb\vc\rd", WHITESPACE), "a|b|c|d", "every isspace() character");
	is_str(joined("a,b", WHITESPACE), "a,b", "commas only when asked");

	return done_testing();
}
