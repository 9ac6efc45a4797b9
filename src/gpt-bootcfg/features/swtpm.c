/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A VM's swtpm process (swtpm.h): started as QEMU's user on a socket the runner made,
 * proven ready over swtpm's control channel, its record, and its end.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/fileio.h"
#include "basic/macro.h"
#include "basic/parse-util.h"
#include "core/vm-paths.h"
#include "basic/qmp.h"
#include "basic/spawn-util.h"
#include "basic/strv-util.h"
#include "features/swtpm.h"
#include "features/swtpm-internal.h"
#include "basic/time-util.h"

/* swtpm's control channel (its tpm_ioctl.h): big-endian words, a result word first. */
#define SWTPM_CMD_INIT 2

/* After SIGTERM, how long swtpm gets to save and exit before SIGKILL. */
#define SWTPM_TERM_TIMEOUT_MS (5 * 1000)

/* The log's last line goes into a refusal; more would not be one line. */
#define LOG_LINE_MAX 200

const char *vm_tpm_swtpm(void)
{
	const char *e = getenv("GPT_BOOTCFG_SWTPM");

	return e && *e ? e : "swtpm";
}

const char *vm_tpm_swtpm_setup(void)
{
	const char *e = getenv("GPT_BOOTCFG_SWTPM_SETUP");

	return e && *e ? e : "swtpm_setup";
}

int vm_tpm_state_path(const char *name, char **ret)
{
	return vm_state_file(name, VM_TPM_STATE_DIR, ret);
}

int vm_tpm_socket_path(const char *name, char **ret)
{
	return vm_run_file(name, ".swtpm", ret);
}

int vm_tpm_record_path(const char *name, char **ret)
{
	return vm_run_file(name, ".swtpm.pid", ret);
}

int vm_tpm_log_path(const char *name, char **ret)
{
	return vm_run_file(name, ".swtpm.log", ret);
}

/* ---- processes ---- */

/*
 * Wait up to timeout_ms for process pid to end: our child is reaped (its status in
 * *ret_status, may be NULL), another process is watched through its pidfd. true when it
 * is gone.
 */
bool swtpm_wait_gone(pid_t pid, int pidfd, bool child, int timeout_ms, int *ret_status)
{
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		long long left;
		int status, n;

		if (child) {
			pid_t w = waitpid(pid, &status, WNOHANG);

			if (w == pid || (w < 0 && errno == ECHILD)) {
				if (ret_status)
					*ret_status = w == pid ? status : 0;
				return true;
			}
		} else if (pidfd < 0 && kill(pid, 0) < 0 && errno == ESRCH) {
			return true;
		}
		left = deadline - now_ms();
		if (left <= 0)
			return false;
		if (pidfd < 0) {
			/* Kernels before 5.3 have no pidfd: look again every 50 ms. */
			(void)poll(NULL, 0, left < 50 ? (int)left : 50);
			continue;
		}
		n = poll(&p, 1, (int)left);
		if (n < 0 && errno != EINTR)
			return false;
		/* Readable once the process has exited (a zombie counts): ours is reaped above. */
		if (n > 0 && !child)
			return true;
	}
}

/* End pid: grace_ms to go by itself, then SIGTERM, then SIGKILL. 1 when signalled. */
int swtpm_end_process(pid_t pid, int pidfd, bool child, int grace_ms)
{
	if (swtpm_wait_gone(pid, pidfd, child, grace_ms, NULL))
		return 0;
	if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
		return negative_errno();
	if (swtpm_wait_gone(pid, pidfd, child, SWTPM_TERM_TIMEOUT_MS, NULL))
		return 1;
	if (kill(pid, SIGKILL) < 0 && errno != ESRCH)
		return negative_errno();
	return swtpm_wait_gone(pid, pidfd, child, 10 * 1000, NULL) ? 1 : -ETIMEDOUT;
}

