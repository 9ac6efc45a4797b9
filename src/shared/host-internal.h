/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Private to the host model (host*.c): the loaders of each concern, called in order by
 * host_load(), and the helpers they share. Nothing outside src/shared/host*.c includes this.
 */

#include <stdint.h>

#include "shared/host.h"

/*
 * Remember "ROOT/host/path: problem" for host_last_error() and return r. The prefixed path
 * is named because it is the file the user can look at (with --root, the fixture's copy).
 */
/* Clear the error host_last_error() reports (host_load() starts with it). */
void host_error_reset(void);

/* The error of a load that failed without saying why: strerror(-r). */
void host_error_default(int r);

int host_fail(struct path_cxt *pc, int r, const char *host_path, const char *fmt, ...)
    _printf_(4, 5);
/* The same with strerror(-r), or "unexpected contents" for -EBADMSG. */
int host_fail_errno(struct path_cxt *pc, int r, const char *host_path);

/* A new empty strv, NULL on -ENOMEM. */
char **host_strv_new_empty(void);
/* Host path of the directory a sysfs link (DIR/NAME) points to. */
int host_sysfs_link_path(struct path_cxt *pc, int dirfd, const char *dir, const char *name,
			 char **ret);
/* "0x10de" or "10de"; no sign, no blanks, nothing after (safe_atox64()). -EBADMSG otherwise. */
int host_parse_hex(const char *s, uint64_t *ret);
/* A decimal number in min..max, nothing around it (safe_atoi64()). -EBADMSG otherwise. */
int host_parse_int(const char *s, long min, long max, long *ret);

/*
 * For facts only some verbs need (host.h): keep a loader's error r and host_last_error()'s
 * text in *slot and *slot_msg and return 0, so that host_load() goes on; -ENOMEM is
 * returned as it is. host_deferred_error() makes such an error host_last_error() again.
 */
int host_defer_error(int r, int *slot, char **slot_msg);
void host_deferred_error(int r, const char *msg);

/* The loaders, in host_load()'s order (blocks need the PCI devices and the mounts). */
int host_load_pci(struct host *h);
int host_load_mounts(struct host *h);
int host_load_blocks(struct host *h);
int host_load_cpu(struct host *h);
int host_load_kernel(struct host *h);
int host_load_iommu(struct host *h);	 /* deferred: host_iommu() */
int host_load_hugepages(struct host *h); /* deferred: host_hugepages() */
int host_load_nodes(struct host *h);
int host_load_topology(struct host *h); /* deferred: host_topology(); after the CPUs */

void host_iommu_done(struct host_iommu *io);
void host_hugepages_done(struct host_hugepages *hp);
void host_topology_done(struct host_topology *t);

void host_pci_device_done(struct pci_device *d);
void host_block_device_done(struct block_device *b);
