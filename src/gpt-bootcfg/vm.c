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
 * This file loads a VM and holds the verbs that only show it; vm-internal.h names the files
 * of the rest (checks, hooks, pinning, run and stop).
 *
 * Every file the tool reads or creates goes through the root-prefix layer (cli->pc). The
 * QEMU process itself and its threads are always processes of this machine, so /proc/PID
 * of the child is read through a second context for the live system (live_pc).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "bridge.h"
#include "config.h"
#include "fileio.h"
#include "host.h"
#include "json.h"
#include "log.h"
#include "qemucmd.h"
#include "qmp.h"
#include "vm-gamedev-run.h"
#include "vm-shm.h"
#include "strbuf.h"
#include "verbs.h"
#include "vm-export.h"
#include "vm-internal.h"
#include "vm-state.h"
#include "vm-user.h"
#include "vmconfig.h"

/* What vm run handed to QEMU's user goes back once QEMU is gone; then the lock. */
static void vm_release_run(struct vm_ctx *x)
{
	vm_power_release(x);
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
	x->in.qmp_fd = -1;
	x->in.qmp_by_fd = false;
	/* Under the lock still: no other vm run of this VM can have made a new one. */
	if (x->qmp_made && unlink(x->qmp_made) < 0 && errno != ENOENT)
		log_warning_errno(negative_errno(), "Failed to remove '%s': %m, ignoring",
				  x->qmp_made);
	free(x->qmp_made);
	x->qmp_made = NULL;
	if (x->lg_lock_fd >= 0)
		close(x->lg_lock_fd);
	x->lg_lock_fd = -1;
	if (x->lock_fd >= 0)
		close(x->lock_fd);
	x->lock_fd = -1;
}

void vm_ctx_done(struct vm_ctx *x)
{
	vm_release_run(x);
	vm_user_done(&x->user);
	free(x->mem_path);
	free(x->user_why);
	free(x->audio_runtime_dir);
	vm_audio_cookie_done(&x->audio_cookie);
	vm_identity_done(&x->id);
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

	x->pt = calloc(strv_length(x->vm->devices) + 1, sizeof(*x->pt));
	if (!x->pt)
		return log_oom();
	STRV_FOREACH(dn, x->vm->devices) {
		const struct device_config *dc = config_find_device(x->config, *dn);
		const struct pci_device *d;
		struct qemu_passthrough *p = &x->pt[x->n_pt];

		if (!dc)
			return log_error_errno(-ENOENT, "%s:%u:%u: devices: no [device %s] section",
					       vm_cfg_path(x), o->devices_line, o->devices_col, *dn);
		d = host_find_pci(x->host, &dc->addr);
		if (!d)
			return log_error_errno(-ENODEV,
					       "%s:%u:%u: device '%s' (%s) is not present on this host",
					       vm_cfg_path(x), o->devices_line, o->devices_col, *dn,
					       dc->address);
		memcpy(p->address, d->address, sizeof(p->address));
		p->addr = d->addr;
		p->device = dc->name;
		p->class = d->class;
		p->numa_node = d->numa_node;
		x->n_pt++;
	}

	r = vm_check_cpus(x);
	if (r < 0)
		return r;
	r = vm_check_files(x);
	if (r < 0)
		return r;

	x->in.vm = x->vm;
	x->in.pt = x->pt;
	x->in.n_pt = x->n_pt;
	x->in.vhost_net = bridge_vhost_net(cli->pc);
	x->in.lg_kvmfr = vm_lg_kvmfr(cli->pc);
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
	_cleanup_free_ char *env = NULL;
	int r;

	r = vm_load(cli, name, &x);
	if (r < 0 || vm_check_host_disks(&x) < 0 || vm_audio_load(&x) < 0)
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
	if (vm_audio_env(&x, &env) < 0)
		return log_oom(), EXIT_ERROR;
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
		/* What QEMU gets besides the argv (host audio); absent when nothing. */
		if (env) {
			json_array_begin(&w, "env");
			json_string(&w, NULL, env);
			json_array_end(&w);
		}
		json_object_end(&w);
		if (!strbuf_str(&sb))
			return log_oom(), EXIT_ERROR;
		puts(strbuf_str(&sb));
	} else {
		/* VAR=value before the command: the pasted command gets it too. */
		if (env) {
			print_word(env);
			fputs(" \\\n", stdout);
		}
		print_argv(argv);
	}
	return EXIT_OK;
}

