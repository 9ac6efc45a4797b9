/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The path layer's attribute readers (path.h) on arbitrary file contents, as a corrupt
 * or unusual sysfs/procfs attribute would present them: string, u64, s64, hex, full.
 */
#include "fuzz.h"
#include "basic/path.h"

#define ATTR "/sys/fuzz/attr"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct path_cxt *pc;
	_cleanup_free_ char *full = NULL, *str = NULL;
	size_t n = 0;
	uint64_t u = UINT64_MAX;
	int64_t s = INT64_MIN;

	if (!pc) {
		fuzz_mkdir("/sys/fuzz");
		if (path_cxt_new(fuzz_root(), &pc) < 0)
			abort();
	}
	fuzz_write_file(ATTR, data, size);

	FUZZ_ASSERT(path_read_full(pc, &full, &n, ATTR) == 0);
	FUZZ_ASSERT(n == size && memcmp(full, data, size) == 0 && full[n] == '\0');

	FUZZ_ASSERT(path_read_string(pc, &str, ATTR) == 0);
	/* First line, no trailing blanks, never longer than the file. */
	FUZZ_ASSERT(strlen(str) <= size && !strchr(str, '\n'));
	if (*str) {
		char last = str[strlen(str) - 1];

		FUZZ_ASSERT(last != ' ' && last != '\t' && last != '\r');
	}

	if (path_read_u64(pc, &u, ATTR) == 0) {
		/* strtoull() quietly negates "-1"; an unsigned attribute must never do that. */
		FUZZ_ASSERT(!strchr(str, '-'));
		FUZZ_ASSERT(strtoull(str, NULL, 10) == u);
	} else
		FUZZ_ASSERT(u == UINT64_MAX);

	if (path_read_s64(pc, &s, ATTR) != 0)
		FUZZ_ASSERT(s == INT64_MIN);

	u = 0x5a5a;
	if (path_read_hex(pc, &u, ATTR) != 0)
		FUZZ_ASSERT(u == 0x5a5a);
	return 0;
}
