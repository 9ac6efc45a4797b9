/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * audio = pipewire|pulseaudio|spice|none and audio-user (vm-audio.h): the keys, the QEMU
 * options of host audio, the runner's checks of the sound server (socket and PulseAudio's
 * authentication, as QEMU's user) and the audio user's cookie for QEMU.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "basic/macro.h"
#include "basic/parse-util.h"
#include "basic/spawn-util.h"
#include "basic/strv-util.h"
#include "basic/xml.h"
#include "features/audio.h"
#include "features/users.h"

/* PulseAudio's native protocol socket below the user's runtime directory. */
#define PULSE_DIR    "pulse"
#define PULSE_SOCKET "native"

const char *vm_audio_to_string(enum vm_audio a)
{
	switch (a) {
	case VM_AUDIO_NONE:
		return "none";
	case VM_AUDIO_SPICE:
		return "spice";
	case VM_AUDIO_PIPEWIRE:
		return "pipewire";
	case VM_AUDIO_PULSEAUDIO:
		return "pulseaudio";
	}
	return "?";
}

bool vm_audio_is_host(const struct vm_options *o)
{
	return o->audio == VM_AUDIO_PIPEWIRE || o->audio == VM_AUDIO_PULSEAUDIO;
}

const char *vm_audio_user(const struct vm_options *o)
{
	if (o->audio_user)
		return o->audio_user;
	/* QEMU running as the desktop user plays on that user's server without any setup. */
	if (o->user && !streq(o->user, "root"))
		return o->user;
	return NULL;
}

int vm_audio_parse_key(const struct config *c, const struct config_entry *e, struct vm_options *o,
		       char **ret_error)
{
	const char *v = e->value;

	if (streq(e->key, "audio")) {
		if (streq(v, "none"))
			o->audio = VM_AUDIO_NONE;
		else if (streq(v, "spice"))
			o->audio = VM_AUDIO_SPICE;
		else if (streq(v, "pipewire"))
			o->audio = VM_AUDIO_PIPEWIRE;
		else if (streq(v, "pulseaudio"))
			o->audio = VM_AUDIO_PULSEAUDIO;
		else
			return config_fail(
			    c, e, 0, ret_error,
			    "audio: expected pipewire, pulseaudio, spice or none, not '%s'", v);
		o->audio_line = e->line;
		o->audio_col = e->col_value;
		return 1;
	}
	if (streq(e->key, "audio-user")) {
		char *u;

		if (!user_name_valid(v))
			return config_fail(c, e, 0, ret_error, "audio-user: invalid user name '%s'",
					   v);
		u = strdup(v);
		if (!u)
			return -ENOMEM;
		free(o->audio_user);
		o->audio_user = u;
		o->audio_user_line = e->line;
		o->audio_user_col = e->col_value;
		return 1;
	}
	return 0;
}

int vm_audio_check_config(const struct config *c, const struct vm_options *o, char **ret_error)
{
	if (o->audio == VM_AUDIO_SPICE && o->spice == VM_SPICE_NONE) {
		*ret_error = config_error(c, o->audio_line, o->audio_col,
					  "audio: spice needs spice = unix or loopback");
		return *ret_error ? -EINVAL : -ENOMEM;
	}
	if (o->audio_user && !vm_audio_is_host(o)) {
		*ret_error =
		    config_error(c, o->audio_user_line, o->audio_user_col,
				 "audio-user: only used with audio = pipewire or pulseaudio");
		return *ret_error ? -EINVAL : -ENOMEM;
	}
	if (vm_audio_is_host(o) && !vm_audio_user(o)) {
		*ret_error =
		    config_error(c, o->audio_line, o->audio_col,
				 "audio: %s needs audio-user = NAME (the desktop user whose "
				 "sound server plays the guest's sound)",
				 vm_audio_to_string(o->audio));
		return *ret_error ? -EINVAL : -ENOMEM;
	}
	return 0;
}

