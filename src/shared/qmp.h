/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A small QMP client (QEMU Machine Protocol) over a unix socket, and the minimal JSON
 * reader it needs. QEMU's replies are trusted no more than any other input: the reader
 * is bounded (size, nesting depth) and every accessor copes with missing or mistyped
 * members, so a confused or hostile peer gives an error, never a crash.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_value {
	enum json_type type;
	bool boolean;
	bool is_integer; /* the number had no fraction or exponent and fits int64 */
	int64_t integer;
	double number;
	char *string; /* UTF-8, NUL-terminated; embedded NULs (\u0000) are refused */
	struct json_value *items; /* array elements or object values */
	char **keys;              /* object member names, parallel to items */
	size_t n;
};

/* Deepest nesting json_parse() accepts; QMP replies need a handful of levels. */
#define JSON_PARSE_MAX_DEPTH 64

/*
 * Parse exactly one JSON value from text[0..len) (surrounding whitespace allowed).
 * -EBADMSG on any syntax error, trailing garbage, or nesting deeper than
 * JSON_PARSE_MAX_DEPTH; -ENOMEM. *ret is untouched on failure.
 */
int json_parse(const char *text, size_t len, struct json_value **ret);
void json_value_free(struct json_value *v);
static inline void json_value_freep(struct json_value **v)
{
	json_value_free(*v);
}
#define _cleanup_json_ _cleanup_(json_value_freep)

/* Member of an object (the last one if repeated), or NULL if v is no object or lacks it. */
const struct json_value *json_get(const struct json_value *v, const char *key);
/* Typed member lookups: NULL / false when absent or of another type. */
const char *json_get_string(const struct json_value *v, const char *key);
bool json_get_int(const struct json_value *v, const char *key, int64_t *ret);

struct qmp;

/*
 * Connect to the QMP socket at path (a real path; callers prefix it), read the greeting
 * and negotiate capabilities. timeout_ms bounds every wait. -ENOENT / -ECONNREFUSED
 * when no QEMU listens there.
 */
int qmp_connect(const char *path, int timeout_ms, struct qmp **ret);
void qmp_close(struct qmp *q);
static inline void qmp_closep(struct qmp **q)
{
	if (*q)
		qmp_close(*q);
}
#define _cleanup_qmp_ _cleanup_(qmp_closep)

/*
 * Run a command with optional arguments (a JSON object as text, or NULL) and return its
 * "return" value. Asynchronous events arriving meanwhile are skipped (and remembered,
 * see qmp_saw_event()). A QMP error reply gives -EREMOTEIO and qmp_error() describes it;
 * a closed connection gives -ECONNRESET; no reply in time -ETIMEDOUT.
 */
int qmp_execute(struct qmp *q, const char *command, const char *arguments, int timeout_ms,
		struct json_value **ret);

/* The "desc" of the last error reply, or a description of the last protocol problem. */
const char *qmp_error(const struct qmp *q);

/* True if an event with this name was received on the connection. */
bool qmp_saw_event(const struct qmp *q, const char *event);

/*
 * Wait until QEMU closes the connection (it exits), reading and remembering events.
 * 0 on EOF, -ETIMEDOUT if still open after timeout_ms.
 */
int qmp_wait_close(struct qmp *q, int timeout_ms);

/*
 * Feed raw bytes as if received from QEMU and return the next complete message (for the
 * fuzz and unit tests: exercises the line framing and the reader without a socket).
 */
int qmp_feed_for_test(struct qmp *q, const char *data, size_t len, struct json_value **ret);
struct qmp *qmp_new_for_test(void);
