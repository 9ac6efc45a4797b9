/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The "vm" verb: build, run, stop and inspect the QEMU process of a [vm NAME] section.
 *
 *   vm command NAME [--json] [--run-paths]   the argv (what "vm run" would start)
 *   vm run NAME                              checks, prepare hooks, QEMU, pinning, sd_notify
 *   vm stop NAME [--timeout SEC]             ACPI powerdown, then quit; release hooks
 *   vm status NAME [--json]                  running?, vCPU threads and their host CPUs
 *   vm export NAME --libvirt                 the same VM as a libvirt domain (vm-export.c)
 *
 * Every file the tool reads or creates goes through the root-prefix layer (cli->pc). The
 * QEMU process itself and its threads are always processes of this machine, so /proc/PID
 * of the child is read through a second context for the live system (live_pc).
 */
#include <ctype.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "bridge.h"
#include "config.h"
#include "fileio.h"
#include "host.h"
#include "json.h"
#include "log.h"
#include "qemucmd.h"
#include "qmp.h"
#include "sdnotify.h"
#include "spawn-util.h"
#include "stopsig.h"
#include "strbuf.h"
#include "verbs.h"
#include "vm-disk.h"
#include "vm-export.h"
#include "vm-hooks.h"
#include "vm-lock.h"
#include "vm-state.h"
#include "vm-user.h"
#include "vmconfig.h"

/* QMP waits: replies are quick; the socket appears only after QEMU has set up memory. */
#define QMP_REPLY_TIMEOUT_MS 10000
#define QMP_START_TIMEOUT_MS (300 * 1000)

struct vm_ctx {
	struct cli *cli;
	struct config *config;
	struct host *host;
	const struct vm_config *vm;
	struct qemu_passthrough *pt;
	size_t n_pt;
	struct qemu_cmd_input in;

	/* vm run: the instance lock, and what was handed to QEMU's user (vm-user.h). */
	int lock_fd;
	struct vm_user user;
	bool owners_recorded;
	char *mem_path;
	char *user_why; /* why QEMU runs as root, for the warning */
	struct vm_identity id; /* machine type and UUID (vm-state.h) */
};

/* What vm run handed to QEMU's user goes back once QEMU is gone; then the lock. */
static void vm_release_run(struct vm_ctx *x)
{
	if (x->owners_recorded) {
		_cleanup_free_ char *what = NULL;
		int r = vm_owner_restore(x->cli->pc, x->vm->name, &what);

		if (r < 0)
			log_error_errno(r, "Failed to restore the owner of '%s': %m (recorded in "
					   VM_STATE_DIR "/%s/owners; the next vm run or vm stop "
					   "retries)",
					what ? what : "?", x->vm->name);
		x->owners_recorded = false;
	}
	if (x->in.qmp_by_fd && x->in.qmp_fd >= 0)
		close(x->in.qmp_fd);
	x->in.qmp_by_fd = false;
	if (x->lock_fd >= 0)
		close(x->lock_fd);
	x->lock_fd = -1;
}

static void vm_ctx_done(struct vm_ctx *x)
{
	vm_release_run(x);
	vm_user_done(&x->user);
	free(x->mem_path);
	free(x->user_why);
	vm_identity_done(&x->id);
	free(x->pt);
	if (x->host)
		host_free(x->host);
	if (x->config)
		config_free(x->config);
}

static const char *config_path(const struct vm_ctx *x)
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

static int check_cpus(struct vm_ctx *x, const struct cpu_set_list *l, const char *key,
		      unsigned line, unsigned col, const struct cpu_set_list *online,
		      const char *online_str)
{
	for (size_t i = 0; i < l->n; i++)
		if (!cpulist_contains(online, l->cpus[i]))
			return log_error_errno(-EINVAL,
					       "%s:%u:%u: %s: CPU %u is not online on this host "
					       "(online: %s)",
					       config_path(x), line, col, key, l->cpus[i],
					       online_str);
	return 0;
}

static int check_file(struct vm_ctx *x, const char *what, const char *p, unsigned line,
		      unsigned col)
{
	struct stat st;
	int r = path_stat(x->cli->pc, &st, "%s", p);

	if (r < 0) {
		if (line)
			return log_error_errno(r, "%s:%u:%u: %s '%s': %m", config_path(x), line, col,
					       what, p);
		return log_error_errno(r, "%s '%s': %m", what, p);
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return log_error_errno(-EINVAL, "%s:%u:%u: %s '%s' is neither a file nor a block device",
				       config_path(x), line, col, what, p);
	return 0;
}

/* A disk that is (a partition of) a disk the host uses never reaches QEMU (vm-disk.h). */
static int check_host_disks(struct vm_ctx *x)
{
	const struct vm_options *o = vm_options(x->vm);

	for (size_t i = 0; i < o->n_disks; i++) {
		const struct vm_disk *d = &o->disks[i];
		_cleanup_free_ char *detail = NULL;
		int r;

		if (d->nvme_host || !d->path)
			continue;
		r = vm_disk_host_use(x->host, d->path, &detail);
		if (r < 0)
			return log_error_errno(r, "%s:%u:%u: disk '%s': %m", config_path(x), d->line,
					       d->col, d->path);
		if (r > 0)
			return log_error_errno(-EBUSY,
					       "%s:%u:%u: disk '%s' is a disk the host uses (%s); "
					       "refusing to give it to VM '%s'",
					       config_path(x), d->line, d->col, d->path, detail,
					       x->vm->name);
	}
	return 0;
}

/* Load the config, the host and the VM, and check what can be checked without starting. */
static int vm_load(struct cli *cli, const char *name, struct vm_ctx *x)
{
	_cleanup_free_ char *err = NULL, *online_str = NULL;
	struct cpu_set_list online = {0};
	const struct vm_options *o;
	const char *cpus_file;
	int r;

	memset(x, 0, sizeof(*x));
	x->cli = cli;
	x->lock_fd = -1;
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

	x->pt = calloc(strv_length(x->vm->devices) + 1, sizeof(*x->pt));
	if (!x->pt)
		return log_oom();
	STRV_FOREACH(dn, x->vm->devices) {
		const struct device_config *dc = config_find_device(x->config, *dn);
		const struct pci_device *d;
		struct qemu_passthrough *p = &x->pt[x->n_pt];

		if (!dc)
			return log_error_errno(-ENOENT, "%s:%u:%u: devices: no [device %s] section",
					       config_path(x), o->devices_line, o->devices_col, *dn);
		d = host_find_pci(x->host, &dc->addr);
		if (!d)
			return log_error_errno(-ENODEV,
					       "%s:%u:%u: device '%s' (%s) is not present on this host",
					       config_path(x), o->devices_line, o->devices_col, *dn,
					       dc->address);
		memcpy(p->address, d->address, sizeof(p->address));
		p->addr = d->addr;
		p->device = dc->name;
		p->class = d->class;
		p->numa_node = d->numa_node;
		x->n_pt++;
	}

	/* Snapshots of hosts without CPU hotplug may only have "possible". */
	cpus_file = "/sys/devices/system/cpu/online";
	r = path_read_string(cli->pc, &online_str, "%s", cpus_file);
	if (r == -ENOENT) {
		cpus_file = "/sys/devices/system/cpu/possible";
		r = path_read_string(cli->pc, &online_str, "%s", cpus_file);
	}
	if (r < 0)
		return log_error_errno(r, "Failed to read '%s': %m", cpus_file);
	r = cpulist_parse_ordered(online_str, &online);
	if (r < 0)
		return log_error_errno(r, "%s: invalid CPU list '%s'", cpus_file, online_str);
	r = check_cpus(x, &x->vm->vcpu_pins, "vcpu-pins", o->vcpu_pins_line, o->vcpu_pins_col,
		       &online, online_str);
	if (r >= 0)
		r = check_cpus(x, &x->vm->emulator_cpus, "emulator-cpus", o->emulator_cpus_line,
			       o->emulator_cpus_col, &online, online_str);
	free(online.cpus);
	if (r < 0)
		return r;

	for (size_t i = 0; i < o->n_disks; i++) {
		const struct vm_disk *d = &o->disks[i];

		if (d->nvme_host) {
			if (!host_find_pci_address(x->host, d->nvme_addr))
				return log_error_errno(-ENODEV,
						       "%s:%u:%u: disk: NVMe controller %s is not "
						       "present on this host",
						       config_path(x), d->line, d->col, d->nvme_addr);
			continue;
		}
		r = check_file(x, "disk", d->path, d->line, d->col);
		if (r < 0)
			return r;
	}
	STRV_FOREACH(cd, o->cdroms) {
		r = check_file(x, "cdrom", *cd, o->cdroms_line, 1);
		if (r < 0)
			return r;
	}
	if (o->firmware == VM_FIRMWARE_OVMF) {
		r = check_file(x, "OVMF firmware", o->ovmf_code, 0, 0);
		if (r < 0)
			return r;
	}

	x->in.vm = x->vm;
	x->in.pt = x->pt;
	x->in.n_pt = x->n_pt;
	x->in.vhost_net = bridge_vhost_net(cli->pc);
	apply_overrides(&x->in);
	return 0;
}

static bool needs_quoting(const char *s)
{
	if (!*s)
		return true;
	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			    "-_./:=,@+%",
			    *p))
			return true;
	return false;
}

