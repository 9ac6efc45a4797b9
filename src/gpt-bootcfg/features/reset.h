/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * How a passed-through device is reset (issue 30): the [device] key
 * "reset-method = METHOD..." (the kernel's names of
 * Documentation/ABI/testing/sysfs-bus-pci, or "default"), which the claim list carries and
 * the claim binary writes to /sys/bus/pci/devices/ADDR/reset_method before the bind; and
 * the AMD reset bug (Polaris, Vega and Navi 1x cards hang on a bus reset after the VM
 * stops). The decisions are made here once; plan, apply and check only word them.
 *
 * The key is checked twice: its syntax when the file is read (an unknown name, a name twice,
 * "default" with others), and against what the host's device offers (its reset_method) by
 * the guardrails plan and apply refuse and check fails (planner/guardrails.h).
 */

#include "core/config.h"
#include "core/feature.h"
#include "shared/host.h"

extern const struct feature_ops feature_reset;

/*
 * The configured methods each device offers (the host's reset_method; device_specific,
 * which a module such as vendor-reset provides without the kernel listing it, is left to
 * the write at claim time), as
 * "FILE:LINE:COL: ..." errors appended to *errors: a method the device does not list, or
 * a device without the attribute (a kernel before 5.15, or no reset method at all). A
 * device not on the host is the planner's refusal, not repeated here. 0 or -ENOMEM.
 */
int reset_method_check(const struct host *h, const struct config *c, char ***errors);

/*
 * The AMD reset bug: a configured device of vendor 0x1002 with a display class whose reset
 * methods lack flr, unless its reset is device_specific (set by reset-method, or first in
 * the kernel's order: vendor-reset is loaded). One warning a device, appended to
 * *warnings: with vendor_reset (the kernels whose module index has vendor-reset, may be
 * NULL or empty) what to load and set, otherwise what to expect; kernels (may be NULL)
 * are the kernels looked at, for the message. 0 or -ENOMEM.
 */
int reset_amd_warnings(const struct host *h, const struct config *c, char *const *kernels,
		       char *const *vendor_reset, char ***warnings);
