/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The configuration file, /etc/gpt-bootcfg/gpt-bootcfg.conf (INI). Parsing happens in two
 * layers: the raw layer keeps every section and key with its position (core/config.h), so
 * every later error can say FILE:LINE:COL; the typed layer validates [host] and
 * [device NAME] here, hands each [vm NAME] to vm_config_parse() (conf/vmconfig.h), and
 * offers every key it does not know itself to the features (features/table.h).
 */

#include "core/config.h"

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

/* Parse text as the contents of the file at "path" (for messages); no permission checks. */
int config_parse_string(const char *path, const char *text, size_t size, struct config **ret,
			char **ret_error);
