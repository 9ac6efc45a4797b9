/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kconfig_get() on kernel .config text, and the Intel IOMMU default read under a root. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/kconfig.h"
#include "basic/macro.h"
#include "tap.h"

static const char text[] = "# Automatically generated file; DO NOT EDIT.\n"
			   "CONFIG_INTEL_IOMMU=y\n"
			   "# CONFIG_INTEL_IOMMU_DEFAULT_ON is not set\n"
			   "CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF=y\n"
			   "CONFIG_VFIO=m\n"
			   "CONFIG_LOCALVERSION=\"\"\n"
			   "CONFIG_LAST=y";

static int write_config(const char *root, const char *content)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/boot", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/boot/config-6.1.0-1-amd64", root);
	if (!content)
		return unlink(p);
	f = fopen(p, "w");
	if (!f)
		return -1;
	fputs(content, f);
	return fclose(f);
}

int main(void)
{
	char root[] = "/tmp/test-kconfig.XXXXXX", cmd[64];
	_cleanup_path_cxt_ struct path_cxt *pc = NULL;
	char *v = NULL;

	is_int(kconfig_get(text, "CONFIG_INTEL_IOMMU", &v), 1, "set option found");
	is_str(v, "y", "its value");
	free(v);
	v = NULL;
	is_int(kconfig_get(text, "CONFIG_INTEL_IOMMU_DEFAULT_ON", &v), 0,
	       "'is not set' is not set (and the longer _INTGPU_OFF name does not match)");
	ok(!v, "value untouched");
	is_int(kconfig_get(text, "CONFIG_VFIO", &v), 1, "module option");
	is_str(v, "m", "value m");
	free(v);
	is_int(kconfig_get(text, "CONFIG_LOCALVERSION", &v), 1, "string option");
	is_str(v, "\"\"", "value kept with its quotes");
	free(v);
	is_int(kconfig_get(text, "CONFIG_LAST", NULL), 1, "last line without a newline");
	is_int(kconfig_get(text, "CONFIG_ABSENT", NULL), 0, "absent option");
	is_int(kconfig_get("", "CONFIG_X", NULL), 0, "empty text");

	if (!mkdtemp(root))
		return 1;
	ok(path_cxt_new(root, &pc) >= 0, "root context");
	is_int(kconfig_intel_iommu_default(pc, "6.1.0-1-amd64"), KCONFIG_INTEL_IOMMU_UNKNOWN,
	       "no /boot/config: unknown");
	is_int(kconfig_read(pc, "../etc/passwd", &v), -EINVAL, "a release with '/' is refused");
	write_config(root, text);
	is_int(kconfig_intel_iommu_default(pc, "6.1.0-1-amd64"), KCONFIG_INTEL_IOMMU_ON_INTGPU_OFF,
	       "Debian's config: on except integrated graphics");
	write_config(root, "CONFIG_INTEL_IOMMU=y\nCONFIG_INTEL_IOMMU_DEFAULT_ON=y\n");
	is_int(kconfig_intel_iommu_default(pc, "6.1.0-1-amd64"), KCONFIG_INTEL_IOMMU_ON, "on");
	write_config(root, "CONFIG_INTEL_IOMMU=y\n# CONFIG_INTEL_IOMMU_DEFAULT_ON is not set\n");
	is_int(kconfig_intel_iommu_default(pc, "6.1.0-1-amd64"), KCONFIG_INTEL_IOMMU_OFF, "off");
	write_config(root, "# CONFIG_INTEL_IOMMU is not set\n");
	is_int(kconfig_intel_iommu_default(pc, "6.1.0-1-amd64"), KCONFIG_INTEL_IOMMU_NONE,
	       "no VT-d driver");
	is_int(kconfig_intel_iommu_default(pc, NULL), KCONFIG_INTEL_IOMMU_UNKNOWN,
	       "release unknown: unknown");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd) != 0)
		printf("# cleanup failed\n");
	return done_testing();
}