/* The last non-empty line of a log below the root, shortened: a new string or NULL. */
char *swtpm_log_last_line(struct path_cxt *pc, const char *path)
{
	_cleanup_free_ char *text = NULL;
	char *last = NULL, *save = NULL;

	if (path_read_full(pc, &text, NULL, "%s", path) < 0 || !text)
		return NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (l[strspn(l, " \t\r")])
			last = l;
	if (!last)
		return NULL;
	last += strspn(last, " \t");
	return strndup(last, LOG_LINE_MAX);
}

/* "exited with status N" / "was killed by signal N". */
void swtpm_describe_status(int status, char buf[static 48])
{
	if (WIFEXITED(status))
		snprintf(buf, 48, "exited with status %d", WEXITSTATUS(status));
	else
		snprintf(buf, 48, "was killed by signal %d", WTERMSIG(status));
}

/* ---- the process ---- */

/* swtpm's --tpmstate argument for VM name: what identifies its process in /proc. */
static int tpmstate_arg(struct path_cxt *pc, const char *name, char **ret)
{
	_cleanup_free_ char *state = NULL, *full = NULL;
	int r;

	if (vm_tpm_state_path(name, &state) < 0)
		return -ENOMEM;
	r = path_prefix(pc, &full, "%s", state);
	if (r < 0)
		return r;
	/* The state is the guest's secrets: QEMU's user only. */
	return asprintf(ret, "dir=%s,mode=0600", full) < 0 ? -ENOMEM : 0;
}

/* Whether process pid (of the live system) is the swtpm started with arg. */
static bool is_swtpm_of(pid_t pid, const char *arg)
{
	_cleanup_path_cxt_ struct path_cxt *live = NULL;
	_cleanup_free_ char *cmdline = NULL;
	size_t size = 0;

	if (path_cxt_new(NULL, &live) < 0 ||
	    path_read_full(live, &cmdline, &size, "/proc/%d/cmdline", (int)pid) < 0)
		return false;
	for (size_t i = 0; i < size; i += strlen(cmdline + i) + 1)
		if (streq(cmdline + i, arg))
			return true;
	return false;
}

/* The pid in the record of VM name: > 0, 0 when there is no record, -errno. */
static pid_t read_record(struct path_cxt *pc, const char *record)
{
	_cleanup_free_ char *text = NULL;
	unsigned v;
	int r;

	/* The first line, its newline stripped: one pid, and never init's. */
	r = path_read_string(pc, &text, "%s", record);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (safe_atou_range(text, 2, INT32_MAX, &v) < 0)
		return -EBADMSG;
	return (pid_t)v;
}

pid_t vm_tpm_running(struct path_cxt *pc, const char *name)
{
	_cleanup_free_ char *record = NULL, *arg = NULL;
	pid_t pid;

	if (vm_tpm_record_path(name, &record) < 0 || tpmstate_arg(pc, name, &arg) < 0)
		return 0;
	pid = read_record(pc, record);
	return pid > 0 && is_swtpm_of(pid, arg) ? pid : 0;
}

/* The record and the socket of VM name gone (the log stays for a look). */
static int remove_runtime(struct path_cxt *pc, const char *name)
{
	_cleanup_free_ char *record = NULL, *sock = NULL;
	int r, r2;

	if (vm_tpm_record_path(name, &record) < 0 || vm_tpm_socket_path(name, &sock) < 0)
		return -ENOMEM;
	r = path_unlink_durable(pc, record);
	r2 = path_unlink_durable(pc, sock);
	if (r == -ENOENT)
		r = 0;
	if (r2 == -ENOENT)
		r2 = 0;
	return r < 0 ? r : r2;
}

/*
 * CMD_INIT on swtpm's control socket at path (a real path), while watching swtpm (pidfd,
 * or its exit seen when the connection closes): 0 initialised; the TPM's nonzero result in
 * *ret_result and -EPROTO; -ECHILD when swtpm ended first; -ETIMEDOUT.
 */
