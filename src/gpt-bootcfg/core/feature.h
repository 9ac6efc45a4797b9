/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A feature of the VM (host audio, the gaming devices, CPU power, bridge networking, the
 * TPM, ...) as one ops table, as iproute2's struct link_util: its configuration keys, its
 * QEMU arguments, its notes in plan, the file apply manages for it and its libvirt
 * elements. The config parser, the QEMU command, plan, the managed files and the export
 * walk the table (features/table.h) instead of naming each feature; a new feature is one
 * file plus one line there. Every hook is optional (NULL: the feature has none).
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "basic/path.h"
#include "core/config.h"
#include "core/qemu-input.h"

struct json_writer;
struct xml_writer;

/* What a feature's vm run hooks get: the VM and the user its QEMU runs as. */
struct feature_run {
	struct path_cxt *pc;
	const char *config_path; /* for FILE:LINE:COL in messages */
	const struct vm_config *vm;
	uid_t uid; /* QEMU's user (0: root); 0 in vm stop, where it is not resolved */
	gid_t gid;
	const struct host_config *host; /* the file's [host] */
	const char *cpus_online;	/* the host's online CPUs ("0-35"), NULL when unknown */
};

struct feature_ops {
	const char *name; /* "audio", for messages: "Failed to check the VMs' %s" */
	const char *what; /* "sound servers": what plan_findings checks, for that message */

	/*
	 * One entry of [host] / [vm NAME]: 1 when it is this feature's key (parsed into h or
	 * o), 0 when it is not, < 0 with "FILE:LINE:COL: ..." in *ret_error for a bad value.
	 */
	int (*host_parse_key)(const struct config *c, const struct config_entry *e,
			      struct host_config *h, char **ret_error);
	int (*vm_parse_key)(const struct config *c, const struct config_entry *e,
			    struct vm_options *o, char **ret_error);
	/* One entry of [device NAME], the same way (parsed into d). */
	int (*device_parse_key)(const struct config *c, const struct config_entry *e,
				struct device_config *d, char **ret_error);
	/* Checks across the keys of one section once it is read. */
	int (*host_check)(const struct config *c, const struct config_section *s,
			  const struct host_config *h, char **ret_error);
	int (*vm_check)(const struct config *c, const struct config_section *s,
			struct vm_options *o, char **ret_error);
	/* Checks of vm against the VMs parsed before it (prev[0..n_prev)). */
	int (*vms_check)(const struct config *c, const struct vm_config *const *prev, size_t n_prev,
			 const struct vm_config *vm, char **ret_error);
	/* Frees what vm_parse_key() stored in o. */
	void (*vm_free)(struct vm_options *o);

	/* The feature's QEMU arguments (strv, appended in table order; NULL: none). */
	int (*qemu_args)(const struct qemu_cmd_input *in, char ***ret);

	/* plan's and apply's warnings and notes about the host for the config's VMs. */
	int (*plan_findings)(struct path_cxt *pc, const struct config *c, char ***warnings,
			     char ***notes);

	/*
	 * The file apply manages for the feature, at managed_path. Owned (managed_shared
	 * false): *ret_wanted is the body (NULL: the file must not exist), *ret_current is
	 * left NULL. Shared (the admin's file, in which only our marked block is ours):
	 * *ret_current and *ret_wanted as they are and should be; block_created says whether
	 * our apply created the file. Returns 0, or 1 when the file is left alone whatever
	 * the config says (plan warns).
	 */
	const char *managed_path;
	bool managed_shared;
	int (*managed_file)(struct path_cxt *pc, const struct config *c, bool block_created,
			    char **ret_current, char **ret_wanted);
	/* Shared files: contents without our block (a copy); *ret_found: there was one. */
	int (*block_strip)(const char *contents, char **ret, bool *ret_found);
	const char *block_begin; /* the block's first line, to recognise it in a diff */

	/* The feature's elements inside the libvirt domain's <devices>. */
	void (*export_libvirt)(struct xml_writer *w, const struct qemu_cmd_input *in);

	/*
	 * vm run. run_check: read-only, before the instance lock. run_start: under the lock,
	 * once QEMU's files are its user's and before QEMU starts (a helper process such as a
	 * TPM emulator, host state recorded first). run_stop: after QEMU has ended on every
	 * way out of vm run, and from vm stop and before the next run_start for a runner that
	 * was killed; so it must be idempotent and find what to undo from its own records.
	 * < 0: the hook logged why; vm run stops (run_stop undoes what run_start did).
	 */
	int (*run_check)(const struct feature_run *fr);
	int (*run_start)(const struct feature_run *fr);
	void (*run_stop)(const struct feature_run *fr);

	/* vm status: the feature's lines (w NULL) or its JSON members (running or not). */
	void (*status)(struct path_cxt *pc, const struct vm_config *vm, struct json_writer *w);
};
