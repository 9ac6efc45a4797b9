/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The root-prefix path layer. Every read or write of sysfs, procfs, /etc, /boot, /dev or
 * /lib/modules goes through a struct path_cxt, so that "--root DIR" (tests, snapshots,
 * chroots) and the real host take exactly the same code path. Paths passed in are always
 * absolute host paths ("/sys/bus/pci/devices"); the context prepends its root.
 *
 * All functions taking "fmt, ..." build the host path with printf formatting.
 * They return >= 0 on success and -errno on failure; ret_* are untouched on failure.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>

#include "basic/macro.h"

struct path_cxt;

/* Create a context for root (NULL or "/" means the running host). */
int path_cxt_new(const char *root, struct path_cxt **ret);
void path_cxt_free(struct path_cxt *pc);
static inline void path_cxt_freep(struct path_cxt **pc)
{
	if (*pc)
		path_cxt_free(*pc);
}
#define _cleanup_path_cxt_ _cleanup_(path_cxt_freep)

/* The root directory ("" for the running host, never with a trailing slash). */
const char *path_cxt_root(const struct path_cxt *pc);

/* True when the context is the running host (no prefix). */
bool path_cxt_is_host(const struct path_cxt *pc);

/*
 * Record every path read through this context in a list (used by "snapshot"). The
 * recorder receives the host path and whether it was a read of file contents.
 */
typedef void (*path_recorder_t)(void *userdata, const char *host_path);
void path_cxt_set_recorder(struct path_cxt *pc, path_recorder_t fn, void *userdata);

/*
 * Resolve a host path below the root as chroot(2) would (issue 14): every symlink on the
 * way is followed inside the root (an absolute target starts again at the root, ".."
 * stops there), so no directory link can lead a read or a write out of it. The last
 * component is followed only with follow_last. Components that do not exist are folded
 * lexically. openat2(RESOLVE_IN_ROOT) where the kernel has it, else a component walk.
 * Returns the resolved host path (without the root); -ELOOP after 40 links. On the
 * running host the path is returned as it is: the kernel resolves it.
 */
int path_resolve_in_root(const struct path_cxt *pc, const char *host, bool follow_last, char **ret);

/*
 * Build the prefixed path for a host path, resolved below the root except for the last
 * component (path_resolve_in_root()): what a system call that acts on a name itself
 * (rename, unlink, mkdir, symlink, lstat, open with O_NOFOLLOW) needs. Every function of
 * this layer and of fileio.h resolves this way; callers handing a path to another
 * program or library use path_prefix_follow() when it will follow the last link.
 */
int path_vprefix(const struct path_cxt *pc, char **ret, const char *fmt, va_list ap);
int path_prefix(const struct path_cxt *pc, char **ret, const char *fmt, ...) _printf_(3, 4);
/* The same with the last component followed (below the root) too. */
int path_prefix_follow(const struct path_cxt *pc, char **ret, const char *fmt, ...) _printf_(3, 4);

/* open(2) with the prefix applied (O_CLOEXEC added). Returns the fd or -errno. */
int path_open(struct path_cxt *pc, int flags, mode_t mode, const char *fmt, ...) _printf_(4, 5);

/*
 * Open a file for reading: O_RDONLY | O_NONBLOCK | O_NOCTTY plus flags (O_NOFOLLOW...),
 * and only a regular file (fd_verify_regular(): -EISDIR, -EBADFD otherwise). O_NONBLOCK,
 * because opening a FIFO waits for a writer forever and a device may block too (issue 30
 * #13); it changes nothing for a regular file, sysfs and procfs attributes included. Every
 * read helper below opens this way. Returns the fd or -errno.
 */
int path_open_regular(struct path_cxt *pc, int flags, const char *fmt, ...) _printf_(3, 4);

/*
 * Whole file contents, NUL-terminated; ret_size may be NULL. Fails with -EFBIG above 64 MiB.
 * A regular file only (path_open_regular()), as every read helper below.
 */
int path_read_full(struct path_cxt *pc, char **ret, size_t *ret_size, const char *fmt, ...)
    _printf_(4, 5);

/*
 * path_read_full() of a text file that will be handled as a C string: -EBADMSG when it
 * holds a NUL byte, which would end the string there and cut the file at it on an edit
 * (issue 30 #10).
 */
int path_read_text(struct path_cxt *pc, char **ret, const char *fmt, ...) _printf_(3, 4);

/* First line of a file, trailing whitespace stripped. */
int path_read_string(struct path_cxt *pc, char **ret, const char *fmt, ...) _printf_(3, 4);

