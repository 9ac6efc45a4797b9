/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * [vm NAME] sections: the contract between the generator (which parses the config file,
 * sizes hugepages, isolates CPUs and enables units) and the VM runner (which builds and
 * runs the QEMU command). The config parser (config.c) stores each [vm] section as raw
 * key/value entries with their line and column; vm_config_parse() validates them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpulist.h"

struct config_section;
struct config;

struct vm_config {
	char *name;
	uint64_t memory;        /* bytes */
	uint64_t hugepage_size; /* bytes; 0 = no hugepages */
	unsigned vcpus;
	unsigned sockets, cores, threads;
	struct cpu_set_list vcpu_pins; /* host CPU for vCPU i, empty = no pinning */
	struct cpu_set_list emulator_cpus;
	char **devices; /* names of [device NAME] sections, strv */
	bool autostart;
	/* Further keys (disks, firmware, network, ...) are owned by the VM runner. */
	void *runner; /* private to vmconfig.c */
};

/*
 * Validate a [vm NAME] section and build its vm_config. On error returns -EINVAL and an
 * allocated message "FILE:LINE:COL: ..." in *ret_error.
 */
int vm_config_parse(const struct config *c, const struct config_section *s,
		    struct vm_config **ret, char **ret_error);
void vm_config_free(struct vm_config *vm);

