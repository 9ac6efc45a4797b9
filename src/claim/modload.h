/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Loading a kernel module and its dependencies without kmod: the load order comes from
 * ROOT/lib/modules/KVER/modules.dep, each module is loaded with finit_module(2). Only the
 * running host is ever changed: under --root the order is resolved and reported, and no
 * module is loaded.
 */

#include <stdbool.h>

#include "path.h"

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
 * When do_load is false (tests, --dry-run) nothing is loaded. ret_loaded (may be NULL)
 * counts the modules actually loaded (or that would be). Returns 0 or the first -errno.
 */
int modload_load(struct path_cxt *pc, const char *kver, char *const *order, bool do_load,
		 unsigned *ret_loaded, char **ret_failed);
