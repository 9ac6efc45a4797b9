/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The JSON reader and the QMP client: valid and broken documents, a scripted QEMU on a
 * unix socket (greeting, capabilities, events between replies, errors, EOF), and a
 * deterministic mutation run that must neither crash nor leak under ASan.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "basic/qmp.h"
#include "basic/sdnotify.h"
#include "tap.h"

static int parses(const char *s)
{
	struct json_value *v = NULL;
	int r = json_parse(s, strlen(s), &v);

	json_value_free(v);
	return r;
}

static void test_json(void)
{
	struct json_value *v = NULL;
	int64_t i = 0;

	const char *reply = "{\"return\": [{\"cpu-index\": 0, \"thread-id\": 4242, \"x\": -1.5e3}]}";

	is_int(json_parse(reply, strlen(reply), &v), 0, "QMP reply parses");
	ok(v && v->type == JSON_OBJECT, "object");
	{
		const struct json_value *a = json_get(v, "return");

		ok(a && a->type == JSON_ARRAY && a->n == 1, "array of one");
		ok(json_get_int(&a->items[0], "thread-id", &i) && i == 4242, "thread-id");
		ok(!json_get_int(&a->items[0], "x", &i), "fraction is not an integer");
		ok(json_get(&a->items[0], "x")->number == -1500.0, "number value");
		ok(!json_get_string(&a->items[0], "cpu-index"), "type checked lookups");
	}
	json_value_free(v);
	reply = "\"a\\u00e9\\ud83d\\ude00\\n\"";
	is_int(json_parse(reply, strlen(reply), &v), 0, "escapes");
	is_str(v->string, "a\xc3\xa9\xf0\x9f\x98\x80\n", "UTF-8 out of escapes and surrogates");
	json_value_free(v);

	is_int(parses(" true "), 0, "literal");
	is_int(parses("[]"), 0, "empty array");
	is_int(parses("{}"), 0, "empty object");
	is_int(parses("9223372036854775807"), 0, "int64 max");
	is_int(parses(""), -EBADMSG, "empty input");
	is_int(parses("{"), -EBADMSG, "unterminated object");
	is_int(parses("[1,]"), -EBADMSG, "trailing comma");
	is_int(parses("{\"a\" 1}"), -EBADMSG, "missing colon");
	is_int(parses("\"\\u0000\""), -EBADMSG, "NUL escape refused");
	is_int(parses("\"\\ud800\""), -EBADMSG, "lone surrogate refused");
	is_int(parses("\"a\nb\""), -EBADMSG, "raw control character refused");
	is_int(parses("01"), -EBADMSG, "leading zero");
	is_int(parses("1 2"), -EBADMSG, "trailing garbage");
	is_int(parses("tru"), -EBADMSG, "short literal");
	is_int(parses("-"), -EBADMSG, "lone minus");
	is_int(parses("1."), -EBADMSG, "no fraction digits");
	{
		char deep[200];

		memset(deep, '[', 100);
		memset(deep + 100, ']', 100);
		is_int(json_parse(deep, 200, &v), -EBADMSG, "nesting beyond the limit refused");
		is_int(json_parse(deep + 100 - JSON_PARSE_MAX_DEPTH, 2 * JSON_PARSE_MAX_DEPTH, &v),
		       0, "nesting at the limit accepted");
		json_value_free(v);
	}
}

static void test_framing(void)
{
	struct qmp *q = qmp_new_for_test();
	struct json_value *v = NULL;

	is_int(qmp_feed_for_test(q, "{\"a\":", 5, &v), 0, "partial line: nothing yet");
	is_int(qmp_feed_for_test(q, "1}\r\n{\"b\":2}\r\n", 14, &v), 1, "line completed");
	ok(json_get(v, "a") != NULL, "first message");
	json_value_free(v);
	is_int(qmp_feed_for_test(q, "", 0, &v), 1, "second message buffered");
	ok(json_get(v, "b") != NULL, "second message");
	json_value_free(v);
	is_int(qmp_feed_for_test(q, "[1]\n", 4, &v), -EBADMSG, "non-object refused");
	is_int(qmp_feed_for_test(q, "{bad\n", 5, &v), -EBADMSG, "malformed refused");
	qmp_close(q);
}

/* A scripted QEMU: reads one line per step and answers. */
static void fake_qemu(int lfd)
{
	static const char *const replies[] = {
		/* qmp_capabilities */
		"{\"return\": {}}\r\n",
		/* query-cpus-fast: an event first, then the reply */
		"{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"RESUME\"}\r\n"
		"{\"return\": [{\"cpu-index\": 0, \"thread-id\": 111}, {\"cpu-index\": 1, "
		"\"thread-id\": 112}], \"id\": 2}\r\n",
		/* bogus-command */
		"{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command bogus has "
		"not been found\"}, \"id\": 3}\r\n",
		/* system_powerdown: then close as QEMU does when the guest is off */
		"{\"return\": {}, \"id\": 4}\r\n{\"event\": \"POWERDOWN\"}\r\n"
		"{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true}}\r\n",
	};
	int fd = accept(lfd, NULL, NULL);
	FILE *f;
	char line[4096];

	if (fd < 0)
		_exit(1);
	dprintf(fd, "{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7}}, \"capabilities\": []}}\r\n");
	f = fdopen(dup(fd), "r");
	for (size_t i = 0; i < ARRAY_SIZE(replies); i++) {
		if (!fgets(line, sizeof(line), f))
			_exit(2);
		if (write(fd, replies[i], strlen(replies[i])) < 0)
			_exit(3);
	}
	_exit(0);
}

