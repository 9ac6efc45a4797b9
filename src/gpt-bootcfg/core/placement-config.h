/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The configuration's side of CPU placement (core/placement.h): once the config and the host
 * are read, fill every VM's "vcpu-pins = auto" and "emulator-cpus = auto" in place, and
 * check the explicit pins against the host's topology. Every verb that reads both (plan,
 * apply, check, vm) calls it, so they all see the same CPUs.
 */

#include "core/config.h"
#include "shared/host.h"

/*
 * Resolve the VMs in file order: explicit pins of every VM are taken first, then each auto
 * VM gets its cores and they are taken for the next. vm->placement_why explains the choice.
 * A VM whose memory node was left to the device (numa-node unset) but has none on a host
 * with several nodes gets the node its vCPUs are on, so that its memory follows.
 * Explicit pins that name CPUs the host's topology lists as absent or offline, and an auto
 * placement that cannot be made (unknown topology, too few cores), are errors:
 * *ret_error = "FILE:LINE:COL: ...", -EINVAL. Warnings about explicit pins (a guest core
 * split over host cores, another NUMA node than the device's, a core shared with the
 * emulator) are appended to *warnings ("VM 'NAME': ..."), when warnings is not NULL.
 * -ENOMEM.
 */
int config_place_cpus(struct config *c, const struct host *h, char ***warnings, char **ret_error);
