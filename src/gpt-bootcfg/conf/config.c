/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>

#include "basic/proc-cmdline.h"
#include "basic/fd-util.h"
#include "basic/parse-util.h"
#include "basic/safeword.h"
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "conf/config.h"
#include "conf/vmconfig.h"
#include "core/reasons.h"
#include "features/table.h"

/*
 * The file drives root services and is read at every boot-affecting command, so the parser
 * is deliberately small and bounded: no recursion, a maximum line length, a maximum number
 * of sections and entries, and no byte of input ever used as a format string.
 */
#define CONFIG_MAX_SIZE	    (1024u * 1024u)
#define CONFIG_MAX_LINE	    4096u
#define CONFIG_MAX_SECTIONS 1024u
#define CONFIG_MAX_ENTRIES  1024u
#define CONFIG_MAX_NAME	    64u

static void section_free_contents(struct config_section *s)
{
	for (size_t i = 0; i < s->n_entries; i++) {
		free(s->entries[i].key);
		free(s->entries[i].value);
	}
	free(s->entries);
	free(s->type);
	free(s->name);
}

void config_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_sections; i++)
		section_free_contents(&c->sections[i]);
	free(c->sections);
	for (size_t i = 0; i < c->n_devices; i++) {
		free(c->devices[i].name);
		strv_free(c->devices[i].allow);
		strv_free(c->devices[i].reset_methods);
	}
	free(c->devices);
	for (size_t i = 0; i < c->n_vms; i++)
		vm_config_free(c->vms[i]);
	free(c->vms);
	strv_free(c->host.extra_cmdline);
	free(c->host.cpu_governor);
	free(c->path);
	free(c);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Section names, as the config file syntax allows them ([device NAME], [vm NAME]). */
