/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Private to trial.c (the state), trial-check.c (the checks) and trial-grub.c (GRUB env). */

#include <stdint.h>

/* A decimal number, digits only (no sign, no blanks): 0 or -EINVAL. */
int trial_parse_u64(const char *s, uint64_t *ret);
