/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel CPU lists (cpulist.h) from sysfs and the configuration: the result must be
 * sorted, free of duplicates and bounded, and cpulist_count() must agree with it.
 */
#include "basic/cpulist.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = fuzz_strndup(data, size);
	_cleanup_free_ unsigned *cpus = NULL;
	size_t n = 0;
	int r, count;

	if (!s)
		return 0;
	r = cpulist_parse(s, &cpus, &n);
	count = cpulist_count(s);
	if (r < 0) {
		FUZZ_ASSERT(r == -EBADMSG || r == -ENOMEM);
		FUZZ_ASSERT(count < 0);
		return 0;
	}
	FUZZ_ASSERT(n <= CPULIST_MAX_CPU + 1);
	FUZZ_ASSERT(count == (int)n);
	for (size_t i = 0; i < n; i++) {
		FUZZ_ASSERT(cpus[i] <= CPULIST_MAX_CPU);
		FUZZ_ASSERT(i == 0 || cpus[i - 1] < cpus[i]);
	}
	return 0;
}