/* A decimal unsigned integer attribute; -EBADMSG if the contents are not one. */
int path_read_u64(struct path_cxt *pc, uint64_t *ret, const char *fmt, ...) _printf_(3, 4);

/* A signed decimal integer attribute (numa_node is -1 on single-node hosts). */
int path_read_s64(struct path_cxt *pc, int64_t *ret, const char *fmt, ...) _printf_(3, 4);

/* A hexadecimal attribute such as "0x10de"; 0x prefix optional; -EBADMSG on garbage. */
int path_read_hex(struct path_cxt *pc, uint64_t *ret, const char *fmt, ...) _printf_(3, 4);

/* readlink(2): the raw link target. */
int path_readlink(struct path_cxt *pc, char **ret, const char *fmt, ...) _printf_(3, 4);

/* The last component of a symlink's target ("driver" -> "vfio-pci"). */
int path_readlink_basename(struct path_cxt *pc, char **ret, const char *fmt, ...) _printf_(3, 4);

/*
 * A directory opened once (O_PATH) for many lookups below it: path_openat() and
 * path_readlinkat_basename() then resolve one name instead of the whole prefixed path
 * again, which is most of the cost of reading a thousand PCI devices' attributes. Returns
 * the fd (close it) or -errno.
 */
int path_open_dir(struct path_cxt *pc, const char *fmt, ...) _printf_(2, 3);

/*
 * openat(2) of one name (no '/', not "." or "..") below a directory from path_open_dir();
 * dir is that directory's host path, for the recorder. O_CLOEXEC is added. An open for
 * reading (O_RDONLY, neither O_PATH nor O_DIRECTORY) follows path_open_regular()'s rule:
 * O_NONBLOCK, and a regular file only. Returns the fd or -errno (-EINVAL for a name that
 * is not a single component).
 */
int path_openat(struct path_cxt *pc, int dirfd, const char *dir, const char *name, int flags);

/* path_readlink() of one name below a directory from path_open_dir(). */
int path_readlinkat(struct path_cxt *pc, int dirfd, const char *dir, const char *name, char **ret);

/* path_readlink_basename() of one name below a directory from path_open_dir(). */
int path_readlinkat_basename(struct path_cxt *pc, int dirfd, const char *dir, const char *name,
			     char **ret);

/*
 * A symlink target resolved against the directory holding the link, purely lexically
 * ("." and ".." folded, no file system access): sysfs links point straight at the real
 * directories, so this equals realpath() without an lstat() per component, and ".." never
 * climbs above "/". An absolute target ignores dir. No I/O, so no root prefix involved.
 */
int path_resolve_link(const char *dir, const char *target, char **ret);

/*
 * Resolve a path with all symlinks, as a host path: the root is stripped again, so
 * "/sys/bus/pci/devices/0000:00:01.0" gives "/sys/devices/pci0000:00/0000:00:01.0".
 * -EXDEV if resolution escapes the root.
 */
int path_canonicalize(struct path_cxt *pc, char **ret, const char *fmt, ...) _printf_(3, 4);

/* 1 if the path exists (following symlinks), 0 if not, -errno on other errors. */
int path_exists(struct path_cxt *pc, const char *fmt, ...) _printf_(2, 3);

/* stat(2) / lstat(2). */
int path_stat(struct path_cxt *pc, struct stat *ret, const char *fmt, ...) _printf_(3, 4);
int path_lstat(struct path_cxt *pc, struct stat *ret, const char *fmt, ...) _printf_(3, 4);

/* opendir(3). */
int path_opendir(struct path_cxt *pc, DIR **ret, const char *fmt, ...) _printf_(3, 4);

/*
 * Sorted names of a directory's entries, without "." and "..", as a NULL-terminated
 * array (free with strv_free()). Sorting uses versionsort so "10" follows "9".
 */
int path_list_dir(struct path_cxt *pc, char ***ret, const char *fmt, ...) _printf_(3, 4);

/*
 * Write a string to an existing file in one write(2), as sysfs control files expect
 * (no O_CREAT, no truncation semantics beyond O_WRONLY|O_TRUNC on regular files).
 */
int path_write_string(struct path_cxt *pc, const char *s, const char *fmt, ...) _printf_(3, 4);

/* Free a NULL-terminated string array. */
void strv_free(char **l);
static inline void strv_freep(char ***l)
{
	strv_free(*l);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)
size_t strv_length(char *const *l);
/* s names the loop variable, so it cannot be parenthesized. */
// NOLINTNEXTLINE(bugprone-macro-parentheses)
#define STRV_FOREACH(s, l) for (char *const *s = (l); s && *s; s++)
