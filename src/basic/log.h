/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "basic/macro.h"

/*
 * CLI logging. Library code never prints; it returns -errno and the verb logs.
 * %m in a format refers to the error passed to the *_errno variants.
 */

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

/* Set the maximum level printed (default LOG_LEVEL_INFO). */
void log_set_max_level(int level);
int log_get_max_level(void);

/* Prefix every line with "gpt-bootcfg: " (or another program name). */
void log_set_program(const char *name);

/* Print at level; returns -abs(error) so callers can "return log_error_errno(r, ...)". */
int log_internal(int level, int error, const char *file, int line, const char *fmt, ...)
    _printf_(5, 6);

#define log_full_errno(level, error, ...)                                                          \
	log_internal(level, error, __FILE__, __LINE__, __VA_ARGS__)

#define log_error_errno(error, ...)   log_full_errno(LOG_LEVEL_ERR, error, __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_LEVEL_WARNING, error, __VA_ARGS__)
#define log_debug_errno(error, ...)   log_full_errno(LOG_LEVEL_DEBUG, error, __VA_ARGS__)
#define log_error(...)		      log_full_errno(LOG_LEVEL_ERR, 0, __VA_ARGS__)
#define log_warning(...)	      log_full_errno(LOG_LEVEL_WARNING, 0, __VA_ARGS__)
#define log_notice(...)		      log_full_errno(LOG_LEVEL_NOTICE, 0, __VA_ARGS__)
#define log_info(...)		      log_full_errno(LOG_LEVEL_INFO, 0, __VA_ARGS__)
#define log_debug(...)		      log_full_errno(LOG_LEVEL_DEBUG, 0, __VA_ARGS__)

/* Log "Out of memory." and return -ENOMEM. */
#define log_oom() log_error_errno(-ENOMEM, "Out of memory.")
