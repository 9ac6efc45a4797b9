/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Our line in /etc/kernel/cmdline (kcmdline.h). */
#include <inttypes.h>
#include <stdio.h>

#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "core/kcmdline.h"

int kcmdline_line(uint64_t generation, char *const *params, char **ret)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

	strbuf_printf(&sb, KCMDLINE_MARK "%" PRIu64, generation);
	STRV_FOREACH (p, params)
		strbuf_printf(&sb, " %s", *p);
	if (!strbuf_str(&sb))
		return -ENOMEM;
	return strbuf_steal(&sb, ret);
}

/* Our line: its start and the end of its text (before a newline), or false. */
static bool find_line(const char *s, size_t *ret_begin, size_t *ret_end)
{
	for (const char *p = s; p && *p;) {
		const char *eol = strchrnul(p, '\n');

		if (startswith(p, KCMDLINE_MARK)) {
			*ret_begin = (size_t)(p - s);
			*ret_end = (size_t)(eol - s);
			return true;
		}
		p = *eol ? eol + 1 : NULL;
	}
	return false;
}

int kcmdline_block_strip(const char *contents, char **ret, bool *ret_found)
{
	size_t b = 0, e = 0, cut_b, cut_e;
	bool found = contents && find_line(contents, &b, &e);
	char *s;

	if (!contents)
		s = strdup("");
	else if (!found)
		s = strdup(contents);
	else {
		cut_b = b;
		cut_e = e;
		if (contents[e] == '\n')
			cut_e++; /* the line and its newline */
		else if (b > 0)
			cut_b--; /* the newline added before a line that ends the file */
		if (asprintf(&s, "%.*s%s", (int)cut_b, contents, contents + cut_e) < 0)
			s = NULL;
	}
	if (!s)
		return -ENOMEM;
	*ret = s;
	*ret_found = found;
	return 0;
}

int kcmdline_block_set(const char *contents, const char *line, char **ret)
{
	size_t b = 0, e = 0, l = contents ? strlen(contents) : 0;
	char *s;

	if (strchr(line, '\n'))
		return -EINVAL;
	if (contents && find_line(contents, &b, &e)) {
		if (asprintf(&s, "%.*s%s%s", (int)b, contents, line, contents + e) < 0)
			return -ENOMEM;
	} else if (l == 0) {
		if (asprintf(&s, "%s\n", line) < 0)
			return -ENOMEM;
	} else if (contents[l - 1] == '\n') {
		if (asprintf(&s, "%s%s\n", contents, line) < 0)
			return -ENOMEM;
	} else if (asprintf(&s, "%s\n%s", contents, line) < 0)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int kcmdline_block_get(const char *contents, char **ret)
{
	size_t b = 0, e = 0;

	if (!contents || !find_line(contents, &b, &e))
		return 0;
	*ret = strndup(contents + b, e - b);
	return *ret ? 1 : -ENOMEM;
}
