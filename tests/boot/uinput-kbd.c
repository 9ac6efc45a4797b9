/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * uinput-kbd: a virtual keyboard for the boot tests' "input" scenario (run in the guest only:
 * on the test machine it would be an input device of the machine itself).
 *   uinput-kbd create       create a uinput keyboard, print its event node ("/dev/input/event2")
 *                           and keep it until stdin closes or SIGTERM/SIGINT/SIGHUP; then
 *                           destroy it, say "uinput-kbd: destroyed" on stderr and exit 0.
 *   uinput-kbd grab NODE    try EVIOCGRAB on NODE: prints "grab ok" (released again at once,
 *                           exit 0) or "grab EBUSY" (another process holds the grab, exit 1).
 *   uinput-kbd held PID NODE  whether process PID has NODE's character device open: prints
 *                           "held" (exit 0) or "not held" (exit 1).
 * Other failures print the reason and exit 2.
 * The ioctl numbers and struct uinput_setup are the kernel's ABI (linux/uinput.h, input.h),
 * spelled out here because the static build (musl-gcc) has no kernel headers.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EV_KEY 0x01
#define BUS_VIRTUAL 0x06
#define UINPUT_IOCTL_BASE 'U'
#define UI_DEV_CREATE _IO(UINPUT_IOCTL_BASE, 1)
#define UI_DEV_DESTROY _IO(UINPUT_IOCTL_BASE, 2)
#define UI_DEV_SETUP _IOW(UINPUT_IOCTL_BASE, 3, struct uinput_setup)
#define UI_SET_EVBIT _IOW(UINPUT_IOCTL_BASE, 100, int)
#define UI_SET_KEYBIT _IOW(UINPUT_IOCTL_BASE, 101, int)
#define UI_GET_SYSNAME(len) _IOC(_IOC_READ, UINPUT_IOCTL_BASE, 44, len)
#define EVIOCGRAB _IOW('E', 0x90, int)

/* Read by the kernel through UI_DEV_SETUP, which cppcheck does not see as a use. */
struct input_id {
	// cppcheck-suppress unusedStructMember
	uint16_t bustype, vendor, product, version;
};
struct uinput_setup {
	// cppcheck-suppress unusedStructMember
	struct input_id id;
	char name[80];
	// cppcheck-suppress unusedStructMember
	uint32_t ff_effects_max;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 }, NULL);
}

/* The eventN child of /sys/devices/virtual/input/SYSNAME, once its /dev node exists. */
static int find_node(const char *sysname, char *node, size_t size)
{
	char dir[256];

	snprintf(dir, sizeof(dir), "/sys/devices/virtual/input/%s", sysname);
	for (int i = 0; i < 100; i++) {
		DIR *d = opendir(dir);
		struct dirent *e;
		struct stat st;

		node[0] = '\0';
		while (d && (e = readdir(d)))
			if (!strncmp(e->d_name, "event", 5))
				snprintf(node, size, "/dev/input/%s", e->d_name);
		if (d)
			closedir(d);
		if (node[0] && stat(node, &st) == 0 && S_ISCHR(st.st_mode))
			return 0;
		sleep_ms(100);
	}
	return -1;
}

static int create(void)
{
	struct uinput_setup us = { .id = { BUS_VIRTUAL, 0x1d6b, 0x0104, 1 } };
	struct sigaction sa = { .sa_handler = on_signal };
	char sysname[64] = "", node[300], c;
	int fd;

	/* No SA_RESTART: a signal ends the read of stdin below. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	fd = open("/dev/uinput", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return fprintf(stderr, "uinput-kbd: /dev/uinput: %s\n", strerror(errno)), 2;
	strcpy(us.name, "gpt-bootcfg test keyboard");
	if (ioctl(fd, UI_SET_EVBIT, EV_KEY) < 0)
		return perror("uinput-kbd: UI_SET_EVBIT"), 2;
	/* KEY_ESC (1) .. KEY_F12 (88) and more: enough for QEMU to see a keyboard. */
	for (int key = 1; key < 120; key++)
		if (ioctl(fd, UI_SET_KEYBIT, key) < 0)
			return perror("uinput-kbd: UI_SET_KEYBIT"), 2;
	if (ioctl(fd, UI_DEV_SETUP, &us) < 0 || ioctl(fd, UI_DEV_CREATE) < 0)
		return perror("uinput-kbd: UI_DEV_SETUP/UI_DEV_CREATE"), 2;
	if (ioctl(fd, UI_GET_SYSNAME(sizeof(sysname) - 1), sysname) < 0)
		return perror("uinput-kbd: UI_GET_SYSNAME"), 2;
	if (find_node(sysname, node, sizeof(node)) < 0) {
		fprintf(stderr, "uinput-kbd: no event node for %s\n", sysname);
		ioctl(fd, UI_DEV_DESTROY);
		return 2;
	}
	printf("%s\n", node);
	fflush(stdout);
	while (!stop && read(STDIN_FILENO, &c, 1) > 0)
		;
	if (ioctl(fd, UI_DEV_DESTROY) < 0)
		return perror("uinput-kbd: UI_DEV_DESTROY"), 2;
	close(fd);
	fprintf(stderr, "uinput-kbd: destroyed\n");
	return 0;
}

static int grab(const char *node)
{
	int fd = open(node, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return fprintf(stderr, "uinput-kbd: %s: %s\n", node, strerror(errno)), 2;
	if (ioctl(fd, EVIOCGRAB, 1) < 0) {
		int e = errno;

		if (e == EBUSY)
			return printf("grab EBUSY\n"), 1;
		return fprintf(stderr, "uinput-kbd: EVIOCGRAB %s: %s\n", node, strerror(e)), 2;
	}
	ioctl(fd, EVIOCGRAB, 0);
	close(fd);
	return printf("grab ok\n"), 0;
}

static int held(const char *pid, const char *node)
{
	char dir[64];
	struct stat want, st;
	struct dirent *e;
	DIR *d;
	int found = 0;

	if (stat(node, &want) < 0 || !S_ISCHR(want.st_mode))
		return fprintf(stderr, "uinput-kbd: %s: not a character device\n", node), 2;
	snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
	d = opendir(dir);
	if (!d)
		return fprintf(stderr, "uinput-kbd: %s: %s\n", dir, strerror(errno)), 2;
	while (!found && (e = readdir(d))) {
		found = e->d_name[0] != '.' && fstatat(dirfd(d), e->d_name, &st, 0) == 0 && S_ISCHR(st.st_mode) &&
			st.st_rdev == want.st_rdev;
	}
	closedir(d);
	return printf(found ? "held\n" : "not held\n"), !found;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "create"))
		return create();
	if (argc == 3 && !strcmp(argv[1], "grab"))
		return grab(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "held"))
		return held(argv[2], argv[3]);
	fprintf(stderr, "usage: uinput-kbd create | grab NODE | held PID NODE\n");
	return 2;
}
