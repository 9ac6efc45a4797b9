/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "basic/fileio.h"
#include "basic/lockfile.h"
#include "core/vm-lock.h"
#include "core/vm-paths.h"

static int vm_lock(struct path_cxt *pc, const char *name, int timeout_ms, pid_t *ret_holder)
{
	int fd, r;

	r = path_mkdir_p(pc, VM_RUN_DIR, 0755);
	if (r < 0)
		return r;
	/* O_NOFOLLOW: the run directory is root's, but a planted link is never a lock file. */
	fd = path_open(pc, O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY, 0600, VM_RUN_DIR "/%s.lock",
		       name);
	if (fd < 0)
		return fd;
	r = lock_fd_wait(fd, timeout_ms);
	if (r == -EBUSY && ret_holder)
		*ret_holder = lock_fd_holder(fd);
	/* Who holds it, for the refusal of a second "vm run" (informational only). */
	if (r >= 0)
		r = lock_fd_mark(fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int vm_lock_take(struct path_cxt *pc, const char *name, pid_t *ret_holder)
{
	return vm_lock(pc, name, 0, ret_holder);
}

int vm_lock_wait(struct path_cxt *pc, const char *name, int timeout_ms)
{
	return vm_lock(pc, name, timeout_ms, NULL);
}
