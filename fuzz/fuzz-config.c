/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The configuration file parser (config.h): the raw INI layer, the typed [host] and
 * [device NAME] sections and every [vm NAME] through vm_config_parse() (vmconfig.h). The
 * file is root-owned, but plan and apply run it on whatever is there, and a bad file must
 * give one FILE:LINE:COL error, never a crash. An accepted file must be self-consistent:
 * every device and VM found by name, every VM's devices configured ones, and a
 * PATH:LINE[:COL] prefix on every rejection.
 */
#include "conf/config.h"
#include "fuzz.h"
#include "vm/qemucmd.h"
#include "features/gaming.h"

#define PATH "/etc/gpt-bootcfg/gpt-bootcfg.conf"

/* "PATH:LINE:COL: message", or "PATH:LINE: message" where no column applies (a NUL byte). */
static void check_error(const char *e)
{
	const char *s = startswith(e, PATH ":");
	unsigned line = 0, col = 0;
	int n = 0;

	FUZZ_ASSERT(s);
	if (sscanf(s, "%u:%u: %n", &line, &col, &n) == 2 && n > 0)
		FUZZ_ASSERT(col >= 1);
	else
		FUZZ_ASSERT(sscanf(s, "%u: %n", &line, &n) == 1 && n > 0);
	FUZZ_ASSERT(line >= 1);
	FUZZ_ASSERT(s[n] != '\0');
}

/*
 * The gaming keys (vm-gamedev.h) as accepted: a power-of-two Looking Glass size with its
 * client user, stable input paths without a comma (QEMU's separator), real USB ids.
 */
static void check_gaming(const struct vm_gaming *g)
{
	if (!g)
		return;
	FUZZ_ASSERT((g->lg_size & (g->lg_size - 1)) == 0);
	FUZZ_ASSERT(!g->lg_size || g->lg_user);
	for (size_t i = 0; i < g->n_inputs; i++) {
		const char *p = g->inputs[i].path;

		FUZZ_ASSERT(startswith(p, "/dev/input/by-id/") || startswith(p, "/dev/input/by-path/"));
		FUZZ_ASSERT(!strchr(p, ',') && !strchr(p, ' '));
		FUZZ_ASSERT(g->grab_toggle);
	}
	for (size_t i = 0; i < g->n_usb; i++)
		FUZZ_ASSERT(g->usb[i].vendor != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_config_ struct config *c = NULL;
	_cleanup_free_ char *error = NULL;
	int r;

	/* The parser gets the size: embedded NULs and a missing final newline included. */
	r = config_parse_string(PATH, (const char *)data, size, &c, &error);
	if (r == -ENOMEM)
		return 0;
	if (r < 0) {
		FUZZ_ASSERT(r == -EINVAL);
		FUZZ_ASSERT(!c);
		FUZZ_ASSERT(error);
		check_error(error);
		return 0;
	}
	FUZZ_ASSERT(c && !error);
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct device_config *d = &c->devices[i];

		FUZZ_ASSERT(d->name && config_find_device(c, d->name) == d);
		FUZZ_ASSERT(strlen(d->address) < PCI_ADDR_STRLEN);
	}
	for (size_t i = 0; i < c->n_vms; i++) {
		const struct vm_config *vm = c->vms[i];

		FUZZ_ASSERT(vm && vm->name && config_find_vm(c, vm->name) == vm);
		STRV_FOREACH(d, vm->devices)
			FUZZ_ASSERT(config_find_device(c, *d));
		FUZZ_ASSERT(vm->vcpu_pins.n == 0 || vm->vcpu_pins.n == vm->vcpus);
		check_gaming(vm_gaming(vm_options(vm)));
	}
	for (size_t i = 0; i < c->n_sections; i++) {
		const struct config_section *s = &c->sections[i];

		FUZZ_ASSERT(s->type && s->line >= 1);
		for (size_t j = 0; j < s->n_entries; j++)
			FUZZ_ASSERT(s->entries[j].key && s->entries[j].value &&
				    s->entries[j].line >= s->line && s->entries[j].col_key >= 1);
		for (size_t j = 0; j < s->n_entries; j++)
			FUZZ_ASSERT(config_section_get(s, s->entries[j].key));
	}
	return 0;
}