const char *vm_audio_driver(const struct qemu_cmd_input *in)
{
	if (!vm_audio_is_host(vm_options(in->vm)))
		return NULL;
	if (in->test_audiodev)
		return in->test_audiodev;
	/*
	 * PulseAudio's protocol for both: QEMU 7.2 (Debian 12) has no "pipewire" audiodev, and
	 * pipewire-pulse serves the same socket.
	 */
	return "pa";
}

int vm_audio_qemu_args(const struct qemu_cmd_input *in, char ***ret)
{
	const struct vm_options *o = vm_options(in->vm);
	_cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
	const char *root = in->path_root ? in->path_root : "";
	char *dev = NULL;
	int r;

	if (!l)
		return -ENOMEM;
	if (!vm_audio_is_host(o)) {
		*ret = TAKE_PTR(l);
		return 0;
	}
	if (!in->audio_runtime_dir)
		return -EINVAL;
	if (in->test_audiodev)
		r = asprintf(&dev, "%s,id=" VM_AUDIO_ID, in->test_audiodev);
	else
		r = asprintf(&dev,
			     "pa,id=" VM_AUDIO_ID ",server=unix:%s%s/" PULSE_DIR "/" PULSE_SOCKET,
			     root, in->audio_runtime_dir);
	if (r < 0)
		return -ENOMEM;
	r = strv_add(&l, "-audiodev");
	if (r >= 0)
		r = strv_consume(&l, dev);
	else
		free(dev);
	if (r >= 0)
		r = strv_add(&l, "-device");
	if (r >= 0)
		r = strv_add(&l, "ich9-intel-hda,id=sound0");
	if (r >= 0)
		r = strv_add(&l, "-device");
	/* Line out and line in (the guest's microphone is audio-user's default source). */
	if (r >= 0)
		r = strv_add(&l, "hda-duplex,id=codec0,bus=sound0.0,audiodev=" VM_AUDIO_ID);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(l);
	return 0;
}

int vm_audio_runtime_dir(struct path_cxt *pc, const struct vm_options *o, char **ret,
			 char **ret_why)
{
	const char *name = vm_audio_user(o);
	uid_t uid;
	int r;

	if (!name)
		return -EINVAL;
	r = vm_user_lookup(pc, name, &uid, NULL);
	if (r < 0)
		return r;
	if (r == 0) {
		if (ret_why &&
		    asprintf(ret_why, "audio user '%s' does not exist (/etc/passwd)", name) < 0)
			*ret_why = NULL;
		return -ENOENT;
	}
	/* systemd-logind's runtime directory of a logged-in user (pam_systemd). */
	return asprintf(ret, "/run/user/%u", (unsigned)uid) < 0 ? -ENOMEM : 0;
}

/*
 * In a child that became the audio user: open path (never blocking: a FIFO planted there
 * would hang the runner), a regular file only, at most one byte more than a cookie. The
 * user's own permissions decide: a cookie linked to a file only root may read is not sent
 * to the user's server (issue 30, item 3).
 */
static _Noreturn void cookie_child(int fd, struct path_cxt *pc, const struct vm_user *u,
				   const char *path)
{
	uint8_t buf[VM_AUDIO_COOKIE_SIZE + 1];
	int res[2] = {0, 0};
	_cleanup_close_ int f = -1;
	ssize_t n = 0;
	int r;

	/* A runner that is not root reads with its own rights, which are no more. */
	r = geteuid() == 0 ? vm_user_drop(u) : 0;
	if (r >= 0) {
		f = path_open_regular(pc, 0, "%s", path);
		r = f;
	}
	if (r >= 0) {
		do
			n = read(f, buf, sizeof(buf));
		while (n < 0 && errno == EINTR);
		if (n < 0)
			r = negative_errno();
	}
	res[0] = r < 0 ? -r : 0;
	res[1] = r < 0 ? 0 : (int)n;
	if (write(fd, res, sizeof(res)) != (ssize_t)sizeof(res) ||
	    (res[1] > 0 && write(fd, buf, (size_t)res[1]) != (ssize_t)res[1]))
		_exit(1);
	explicit_bzero(buf, sizeof(buf));
	_exit(0);
}

