/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The guide's platform checks for passthrough ("gpt-bootcfg check"): CPU virtualization,
 * /dev/kvm, the IOMMU in firmware and in the kernel, interrupt remapping, UEFI boot, the
 * boot VGA device, kernel parameters, hugepages and vfio-pci. Every probe reads through
 * the host's root-prefix context, so a snapshot can record and replay them.
 */

#include <stddef.h>

#include "shared/host.h"

enum check_status {
	CHECK_PASS,
	CHECK_WARN,
	CHECK_FAIL,
	CHECK_SKIP, /* not checked: a fact it needs is unknown (the detail names it) */
};

struct check_result {
	const char *id; /* stable identifier, "iommu-kernel" */
	enum check_status status;
	char *detail; /* one line: what was found */
	char *remedy; /* one line: what to do; NULL when the check passes */
};

struct check_report {
	struct check_result *results;
	size_t n;
};

/*
 * Run every check on a loaded host. A probe that finds garbage in a file fails the
 * whole run with -errno and platform_last_error() naming the path; a missing optional
 * file is a finding, not an error.
 */
int platform_check(const struct host *h, struct check_report *ret);
void check_report_done(struct check_report *r);

/*
 * Append a result (for checks the CLI adds beyond the platform's, e.g. the VMs' bridges).
 * id must be a static string; remedy is copied (ignored when st is CHECK_PASS).
 */
int check_report_add(struct check_report *rep, const char *id, enum check_status st,
		     const char *remedy, const char *fmt, ...) _printf_(5, 6);

/* "pass", "warn", "fail", "skip". */
const char *check_status_to_string(enum check_status s);

/* True if any check failed. */
bool check_report_failed(const struct check_report *r);

/* Human-readable description of the last platform_check() failure in this thread. */
const char *platform_last_error(void);

/* Files under /lib/modules/RELEASE that the vfio-pci check reads through libkmod. */
extern const char *const platform_kmod_index_files[];
