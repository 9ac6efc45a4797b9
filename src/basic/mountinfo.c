/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/macro.h"
#include "basic/mountinfo.h"
#include "basic/parse-util.h"
#include "basic/path.h"

/* The kernel escapes space, tab, newline and backslash in paths as \ooo. */
static char *unescape(const char *s, size_t n)
{
	char *d = malloc(n + 1), *q = d;

	if (!d)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			*q++ =
			    (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		} else
			*q++ = s[i];
	}
	*q = '\0';
	return d;
}

/* Split one line into whitespace-separated fields (pointers into line, max n). */
static size_t split(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (*p && n < max) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		f[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

static int parse_devno(const char *s, unsigned *ret_major, unsigned *ret_minor)
{
	const char *colon;
	uint64_t ma, mi;

	/* MAJOR:MINOR, as the kernel's 12 and 20 bits allow. */
	if (safe_atou64_prefix(s, 10, &ma, &colon) < 0 || *colon != ':' ||
	    safe_atou64(colon + 1, &mi) < 0 || ma > 0xfff || mi > 0xfffff)
		return -EBADMSG;
	*ret_major = (unsigned)ma;
	*ret_minor = (unsigned)mi;
	return 0;
}

void mountinfo_free(struct mountinfo_entry *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(l[i].target);
		free(l[i].source);
		free(l[i].fstype);
		free(l[i].options);
	}
	free(l);
}

int mountinfo_parse(const char *text, struct mountinfo_entry **ret, size_t *ret_n,
		    unsigned *ret_line)
{
	_cleanup_free_ char *copy = strdup(text);
	struct mountinfo_entry *l = NULL;
	size_t n = 0, alloc = 0;
	unsigned lineno = 0;
	char *line, *save = NULL;
	int r = -EBADMSG;

	if (!copy)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[64];
		size_t nf, sep;
		struct mountinfo_entry *e;

		lineno++;
		nf = split(line, f, ARRAY_SIZE(f));
		if (nf == 0)
			continue;
		/* id parent maj:min root target options [optional...] - fstype source super */
		for (sep = 6; sep < nf && !streq(f[sep], "-"); sep++)
			;
		if (nf < 7 || sep + 3 > nf)
			goto bad;
		if (n + 1 > alloc) {
			struct mountinfo_entry *nl;

			alloc = alloc ? alloc * 2 : 32;
			nl = realloc(l, alloc * sizeof(*l));
			if (!nl) {
				r = -ENOMEM;
				goto fail;
			}
			l = nl;
		}
		e = &l[n];
		memset(e, 0, sizeof(*e));
		if (parse_devno(f[2], &e->major, &e->minor) < 0)
			goto bad;
		e->target = unescape(f[4], strlen(f[4]));
		e->fstype = strdup(f[sep + 1]);
		e->source = unescape(f[sep + 2], strlen(f[sep + 2]));
		e->options = strdup(sep + 3 < nf ? f[sep + 3] : "");
		n++;
		if (!e->target || !e->fstype || !e->source || !e->options) {
			r = -ENOMEM;
			goto fail;
		}
	}
	*ret = l;
	*ret_n = n;
	return 0;
bad:
	if (ret_line)
		*ret_line = lineno;
fail:
	mountinfo_free(l, n);
	return r;
}

int swaps_parse(const char *text, char ***ret, unsigned *ret_line)
{
	_cleanup_free_ char *copy = strdup(text);
	char **l = NULL, *line, *save = NULL;
	size_t n = 0;
	unsigned lineno = 0;

	if (!copy)
		return -ENOMEM;
	l = calloc(1, sizeof(char *));
	if (!l)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[1], **nl;

		lineno++;
		if (lineno == 1) {
			if (!startswith(line, "Filename")) {
				strv_free(l);
				if (ret_line)
					*ret_line = 1;
				return -EBADMSG;
			}
			continue;
		}
		if (split(line, f, 1) == 0)
			continue;
		nl = realloc(l, (n + 2) * sizeof(char *));
		if (!nl) {
			strv_free(l);
			return -ENOMEM;
		}
		l = nl;
		l[n] = unescape(f[0], strlen(f[0]));
		if (!l[n]) {
			strv_free(l);
			return -ENOMEM;
		}
		l[++n] = NULL;
	}
	*ret = l;
	return 0;
}
