/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host audio and CPU power around "vm run" (issue 15, items 4 and 5): the audio user's
 * runtime directory for the QEMU command, the runner's checks before QEMU starts, and the
 * cpufreq governors of the VM's CPUs, set after the lock and given back with the owners.
 * The libraries are vm-audio.c and vm-power.c; this file logs for the verb.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "basic/log.h"
#include "basic/path.h"
#include "basic/strbuf.h"
#include "features/audio.h"
#include "features/power.h"
#include "vm/feature-run.h"

/* Where an audio error points: audio-user when given, else the "audio" key. */
static void audio_pos(const struct vm_options *o, unsigned *line, unsigned *col)
{
	*line = o->audio_user ? o->audio_user_line : o->audio_line;
	*col = o->audio_user ? o->audio_user_col : o->audio_col;
}

int vm_audio_load(struct vm_ctx *x)
{
	const struct vm_options *o = vm_options(x->vm);
	_cleanup_free_ char *why = NULL;
	unsigned line, col;
	const char *e;
	int r;

	if (!vm_audio_is_host(o))
		return 0;
	r = vm_audio_runtime_dir(x->cli->pc, o, &x->audio_runtime_dir, &why);
	audio_pos(o, &line, &col);
	if (r < 0 && why)
		return log_error_errno(r, "%s:%u:%u: VM '%s': %s", vm_cfg_path(x), line, col,
				       x->vm->name, why);
	if (r < 0)
		return log_error_errno(r, "Failed to look up the audio user of VM '%s': %m",
				       x->vm->name);
	x->in.audio_runtime_dir = x->audio_runtime_dir;
	/* Tests only (docs/vm.md, "Testing"): an audiodev for machines without a server. */
	e = getenv("GPT_BOOTCFG_TEST_AUDIODEV");
	if (e && *e)
		x->in.test_audiodev = e;
	return 0;
}

int vm_check_audio(struct vm_ctx *x)
{
	const struct vm_options *o = vm_options(x->vm);
	const char *driver = vm_audio_driver(&x->in);
	_cleanup_free_ char *why = NULL;
	int r;

	if (!vm_audio_is_host(o))
		return 0;
	r = vm_audio_check_driver(x->in.qemu, driver, &why);
	if (r == 0)
		return log_error_errno(-ENOPKG, "%s:%u:%u: VM '%s': %s", vm_cfg_path(x),
				       o->audio_line, o->audio_col, x->vm->name, why);
	if (r < 0)
		return log_error_errno(
		    r, "Failed to ask '%s -audiodev help' for its audio drivers: %m", x->in.qemu);
	/* Read as root (the user's 0700 home), handed to QEMU by descriptor (vm-audio.h). */
	r = vm_audio_cookie_load(x->cli->pc, o, &x->audio_cookie);
	if (r < 0)
		return log_error_errno(r, "Failed to read the PulseAudio cookie of '%s': %m",
				       vm_audio_user(o));
	r = vm_audio_check_socket(x->cli->pc, o, x->audio_runtime_dir, &x->user, &x->audio_cookie,
				  &why);
	if (r < 0 && why)
		return log_error_errno(r, "%s:%u:%u: VM '%s': %s", vm_cfg_path(x), o->audio_line,
				       o->audio_col, x->vm->name, why);
	if (r < 0)
		return log_error_errno(r, "Failed to check the sound server of VM '%s': %m",
				       x->vm->name);
	return 0;
}

int vm_audio_env(const struct vm_ctx *x, char **ret)
{
	const char *root = x->in.path_root ? x->in.path_root : "";

	*ret = NULL;
	if (!x->in.audio_runtime_dir)
		return 0;
	/* libpulse finds its runtime files (and QEMU the user's) below XDG_RUNTIME_DIR. */
	return asprintf(ret, "XDG_RUNTIME_DIR=%s%s", root, x->in.audio_runtime_dir) < 0 ? -ENOMEM
											: 1;
}

