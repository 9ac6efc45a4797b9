/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QEMU's firmware descriptors (fwdesc.h): parsing with the QMP client's JSON reader, the
 * directories merged as QEMU merges them, and the Secure Boot firmware chosen from them.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <sys/stat.h>

#include "features/fwdesc.h"
#include "basic/macro.h"
#include "basic/qmp.h"
#include "basic/strv-util.h"

/* A descriptor is a few hundred bytes; anything far larger is not one. */
#define FW_DESC_MAX_SIZE (64 * 1024)

void fw_desc_done(struct fw_desc *d)
{
	free(d->name);
	free(d->code);
	free(d->vars);
	*d = (struct fw_desc){0};
}

void fw_desc_free_array(struct fw_desc *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fw_desc_done(&d[i]);
	free(d);
}

void fw_choice_done(struct fw_choice *c)
{
	free(c->code);
	free(c->vars);
	free(c->source);
	*c = (struct fw_choice){0};
}

/* Whether array v (absent: false) holds the string s; -EBADMSG for a non-array or a non-string. */
static int array_has(const struct json_value *v, const char *s)
{
	bool found = false;

	if (!v)
		return 0;
	if (v->type != JSON_ARRAY)
		return -EBADMSG;
	for (size_t i = 0; i < v->n; i++) {
		if (v->items[i].type != JSON_STRING)
			return -EBADMSG;
		found = found || streq(v->items[i].string, s);
	}
	return found;
}

/* A machine pattern of the descriptor ("pc-q35-*") against our machine type. */
static bool machine_matches(const char *pattern, const char *machine)
{
	if (machine)
		return fnmatch(pattern, machine, 0) == 0;
	/* Not known yet (nothing pinned, QEMU not asked): any versioned q35 type. */
	return fnmatch(pattern, "pc-q35-0.0", 0) == 0 ||
	       (startswith(pattern, "pc-q35-") && fnmatch(pattern + 7, "0.0", 0) == 0);
}

/* 1 when one of targets[] is x86_64 on a machine pattern matching machine. */
static int targets_match(const struct json_value *targets, const char *machine)
{
	if (!targets || targets->type != JSON_ARRAY)
		return -EBADMSG;
	for (size_t i = 0; i < targets->n; i++) {
		const struct json_value *t = &targets->items[i], *m;
		const char *arch = json_get_string(t, "architecture");

		if (t->type != JSON_OBJECT || !arch)
			return -EBADMSG;
		if (!streq(arch, "x86_64"))
			continue;
		m = json_get(t, "machines");
		if (!m || m->type != JSON_ARRAY)
			return -EBADMSG;
		for (size_t j = 0; j < m->n; j++) {
			if (m->items[j].type != JSON_STRING)
				return -EBADMSG;
			if (machine_matches(m->items[j].string, machine))
				return 1;
		}
	}
	return 0;
}

/* mapping.executable / mapping.nvram-template: a raw file's name, or NULL. */
static int mapped_file(const struct json_value *mapping, const char *key, const char **ret)
{
	const struct json_value *f = json_get(mapping, key);
	const char *name, *format;

	*ret = NULL;
	if (!f)
		return 0;
	if (f->type != JSON_OBJECT)
		return -EBADMSG;
	name = json_get_string(f, "filename");
	format = json_get_string(f, "format");
	if (!name || !format)
		return -EBADMSG;
	/* The argv maps both as format=raw; a qcow2 build would need another -drive. */
	if (streq(format, "raw") && name[0] == '/')
		*ret = name;
	return 0;
}

int fw_desc_parse(const char *name, const char *text, size_t len, const char *machine,
		  struct fw_desc *ret)
{
	_cleanup_json_ struct json_value *v = NULL;
	const struct json_value *mapping, *features;
	const char *device, *mode, *code = NULL, *vars = NULL;
	struct fw_desc d = {0};
	int r, uefi, sb, keys, smm;

	r = json_parse(text, len, &v);
	if (r < 0)
		return r;
	if (v->type != JSON_OBJECT)
		return -EBADMSG;
	uefi = array_has(json_get(v, "interface-types"), "uefi");
	mapping = json_get(v, "mapping");
	features = json_get(v, "features");
	if (uefi < 0 || !mapping || mapping->type != JSON_OBJECT ||
	    (features && features->type != JSON_ARRAY))
		return -EBADMSG;
	device = json_get_string(mapping, "device");
	if (!device)
		return -EBADMSG;
	r = targets_match(json_get(v, "targets"), machine);
	if (r < 0)
		return r;
	if (!uefi || r == 0 || !streq(device, "flash"))
		return 0;
	/* "split" (the default): code and variables are two files, as our two -drive. */
	mode = json_get_string(mapping, "mode");
	if (mode && !streq(mode, "split"))
		return 0;
	r = mapped_file(mapping, "executable", &code);
	if (r >= 0)
		r = mapped_file(mapping, "nvram-template", &vars);
	if (r < 0)
		return r;
	if (!code || !vars)
		return 0;
	sb = array_has(features, "secure-boot");
	keys = array_has(features, "enrolled-keys");
	smm = array_has(features, "requires-smm");
	if (sb < 0 || keys < 0 || smm < 0)
		return -EBADMSG;

	d.name = strdup(name);
	d.code = strdup(code);
	d.vars = strdup(vars);
	if (!d.name || !d.code || !d.vars) {
		fw_desc_done(&d);
		return -ENOMEM;
	}
	d.secure_boot = sb;
	d.enrolled_keys = keys;
	d.requires_smm = smm;
	*ret = d;
	return 1;
}

