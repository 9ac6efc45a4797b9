/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fakesysfs.so (tests only, LD_PRELOAD): the kernel's side of the PCI driver control files
 * in a fixture tree, so that "apply --now" and "revert --now" can be tested under --root.
 * In a fixture, sysfs files are plain files and a write changes nothing else; with this
 * library, a write that lands below $FAKESYSFS_ROOT (after the real write) does what the
 * kernel does:
 *
 *   .../drivers/X/unbind  ADDR  the device's driver link is removed (its driver is
 *                               remembered as the one drivers_probe picks later,
 *                               unless X is vfio-pci)
 *   .../drivers/X/bind    ADDR  linked to X when it has no driver
 *   .../drivers_probe     ADDR  linked to the driver_override driver if set, else to the
 *                               remembered one (.fakesysfs/host-ADDR), when that driver
 *                               directory exists
 *
 * Failures to simulate: ROOT/.fakesysfs/fail-ADDR-DRIVER makes binding DRIVER fail (the
 * device stays on no driver, as when a probe fails). Everything is synchronous in the
 * write, as PCI probing is, so the tests have no timing.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static ssize_t (*real_write)(int, const void *, size_t);

static int read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static void write_small(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return;
	(void)!real_write(fd, s, strlen(s));
	close(fd);
}

/* ROOT/sys/bus/pci/devices/ADDR resolved: the device's real directory. */
static int device_dir(const char *root, const char *addr, char *buf)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/%s", root, addr);
	return realpath(p, buf) ? 0 : -1;
}

static void current_driver(const char *dev, char *buf, size_t size)
{
	char p[PATH_MAX], t[PATH_MAX];
	ssize_t n;

	buf[0] = '\0';
	snprintf(p, sizeof(p), "%s/driver", dev);
	n = readlink(p, t, sizeof(t) - 1);
	if (n <= 0)
		return;
	t[n] = '\0';
	snprintf(buf, size, "%s", strrchr(t, '/') ? strrchr(t, '/') + 1 : t);
}

static void bind(const char *root, const char *addr, const char *dev, const char *drv)
{
	char p[PATH_MAX], target[PATH_MAX] = "", sys[PATH_MAX];
	struct stat st;
	const char *rel;

	snprintf(p, sizeof(p), "%s/sys/bus/pci/drivers/%s", root, drv);
	if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	snprintf(p, sizeof(p), "%s/.fakesysfs/fail-%s-%s", root, addr, drv);
	if (access(p, F_OK) == 0)
		return;
	/* A link relative to the device directory, as sysfs has them: up to /sys, then down. */
	snprintf(sys, sizeof(sys), "%s/sys/", root);
	if (!realpath(sys, p))
		return;
	rel = dev + strlen(p);
	for (const char *c = rel; *c; c++)
		if (*c == '/' || c == rel)
			strncat(target, "../", sizeof(target) - strlen(target) - 1);
	strncat(target, "bus/pci/drivers/", sizeof(target) - strlen(target) - 1);
	strncat(target, drv, sizeof(target) - strlen(target) - 1);
	snprintf(p, sizeof(p), "%s/driver", dev);
	(void)!symlink(target, p);
}

static void react(const char *root, const char *path, const char *addr)
{
	char dev[PATH_MAX], drv[256], p[PATH_MAX], ovr[256];
	const char *rel = path + strlen(root), *x;

	if (device_dir(root, addr, dev) < 0)
		return;
	current_driver(dev, drv, sizeof(drv));
	snprintf(p, sizeof(p), "%s/.fakesysfs", root);
	mkdir(p, 0755);

	if (strcmp(rel, "/sys/bus/pci/drivers_probe") == 0) {
		if (drv[0])
			return;
		snprintf(p, sizeof(p), "%s/driver_override", dev);
		if (read_small(p, ovr, sizeof(ovr)) == 0 && ovr[0] && strcmp(ovr, "(null)") != 0) {
			bind(root, addr, dev, ovr);
			return;
		}
		snprintf(p, sizeof(p), "%s/.fakesysfs/host-%s", root, addr);
		if (read_small(p, ovr, sizeof(ovr)) == 0 && ovr[0])
			bind(root, addr, dev, ovr);
		return;
	}
	if (!(x = strstr(rel, "/sys/bus/pci/drivers/")) || x != rel)
		return;
	x += strlen("/sys/bus/pci/drivers/");
	if (strlen(x) > 7 && strcmp(x + strlen(x) - 7, "/unbind") == 0) {
		if (!drv[0] || strncmp(x, drv, strlen(drv)) != 0 || x[strlen(drv)] != '/')
			return;
		if (strcmp(drv, "vfio-pci") != 0) {
			snprintf(p, sizeof(p), "%s/.fakesysfs/host-%s", root, addr);
			write_small(p, drv);
		}
		snprintf(p, sizeof(p), "%s/driver", dev);
		unlink(p);
	} else if (strlen(x) > 5 && strcmp(x + strlen(x) - 5, "/bind") == 0 && !drv[0]) {
		snprintf(ovr, sizeof(ovr), "%.*s", (int)(strlen(x) - 5), x);
		bind(root, addr, dev, ovr);
	}
}

ssize_t write(int fd, const void *buf, size_t count)
{
	char link[64], path[PATH_MAX], addr[64], rroot[PATH_MAX];
	const char *root = getenv("FAKESYSFS_ROOT");
	ssize_t n, l;

	if (!real_write)
		real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	n = real_write(fd, buf, count);
	if (n <= 0 || !root || !realpath(root, rroot))
		return n;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	l = readlink(link, path, sizeof(path) - 1);
	if (l <= 0)
		return n;
	path[l] = '\0';
	if (strncmp(path, rroot, strlen(rroot)) != 0 || path[strlen(rroot)] != '/')
		return n;
	snprintf(addr, sizeof(addr), "%.*s", (int)(count < 63 ? count : 63), (const char *)buf);
	addr[strcspn(addr, "\n")] = '\0';
	react(rroot, path, addr);
	return n;
}
