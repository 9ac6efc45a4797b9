/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * parse-util.c: parse_bool(), parse_uint() and the safe_ato*() family that replaced every
 * strto*() and digit loop in src/ (issue 29), at their edge cases: empty, signs, blanks,
 * trailing text, the exact overflow boundary of each width, hex case, the prefix parser's
 * end pointer; and split_words() (strv-util.c), once for config.c, vmconfig.c and vm-hw.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
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

/* s with the newline shown, for a TAP label on one line. */
static const char *shown(const char *s)
{
	static char buf[64];
	size_t n = 0;

	for (; *s && n < sizeof(buf) - 3; s++) {
		if (*s == '\n') {
			buf[n++] = '\\';
			buf[n++] = 'n';
		} else
			buf[n++] = *s;
	}
	buf[n] = '\0';
	return buf;
}

/* What every whole-string parser refuses: -EINVAL, *ret untouched. */
static const char *const not_a_number[] = {
    "", " ", "1 ", " 1", "\t1", "1\n", "+1", "1x", "x1", "1.0", "1e3", "1,000", "0x10", "1 2",
};

static void test_safe_atou(void)
{
	unsigned u = 7;

	is_int(safe_atou("0", &u), 0, "atou: 0");
	is_int(u, 0, "atou: 0 parsed");
	is_int(safe_atou("4294967295", &u), 0, "atou: UINT_MAX");
	ok(u == UINT_MAX, "atou: UINT_MAX parsed");
	u = 7;
	is_int(safe_atou("4294967296", &u), -ERANGE, "atou: UINT_MAX + 1");
	is_int(safe_atou("18446744073709551616", &u), -ERANGE, "atou: beyond 64 bits");
	is_int(safe_atou("-1", &u), -EINVAL, "atou: -1 is no unsigned");
	is_int(safe_atou("-0", &u), -EINVAL, "atou: no sign at all, even -0");
	is_int(u, 7, "atou: untouched on failure");
	is_int(safe_atou("0000000000000000000042", &u), 0, "atou: leading zeros");
	is_int(u, 42, "atou: leading zeros parsed");
	for (size_t i = 0; i < sizeof(not_a_number) / sizeof(*not_a_number); i++)
		is_int(safe_atou(not_a_number[i], &u), -EINVAL, "atou refuses '%s'",
		       shown(not_a_number[i]));
	is_int(u, 42, "atou: untouched by every refusal");

	is_int(safe_atou_range("1", 1, 10, &u), 0, "range: min itself");
	is_int(u, 1, "range: min parsed");
	is_int(safe_atou_range("10", 1, 10, &u), 0, "range: max itself");
	is_int(u, 10, "range: max parsed");
	is_int(safe_atou_range("0", 1, 10, &u), -ERANGE, "range: below min");
	is_int(safe_atou_range("11", 1, 10, &u), -ERANGE, "range: above max");
	is_int(safe_atou_range("", 1, 10, &u), -EINVAL, "range: empty is not out of range");
	is_int(u, 10, "range: untouched on failure");

	/* parse_uint() is safe_atou_range(s, 0, max). */
	is_int(parse_uint("4294967295", UINT_MAX, &u), 0, "parse_uint: UINT_MAX");
	is_int(parse_uint("4294967296", UINT_MAX, &u), -ERANGE, "parse_uint: UINT_MAX + 1");
}

