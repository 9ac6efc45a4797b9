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

#include "basic/macro.h"

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
	char *string;		  /* UTF-8, NUL-terminated; embedded NULs (\u0000) are refused */
	struct json_value *items; /* array elements or object values */
	char **keys;		  /* object member names, parallel to items */
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

/*
 * qmp_connect() to a QEMU that is starting, while watching watch[0..n_watch) (at most 4;
 * entries < 0 are skipped), e.g. a pidfd of QEMU and a signalfd of stop signals:
 * -ECANCELED as soon as one of them is readable, before the greeting and the capabilities
 * reply are complete. timeout_ms bounds the whole connection (QEMU greets only when its
 * initialisation is done, which can take a while). -ECONNRESET when QEMU closed the
 * connection (it exited; with qmp_listen() the caller must have closed its own copy of
 * the listening socket for that), -EINVAL for too many watched descriptors.
 */
int qmp_connect_watch(const char *path, int timeout_ms, const int *watch, size_t n_watch,
		      struct qmp **ret);

/*
 * A listening QMP socket at path (a real path; callers prefix it), for QEMU to inherit:
 * "-chardev socket,id=qmp,fd=N,server=on,wait=off -mon chardev=qmp,mode=control". A
 * client can then connect the moment QEMU is started, and QEMU sends the greeting when it
 * is ready: nobody waits for QEMU to create its socket. A node already at path (a stale
 * socket of a killed QEMU) is replaced: the caller holds the lock that makes the name its
 * own. The socket is made owner-only (0600, the caller's user: QEMU needs only the
 * descriptor) before it listens, so nobody can connect to it with another mode. *ret_fd
 * is close-on-exec. -ENAMETOOLONG when path does not fit a socket address.
 */
int qmp_listen(const char *path, int *ret_fd);
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
