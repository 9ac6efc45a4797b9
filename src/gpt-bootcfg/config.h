/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The configuration file, /etc/gpt-bootcfg/gpt-bootcfg.conf (INI). Parsing happens in two
 * layers: the raw layer below keeps every section and key with its position, so every
 * later error can say FILE:LINE:COL; the typed layer (struct config) validates [host] and
 * [device NAME] here and hands each [vm NAME] to vm_config_parse() (vmconfig.h).
 */

#include <stdbool.h>
#include <stdint.h>

#include "path.h"
#include "pci.h"
#include "vmconfig.h"

struct config_entry {
	char *key;
	char *value; /* trimmed; quotes removed */
	unsigned line;
	unsigned col_key;   /* 1-based column of the key */
	unsigned col_value; /* 1-based column of the value */
};

struct config_section {
	char *type; /* "host", "device", "vm" */
	char *name; /* NULL for [host] */
	unsigned line;
	struct config_entry *entries;
	size_t n_entries;
};

struct device_config {
	char *name;
	struct pci_addr addr;
	char address[PCI_ADDR_STRLEN];
	bool has_id, has_subsystem, has_class;
	uint16_t vendor, device;                     /* id = vvvv:dddd */
	uint16_t subsystem_vendor, subsystem_device; /* subsystem = vvvv:dddd */
	uint32_t class;
	char **allow; /* refusal reasons the user overrides by name (override = ...) */
	const struct config_section *section;
};

struct host_config {
	bool isolate_cpus;
	bool acs_override;
	bool allow_unsafe_interrupts;
	char **extra_cmdline; /* extra kernel parameters */
	/*
	 * CPU power for the VMs' pinned CPUs (issue 15, vm-power.h): the cpufreq governor vm
	 * run sets on them while the VM runs (NULL: left alone), and the deepest C-state on
	 * the kernel command line (planner).
	 */
	char *cpu_governor;
	unsigned cpu_governor_line, cpu_governor_col;
	bool has_max_cstate;
	unsigned max_cstate;
};

struct config {
	char *path; /* host path of the file, for messages */
	struct config_section *sections;
	size_t n_sections;

	struct host_config host;
	struct device_config *devices;
	size_t n_devices;
	struct vm_config **vms;
	size_t n_vms;
};

/*
 * Load and validate the file at host path "path" through pc. On a parse or validation
 * error returns -EINVAL with "FILE:LINE:COL: message" in *ret_error; on a permission
 * problem (not root-owned, group/world-writable) returns -EPERM with a message.
 */
int config_load(struct path_cxt *pc, const char *path, struct config **ret, char **ret_error);
void config_free(struct config *c);
static inline void config_freep(struct config **c)
{
	if (*c)
		config_free(*c);
}
#define _cleanup_config_ _cleanup_(config_freep)

/* The last entry for key in a section, NULL if absent. */
const struct config_entry *config_section_get(const struct config_section *s, const char *key);

/* Lookups by name; NULL if absent. */
const struct device_config *config_find_device(const struct config *c, const char *name);
const struct vm_config *config_find_vm(const struct config *c, const char *name);

/* Format "FILE:LINE:COL: message" into a new string (helper for vm_config_parse()). */
char *config_error(const struct config *c, unsigned line, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Parse text as the contents of the file at "path" (for messages); no permission checks. */
int config_parse_string(const char *path, const char *text, size_t size, struct config **ret,
			char **ret_error);
