/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Loading a kernel module and its dependencies without kmod: the load order comes from
 * ROOT/lib/modules/KVER/modules.dep, each module is loaded with finit_module(2). Only the
 * running host is ever changed: under --root the order is resolved and reported, and no
 * module is loaded.
 */

#include <stdbool.h>

#include "basic/path.h"
#include "basic/strbuf.h"

/*
 * Resolve the dependencies of module name (either "vfio-pci" or "vfio_pci") from
 * modules.dep, in load order (dependencies first, the module last), as a NULL-terminated
 * array of host paths relative to /lib/modules/KVER ("kernel/drivers/vfio/vfio.ko").
 * -ENOENT when the module is not in modules.dep.
 */
int modload_resolve(struct path_cxt *pc, const char *kver, const char *name, char ***ret);

/* Module name of a path: "kernel/drivers/vfio/pci/vfio-pci.ko.xz" gives "vfio_pci". */
void modload_name(const char *path, char *buf, size_t size);

/*
 * Load the modules of a resolved list that are not loaded yet (ROOT/sys/module/NAME).
 * When do_load is false (--dry-run) or the context is not the running host, nothing is
 * loaded. The names of the modules loaded (or that would be) are appended to names
 * (comma-separated, may be NULL). Returns their number, or the first -errno with the
 * failing module's name in *ret_failed (may be NULL).
 */
int modload_load(struct path_cxt *pc, const char *kver, char *const *order, bool do_load,
		 struct strbuf *names, char **ret_failed);
