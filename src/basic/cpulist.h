/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Kernel CPU lists ("0-3,8-11", "0", "" for none) as used by
 * /sys/devices/system/cpu/{possible,online}, nodeN/cpulist, node/online, isolcpus= and
 * the [vm] keys vcpu-pins and emulator-cpus: the one codec for all of them.
 */

#include <stdbool.h>
#include <stddef.h>

/*
 * The largest CPU number accepted: the kernel's own ceiling. NR_CPUS is at most 8192
 * (x86_64 with MAXSMP, arch/x86/Kconfig NR_CPUS_RANGE_END; arm64 and ppc64 stop lower),
 * so no kernel has a CPU numbered above 8191 and a larger number is garbage, not a CPU.
 * It also keeps "0-4294967295" from allocating. NUMA node lists share the notation and
 * MAX_NUMNODES (1024) is below it.
 */
#define CPULIST_MAX_CPU 8191

/* A CPU list in the order written: "32,14-15" -> 32 14 15. */
struct cpu_set_list {
	unsigned *cpus; /* in the order written: "14-17,32-35" -> 14 15 16 17 32 33 34 35 */
	size_t n;
};

/*
 * Parse a CPU list (as sysfs writes it) into a sorted, duplicate-free array of CPU numbers.
 * An empty string gives an empty list (*ret may then be NULL). -EBADMSG on garbage
 * (reversed ranges, trailing characters, numbers above CPULIST_MAX_CPU): a malformed
 * kernel file is a bad message.
 */
int cpulist_parse(const char *s, unsigned **ret, size_t *ret_n);

/* Number of CPUs in a list, or -EBADMSG. */
int cpulist_count(const char *s);

/*
 * Parse a CPU list as a user wrote it, keeping the order (position i is vCPU i for
 * pinning). White space around numbers, '-' and ',' is allowed. -EINVAL on syntax errors,
 * reversed ranges or numbers above CPULIST_MAX_CPU; -ENOTUNIQ when a CPU appears twice.
 * An empty string gives an empty list.
 */
int cpulist_parse_ordered(const char *s, struct cpu_set_list *ret);

/* True if cpu is in the list. */
bool cpulist_contains(const struct cpu_set_list *l, unsigned cpu);

/*
 * The compact notation ("2-5,8,10-11") of n CPUs, runs of consecutive numbers folded in
 * the order given; "" if n is 0. -ENOMEM.
 */
int cpulist_format(const unsigned *cpus, size_t n, char **ret);
