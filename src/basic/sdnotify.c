/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "basic/macro.h"
#include "basic/sdnotify.h"

int sd_notify_send(const char *state)
{
	const char *e = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	size_t l, salen;
	ssize_t n;

	if (!e || !*e)
		return 0;
	l = strlen(e);
	if ((e[0] != '/' && e[0] != '@') || l >= sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, e, l);
	/* "@name" is the abstract namespace: a leading NUL and no terminator in the length. */
	if (e[0] == '@')
		sa.sun_path[0] = '\0';
	salen = offsetof(struct sockaddr_un, sun_path) + l + (e[0] == '/' ? 1 : 0);

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return negative_errno();
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   (socklen_t)salen);
	if (n < 0)
		return negative_errno();
	if ((size_t)n != strlen(state))
		return -EIO;
	return 1;
}
