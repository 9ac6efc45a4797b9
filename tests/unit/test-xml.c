/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The XML writer: layout, escaping, and the errors it remembers instead of writing. */
#include <errno.h>
#include <stdarg.h>

#include "basic/strbuf.h"
#include "tap.h"
#include "basic/xml.h"

static void test_layout(void)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	struct xml_writer w;

	xml_init(&w, &sb);
	xml_begin(&w, "domain");
	xml_attr(&w, "type", "kvm");
	xml_element(&w, "name", "win10");
	xml_begin(&w, "memory");
	xml_attr(&w, "unit", "KiB");
	xml_textf(&w, "%u", 1024u);
	xml_end(&w);
	xml_begin(&w, "devices");
	xml_begin(&w, "hostdev");
	xml_begin(&w, "source");
	xml_end(&w);
	xml_end(&w);
	xml_end(&w);
	xml_element_uint(&w, "vcpu", 8);
	xml_end(&w);
	is_int(xml_finish(&w), 0, "complete document");
	is_str(strbuf_str(&sb),
	       "<domain type='kvm'>\n"
	       "  <name>win10</name>\n"
	       "  <memory unit='KiB'>1024</memory>\n"
	       "  <devices>\n"
	       "    <hostdev>\n"
	       "      <source/>\n"
	       "    </hostdev>\n"
	       "  </devices>\n"
	       "  <vcpu>8</vcpu>\n"
	       "</domain>\n",
	       "indented, empty elements closed with />, text on the element's line");
}

static void test_escape(void)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	struct xml_writer w;

	xml_init(&w, &sb);
	xml_begin(&w, "source");
	xml_attr(&w, "file", "/a'b\"c<d>e&f\tg");
	xml_text(&w, "x<y&z");
	xml_end(&w);
	is_int(xml_finish(&w), 0, "escaped values are fine");
	is_str(strbuf_str(&sb),
	       "<source file='/a&apos;b&quot;c&lt;d&gt;e&amp;f&#9;g'>x&lt;y&amp;z</source>\n",
	       "attribute and text escaped");
}

static void test_errors(void)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT, sb2 = STRBUF_INIT, sb3 = STRBUF_INIT;
	struct xml_writer w;

	xml_init(&w, &sb);
	xml_begin(&w, "a");
	xml_attr(&w, "v", "bell\a");
	xml_end(&w);
	is_int(xml_finish(&w), -EINVAL, "a control character cannot be written in XML");

	xml_init(&w, &sb2);
	xml_begin(&w, "a");
	is_int(xml_finish(&w), -EBADE, "an open element is an incomplete document");

	xml_init(&w, &sb3);
	xml_begin(&w, "a");
	xml_end(&w);
	xml_end(&w);
	is_int(xml_finish(&w), -EBADE, "one end too many");
	xml_init(&w, &sb3);
	xml_begin(&w, "a");
	xml_text(&w, "t");
	xml_begin(&w, "b");
	xml_end(&w);
	xml_end(&w);
	is_int(xml_finish(&w), -EBADE, "no element after text (mixed content)");
}

static void vattrf(struct xml_writer *w, const char *fmt, ...) _printf_(2, 3);
static void vattrf(struct xml_writer *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xml_vattrf(w, "value", fmt, ap);
	va_end(ap);
}

/* xml_empty() writes what xml_begin(), xml_attr()... and xml_end() write. */
static void test_empty(void)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	struct xml_writer w;

	xml_init(&w, &sb);
	xml_begin(&w, "clock");
	xml_empty(&w, "timer", "name", "rtc", "tickpolicy", "catchup");
	xml_empty(&w, "locked");
	xml_empty(&w, "source", "file", "a'b");
	xml_begin(&w, "qemu:arg");
	vattrf(&w, "-m %uM", 512u);
	xml_end(&w);
	xml_end(&w);
	is_int(xml_finish(&w), 0, "xml_empty: complete document");
	is_str(strbuf_str(&sb),
	       "<clock>\n"
	       "  <timer name='rtc' tickpolicy='catchup'/>\n"
	       "  <locked/>\n"
	       "  <source file='a&apos;b'/>\n"
	       "  <qemu:arg value='-m 512M'/>\n"
	       "</clock>\n",
	       "xml_empty: attributes in order, escaped, element closed; xml_vattrf formats");

	strbuf_release(&sb);
	xml_init(&w, &sb);
	xml_empty(&w, "timer", "name", "bad\001");
	is_int(xml_finish(&w), -EINVAL, "xml_empty: a value XML cannot hold is remembered");
}

int main(void)
{
	test_layout();
	test_empty();
	test_escape();
	test_errors();
	return done_testing();
}
