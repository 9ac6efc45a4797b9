/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/macro.h"
#include "basic/parse-util.h"
#include "basic/path.h"
#include "basic/strv-util.h"

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
	unsigned long v = 0;

	if (!*s)
		return -EINVAL;
	/* v never exceeds max before the next digit, so it cannot overflow. */
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max)
			return -ERANGE;
	}
	*ret = (unsigned)v;
	return 0;
}

/* Digits of base 10 or 16 only, the whole string, into *ret with overflow checked. */
static int digits_u64(const char *s, unsigned base, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		unsigned d;

		if (isdigit((unsigned char)*p))
			d = (unsigned)(*p - '0');
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
		else
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
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

int split_words(const char *s, const char *sep, char ***ret)
{
	_cleanup_strv_free_ char **l = calloc(1, sizeof(char *));

	if (!l)
		return -ENOMEM;
	for (const char *p = s;;) {
		size_t w;
		int r;

		p += strspn(p, sep);
		w = strcspn(p, sep);
		if (w == 0)
			break;
		r = strv_addn(&l, p, w);
		if (r < 0)
			return r;
		p += w;
	}
	*ret = TAKE_PTR(l);
	return 0;
}
