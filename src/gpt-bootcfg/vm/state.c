/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <sys/random.h>

#include "basic/fileio.h"
#include "basic/macro.h"
#include "basic/spawn-util.h"
#include "conf/vm-hw.h"
#include "vm/qemucmd.h"
#include "vm/state.h"

/* "qemu -machine help" answers at once; a binary that does not is broken. */
#define QEMU_HELP_TIMEOUT_MS (30 * 1000)
/* Its output is a few KiB; anything far beyond is not that list. */
#define QEMU_HELP_MAX (1024 * 1024)

void vm_identity_done(struct vm_identity *id)
{
	free(id->machine);
	free(id->uuid);
	*id = (struct vm_identity){0};
}

int vm_machine_path(const char *name, char **ret)
{
	return vm_state_file(name, "machine", ret);
}

int vm_uuid_path(const char *name, char **ret)
{
	return vm_state_file(name, "uuid", ret);
}

int qemu_machine_help_alias(const char *help, const char *alias, char **ret)
{
	size_t al = strlen(alias);

	for (const char *line = help; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		/* "q35                  Standard PC (Q35 + ICH9, 2009) (alias of pc-q35-7.2)" */
		if (len > al && strncmp(line, alias, al) == 0 &&
		    (line[al] == ' ' || line[al] == '\t')) {
			const char *a = memmem(line, len, "(alias of ", 10);

			if (a) {
				const char *t = a + 10,
					   *end = memchr(t, ')', len - (size_t)(t - line));
				_cleanup_free_ char *type =
				    end ? strndup(t, (size_t)(end - t)) : NULL;

				if (type && vm_machine_type_valid(type)) {
					*ret = TAKE_PTR(type);
					return 0;
				}
				if (end && !type)
					return -ENOMEM;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return -ENOENT;
}

int qemu_resolve_q35(const char *qemu, char **ret)
{
	const struct spawn_opts opts = {
	    .flags = SPAWN_STDIN_NULL | SPAWN_STDERR_NULL | SPAWN_OUTPUT_LIMIT_FAIL,
	    .max_output = QEMU_HELP_MAX,
	    .timeout_ms = QEMU_HELP_TIMEOUT_MS,
	};
	char *const argv[] = {(char *)qemu, (char *)"-machine", (char *)"help", NULL};
	_cleanup_free_ char *text = NULL;
	int r;

	r = spawn_run_opts(argv, &opts, &text);
	if (r == -ETIMEDOUT || r == -EFBIG || r == -ENOMEM)
		return r;
	/* Not started (no such binary, not executable), or a wrapper's "command not found". */
	if (r < 0 || r == 127)
		return -ENOENT;
	if (r != 0)
		return -ENOEXEC;
	return qemu_machine_help_alias(text ? text : "", "q35", ret);
}

int vm_uuid_generate(char **ret)
{
	uint8_t b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return negative_errno();
		got += (size_t)n;
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4: random */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	return asprintf(ret, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
			b[12], b[13], b[14], b[15]) < 0
		   ? -ENOMEM
		   : 0;
}

/* The pinned value of one state file; NULL in *ret if there is none. */
static int read_state(struct path_cxt *pc, const char *path, bool (*valid)(const char *),
		      char **ret)
{
	_cleanup_free_ char *s = NULL;
	int r;

	r = path_read_string(pc, &s, "%s", path);
	if (r == -ENOENT) {
		*ret = NULL;
		return 0;
	}
	if (r < 0)
		return r;
	/* A damaged file must not become part of QEMU's command line. */
	if (!valid(s))
		return -EBADMSG;
	*ret = TAKE_PTR(s);
	return 0;
}

static int vm_identity_read(struct path_cxt *pc, const struct vm_config *vm,
			    struct vm_identity *ret)
{
	const struct vm_options *o = vm_options(vm);
	_cleanup_free_ char *mp = NULL, *up = NULL, *m = NULL, *u = NULL;
	struct vm_identity id = {0};
	int r;

	if (vm_machine_path(vm->name, &mp) < 0 || vm_uuid_path(vm->name, &up) < 0)
		return -ENOMEM;
	r = read_state(pc, mp, vm_machine_type_valid, &m);
	if (r < 0)
		return r;
	r = read_state(pc, up, vm_uuid_valid, &u);
	if (r < 0)
		return r;
	id.machine_pinned = m && (!o->machine || streq(m, o->machine));
	id.uuid_pinned = u && (!o->uuid || streq(u, o->uuid));
	id.machine = o->machine ? strdup(o->machine) : TAKE_PTR(m);
	id.uuid = o->uuid ? strdup(o->uuid) : TAKE_PTR(u);
	if ((o->machine && !id.machine) || (o->uuid && !id.uuid)) {
		vm_identity_done(&id);
		return -ENOMEM;
	}
	*ret = id;
	return 0;
}

int vm_identity_peek(struct path_cxt *pc, const struct vm_config *vm, const char *qemu,
		     struct vm_identity *ret)
{
	struct vm_identity id;
	int r;

	r = vm_identity_read(pc, vm, &id);
	if (r < 0)
		return r;
	/* Not pinned yet: show what the first run would pin (nothing, if QEMU cannot say). */
	if (!id.machine)
		(void)qemu_resolve_q35(qemu, &id.machine);
	*ret = id;
	return 0;
}

static int write_state(struct path_cxt *pc, const char *path, const char *value)
{
	_cleanup_free_ char *line = NULL;

	if (asprintf(&line, "%s\n", value) < 0)
		return -ENOMEM;
	return path_write_atomic(pc, path, line, strlen(line), 0644);
}

int vm_identity_pin(struct path_cxt *pc, const struct vm_config *vm, const char *qemu,
		    struct vm_identity *ret, bool *ret_changed)
{
	_cleanup_free_ char *dir = NULL, *mp = NULL, *up = NULL;
	struct vm_identity id;
	bool changed = false;
	int r;

	r = vm_identity_read(pc, vm, &id);
	if (r < 0)
		return r;
	if (!id.machine)
		r = qemu_resolve_q35(qemu, &id.machine);
	if (r >= 0 && !id.uuid)
		r = vm_uuid_generate(&id.uuid);
	if (r >= 0 && (asprintf(&dir, VM_STATE_DIR "/%s", vm->name) < 0 ||
		       vm_machine_path(vm->name, &mp) < 0 || vm_uuid_path(vm->name, &up) < 0))
		r = -ENOMEM;
	if (r >= 0 && (!id.machine_pinned || !id.uuid_pinned))
		r = path_mkdir_p(pc, dir, 0700);
	if (r >= 0 && !id.machine_pinned) {
		r = write_state(pc, mp, id.machine);
		changed = true;
	}
	if (r >= 0 && !id.uuid_pinned) {
		r = write_state(pc, up, id.uuid);
		changed = true;
	}
	if (r < 0) {
		vm_identity_done(&id);
		return r;
	}
	id.machine_pinned = id.uuid_pinned = true;
	if (ret_changed)
		*ret_changed = changed;
	*ret = id;
	return 0;
}
