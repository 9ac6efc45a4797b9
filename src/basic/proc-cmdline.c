/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/proc-cmdline.h"

/* The kernel's isspace() for the ASCII range (lib/ctype.c). */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int proc_cmdline_next(const char **p, struct proc_cmdline_word *ret)
{
	const char *s = *p, *val = NULL;
	bool in_quote = false, quoted = false, strip = false;
	size_t i, equals = 0, end;

	while (is_space(*s))
		s++;
	if (!*s)
		return 0;
	if (*s == '"') {
		s++;
		in_quote = quoted = true;
	}
	for (i = 0; s[i]; i++) {
		if (is_space(s[i]) && !in_quote)
			break;
		/* As in the kernel, '=' as the first character does not start a value. */
		if (equals == 0 && s[i] == '=')
			equals = i;
		if (s[i] == '"')
			in_quote = !in_quote;
	}
	/* Both rules strip the same last character, at most once. */
	if (equals) {
		val = s + equals + 1;
		if (*val == '"') {
			val++;
			strip = i > 0 && s[i - 1] == '"';
		}
	}
	if (quoted && i > 0 && s[i - 1] == '"')
		strip = true;
	end = strip ? i - 1 : i;
	/* parse_args() compares the unquoted word, so "--" ends them too. */
	if (!val && end == 2 && s[0] == '-' && s[1] == '-')
		return 0;

	ret->key = s;
	ret->key_len = equals ? equals : end;
	ret->value = val;
	ret->value_len = val && (size_t)(val - s) < end ? end - (size_t)(val - s) : 0;
	*p = s + i;
	return 1;
}

/* The kernel's parameqn(): '-' and '_' are the same character in names. */
static bool names_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if ((a[i] == '-' ? '_' : a[i]) != (b[i] == '-' ? '_' : b[i]))
			return false;
	return true;
}

bool proc_cmdline_key_eq(const char *key, size_t len, const char *name)
{
	return names_eq(key, len, name, strlen(name));
}

bool proc_cmdline_value_eq(const struct proc_cmdline_word *w, const char *s)
{
	return w->value && strlen(s) == w->value_len && memcmp(w->value, s, w->value_len) == 0;
}

/* The last occurrence of key; false if none. */
static bool find_last(const char *cmdline, const char *key, size_t key_len,
		      struct proc_cmdline_word *ret)
{
	struct proc_cmdline_word w;
	const char *p = cmdline;
	bool found = false;

	if (!p)
		return false;
	while (proc_cmdline_next(&p, &w) > 0)
		if (names_eq(w.key, w.key_len, key, key_len)) {
			*ret = w;
			found = true;
		}
	return found;
}

int proc_cmdline_get(const char *cmdline, const char *key, char **ret_value)
{
	struct proc_cmdline_word w;

	if (!find_last(cmdline, key, strlen(key), &w))
		return 0;
	if (ret_value) {
		char *v = w.value ? strndup(w.value, w.value_len) : strdup("");

		if (!v)
			return -ENOMEM;
		*ret_value = v;
	}
	return 1;
}

bool proc_cmdline_in_effect(const char *cmdline, const char *param)
{
	struct proc_cmdline_word want, have;
	const char *p = param;

	if (proc_cmdline_next(&p, &want) <= 0)
		return false;
	if (!find_last(cmdline, want.key, want.key_len, &have))
		return false;
	if (!want.value || !have.value)
		return !want.value && !have.value;
	return want.value_len == have.value_len &&
	       memcmp(want.value, have.value, want.value_len) == 0;
}