static void print_word(const char *s)
{
	if (!needs_quoting(s)) {
		fputs(s, stdout);
		return;
	}
	putchar('\'');
	for (const char *p = s; *p; p++)
		if (*p == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*p);
	putchar('\'');
}

/* One option per line with its value, as a shell command that can be pasted. */
static void print_argv(char **argv)
{
	print_word(argv[0]);
	for (size_t i = 1; argv[i]; i++) {
		fputs(" \\\n    ", stdout);
		print_word(argv[i]);
		if (argv[i][0] == '-' && argv[i + 1] && argv[i + 1][0] != '-') {
			putchar(' ');
			print_word(argv[++i]);
		}
	}
	putchar('\n');
}

/*
 * The machine type and UUID "vm run" pinned, or the type it would pin (vm-state.h), for
 * output that shows the VM without starting it; writes nothing.
 */
static int peek_identity(struct vm_ctx *x)
{
	const char *name = x->vm->name;
	int r;

	r = vm_identity_peek(x->cli->pc, x->vm, x->in.qemu, &x->id);
	if (r < 0)
		return log_error_errno(r, "Failed to read the state of VM '%s' in " VM_STATE_DIR
					  "/%s: %m",
				       name, name);
	if (!x->id.machine)
		log_warning("'%s -machine help' names no q35 machine type: showing 'q35', whose "
			    "version the first 'vm run' pins",
			    x->in.qemu);
	x->in.machine = x->id.machine;
	x->in.uuid = x->id.uuid;
	return 0;
}

static int vm_command(struct cli *cli, const char *name, bool json, bool run_paths)
{
	_cleanup_(vm_ctx_done) struct vm_ctx x;
	_cleanup_strv_free_ char **argv = NULL;
	int r;

	r = vm_load(cli, name, &x);
	if (r < 0 || check_host_disks(&x) < 0)
		return EXIT_ERROR;
	if (run_paths)
		x.in.path_root = path_cxt_root(cli->pc);
	if (peek_identity(&x) < 0)
		return EXIT_ERROR;
	r = qemu_cmd_build(&x.in, &argv);
	if (r < 0) {
		log_error_errno(r, "Failed to build the QEMU command: %m");
		return EXIT_ERROR;
	}
	if (json) {
		_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
		struct json_writer w;

		json_init(&w, &sb);
		json_object_begin(&w, NULL);
		json_string(&w, "name", name);
		json_array_begin(&w, "argv");
		STRV_FOREACH(a, argv)
			json_string(&w, NULL, *a);
		json_array_end(&w);
		json_object_end(&w);
		if (!strbuf_str(&sb))
			return log_oom(), EXIT_ERROR;
		puts(strbuf_str(&sb));
	} else {
		print_argv(argv);
	}
	return EXIT_OK;
}

/* The same checks as vm command, then the domain XML (vm-export.h). */
static int vm_export(struct cli *cli, const char *name, bool libvirt)
{
	_cleanup_(vm_ctx_done) struct vm_ctx x;
	_cleanup_free_ char *xml = NULL, *pw = NULL;
	const struct vm_options *o;
	int r;

	if (!libvirt) {
		log_error("vm export: name the format: --libvirt (the only one so far).");
		return EXIT_ERROR;
	}
	r = vm_load(cli, name, &x);
	if (r < 0)
		return EXIT_ERROR;
	if (peek_identity(&x) < 0)
		return EXIT_ERROR;
	o = vm_options(x.vm);
	/* libvirt has no password file: the password goes into the domain (docs/vm.md). */
	if (o->spice == VM_SPICE_LOOPBACK) {
		r = path_read_string(cli->pc, &pw, "%s", o->spice_password_file);
		if (r < 0)
			return log_error_errno(r, "Failed to read spice-password-file '%s': %m",
					       o->spice_password_file),
			       EXIT_ERROR;
	}
	r = vm_export_libvirt(&x.in, pw, &xml);
	if (r < 0) {
		log_error_errno(r, "Failed to build the libvirt domain XML of VM '%s': %m", name);
		return EXIT_ERROR;
	}
	fputs(xml, stdout);
	return EXIT_OK;
}

/* ---- hooks ---- */

static int set_hook_env(const struct vm_config *vm, const char *phase, const char *root)
{
	_cleanup_free_ char *vcpus = NULL, *emu = NULL;
	char buf[32];
	int r;

	r = cpulist_format(vm->vcpu_pins.cpus, vm->vcpu_pins.n, &vcpus);
	if (r < 0)
		return r;
	r = cpulist_format(vm->emulator_cpus.cpus, vm->emulator_cpus.n, &emu);
	if (r < 0)
		return r;
	if (setenv("GPT_BOOTCFG_VM", vm->name, 1) < 0 ||
	    setenv("GPT_BOOTCFG_PHASE", phase, 1) < 0 ||
	    setenv("GPT_BOOTCFG_VCPU_CPUS", vcpus, 1) < 0 ||
	    setenv("GPT_BOOTCFG_EMULATOR_CPUS", emu, 1) < 0 ||
	    setenv("GPT_BOOTCFG_ROOT", root, 1) < 0)
		return negative_errno();
	snprintf(buf, sizeof(buf), "%" PRIu64, vm->memory >> 20);
	if (setenv("GPT_BOOTCFG_MEMORY_MIB", buf, 1) < 0)
		return negative_errno();
	snprintf(buf, sizeof(buf), "%" PRIu64, vm->hugepage_size >> 10);
	if (setenv("GPT_BOOTCFG_HUGEPAGE_KB", buf, 1) < 0)
		return negative_errno();
	return 0;
}

