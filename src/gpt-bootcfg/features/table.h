/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The VM features (core/feature.h), in the order their QEMU arguments and elements go. */

#include "core/feature.h"

/* NULL-terminated. */
extern const struct feature_ops *const features[];

#define FOREACH_FEATURE(f) for (const struct feature_ops *const *(f) = features; *(f); (f)++)

/* The feature that manages the file at path, or NULL. */
const struct feature_ops *feature_by_managed_path(const char *path);
