/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>

#include "core/vm-paths.h"

int vm_run_file(const char *name, const char *suffix, char **ret)
{
	return asprintf(ret, VM_RUN_DIR "/%s%s", name, suffix) < 0 ? -ENOMEM : 0;
}

int vm_state_file(const char *name, const char *file, char **ret)
{
	return asprintf(ret, VM_STATE_DIR "/%s/%s", name, file) < 0 ? -ENOMEM : 0;
}

int vm_qmp_path(const char *name, char **ret)
{
	return vm_run_file(name, ".qmp", ret);
}

int vm_pid_path(const char *name, char **ret)
{
	return vm_run_file(name, ".pid", ret);
}

int vm_vars_path(const char *name, char **ret)
{
	return vm_state_file(name, "OVMF_VARS.fd", ret);
}