/* Read path as u (cookie_child()): its size in *ret_n (up to one byte more), or -errno. */
static int cookie_read_as(struct path_cxt *pc, const struct vm_user *u, const char *path,
			  uint8_t buf[VM_AUDIO_COOKIE_SIZE + 1], size_t *ret_n)
{
	_cleanup_close_ int rfd = -1;
	int res[2] = {0, 0}, r;
	ssize_t n, m = 0;
	pid_t pid;

	pid = spawn_fork_pipe(&rfd);
	if (pid < 0)
		return pid;
	if (pid == 0)
		cookie_child(TAKE_FD(rfd), pc, u, path);
	n = read_eintr(rfd, res, sizeof(res));
	if (n == (ssize_t)sizeof(res) && res[0] == 0 && res[1] > 0 &&
	    res[1] <= VM_AUDIO_COOKIE_SIZE + 1)
		m = read_eintr(rfd, buf, (size_t)res[1]);
	r = spawn_wait(pid);
	if (r < 0)
		return r;
	if (n != (ssize_t)sizeof(res) || r != 0)
		return -EPROTO;
	if (res[0] != 0)
		return -res[0];
	if (res[1] < 0 || res[1] > VM_AUDIO_COOKIE_SIZE + 1 || m != res[1])
		return -EPROTO;
	*ret_n = (size_t)res[1];
	return 0;
}

int vm_audio_cookie_load(struct path_cxt *pc, const struct vm_options *o,
			 struct vm_audio_cookie *ret, char **ret_what)
{
	static const char *const names[] = {"/.config/pulse/cookie", "/.pulse-cookie"};
	const char *name = vm_audio_user(o);
	_cleanup_free_ char *home = NULL;
	struct vm_user u = {0};
	int r;

	if (!name)
		return -EINVAL;
	r = vm_user_home(pc, name, &home);
	if (r == 0 || r == -ENODATA)
		return 0;
	if (r < 0)
		return r;
	r = vm_user_lookup(pc, name, &u.uid, &u.gid);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	/* PulseAudio's own order; XDG_CONFIG_HOME belongs to the user's session, unknown here. */
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		_cleanup_free_ char *path = NULL;
		uint8_t data[VM_AUDIO_COOKIE_SIZE + 1];
		size_t n = 0;

		if (asprintf(&path, "%s%s", streq(home, "/") ? "" : home, names[i]) < 0)
			return -ENOMEM;
		r = cookie_read_as(pc, &u, path, data, &n);
		if (r == -ENOENT || r == -ENOTDIR)
			continue;
		if (r < 0) {
			*ret_what = TAKE_PTR(path);
			return r;
		}
		/* PulseAudio takes exactly this size; anything else it would replace. */
		if (n != VM_AUDIO_COOKIE_SIZE) {
			explicit_bzero(data, sizeof(data));
			continue;
		}
		memcpy(ret->data, data, VM_AUDIO_COOKIE_SIZE);
		explicit_bzero(data, sizeof(data));
		ret->path = TAKE_PTR(path);
		return 1;
	}
	return 0;
}

void vm_audio_cookie_done(struct vm_audio_cookie *c)
{
	explicit_bzero(c->data, sizeof(c->data));
	free(c->path);
	c->path = NULL;
}

int vm_audio_cookie_memfd(const struct vm_audio_cookie *c)
{
	/* QEMU reads it; nobody changes it afterwards. */
	const int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
	int fd = memfd_create("pulse-cookie", MFD_CLOEXEC | MFD_ALLOW_SEALING), r;
	ssize_t n;

	if (fd < 0)
		return negative_errno();
	n = write(fd, c->data, VM_AUDIO_COOKIE_SIZE);
	if (n == VM_AUDIO_COOKIE_SIZE && fcntl(fd, F_ADD_SEALS, seals) == 0)
		return fd;
	/* A short write sets no errno. */
	r = n < 0 || n == VM_AUDIO_COOKIE_SIZE ? negative_errno() : -EIO;
	close(fd);
	return r;
}