static int probe_init(const char *path, int pidfd, uint32_t *ret_result)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	uint32_t req[2] = {htonl(SWTPM_CMD_INIT), 0}, res = 0;
	long long deadline = now_ms() + VM_TPM_START_TIMEOUT_MS;
	_cleanup_close_ int s = -1;
	size_t got = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return negative_errno();
	/* The socket listens already: the connection waits queued until swtpm takes it. */
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(s, req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req))
		return negative_errno();
	while (got < sizeof(res)) {
		struct pollfd p[2] = {{.fd = s, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
		long long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(p, pidfd >= 0 ? 2 : 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (p[1].revents & POLLIN)
				return -ECHILD;
			continue;
		}
		n = recv(s, (char *)&res + got, sizeof(res) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		/* Closed: swtpm has gone (the caller reaps it and reports its status). */
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return -ECHILD;
		if (n < 0)
			return negative_errno();
		got += (size_t)n;
	}
	*ret_result = ntohl(res);
	return *ret_result ? -EPROTO : 0;
}

int vm_tpm_start(struct path_cxt *pc, const char *name, const struct vm_user *u,
		 struct vm_tpm_proc *ret, char **ret_why)
{
	_cleanup_free_ char *sock = NULL, *full_sock = NULL, *record = NULL, *log = NULL,
			    *arg = NULL, *ctrl = NULL, *pidtext = NULL, *last = NULL;
	_cleanup_close_ int lfd = -1, logfd = -1, nullfd = -1;
	const char *swtpm = vm_tpm_swtpm();
	int gate[2], pidfd = -1, status = 0, r;
	uint32_t result = 0;
	char how[96];
	pid_t pid;

	if (vm_tpm_socket_path(name, &sock) < 0 || vm_tpm_record_path(name, &record) < 0 ||
	    vm_tpm_log_path(name, &log) < 0)
		return -ENOMEM;
	r = tpmstate_arg(pc, name, &arg);
	if (r >= 0)
		r = path_prefix(pc, &full_sock, "%s", sock);
	if (r < 0)
		return r;
	/* A node a killed run left is replaced: the VM's lock makes the name ours. */
	r = qmp_listen(full_sock, &lfd);
	if (r >= 0 && u->uid != 0 && chown(full_sock, u->uid, u->gid) < 0)
		r = negative_errno();
	if (r < 0) {
		if (asprintf(ret_why, "cannot make the socket '%s': %s", sock, strerror(-r)) < 0)
			*ret_why = NULL;
		(void)remove_runtime(pc, name);
		return r;
	}
	(void)path_unlink_durable(pc, log);
	logfd = path_open(pc, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0640, "%s", log);
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (logfd < 0 || nullfd < 0 || pipe2(gate, O_CLOEXEC) < 0) {
		r = logfd < 0 ? logfd : negative_errno();
		(void)remove_runtime(pc, name);
		return r;
	}
	if (asprintf(&ctrl, "type=unixio,fd=%d", lfd) < 0)
		r = -ENOMEM;
	else if ((pid = fork()) < 0)
		r = negative_errno();
	if (r < 0) {
		close(gate[0]);
		close(gate[1]);
		(void)remove_runtime(pc, name);
		return r;
	}
	if (pid == 0) {
		const char *argv[] = {swtpm,	"socket", "--tpm2",	 "--tpmstate", arg,
				      "--ctrl", ctrl,	  "--terminate", NULL};
		sigset_t none;
		char c;

		/* Only once the record names this process: no swtpm the next run cannot find. */
		close(gate[1]);
		if (read(gate[0], &c, 1) != 1)
			_exit(1);
		sigemptyset(&none);
		if (sigprocmask(SIG_SETMASK, &none, NULL) < 0 || dup2(nullfd, 0) < 0 ||
		    dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0 || fcntl(lfd, F_SETFD, 0) < 0 ||
		    vm_user_drop(u) < 0)
			_exit(127);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], (char *const *)argv);
		dprintf(2, "cannot execute '%s': %m\n", argv[0]);
		_exit(127);
	}
	/* swtpm holds the only listening copy: its exit resets a queued connection. */
	close(TAKE_FD(lfd));
	close(gate[0]);
	pidfd = spawn_pidfd_open(pid);
	if (asprintf(&pidtext, "%d\n", (int)pid) < 0)
		r = -ENOMEM;
	else
		r = path_write_atomic(pc, record, pidtext, strlen(pidtext), 0644);
	if (r >= 0 && write(gate[1], "x", 1) != 1)
		r = negative_errno();
	close(gate[1]);
	if (r < 0) {
		snprintf(how, sizeof(how), "could not be recorded in %s: %s", record, strerror(-r));
	} else {
		r = probe_init(full_sock, pidfd, &result);
		/*
		 * swtpm holds the only listening copy of the socket, so a refused or reset
		 * connection means it closed it: it is exiting, and how it exited is the
		 * reason, whichever of the two the probe saw first.
		 */
		if ((r == -ECHILD || r == -ECONNREFUSED || r == -ECONNRESET) &&
		    swtpm_wait_gone(pid, pidfd, true, 10 * 1000, &status))
			swtpm_describe_status(status, how);
		else if (r == -ETIMEDOUT)
			snprintf(how, sizeof(how), "did not answer within %d s",
				 VM_TPM_START_TIMEOUT_MS / 1000);
		else if (r == -EPROTO)
			snprintf(how, sizeof(how), "could not initialise the TPM (result 0x%x)",
				 (unsigned)result);
		else if (r < 0)
			snprintf(how, sizeof(how), "did not answer: %s", strerror(-r));
	}
	/* For crash tests: the runner killed here leaves a running, recorded swtpm. */
	if (r >= 0) {
		r = fault_point("swtpm-started", sock);
		if (r < 0)
			snprintf(how, sizeof(how), "was stopped by a test fault");
	}
	if (r >= 0) {
		*ret = (struct vm_tpm_proc){.pid = pid, .pidfd = pidfd};
		return 0;
	}
	(void)swtpm_end_process(pid, pidfd, true, 0);
	if (pidfd >= 0)
		close(pidfd);
	(void)remove_runtime(pc, name);
	last = swtpm_log_last_line(pc, log);
	if (asprintf(ret_why, "swtpm %s%s%s", how, last ? ": " : "", last ? last : "") < 0)
		*ret_why = NULL;
	return r;
}