static bool valid_section_name(const char *s, size_t n)
{
	if (n == 0 || n > CONFIG_MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isascii(c) || !(isalnum(c) || c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

/* Parser state: everything an error message needs. */
struct parser {
	struct config *c;
	char *error;
};

static int parse_section(struct parser *p, const char *s, size_t len, unsigned line, unsigned col)
{
	struct config *c = p->c;
	struct config_section *sec, *n;
	size_t i = 1, tstart, tlen, nstart, nlen = 0, close;

	/* s[0] is '['; find the matching ']' on this line. */
	for (close = 1; close < len && s[close] != ']'; close++)
		if (s[close] == '[')
			return config_fail_at(p->c, line, col + (unsigned)close, &p->error,
					      "unexpected '[' in section header");
	if (close >= len)
		return config_fail_at(p->c, line, col, &p->error,
				      "section header without closing ']'");
	for (size_t j = close + 1; j < len; j++) {
		if (s[j] == '#' || s[j] == ';')
			break;
		if (!is_space(s[j]))
			return config_fail_at(p->c, line, col + (unsigned)j, &p->error,
					      "unexpected text after section header");
	}

	while (i < close && is_space(s[i]))
		i++;
	tstart = i;
	while (i < close && !is_space(s[i]))
		i++;
	tlen = i - tstart;
	while (i < close && is_space(s[i]))
		i++;
	nstart = i;
	if (i < close) {
		size_t end = close;

		while (end > nstart && is_space(s[end - 1]))
			end--;
		nlen = end - nstart;
	}

	if (tlen == 0)
		return config_fail_at(p->c, line, col, &p->error, "empty section header");
	if (!((tlen == 4 && strncmp(s + tstart, "host", 4) == 0) ||
	      (tlen == 6 && strncmp(s + tstart, "device", 6) == 0) ||
	      (tlen == 2 && strncmp(s + tstart, "vm", 2) == 0)))
		return config_fail_at(p->c, line, col + (unsigned)tstart, &p->error,
				      "unknown section type '%.*s' (expected host, device or vm)",
				      (int)(tlen > CONFIG_MAX_NAME ? CONFIG_MAX_NAME : tlen),
				      s + tstart);
	if (tlen == 4 && nlen > 0)
		return config_fail_at(p->c, line, col + (unsigned)nstart, &p->error,
				      "[host] takes no name");
	if (tlen != 4 && nlen == 0)
		return config_fail_at(p->c, line, col, &p->error,
				      "[%.*s] needs a name: [%.*s NAME]", (int)tlen, s + tstart,
				      (int)tlen, s + tstart);
	if (tlen != 4 && !valid_section_name(s + nstart, nlen))
		return config_fail_at(p->c, line, col + (unsigned)nstart, &p->error,
				      "invalid name (use up to %u letters, digits, '-', '_', '.')",
				      CONFIG_MAX_NAME);

	for (size_t k = 0; k < c->n_sections; k++) {
		const struct config_section *o = &c->sections[k];

		if (strlen(o->type) != tlen || strncmp(o->type, s + tstart, tlen) != 0)
			continue;
		if (tlen == 4)
			return config_fail_at(p->c, line, col, &p->error,
					      "duplicate [host] section (first at line %u)",
					      o->line);
		if (strlen(o->name) == nlen && strncmp(o->name, s + nstart, nlen) == 0)
			return config_fail_at(p->c, line, col, &p->error,
					      "duplicate section [%s %s] (first at line %u)",
					      o->type, o->name, o->line);
	}

	if (c->n_sections >= CONFIG_MAX_SECTIONS)
		return config_fail_at(p->c, line, col, &p->error, "too many sections (at most %u)",
				      CONFIG_MAX_SECTIONS);
	n = realloc(c->sections, (c->n_sections + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	c->sections = n;
	sec = &c->sections[c->n_sections];
	*sec = (struct config_section){.line = line};
	sec->type = strndup(s + tstart, tlen);
	if (nlen > 0)
		sec->name = strndup(s + nstart, nlen);
	c->n_sections++;
	if (!sec->type || (nlen > 0 && !sec->name))
		return -ENOMEM;
	return 0;
}

static int parse_entry(struct parser *p, const char *s, size_t len, unsigned line, unsigned col)
{
	struct config *c = p->c;
	struct config_section *sec;
	struct config_entry *e, *n;
	const char *eq = memchr(s, '=', len);
	size_t klen, vstart, vend;

	if (c->n_sections == 0)
		return config_fail_at(p->c, line, col, &p->error,
				      "key outside of a section (start with [host], "
				      "[device NAME] or [vm NAME])");
	if (!eq)
		return config_fail_at(p->c, line, col, &p->error, "expected 'key = value'");
	klen = (size_t)(eq - s);
	while (klen > 0 && is_space(s[klen - 1]))
		klen--;
	if (klen == 0)
		return config_fail_at(p->c, line, col, &p->error, "missing key before '='");
	for (size_t i = 0; i < klen; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!(islower(ch) || isdigit(ch) || ch == '-' || ch == '_'))
			return config_fail_at(p->c, line, col + (unsigned)i, &p->error,
					      "invalid character in key (use a-z, 0-9, '-', '_')");
	}
	if (klen > CONFIG_MAX_NAME)
		return config_fail_at(p->c, line, col, &p->error, "key too long");

	vstart = (size_t)(eq - s) + 1;
	while (vstart < len && is_space(s[vstart]))
		vstart++;
	vend = len;
	while (vend > vstart && is_space(s[vend - 1]))
		vend--;
	if (vend > vstart && s[vstart] == '"') {
		if (vend - vstart < 2 || s[vend - 1] != '"')
			return config_fail_at(p->c, line, col + (unsigned)vstart, &p->error,
					      "unterminated quoted value");
		vstart++;
		vend--;
		if (memchr(s + vstart, '"', vend - vstart))
			return config_fail_at(p->c, line, col + (unsigned)vstart, &p->error,
					      "'\"' inside a quoted value");
	}

	sec = &c->sections[c->n_sections - 1];
	if (sec->n_entries >= CONFIG_MAX_ENTRIES)
		return config_fail_at(p->c, line, col, &p->error,
				      "too many keys in section (at most %u)", CONFIG_MAX_ENTRIES);
	n = realloc(sec->entries, (sec->n_entries + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	sec->entries = n;
	e = &sec->entries[sec->n_entries];
	*e = (struct config_entry){
	    .line = line,
	    .col_key = col,
	    .col_value = col + (unsigned)vstart,
	};
	e->key = strndup(s, klen);
	e->value = strndup(s + vstart, vend - vstart);
	sec->n_entries++;
	if (!e->key || !e->value)
		return -ENOMEM;
	return 0;
}

/* The raw layer: sections and entries with positions. */
static int parse_raw(struct parser *p, const char *buf, size_t size)
{
	const char *nul = memchr(buf, '\0', size);
	unsigned line = 0;
	size_t pos = 0;
	int r;

	if (nul) {
		unsigned nul_line = 1;

		for (const char *q = buf; q < nul; q++)
			nul_line += *q == '\n';
		return config_fail_at(p->c, nul_line, 0, &p->error,
				      "file contains a NUL byte (not a text file?)");
	}

	while (pos < size) {
		const char *s = buf + pos, *nl = memchr(s, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - s) : size - pos;
		unsigned col = 1;

		pos += len + (nl ? 1 : 0);
		line++;
		if (len > CONFIG_MAX_LINE)
			return config_fail_at(p->c, line, CONFIG_MAX_LINE + 1, &p->error,
					      "line too long (at most %u bytes)", CONFIG_MAX_LINE);
		// cppcheck-suppress knownConditionTrueFalse ; wrong: an empty line has len 0 here
		if (len > 0 && s[len - 1] == '\r')
			len--;
		while (len > 0 && is_space(*s)) {
			s++;
			len--;
			col++;
		}
		while (len > 0 && is_space(s[len - 1]))
			len--;
		if (len == 0 || *s == '#' || *s == ';')
			continue;
		if (*s == '[')
			r = parse_section(p, s, len, line, col);
		else
			r = parse_entry(p, s, len, line, col);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The [host] keys features own: 1 handled, 0 none of theirs, < 0 with *ret_error. */
static int feature_host_parse_key(const struct config *c, const struct config_entry *e,
				  struct host_config *h, char **ret_error)
{
	FOREACH_FEATURE (f) {
		int r;

		if (!(*f)->host_parse_key)
			continue;
		r = (*f)->host_parse_key(c, e, h, ret_error);
		if (r != 0)
			return r;
	}
	return 0;
}

/* A key may appear once in [host] and [device] sections. */
static int check_duplicates(struct parser *p, const struct config_section *s)
{
	for (size_t i = 0; i < s->n_entries; i++)
		for (size_t j = 0; j < i; j++)
			if (streq(s->entries[i].key, s->entries[j].key))
				return config_fail_at(p->c, s->entries[i].line,
						      s->entries[i].col_key, &p->error,
						      "duplicate key '%s' (first at line %u)",
						      s->entries[i].key, s->entries[j].line);
	return 0;
}

/*
 * Parameters [host] cmdline may not carry, by the kernel's name rule ('-' and '_' alike,
 * the one parser of basic/proc-cmdline.h; issue 30, item 12): gpt-bootcfg's own (the kill
 * switch too: a boot with it claims nothing) and selinux=, never needed for passthrough.
 */
static int check_cmdline_words(struct parser *p, const struct config_entry *e)
{
	static const char prefix[] = "gpt_bootcfg.";
	const size_t plen = sizeof(prefix) - 1;
	struct proc_cmdline_word w;
	const char *q = e->value;

	while (proc_cmdline_next(&q, &w) > 0) {
		unsigned col = e->col_value + (unsigned)(w.key - e->value);
		int len = (int)(q - w.key);

		if (w.value && proc_cmdline_key_eq(w.key, w.key_len, "selinux"))
			return config_fail_at(p->c, e->line, col, &p->error,
					      "cmdline: '%.*s' is not needed for passthrough and "
					      "is refused",
					      len, w.key);
		if (proc_cmdline_key_eq(w.key, w.key_len, "gpt_bootcfg"))
			return config_fail_at(p->c, e->line, col, &p->error,
					      "cmdline: '%.*s' is gpt-bootcfg's kill switch: every "
					      "boot would claim nothing (give it at the boot menu, "
					      "for one boot)",
					      len, w.key);
		if (w.key_len > plen && proc_cmdline_key_eq(w.key, plen, prefix))
			return config_fail_at(p->c, e->line, col, &p->error,
					      "cmdline: '%.*s' is managed by gpt-bootcfg (the "
					      "kernel reads '-' and '_' in a name alike)",
					      len, w.key);
	}
	return 0;
}

static int parse_host(struct parser *p, const struct config_section *s)
{
	struct host_config *h;
	char *err = NULL;
	int r;

	/* Never NULL here; said so for clang's analyzer, which loses track across the words. */
	if (!p->c)
		return -EINVAL;
	h = &p->c->host;

	r = check_duplicates(p, s);
	if (r < 0)
		return r;
	for (size_t i = 0; i < s->n_entries; i++) {
		const struct config_entry *e = &s->entries[i];
		bool *flag = NULL;

		if (streq(e->key, "isolate-cpus"))
			flag = &h->isolate_cpus;
		else if (streq(e->key, "acs-override"))
			flag = &h->acs_override;
		else if (streq(e->key, "allow-unsafe-interrupts"))
			flag = &h->allow_unsafe_interrupts;

		if (flag == &h->isolate_cpus && streq(e->value, "dynamic")) {
			h->isolate_cpus = false;
			h->isolate_dynamic = true;
		} else if (flag) {
			if (parse_bool(e->value, flag) < 0)
				return config_fail_at(p->c, e->line, e->col_value, &p->error,
						      "%s: expected yes or no, not '%s'", e->key,
						      e->value);
		} else if (streq(e->key, "cmdline")) {
			/*
			 * The words go into a file grub-mkconfig sources as shell and into GRUB's
			 * own script: refuse here, with the column, what either would interpret
			 * (the same rule every writer of those files applies, safeword.h).
			 */
			for (size_t k = 0; e->value[k]; k++) {
				unsigned char ch = (unsigned char)e->value[k];
				char what[24];

				if (ch == ' ' || ch == '\t' || safe_word_char(ch))
					continue;
				return config_fail_at(
				    p->c, e->line, e->col_value + (unsigned)k, &p->error,
				    "cmdline: %s is not allowed in kernel parameters: "
				    "GRUB or the shell reading the drop-in would interpret "
				    "it (refused: %s, control bytes)",
				    safe_word_describe(ch, what, sizeof(what)),
				    "' \" \\ $ ; { } ` | & < > #");
			}
			strv_free(h->extra_cmdline);
			h->extra_cmdline = NULL;
			r = split_words(e->value, " \t", &h->extra_cmdline);
			if (r < 0)
				return r;
			r = check_cmdline_words(p, e);
			if (r < 0)
				return r;
		} else if ((r = feature_host_parse_key(p->c, e, h, &err)) != 0) {
			/* the features' keys: cpu-governor, max-cstate (features/power.c), ... */
			if (r < 0) {
				p->error = err;
				return r;
			}
		} else {
			return config_fail_at(
			    p->c, e->line, e->col_key, &p->error,
			    "unknown key '%s' in [host] (see gpt-bootcfg.conf(5))", e->key);
		}
	}
	FOREACH_FEATURE (f) {
		if (!(*f)->host_check)
			continue;
		r = (*f)->host_check(p->c, s, h, &err);
		if (r < 0) {
			p->error = err;
			return r;
		}
	}
	return 0;
}

/* The [device] keys features own: 1 handled, 0 none of theirs, < 0 with *ret_error. */
static int feature_device_parse_key(const struct config *c, const struct config_entry *e,
				    struct device_config *d, char **ret_error)
{
	FOREACH_FEATURE (f) {
		int r;

		if (!(*f)->device_parse_key)
			continue;
		r = (*f)->device_parse_key(c, e, d, ret_error);
		if (r != 0)
			return r;
	}
	return 0;
}

static int parse_device(struct parser *p, const struct config_section *s, struct device_config *d)
{
	const struct config_entry *addr = NULL;
	char *err = NULL;
	int r;

	*d = (struct device_config){.section = s};
	d->name = strdup(s->name);
	if (!d->name)
		return -ENOMEM;
	r = check_duplicates(p, s);
	if (r < 0)
		return r;

	for (size_t i = 0; i < s->n_entries; i++) {
		const struct config_entry *e = &s->entries[i];

		if (streq(e->key, "address")) {
			if (pci_addr_parse(e->value, &d->addr) < 0)
				return config_fail_at(
				    p->c, e->line, e->col_value, &p->error,
				    "invalid PCI address '%s' (expected DDDD:BB:DD.F, "
				    "e.g. 0000:65:00.0)",
				    e->value);
			pci_addr_format(&d->addr, d->address);
			addr = e;
		} else if (streq(e->key, "id")) {
			if (pci_id_pair_parse(e->value, &d->vendor, &d->device) < 0)
				return config_fail_at(p->c, e->line, e->col_value, &p->error,
						      "invalid id '%s' (expected VENDOR:DEVICE, "
						      "e.g. 10de:1c03)",
						      e->value);
			d->has_id = true;
		} else if (streq(e->key, "subsystem")) {
			if (pci_id_pair_parse(e->value, &d->subsystem_vendor,
					      &d->subsystem_device) < 0)
				return config_fail_at(
				    p->c, e->line, e->col_value, &p->error,
				    "invalid subsystem '%s' (expected VENDOR:DEVICE, "
				    "e.g. 1462:3285)",
				    e->value);
			d->has_subsystem = true;
		} else if (streq(e->key, "class")) {
			if (pci_class_parse(e->value, &d->class) < 0)
				return config_fail_at(p->c, e->line, e->col_value, &p->error,
						      "invalid class '%s' (expected 6 hex digits, "
						      "e.g. 030000)",
						      e->value);
			d->has_class = true;
		} else if (streq(e->key, "override")) {
			r = split_words(e->value, " \t,", &d->allow);
			if (r < 0)
				return r;
			STRV_FOREACH (w, d->allow) {
				int reason = refusal_reason_from_string(*w);

				if (reason < 0)
					return config_fail_at(p->c, e->line, e->col_value,
							      &p->error,
							      "override: unknown reason '%s'", *w);
				if (!refusal_reason_overridable(reason))
					return config_fail_at(
					    p->c, e->line, e->col_value, &p->error,
					    "override: '%s' cannot be overridden", *w);
			}
		} else if ((r = feature_device_parse_key(p->c, e, d, &err)) != 0) {
			/* the features' keys: handover (features/handover.c), reset-method
			 * (features/reset.c), ... */
			if (r < 0) {
				p->error = err;
				return r;
			}
		} else {
			return config_fail_at(
			    p->c, e->line, e->col_key, &p->error,
			    "unknown key '%s' in [device %s] (see gpt-bootcfg.conf(5))", e->key,
			    s->name);
		}
	}
	if (!addr)
		return config_fail_at(p->c, s->line, 1, &p->error, "[device %s] has no 'address'",
				      s->name);
	return 0;
}

/* The typed layer: [host], [device NAME], then each [vm NAME] through vm_config_parse(). */
static int parse_typed(struct parser *p)
{
	struct config *c = p->c;
	int r;

	for (size_t i = 0; i < c->n_sections; i++) {
		const struct config_section *s = &c->sections[i];

		if (streq(s->type, "host")) {
			r = parse_host(p, s);
		} else if (streq(s->type, "device")) {
			struct device_config *n =
			    realloc(c->devices, (c->n_devices + 1) * sizeof(*n));

			if (!n)
				return -ENOMEM;
			c->devices = n;
			r = parse_device(p, s, &c->devices[c->n_devices]);
			c->n_devices++;
			if (r < 0)
				return r;
			for (size_t j = 0; j + 1 < c->n_devices; j++) {
				const struct device_config *a = &c->devices[j],
							   *b = &c->devices[c->n_devices - 1];

				if (pci_addr_cmp(&a->addr, &b->addr) == 0)
					return config_fail_at(
					    p->c, s->line, 1, &p->error,
					    "duplicate device %s: already configured "
					    "as [device %s] at line %u",
					    b->address, a->name, a->section->line);
			}
		} else {
			r = 0;
		}
		if (r < 0)
			return r;
	}

	for (size_t i = 0; i < c->n_sections; i++) {
		const struct config_section *s = &c->sections[i];
		struct vm_config *vm = NULL, **n;
		char *err = NULL;

		if (!streq(s->type, "vm"))
			continue;
		r = vm_config_parse(c, s, &vm, &err);
		if (r < 0) {
			p->error = err;
			return r;
		}
		n = realloc(c->vms, (c->n_vms + 1) * sizeof(*n));
		if (!n) {
			vm_config_free(vm);
			return -ENOMEM;
		}
		c->vms = n;
		c->vms[c->n_vms++] = vm;
		FOREACH_FEATURE (f) {
			if (!(*f)->vms_check)
				continue;
			r = (*f)->vms_check(c, (const struct vm_config *const *)c->vms,
					    c->n_vms - 1, vm, &err);
			if (r < 0) {
				p->error = err;
				return r;
			}
		}

		STRV_FOREACH (dev, vm->devices) {
			if (config_find_device(c, *dev))
				continue;
			const struct config_entry *e = config_section_get(s, "devices");

			return config_fail_at(
			    p->c, e ? e->line : s->line, e ? e->col_value : 1, &p->error,
			    "[vm %s] uses device '%s', which has no [device %s] section", s->name,
			    *dev, *dev);
		}
	}
	return 0;
}

static int read_checked(struct path_cxt *pc, const char *path, char **ret, size_t *ret_size,
			char **ret_error)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	/* A FIFO would block the open forever (issue 14): a regular file only. */
	fd = path_open_regular(pc, 0, "%s", path);
	if (fd == -EBADFD || fd == -EISDIR) {
		if (asprintf(ret_error, "%s: not a regular file", path) < 0)
			return -ENOMEM;
		return -EINVAL;
	}
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return negative_errno();
	/* It decides what the initramfs claims and what runs as root at boot. */
	if (st.st_uid != 0) {
		if (asprintf(ret_error,
			     "%s: owned by uid %u, not root; refusing a file that drives root "
			     "services (chown root:root %s)",
			     path, (unsigned)st.st_uid, path) < 0)
			return -ENOMEM;
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		if (asprintf(ret_error,
			     "%s: mode %04o is %s-writable; refusing a file that drives root "
			     "services (chmod go-w %s)",
			     path, (unsigned)(st.st_mode & 07777),
			     (st.st_mode & S_IWOTH) ? "world" : "group", path) < 0)
			return -ENOMEM;
		return -EPERM;
	}
	/* fd_read_full() checks the size again: the file may grow after fstat(). */
	r = -EFBIG;
	if ((uint64_t)st.st_size <= CONFIG_MAX_SIZE)
		r = fd_read_full(fd, CONFIG_MAX_SIZE, ret, ret_size);
	if (r == -EFBIG &&
	    asprintf(ret_error, "%s: larger than %u bytes", path, CONFIG_MAX_SIZE) < 0)
		return -ENOMEM;
	return r;
}

int config_parse_string(const char *path, const char *text, size_t size, struct config **ret,
			char **ret_error)
{
	struct parser p = {};
	int r;

	p.c = calloc(1, sizeof(struct config));
	if (!p.c)
		return -ENOMEM;
	p.c->path = strdup(path);
	if (!p.c->path) {
		config_free(p.c);
		return -ENOMEM;
	}
	r = parse_raw(&p, text, size);
	if (r >= 0)
		r = parse_typed(&p);
	if (r < 0) {
		config_free(p.c);
		if (ret_error && p.error)
			*ret_error = p.error;
		else
			free(p.error);
		return r;
	}
	*ret = p.c;
	return 0;
}

int config_load(struct path_cxt *pc, const char *path, struct config **ret, char **ret_error)
{
	_cleanup_free_ char *buf = NULL, *err = NULL;
	size_t size = 0;
	int r;

	r = read_checked(pc, path, &buf, &size, &err);
	if (r < 0) {
		if (ret_error && err)
			*ret_error = TAKE_PTR(err);
		return r;
	}
	return config_parse_string(path, buf, size, ret, ret_error);
}
