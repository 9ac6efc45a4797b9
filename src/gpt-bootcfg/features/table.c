/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "basic/macro.h"
#include "features/audio.h"
#include "features/bridge.h"
#include "features/gaming-run.h"
#include "features/handover.h"
#include "features/isolate.h"
#include "features/power.h"
#include "features/reset.h"
#include "features/table.h"
#include "features/win11.h"

/*
 * The order is the order of their QEMU arguments and libvirt elements (the goldens pin it)
 * and of their notes in plan.
 */
const struct feature_ops *const features[] = {
    &feature_gaming,  &feature_audio, &feature_bridge,	 &feature_power, &feature_win11,
    &feature_isolate, &feature_reset, &feature_handover, NULL,
};

const struct feature_ops *feature_by_managed_path(const char *path)
{
	FOREACH_FEATURE (f)
		if ((*f)->managed_path && streq((*f)->managed_path, path))
			return *f;
	return NULL;
}