/* Run one hook, its stdout and stderr collected; returns its exit status or -errno. */
static int run_hook(const char *path, const char *name, const char *phase, char **ret_output)
{
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	int pipefd[2], status;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return negative_errno();
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return negative_errno();
	}
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		execl(path, path, name, phase, (char *)NULL);
		fprintf(stderr, "cannot execute: %m\n");
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		char buf[1024];
		ssize_t n = read(pipefd[0], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		/* A chatty hook must not exhaust memory: keep the first 64 KiB. */
		if (out.len < 65536)
			strbuf_putn(&out, buf, (size_t)n);
	}
	close(pipefd[0]);
	status = spawn_wait(pid);
	if (status < 0)
		return status;
	if (strbuf_steal(&out, ret_output) < 0)
		*ret_output = NULL;
	return status;
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
static int run_hooks(struct cli *cli, const struct vm_config *vm, const char *phase)
{
	_cleanup_strv_free_ char **names = NULL, **run = NULL;
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
	STRV_FOREACH(n, names) {
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
			log_error("Hook '%s' is not safe to run as root: %s (hooks and every directory "
				  "above them must be root's and not writable by group or others)%s",
				  host, why, streq(phase, "prepare") ? "" : "; skipping it");
			n_unsafe++;
		}
	}
	if (n_unsafe && streq(phase, "prepare"))
		return log_error_errno(-EPERM, "Not starting VM '%s': %zu unsafe prepare hook%s",
				       vm->name, n_unsafe, n_unsafe == 1 ? "" : "s");
	r = set_hook_env(vm, phase, path_cxt_root(cli->pc));
	if (r < 0)
		return log_error_errno(r, "Failed to set up the hook environment: %m");

	STRV_FOREACH(n, names) {
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
		status = run_hook(p, vm->name, phase, &output);
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

/* ---- run ---- */

static int check_vfio(struct vm_ctx *x)
{
	const struct vm_options *o = vm_options(x->vm);
	int bad = 0;

	for (size_t i = 0; i < x->n_pt; i++) {
		const struct pci_device *d = host_find_pci(x->host, &x->pt[i].addr);

		if (!d->driver || !streq(d->driver, "vfio-pci")) {
			log_error("Device '%s' (%s) is on %s, not vfio-pci: run 'gpt-bootcfg status' "
				  "(was it claimed at boot?)",
				  x->pt[i].device, x->pt[i].address, d->driver ? d->driver : "no driver");
			bad++;
		}
	}
	for (size_t i = 0; i < o->n_disks; i++) {
		const struct pci_device *d;

		if (!o->disks[i].nvme_host)
			continue;
		d = host_find_pci_address(x->host, o->disks[i].nvme_addr);
		if (!d->driver || !streq(d->driver, "vfio-pci")) {
			log_error("NVMe controller %s (disk nvme://) is on %s, not vfio-pci",
				  o->disks[i].nvme_addr, d->driver ? d->driver : "no driver");
			bad++;
		}
	}
	return bad ? -EBUSY : 0;
}

static int hugepage_dir(struct vm_ctx *x, int node, char **ret)
{
	uint64_t kb = x->vm->hugepage_size >> 10;

	if (node >= 0)
		return asprintf(ret, "/sys/devices/system/node/node%d/hugepages/hugepages-%" PRIu64 "kB",
				node, kb) < 0
			       ? -ENOMEM
			       : 0;
	return asprintf(ret, "/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB", kb) < 0 ? -ENOMEM
											  : 0;
}

/* The pagesize= of hugetlbfs mount options ("rw,pagesize=1024M") in bytes; 0 if absent. */
static uint64_t mount_pagesize(const char *options)
{
	const char *p = options;
	unsigned long long v;
	char *end;

	for (;;) {
		p = strstr(p, "pagesize=");
		if (!p)
			return 0;
		if (p == options || p[-1] == ',')
			break;
		p++;
	}
	p += strlen("pagesize=");
	if (!isdigit((unsigned char)*p))
		return 0;
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno || v > (UINT64_C(1) << 34))
		return 0;
	switch (*end) {
	case 'K':
		return (uint64_t)v << 10;
	case 'M':
		return (uint64_t)v << 20;
	case 'G':
		return (uint64_t)v << 30;
	default:
		return (uint64_t)v;
	}
}

/*
 * QEMU backs the memory with whatever the file system under hugepage-mount gives: on
 * anything but hugetlbfs that is ordinary memory, and on a hugetlbfs of the other page
 * size the pages come from the other pool (one the check above did not look at).
 */
static int check_hugepage_mount(struct vm_ctx *x)
{
	const struct vm_config *vm = x->vm;
	const char *mp = vm_options(vm)->hugepage_mount;
	const struct mount_entry *m = host_find_mount(x->host, mp);
	uint64_t size;

	if (!m)
		return 0;
	if (!streq(m->fstype, "hugetlbfs"))
		return log_error_errno(-EINVAL,
				       "VM '%s': hugepage-mount '%s' is on %s (mounted on %s), not "
				       "hugetlbfs: QEMU would back its memory with ordinary pages; "
				       "mount a hugetlbfs there or set hugepage-mount",
				       vm->name, mp, m->fstype, m->target);
	size = mount_pagesize(m->options);
	if (size && size != vm->hugepage_size)
		return log_error_errno(-EINVAL,
				       "VM '%s': hugepage-mount '%s' serves %" PRIu64
				       " MiB pages, not the %" PRIu64
				       " MiB of hugepage-size; the default size changes with "
				       "default_hugepagesz= at the next boot after 'gpt-bootcfg apply', "
				       "a second size needs its own mount (pagesize=)",
				       vm->name, mp, size >> 20, vm->hugepage_size >> 20);
	return 0;
}

static int check_hugepages(struct vm_ctx *x)
{
	const struct vm_config *vm = x->vm;
	int node = qemu_cmd_numa_node(&x->in);
	_cleanup_free_ char *dir = NULL, *where = NULL;
	uint64_t need, total, free_pages;
	int r;

	if (!vm->hugepage_size)
		return 0;
	need = vm->memory / vm->hugepage_size;
	r = hugepage_dir(x, node, &dir);
	if (r < 0)
		return log_oom();
	if (node >= 0 ? asprintf(&where, " on NUMA node %d", node) < 0 : !(where = strdup("")))
		return log_oom();
	r = path_read_u64(x->cli->pc, &total, "%s/nr_hugepages", dir);
	if (r == -ENOENT)
		return log_error_errno(r, "The host has no %" PRIu64 " MiB hugepages%s ('%s' is "
					  "missing): run 'gpt-bootcfg apply' and reboot",
				       vm->hugepage_size >> 20, where, dir);
	if (r < 0)
		return log_error_errno(r, "Failed to read '%s/nr_hugepages': %m", dir);
	r = path_read_u64(x->cli->pc, &free_pages, "%s/free_hugepages", dir);
	if (r < 0)
		return log_error_errno(r, "Failed to read '%s/free_hugepages': %m", dir);
	if (total < need)
		return log_error_errno(-ENOMEM,
				       "VM '%s' needs %" PRIu64 " MiB = %" PRIu64 " hugepages of %" PRIu64
				       " MiB, more than the hugepage pool%s (%" PRIu64
				       " pages, %s/nr_hugepages): run 'gpt-bootcfg apply' and reboot",
				       vm->name, vm->memory >> 20, need, vm->hugepage_size >> 20,
				       where, total, dir);
	if (free_pages < need)
		return log_error_errno(-ENOMEM,
				       "VM '%s' needs %" PRIu64 " free hugepages of %" PRIu64
				       " MiB%s, but only %" PRIu64 " of %" PRIu64
				       " are free (%s/free_hugepages): is another VM running?",
				       vm->name, need, vm->hugepage_size >> 20, where, free_pages,
				       total, dir);
	/* The test overrides put the memory in a plain file (docs/vm.md, "Testing"). */
	return x->in.mem_path ? 0 : check_hugepage_mount(x);
}

