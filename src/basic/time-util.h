/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <time.h>

/*
 * The one reading of the clock for deadlines and durations. Every caller wants
 * CLOCK_MONOTONIC: it never jumps with the wall clock (NTP, the RTC read in the
 * initramfs), and none measures across a suspend, so CLOCK_BOOTTIME would add nothing.
 * libc only: the static claim binary times its steps with it too.
 */

/* Milliseconds since an arbitrary fixed point (CLOCK_MONOTONIC), for deadlines. */
long long now_ms(void);

/*
 * The same clock with the sub-millisecond part kept, for durations worth showing to a
 * hundredth of a millisecond (a bind to vfio-pci takes well under one).
 */
double now_ms_exact(void);

/* A relative timeout of ms milliseconds (>= 0) as a timespec (sigtimedwait(), nanosleep()). */
struct timespec timespec_from_ms(long long ms);
