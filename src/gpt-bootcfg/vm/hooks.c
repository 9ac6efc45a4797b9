/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/log.h"
#include "basic/spawn-util.h"
#include "basic/strv-util.h"
#include "conf/vmconfig.h"
#include "core/verbs.h"
#include "vm/hooks.h"
#include "vm/qemucmd.h"

/* One path (the hook itself when last): root's and not writable by anyone else. */
static int check_one(struct path_cxt *pc, const char *p, bool last, bool allow_link, char **ret_why)
{
	struct stat st;
	int r = path_lstat(pc, &st, "%s", p);

	if (r < 0)
		return r;
	/* A link's own owner and mode mean nothing; where it points is checked separately. */
	if (S_ISLNK(st.st_mode) && allow_link)
		return 0;
	if (last && !S_ISREG(st.st_mode))
		return asprintf(ret_why, "'%s' is not a regular file", p) < 0 ? -ENOMEM : -EPERM;
	if (!last && !S_ISDIR(st.st_mode))
		return asprintf(ret_why, "'%s' is not a directory", p) < 0 ? -ENOMEM : -EPERM;
	if (st.st_uid != 0)
		return asprintf(ret_why, "'%s' is owned by uid %u, not root", p,
				(unsigned)st.st_uid) < 0
			   ? -ENOMEM
			   : -EPERM;
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return asprintf(ret_why, "'%s' has mode %04o: writable by %s", p,
				(unsigned)(st.st_mode & 07777),
				(st.st_mode & S_IWOTH) ? "others" : "its group") < 0
			   ? -ENOMEM
			   : -EPERM;
	return 0;
}

/* Every prefix of an absolute host path, "/" first, then the path itself. */
static int check_chain(struct path_cxt *pc, const char *path, bool allow_link, char **ret_why)
{
	_cleanup_free_ char *buf = strdup(path);
	int r;

	if (!buf)
		return -ENOMEM;
	r = check_one(pc, "/", false, false, ret_why);
	for (char *s = buf + 1; r >= 0 && *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		r = check_one(pc, buf, false, allow_link, ret_why);
		*s = '/';
	}
	if (r >= 0)
		r = check_one(pc, buf, true, allow_link, ret_why);
	return r;
}

int vm_hook_check(struct path_cxt *pc, const char *path, char **ret_canonical, char **ret_why)
{
	_cleanup_free_ char *canon = NULL, *why = NULL;
	int r;

	if (path[0] != '/')
		return -EINVAL;
	/* The path as written: who could replace a directory or plant a link on the way. */
	r = check_chain(pc, path, true, &why);
	if (r >= 0) {
		/* Where it leads: links must land on ground that passes the same rule. */
		r = path_canonicalize(pc, &canon, "%s", path);
		if (r == -EXDEV) {
			if (asprintf(&why, "a symlink on the way to '%s' leaves the root", path) <
			    0)
				return -ENOMEM;
			r = -EXDEV;
		} else if (r >= 0 && !streq(canon, path)) {
			r = check_chain(pc, canon, false, &why);
		}
	}
	if (r < 0) {
		if (why)
			*ret_why = TAKE_PTR(why);
		return r;
	}
	*ret_canonical = TAKE_PTR(canon);
	return 0;
}

/* ---- running them ---- */

/* The variables a hook gets (docs/vm.md "Hooks"): in its environment only, not the runner's. */
static const char *const hook_vars[] = {
    "GPT_BOOTCFG_VM",	       "GPT_BOOTCFG_PHASE",
    "GPT_BOOTCFG_VCPU_CPUS",   "GPT_BOOTCFG_EMULATOR_CPUS",
    "GPT_BOOTCFG_ROOT",	       "GPT_BOOTCFG_MEMORY_MIB",
    "GPT_BOOTCFG_HUGEPAGE_KB",
};

