/* SPDX-License-Identifier: GPL-2.0-or-later */
/* systemd-boot's type 1 entries (bootentry.h). */
#include <ctype.h>
#include <stdio.h>
#include <sys/stat.h>

#include "basic/parse-util.h"
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "shared/bootentry.h"

/* "NAME+LEFT-DONE.conf" -> id "NAME.conf"; no counter: the name itself. */
static int parse_counter(const char *file, struct boot_entry *e)
{
	size_t l = strlen(file), base;
	uint64_t left = 0, done = 0;
	const char *plus, *p = NULL;
	bool counted;

	if (l <= 5 || strcmp(file + l - 5, ".conf") != 0)
		return -EINVAL;
	base = l - 5;
	e->tries_left = -1;
	e->tries_done = 0;
	plus = memrchr(file, '+', base);
	/* systemd-boot's counter: "+LEFT" or "+LEFT-DONE" right before ".conf". */
	counted = plus && safe_atou64_prefix(plus + 1, 10, &left, &p) >= 0;
	if (counted && *p == '-')
		counted = safe_atou64_prefix(p + 1, 10, &done, &p) >= 0;
	if (counted && p == file + base && left <= 65535 && done <= 65535) {
		e->tries_left = (int)left;
		e->tries_done = (int)done;
		base = (size_t)(plus - file);
	}
	if (asprintf(&e->id, "%.*s.conf", (int)base, file) < 0) {
		e->id = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int set(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

int boot_entry_parse(const char *file, const char *text, struct boot_entry *ret)
{
	struct boot_entry e = {};
	int r;

	e.file = strdup(file);
	if (!e.file)
		return -ENOMEM;
	r = parse_counter(file, &e);
	for (const char *p = text; r >= 0 && p && *p;) {
		const char *eol = strchrnul(p, '\n');
		_cleanup_free_ char *line = strndup(p, (size_t)(eol - p));
		char *k, *v, *t;

		p = *eol ? eol + 1 : NULL;
		if (!line) {
			r = -ENOMEM;
			break;
		}
		k = line + strspn(line, " \t");
		if (*k == '#' || !*k)
			continue;
		v = k + strcspn(k, " \t");
		if (*v)
			*v++ = '\0';
		v += strspn(v, " \t");
		for (t = v + strlen(v); t > v && isspace((unsigned char)t[-1]); t--)
			t[-1] = '\0';
		if (streq(k, "title"))
			r = set(&e.title, v);
		else if (streq(k, "version"))
			r = set(&e.version, v);
		else if (streq(k, "machine-id"))
			r = set(&e.machine_id, v);
		else if (streq(k, "sort-key"))
			r = set(&e.sort_key, v);
		else if (streq(k, "linux"))
			r = set(&e.linux_path, v);
		else if (streq(k, "initrd"))
			r = strv_add(&e.initrds, v);
		else if (streq(k, "options")) {
			char *o = NULL;

			if (asprintf(&o, "%s%s%s", e.options ? e.options : "", e.options ? " " : "",
				     v) < 0)
				r = -ENOMEM;
			else {
				free(e.options);
				e.options = o;
			}
		}
	}
	if (r < 0) {
		boot_entry_done(&e);
		return r;
	}
	*ret = e;
	return 0;
}

void boot_entry_done(struct boot_entry *e)
{
	free(e->file);
	free(e->id);
	free(e->title);
	free(e->version);
	free(e->machine_id);
	free(e->sort_key);
	free(e->options);
	free(e->linux_path);
	strv_free(e->initrds);
	*e = (struct boot_entry){};
}

void boot_entries_free(struct boot_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		boot_entry_done(&e[i]);
	free(e);
}

int boot_entries_load(struct path_cxt *pc, const char *esp, struct boot_entry **ret, size_t *ret_n)
{
	_cleanup_strv_free_ char **names = NULL;
	struct boot_entry *v;
	size_t n = 0;
	int r;

	r = path_list_dir(pc, &names, "%s/loader/entries", esp);
	if (r == -ENOENT || r == -ENOTDIR) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	if (r < 0)
		return r;
	v = calloc(strv_length(names) + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	STRV_FOREACH (name, names) {
		_cleanup_free_ char *text = NULL;

		if (!endswith(*name, ".conf"))
			continue;
		r = path_read_full(pc, &text, NULL, "%s/loader/entries/%s", esp, *name);
		if (r == -ENOMEM)
			goto fail;
		if (r < 0)
			continue;
		r = boot_entry_parse(*name, text, &v[n]);
		if (r == -ENOMEM)
			goto fail;
		if (r >= 0)
			n++;
	}
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	boot_entries_free(v, n);
	return r;
}

char *boot_entry_kernel(const struct boot_entry *e)
{
	const char *end, *start;

	if (e->version)
		return strdup(e->version);
	if (!e->linux_path)
		return NULL;
	/* TOKEN/KVER/linux, kernel-install's layout. */
	end = strrchr(e->linux_path, '/');
	if (!end || end == e->linux_path)
		return NULL;
	for (start = end - 1; start > e->linux_path && start[-1] != '/'; start--)
		;
	return strndup(start, (size_t)(end - start));
}

/* grub.d/10_linux's grub_file_is_not_garbage(). */
static bool not_garbage(const char *name)
{
	return !strstr(name, ".dpkg-") && !endswith(name, ".rpmsave") && !endswith(name, ".rpmnew");
}

int boot_kernels(struct path_cxt *pc, char ***ret)
{
	_cleanup_strv_free_ char **list = NULL, **out = NULL;
	int r;

	out = calloc(1, sizeof(char *));
	if (!out)
		return -ENOMEM;
	r = path_list_dir(pc, &list, "/boot");
	if (r < 0 && r != -ENOENT)
		return r;
	STRV_FOREACH (n, list) {
		const char *kver = startswith(*n, "vmlinuz-");
		struct stat st;

		if (!kver || !*kver || !not_garbage(*n) || path_stat(pc, &st, "/boot/%s", *n) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		r = strv_add(&out, kver);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(out);
	return 0;
}

int boot_kernel_image(struct path_cxt *pc, const char *version, char **ret)
{
	static const char *const names[] = {"/boot/initrd.img-%s", "/boot/initramfs-%s.img"};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (path_exists(pc, names[i], version) > 0)
			return asprintf(ret, names[i], version) < 0 ? -ENOMEM : 1;
	return asprintf(ret, names[0], version) < 0 ? -ENOMEM : 0;
}
