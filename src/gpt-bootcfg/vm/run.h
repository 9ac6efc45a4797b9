/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* vm run (supervision: signals, start, QMP connect) and vm stop. */

#include <stdbool.h>

#include "basic/qmp.h"
#include "core/verbs.h"

int vm_run(struct cli *cli, const char *name);
int vm_stop(struct cli *cli, const char *name, int timeout);

/* Connect to the QMP socket of a running VM; vm_not_running(r) when there is none. */
int vm_connect_running(struct cli *cli, const char *name, struct qmp **ret);
bool vm_not_running(int r);
