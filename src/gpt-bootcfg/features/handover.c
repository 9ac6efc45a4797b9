/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hand-off's keys and vm status' lines (features/handover.h); the hand-off itself is
 * vm/handover.c, which needs the runner's context.
 */
#include <stdio.h>

#include "basic/json.h"
#include "basic/parse-util.h"
#include "basic/strv-util.h"
#include "core/vm-paths.h"
#include "features/handover.h"

static int device_parse_key(const struct config *c, const struct config_entry *e,
			    struct device_config *d, char **ret_error)
{
	bool b;

	if (!streq(e->key, "handover"))
		return 0;
	if (parse_bool(e->value, &b) < 0)
		return config_fail(c, e, 0, ret_error, "handover: expected yes or no, not '%s'",
				   e->value);
	d->handover = b;
	return 1;
}

/* A unit name systemctl takes as one word: letters, digits, ":-_.@\", not "-" first. */
static bool unit_name_ok(const char *s)
{
	if (!*s || *s == '-' || strlen(s) > 255)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr(":-_.@\\", *p)))
			return false;
	return true;
}

static int vm_parse_key(const struct config *c, const struct config_entry *e, struct vm_options *o,
			char **ret_error)
{
	const char *v = e->value;

	if (streq(e->key, "display-manager")) {
		if (!unit_name_ok(v))
			return config_fail(c, e, 0, ret_error,
					   "display-manager: expected a systemd unit name (e.g. "
					   "gdm.service), not '%s'",
					   v);
		free(o->display_manager);
		o->display_manager = strdup(v);
		return o->display_manager ? 1 : -ENOMEM;
	}
	if (streq(e->key, "handover-timeout")) {
		if (parse_uint(v, 3600, &o->handover_timeout) < 0 || o->handover_timeout == 0)
			return config_fail(c, e, 0, ret_error,
					   "handover-timeout: expected seconds from 1 to 3600, "
					   "not '%s'",
					   v);
		return 1;
	}
	return 0;
}

static void vm_free(struct vm_options *o)
{
	free(o->display_manager);
	o->display_manager = NULL;
}

/* vm status: only while a hand-off is recorded, or when the host did not get it all back. */
static void status(struct path_cxt *pc, const struct vm_config *vm, struct json_writer *w)
{
	_cleanup_free_ char *failed = NULL;
	bool handed;

	handed = path_exists(pc, VM_RUN_DIR "/%s" HANDOVER_RECORD_SUFFIX, vm->name) > 0;
	(void)path_read_text(pc, &failed, VM_RUN_DIR "/%s" HANDOVER_FAILED_SUFFIX, vm->name);
	if (!handed && !failed)
		return;
	if (w) {
		json_object_begin(w, "handover");
		json_bool(w, "handed_over", handed);
		json_string(w, "not_given_back", failed);
		json_object_end(w);
		return;
	}
	if (handed)
		printf("  handover: the host's devices are handed to the VM (record " VM_RUN_DIR
		       "/%s" HANDOVER_RECORD_SUFFIX ")\n",
		       vm->name);
	if (failed)
		printf("  handover: NOT GIVEN BACK: %s", failed);
}

const struct feature_ops feature_handover = {
    .name = "handover",
    .what = "display hand-offs",
    .device_parse_key = device_parse_key,
    .vm_parse_key = vm_parse_key,
    .vm_free = vm_free,
    .status = status,
};
