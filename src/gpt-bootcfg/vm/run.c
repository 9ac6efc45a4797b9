/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * "vm run" and "vm stop": the supervision of the QEMU process. vm run takes the instance
 * lock, runs the prepare hooks, hands files to QEMU's user, starts QEMU paused, pins its
 * threads over QMP, lets the guest run and waits, passing stop signals on; vm stop asks the
 * guest to power off, then QEMU to quit, and kills a QEMU that hangs.
 */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/parse-util.h"
#include "basic/qmp.h"
#include "basic/sdnotify.h"
#include "basic/time-util.h"
#include "core/vm-lock.h"
#include "features/bridge.h"
#include "features/gaming-run.h"
#include "features/handover.h"
#include "features/table.h"
#include "features/users.h"
#include "features/win11.h"
#include "vm/handover.h"
#include "vm/hooks.h"
#include "vm/owners.h"
#include "vm/qemucmd.h"
#include "vm/start.h"
#include "vm/state.h"
#include "vm/stopsig.h"
#include "vm/context.h"
#include "vm/feature-run.h"
#include "vm/pin.h"
#include "vm/preflight.h"
#include "vm/run.h"

/* The VM and QEMU's user as the features' run hooks see them (core/feature.h). */
static struct feature_run feature_run_of(const struct vm_ctx *x)
{
	return (struct feature_run){
	    .pc = x->cli->pc,
	    .config_path = vm_cfg_path(x),
	    .vm = x->vm,
	    .uid = x->user.uid,
	    .gid = x->user.gid,
	    .host = &x->config->host,
	    .cpus_online = x->host ? x->host->cpus_online : NULL,
	};
}

/* Every feature's run_stop: after QEMU, and before a start for a killed runner's leftovers. */
static void features_run_stop(const struct vm_ctx *x)
{
	struct feature_run fr = feature_run_of(x);

	FOREACH_FEATURE (f)
		if ((*f)->run_stop)
			(*f)->run_stop(&fr);
}

/* Each feature's run_start (start) or run_check hook, in table order: the first failure. */
static int features_run(const struct vm_ctx *x, bool start)
{
	struct feature_run fr = feature_run_of(x);

	FOREACH_FEATURE (f) {
		int (*hook)(const struct feature_run *) = start ? (*f)->run_start : (*f)->run_check;
		int r;

		if (!hook)
			continue;
		r = hook(&fr);
		if (r < 0)
			return r;
	}
	return 0;
}