/*
 * PulseAudio's native protocol, as far as its first exchange (the same with pipewire-pulse):
 * a packet is a descriptor of five big-endian u32 (length of the payload, channel ~0 for a
 * command, two offset words, flags) and a tagged payload, each u32 as 'L' and four bytes.
 * The client's first command is AUTH (tag, protocol version, cookie as an 'x' blob); the
 * server answers REPLY (tag, its version) or ERROR (tag, error code).
 */
#define PA_CMD_ERROR	 0
#define PA_CMD_REPLY	 2
#define PA_CMD_AUTH	 8
#define PA_ERR_ACCESS	 1
#define PA_CHANNEL_CMD	 0xffffffffu
#define PA_AUTH_VERSION	 32 /* what PulseAudio 15 and 16 both speak; no SHM offered */
#define PA_DESC_SIZE	 20
#define PA_REPLY_SIZE	 (PA_DESC_SIZE + 3 * 5)
#define PA_REPLY_TIMEOUT 5 /* seconds: a live server answers at once */

static uint8_t *put_u32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
	return p + 4;
}

static uint8_t *put_tag_u32(uint8_t *p, uint32_t v)
{
	*p++ = 'L';
	return put_u32(p, v);
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

/*
 * On a connected socket s, as the process QEMU will be: AUTH with cookie and our
 * credentials, as libpulse does. 0 accepted, -EACCES refused, -ETIMEDOUT no answer,
 * -ECONNRESET closed, -EPROTO not PulseAudio's protocol.
 */
static int pa_authenticate(int s, const uint8_t *cookie)
{
	uint8_t pkt[PA_DESC_SIZE + 4 * 5 + VM_AUDIO_COOKIE_SIZE] = {0}, reply[PA_REPLY_SIZE];
	union {
		struct cmsghdr h;
		uint8_t buf[CMSG_SPACE(sizeof(struct ucred))];
	} ctl = {0};
	struct ucred cred = {.pid = getpid(), .uid = getuid(), .gid = getgid()};
	struct iovec iov = {.iov_base = pkt, .iov_len = sizeof(pkt)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf)};
	struct timeval tv = {.tv_sec = PA_REPLY_TIMEOUT};
	uint8_t *p = pkt;
	ssize_t n;

	p = put_u32(p, sizeof(pkt) - PA_DESC_SIZE);
	p = put_u32(p, PA_CHANNEL_CMD);
	p += 12; /* offsets and flags: 0 */
	p = put_tag_u32(p, PA_CMD_AUTH);
	p = put_tag_u32(p, 1);
	p = put_tag_u32(p, PA_AUTH_VERSION);
	*p++ = 'x';
	p = put_u32(p, VM_AUDIO_COOKIE_SIZE);
	if (cookie)
		memcpy(p, cookie, VM_AUDIO_COOKIE_SIZE);
	/* PulseAudio accepts its own user's processes by these credentials. */
	ctl.h.cmsg_level = SOL_SOCKET;
	ctl.h.cmsg_type = SCM_CREDENTIALS;
	ctl.h.cmsg_len = CMSG_LEN(sizeof(cred));
	memcpy(CMSG_DATA(&ctl.h), &cred, sizeof(cred));
	if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return negative_errno();
	n = sendmsg(s, &mh, MSG_NOSIGNAL);
	if (n < 0)
		return errno == EPIPE ? -ECONNRESET : negative_errno();
	if (n != (ssize_t)sizeof(pkt))
		return -EPROTO;
	/* The timeout bounds the whole wait, however the reply is split. */
	n = recv(s, reply, sizeof(reply), MSG_WAITALL);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : negative_errno();
	if (n == 0)
		return -ECONNRESET;
	if (n != (ssize_t)sizeof(reply) || get_u32(reply + 4) != PA_CHANNEL_CMD ||
	    reply[PA_DESC_SIZE] != 'L' || reply[PA_DESC_SIZE + 5] != 'L' ||
	    get_u32(reply + PA_DESC_SIZE + 6) != 1 || reply[PA_DESC_SIZE + 10] != 'L')
		return -EPROTO;
	switch (get_u32(reply + PA_DESC_SIZE + 1)) {
	case PA_CMD_REPLY:
		return 0;
	case PA_CMD_ERROR:
		return get_u32(reply + PA_DESC_SIZE + 11) == PA_ERR_ACCESS ? -EACCES : -EPROTO;
	default:
		return -EPROTO;
	}
}

