/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A small streaming XML writer into a strbuf, indented by two spaces, attributes in single
 * quotes (as libvirt writes its own XML). Every attribute value and text is escaped here,
 * so callers pass raw strings from the configuration. Characters XML 1.0 cannot carry at
 * all (control characters other than tab, LF, CR) make the writer remember -EINVAL, as an
 * allocation failure leaves -ENOMEM: check xml_finish() once at the end.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "basic/macro.h"
#include "basic/strbuf.h"

#define XML_MAX_DEPTH 32

struct xml_writer {
	struct strbuf *out;
	int depth;
	const char *names[XML_MAX_DEPTH]; /* open elements; callers keep the names alive */
	bool tag_open;			  /* "<name attr='v'" written, '>' not yet */
	bool has_text;			  /* the innermost element holds text */
	int err;
};

void xml_init(struct xml_writer *w, struct strbuf *out);

/* Open an element; its attributes follow with xml_attr*(), its content after them. */
void xml_begin(struct xml_writer *w, const char *name);
/* Close the innermost element: "/>" when it is empty, text stays on the element's line. */
void xml_end(struct xml_writer *w);

/* Attributes of the element just opened. */
void xml_attr(struct xml_writer *w, const char *name, const char *value);
void xml_attrf(struct xml_writer *w, const char *name, const char *fmt, ...) _printf_(3, 4);
void xml_vattrf(struct xml_writer *w, const char *name, const char *fmt, va_list ap) _printf_(3, 0);

/*
 * An empty element with attributes given as name, value pairs, for the many leaves of a
 * libvirt domain: xml_empty(w, "timer", "name", "rtc", "tickpolicy", "catchup") writes
 * <timer name='rtc' tickpolicy='catchup'/>. The macro adds the NULL that ends the list.
 */
#define xml_empty(w, ...) xml_empty_internal(w, __VA_ARGS__, (const char *)NULL)
void xml_empty_internal(struct xml_writer *w, const char *name, ...) __attribute__((sentinel));

/* Text content of the innermost element (no child elements after it). */
void xml_text(struct xml_writer *w, const char *value);
void xml_textf(struct xml_writer *w, const char *fmt, ...) _printf_(2, 3);

/* <name>value</name>, and <name>NUMBER</name>. */
void xml_element(struct xml_writer *w, const char *name, const char *value);
void xml_element_uint(struct xml_writer *w, const char *name, uint64_t value);

/* Write s to sb with &, <, >, ' and " escaped; -EINVAL for characters XML cannot hold. */
int xml_escape(struct strbuf *sb, const char *s);

/* 0 when the document is complete and well-formed so far, else -ENOMEM / -EINVAL / -EBADE. */
int xml_finish(struct xml_writer *w);
