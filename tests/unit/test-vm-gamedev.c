/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gaming keys (vm-gamedev.h) and their host side (vm-shm.h) on a private root tree: the
 * Looking Glass size formula, the shared-memory file vm run makes (created whole, kept,
 * repaired, and refused when it is a symlink, someone else's or not a file), and which
 * input and USB devices are there.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "conf/config.h"
#include "basic/path.h"
#include "vm/qemucmd.h"
#include "basic/strv-util.h"
#include "features/gaming.h"
#include "features/gaming-host.h"
#include "tap.h"

#define MIB (UINT64_C(1) << 20)

static char root[] = "/tmp/gpt-bootcfg-unit-gaming.XXXXXX";

static void put(const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "we");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Run FMT with its two %s: the root, then arg. */
static void sh(const char *fmt, const char *arg)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), fmt, root, arg);
	if (system(cmd) != 0)
		printf("# command failed: %s\n", cmd);
}

static int count_entries(const char *rel)
{
	char p[512];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	d = opendir(p);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += !streq(de->d_name, ".") && !streq(de->d_name, "..");
	closedir(d);
	return n;
}

/* A [vm win10] section from text; NULL (and the error printed) when it does not parse. */
static struct config *load(const char *vm_lines)
{
	struct config *c = NULL;
	char *err = NULL, *text = NULL;

	if (asprintf(&text, "[vm win10]\nmemory = 1G\n%s", vm_lines) < 0)
		return NULL;
	if (config_parse_string("/etc/gpt-bootcfg/gpt-bootcfg.conf", text, strlen(text), &c, &err) <
	    0) {
		printf("# %s\n", err ? err : "parse failed");
		c = NULL;
	}
	free(err);
	free(text);
	return c;
}

static void test_size_formula(void)
{
	/* width x height x 4 x 2 + 10 MiB, rounded up to a power of two */
	is_int(vm_lg_size_for(1920, 1080), 32 * MIB, "1920x1080 -> 32 MiB");
	is_int(vm_lg_size_for(2560, 1440), 64 * MIB, "2560x1440 -> 64 MiB");
	is_int(vm_lg_size_for(3840, 2160), 128 * MIB, "3840x2160 -> 128 MiB");
	is_int(vm_lg_size_for(1, 1), 16 * MIB, "1x1 -> 16 MiB (the 10 MiB alone)");
	is_int(vm_lg_size_for(8192, 8192), 1024 * MIB, "8192x8192 -> 1 GiB");
	/* 1024 x 768 x 8 = 6 MiB exactly, + 10 = 16 MiB: a power of two stays as it is. */
	is_int(vm_lg_size_for(1024, 768), 16 * MIB, "1024x768 -> exactly 16 MiB");
}

static void test_parse(void)
{
	struct config *c =
	    load("looking-glass = auto\nlooking-glass-user = alice\n"
		 "resolution = 2560x1440\n"
		 "input = /dev/input/by-id/a-event-kbd /dev/input/by-id/b-event-mouse\n"
		 "usb-devices = 046D:c52b\n");
	const struct vm_gaming *g = c ? vm_gaming(vm_options(c->vms[0])) : NULL;

	if (!ok(g, "gaming keys parse"))
		return;
	is_int(g->lg_size, 64 * MIB, "auto at 2560x1440: 64 MiB");
	is_int(g->n_inputs, 2, "two input devices");
	ok(g->inputs[0].keyboard && !g->inputs[1].keyboard, "-event-kbd is the keyboard");
	is_int(g->inputs[1].col, 38, "column of the second input path");
	is_str(g->grab_toggle, "ctrl-ctrl", "default grab toggle");
	is_int(g->usb[0].vendor, 0x046d, "USB vendor, any case");
	is_int(g->usb[0].product, 0xc52b, "USB product");
	config_free(c);

	c = load("spice = unix\n");
	ok(c && !vm_gaming(vm_options(c->vms[0])), "no gaming keys: no gaming state");
	config_free(c);
}

static struct config *lg_config(const char *size)
{
	char lines[128];

