/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "basic/spawn-util.h"
#include "core/systemctl.h"

int systemctl_run(struct path_cxt *pc, char **ret_output, const char *a1, const char *a2,
		  const char *a3, const char *a4)
{
	const char *cmd = getenv("GPT_BOOTCFG_SYSTEMCTL");
	int r;

	if (!cmd || !*cmd) {
		if (!path_cxt_is_host(pc))
			return -EOPNOTSUPP;
		cmd = "systemctl";
	}
	r = spawn_run(
	    (char *const[]){(char *)cmd, (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL},
	    SPAWN_STDIN_NULL, 4096, ret_output);
	if (r > 0)
		return -EIO; /* systemctl said no (its message is on stderr) */
	return r;
}