static bool is_hook_var(const char *entry)
{
	for (size_t i = 0; i < ARRAY_SIZE(hook_vars); i++) {
		size_t n = strlen(hook_vars[i]);

		if (strncmp(entry, hook_vars[i], n) == 0 && entry[n] == '=')
			return true;
	}
	return false;
}

static int env_add(char ***env, const char *name, const char *value)
{
	char *e;

	if (asprintf(&e, "%s=%s", name, value) < 0)
		return -ENOMEM;
	return strv_consume(env, e);
}

/* This process's environment with the hook variables of vm and phase set. */
static int hook_env(const struct vm_config *vm, const char *phase, const char *root, char ***ret)
{
	_cleanup_free_ char *vcpus = NULL, *emu = NULL;
	_cleanup_strv_free_ char **env = NULL;
	char mib[32], kb[32];
	int r;

	r = cpulist_format(vm->vcpu_pins.cpus, vm->vcpu_pins.n, &vcpus);
	if (r < 0)
		return r;
	r = cpulist_format(vm->emulator_cpus.cpus, vm->emulator_cpus.n, &emu);
	if (r < 0)
		return r;
	snprintf(mib, sizeof(mib), "%" PRIu64, vm->memory >> 20);
	snprintf(kb, sizeof(kb), "%" PRIu64, vm->hugepage_size >> 10);
	for (char **e = environ; e && *e; e++)
		if (!is_hook_var(*e) && strv_add(&env, *e) < 0)
			return -ENOMEM;
	if (env_add(&env, "GPT_BOOTCFG_VM", vm->name) < 0 ||
	    env_add(&env, "GPT_BOOTCFG_PHASE", phase) < 0 ||
	    env_add(&env, "GPT_BOOTCFG_VCPU_CPUS", vcpus) < 0 ||
	    env_add(&env, "GPT_BOOTCFG_EMULATOR_CPUS", emu) < 0 ||
	    env_add(&env, "GPT_BOOTCFG_ROOT", root) < 0 ||
	    env_add(&env, "GPT_BOOTCFG_MEMORY_MIB", mib) < 0 ||
	    env_add(&env, "GPT_BOOTCFG_HUGEPAGE_KB", kb) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(env);
	return 0;
}

/* A chatty hook must not exhaust memory: the first 64 KiB of its output are kept. */
#define HOOK_OUTPUT_MAX 65536

/*
 * Run one hook with env, its stdout and stderr collected; returns its exit status or
 * -errno. A hook that cannot be executed counts as failed with status 127, as a shell
 * reports it, and its output says why.
 */
static int run_hook(const char *path, const char *name, const char *phase, char **env,
		    char **ret_output)
{
	const struct spawn_opts opts = {
	    .flags = SPAWN_STDERR_TO_OUTPUT,
	    .envp = env,
	    .max_output = HOOK_OUTPUT_MAX,
	};
	char *const argv[] = {(char *)path, (char *)name, (char *)phase, NULL};
	int r;

	r = spawn_run_opts(argv, &opts, ret_output);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		*ret_output = NULL;
		return asprintf(ret_output, "cannot execute: %s\n", strerror(-r)) < 0 ? -ENOMEM
										      : 127;
	}
	return r;
}

