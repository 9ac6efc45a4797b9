/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Minimal TAP producer for unit tests: ok()/is_int()/is_str(), then done_testing(). */

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                                                              \
	({                                                                                         \
		int c_ = !!(cond);                                                                 \
		tap_n++;                                                                           \
		if (!c_)                                                                           \
			tap_failed++;                                                              \
		printf("%sok %d - ", c_ ? "" : "not ", tap_n);                                     \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
		if (!c_)                                                                           \
			printf("#   failed at %s:%d\n", __FILE__, __LINE__);                           \
		c_;                                                                                \
	})

#define is_int(got, want, ...)                                                                     \
	({                                                                                         \
		long long g_ = (long long)(got), w_ = (long long)(want);                           \
		int c_ = ok(g_ == w_, __VA_ARGS__);                                                \
		if (!c_)                                                                           \
			printf("#   got %lld, want %lld\n", g_, w_);                                   \
		c_;                                                                                \
	})

#define is_str(got, want, ...)                                                                     \
	({                                                                                         \
		const char *g_ = (got), *w_ = (want);                                              \
		int c_ = ok(g_ && w_ ? strcmp(g_, w_) == 0 : g_ == w_, __VA_ARGS__);              \
		if (!c_)                                                                           \
			printf("#   got '%s', want '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
		c_;                                                                                \
	})

static inline int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