/* A private copy of the OVMF variable store per VM: the guest writes its boot entries. */
static int ensure_vars(struct vm_ctx *x)
{
	const struct vm_options *o = vm_options(x->vm);
	_cleanup_free_ char *vars = NULL, *dir = NULL, *data = NULL;
	size_t size = 0;
	int r;

	if (o->firmware != VM_FIRMWARE_OVMF)
		return 0;
	r = vm_vars_path(x->vm->name, &vars);
	if (r < 0)
		return log_oom();
	r = path_exists(x->cli->pc, "%s", vars);
	if (r > 0)
		return 0;
	r = path_read_full(x->cli->pc, &data, &size, "%s", o->ovmf_vars);
	if (r < 0)
		return log_error_errno(r, "Failed to read the OVMF variable template '%s': %m",
				       o->ovmf_vars);
	if (asprintf(&dir, VM_STATE_DIR "/%s", x->vm->name) < 0)
		return log_oom();
	r = path_mkdir_p(x->cli->pc, dir, 0700);
	if (r >= 0)
		r = path_write_atomic(x->cli->pc, vars, data, size, 0600);
	if (r < 0)
		return log_error_errno(r, "Failed to create '%s': %m", vars);
	log_info("Created '%s' from '%s'.", vars, o->ovmf_vars);
	return 0;
}

/* The machine type and UUID the VM keeps across QEMU upgrades (vm-state.h). */
static int pin_identity(struct vm_ctx *x)
{
	const char *name = x->vm->name;
	bool changed = false;
	int r;

	r = vm_identity_pin(x->cli->pc, x->vm, x->in.qemu, &x->id, &changed);
	if (r < 0)
		return log_error_errno(r, "Failed to pin the machine type and UUID of VM '%s' in "
					  VM_STATE_DIR "/%s (asked '%s -machine help' for q35): %m",
				       name, name, x->in.qemu);
	if (changed)
		log_info("VM '%s' has machine type %s and UUID %s (" VM_STATE_DIR "/%s/).", name,
			 x->id.machine, x->id.uuid, name);
	x->in.machine = x->id.machine;
	x->in.uuid = x->id.uuid;
	return 0;
}

static int set_affinity(pid_t tid, const struct cpu_set_list *l)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (size_t i = 0; i < l->n; i++) {
		if (l->cpus[i] >= CPU_SETSIZE)
			return -EINVAL;
		CPU_SET(l->cpus[i], &set);
	}
	if (sched_setaffinity(tid, sizeof(set), &set) < 0)
		return negative_errno();
	return 0;
}

static int get_affinity(pid_t tid, char **ret)
{
	struct cpu_set_list l = {0};
	cpu_set_t set;
	unsigned cpus[CPU_SETSIZE];
	int r;

	if (sched_getaffinity(tid, sizeof(set), &set) < 0)
		return negative_errno();
	for (unsigned c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			cpus[l.n++] = c;
	l.cpus = cpus;
	r = cpulist_format(l.cpus, l.n, ret);
	return r;
}

/* vCPU index -> thread id from query-cpus-fast; -EBADMSG on a reply we cannot use. */
static int query_vcpu_threads(struct qmp *q, pid_t **ret, size_t *ret_n)
{
	_cleanup_json_ struct json_value *v = NULL;
	_cleanup_free_ pid_t *tids = NULL;
	int r;

	r = qmp_execute(q, "query-cpus-fast", NULL, QMP_REPLY_TIMEOUT_MS, &v);
	if (r < 0)
		return r;
	if (v->type != JSON_ARRAY || v->n == 0 || v->n > 4096)
		return -EBADMSG;
	tids = calloc(v->n, sizeof(*tids));
	if (!tids)
		return -ENOMEM;
	for (size_t i = 0; i < v->n; i++) {
		int64_t idx, tid;

		if (!json_get_int(&v->items[i], "cpu-index", &idx) ||
		    !json_get_int(&v->items[i], "thread-id", &tid) || idx < 0 ||
		    (uint64_t)idx >= v->n || tid <= 0 || tid > INT32_MAX || tids[idx])
			return -EBADMSG;
		tids[idx] = (pid_t)tid;
	}
	*ret_n = v->n;
	*ret = TAKE_PTR(tids);
	return 0;
}

static int pin_threads(struct vm_ctx *x, struct qmp *q, pid_t qemu_pid)
{
	const struct vm_config *vm = x->vm;
	_cleanup_path_cxt_ struct path_cxt *live = NULL;
	_cleanup_strv_free_ char **tasks = NULL;
	_cleanup_free_ pid_t *tids = NULL;
	size_t n = 0;
	int r;

	r = query_vcpu_threads(q, &tids, &n);
	if (r < 0)
		return log_error_errno(r, "Failed to query the vCPU threads: %s",
				       r == -EBADMSG ? "unexpected reply" : qmp_error(q));
	if (vm->vcpu_pins.n && n != vm->vcpu_pins.n)
		return log_error_errno(-EBADMSG, "QEMU reports %zu vCPUs, %zu are pinned", n,
				       vm->vcpu_pins.n);
	for (size_t i = 0; i < n && vm->vcpu_pins.n; i++) {
		struct cpu_set_list one = {.cpus = &vm->vcpu_pins.cpus[i], .n = 1};

		r = set_affinity(tids[i], &one);
		if (r < 0)
			return log_error_errno(r, "Failed to pin vCPU %zu (thread %d) to CPU %u: %m",
					       i, (int)tids[i], vm->vcpu_pins.cpus[i]);
		log_info("Pinned vCPU %zu (thread %d) to CPU %u.", i, (int)tids[i],
			 vm->vcpu_pins.cpus[i]);
	}
	if (!vm->emulator_cpus.n)
		return 0;

	/* Every other thread (main loop, I/O threads, workers) goes to the emulator CPUs. */
	r = path_cxt_new(NULL, &live);
	if (r < 0)
		return log_oom();
	r = path_list_dir(live, &tasks, "/proc/%d/task", (int)qemu_pid);
	if (r < 0)
		return log_error_errno(r, "Failed to list '/proc/%d/task': %m", (int)qemu_pid);
	STRV_FOREACH(t, tasks) {
		char *end;
		long v = strtol(*t, &end, 10);
		/* Not a thread id: 0, skipped below. */
		pid_t tid = *end || v > INT_MAX ? 0 : (pid_t)v;
		bool is_vcpu = false;

		for (size_t i = 0; i < n; i++)
			is_vcpu = is_vcpu || tids[i] == tid;
		if (is_vcpu || tid <= 0)
			continue;
		r = set_affinity(tid, &vm->emulator_cpus);
		/* A worker thread may have exited since the listing. */
		if (r == -ESRCH)
			continue;
		if (r < 0)
			return log_error_errno(r, "Failed to pin QEMU thread %d to the emulator CPUs: %m",
					       (int)tid);
	}
	return 0;
}

/* After passing a stop signal on as SIGTERM, "vm run" waits this long before SIGKILL. */
#define STOP_KILL_AFTER_MS (60 * 1000)

#define MAX_LL(a, b) ((a) > (b) ? (a) : (b))

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Signals of "vm run": SIGTERM, SIGINT and SIGHUP stop the VM, SIGCHLD says QEMU ended.
 * All four stay blocked from the fork on and are taken with sigtimedwait(), so one arriving
 * at any moment (during startup, between two checks) stays pending until it is looked at.
 */
static void run_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGCHLD);
}

