/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Parsing [vm NAME] sections into struct vm_config (core/vm-options.h). The config parser
 * (conf/config.c) stores each [vm] section as raw key/value entries with their line and
 * column; vm_config_parse() validates them.
 */

#include "core/config.h"

/*
 * Validate a [vm NAME] section and build its vm_config. On error returns -EINVAL and an
 * allocated message "FILE:LINE:COL: ..." in *ret_error.
 */
int vm_config_parse(const struct config *c, const struct config_section *s, struct vm_config **ret,
		    char **ret_error);
void vm_config_free(struct vm_config *vm);
