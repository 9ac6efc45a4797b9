/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qmp-query SOCKET COMMAND...: a tiny QMP client for the boot tests (the guest's busybox nc
 * cannot speak to unix sockets). Negotiates capabilities, runs each COMMAND ("query-pci", or
 * a name, a space and its arguments as a JSON object: 'qom-get {"path":...}') in turn and
 * prints one JSON line per command on stdout:
 *   {"command":"query-pci","reply":{"return":[...]}}
 *   {"command":"qom-get","arguments":{"path":...},"reply":{"return":true}}
 * QMP serves one client at a time, so the connection is closed at once; QEMU keeps running
 * unless "quit" is one of the commands. A silent QEMU (another client holds the monitor, or
 * it hangs) fails after 20 s instead of blocking the boot.
 * Exit: 0 every answer printed, 1 connection or protocol failure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 20];
static size_t len;

/* Next "\n"-terminated line into line (NUL-terminated, \r stripped); 0 or -1. */
static int read_line(int fd, char **line)
{
	static size_t consumed;

	if (consumed) {
		memmove(buf, buf + consumed, len - consumed);
		len -= consumed;
		consumed = 0;
	}
	for (;;) {
		char *nl = memchr(buf, '\n', len);
		ssize_t n;

		if (nl) {
			*nl = '\0';
			if (nl > buf && nl[-1] == '\r')
				nl[-1] = '\0';
			consumed = (size_t)(nl - buf) + 1;
			*line = buf;
			return 0;
		}
		if (len >= sizeof(buf) - 1)
			return -1;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
	}
}

/* Send a command (args: a JSON object or NULL) and return its answer line, skipping
 * asynchronous events. */
static int command(int fd, const char *cmd, const char *args, char **answer)
{
	char out[1280];
	int n = args ? snprintf(out, sizeof(out), "{\"execute\":\"%s\",\"arguments\":%s}\n", cmd, args)
		     : snprintf(out, sizeof(out), "{\"execute\":\"%s\"}\n", cmd);

	*answer = NULL;
	if (n < 0 || (size_t)n >= sizeof(out) || write(fd, out, (size_t)n) != n)
		return -1;
	for (;;) {
		char *l;

		if (read_line(fd, &l) < 0)
			return -1;
		if (strstr(l, "\"event\""))
			continue;
		*answer = l;
		return strstr(l, "\"return\"") ? 0 : -1;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 20 };
	char *l;
	int fd;

	if (argc < 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: qmp-query SOCKET COMMAND...\n");
		return 1;
	}
	memcpy(sa.sun_path, argv[1], strlen(argv[1]) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return perror("socket"), 1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return perror("setsockopt"), 1;
	/* QEMU creates the socket a moment after it starts: retry for up to 60 s. */
	for (int i = 0; connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0; i++) {
		if (i >= 600) {
			fprintf(stderr, "qmp-query: connect %s: %s\n", argv[1], strerror(errno));
			return 1;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	}
	if (read_line(fd, &l) < 0 || !strstr(l, "\"QMP\"")) {
		fprintf(stderr, "qmp-query: no QMP greeting\n");
		return 1;
	}
	if (command(fd, "qmp_capabilities", NULL, &l) < 0) {
		fprintf(stderr, "qmp-query: qmp_capabilities failed\n");
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		char *args = strchr(argv[i], ' ');

		/* The arguments go to QEMU as they are: QMP itself rejects bad JSON. */
		if (args)
			*args++ = '\0';
		if (strlen(argv[i]) > 200 || strpbrk(argv[i], "\"\\") ||
		    (args && (args[0] != '{' || strlen(args) > 1024))) {
			fprintf(stderr, "qmp-query: bad command '%s'\n", argv[i]);
			return 1;
		}
		if (command(fd, argv[i], args, &l) < 0) {
			fprintf(stderr, "qmp-query: %s failed: %s\n", argv[i], l ? l : "(no reply)");
			return 1;
		}
		if (args)
			printf("{\"command\":\"%s\",\"arguments\":%s,\"reply\":%s}\n", argv[i], args, l);
		else
			printf("{\"command\":\"%s\",\"reply\":%s}\n", argv[i], l);
		fflush(stdout);
	}
	close(fd);
	return 0;
}
