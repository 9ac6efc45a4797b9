/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "basic/strbuf.h"
#include "core/config.h"

char *config_error(const struct config *c, unsigned line, unsigned col, const char *fmt, ...)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	char *s = NULL;
	va_list ap;

	if (col > 0)
		strbuf_printf(&sb, "%s:%u:%u: ", c->path, line, col);
	else
		strbuf_printf(&sb, "%s:%u: ", c->path, line);
	va_start(ap, fmt);
	strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	if (strbuf_steal(&sb, &s) < 0)
		return NULL;
	return s;
}

static int fail_va(const struct config *c, unsigned line, unsigned col, char **ret_error,
		   const char *fmt, va_list ap)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	char *s = NULL;

	if (col > 0)
		strbuf_printf(&sb, "%s:%u:%u: ", c->path, line, col);
	else
		strbuf_printf(&sb, "%s:%u: ", c->path, line);
	strbuf_vprintf(&sb, fmt, ap);
	if (strbuf_steal(&sb, &s) < 0)
		return -ENOMEM;
	*ret_error = s;
	return -EINVAL;
}

int config_fail(const struct config *c, const struct config_entry *e, size_t off, char **ret_error,
		const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = fail_va(c, e->line, e->col_value + (unsigned)off, ret_error, fmt, ap);
	va_end(ap);
	return r;
}

int config_fail_at(const struct config *c, unsigned line, unsigned col, char **ret_error,
		   const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = fail_va(c, line, col, ret_error, fmt, ap);
	va_end(ap);
	return r;
}

const struct config_entry *config_section_get(const struct config_section *s, const char *key)
{
	for (size_t i = s->n_entries; i > 0; i--)
		if (streq(s->entries[i - 1].key, key))
			return &s->entries[i - 1];
	return NULL;
}

const struct device_config *config_find_device(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->n_devices; i++)
		if (streq(c->devices[i].name, name))
			return &c->devices[i];
	return NULL;
}

const struct vm_config *config_find_vm(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->n_vms; i++)
		if (streq(c->vms[i]->name, name))
			return c->vms[i];
	return NULL;
}

bool config_has_device_section(const struct config *c, const char *name)
{
	if (!c)
		return false;
	for (size_t i = 0; i < c->n_sections; i++)
		if (streq_ptr(c->sections[i].type, "device") &&
		    streq_ptr(c->sections[i].name, name))
			return true;
	return false;
}
