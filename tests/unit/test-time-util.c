/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * time-util.c: the one monotonic clock reading that replaced the now_ms()/mono_ms()/
 * claim_now_ms()/klog_now_ms() copies of qmp.c, spawn-util.c, claim-ops.c, klog.c,
 * lock.c, vm-start.c and vm-run.c, and the two millisecond-to-timespec conversions.
 */
#include <time.h>

#include "tap.h"
#include "basic/time-util.h"

int main(void)
{
	struct timespec ts, req = timespec_from_ms(20);
	long long a, b, c;
	double x, y;

	/* The value is CLOCK_MONOTONIC's, in milliseconds, not another clock's. */
	a = now_ms();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	b = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	ok(b >= a && b - a < 1000, "now_ms() reads CLOCK_MONOTONIC in ms (%lld, %lld)", a, b);
	x = now_ms_exact();
	ok(x >= (double)b && x - (double)b < 1000.0, "now_ms_exact() reads the same clock");
	ok((long long)x >= a, "now_ms_exact() is not behind now_ms()");

	/* A sleep of 20 ms shows as at least 20 ms on both (no upper bound: a busy host). */
	y = now_ms_exact();
	a = now_ms();
	while (nanosleep(&req, &req) < 0)
		;
	c = now_ms();
	ok(c - a >= 19, "now_ms() advanced by the 20 ms slept (%lld)", c - a);
	ok(now_ms_exact() - y >= 20.0, "now_ms_exact() advanced by at least 20 ms");

	ts = timespec_from_ms(0);
	ok(ts.tv_sec == 0 && ts.tv_nsec == 0, "0 ms");
	ts = timespec_from_ms(999);
	ok(ts.tv_sec == 0 && ts.tv_nsec == 999000000L, "999 ms");
	ts = timespec_from_ms(1000);
	ok(ts.tv_sec == 1 && ts.tv_nsec == 0, "1000 ms is one second");
	ts = timespec_from_ms(123456);
	ok(ts.tv_sec == 123 && ts.tv_nsec == 456000000L, "123456 ms");
	ts = timespec_from_ms(10LL * 24 * 3600 * 1000 + 1);
	ok(ts.tv_sec == 864000 && ts.tv_nsec == 1000000L, "ten days and 1 ms (no int overflow)");
	return done_testing();
}