/*
 * The next signal of set within timeout_ms (0: only a pending one; <0: no limit), or 0;
 * ret_info (may be NULL) receives who sent it.
 */
static int next_signal_info(const sigset_t *set, int timeout_ms, siginfo_t *ret_info)
{
	struct timespec ts = {.tv_sec = timeout_ms / 1000,
			      .tv_nsec = (long)(timeout_ms % 1000) * 1000000L};
	int sig;

	do
		sig = timeout_ms < 0 ? sigwaitinfo(set, ret_info)
				     : sigtimedwait(set, ret_info, &ts);
	while (sig < 0 && errno == EINTR);
	return sig < 0 ? 0 : sig;
}

static int next_signal(const sigset_t *set, int timeout_ms)
{
	return next_signal_info(set, timeout_ms, NULL);
}

/* The repeat window of stop signals: GPT_BOOTCFG_TEST_REPEAT_MS (tests only) or the default. */
static long long repeat_window_ms(void)
{
	const char *e = getenv("GPT_BOOTCFG_TEST_REPEAT_MS");
	char *end;
	long long v;

	if (!e || !*e)
		return STOP_REPEAT_WINDOW_MS;
	errno = 0;
	v = strtoll(e, &end, 10);
	return errno || *end || v < 0 ? STOP_REPEAT_WINDOW_MS : v;
}

static const char *signame(int sig)
{
	switch (sig) {
	case SIGTERM:
		return "SIGTERM";
	case SIGINT:
		return "SIGINT";
	case SIGHUP:
		return "SIGHUP";
	default:
		return "a signal";
	}
}

/* A stop signal pending now (SIGCHLD is dropped: waitpid() is what tells about QEMU). */
static int pending_stop(const sigset_t *set)
{
	int sig;

	while ((sig = next_signal(set, 0)) == SIGCHLD)
		;
	return sig;
}

static void stop_child(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return;
		usleep(50 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/* -ECHILD: QEMU exited; -EINTR: a stop signal came first (logged); else as qmp_connect. */
static int connect_started(const char *qmp_path, pid_t pid, const sigset_t *set, struct qmp **ret)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		int status, r, sig;

		r = qmp_connect(qmp_path, QMP_REPLY_TIMEOUT_MS, ret);
		if (r >= 0)
			return 0;
		if (waitpid(pid, &status, WNOHANG) == pid)
			return log_error_errno(-ECHILD, "QEMU exited during startup (%s %d)",
					       WIFEXITED(status) ? "status" : "signal",
					       WIFEXITED(status) ? WEXITSTATUS(status)
								 : WTERMSIG(status));
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 > QMP_START_TIMEOUT_MS)
			return log_error_errno(r, "QEMU's QMP socket '%s' did not answer: %m",
					       qmp_path);
		sig = next_signal(set, 100);
		if (sig && sig != SIGCHLD)
			return log_info("Received %s during startup; stopping QEMU.", signame(sig)),
			       -EINTR;
	}
}

/* The instance lock of vm run (vm-lock.h), and leftovers of a runner that crashed. */
static int vm_run_lock(struct vm_ctx *x)
{
	_cleanup_free_ char *what = NULL;
	pid_t holder = 0;
	int r;

	r = vm_lock_take(x->cli->pc, x->vm->name, &holder);
	if (r == -EBUSY) {
		char by[48] = "";

		if (holder > 0)
			snprintf(by, sizeof(by), " (vm run pid %d)", (int)holder);
		return log_error_errno(r,
				       "VM '%s' is already running%s: not starting it twice; 'gpt-bootcfg "
				       "vm status %s' shows it, 'gpt-bootcfg vm stop %s' stops it",
				       x->vm->name, by, x->vm->name, x->vm->name);
	}
	if (r < 0)
		return log_error_errno(r, "Failed to lock '" VM_RUN_DIR "/%s.lock': %m",
				       x->vm->name);
	x->lock_fd = r;
	r = vm_owner_restore(x->cli->pc, x->vm->name, &what);
	if (r < 0)
		return log_error_errno(r, "Failed to restore the owner of '%s' after an earlier run: %m",
				       what ? what : "?");
	if (r > 0)
		log_warning("VM '%s': restored the owners an earlier vm run left changed (it did "
			    "not end cleanly).",
			    x->vm->name);
	return 0;
}

/* Whom QEMU runs as (vm-user.h): refused or warned here, before any hook runs. */
static int vm_run_user(struct vm_ctx *x)
{
	_cleanup_free_ char *why = NULL;
	int r = vm_user_resolve(x->cli->pc, x->vm, &x->user, &why);

	if (r == -ENOENT || r == -EPERM)
		return log_error_errno(r, "%s:%u:%u: VM '%s': %s", config_path(x),
				       vm_options(x->vm)->user_line, vm_options(x->vm)->user_col,
				       x->vm->name, why);
	if (r < 0)
		return log_error_errno(r, "Failed to look up the user of VM '%s': %m", x->vm->name);
	x->user_why = TAKE_PTR(why);
	return 0;
}

static int vm_run_hand_over(struct vm_ctx *x)
{
	_cleanup_free_ char *what = NULL;
	int r;

	/* Recorded before the first change: vm_release_run() plays it back from here on. */
	x->owners_recorded = true;
	r = vm_owner_prepare(x->cli->pc, x->host, &x->in, &x->user, &x->mem_path, &what);
	if (r < 0) {
		x->owners_recorded = false;
		return log_error_errno(r, "Failed to hand '%s' to user '%s' for VM '%s': %m",
				       what ? what : "?", x->user.name, x->vm->name);
	}
	if (x->mem_path)
		x->in.mem_path = x->mem_path;
	return 0;
}