static void test_safe_atou64(void)
{
	unsigned u32 = 7;
	uint64_t v = 7;

	is_int(safe_atou64("18446744073709551615", &v), 0, "atou64: UINT64_MAX");
	ok(v == UINT64_MAX, "atou64: UINT64_MAX parsed");
	v = 7;
	is_int(safe_atou64("18446744073709551616", &v), -ERANGE, "atou64: UINT64_MAX + 1");
	is_int(safe_atou64("18446744073709551620", &v), -ERANGE, "atou64: last digit overflows");
	is_int(safe_atou64("184467440737095516150", &v), -ERANGE, "atou64: one digit too many");
	is_int(safe_atou64("99999999999999999999999", &v), -ERANGE, "atou64: far beyond");
	is_int(safe_atou64("-1", &v), -EINVAL, "atou64: -1 is no UINT64_MAX");
	is_int(safe_atou64("99999999999999999999999x", &v), -EINVAL,
	       "atou64: not a number before too large");
	is_int(safe_atou("4294967296 ", &u32), -EINVAL, "atou: trailing blank before UINT_MAX + 1");
	is_int(v, 7, "atou64: untouched on failure");
	is_int(safe_atou64("000000000000000000000018446744073709551615", &v), 0,
	       "atou64: leading zeros do not count towards overflow");
	ok(v == UINT64_MAX, "atou64: leading zeros parsed");
	for (size_t i = 0; i < sizeof(not_a_number) / sizeof(*not_a_number); i++)
		is_int(safe_atou64(not_a_number[i], &v), -EINVAL, "atou64 refuses '%s'",
		       shown(not_a_number[i]));

	v = 7;
	is_int(safe_atox64("ffffffffffffffff", &v), 0, "atox64: UINT64_MAX");
	ok(v == UINT64_MAX, "atox64: UINT64_MAX parsed");
	is_int(safe_atox64("10000000000000000", &v), -ERANGE, "atox64: UINT64_MAX + 1");
	is_int(safe_atox64("DeadBeef", &v), 0, "atox64: either case");
	is_int(v, 0xdeadbeef, "atox64: either case parsed");
	is_int(safe_atox64("0000000000000000010de", &v), 0, "atox64: leading zeros");
	is_int(v, 0x10de, "atox64: leading zeros parsed");
	is_int(safe_atox64("0x10de", &v), -EINVAL, "atox64: no 0x prefix");
	is_int(safe_atox64("10dg", &v), -EINVAL, "atox64: g is no hex digit");
	is_int(safe_atox64("-1", &v), -EINVAL, "atox64: no sign");
	is_int(safe_atox64("", &v), -EINVAL, "atox64: empty");
	is_int(safe_atox64(" a", &v), -EINVAL, "atox64: no blank");
	is_int(safe_atox64("10000000000000000g", &v), -EINVAL, "atox64: syntax before range");
	is_int(v, 0x10de, "atox64: untouched on failure");
	is_int(u32, 7, "atou: untouched by a trailing blank");
}

static void test_safe_atoi(void)
{
	int64_t l = 7;
	int i = 7;

	is_int(safe_atoi("2147483647", &i), 0, "atoi: INT_MAX");
	is_int(i, INT_MAX, "atoi: INT_MAX parsed");
	is_int(safe_atoi("-2147483648", &i), 0, "atoi: INT_MIN");
	is_int(i, INT_MIN, "atoi: INT_MIN parsed");
	i = 7;
	is_int(safe_atoi("2147483648", &i), -ERANGE, "atoi: INT_MAX + 1");
	is_int(safe_atoi("-2147483649", &i), -ERANGE, "atoi: INT_MIN - 1");
	is_int(safe_atoi("-", &i), -EINVAL, "atoi: a sign alone");
	is_int(safe_atoi("--1", &i), -EINVAL, "atoi: two signs");
	is_int(safe_atoi("- 1", &i), -EINVAL, "atoi: blank after the sign");
	is_int(safe_atoi("-+1", &i), -EINVAL, "atoi: -+");
	is_int(i, 7, "atoi: untouched on failure");
	is_int(safe_atoi("-1", &i), 0, "atoi: -1");
	is_int(i, -1, "atoi: -1 parsed");
	is_int(safe_atoi("-0", &i), 0, "atoi: -0");
	is_int(i, 0, "atoi: -0 is 0");
	for (size_t k = 0; k < sizeof(not_a_number) / sizeof(*not_a_number); k++)
		is_int(safe_atoi(not_a_number[k], &i), -EINVAL, "atoi refuses '%s'",
		       shown(not_a_number[k]));

	is_int(safe_atoi64("9223372036854775807", &l), 0, "atoi64: INT64_MAX");
	ok(l == INT64_MAX, "atoi64: INT64_MAX parsed");
	is_int(safe_atoi64("-9223372036854775808", &l), 0, "atoi64: INT64_MIN");
	ok(l == INT64_MIN, "atoi64: INT64_MIN parsed");
	l = 7;
	is_int(safe_atoi64("9223372036854775808", &l), -ERANGE, "atoi64: INT64_MAX + 1");
	is_int(safe_atoi64("-9223372036854775809", &l), -ERANGE, "atoi64: INT64_MIN - 1");
	is_int(safe_atoi64("18446744073709551616", &l), -ERANGE, "atoi64: beyond 64 bits");
	is_int(safe_atoi64("-18446744073709551616-", &l), -EINVAL, "atoi64: syntax before range");
	is_int(safe_atoi64("+1", &l), -EINVAL, "atoi64: no '+'");
	is_int(safe_atoi64(" -1", &l), -EINVAL, "atoi64: no leading blank");
	is_int(safe_atoi64("-1 ", &l), -EINVAL, "atoi64: no trailing blank");
	is_int(l, 7, "atoi64: untouched on failure");
}