/* The descriptor files of one directory below the root: names, or an empty list. */
static int list_dir(struct path_cxt *pc, const char *dir, char ***ret)
{
	int r = path_list_dir(pc, ret, "%s", dir);

	if (r == -ENOENT || r == -ENOTDIR) {
		*ret = calloc(1, sizeof(char *));
		return *ret ? 0 : -ENOMEM;
	}
	return r;
}

static bool is_json_name(const char *s)
{
	size_t n = strlen(s);

	return n > 5 && streq(s + n - 5, ".json");
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int fw_desc_load(struct path_cxt *pc, const char *machine, struct fw_desc **ret, size_t *ret_n)
{
	_cleanup_strv_free_ char **etc = NULL, **share = NULL, **names = NULL;
	struct fw_desc *out = NULL;
	size_t n = 0;
	int r;

	r = list_dir(pc, FW_DESC_DIR_ETC, &etc);
	if (r >= 0)
		r = list_dir(pc, FW_DESC_DIR_SHARE, &share);
	if (r < 0)
		return r;
	names = calloc(1, sizeof(char *));
	if (!names)
		return -ENOMEM;
	STRV_FOREACH (e, etc)
		if (is_json_name(*e) && strv_add_unique(&names, *e) < 0)
			return -ENOMEM;
	STRV_FOREACH (s, share)
		if (is_json_name(*s) && strv_add_unique(&names, *s) < 0)
			return -ENOMEM;
	/* QEMU's order is the file name's, whichever directory it is in (plain strcmp). */
	qsort(names, strv_length(names), sizeof(char *), cmp_names);

	STRV_FOREACH (nm, names) {
		_cleanup_free_ char *text = NULL, *path = NULL;
		const char *dir = strv_contains(etc, *nm) ? FW_DESC_DIR_ETC : FW_DESC_DIR_SHARE;
		struct fw_desc d, *nd;
		size_t size = 0;

		if (asprintf(&path, "%s/%s", dir, *nm) < 0) {
			fw_desc_free_array(out, n);
			return -ENOMEM;
		}
		r = path_read_full(pc, &text, &size, "%s", path);
		/* An empty file in /etc is how an administrator hides a packaged descriptor. */
		if (r < 0 || size == 0 || size > FW_DESC_MAX_SIZE)
			continue;
		r = fw_desc_parse(path, text, size, machine, &d);
		if (r == -ENOMEM) {
			fw_desc_free_array(out, n);
			return r;
		}
		if (r <= 0)
			continue;
		nd = realloc(out, (n + 1) * sizeof(*nd));
		if (!nd) {
			fw_desc_done(&d);
			fw_desc_free_array(out, n);
			return -ENOMEM;
		}
		out = nd;
		out[n++] = d;
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

/* The size of a regular file below the root, or -errno. */
static int64_t file_size(struct path_cxt *pc, const char *path)
{
	struct stat st;
	int r = path_stat(pc, &st, "%s", path);

	if (r < 0)
		return r;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	return st.st_size;
}

static int choose(const char *code, const char *vars, const char *source, struct fw_choice *ret)
{
	struct fw_choice c = {.code = strdup(code), .vars = strdup(vars), .source = strdup(source)};

	if (!c.code || !c.vars || !c.source) {
		fw_choice_done(&c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

int fw_select_secure_boot(struct path_cxt *pc, const struct fw_desc *d, size_t n,
			  const char *want_code, const char *want_vars, struct fw_choice *ret,
			  char **ret_why)
{
	const struct fw_desc *best = NULL;
	int best_rank = -1;

	for (size_t i = 0; i < n; i++) {
		int64_t size;
		int rank;

		if (!d[i].secure_boot || !d[i].enrolled_keys)
			continue;
		if ((want_code && !streq(want_code, d[i].code)) ||
		    (want_vars && !streq(want_vars, d[i].vars)))
			continue;
		size = file_size(pc, d[i].code);
		if (size < 0 || file_size(pc, d[i].vars) < 0)
			continue;
		/* A 4 MiB build first; then one that keeps the store out of the OS's reach. */
		rank = (size >= FW_FLASH_4M) * 2 + d[i].requires_smm;
		if (rank > best_rank) {
			best = &d[i];
			best_rank = rank;
		}
	}
	if (best)
		return choose(best->code, best->vars, best->name, ret);
	if (!want_code && !want_vars && file_size(pc, FW_DEBIAN_SB_CODE) >= 0 &&
	    file_size(pc, FW_DEBIAN_SB_VARS) >= 0)
		return choose(FW_DEBIAN_SB_CODE, FW_DEBIAN_SB_VARS, "Debian's ovmf", ret);

	if (want_code || want_vars) {
		if (asprintf(ret_why,
			     "no firmware descriptor (" FW_DESC_DIR_SHARE ", " FW_DESC_DIR_ETC
			     ") names a Secure Boot firmware with enrolled keys whose %s is '%s': "
			     "set both ovmf-code and ovmf-vars",
			     want_code ? "code" : "variable template",
			     want_code ? want_code : want_vars) < 0)
			return -ENOMEM;
	} else if (asprintf(ret_why,
			    "no Secure Boot firmware with Microsoft's keys enrolled: no firmware "
			    "descriptor in " FW_DESC_DIR_SHARE " or " FW_DESC_DIR_ETC
			    " names one whose files exist, and there is no " FW_DEBIAN_SB_CODE
			    " with " FW_DEBIAN_SB_VARS " (Debian: apt install ovmf; or set "
			    "ovmf-code and ovmf-vars)") < 0) {
		return -ENOMEM;
	}
	return -ENOENT;
}
