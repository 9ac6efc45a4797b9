/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "basic/macro.h"
#include "basic/parse-util.h"

int parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

int parse_uint(const char *s, unsigned max, unsigned *ret)
{
	return safe_atou_range(s, 0, max, ret);
}

/*
 * The one digit loop: the run of digits of base at s, *ret_end after it even on overflow
 * (so that the whole-string parsers can tell "too large" from "not a number").
 */
static int scan_digits(const char *s, unsigned base, uint64_t *ret, const char **ret_end)
{
	bool overflow = false;
	const char *p = s;
	uint64_t v = 0;

	assert(base == 8 || base == 10 || base == 16);
	/* Explicit ranges, not isxdigit(): no locale decides what a digit is. */
	for (;; p++) {
		unsigned d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (*p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			break;
		if (d >= base)
			break;
		if (overflow || v > (UINT64_MAX - d) / base)
			overflow = true;
		else
			v = v * base + d;
	}
	*ret_end = p;
	if (p == s)
		return -EINVAL;
	if (overflow)
		return -ERANGE;
	*ret = v;
	return 0;
}

int safe_atou64_prefix(const char *s, unsigned base, uint64_t *ret, const char **ret_end)
{
	const char *end;
	uint64_t v;
	int r = scan_digits(s, base, &v, &end);

	if (r < 0)
		return r;
	*ret = v;
	if (ret_end)
		*ret_end = end;
	return 0;
}

/* The whole string: digits and nothing else is the syntax (-EINVAL), then the range. */
static int digits_u64(const char *s, unsigned base, uint64_t *ret)
{
	const char *end;
	uint64_t v;
	int r = scan_digits(s, base, &v, &end);

	if (r == -EINVAL || *end)
		return -EINVAL;
	if (r < 0)
		return r;
	*ret = v;
	return 0;
}

int safe_atou64(const char *s, uint64_t *ret)
{
	return digits_u64(s, 10, ret);
}

int safe_atox64(const char *s, uint64_t *ret)
{
	return digits_u64(s, 16, ret);
}

int safe_atou_range(const char *s, unsigned min, unsigned max, unsigned *ret)
{
	uint64_t v;
	int r = digits_u64(s, 10, &v);

	if (r < 0)
		return r;
	if (v < min || v > max)
		return -ERANGE;
	*ret = (unsigned)v;
	return 0;
}

int safe_atou(const char *s, unsigned *ret)
{
	return safe_atou_range(s, 0, UINT_MAX, ret);
}

int safe_atoi64(const char *s, int64_t *ret)
{
	bool neg = *s == '-';
	uint64_t v;
	int r = digits_u64(s + neg, 10, &v);

	if (r < 0)
		return r;
	if (v > (uint64_t)INT64_MAX + neg)
		return -ERANGE;
	*ret = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

int safe_atoi(const char *s, int *ret)
{
	int64_t v;
	int r = safe_atoi64(s, &v);

	if (r < 0)
		return r;
	if (v < INT_MIN || v > INT_MAX)
		return -ERANGE;
	*ret = (int)v;
	return 0;
}

bool user_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32 || s[0] == '.' || s[0] == '-')
		return false;
	for (const char *p = s; *p; p++)
		if (!isascii((unsigned char)*p) ||
		    (!isalnum((unsigned char)*p) && !strchr("-_.", *p)))
			return false;
	return true;
}