/* Where the probe stopped: the step and its errno travel back to the runner. */
enum probe_step {
	PROBE_USER = 1,
	PROBE_REACH,
	PROBE_WRITE,
	PROBE_CONNECT,
	PROBE_AUTH,
};

/*
 * In a child that became u: chdir into the socket's directory (search permission on every
 * directory above it, as u), connect with the relative name, which also keeps a long
 * --root path within sun_path, and authenticate as QEMU's libpulse will. Reports the
 * failing step and its errno through fd.
 */
static _Noreturn void probe_child(int fd, const char *dir, const struct vm_user *u,
				  const uint8_t *cookie)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int res[2] = {0, 0}, s, r;

	r = u ? vm_user_drop(u) : 0;
	if (r < 0)
		res[0] = PROBE_USER, res[1] = -r;
	else if (chdir(dir) < 0)
		res[0] = PROBE_REACH, res[1] = errno;
	else if (access(PULSE_SOCKET, W_OK) < 0)
		res[0] = PROBE_WRITE, res[1] = errno;
	else {
		memcpy(sa.sun_path, PULSE_SOCKET, sizeof(PULSE_SOCKET));
		s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			res[0] = PROBE_CONNECT, res[1] = errno;
		else if ((r = pa_authenticate(s, cookie)) < 0)
			res[0] = PROBE_AUTH, res[1] = -r;
	}
	if (write(fd, res, sizeof(res)) != (ssize_t)sizeof(res))
		_exit(1);
	_exit(0);
}

static int probe_as_user(const char *dir, const struct vm_user *u, const uint8_t *cookie,
			 int *ret_step)
{
	_cleanup_close_ int rfd = -1;
	int res[2] = {0, 0}, r;
	ssize_t n;
	pid_t pid;

	pid = spawn_fork_pipe(&rfd);
	if (pid < 0)
		return pid;
	if (pid == 0)
		probe_child(TAKE_FD(rfd), dir, u, cookie);
	n = read_eintr(rfd, res, sizeof(res));
	r = spawn_wait(pid);
	if (r < 0)
		return r;
	if (n != (ssize_t)sizeof(res) || r != 0)
		return -EPROTO;
	*ret_step = res[0];
	return -res[1];
}

/* Why the server did not accept QEMU's user (the probe's last step), for the refusal. */
static int auth_why(const struct vm_options *o, const char *sock, const char *qemu_user,
		    const struct vm_audio_cookie *cookie, int err, char **ret_why)
{
	const char *name = vm_audio_user(o);
	int r;

	if (err == -EACCES && cookie && cookie->path)
		r = asprintf(ret_why,
			     "the sound server on '%s' refuses QEMU's user '%s' with %s's cookie "
			     "('%s'; the server uses another one): set user = %s in [vm] "
			     "(docs/vm.md, \"Host audio\")",
			     sock, qemu_user, name, cookie->path, name);
	else if (err == -EACCES)
		r = asprintf(ret_why,
			     "the sound server on '%s' refuses QEMU's user '%s': PulseAudio "
			     "accepts '%s' itself or a client with %s's cookie, and %s has none "
			     "(~/.config/pulse/cookie): set user = %s in [vm] (docs/vm.md, \"Host "
			     "audio\")",
			     sock, qemu_user, name, name, name, name);
	else if (err == -ETIMEDOUT)
		r = asprintf(ret_why, "the sound server on '%s' does not answer (in %d s)", sock,
			     PA_REPLY_TIMEOUT);
	else if (err == -ECONNRESET)
		r = asprintf(ret_why,
			     "the sound server on '%s' closed the connection of QEMU's user '%s' "
			     "without an answer",
			     sock, qemu_user);
	else if (err == -EPROTO)
		r = asprintf(ret_why,
			     "'%s' does not answer as a PulseAudio server (pulseaudio or "
			     "pipewire-pulse) would",
			     sock);
	else
		r = asprintf(ret_why, "cannot authenticate on '%s' as '%s': %s", sock, qemu_user,
			     strerror(-err));
	return r < 0 ? -ENOMEM : err;
}