static const char *last_line(char *s)
{
	char *end = s + strlen(s), *p;

	while (end > s && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	p = strrchr(s, '\n');
	return p ? p + 1 : s;
}

/* Whether a hooks.d entry is meant to run: not an editor backup or package leftover. */
static bool hook_name_ok(const char *n)
{
	return n[0] != '.' && n[strlen(n) - 1] != '~' && !strstr(n, ".dpkg-");
}

/*
 * Executables in hooks.d/NAME/PHASE.d/, in version order. In "prepare" a failing hook
 * stops the start with its last line of output; in "release" failures are only logged.
 * Hooks run as root, so each must pass vm_hook_check() first (the configuration file's
 * ownership rule, docs/vm.md "Hooks"): an unsafe prepare hook refuses the start before any
 * hook has run; an unsafe release hook is skipped, the others run, and the result is an
 * error.
 */
int vm_run_hooks(struct cli *cli, const struct vm_config *vm, const char *phase)
{
	_cleanup_strv_free_ char **names = NULL, **run = NULL, **env = NULL;
	size_t n_unsafe = 0, i = 0;
	int r;

	r = path_list_dir(cli->pc, &names, VM_HOOKS_DIR "/%s/%s.d", vm->name, phase);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return log_error_errno(r, "Failed to list '" VM_HOOKS_DIR "/%s/%s.d': %m", vm->name,
				       phase);
	/* run[i]: what names[i] resolves to, checked; "" when it is not to be run. */
	run = calloc(strv_length(names) + 1, sizeof(char *));
	if (!run)
		return log_oom();
	STRV_FOREACH (n, names) {
		_cleanup_free_ char *host = NULL, *why = NULL, *target = NULL;

		i = (size_t)(n - names);
		r = hook_name_ok(*n) ? 0 : -ENOENT;
		if (r >= 0 && asprintf(&host, VM_HOOKS_DIR "/%s/%s.d/%s", vm->name, phase, *n) < 0)
			return log_oom();
		if (r >= 0)
			r = vm_hook_check(cli->pc, host, &target, &why);
		run[i] = target ? TAKE_PTR(target) : strdup("");
		if (!run[i])
			return log_oom();
		if (!hook_name_ok(*n))
			continue;
		if (r == -ENOENT) {
			/* A link that leads nowhere below the root is never executed. */
			log_warning("Hook '%s' is not an executable file, ignoring", host);
			continue;
		}
		if (r < 0 && !why)
			return log_error_errno(r, "Failed to check hook '%s': %m", host);
		if (r < 0) {
			log_error(
			    "Hook '%s' is not safe to run as root: %s (hooks and every directory "
			    "above them must be root's and not writable by group or others)%s",
			    host, why, streq(phase, "prepare") ? "" : "; skipping it");
			n_unsafe++;
		}
	}
	if (n_unsafe && streq(phase, "prepare"))
		return log_error_errno(-EPERM, "Not starting VM '%s': %zu unsafe prepare hook%s",
				       vm->name, n_unsafe, n_unsafe == 1 ? "" : "s");
	r = hook_env(vm, phase, path_cxt_root(cli->pc), &env);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the hook environment: %m");

	STRV_FOREACH (n, names) {
		_cleanup_free_ char *p = NULL, *output = NULL;
		struct stat st;
		int status;

		/* Editor backups, package manager leftovers and unsafe hooks do not run. */
		if (!hook_name_ok(*n) || !*run[n - names])
			continue;
		/* The checked target, not the link: resolved below the root, as checked. */
		r = path_prefix(cli->pc, &p, "%s", run[n - names]);
		if (r < 0)
			return log_oom();
		if (stat(p, &st) < 0 || !S_ISREG(st.st_mode) || access(p, X_OK) < 0) {
			log_warning("Hook '" VM_HOOKS_DIR "/%s/%s.d/%s' is not an executable file, "
				    "ignoring",
				    vm->name, phase, *n);
			continue;
		}
		log_debug("Running %s hook '%s'", phase, *n);
		status = run_hook(p, vm->name, phase, env, &output);
		if (status < 0)
			return log_error_errno(status, "Failed to run hook '%s': %m", p);
		if (output && *output)
			fputs(output, stderr);
		if (status != 0) {
			const char *msg = output ? last_line(output) : "";

			if (streq(phase, "prepare"))
				return log_error_errno(-EPERM,
						       "Hook '%s' failed (exit status %d)%s%s; not "
						       "starting VM '%s'",
						       *n, status, *msg ? ": " : "", msg, vm->name);
			log_warning("Hook '%s' failed (exit status %d)%s%s, ignoring", *n, status,
				    *msg ? ": " : "", msg);
		}
	}
	return n_unsafe ? -EPERM : 0;
}