static int vm_run(struct cli *cli, const char *name)
{
	_cleanup_(vm_ctx_done) struct vm_ctx x;
	_cleanup_strv_free_ char **argv = NULL;
	_cleanup_free_ char *qmp_path = NULL, *qmp_host = NULL, *vcpus = NULL;
	struct qmp *q = NULL;
	sigset_t set, oldmask;
	struct stop_request first = {0};
	long long kill_at = -1, window_ms;
	size_t n;
	char **nargv;
	pid_t pid;
	int r, status, sig;

	r = vm_load(cli, name, &x);
	if (r < 0 || check_host_disks(&x) < 0)
		return EXIT_ERROR;
	r = check_vfio(&x);
	if (r < 0)
		return EXIT_ERROR;
	r = vm_run_user(&x);
	if (r < 0)
		return EXIT_ERROR;
	/* Before anything is touched: a second instance must not disturb the first. */
	r = vm_run_lock(&x);
	if (r < 0)
		return EXIT_ERROR;
	/* Prepare hooks first: one of them may allocate the hugepages late. */
	r = run_hooks(cli, x.vm, "prepare");
	if (r < 0)
		return EXIT_ERROR;
	r = check_hugepages(&x);
	if (r < 0) {
		(void)run_hooks(cli, x.vm, "release");
		return EXIT_ERROR;
	}
	/*
	 * QEMU's own message for a refused bridge is "bridge helper failed", nothing more.
	 * After the prepare hooks: one of them may create the bridge.
	 */
	if (vm_options(x.vm)->network == VM_NET_BRIDGE) {
		_cleanup_free_ char *err = NULL;

		r = bridge_vm_ready(cli->pc, vm_options(x.vm)->net_ifname, &err);
		if (r < 0) {
			if (err)
				log_error("%s: %s", config_path(&x), err);
			else
				log_error_errno(r, "Failed to check bridge '%s': %m",
						vm_options(x.vm)->net_ifname);
			(void)run_hooks(cli, x.vm, "release");
			return EXIT_ERROR;
		}
	}
	r = path_mkdir_p(cli->pc, VM_RUN_DIR, 0755);
	if (r < 0) {
		log_error_errno(r, "Failed to create '" VM_RUN_DIR "': %m");
		return EXIT_ERROR;
	}
	if (ensure_vars(&x) < 0)
		return EXIT_ERROR;
	r = pin_identity(&x);
	if (r < 0)
		return EXIT_ERROR;
	if (x.user.uid != 0 && vm_run_hand_over(&x) < 0) {
		(void)run_hooks(cli, x.vm, "release");
		return EXIT_ERROR;
	}
	if (x.user.uid == 0 && x.user_why)
		log_warning("VM '%s': QEMU runs as root: %s.", name, x.user_why);
	else if (x.user.uid != 0)
		log_info("VM '%s': QEMU runs as user '%s' (uid %u).", name, x.user.name,
			 (unsigned)x.user.uid);

	x.in.path_root = path_cxt_root(cli->pc);
	r = qemu_cmd_build(&x.in, &argv);
	if (r < 0) {
		log_error_errno(r, "Failed to build the QEMU command: %m");
		return EXIT_ERROR;
	}
	/* Start paused: the guest runs only once every thread is on its CPU. */
	n = strv_length(argv);
	nargv = realloc(argv, (n + 2) * sizeof(char *));
	if (!nargv)
		return log_oom(), EXIT_ERROR;
	argv = nargv;
	argv[n] = strdup("-S");
	argv[n + 1] = NULL;
	if (!argv[n])
		return log_oom(), EXIT_ERROR;

	if (vm_qmp_path(name, &qmp_host) < 0 ||
	    path_prefix(cli->pc, &qmp_path, "%s", qmp_host) < 0)
		return log_oom(), EXIT_ERROR;
	/* A stale socket of a killed QEMU would be mistaken for the new one. */
	if (!x.in.qmp_by_fd)
		(void)path_unlink_durable(cli->pc, qmp_host);

	run_signals(&set);
	sigprocmask(SIG_BLOCK, &set, &oldmask);

	pid = fork();
	if (pid < 0) {
		log_error_errno(negative_errno(), "Failed to fork: %m");
		return EXIT_ERROR;
	}
	if (pid == 0) {
		/* QEMU handles these itself (SIGTERM: clean exit); the mask survives exec. */
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		/* QMP and SPICE sockets: owner only. */
		umask(0077);
		/* Threads inherit this; vCPU threads are moved to their own CPUs after start. */
		if (x.vm->emulator_cpus.n && set_affinity(0, &x.vm->emulator_cpus) < 0)
			fprintf(stderr, "gpt-bootcfg: cannot set the emulator CPUs: %m\n");
		/* QEMU inherits the lock (held while it lives) and its QMP socket. */
		if (fcntl(x.lock_fd, F_SETFD, 0) < 0 ||
		    (x.in.qmp_by_fd && fcntl(x.in.qmp_fd, F_SETFD, 0) < 0)) {
			fprintf(stderr, "gpt-bootcfg: cannot pass descriptors to QEMU: %m\n");
			_exit(127);
		}
		r = vm_user_drop(&x.user);
		if (r < 0) {
			errno = -r;
			fprintf(stderr, "gpt-bootcfg: cannot become user '%s': %m\n", x.user.name);
			_exit(127);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "gpt-bootcfg: cannot execute '%s': %m\n", argv[0]);
		_exit(127);
	}
	log_info("Started QEMU for VM '%s' (pid %d).", name, (int)pid);

	r = connect_started(qmp_path, pid, &set, &q);
	if (r == -ECHILD)
		return EXIT_ERROR;
	if (r >= 0)
		r = pin_threads(&x, q, pid);
	/* Asked to stop while pinning: do not let the guest run at all. */
	if (r >= 0 && (sig = pending_stop(&set))) {
		log_info("Received %s during startup; stopping QEMU.", signame(sig));
		r = -EINTR;
	}
	if (r >= 0) {
		r = qmp_execute(q, "cont", NULL, QMP_REPLY_TIMEOUT_MS, NULL);
		if (r < 0)
			log_error_errno(r, "Failed to start the guest CPUs: %s", qmp_error(q));
	}
	/* QMP serves one client at a time: let "vm stop" and "vm status" in. */
	qmp_close(q);
	if (r < 0) {
		stop_child(pid);
		if (r == -EINTR) {
			log_info("QEMU for VM '%s' stopped before the guest ran.", name);
			return EXIT_OK;
		}
		return EXIT_ERROR;
	}
	if (cpulist_format(x.vm->vcpu_pins.cpus, x.vm->vcpu_pins.n, &vcpus) < 0)
		return log_oom(), EXIT_ERROR;
	{
		_cleanup_free_ char *state = NULL;

		if (asprintf(&state, "READY=1\nSTATUS=VM %s running, vCPUs on CPUs %s", name,
			     *vcpus ? vcpus : "(not pinned)") < 0)
			return log_oom(), EXIT_ERROR;
		r = sd_notify_send(state);
		if (r < 0)
			log_warning_errno(r, "Failed to notify systemd: %m, ignoring");
	}

	/*
	 * Wait for QEMU. A stop signal is passed on as SIGTERM, on which QEMU exits cleanly
	 * (no guest powerdown: that is "vm stop"); a second request (stopsig.h: not the same
	 * signal from the same sender a moment later), or QEMU still there a minute later,
	 * gets SIGKILL.
	 */
	window_ms = repeat_window_ms();
	for (bool killed = false;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		struct stop_request req;
		siginfo_t si = {0};
		int wait_ms = -1;

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			log_error_errno(negative_errno(), "Failed to wait for QEMU: %m");
			return EXIT_ERROR;
		}
		if (kill_at >= 0 && !killed) {
			long long left = kill_at - now_ms();

			if (left <= 0) {
				log_error("QEMU for VM '%s' did not exit within %d s of SIGTERM; "
					  "killing it.",
					  name, STOP_KILL_AFTER_MS / 1000);
				kill(pid, SIGKILL);
				killed = true;
				continue;
			}
			wait_ms = (int)left;
		}
		sig = next_signal_info(&set, wait_ms, &si);
		if (!sig || sig == SIGCHLD || killed)
			continue;
		stop_request_init(&req, &si, now_ms());
		if (kill_at < 0) {
			log_info("Received %s; stopping QEMU for VM '%s'.", signame(sig), name);
			kill(pid, SIGTERM);
			kill_at = now_ms() + STOP_KILL_AFTER_MS;
			first = req;
		} else if (stop_request_is_repeat(&first, &req, window_ms)) {
			log_info("Received %s again from the same sender (pid %d) within %lld ms: "
				 "the same stop request; waiting for QEMU.",
				 signame(sig), (int)req.pid, window_ms);
		} else {
			log_error("Received %s again; killing QEMU for VM '%s'.", signame(sig),
				  name);
			kill(pid, SIGKILL);
			killed = true;
		}
	}
	if (WIFEXITED(status)) {
		log_info("QEMU for VM '%s' exited with status %d.", name, WEXITSTATUS(status));
		return WEXITSTATUS(status) == 0 ? EXIT_OK : EXIT_ERROR;
	}
	log_error("QEMU for VM '%s' was killed by signal %d.", name, WTERMSIG(status));
	return EXIT_ERROR;
}