	snprintf(lines, sizeof(lines), "looking-glass = %s\nlooking-glass-user = alice\n", size);
	return load(lines);
}

static void test_lg_file(struct path_cxt *pc)
{
	struct config *c = lg_config("32M"), *c64 = lg_config("64M");
	char p[512], *err = NULL;
	struct vm_lg_info info;
	struct stat st;
	ino_t ino;
	int r, fd;

	if (!ok(c && c64, "configs parse"))
		return;
	snprintf(p, sizeof(p), "%s" VM_LG_SHM_PATH, root);

	r = vm_lg_prepare(pc, c->vms[0], VM_LG_SHM_PATH, 999, &err);
	is_int(r, 0, "missing file: created");
	ok(stat(p, &st) == 0 && st.st_uid == 1234 && st.st_gid == 999 &&
	       (st.st_mode & 07777) == 0660 && (uint64_t)st.st_size == 32 * MIB,
	   "owner alice (1234), QEMU's group (999), 0660, 32 MiB");
	ok(count_entries("dev/shm") == 1, "no temporary file left in /dev/shm");
	ino = st.st_ino;
	is_int(vm_lg_info(pc, c->vms[0], &info), 0, "vm_lg_info");
	ok(info.exists && info.owner_ok && info.size == 32 * MIB && info.mode == 0660,
	   "info: exists, alice's, 32 MiB, 0660");

	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, "frame", 5);
		close(fd);
	}
	(void)!chmod(p, 0644);
	(void)!chown(p, 1234, 5);
	r = vm_lg_prepare(pc, c->vms[0], VM_LG_SHM_PATH, 999, &err);
	is_int(r, 0, "existing file of alice's: used");
	ok(stat(p, &st) == 0 && st.st_ino == ino && st.st_gid == 999 &&
	       (st.st_mode & 07777) == 0660,
	   "same file, group and mode repaired");
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char b[6] = "";

		(void)!read(fd, b, 5);
		is_str(b, "frame", "contents kept");
		close(fd);
	}
	is_int(vm_lg_prepare(pc, c64->vms[0], VM_LG_SHM_PATH, 999, &err), 0, "64M configured");
	ok(stat(p, &st) == 0 && (uint64_t)st.st_size == 64 * MIB, "the file grows to 64 MiB");

	(void)!chown(p, 0, 999);
	r = vm_lg_prepare(pc, c->vms[0], VM_LG_SHM_PATH, 999, &err);
	is_int(r, -EPERM, "someone else's file: refused");
	ok(err && strstr(err, "belongs to uid 0, not to looking-glass-user alice"),
	   "says whose: %s", err ? err : "");
	free(err), err = NULL;
	ok(stat(p, &st) == 0 && st.st_uid == 0 && (uint64_t)st.st_size == 64 * MIB,
	   "and leaves it as it was");

	unlink(p);
	put("victim", "precious");
	(void)!symlink("../../victim", p);
	r = vm_lg_prepare(pc, c->vms[0], VM_LG_SHM_PATH, 999, &err);
	is_int(r, -ELOOP, "a symlink: refused");
	ok(err && strstr(err, "symbolic link"), "says so: %s", err ? err : "");
	free(err), err = NULL;
	snprintf(p + strlen(p) - strlen(VM_LG_SHM_PATH), 64, "/victim");
	ok(stat(p, &st) == 0 && st.st_size == 8 && st.st_uid == 0, "its target untouched");
	snprintf(p, sizeof(p), "%s" VM_LG_SHM_PATH, root);
	unlink(p);

	(void)!mkfifo(p, 0660);
	(void)!chown(p, 1234, 999);
	r = vm_lg_prepare(pc, c->vms[0], VM_LG_SHM_PATH, 999, &err);
	is_int(r, -EINVAL, "a FIFO: refused (and no hang)");
	free(err), err = NULL;
	unlink(p);

	put("etc/passwd", "root:x:0:0::/root:/bin/sh\n");
	r = vm_lg_prepare(pc, c->vms[0], VM_LG_SHM_PATH, 999, &err);
	is_int(r, -ENOENT, "looking-glass-user not in /etc/passwd: refused");
	ok(err && strstr(err, "user 'alice' does not exist"), "says so: %s", err ? err : "");
	free(err), err = NULL;
	ok(access(p, F_OK) < 0, "nothing created");
	put("etc/passwd", "root:x:0:0::/root:/bin/sh\nalice:x:1234:1234::/home/alice:/bin/sh\n");

	/* kvmfr: a device node, not a file. */
	snprintf(p, sizeof(p), "%s" VM_LG_KVMFR_PATH, root);
	put("dev/kvmfr0", "");
	ok(vm_lg_kvmfr(pc), "kvmfr0 found below the root");
	r = vm_lg_prepare(pc, c->vms[0], VM_LG_KVMFR_PATH, 999, &err);
	is_int(r, -ENODEV, "kvmfr0 that is not a character device: refused");
	free(err), err = NULL;
	unlink(p);
	if (ok(mknod(p, S_IFCHR | 0600, makedev(1, 3)) == 0, "a character device for kvmfr0")) {
		is_int(vm_lg_prepare(pc, c->vms[0], VM_LG_KVMFR_PATH, 999, &err), 0,
		       "kvmfr0: used");
		ok(stat(p, &st) == 0 && st.st_uid == 1234 && st.st_gid == 999 &&
		       (st.st_mode & 07777) == 0660,
		   "kvmfr0: alice's, QEMU's group, 0660");
		is_int(vm_lg_info(pc, c->vms[0], &info), 0, "vm_lg_info on kvmfr0");
		is_str(info.path, VM_LG_KVMFR_PATH, "status names kvmfr0");
	}
	unlink(p);
	free(err);
	config_free(c);
	config_free(c64);
}

