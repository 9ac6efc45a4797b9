/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /proc/self/mountinfo and /proc/swaps parsers (mountinfo.h): they decide which disks are
 * host-critical, so a line they misread could hand the root disk to a VM.
 */
#include "fuzz.h"
#include "basic/mountinfo.h"
#include "basic/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = fuzz_strndup(data, size);
	struct mountinfo_entry *m = NULL;
	char **swaps = NULL;
	unsigned line = 0;
	size_t n = 0;
	int r;

	if (!s)
		return 0;
	r = mountinfo_parse(s, &m, &n, &line);
	if (r >= 0) {
		for (size_t i = 0; i < n; i++)
			FUZZ_ASSERT(m[i].target && m[i].source && m[i].fstype && m[i].options);
		mountinfo_free(m, n);
	} else if (r == -EBADMSG)
		FUZZ_ASSERT(line >= 1);

	line = 0;
	r = swaps_parse(s, &swaps, &line);
	if (r >= 0)
		strv_free(swaps);
	else if (r == -EBADMSG)
		FUZZ_ASSERT(line >= 1);
	return 0;
}