/* ---- stop and status ---- */

static int connect_running(struct cli *cli, const char *name, struct qmp **ret)
{
	_cleanup_free_ char *host_path = NULL, *p = NULL;

	if (vm_qmp_path(name, &host_path) < 0 || path_prefix(cli->pc, &p, "%s", host_path) < 0)
		return -ENOMEM;
	return qmp_connect(p, QMP_REPLY_TIMEOUT_MS, ret);
}

static bool not_running(int r)
{
	return r == -ENOENT || r == -ECONNREFUSED;
}

/* How long "vm stop" waits for QEMU to answer "quit" and exit before it kills QEMU. */
#define QUIT_TIMEOUT_MS (30 * 1000)

/*
 * QEMU did not act on "quit": SIGKILL the process of the pid file, but only if its command
 * line still names that pid file (the number may belong to another process by now). The
 * open QMP connection closes when the process is gone.
 */
static int kill_qemu(struct cli *cli, const char *name, struct qmp *q)
{
	_cleanup_free_ char *host_pid = NULL, *pidfile = NULL, *text = NULL, *cmdline = NULL;
	_cleanup_path_cxt_ struct path_cxt *live = NULL;
	size_t size = 0;
	bool ours = false;
	long pid;
	char *end;
	int r;

	if (vm_pid_path(name, &host_pid) < 0 || path_prefix(cli->pc, &pidfile, "%s", host_pid) < 0 ||
	    path_cxt_new(NULL, &live) < 0)
		return log_oom();
	r = path_read_string(cli->pc, &text, "%s", host_pid);
	if (r < 0)
		return log_error_errno(r, "Cannot kill QEMU of VM '%s': '%s': %m", name, host_pid);
	errno = 0;
	pid = strtol(text, &end, 10);
	if (errno || end == text || (*end && *end != '\n') || pid <= 1 || pid > INT32_MAX)
		return log_error_errno(-EBADMSG, "Cannot kill QEMU of VM '%s': '%s' holds no pid",
				       name, host_pid);
	r = path_read_full(live, &cmdline, &size, "/proc/%ld/cmdline", pid);
	for (size_t i = 0; r >= 0 && i < size; i += strlen(cmdline + i) + 1)
		if (streq(cmdline + i, "-pidfile") && i + 9 < size &&
		    streq(cmdline + i + 9, pidfile))
			ours = true;
	if (!ours)
		return log_error_errno(-ESRCH, "Cannot kill QEMU of VM '%s': process %ld is not the "
					       "QEMU of '%s'",
				       name, pid, pidfile);
	log_warning("QEMU of VM '%s' did not quit within %d s; killing it (pid %ld).", name,
		    QUIT_TIMEOUT_MS / 1000, pid);
	if (kill((pid_t)pid, SIGKILL) < 0)
		return log_error_errno(negative_errno(), "Failed to kill QEMU (pid %ld): %m", pid);
	r = qmp_wait_close(q, 10 * 1000);
	if (r < 0)
		return log_error_errno(r, "QEMU (pid %ld) still holds its QMP socket after SIGKILL",
				       pid);
	return 0;
}

/*
 * After a runner that crashed, its QEMU held the lock on its own: once that QEMU is gone,
 * vm stop plays back the record of what was handed to QEMU's user. While a runner lives
 * (systemd's ExecStop runs beside it) the lock stays held and the runner does it.
 */
static int vm_stop_restore(struct cli *cli, const char *name)
{
	_cleanup_free_ char *what = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	fd = vm_lock_wait(cli->pc, name, 2000);
	if (fd == -EBUSY)
		return 0;
	if (fd < 0)
		return log_error_errno(fd, "Failed to lock '" VM_RUN_DIR "/%s.lock': %m", name);
	r = vm_owner_restore(cli->pc, name, &what);
	if (r < 0)
		return log_error_errno(r, "Failed to restore the owner of '%s': %m",
				       what ? what : "?");
	if (r > 0)
		log_info("VM '%s': restored the owners of the files its QEMU used.", name);
	return 0;
}

static int vm_stop(struct cli *cli, const char *name, int timeout)
{
	_cleanup_(vm_ctx_done) struct vm_ctx x;
	_cleanup_qmp_ struct qmp *q = NULL;
	int r, restored;

	r = vm_load(cli, name, &x);
	if (r < 0)
		return EXIT_ERROR;
	if (timeout < 0)
		timeout = (int)vm_options(x.vm)->stop_timeout;

	r = connect_running(cli, name, &q);
	if (not_running(r)) {
		log_info("VM '%s' is not running.", name);
	} else if (r < 0) {
		log_error_errno(r, "Failed to connect to VM '%s': %m", name);
		return EXIT_ERROR;
	} else {
		bool quit;

		r = qmp_execute(q, "system_powerdown", NULL, QMP_REPLY_TIMEOUT_MS, NULL);
		if (r < 0)
			log_warning("Failed to send the ACPI power button event: %s, ignoring",
				    qmp_error(q));
		else
			log_info("Asked VM '%s' to power off (waiting up to %d s).", name, timeout);
		r = qmp_wait_close(q, timeout * 1000);
		quit = r == -ETIMEDOUT;
		if (quit) {
			long long deadline = now_ms() + QUIT_TIMEOUT_MS;

			log_warning("VM '%s' did not power off within %d s; quitting QEMU.", name,
				    timeout);
			r = qmp_execute(q, "quit", NULL, QUIT_TIMEOUT_MS, NULL);
			if (r >= 0 || r == -ECONNRESET)
				r = qmp_wait_close(q, (int)MAX_LL(0, deadline - now_ms()));
			/* No reply, or no exit: QEMU hangs (a device stuck in reset, ...). */
			if (r == -ETIMEDOUT)
				r = kill_qemu(cli, name, q);
		}
		if (r < 0) {
			log_error_errno(r, "Failed to stop VM '%s': %s", name, qmp_error(q));
			return EXIT_ERROR;
		}
		log_info("VM '%s' %s.", name, quit ? "stopped" : "powered off");
	}
	restored = vm_stop_restore(cli, name);
	r = run_hooks(cli, x.vm, "release");
	return r < 0 || restored < 0 ? EXIT_ERROR : EXIT_OK;
}

/* The CPU a thread last ran on: field 39 of /proc/TID/stat, after the "(comm)". */
static int thread_last_cpu(struct path_cxt *live, pid_t tid, int *ret)
{
	_cleanup_free_ char *s = NULL;
	const char *p;
	char *end;
	long v;
	int r, field = 2;

	r = path_read_string(live, &s, "/proc/%d/stat", (int)tid);
	if (r < 0)
		return r;
	p = strrchr(s, ')');
	if (!p)
		return -EBADMSG;
	for (; *p && field < 39; p++)
		if (*p == ' ')
			field++;
	if (field != 39)
		return -EBADMSG;
	errno = 0;
	v = strtol(p, &end, 10);
	if (errno || end == p || v < 0 || v > INT_MAX)
		return -EBADMSG;
	*ret = (int)v;
	return 0;
}