static void test_presence(struct path_cxt *pc)
{
	struct config *c = load("input = /dev/input/by-id/kbd-event-kbd "
				"/dev/input/by-path/mouse-event-mouse\n"
				"usb-devices = 046d:c52b 1532:0084\n");
	const struct vm_options *o = c ? vm_options(c->vms[0]) : NULL;
	const struct vm_input *gone = NULL;
	const struct vm_usb_id **missing = NULL;
	char **nodes = NULL;
	size_t n = 0;

	if (!ok(o, "config parses"))
		return;
	sh("mkdir -p %s/dev/input/by-id%s", "");
	sh("mkdir -p %s/dev/input/by-path%s", "");
	put("dev/input/event7", "");
	sh("ln -s ../event7 %s/dev/input/by-id/kbd-event-kbd%s", "");
	sh("ln -s ../event9 %s/dev/input/by-path/mouse-event-mouse%s", "");
	is_int(vm_input_missing(pc, o, &gone), 0, "vm_input_missing");
	ok(gone && streq(gone->path, "/dev/input/by-path/mouse-event-mouse"),
	   "a dangling by-path link is missing");
	put("dev/input/event9", "");
	gone = NULL;
	vm_input_missing(pc, o, &gone);
	ok(!gone, "both links resolve below the root: none missing");

	sh("mkdir -p %s/sys/bus/usb/devices/1-2%s", "");
	sh("mkdir -p %s/sys/bus/usb/devices/1-2:1.0%s", "");
	put("sys/bus/usb/devices/1-2/idVendor", "046d\n");
	put("sys/bus/usb/devices/1-2/idProduct", "c52b\n");
	put("sys/bus/usb/devices/1-2/busnum", "1\n");
	put("sys/bus/usb/devices/1-2/devnum", "12\n");
	is_int(vm_usb_missing(pc, o, &missing, &n), 0, "vm_usb_missing");
	ok(n == 1 && missing[0]->vendor == 0x1532 && missing[0]->product == 0x0084,
	   "1532:0084 is missing, 046d:c52b is there");
	free(missing);
	is_int(vm_usb_nodes(pc, o, &nodes), 0, "vm_usb_nodes");
	ok(nodes && nodes[0] && streq(nodes[0], "/dev/bus/usb/001/012") && !nodes[1],
	   "the present device's node: /dev/bus/usb/001/012");
	strv_free(nodes);
	config_free(c);
}

