/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The safe_ato*() family (parse-util.h) against the C library on arbitrary strings. What
 * the family accepts, strto*() reads in full to the same value; what it refuses is either
 * not one number in the family's syntax (digits only, a '-' only where signed) or, in
 * that syntax, out of range for strto*() too. The prefix parser stops where the run of
 * digits of its base stops, with strto*()'s value for that run.
 */
#include <errno.h>
#include <limits.h>

#include "fuzz.h"
#include "basic/parse-util.h"

static const char *const digits[17] = {[8] = "01234567", [10] = "0123456789",
				       [16] = "0123456789abcdefABCDEF"};

/* All of s (after skip bytes) is digits of base, at least one. */
static bool all_digits(const char *s, size_t skip, unsigned base)
{
	return s[skip] && strspn(s + skip, digits[base]) == strlen(s + skip);
}

static void check_unsigned(const char *s, unsigned base)
{
	uint64_t v = 0x5a5a;
	int r = base == 16 ? safe_atox64(s, &v) : safe_atou64(s, &v);
	bool syntax = all_digits(s, 0, base);
	unsigned long long o;

	errno = 0;
	o = strtoull(s, NULL, (int)base);
	if (r == 0)
		FUZZ_ASSERT(syntax && errno == 0 && o == v);
	else
		FUZZ_ASSERT(v == 0x5a5a &&
			    (r == -ERANGE ? syntax && errno == ERANGE : r == -EINVAL && !syntax));
}

static void check_signed(const char *s)
{
	bool syntax = all_digits(s, s[0] == '-', 10);
	int64_t v = 0x5a5a;
	int i = 0x5a5a, r = safe_atoi64(s, &v);
	long long o;

	errno = 0;
	o = strtoll(s, NULL, 10);
	if (r == 0)
		FUZZ_ASSERT(syntax && errno == 0 && o == v);
	else
		FUZZ_ASSERT(v == 0x5a5a &&
			    (r == -ERANGE ? syntax && errno == ERANGE : r == -EINVAL && !syntax));

	r = safe_atoi(s, &i);
	if (r == 0)
		FUZZ_ASSERT(syntax && errno == 0 && o == i);
	else
		FUZZ_ASSERT(i == 0x5a5a && (r == -ERANGE ? syntax && (errno == ERANGE ||
								      o < INT_MIN || o > INT_MAX)
							 : r == -EINVAL && !syntax));
}

static void check_prefix(const char *s, unsigned base)
{
	size_t n = strspn(s, digits[base]);
	const char *end = "untouched";
	uint64_t v = 0x5a5a;
	int r = safe_atou64_prefix(s, base, &v, &end);
	unsigned long long o;
	char *run;

	if (n == 0) {
		FUZZ_ASSERT(r == -EINVAL && v == 0x5a5a && streq(end, "untouched"));
		return;
	}
	/* The run alone: strtoull() would take "0x" and blanks before it, the run has none. */
	run = strndup(s, n);
	FUZZ_ASSERT(run);
	errno = 0;
	o = strtoull(run, NULL, (int)base);
	free(run);
	if (r == 0)
		FUZZ_ASSERT(errno == 0 && o == v && end == s + n);
	else
		FUZZ_ASSERT(r == -ERANGE && errno == ERANGE && v == 0x5a5a &&
			    streq(end, "untouched"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = fuzz_strndup(data, size);

	FUZZ_ASSERT(s);
	check_unsigned(s, 10);
	check_unsigned(s, 16);
	check_signed(s);
	check_prefix(s, 8);
	check_prefix(s, 10);
	check_prefix(s, 16);
	return 0;
}