/* What vm run handed to QEMU's user goes back once QEMU is gone; then the lock. */
static void vm_release_run(struct vm_ctx *x)
{
	if (x->features_started) {
		features_run_stop(x);
		x->features_started = false;
	}
	vm_power_release(x);
	if (x->owners_recorded) {
		_cleanup_free_ char *what = NULL;
		int r = vm_owner_restore(x->cli->pc, x->vm->name, &what);

		if (r < 0)
			log_error_errno(
			    r,
			    "Failed to restore the owner of '%s': %m (recorded in " VM_STATE_DIR
			    "/%s/owners; the next vm run or vm stop "
			    "retries)",
			    what ? what : "?", x->vm->name);
		x->owners_recorded = false;
	}
	if (x->handover && vm_handover_give_back(x->cli->pc, x->vm->name) >= 0)
		x->handover = false;
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

/* vm run's context: what it handed out goes back first, then the data (vm/context.h). */
static void vm_run_ctx_done(struct vm_ctx *x)
{
	vm_release_run(x);
	vm_ctx_done(x);
}

/*
 * A private copy of the OVMF variable store per VM: the guest writes its boot entries. Made
 * once from the template (Secure Boot's with secure-boot = yes, features/win11.h), which
 * is recorded first: a later switch of secure-boot is recognised, never silently undone.
 */
static int ensure_vars(struct vm_ctx *x)
{
	const struct vm_options *o = vm_options(x->vm);
	const char *template = x->in.ovmf_vars ? x->in.ovmf_vars : o->ovmf_vars;
	_cleanup_free_ char *vars = NULL, *dir = NULL, *data = NULL;
	size_t size = 0;
	int r;

	if (o->firmware != VM_FIRMWARE_OVMF)
		return 0;
	r = vm_vars_path(x->vm->name, &vars);
	if (r < 0)
		return log_oom();
	r = path_exists(x->cli->pc, "%s", vars);
	if (r > 0) {
		vm_win11_vars_warn(x->cli->pc, x->vm);
		return 0;
	}
	r = path_read_full(x->cli->pc, &data, &size, "%s", template);
	if (r < 0)
		return log_error_errno(r, "Failed to read the OVMF variable template '%s': %m",
				       template);
	if (asprintf(&dir, VM_STATE_DIR "/%s", x->vm->name) < 0)
		return log_oom();
	r = path_mkdir_p(x->cli->pc, dir, 0700);
	if (r < 0)
		return log_error_errno(r, "Failed to create '%s': %m", dir);
	r = vm_win11_vars_made(x->cli->pc, x->vm, template);
	if (r < 0)
		return r;
	r = path_write_atomic(x->cli->pc, vars, data, size, 0600);
	if (r < 0)
		return log_error_errno(r, "Failed to create '%s': %m", vars);
	log_info("Created '%s' from '%s'.", vars, template);
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
		return log_error_errno(
		    r,
		    "Failed to pin the machine type and UUID of VM '%s' in " VM_STATE_DIR
		    "/%s (asked '%s -machine help' for q35): %m",
		    name, name, x->in.qemu);
	if (changed)
		log_info("VM '%s' has machine type %s and UUID %s (" VM_STATE_DIR "/%s/).", name,
			 x->id.machine, x->id.uuid, name);
	x->in.machine = x->id.machine;
	x->in.uuid = x->id.uuid;
	return 0;
}

/* After passing a stop signal on as SIGTERM, "vm run" waits this long before SIGKILL. */
#define STOP_KILL_AFTER_MS (60 * 1000)
/* A QEMU stopped before its guest ran gets this long after SIGTERM. */
#define STOP_START_KILL_AFTER_MS (5 * 1000)

#define MAX_LL(a, b) ((a) > (b) ? (a) : (b))

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
	struct timespec ts = timespec_from_ms(timeout_ms < 0 ? 0 : timeout_ms);
	int sig;

	do
		sig =
		    timeout_ms < 0 ? sigwaitinfo(set, ret_info) : sigtimedwait(set, ret_info, &ts);
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
	int64_t v;

	if (!e || safe_atoi64(e, &v) < 0 || v < 0)
		return STOP_REPEAT_WINDOW_MS;
	return v;
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
		return log_error_errno(
		    r,
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
		return log_error_errno(
		    r, "Failed to restore the owner of '%s' after an earlier run: %m",
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
		return log_error_errno(r, "%s:%u:%u: VM '%s': %s", vm_cfg_path(x),
				       vm_options(x->vm)->user_line, vm_options(x->vm)->user_col,
				       x->vm->name, why);
	if (r < 0 && why)
		return log_error_errno(r, "Failed to look up the user of VM '%s': %s", x->vm->name,
				       why);
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

int vm_run(struct cli *cli, const char *name)
{
	_cleanup_(vm_run_ctx_done) struct vm_ctx x;
	_cleanup_strv_free_ char **argv = NULL;
	_cleanup_free_ char *qmp_path = NULL, *qmp_host = NULL, *vcpus = NULL, *audio_env = NULL;
	_cleanup_free_ char *cookie_env = NULL;
	_cleanup_close_ int cookie_fd = -1;
	struct qmp *q = NULL;
	sigset_t set, oldmask;
	struct stop_request first = {0};
	long long kill_at = -1, window_ms;
	size_t n;
	char **nargv;
	pid_t pid;
	int r, status, sig, t;

	r = vm_load_checked(cli, name, &x);
	if (r < 0 || vm_check_host_disks(&x) < 0 || vm_audio_load(&x) < 0)
		return EXIT_ERROR;
	r = vm_check_vfio(&x);
	if (r < 0)
		return EXIT_ERROR;
	r = vm_run_user(&x);
	if (r < 0)
		return EXIT_ERROR;
	/* The sound server and the governors (vm-gaming.c): read-only, before the lock. */
	r = vm_check_audio(&x);
	if (r >= 0)
		r = vm_check_power(&x);
	/* input devices, the Looking Glass client's user, USB devices (vm-gamedev-run.h) */
	if (r >= 0)
		r = vm_gaming_run_check(cli->pc, vm_cfg_path(&x), x.vm);
	if (r >= 0)
		r = features_run(&x, false);
	if (r < 0)
		return EXIT_ERROR;
	/* Before anything is touched: a second instance must not disturb the first. */
	r = vm_run_lock(&x);
	if (r >= 0)
		r = vm_gaming_run_lock(cli->pc, vm_cfg_path(&x), x.vm, &x.lg_lock_fd);
	if (r < 0)
		return EXIT_ERROR;
	/* Recorded first; vm_ctx_done() gives them back on every way out from here. */
	r = vm_power_set(&x);
	/* The Looking Glass memory, kept from an earlier run or made now for QEMU's group. */
	if (r >= 0)
		r = vm_gaming_run_prepare(cli->pc, vm_cfg_path(&x), x.vm, x.user.gid);
	if (r < 0)
		return EXIT_ERROR;
	/* Prepare hooks first: one of them may allocate the hugepages late. */
	r = vm_run_hooks(cli, x.vm, "prepare");
	if (r < 0)
		return EXIT_ERROR;
	r = vm_check_hugepages(&x);
	if (r >= 0)
		r = vm_handover_take(&x);
	if (r < 0) {
		(void)vm_run_hooks(cli, x.vm, "release");
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
				log_error("%s: %s", vm_cfg_path(&x), err);
			else
				log_error_errno(r, "Failed to check bridge '%s': %m",
						vm_options(x.vm)->net_ifname);
			(void)vm_run_hooks(cli, x.vm, "release");
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
		(void)vm_run_hooks(cli, x.vm, "release");
		return EXIT_ERROR;
	}
	/* The features' helpers (vm_release_run() stops them on every way out from here). */
	features_run_stop(&x);
	x.features_started = true;
	r = features_run(&x, true);
	if (r < 0) {
		(void)vm_run_hooks(cli, x.vm, "release");
		return EXIT_ERROR;
	}
	if (x.user.uid == 0 && x.user_why)
		log_warning("VM '%s': QEMU runs as root: %s.", name, x.user_why);
	else if (x.user.uid != 0)
		log_info("VM '%s': QEMU runs as user '%s' (uid %u).", name, x.user.name,
			 (unsigned)x.user.uid);

	if (vm_qmp_path(name, &qmp_host) < 0 || path_prefix(cli->pc, &qmp_path, "%s", qmp_host) < 0)
		return log_oom(), EXIT_ERROR;
	/*
	 * QEMU's QMP socket is ours to make (vm-start.h), for an unprivileged QEMU already
	 * made with the files handed over: listening before QEMU starts, so the connection
	 * below needs no retrying. A stale socket of a killed QEMU is replaced: the instance
	 * lock makes the name ours.
	 */
	if (!x.in.qmp_by_fd) {
		r = qmp_listen(qmp_path, &x.in.qmp_fd);
		if (r < 0) {
			log_error_errno(r, "Failed to create the QMP socket '%s': %m", qmp_host);
			(void)vm_run_hooks(cli, x.vm, "release");
			return EXIT_ERROR;
		}
		x.in.qmp_by_fd = true;
		x.qmp_made = strdup(qmp_path);
		if (!x.qmp_made)
			return log_oom(), EXIT_ERROR;
	}

	x.in.path_root = path_cxt_root(cli->pc);
	if (vm_audio_env(&x, &audio_env) < 0)
		return log_oom(), EXIT_ERROR;
	if (vm_audio_cookie_env(&x, &cookie_env, &cookie_fd) < 0)
		return EXIT_ERROR;
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
		if (x.vm->emulator_cpus.n && vm_set_affinity(0, &x.vm->emulator_cpus) < 0)
			fprintf(stderr, "gpt-bootcfg: cannot set the emulator CPUs: %m\n");
		/* QEMU inherits the lock (held while it lives) and its QMP socket. */
		if (fcntl(x.lock_fd, F_SETFD, 0) < 0 ||
		    (x.lg_lock_fd >= 0 && fcntl(x.lg_lock_fd, F_SETFD, 0) < 0) ||
		    (x.in.qmp_by_fd && fcntl(x.in.qmp_fd, F_SETFD, 0) < 0)) {
			fprintf(stderr, "gpt-bootcfg: cannot pass descriptors to QEMU: %m\n");
			_exit(127);
		}
		/* audio = pipewire|pulseaudio: the audio user's runtime directory and cookie. */
		if ((audio_env && putenv(audio_env) < 0) ||
		    (cookie_env && putenv(cookie_env) < 0) ||
		    (cookie_fd >= 0 && fcntl(cookie_fd, F_SETFD, 0) < 0)) {
			fprintf(stderr,
				"gpt-bootcfg: cannot pass the sound server's settings: %m\n");
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
	/*
	 * QEMU holds the only copy of its listening socket now: when it exits, the queued
	 * connection is reset, and nobody else could accept it.
	 */
	close(x.in.qmp_fd);
	x.in.qmp_fd = -1;
	log_info("Started QEMU for VM '%s' (pid %d).", name, (int)pid);

	/* The hand-off's watchdog: a VM not running by then gives the host its display back. */
	t = x.handover ? (int)vm_handover_timeout(vm_options(x.vm)) * 1000 : QMP_START_TIMEOUT_MS;
	r = vm_start_connect(qmp_path, pid, &set, t, &q, &status, &sig);
	if (r == -ECHILD)
		return log_error_errno(r, "QEMU exited during startup (%s %d)",
				       WIFEXITED(status) ? "status" : "signal",
				       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status)),
		       EXIT_ERROR;
	if (r == -EINTR)
		log_info("Received %s during startup; stopping QEMU.", signame(sig));
	else if (r == -ETIMEDOUT)
		log_error_errno(r, "QEMU's QMP socket '%s' did not answer within %d s", qmp_path,
				t / 1000);
	else if (r < 0)
		log_error_errno(r, "Failed to connect to QEMU's QMP socket '%s': %m", qmp_path);
	if (r >= 0)
		r = vm_pin_threads(&x, q, pid);
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
		vm_start_stop_child(pid, STOP_START_KILL_AFTER_MS);
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

int vm_connect_running(struct cli *cli, const char *name, struct qmp **ret)
{
	_cleanup_free_ char *host_path = NULL, *p = NULL;

	if (vm_qmp_path(name, &host_path) < 0 || path_prefix(cli->pc, &p, "%s", host_path) < 0)
		return -ENOMEM;
	return qmp_connect(p, QMP_REPLY_TIMEOUT_MS, ret);
}

bool vm_not_running(int r)
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
	unsigned u;
	long pid;
	int r;

	if (vm_pid_path(name, &host_pid) < 0 ||
	    path_prefix(cli->pc, &pidfile, "%s", host_pid) < 0 || path_cxt_new(NULL, &live) < 0)
		return log_oom();
	r = path_read_string(cli->pc, &text, "%s", host_pid);
	if (r < 0)
		return log_error_errno(r, "Cannot kill QEMU of VM '%s': '%s': %m", name, host_pid);
	/* path_read_string() took the newline. */
	if (safe_atou_range(text, 2, INT32_MAX, &u) < 0)
		return log_error_errno(-EBADMSG, "Cannot kill QEMU of VM '%s': '%s' holds no pid",
				       name, host_pid);
	pid = (long)u;
	r = path_read_full(live, &cmdline, &size, "/proc/%ld/cmdline", pid);
	for (size_t i = 0; r >= 0 && i < size; i += strlen(cmdline + i) + 1)
		if (streq(cmdline + i, "-pidfile") && i + 9 < size &&
		    streq(cmdline + i + 9, pidfile))
			ours = true;
	if (!ours)
		return log_error_errno(-ESRCH,
				       "Cannot kill QEMU of VM '%s': process %ld is not the "
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
static int vm_stop_restore(struct cli *cli, const char *name, const struct vm_ctx *x)
{
	_cleanup_free_ char *what = NULL;
	_cleanup_close_ int fd = -1;
	int r, governors;

	fd = vm_lock_wait(cli->pc, name, 2000);
	if (fd == -EBUSY)
		return 0;
	if (fd < 0)
		return log_error_errno(fd, "Failed to lock '" VM_RUN_DIR "/%s.lock': %m", name);
	governors = vm_power_stop_restore(cli, name);
	features_run_stop(x);
	governors = vm_handover_give_back(cli->pc, name) < 0 ? -EIO : governors;
	r = vm_owner_restore(cli->pc, name, &what);
	if (r < 0)
		return log_error_errno(r, "Failed to restore the owner of '%s': %m",
				       what ? what : "?");
	if (r > 0)
		log_info("VM '%s': restored the owners of the files its QEMU used.", name);
	return governors;
}

int vm_stop(struct cli *cli, const char *name, int timeout)
{
	_cleanup_(vm_run_ctx_done) struct vm_ctx x;
	_cleanup_qmp_ struct qmp *q = NULL;
	int r, restored;

	r = vm_load_checked(cli, name, &x);
	if (r < 0)
		return EXIT_ERROR;
	if (timeout < 0)
		timeout = (int)vm_options(x.vm)->stop_timeout;

	r = vm_connect_running(cli, name, &q);
	if (vm_not_running(r)) {
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
	restored = vm_stop_restore(cli, name, &x);
	r = vm_run_hooks(cli, x.vm, "release");
	return r < 0 || restored < 0 ? EXIT_ERROR : EXIT_OK;
}