int vm_tpm_stop(struct path_cxt *pc, const char *name, struct vm_tpm_proc *p, int grace_ms)
{
	int r = 0, r2;

	if (p->pid > 0)
		r = swtpm_end_process(p->pid, p->pidfd, true, grace_ms);
	if (p->pidfd >= 0)
		close(p->pidfd);
	*p = (struct vm_tpm_proc)VM_TPM_PROC_INIT;
	r2 = remove_runtime(pc, name);
	return r < 0 ? r : r2 < 0 ? r2 : r;
}

int vm_tpm_reap(struct path_cxt *pc, const char *name, int grace_ms, pid_t *ret_pid)
{
	_cleanup_free_ char *record = NULL, *arg = NULL;
	pid_t pid;
	int r = 0, pidfd;

	if (vm_tpm_record_path(name, &record) < 0)
		return -ENOMEM;
	r = tpmstate_arg(pc, name, &arg);
	if (r < 0)
		return r;
	pid = read_record(pc, record);
	/* The runner's own swtpm, ended with QEMU, is its child: not left a zombie. */
	if (pid > 0)
		(void)waitpid(pid, NULL, WNOHANG);
	/* A record that names no process (any more), or another one, is only removed. */
	if (pid > 0 && is_swtpm_of(pid, arg)) {
		pidfd = spawn_pidfd_open(pid);
		r = swtpm_end_process(pid, pidfd, false, grace_ms);
		if (pidfd >= 0)
			close(pidfd);
		if (r < 0)
			return r;
		if (ret_pid)
			*ret_pid = pid;
		r = 1;
	} else if (pid < 0 && pid != -EBADMSG) {
		return pid;
	}
	{
		int r2 = remove_runtime(pc, name);

		return r2 < 0 ? r2 : r;
	}
}