static void test_prefix(void)
{
	const char *end = "untouched";
	uint64_t v = 7;

	is_int(safe_atou64_prefix("123 kB", 10, &v, &end), 0, "prefix: 123 kB");
	is_int(v, 123, "prefix: the number");
	is_str(end, " kB", "prefix: end at what follows");
	is_int(safe_atou64_prefix("5.14.0-21-amd64", 10, &v, &end), 0, "prefix: a release");
	is_int(v, 5, "prefix: major");
	is_str(end, ".14.0-21-amd64", "prefix: end at the dot");
	is_int(safe_atou64_prefix("42", 10, &v, &end), 0, "prefix: the whole string");
	is_str(end, "", "prefix: end at the terminator");
	is_int(safe_atou64_prefix("12ab", 10, &v, &end), 0, "prefix: base 10 stops at hex");
	is_int(v, 12, "prefix: decimal digits only");
	is_str(end, "ab", "prefix: end at the letter");
	is_int(safe_atou64_prefix("c52B:046d", 16, &v, &end), 0, "prefix: hex");
	is_int(v, 0xc52b, "prefix: hex in either case");
	is_str(end, ":046d", "prefix: hex end at the colon");
	is_int(safe_atou64_prefix("0x10", 16, &v, &end), 0, "prefix: 0x is no prefix of ours");
	is_int(v, 0, "prefix: 0x10 reads as 0");
	is_str(end, "x10", "prefix: end at the x");
	is_int(safe_atou64_prefix("0758 /x", 8, &v, &end), 0, "prefix: octal");
	is_int(v, 075, "prefix: octal stops at 8");
	is_str(end, "8 /x", "prefix: octal end at the 8");
	is_int(safe_atou64_prefix("18446744073709551615x", 10, &v, &end), 0, "prefix: UINT64_MAX");
	ok(v == UINT64_MAX, "prefix: UINT64_MAX parsed");
	is_str(end, "x", "prefix: end after UINT64_MAX");
	is_int(safe_atou64_prefix("ffffffffffffffff:", 16, &v, &end), 0, "prefix: hex max");
	ok(v == UINT64_MAX, "prefix: hex max parsed");
	is_int(safe_atou64_prefix("1777777777777777777777 ", 8, &v, &end), 0, "prefix: octal max");
	ok(v == UINT64_MAX, "prefix: octal max parsed");
	is_int(safe_atou64_prefix("42abc", 10, &v, NULL), 0, "prefix: end pointer optional");
	is_int(v, 42, "prefix: parsed without end pointer");

	v = 7;
	end = "untouched";
	is_int(safe_atou64_prefix("18446744073709551616 kB", 10, &v, &end), -ERANGE,
	       "prefix: UINT64_MAX + 1");
	is_int(safe_atou64_prefix("10000000000000000:", 16, &v, &end), -ERANGE,
	       "prefix: hex UINT64_MAX + 1");
	is_int(safe_atou64_prefix("2000000000000000000000", 8, &v, &end), -ERANGE,
	       "prefix: octal UINT64_MAX + 1");
	is_int(safe_atou64_prefix("", 10, &v, &end), -EINVAL, "prefix: empty");
	is_int(safe_atou64_prefix(" 1", 10, &v, &end), -EINVAL, "prefix: leading blank");
	is_int(safe_atou64_prefix("-1", 10, &v, &end), -EINVAL, "prefix: minus");
	is_int(safe_atou64_prefix("+1", 10, &v, &end), -EINVAL, "prefix: plus");
	is_int(safe_atou64_prefix("kB", 10, &v, &end), -EINVAL, "prefix: no digit");
	is_int(safe_atou64_prefix("a", 10, &v, &end), -EINVAL, "prefix: hex digit in base 10");
	is_int(safe_atou64_prefix("8", 8, &v, &end), -EINVAL, "prefix: 8 in base 8");
	is_int(v, 7, "prefix: value untouched on failure");
	is_str(end, "untouched", "prefix: end untouched on failure");
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

	test_safe_atou();
	test_safe_atou64();
	test_safe_atoi();
	test_prefix();

	/* config.c: extra-cmdline on blanks, allow on blanks and commas. */
	is_str(joined("  a  b\tc ", " \t"), "a|b|c", "runs of blanks");
	is_str(joined("a, b,,c", " \t,"), "a|b|c", "commas as separators");
	is_str(joined("", " \t"), "", "no words: empty list, not NULL");
	/* vmconfig.c: isspace() words. */
	is_str(joined("a\nb\vc\rd", WHITESPACE), "a|b|c|d", "every isspace() character");
	is_str(joined("a,b", WHITESPACE), "a,b", "commas only when asked");

	return done_testing();
}
