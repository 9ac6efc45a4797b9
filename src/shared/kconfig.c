/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/macro.h"
#include "shared/kconfig.h"

int kconfig_get(const char *text, const char *option, char **ret_value)
{
	size_t l = strlen(option);

	for (const char *line = text; line && *line;) {
		const char *eol = strchrnul(line, '\n');

		/* "CONFIG_X=VALUE"; "# CONFIG_X is not set" and other comments are not set. */
		if ((size_t)(eol - line) > l && strncmp(line, option, l) == 0 && line[l] == '=') {
			if (ret_value) {
				char *v = strndup(line + l + 1, (size_t)(eol - line) - l - 1);

				if (!v)
					return -ENOMEM;
				*ret_value = v;
			}
			return 1;
		}
		line = *eol ? eol + 1 : eol;
	}
	return 0;
}

int kconfig_read(struct path_cxt *pc, const char *release, char **ret)
{
	if (!release || !*release || strchr(release, '/'))
		return -EINVAL;
	return path_read_full(pc, ret, NULL, "/boot/config-%s", release);
}

static bool is_yes(const char *text, const char *option)
{
	_cleanup_free_ char *v = NULL;

	return kconfig_get(text, option, &v) > 0 && streq(v, "y");
}

enum kconfig_intel_iommu kconfig_intel_iommu_default(struct path_cxt *pc, const char *release)
{
	_cleanup_free_ char *text = NULL;

	if (kconfig_read(pc, release, &text) < 0)
		return KCONFIG_INTEL_IOMMU_UNKNOWN;
	if (!is_yes(text, "CONFIG_INTEL_IOMMU"))
		return KCONFIG_INTEL_IOMMU_NONE;
	if (is_yes(text, "CONFIG_INTEL_IOMMU_DEFAULT_ON"))
		return KCONFIG_INTEL_IOMMU_ON;
	if (is_yes(text, "CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF"))
		return KCONFIG_INTEL_IOMMU_ON_INTGPU_OFF;
	return KCONFIG_INTEL_IOMMU_OFF;
}
