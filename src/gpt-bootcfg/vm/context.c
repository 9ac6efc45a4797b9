/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/log.h"
#include "basic/strv-util.h"
#include "conf/config.h"
#include "core/placement-config.h"
#include "features/bridge.h"
#include "features/gaming-host.h"
#include "features/win11.h"
#include "vm/context.h"

void vm_ctx_done(struct vm_ctx *x)
{
	vm_user_done(&x->user);
	free(x->mem_path);
	free(x->user_why);
	free(x->audio_runtime_dir);
	vm_audio_cookie_done(&x->audio_cookie);
	vm_identity_done(&x->id);
	fw_choice_done(&x->fw);
	free(x->pt);
	if (x->host)
		host_free(x->host);
	if (x->config)
		config_free(x->config);
}

const char *vm_cfg_path(const struct vm_ctx *x)
{
	return x->config && x->config->path ? x->config->path : x->cli->config;
}

/* Test-only overrides from the environment (docs/vm.md, "Testing"). */
static void apply_overrides(struct qemu_cmd_input *in)
{
	const char *e;

	e = getenv("GPT_BOOTCFG_QEMU");
	in->qemu = e && *e ? e : "qemu-system-x86_64";
	e = getenv("GPT_BOOTCFG_TEST_ACCEL");
	if (e && *e)
		in->accel = e;
	e = getenv("GPT_BOOTCFG_TEST_MEM_PATH");
	if (e && *e)
		in->mem_path = e;
	e = getenv("GPT_BOOTCFG_TEST_STANDINS");
	in->standins = e && streq(e, "1");
}

/* Load the config, the host and the VM, and check what can be checked without starting. */
int vm_load(struct cli *cli, const char *name, struct vm_ctx *x)
{
	_cleanup_free_ char *err = NULL;
	const struct vm_options *o;
	int r;

	memset(x, 0, sizeof(*x));
	x->cli = cli;
	x->lock_fd = -1;
	x->lg_lock_fd = -1;
	x->in.qmp_fd = -1;
	r = config_load(cli->pc, cli->config, &x->config, &err);
	if (r < 0) {
		if (err)
			return log_error_errno(r, "%s", err);
		return log_error_errno(r, "Failed to load '%s': %m", cli->config);
	}
	x->vm = config_find_vm(x->config, name);
	if (!x->vm)
		return log_error_errno(-ENOENT, "%s: no [vm %s] section", cli->config, name);
	o = vm_options(x->vm);

	r = host_load(cli->pc, &x->host);
	if (r < 0) {
		const char *he = host_last_error();

		return log_error_errno(r, "Failed to read the host%s%s: %m", he && *he ? ": " : "",
				       he ? he : "");
	}

	/* vcpu-pins = auto: the same cores plan shows, for every VM of the file. */
	r = config_place_cpus(x->config, x->host, NULL, &err);
	if (r < 0) {
		if (err)
			return log_error_errno(r, "%s", err);
		return log_oom();
	}

	x->pt = calloc(strv_length(x->vm->devices) + 1, sizeof(*x->pt));
	if (!x->pt)
		return log_oom();
	STRV_FOREACH (dn, x->vm->devices) {
		const struct device_config *dc = config_find_device(x->config, *dn);
		const struct pci_device *d;
		struct qemu_passthrough *p = &x->pt[x->n_pt];

		if (!dc)
			return log_error_errno(-ENOENT, "%s:%u:%u: devices: no [device %s] section",
					       vm_cfg_path(x), o->devices_line, o->devices_col,
					       *dn);
		d = host_find_pci(x->host, &dc->addr);
		if (!d)
			return log_error_errno(
			    -ENODEV, "%s:%u:%u: device '%s' (%s) is not present on this host",
			    vm_cfg_path(x), o->devices_line, o->devices_col, *dn, dc->address);
		memcpy(p->address, d->address, sizeof(p->address));
		p->addr = d->addr;
		p->device = dc->name;
		p->class = d->class;
		p->numa_node = d->numa_node;
		x->n_pt++;
	}

	x->in.vm = x->vm;
	x->in.pt = x->pt;
	x->in.n_pt = x->n_pt;
	x->in.vhost_net = bridge_vhost_net(cli->pc);
	x->in.lg_kvmfr = vm_lg_kvmfr(cli->pc);
	apply_overrides(&x->in);
	/* secure-boot = yes: the firmware from QEMU's descriptors, or ovmf-code/ovmf-vars. */
	r = vm_win11_load(cli->pc, vm_cfg_path(x), x->vm, NULL, &x->fw);
	if (r < 0)
		return r;
	if (r > 0) {
		x->in.ovmf_code = x->fw.code;
		x->in.ovmf_vars = x->fw.vars;
		x->in.ovmf_secure = true;
	}
	return 0;
}
