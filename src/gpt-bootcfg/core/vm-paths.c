/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>

#include "core/vm-paths.h"

int vm_qmp_path(const char *name, char **ret)
{
	return asprintf(ret, VM_RUN_DIR "/%s.qmp", name) < 0 ? -ENOMEM : 0;
}

int vm_pid_path(const char *name, char **ret)
{
	return asprintf(ret, VM_RUN_DIR "/%s.pid", name) < 0 ? -ENOMEM : 0;
}

int vm_vars_path(const char *name, char **ret)
{
	return asprintf(ret, VM_STATE_DIR "/%s/OVMF_VARS.fd", name) < 0 ? -ENOMEM : 0;
}