/* The machine type and UUID, and whether they are pinned yet: into w, or as text when w is NULL. */
static void status_identity(struct json_writer *w, const struct vm_identity *id)
{
	if (w) {
		json_object_begin(w, "machine");
		if (id->machine)
			json_string(w, "type", id->machine);
		else
			json_null(w, "type");
		json_bool(w, "pinned", id->machine_pinned);
		json_object_end(w);
		if (id->uuid)
			json_string(w, "uuid", id->uuid);
		else
			json_null(w, "uuid");
		return;
	}
	printf("  machine: %s%s\n", id->machine ? id->machine : "q35",
	       id->machine_pinned ? "" : " (pinned at the next start)");
	printf("  uuid: %s\n", id->uuid ? id->uuid : "(created at the next start)");
}

static int vm_status(struct cli *cli, const char *name, bool json)
{
	_cleanup_(vm_ctx_done) struct vm_ctx x;
	_cleanup_qmp_ struct qmp *q = NULL;
	_cleanup_json_ struct json_value *st = NULL;
	_cleanup_free_ pid_t *tids = NULL;
	_cleanup_path_cxt_ struct path_cxt *live = NULL;
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	_cleanup_free_ char *hdir = NULL;
	struct json_writer w;
	uint64_t total = 0, free_pages = 0;
	bool have_pool = false;
	const char *state;
	size_t n = 0;
	int r;

	r = vm_load(cli, name, &x);
	if (r < 0)
		return EXIT_ERROR;
	r = vm_identity_peek(cli->pc, x.vm, x.in.qemu, &x.id);
	if (r < 0) {
		log_error_errno(r, "Failed to read the state of VM '%s' in " VM_STATE_DIR "/%s: %m",
				name, name);
		return EXIT_ERROR;
	}
	if (x.vm->hugepage_size && hugepage_dir(&x, -1, &hdir) >= 0 &&
	    path_read_u64(cli->pc, &total, "%s/nr_hugepages", hdir) >= 0 &&
	    path_read_u64(cli->pc, &free_pages, "%s/free_hugepages", hdir) >= 0)
		have_pool = free_pages <= total;

	r = connect_running(cli, name, &q);
	if (r < 0 && !not_running(r)) {
		log_error_errno(r, "Failed to connect to VM '%s': %m", name);
		return EXIT_ERROR;
	}
	json_init(&w, &sb);
	if (r < 0) {
		if (json) {
			json_object_begin(&w, NULL);
			json_string(&w, "name", name);
			json_bool(&w, "running", false);
			status_identity(&w, &x.id);
			json_object_end(&w);
			puts(strbuf_str(&sb) ? strbuf_str(&sb) : "");
		} else {
			printf("%s: not running\n", name);
			status_identity(NULL, &x.id);
		}
		return EXIT_PROBLEMS;
	}
	r = qmp_execute(q, "query-status", NULL, QMP_REPLY_TIMEOUT_MS, &st);
	if (r >= 0)
		r = query_vcpu_threads(q, &tids, &n);
	if (r < 0) {
		log_error_errno(r, "Failed to query VM '%s': %s", name,
				r == -EBADMSG ? "unexpected reply" : qmp_error(q));
		return EXIT_ERROR;
	}
	state = json_get_string(st, "status");
	if (path_cxt_new(NULL, &live) < 0)
		return log_oom(), EXIT_ERROR;

	if (json) {
		json_object_begin(&w, NULL);
		json_string(&w, "name", name);
		json_bool(&w, "running", true);
		json_string(&w, "state", state);
		status_identity(&w, &x.id);
		json_array_begin(&w, "vcpus");
	} else {
		printf("%s: %s\n", name, state ? state : "unknown");
		status_identity(NULL, &x.id);
		printf("  vCPU  thread    affinity      on CPU  cur/MHz\n");
	}
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *aff = NULL;
		int cpu = -1;
		uint64_t khz = 0;
		bool have_freq = false;

		(void)get_affinity(tids[i], &aff);
		if (thread_last_cpu(live, tids[i], &cpu) >= 0)
			have_freq = path_read_u64(cli->pc, &khz,
						  "/sys/devices/system/cpu/cpu%d/cpufreq/"
						  "scaling_cur_freq",
						  cpu) >= 0;
		if (json) {
			json_object_begin(&w, NULL);
			json_uint(&w, "vcpu", i);
			json_int(&w, "thread", tids[i]);
			json_string(&w, "affinity", aff);
			if (cpu >= 0)
				json_int(&w, "cpu", cpu);
			else
				json_null(&w, "cpu");
			if (have_freq)
				json_uint(&w, "mhz", khz / 1000);
			else
				json_null(&w, "mhz");
			json_object_end(&w);
		} else {
			char mhz[32] = "-";

			if (have_freq)
				snprintf(mhz, sizeof(mhz), "%" PRIu64, khz / 1000);
			printf("  %-5zu %-9d %-13s %-7d %s\n", i, (int)tids[i], aff ? aff : "?", cpu,
			       mhz);
		}
	}
	if (json) {
		json_array_end(&w);
		if (have_pool) {
			json_object_begin(&w, "hugepages");
			json_uint(&w, "size_kb", x.vm->hugepage_size >> 10);
			json_uint(&w, "total", total);
			json_uint(&w, "in_use", total - free_pages);
			json_object_end(&w);
		}
		json_object_end(&w);
		puts(strbuf_str(&sb) ? strbuf_str(&sb) : "");
	} else if (have_pool) {
		printf("  hugepages (%" PRIu64 " MiB): %" PRIu64 " of %" PRIu64 " in use\n",
		       x.vm->hugepage_size >> 20, total - free_pages, total);
	}
	return EXIT_OK;
}

static void help(void)
{
	printf("Usage: gpt-bootcfg vm command NAME [--json] [--run-paths]\n"
	       "       gpt-bootcfg vm run NAME\n"
	       "       gpt-bootcfg vm stop NAME [--timeout SEC]\n"
	       "       gpt-bootcfg vm status NAME [--json]\n"
	       "       gpt-bootcfg vm export NAME --libvirt\n\n"
	       "Build, run, stop and inspect the VM of a [vm NAME] section (see docs/vm.md).\n");
}

int verb_vm(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"json", no_argument, NULL, 'j'},
		{"run-paths", no_argument, NULL, 'P'},
		{"timeout", required_argument, NULL, 't'},
		{"libvirt", no_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	const char *sub, *name;
	bool json = false, run_paths = false, libvirt = false;
	int timeout = -1, c;

	if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
		help();
		return argc < 2 ? EXIT_ERROR : EXIT_OK;
	}
	sub = argv[1];
	/* Parse after the subcommand; options may come before or after NAME. */
	argc--;
	argv++;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'P':
			run_paths = true;
			break;
		case 'L':
			libvirt = true;
			break;
		case 't': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 1 || v > 3600) {
				log_error("--timeout: expected seconds from 1 to 3600, not '%s'",
					  optarg);
				return EXIT_ERROR;
			}
			timeout = (int)v;
			break;
		}
		case 'h':
			help();
			return EXIT_OK;
		default:
			return EXIT_ERROR;
		}
	}
	if (optind != argc - 1) {
		log_error("vm %s: expected exactly one VM name. See 'gpt-bootcfg vm --help'.", sub);
		return EXIT_ERROR;
	}
	name = argv[optind];

	if (streq(sub, "command"))
		return vm_command(cli, name, json, run_paths);
	if (streq(sub, "run"))
		return vm_run(cli, name);
	if (streq(sub, "stop"))
		return vm_stop(cli, name, timeout);
	if (streq(sub, "status"))
		return vm_status(cli, name, json);
	if (streq(sub, "export"))
		return vm_export(cli, name, libvirt);
	log_error("Unknown vm command '%s' (expected command, run, stop, status or export).", sub);
	return EXIT_ERROR;
}