int vm_audio_cookie_env(const struct vm_ctx *x, char **ret_env, int *ret_fd)
{
	int fd;

	if (!x->in.audio_runtime_dir)
		return 0;
	/*
	 * Without a cookie (pipewire-pulse makes none) the zeros the check sent: libpulse
	 * would otherwise make one in the runner's HOME, root's home for a root QEMU.
	 */
	fd = vm_audio_cookie_memfd(&x->audio_cookie);
	if (fd < 0)
		return log_error_errno(fd, "Failed to pass the PulseAudio cookie to QEMU: %m");
	/* The same number in QEMU: the child keeps it across exec. */
	if (asprintf(ret_env, "PULSE_COOKIE=/proc/self/fd/%d", fd) < 0) {
		close(fd);
		return log_oom();
	}
	*ret_fd = fd;
	return 1;
}

int vm_check_power(struct vm_ctx *x)
{
	const struct host_config *h = &x->config->host;
	_cleanup_free_ char *why = NULL;
	int r;

	if (!h->cpu_governor)
		return 0;
	r = vm_power_check(x->cli->pc, x->vm, h->cpu_governor, &why);
	if (r < 0 && why)
		return log_error_errno(r, "%s:%u:%u: %s", vm_cfg_path(x), h->cpu_governor_line,
				       h->cpu_governor_col, why);
	if (r < 0)
		return log_error_errno(r, "Failed to read the cpufreq policies of VM '%s': %m",
				       x->vm->name);
	return 0;
}

/* A record an earlier runner left (it was killed): played back, under the lock. */
static int power_restore_leftover(struct cli *cli, const char *name, bool stopping)
{
	_cleanup_free_ char *what = NULL;
	int r = vm_power_restore(cli->pc, name, &what);

	if (r < 0)
		return log_error_errno(r,
				       "Failed to restore the CPU governors of VM '%s' ('%s'): %m "
				       "(the record " VM_POWER_RECORD " is kept)",
				       name, what ? what : "?", name);
	if (r > 0 && stopping)
		log_info("VM '%s': restored the CPU governors its vm run had changed.", name);
	else if (r > 0)
		log_warning(
		    "VM '%s': restored the CPU governors an earlier vm run left changed (it "
		    "did not end cleanly).",
		    name);
	return 0;
}

int vm_power_set(struct vm_ctx *x)
{
	const char *gov = x->config->host.cpu_governor;
	_cleanup_free_ char *what = NULL, *list = NULL;
	_cleanup_free_ unsigned *cpus = NULL;
	size_t n = 0;
	int r;

	r = power_restore_leftover(x->cli, x->vm->name, false);
	if (r < 0 || !gov)
		return r;
	r = vm_power_cpus(x->vm, &cpus, &n);
	if (r >= 0)
		r = cpulist_format(cpus, n, &list);
	if (r < 0)
		return log_oom();
	if (n == 0) {
		log_info("VM '%s' pins no CPUs: cpu-governor = %s changes nothing.", x->vm->name,
			 gov);
		return 0;
	}
	/* From here on vm_power_release() (through vm_ctx_done()) gives them back. */
	x->power_recorded = true;
	r = vm_power_apply(x->cli->pc, x->vm, gov, &what);
	if (r < 0) {
		x->power_recorded = false;
		return log_error_errno(r, "Failed to set the cpufreq governor '%s' ('%s'): %m", gov,
				       what ? what : "?");
	}
	log_info("VM '%s': cpufreq governor '%s' on CPUs %s (the previous ones in " VM_POWER_RECORD
		 ").",
		 x->vm->name, gov, list, x->vm->name);
	return 0;
}

void vm_power_release(struct vm_ctx *x)
{
	_cleanup_free_ char *what = NULL;
	int r;

	if (!x->power_recorded)
		return;
	x->power_recorded = false;
	r = vm_power_restore(x->cli->pc, x->vm->name, &what);
	if (r < 0)
		log_error_errno(
		    r,
		    "Failed to restore the CPU governor of '%s': %m (recorded in " VM_POWER_RECORD
		    "; the next vm run or vm stop retries)",
		    what ? what : "?", x->vm->name);
	else if (r > 0)
		log_info("VM '%s': CPU governors restored.", x->vm->name);
}

int vm_power_stop_restore(struct cli *cli, const char *name)
{
	return power_restore_leftover(cli, name, true);
}
