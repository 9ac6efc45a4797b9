/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The "vm" verb: build, run, stop and inspect the QEMU process of a [vm NAME] section.
 *
 *   vm command NAME [--json] [--run-paths]   the argv (what "vm run" would start)
 *   vm run NAME                              checks, prepare hooks, QEMU, pinning, sd_notify
 *   vm stop NAME [--timeout SEC]             ACPI powerdown, then quit; release hooks
 *   vm status NAME [--json]                  running?, vCPU threads and their host CPUs
 *   vm export NAME --libvirt                 the same VM as a libvirt domain (export.c)
 *
 * This file holds the subcommand table and the subcommands that only show a VM; the
 * context they share is vm/context.h, which also names the files of the rest (checks,
 * hooks, pinning, run and stop).
 *
 * Every file the tool reads or creates goes through the root-prefix layer (cli->pc). The
 * QEMU process itself and its threads are always processes of this machine, so /proc/PID
 * of the child is read through a second context for the live system (live_pc).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "basic/fileio.h"
#include "basic/json.h"
#include "basic/log.h"
#include "basic/parse-util.h"
#include "basic/qmp.h"
#include "basic/strbuf.h"
#include "conf/config.h"
#include "conf/vmconfig.h"
#include "core/verbs.h"
#include "features/bridge.h"
#include "features/gaming-host.h"
#include "features/table.h"
#include "features/users.h"
#include "shared/host.h"
#include "vm/export.h"
#include "vm/owners.h"
#include "vm/qemucmd.h"
#include "vm/state.h"
#include "vm/context.h"
#include "vm/feature-run.h"
#include "vm/pin.h"
#include "vm/preflight.h"
#include "vm/run.h"

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
		return log_error_errno(
		    r, "Failed to read the state of VM '%s' in " VM_STATE_DIR "/%s: %m", name,
		    name);
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

	r = vm_load_checked(cli, name, &x);
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
		STRV_FOREACH (a, argv)
			json_string(&w, NULL, *a);
		json_array_end(&w);
		/* Where vm run pins the threads (vcpu-pins = auto resolved): host CPU per vCPU. */
		json_array_begin(&w, "vcpu_pins");
		for (size_t i = 0; i < x.vm->vcpu_pins.n; i++)
			json_uint(&w, NULL, x.vm->vcpu_pins.cpus[i]);
		json_array_end(&w);
		json_array_begin(&w, "emulator_cpus");
		for (size_t i = 0; i < x.vm->emulator_cpus.n; i++)
			json_uint(&w, NULL, x.vm->emulator_cpus.cpus[i]);
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
	r = vm_load_checked(cli, name, &x);
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
/* Each feature's part of vm status (features/table.h). */
static void features_status(struct path_cxt *pc, const struct vm_config *vm, struct json_writer *w)
{
	FOREACH_FEATURE (f)
		if ((*f)->status)
			(*f)->status(pc, vm, w);
}

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

	r = vm_load_checked(cli, name, &x);
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
			features_status(cli->pc, x.vm, &w);
			json_object_end(&w);
			puts(strbuf_str(&sb) ? strbuf_str(&sb) : "");
		} else {
			printf("%s: not running\n", name);
			status_identity(NULL, &x.id);
			features_status(cli->pc, x.vm, NULL);
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
		features_status(cli->pc, x.vm, &w);
		json_array_begin(&w, "vcpus");
	} else {
		_cleanup_free_ char *state_esc = NULL;

		/* What QEMU (a process) answers is escaped before a terminal sees it (issue 30). */
		if (str_escaped(state, &state_esc) < 0)
			return log_oom(), EXIT_ERROR;
		printf("%s: %s\n", name, state_esc ? state_esc : "unknown");
		status_identity(NULL, &x.id);
		features_status(cli->pc, x.vm, NULL);
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
			if (path_read_string(
				cli->pc, &gov,
				"/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", cpu) >= 0)
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
			_cleanup_free_ char *gov_esc = NULL;
			char mhz[32] = "-";

			if (str_escaped(gov, &gov_esc) < 0)
				return log_oom(), EXIT_ERROR;
			if (have_freq)
				snprintf(mhz, sizeof(mhz), "%" PRIu64, khz / 1000);
			printf("  %-5zu %-9d %-13s %-7d %-8s %s\n", i, (int)tids[i],
			       aff ? aff : "?", cpu, mhz, gov_esc ? gov_esc : "-");
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

/* What the subcommands take; each accepts only its own options. */
enum {
	VM_OPT_JSON = 1u << 0,
	VM_OPT_RUN_PATHS = 1u << 1,
	VM_OPT_TIMEOUT = 1u << 2,
	VM_OPT_LIBVIRT = 1u << 3,
};

struct vm_args {
	const char *name;
	bool json, run_paths, libvirt;
	int timeout; /* seconds, -1: the configured stop-timeout */
};

static int sub_command(struct cli *cli, const struct vm_args *a)
{
	return vm_command(cli, a->name, a->json, a->run_paths);
}

static int sub_run(struct cli *cli, const struct vm_args *a)
{
	return vm_run(cli, a->name);
}

static int sub_stop(struct cli *cli, const struct vm_args *a)
{
	return vm_stop(cli, a->name, a->timeout);
}

static int sub_status(struct cli *cli, const struct vm_args *a)
{
	return vm_status(cli, a->name, a->json);
}

static int sub_export(struct cli *cli, const struct vm_args *a)
{
	return vm_export(cli, a->name, a->libvirt);
}

/* The subcommands, as systemd's verb tables: name, options taken, handler; each takes one NAME. */
static const struct vm_verb {
	const char *name;
	unsigned opts;
	int (*run)(struct cli *cli, const struct vm_args *a);
} vm_verbs[] = {
    {"command", VM_OPT_JSON | VM_OPT_RUN_PATHS, sub_command},
    {"run", 0, sub_run},
    {"stop", VM_OPT_TIMEOUT, sub_stop},
    {"status", VM_OPT_JSON, sub_status},
    {"export", VM_OPT_LIBVIRT, sub_export},
};

/* Every option of any subcommand, with the bit that lets a subcommand take it. */
static const struct {
	struct option opt;
	unsigned bit;
} vm_options_all[] = {
    {{"json", no_argument, NULL, 'j'}, VM_OPT_JSON},
    {{"run-paths", no_argument, NULL, 'P'}, VM_OPT_RUN_PATHS},
    {{"timeout", required_argument, NULL, 't'}, VM_OPT_TIMEOUT},
    {{"libvirt", no_argument, NULL, 'L'}, VM_OPT_LIBVIRT},
};

int verb_vm(struct cli *cli, int argc, char **argv)
{
	struct option options[ARRAY_SIZE(vm_options_all) + 2];
	const struct vm_verb *verb = NULL;
	struct vm_args a = {.timeout = -1};
	size_t n = 0;
	int c;

	if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
		help();
		return argc < 2 ? EXIT_ERROR : EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(vm_verbs); i++)
		if (streq(vm_verbs[i].name, argv[1]))
			verb = &vm_verbs[i];
	if (!verb) {
		log_error(
		    "Unknown vm command '%s' (expected command, run, stop, status or export).",
		    argv[1]);
		return EXIT_ERROR;
	}
	/* Only this subcommand's options: getopt refuses the others ("vm run X --json"). */
	for (size_t i = 0; i < ARRAY_SIZE(vm_options_all); i++)
		if (verb->opts & vm_options_all[i].bit)
			options[n++] = vm_options_all[i].opt;
	options[n++] = (struct option){"help", no_argument, NULL, 'h'};
	options[n] = (struct option){0};

	/* Parse after the subcommand; options may come before or after NAME. */
	argc--;
	argv++;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 'j':
			a.json = true;
			break;
		case 'P':
			a.run_paths = true;
			break;
		case 'L':
			a.libvirt = true;
			break;
		case 't': {
			unsigned v;

			if (safe_atou_range(optarg, 1, 3600, &v) < 0) {
				log_error("--timeout: expected seconds from 1 to 3600, not '%s'",
					  optarg);
				return EXIT_ERROR;
			}
			a.timeout = (int)v;
			break;
		}
		case 'h':
			help();
			return EXIT_OK;
		default:
			log_error("See 'gpt-bootcfg vm --help' for what 'vm %s' takes.",
				  verb->name);
			return EXIT_ERROR;
		}
	}
	if (optind != argc - 1) {
		log_error("vm %s: expected exactly one VM name. See 'gpt-bootcfg vm --help'.",
			  verb->name);
		return EXIT_ERROR;
	}
	a.name = argv[optind];
	return verb->run(cli, &a);
}
