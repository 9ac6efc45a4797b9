/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Helpers shared by the libFuzzer targets in fuzz/. Each target is one
 * LLVMFuzzerTestOneInput() over a parser; see docs/hardening.md for how they are run.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A violated invariant is a finding like a crash: abort() makes libFuzzer save the input
 * as a crash artifact.
 */
#define FUZZ_ASSERT(cond)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The input as a C string; parsers take strings, so embedded NULs end it early. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	return strndup((const char *)data, size);
}

/*
 * A private root directory for targets that go through the path layer, created once per
 * process and removed at exit. Returns the directory or aborts.
 */
const char *fuzz_root(void);

/* Write data to host path "path" below fuzz_root() (parents must exist); aborts on error. */
void fuzz_write_file(const char *path, const void *data, size_t size);

/* mkdir -p of a host path below fuzz_root(); aborts on error. */
void fuzz_mkdir(const char *path);