/* The same checks as vm command, then the domain XML (vm-export.h). */
static int vm_export(struct cli *cli, const char *name, bool libvirt)
{
	/* Initialized: the format check below returns before vm_load() fills it. */
	_cleanup_(vm_ctx_done) struct vm_ctx x = {.lock_fd = -1, .lg_lock_fd = -1, .in.qmp_fd = -1};
	_cleanup_free_ char *xml = NULL, *pw = NULL;
	const struct vm_options *o;
	int r;

	if (!libvirt) {
		log_error("vm export: name the format: --libvirt (the only one so far).");
		return EXIT_ERROR;
	}
	r = vm_load(cli, name, &x);
	if (r < 0 || vm_audio_load(&x) < 0)
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
	const struct host_hugepages *hp;
	const struct hugepage_count *pool;
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
	if (x.vm->hugepage_size && host_hugepages(x.host, &hp) >= 0 &&
	    (pool = host_hugepage_count(hp, x.vm->hugepage_size, -1))) {
		total = pool->nr;
		free_pages = pool->free;
		have_pool = free_pages <= total;
	}

	r = vm_connect_running(cli, name, &q);
	if (r < 0 && !vm_not_running(r)) {
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
			vm_gaming_status(cli->pc, x.vm, &w);
			json_object_end(&w);
			puts(strbuf_str(&sb) ? strbuf_str(&sb) : "");
		} else {
			printf("%s: not running\n", name);
			status_identity(NULL, &x.id);
			vm_gaming_status(cli->pc, x.vm, NULL);
		}
		return EXIT_PROBLEMS;
	}
	r = qmp_execute(q, "query-status", NULL, QMP_REPLY_TIMEOUT_MS, &st);
	if (r >= 0)
		r = vm_query_vcpu_threads(q, &tids, &n);
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
		vm_gaming_status(cli->pc, x.vm, &w);
		json_array_begin(&w, "vcpus");
	} else {
		printf("%s: %s\n", name, state ? state : "unknown");
		status_identity(NULL, &x.id);
		vm_gaming_status(cli->pc, x.vm, NULL);
		printf("  vCPU  thread    affinity      on CPU  cur/MHz  governor\n");
	}
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *aff = NULL, *gov = NULL;
		int cpu = -1;
		uint64_t khz = 0;
		bool have_freq = false;

		(void)vm_get_affinity(tids[i], &aff);
		/* Live, per thread and per look: not a fact of the host model. */
		if (vm_thread_last_cpu(live, tids[i], &cpu) >= 0) {
			have_freq = path_read_u64(cli->pc, &khz,
						  "/sys/devices/system/cpu/cpu%d/cpufreq/"
						  "scaling_cur_freq",
						  cpu) >= 0;
			/* The guide's "cpuperf.sh print cpufreq" PowerPolicy column. */
			if (path_read_string(cli->pc, &gov,
					     "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor",
					     cpu) >= 0)
				gov[strcspn(gov, " \t\n")] = '\0';
		}
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
			if (gov)
				json_string(&w, "governor", gov);
			else
				json_null(&w, "governor");
			json_object_end(&w);
		} else {
			char mhz[32] = "-";

			if (have_freq)
				snprintf(mhz, sizeof(mhz), "%" PRIu64, khz / 1000);
			printf("  %-5zu %-9d %-13s %-7d %-8s %s\n", i, (int)tids[i], aff ? aff : "?",
			       cpu, mhz, gov ? gov : "-");
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
