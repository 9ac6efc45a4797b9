/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Kernel CPU lists ("0-3,8-11", "0", "" for none) as used by
 * /sys/devices/system/cpu/{possible,online}, nodeN/cpulist and isolcpus=.
 */

#include <stddef.h>

/* The largest CPU number accepted; keeps garbage like "0-4294967295" from allocating. */
#define CPULIST_MAX_CPU 65535

/*
 * Parse a CPU list into a sorted, duplicate-free array of CPU numbers.
 * An empty string gives an empty list (*ret may then be NULL). -EBADMSG on garbage
 * (reversed ranges, trailing characters, numbers above CPULIST_MAX_CPU).
 */
int cpulist_parse(const char *s, unsigned **ret, size_t *ret_n);

/* Number of CPUs in a list, or -EBADMSG. */
int cpulist_count(const char *s);
