/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A small streaming JSON writer into a strbuf, pretty-printed with two-space indent.
 * Commas and nesting are tracked here so callers only say what comes next.
 */

#include <stdbool.h>
#include <stdint.h>

#include "basic/strbuf.h"

#define JSON_MAX_DEPTH 32

struct json_writer {
	struct strbuf *out;
	int depth;
	bool first[JSON_MAX_DEPTH];
	bool after_key;
};

void json_init(struct json_writer *w, struct strbuf *out);

/* Containers; a NULL key means "value in an array" (or the top level). */
void json_object_begin(struct json_writer *w, const char *key);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w, const char *key);
void json_array_end(struct json_writer *w);

/* Scalars; json_string() with a NULL value writes null. */
void json_string(struct json_writer *w, const char *key, const char *value);
void json_bool(struct json_writer *w, const char *key, bool value);
void json_int(struct json_writer *w, const char *key, int64_t value);
void json_uint(struct json_writer *w, const char *key, uint64_t value);
void json_null(struct json_writer *w, const char *key);

/*
 * Write s as a JSON string literal (quotes and escapes) to sb. The output is always valid
 * JSON in UTF-8: control characters (C0, DEL and the C1 range U+0080-U+009F) are written
 * as \u00XX, and every byte of s that is not part of a well-formed UTF-8 sequence (a
 * non-UTF-8 label or path) as \ufffd, the replacement character: one per byte, so the
 * byte's value is lost but the place it held is kept (issue 30 #5).
 */
void json_escape(struct strbuf *sb, const char *s);
