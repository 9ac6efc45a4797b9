/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "basic/safeword.h"

bool safe_word_char(unsigned char c)
{
	if (c <= 0x20 || c == 0x7f)
		return false;
	return !strchr(SAFE_WORD_REFUSED, c);
}

size_t safe_word_span(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && safe_word_char((unsigned char)s[i]))
		i++;
	return i;
}

bool safe_word(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && safe_word_span(s, n) == n;
}

bool safe_comment(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

const char *safe_word_describe(unsigned char c, char *buf, size_t size)
{
	if (c == ' ')
		snprintf(buf, size, "a space");
	else if (c == '\t')
		snprintf(buf, size, "a tab");
	else if (c < 0x20 || c == 0x7f)
		snprintf(buf, size, "control byte 0x%02x", c);
	else
		snprintf(buf, size, "'%c'", c);
	return buf;
}