int vm_audio_check_socket(struct path_cxt *pc, const struct vm_options *o, const char *runtime_dir,
			  const struct vm_user *u, const struct vm_audio_cookie *cookie,
			  char **ret_why)
{
	_cleanup_free_ char *sock = NULL, *dir = NULL, *full_dir = NULL;
	const char *name = vm_audio_user(o);
	const char *qemu_user = u && u->uid != 0 ? u->name : "root";
	struct stat st;
	int r, step = 0;

	*ret_why = NULL;
	if (asprintf(&dir, "%s/" PULSE_DIR, runtime_dir) < 0 ||
	    asprintf(&sock, "%s/" PULSE_SOCKET, dir) < 0)
		return -ENOMEM;
	r = path_stat(pc, &st, "%s", sock);
	if (r == -ENOENT || r == -ENOTDIR) {
		if (asprintf(ret_why,
			     "audio = %s, but '%s' does not exist: the sound server of '%s' is not "
			     "running (%s must be logged in, with %s running)",
			     vm_audio_to_string(o->audio), sock, name, name,
			     o->audio == VM_AUDIO_PIPEWIRE ? "pipewire and pipewire-pulse"
							   : "pulseaudio") < 0)
			return -ENOMEM;
		return -ENOENT;
	}
	if (r < 0) {
		if (asprintf(ret_why, "cannot check '%s': %s", sock, strerror(-r)) < 0)
			return -ENOMEM;
		return r;
	}
	if (!S_ISSOCK(st.st_mode)) {
		if (asprintf(ret_why, "audio = %s, but '%s' is not a socket",
			     vm_audio_to_string(o->audio), sock) < 0)
			return -ENOMEM;
		return -ENOTSOCK;
	}

	r = path_prefix(pc, &full_dir, "%s", dir);
	if (r < 0)
		return r;
	r = probe_as_user(full_dir, u && u->uid != 0 ? u : NULL,
			  cookie && cookie->path ? cookie->data : NULL, &step);
	if (r == 0)
		return 0;
	if (step == PROBE_AUTH)
		return auth_why(o, sock, qemu_user, cookie, r, ret_why);
	if (r == -EACCES || r == -EPERM) {
		if (asprintf(ret_why,
			     "QEMU's user '%s' cannot %s '%s' (%s): set user = %s in [vm], or give "
			     "'%s' access to the socket (docs/vm.md, \"Host audio\")",
			     qemu_user, step == PROBE_REACH ? "reach" : "connect to", sock,
			     strerror(-r), name, qemu_user) < 0)
			return -ENOMEM;
		return r;
	}
	if (r == -ECONNREFUSED) {
		if (asprintf(ret_why,
			     "nothing listens on '%s' (%s): the sound server of '%s' is not "
			     "running",
			     sock, strerror(-r), name) < 0)
			return -ENOMEM;
		return r;
	}
	if (asprintf(ret_why, "cannot connect to '%s' as '%s': %s", sock, qemu_user,
		     r == -EPROTO ? "the check itself failed" : strerror(-r)) < 0)
		return -ENOMEM;
	return r;
}

