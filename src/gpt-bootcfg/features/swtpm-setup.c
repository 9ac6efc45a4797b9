/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A VM's TPM state (swtpm.h): the programs checked, the state made once by swtpm_setup as
 * QEMU's user with a local CA of the VM's own, and handed to a new user.
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

/* ---- the programs ---- */

/* "--print-capabilities" of prog (argv without it): 1 with tpm-2.0, 0 without, -errno. */
static int has_tpm2(const char *prog, const char *sub)
{
	char *argv[] = {(char *)prog, (char *)(sub ? sub : "--print-capabilities"),
			sub ? (char *)"--print-capabilities" : NULL, NULL};
	_cleanup_free_ char *out = NULL;
	_cleanup_json_ struct json_value *v = NULL;
	const struct json_value *f;
	int r;

	r = spawn_run(argv, SPAWN_STDIN_NULL | SPAWN_STDERR_NULL, 64 * 1024, &out);
	if (r < 0)
		return r;
	if (r != 0 || !out || json_parse(out, strlen(out), &v) < 0)
		return -EPROTO;
	f = json_get(v, "features");
	if (!f || f->type != JSON_ARRAY)
		return -EPROTO;
	for (size_t i = 0; i < f->n; i++)
		if (f->items[i].type == JSON_STRING && streq(f->items[i].string, "tpm-2.0"))
			return 1;
	return 0;
}

int vm_tpm_check_tools(char **ret_why)
{
	const char *progs[] = {vm_tpm_swtpm(), vm_tpm_swtpm_setup()};

	for (size_t i = 0; i < ARRAY_SIZE(progs); i++) {
		/* swtpm takes its interface first: "swtpm socket --print-capabilities". */
		int r = has_tpm2(progs[i], i == 0 ? "socket" : NULL);

		if (r > 0)
			continue;
		if (r == -ENOMEM)
			return r;
		if (asprintf(ret_why,
			     r == -ENOENT ? "tpm = yes needs '%s', which is not installed (Debian: "
					    "apt install swtpm swtpm-tools)"
			     : r == 0 ? "tpm = yes needs a TPM 2.0, and '%s' does not offer one "
					"('--print-capabilities' lists no tpm-2.0)"
				      : "tpm = yes needs '%s', which does not run "
					"('--print-capabilities' failed)",
			     progs[i]) < 0)
			return -ENOMEM;
		return r == -ENOENT ? -ENOENT : -EOPNOTSUPP;
	}
	return 0;
}

int vm_tpm_tools_installed(struct path_cxt *pc)
{
	static const char *const dirs[] = {"/usr/bin", "/usr/sbin", "/bin", "/usr/local/bin"};
	static const char *const progs[] = {"swtpm", "swtpm_setup"};

	for (size_t p = 0; p < ARRAY_SIZE(progs); p++) {
		bool found = false;

		for (size_t d = 0; d < ARRAY_SIZE(dirs) && !found; d++)
			found = path_exists(pc, "%s/%s", dirs[d], progs[p]) > 0;
		if (!found)
			return 0;
	}
	return 1;
}

/* name in $PATH, as execvp() would find it: a new string, or NULL. */
static char *find_in_path(const char *name)
{
	const char *path = getenv("PATH");

	for (const char *p = path ? path : "/usr/bin:/bin"; p && *p;) {
		size_t n = strcspn(p, ":");
		char *f = NULL;

		if (n > 0 && asprintf(&f, "%.*s/%s", (int)n, p, name) >= 0) {
			if (access(f, X_OK) == 0)
				return f;
			free(f);
		}
		p += n + (p[n] == ':');
	}
	return NULL;
}

/* ---- ownership of the state ---- */

/*
 * The directory host path below the root, and its files, owned by uid:gid (no link
 * followed: QEMU's earlier user owned the directory and may have put anything in it).
 */
