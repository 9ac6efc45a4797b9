/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The running kernel's build configuration, as Debian and Ubuntu install it next to the
 * kernel: /boot/config-RELEASE (read through the root-prefix layer, so --root trees may
 * carry one). Reasons the planner gives about kernel defaults come from here, or are worded
 * as unknown when the file is missing.
 */

#include "basic/path.h"

/* What the Intel IOMMU (VT-d) does when the command line does not say. */
enum kconfig_intel_iommu {
	KCONFIG_INTEL_IOMMU_UNKNOWN,	   /* no /boot/config-RELEASE */
	KCONFIG_INTEL_IOMMU_NONE,	   /* CONFIG_INTEL_IOMMU is not set: no VT-d driver */
	KCONFIG_INTEL_IOMMU_OFF,	   /* built, off unless intel_iommu=on */
	KCONFIG_INTEL_IOMMU_ON,		   /* CONFIG_INTEL_IOMMU_DEFAULT_ON=y */
	KCONFIG_INTEL_IOMMU_ON_INTGPU_OFF, /* CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF=y (Debian):
					    * on, except for the integrated graphics */
};

/*
 * The value of option ("CONFIG_...") in text, a kernel .config: 1 and *ret_value (may be
 * NULL) a copy of the value ("y", "m", "\"string\"") when set, 0 when "is not set" or absent.
 */
int kconfig_get(const char *text, const char *option, char **ret_value);

/*
 * Read /boot/config-RELEASE: 0 and *ret the text, -ENOENT when there is none, or -errno.
 */
int kconfig_read(struct path_cxt *pc, const char *release, char **ret);

/* The Intel IOMMU default of the kernel release (see the enum); never fails. */
enum kconfig_intel_iommu kconfig_intel_iommu_default(struct path_cxt *pc, const char *release);