static void test_client(void)
{
	char dir[] = "/tmp/test-qmp.XXXXXX", path[128];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct json_value *v = NULL;
	struct qmp *q = NULL;
	int lfd, status = -1;
	int64_t tid = 0;
	pid_t pid;

	ok(mkdtemp(dir) != NULL, "temp dir");
	snprintf(path, sizeof(path), "%s/vm.qmp", dir);
	is_int(qmp_connect(path, 1000, &q), -ENOENT, "no socket: -ENOENT");

	strcpy(sa.sun_path, path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ok(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(lfd, 1) == 0, "listen");
	pid = fork();
	if (pid == 0)
		fake_qemu(lfd);
	close(lfd);

	is_int(qmp_connect(path, 5000, &q), 0, "greeting and capabilities");
	is_int(qmp_execute(q, "query-cpus-fast", NULL, 5000, &v), 0, "query-cpus-fast");
	ok(v && v->type == JSON_ARRAY && v->n == 2, "two vCPUs");
	ok(v && json_get_int(&v->items[1], "thread-id", &tid) && tid == 112, "thread id of vCPU 1");
	json_value_free(v);
	ok(qmp_saw_event(q, "RESUME"), "event in between remembered");
	is_int(qmp_execute(q, "bogus", "{\"x\": 1}", 5000, NULL), -EREMOTEIO, "error reply");
	is_str(qmp_error(q), "The command bogus has not been found", "error description");
	is_int(qmp_execute(q, "system_powerdown", NULL, 5000, NULL), 0, "powerdown");
	is_int(qmp_wait_close(q, 5000), 0, "connection closed when QEMU exits");
	ok(qmp_saw_event(q, "SHUTDOWN"), "SHUTDOWN seen");
	is_int(qmp_execute(q, "query-status", NULL, 1000, NULL), -ECONNRESET, "closed: ECONNRESET");
	qmp_close(q);
	waitpid(pid, &status, 0);
	is_int(status, 0, "fake QEMU saw every command");
	unlink(path);
	rmdir(dir);
}

/* A QEMU that greets and answers qmp_capabilities on the listening socket it inherited. */
static void greeting_qemu(int lfd)
{
	char line[512];
	int fd = accept(lfd, NULL, NULL);
	FILE *f;

	if (fd < 0)
		_exit(1);
	dprintf(fd, "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n");
	f = fdopen(fd, "r");
	if (!f || !fgets(line, sizeof(line), f) || !strstr(line, "qmp_capabilities"))
		_exit(2);
	dprintf(fd, "{\"return\": {}, \"id\": 1}\r\n");
	/* Until the client closes. */
	while (fgets(line, sizeof(line), f))
		;
	_exit(0);
}

/*
 * qmp_listen() and qmp_connect_watch(), as vm run uses them: the socket is there before
 * QEMU, replaces a stale one atomically, and the wait for the greeting ends when a
 * watched descriptor (QEMU's pidfd, the stop signals) fires or QEMU goes away. No result
 * depends on timing: every wait has a generous bound that only a hang would reach.
 */
static void test_listen(void)
{
	char dir[] = "/tmp/test-qmp-listen.XXXXXX", path[128], longp[200];
	struct qmp *q = NULL;
	struct stat st, old;
	int lfd = -1, pfd[2], watch[5] = {-1, -1, -1, -1, -1};
	int status = -1, fd;
	pid_t pid;

	ok(mkdtemp(dir) != NULL, "temp dir");
	snprintf(path, sizeof(path), "%s/vm.qmp", dir);
	/* A stale node of a killed QEMU. */
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	close(fd);
	stat(path, &old);

	is_int(qmp_listen(path, &lfd), 0, "listen");
	ok(S_ISREG(old.st_mode), "a stale regular file was there");
	ok(stat(path, &st) == 0 && S_ISSOCK(st.st_mode), "replaced by a socket at the path");
	is_int((int)(st.st_mode & 0777), 0600, "owner only");
	{
		struct sockaddr_un sa;
		socklen_t l = sizeof(sa);

		ok(getsockname(lfd, (struct sockaddr *)&sa, &l) == 0 && streq(sa.sun_path, path),
		   "bound at the path itself (the name QEMU reports and removes)");
	}
	ok(fcntl(lfd, F_GETFD) & FD_CLOEXEC, "close-on-exec");

	/* Connected while nobody accepts yet; the greeting comes when "QEMU" starts. */
	pid = fork();
	if (pid == 0)
		greeting_qemu(lfd);
	close(lfd);
	is_int(qmp_connect_watch(path, 60000, watch, 2, &q), 0, "greeting and capabilities");
	qmp_close(q);
	q = NULL;
	waitpid(pid, &status, 0);
	is_int(status, 0, "the inheriting process served the connection");

	/* A QEMU that holds the socket but never greets: a watched descriptor ends the wait. */
	unlink(path);
	is_int(qmp_listen(path, &lfd), 0, "listen again");
	ok(pipe(pfd) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		char c;

		close(pfd[1]);
		/* Holds lfd until the pipe closes, greets never. */
		(void)!read(pfd[0], &c, 1);
		_exit(0);
	}
	/* As vm run does: QEMU's is the only copy of the listener. */
	close(lfd);
	close(pfd[0]);
	{
		int sig[2];

		ok(pipe(sig) == 0, "pipe for the watched descriptor");
		watch[0] = -1;
		watch[1] = sig[0];
		ok(write(sig[1], "x", 1) == 1, "the watched descriptor fires");
		is_int(qmp_connect_watch(path, 60000, watch, 2, &q), -ECANCELED,
		       "watched descriptor readable: -ECANCELED, no greeting waited for");
		ok(q == NULL, "nothing returned");
		close(sig[0]);
		close(sig[1]);
		watch[1] = -1;
	}
	/* Still silent, and then gone: the queued connection is reset. */
	close(pfd[1]);
	waitpid(pid, &status, 0);
	is_int(qmp_connect_watch(path, 60000, watch, 2, &q), -ECONNREFUSED,
	       "the only holder of the socket exited before: refused");

	/*
	 * A QEMU that exits during its start-up, after the connection was queued: the
	 * listener sees the queued connection (readable), and exits without accepting it.
	 */
	unlink(path);
	is_int(qmp_listen(path, &lfd), 0, "listen a third time");
	pid = fork();
	if (pid == 0) {
		struct pollfd p = {.fd = lfd, .events = POLLIN};

		_exit(poll(&p, 1, 60000) == 1 ? 1 : 2);
	}
	close(lfd);
	is_int(qmp_connect_watch(path, 60000, watch, 2, &q), -ECONNRESET,
	       "the holder exited with the connection queued: -ECONNRESET, no hang");
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 1, "it exited after the connect");

	is_int(qmp_connect_watch(path, 1000, watch, 5, &q), -EINVAL, "too many watched: -EINVAL");
	memset(longp, 'x', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	longp[0] = '/';
	is_int(qmp_listen(longp, &lfd), -ENAMETOOLONG, "path too long for a socket address");
	unlink(path);
	rmdir(dir);
}

/* Deterministic mutations of real QMP traffic: must not crash, hang or leak. */
static void test_mutations(void)
{
	static const char *const seeds[] = {
		"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}}, "
		"\"capabilities\": [\"oob\"]}}\r\n",
		"{\"return\": [{\"thread-id\": 4711, \"props\": {\"core-id\": 0, \"thread-id\": 0, "
		"\"socket-id\": 0}, \"qom-path\": \"/machine/unattached/device[0]\", \"cpu-index\": "
		"0, \"target\": \"x86_64\"}]}\r\n",
		"{\"error\": {\"class\": \"GenericError\", \"desc\": \"x\\u00e9\\\"\"}}\r\n",
	};
	unsigned long long x = 88172645463325252ULL;
	unsigned survived = 0;

	for (unsigned it = 0; it < 20000; it++) {
		const char *s = seeds[it % ARRAY_SIZE(seeds)];
		size_t l = strlen(s);
		char buf[512];
		struct qmp *q = qmp_new_for_test();
		struct json_value *v = NULL;
		int r;

		memcpy(buf, s, l);
		for (int m = 0; m < 1 + (int)(it % 4); m++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[x % l] = (char)(x >> 32);
		}
		r = qmp_feed_for_test(q, buf, l, &v);
		while (r > 0) {
			json_value_free(v);
			v = NULL;
			r = qmp_feed_for_test(q, "", 0, &v);
		}
		json_value_free(v);
		qmp_close(q);
		survived++;
	}
	is_int(survived, 20000, "20000 mutated messages handled");
}

static void test_sdnotify(void)
{
	char dir[] = "/tmp/test-notify.XXXXXX", path[128], buf[64] = "";
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;
	ssize_t n;

	unsetenv("NOTIFY_SOCKET");
	is_int(sd_notify_send("READY=1"), 0, "no NOTIFY_SOCKET: nothing sent");
	setenv("NOTIFY_SOCKET", "relative", 1);
	is_int(sd_notify_send("READY=1"), -EINVAL, "relative socket refused");
	ok(mkdtemp(dir) != NULL, "temp dir");
	snprintf(path, sizeof(path), "%s/notify", dir);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	ok(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind");
	setenv("NOTIFY_SOCKET", path, 1);
	is_int(sd_notify_send("READY=1\nSTATUS=pinned"), 1, "sent");
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	ok(n > 0, "received");
	is_str(buf, "READY=1\nSTATUS=pinned", "datagram contents");
	close(fd);
	unlink(path);
	rmdir(dir);
	unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_json();
	test_framing();
	test_client();
	test_listen();
	test_mutations();
	test_sdnotify();
	return done_testing();
}