int vm_audio_check_driver(const char *qemu, const char *driver, char **ret_why)
{
	char *argv[] = {(char *)qemu, (char *)"-audiodev", (char *)"help", NULL};
	_cleanup_free_ char *out = NULL;
	bool listed = false, found = false;
	char *save = NULL;
	int r;

	*ret_why = NULL;
	/* QEMU names the modules it cannot load on stderr: not what is asked here. */
	r = spawn_run(argv, SPAWN_STDIN_NULL | SPAWN_STDERR_NULL, 64 * 1024, &out);
	if (r < 0)
		return r;
	if (r != 0 || !out)
		return -EPROTO;
	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (startswith(l, "Available audio drivers"))
			listed = true;
		else if (listed && streq(l, driver))
			found = true;
	}
	if (!listed)
		return -EPROTO;
	if (found)
		return 1;
	if (asprintf(ret_why,
		     "QEMU ('%s') has no '%s' audio driver ('-audiodev help' does not list "
		     "it)%s",
		     qemu, driver,
		     streq(driver, "pa") ? ": install qemu-system-gui, which has Debian's "
					   "PulseAudio driver (audio-pa.so)"
					 : "") < 0)
		return -ENOMEM;
	return 0;
}

int vm_audio_plan_findings(struct path_cxt *pc, const struct config *c, char ***warnings,
			   char ***notes)
{
	int r;

	for (size_t i = 0; i < c->n_vms; i++) {
		const struct vm_config *vm = c->vms[i];
		const struct vm_options *o = vm_options(vm);
		_cleanup_free_ char *dir = NULL, *why = NULL, *s = NULL;
		const char *name = vm_audio_user(o);

		if (!vm_audio_is_host(o))
			continue;
		r = vm_audio_runtime_dir(pc, o, &dir, &why);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			if (asprintf(&s, "VM '%s' will not start: %s", vm->name,
				     why ? why : strerror(-r)) < 0)
				return -ENOMEM;
			r = strv_consume(warnings, TAKE_PTR(s));
			if (r < 0)
				return r;
			continue;
		}
		/* The socket itself exists only while the user is logged in: vm run checks it. */
		if (asprintf(&s,
			     "VM '%s': its sound card plays on %s's sound server (%s/" PULSE_DIR
			     "/" PULSE_SOCKET ", QEMU's PulseAudio driver from qemu-system-gui); "
			     "vm run checks that QEMU's user can reach it%s",
			     vm->name, name, dir,
			     o->user && streq(o->user, name) ? ""
							     : " (docs/vm.md, \"Host audio\")") < 0)
			return -ENOMEM;
		r = strv_consume(notes, TAKE_PTR(s));
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * audio = pipewire|pulseaudio (vm-audio.h): the same card on libvirt's PulseAudio backend,
 * the audio user's socket as its server. libvirt runs QEMU as its own user: that user
 * needs the access to the socket docs/vm.md ("Host audio") describes.
 */
static void audio_export(struct xml_writer *w, const struct qemu_cmd_input *in)
{
	if (!vm_audio_is_host(vm_options(in->vm)))
		return;
	if (!in->audio_runtime_dir) {
		w->err = w->err ?: -EINVAL;
		return;
	}
	xml_begin(w, "sound");
	xml_attr(w, "model", "ich9");
	xml_begin(w, "codec");
	xml_attr(w, "type", "duplex");
	xml_end(w);
	xml_begin(w, "audio");
	xml_attr(w, "id", "1");
	xml_end(w);
	xml_end(w);
	xml_begin(w, "audio");
	xml_attr(w, "id", "1");
	xml_attr(w, "type", "pulseaudio");
	xml_attrf(w, "serverName", "unix:%s/pulse/native", in->audio_runtime_dir);
	xml_end(w);
}

static int audio_check(const struct config *c, const struct config_section *s, struct vm_options *o,
		       char **ret_error)
{
	(void)s;
	return vm_audio_check_config(c, o, ret_error);
}

static void audio_free(struct vm_options *o)
{
	free(o->audio_user);
	o->audio_user = NULL;
}

const struct feature_ops feature_audio = {
    .name = "audio",
    .what = "sound servers",
    .vm_parse_key = vm_audio_parse_key,
    .vm_check = audio_check,
    .vm_free = audio_free,
    .qemu_args = vm_audio_qemu_args,
    .plan_findings = vm_audio_plan_findings,
    .export_libvirt = audio_export,
};
