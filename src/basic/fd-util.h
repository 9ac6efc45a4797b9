/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Reading and writing a whole open file, retrying interrupted and short transfers: the
 * one copy of the loops the path layer, the configuration reader, the claim log, the
 * crash-safe writer and snapshot had each. libc only (the claim binary uses both).
 */

#include <stddef.h>

/*
 * Read fd to its end into a NUL-terminated buffer (*ret, free() it; *ret_size, may be
 * NULL, is its length). 0, -EFBIG when there is more than max bytes, or -errno; the
 * out-parameters are untouched on failure.
 */
int fd_read_full(int fd, size_t max, char **ret, size_t *ret_size);

/*
 * 0 when fd is a regular file; -EISDIR for a directory, -EBADFD for anything else (a FIFO,
 * a socket, a device), or -errno from fstat(). Every file this project reads is a regular
 * file, sysfs and procfs attributes included: anything else is refused, never read.
 */
int fd_verify_regular(int fd);

/* Write all len bytes of buf to fd. 0 or -errno (a write of 0 bytes is -EIO). */
int fd_write_full(int fd, const void *buf, size_t len);