static int own_dir(struct path_cxt *pc, const char *dir, uid_t uid, gid_t gid)
{
	_cleanup_close_ int fd = -1;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	int dfd;

	fd = path_open(pc, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, "%s", dir);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if ((st.st_uid != uid || st.st_gid != gid) && fchown(fd, uid, gid) < 0)
		return negative_errno();
	dfd = dup(fd);
	if (dfd < 0)
		return negative_errno();
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return negative_errno();
	}
	while ((errno = 0, de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return negative_errno();
		/* Only plain files are swtpm's; a link would hand over its target. */
		if (!S_ISREG(st.st_mode) || st.st_nlink > 1)
			return -EMLINK;
		if ((st.st_uid != uid || st.st_gid != gid) &&
		    fchownat(fd, de->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			return negative_errno();
	}
	return errno ? negative_errno() : 0;
}

/* Remove a directory of plain files (a half-made state), never following a link. */
static int remove_flat_dir(struct path_cxt *pc, const char *dir)
{
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_free_ char *full = NULL;
	int r;

	r = path_list_dir(pc, &names, "%s", dir);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = path_prefix(pc, &full, "%s", dir);
	if (r < 0)
		return r;
	STRV_FOREACH (n, names) {
		_cleanup_free_ char *f = NULL;

		if (asprintf(&f, "%s/%s", full, *n) < 0)
			return -ENOMEM;
		if (unlink(f) < 0 && errno != ENOENT)
			return negative_errno();
	}
	return rmdir(full) < 0 && errno != ENOENT ? negative_errno() : 0;
}

/* A directory below the root for u: created (mode) when missing, then owned by u. */
static int make_dir(struct path_cxt *pc, const char *dir, mode_t mode, const struct vm_user *u)
{
	int r = path_mkdir_p(pc, dir, mode);

	if (r < 0)
		return r;
	return own_dir(pc, dir, u->uid, u->gid);
}

int vm_tpm_state_exists(struct path_cxt *pc, const char *name)
{
	_cleanup_free_ char *state = NULL;

	if (vm_tpm_state_path(name, &state) < 0)
		return -ENOMEM;
	return path_exists(pc, "%s/" VM_TPM_PERMALL, state);
}

/* ---- swtpm_setup ---- */

/* dir/name below the root, written whole (never through a link planted in dir). */
static int write_in(struct path_cxt *pc, const char *dir, const char *name, const char *text)
{
	_cleanup_free_ char *p = NULL;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	return path_write_atomic(pc, p, text, strlen(text), 0644);
}

/* The setup's configuration: a local CA of the VM's own, usable by QEMU's user. */
static int write_setup_config(struct path_cxt *pc, const char *setup, const char *full_setup,
			      const char *localca)
{
	_cleanup_free_ char *conf = NULL, *ca = NULL, *p = NULL;
	int r;

	if (localca && (asprintf(&ca,
				 "# The VM's own local CA (gpt-bootcfg): signs its EK and platform "
				 "certificates.\nstatedir = %1$s\nsigningkey = %1$s/signkey.pem\n"
				 "issuercert = %1$s/issuercert.pem\ncertserial = %1$s/certserial\n",
				 full_setup) < 0 ||
			asprintf(&p, "--platform-manufacturer gpt-bootcfg\n--platform-version 2.1\n"
				     "--platform-model QEMU\n") < 0))
		return -ENOMEM;
	if (localca && asprintf(&conf,
				"create_certs_tool = %s\ncreate_certs_tool_config = "
				"%s/swtpm-localca.conf\ncreate_certs_tool_options = "
				"%s/swtpm-localca.options\nactive_pcr_banks = sha256\n",
				localca, full_setup, full_setup) < 0)
		return -ENOMEM;
	if (!localca && !(conf = strdup("active_pcr_banks = sha256\n")))
		return -ENOMEM;
	r = write_in(pc, setup, "swtpm_setup.conf", conf);
	if (r >= 0 && localca)
		r = write_in(pc, setup, "swtpm-localca.conf", ca);
	if (r >= 0 && localca)
		r = write_in(pc, setup, "swtpm-localca.options", p);
	return r;
}

int vm_tpm_setup(struct path_cxt *pc, const char *name, const struct vm_user *u, bool *ret_certs,
		 char **ret_why)
{
	_cleanup_free_ char *base = NULL, *state = NULL, *fresh = NULL, *setup = NULL,
			    *full_fresh = NULL, *full_setup = NULL, *conf = NULL, *log = NULL,
			    *localca = NULL, *last = NULL;
	_cleanup_close_ int logfd = -1, nullfd = -1;
	char how[48];
	pid_t pid;
	int r, status = 0, pidfd;

	if (asprintf(&base, VM_STATE_DIR "/%s", name) < 0 || vm_tpm_state_path(name, &state) < 0 ||
	    asprintf(&fresh, "%s.new", state) < 0 ||
	    asprintf(&setup, "%s/" VM_TPM_SETUP_DIR, base) < 0 ||
	    asprintf(&log, "%s/setup.log", setup) < 0)
		return -ENOMEM;
	r = path_exists(pc, "%s/" VM_TPM_PERMALL, state);
	if (r < 0)
		return r;
	if (r > 0) {
		/* Made by an earlier run, maybe for another "user =". */
		r = own_dir(pc, state, u->uid, u->gid);
		if (r < 0 && asprintf(ret_why, "cannot give '%s' to user '%s': %s", state, u->name,
				      strerror(-r)) < 0)
			return -ENOMEM;
		return r < 0 ? r : 0;
	}

	/* QEMU's user reaches its own directories only: VM_STATE_DIR stays unlistable. */
	r = path_mkdir_p(pc, base, 0700);
	if (r >= 0 && u->uid != 0) {
		_cleanup_free_ char *a = NULL, *b = NULL;

		r = path_prefix(pc, &a, VM_STATE_DIR);
		if (r >= 0)
			r = path_prefix(pc, &b, "%s", base);
		if (r >= 0 && (chmod(a, 0711) < 0 || chmod(b, 0711) < 0))
			r = negative_errno();
	}
	if (r >= 0)
		r = remove_flat_dir(pc, fresh);
	if (r >= 0)
		r = make_dir(pc, fresh, 0700, u);
	if (r >= 0)
		r = make_dir(pc, setup, 0700, u);
	if (r >= 0)
		r = path_prefix(pc, &full_fresh, "%s", fresh);
	if (r >= 0)
		r = path_prefix(pc, &full_setup, "%s", setup);
	if (r < 0)
		goto fail_dirs;
	/* Certificates where the tools make them: swtpm_localca comes with swtpm-tools. */
	localca = find_in_path("swtpm_localca");
	r = write_setup_config(pc, setup, full_setup, localca);
	if (r < 0)
		goto fail_dirs;
	if (asprintf(&conf, "%s/swtpm_setup.conf", full_setup) < 0)
		return -ENOMEM;
	/* The log is new and ours: a link QEMU's user left in its place is not followed. */
	(void)path_unlink_durable(pc, log);
	logfd = path_open(pc, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0640, "%s", log);
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (logfd < 0 || nullfd < 0) {
		r = logfd < 0 ? logfd : negative_errno();
		goto fail_dirs;
	}

	pid = fork();
	if (pid < 0)
		return negative_errno();
	if (pid == 0) {
		const char *argv[24];
		size_t n = 0;

		/* Its own group: a time-out ends swtpm_setup and the swtpm it started. */
		(void)setpgid(0, 0);
		if (dup2(nullfd, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0 ||
		    setenv("TMPDIR", full_setup, 1) < 0 || setenv("HOME", full_setup, 1) < 0 ||
		    vm_user_drop(u) < 0)
			_exit(127);
		argv[n++] = vm_tpm_swtpm_setup();
		argv[n++] = "--tpm2";
		argv[n++] = "--tpmstate";
		argv[n++] = full_fresh;
		argv[n++] = "--createek";
		if (localca) {
			argv[n++] = "--create-ek-cert";
			argv[n++] = "--create-platform-cert";
		}
		/* The certificates' NV indices cannot be rewritten by the guest. */
		argv[n++] = "--lock-nvram";
		argv[n++] = "--not-overwrite";
		argv[n++] = "--config";
		argv[n++] = conf;
		argv[n++] = "--vmid";
		argv[n++] = name;
		argv[n] = NULL;
		execvp(argv[0], (char *const *)argv);
		dprintf(2, "cannot execute '%s': %m\n", argv[0]);
		_exit(127);
	}
	pidfd = spawn_pidfd_open(pid);
	if (!swtpm_wait_gone(pid, pidfd, true, VM_TPM_SETUP_TIMEOUT_MS, &status)) {
		(void)kill(-pid, SIGKILL);
		(void)swtpm_wait_gone(pid, pidfd, true, 10 * 1000, &status);
		snprintf(how, sizeof(how), "did not finish within %d s",
			 VM_TPM_SETUP_TIMEOUT_MS / 1000);
		r = -ETIMEDOUT;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		r = path_exists(pc, "%s/" VM_TPM_PERMALL, fresh);
		snprintf(how, sizeof(how), "made no " VM_TPM_PERMALL);
		r = r > 0 ? 0 : r < 0 ? r : -EIO;
	} else {
		swtpm_describe_status(status, how);
		r = -EIO;
	}
	if (pidfd >= 0)
		close(pidfd);
	if (r >= 0)
		r = path_rename_durable(pc, fresh, state);
	if (r >= 0) {
		*ret_certs = localca != NULL;
		return 1;
	}
	last = swtpm_log_last_line(pc, log);
	if (asprintf(ret_why, "swtpm_setup %s%s%s (%s)", how, last ? ": " : "", last ? last : "",
		     log) < 0)
		*ret_why = NULL;
	(void)remove_flat_dir(pc, fresh);
	return r;

fail_dirs:
	if (asprintf(ret_why, "cannot prepare '%s' for user '%s': %s", fresh, u->name,
		     strerror(-r)) < 0)
		*ret_why = NULL;
	return r;
}