/* Two VMs from text; the error (or "") in *ret_err. */
static struct config *load2(const char *a_lines, const char *b_lines, char **ret_err)
{
	struct config *c = NULL;
	char *err = NULL, *text = NULL;

	if (asprintf(&text,
		     "[vm a]\nmemory = 1G\nlooking-glass = 32M\nlooking-glass-user = alice\n%s"
		     "[vm b]\nmemory = 1G\nlooking-glass = 64M\nlooking-glass-user = alice\n%s",
		     a_lines, b_lines) < 0)
		return NULL;
	if (config_parse_string("/etc/gpt-bootcfg/gpt-bootcfg.conf", text, strlen(text), &c, &err) <
	    0)
		c = NULL;
	*ret_err = err ? err : strdup("");
	free(text);
	return c;
}

static void test_shared(void)
{
	static const struct {
		const char *a, *b, *err; /* err: NULL when accepted */
	} cases[] = {
	    {"", "",
	     ":7:17: looking-glass: VM 'b' would use the same shared memory "
	     "(/dev/shm/looking-glass or /dev/kvmfr0) as VM 'a'"},
	    {"", "looking-glass-file = lg-b\n", NULL},
	    {"looking-glass-file = lg-a\n", "", NULL},
	    {"looking-glass-file = x\n", "looking-glass-file = x\n",
	     ":10:22: looking-glass: VM 'b' would use the same shared memory (/dev/shm/x) as VM "
	     "'a'"},
	    /* The default is kvmfr0 on a host with the module: refused whatever the host. */
	    {"", "looking-glass-file = /dev/kvmfr0\n",
	     ":9:22: looking-glass: VM 'b' would use the same shared memory (/dev/kvmfr0)"},
	    {"looking-glass-file = looking-glass\n", "",
	     ":8:17: looking-glass: VM 'b' would use the same shared memory "
	     "(/dev/shm/looking-glass)"},
	    {"looking-glass-file = /dev/kvmfr1\n", "looking-glass-file = /dev/kvmfr2\n", NULL},
	    {"", "looking-glass-file = .hidden\n", ":9:22: looking-glass-file: '.hidden' is not"},
	    {"", "looking-glass-file = a/b\n", ":9:22: looking-glass-file: 'a/b' is not"},
	    {"", "looking-glass-file = a,b\n", ":9:22: looking-glass-file: 'a,b' is not"},
	    {"", "looking-glass-file = /dev/kvmfr\n",
	     ":9:22: looking-glass-file: '/dev/kvmfr' is not a kvmfr"},
	    {"", "looking-glass-file = /dev/kvmfr07\n",
	     ":9:22: looking-glass-file: '/dev/kvmfr07' is not a kvmfr"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *err = NULL;
		struct config *c = load2(cases[i].a, cases[i].b, &err);

		if (cases[i].err)
			ok(!c && err && strstr(err, cases[i].err), "refused (%s): %s", cases[i].err,
			   err ? err : "");
		else
			ok(c != NULL, "accepted: a '%.*s', b '%.*s' (%s)",
			   (int)strcspn(cases[i].a, "\n"), cases[i].a,
			   (int)strcspn(cases[i].b, "\n"), cases[i].b, err ? err : "");
		free(err);
		config_free(c);
	}
}

/* A VM's own file: vm_lg_path() and vm_lg_prepare() make it, not the default one. */
static void test_own_file(struct path_cxt *pc)
{
	struct config *c = load("looking-glass = 32M\nlooking-glass-user = alice\n"
				"looking-glass-file = lg-win10\n");
	const struct vm_gaming *g = c ? vm_gaming(vm_options(c->vms[0])) : NULL;
	char p[512], *err = NULL;
	struct stat st;

	if (!ok(g, "looking-glass-file parses"))
		return;
	is_str(vm_lg_path(g, true), "/dev/shm/lg-win10", "its own file, even with kvmfr0 there");
	snprintf(p, sizeof(p), "%s/dev/shm/lg-win10", root);
	is_int(vm_lg_prepare(pc, c->vms[0], vm_lg_path(g, false), 999, &err), 0, "prepared");
	ok(stat(p, &st) == 0 && st.st_size == (off_t)(32 * MIB) && st.st_uid == 1234,
	   "/dev/shm/lg-win10: 32 MiB, alice's");
	unlink(p);
	free(err);
	config_free(c);
}

static void test_kvmfr_size(struct path_cxt *pc)
{
	struct config *c = load("looking-glass = 64M\nlooking-glass-user = alice\n"
				"looking-glass-file = /dev/kvmfr1\n");
	char *why = NULL;

	if (!ok(c, "looking-glass-file = /dev/kvmfr1 parses"))
		return;
	is_int(vm_lg_kvmfr_check(pc, c->vms[0], VM_LG_SHM_PATH, &why), 0, "/dev/shm: no check");
	is_int(vm_lg_kvmfr_check(pc, c->vms[0], "/dev/kvmfr1", &why), -ENOENT,
	       "module not loaded: refused");
	ok(why && strstr(why, "static_size_mb=64'"), "says what to set: %s", why ? why : "");
	free(why), why = NULL;

	sh("mkdir -p %s/sys/module/kvmfr/parameters%s", "");
	put("sys/module/kvmfr/parameters/static_size_mb", "128,32\n");
	is_int(vm_lg_kvmfr_check(pc, c->vms[0], "/dev/kvmfr1", &why), -ENOSPC,
	       "kvmfr1 of 32 MiB for 64M: refused");
	is_str(why,
	       "/dev/kvmfr1 is 32 MiB (kvmfr static_size_mb), smaller than looking-glass's 64 MiB; "
	       "set 'options kvmfr static_size_mb=128,64' in /etc/modprobe.d/ and reload the kvmfr "
	       "module (or reboot)",
	       "names both sizes and the fix, kvmfr0's size kept");
	free(why), why = NULL;
	is_int(vm_lg_kvmfr_check(pc, c->vms[0], "/dev/kvmfr0", &why), 0,
	       "kvmfr0 of 128 MiB: enough");
	ok(!why, "no message when it fits");
	is_int(vm_lg_kvmfr_check(pc, c->vms[0], "/dev/kvmfr3", &why), -ENOSPC,
	       "kvmfr3: no entry, refused");
	ok(why && strstr(why, "static_size_mb=128,32,0,64'") && strstr(why, "(2 devices)"),
	   "the fix adds the entries up to it: %s", why ? why : "");
	free(why), why = NULL;
	put("sys/module/kvmfr/parameters/static_size_mb", "64\n");
	is_int(vm_lg_kvmfr_check(pc, c->vms[0], "/dev/kvmfr0", &why), 0, "exactly 64 MiB: enough");
	put("sys/module/kvmfr/parameters/static_size_mb", "junk\n");
	is_int(vm_lg_kvmfr_check(pc, c->vms[0], "/dev/kvmfr0", &why), -ENOSPC,
	       "an entry that is no number: refused, not taken as big enough");
	free(why);
	sh("rm -rf %s/sys%s", "");
	config_free(c);
}

int main(void)
{
	struct path_cxt *pc = NULL;

	if (!mkdtemp(root) || path_cxt_new(root, &pc) < 0) {
		ok(0, "private root");
		return done_testing();
	}
	sh("mkdir -p %s/dev/shm%s", "");
	sh("mkdir -p %s/etc%s", "");
	sh("chmod 1777 %s/dev/shm%s", "");
	put("etc/passwd", "root:x:0:0::/root:/bin/sh\nalice:x:1234:1234::/home/alice:/bin/sh\n");

	test_size_formula();
	test_parse();
	test_lg_file(pc);
	test_presence(pc);
	test_shared();
	test_own_file(pc);
	test_kvmfr_size(pc);

	path_cxt_free(pc);
	sh("rm -rf %s%s", "");
	return done_testing();
}
