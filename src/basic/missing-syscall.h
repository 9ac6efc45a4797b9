/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * System calls some C libraries we build with do not wrap: musl (the static claim binary)
 * has no renameat2(). The kernel has had it since 3.15; callers still handle ENOSYS/EINVAL
 * for file systems that refuse the flag.
 */

#include <stdio.h>

#ifndef RENAME_NOREPLACE
#include <sys/syscall.h>
#include <unistd.h>

#define RENAME_NOREPLACE (1 << 0)

/* renameat2(2) through syscall(2), for C libraries without the wrapper. */
static inline int missing_renameat2(int olddirfd, const char *oldpath, int newdirfd,
				    const char *newpath, unsigned int flags)
{
	return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
}
#define renameat2 missing_renameat2
#endif
