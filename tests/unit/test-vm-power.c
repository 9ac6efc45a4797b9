/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Issue 15 items 4 and 5 at the library level: the [host] keys cpu-governor and max-cstate
 * and the [vm] keys audio and audio-user (values, FILE:LINE:COL errors), the C-state
 * kernel parameters per CPU vendor, the host audio options of the QEMU command, the audio
 * user's PulseAudio cookie below a root and the sealed memfd QEMU reads it from, and the
 * governor of a VM's CPUs set record-first and played back on a sysfs tree below a
 * temporary root, including a write that fails half-way.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/config.h"
#include "basic/fileio.h"
#include "vm/qemucmd.h"
#include "basic/strv-util.h"
#include "tap.h"
#include "features/audio.h"
#include "features/power.h"

#define DEVICES "[device gpu]\naddress = 0000:65:00.0\n"

static struct config *parse_ok(const char *text, const char *what)
{
	struct config *c = NULL;
	char *err = NULL;
	int r = config_parse_string("/etc/t.conf", text, strlen(text), &c, &err);

	if (!is_int(r, 0, "%s: parsed", what))
		printf("#   %s\n", err ? err : "(no message)");
	free(err);
	return c;
}

static void expect_error(const char *text, const char *want, const char *what)
{
	struct config *c = NULL;
	char *err = NULL;
	int r = config_parse_string("/etc/t.conf", text, strlen(text), &c, &err);

	is_int(r, -EINVAL, "%s: rejected", what);
	is_str(err, want, "%s: message", what);
	free(err);
	config_free(c);
}

static void test_host_keys(void)
{
	struct config *c = parse_ok("[host]\ncpu-governor = performance\nmax-cstate = 1\n", "keys");

	if (c) {
		is_str(c->host.cpu_governor, "performance", "cpu-governor");
		ok(c->host.has_max_cstate && c->host.max_cstate == 1, "max-cstate");
		is_int(c->host.cpu_governor_line, 2, "cpu-governor: line kept");
		is_int(c->host.cpu_governor_col, 16, "cpu-governor: column kept");
	}
	config_free(c);
	c = parse_ok("[host]\nisolate-cpus = yes\n", "no power keys");
	if (c)
		ok(!c->host.cpu_governor && !c->host.has_max_cstate, "unset by default");
	config_free(c);

	expect_error("[host]\ncpu-governor = Performance\n",
		     "/etc/t.conf:2:16: cpu-governor: invalid governor name 'Performance' (e.g. "
		     "performance, schedutil, ondemand)",
		     "governor with a capital");
	expect_error("[host]\ncpu-governor = perf ormance\n",
		     "/etc/t.conf:2:16: cpu-governor: invalid governor name 'perf ormance' (e.g. "
		     "performance, schedutil, ondemand)",
		     "governor with a space");
	expect_error("[host]\ncpu-governor = a_governor_name_too_long\n",
		     "/etc/t.conf:2:16: cpu-governor: invalid governor name "
		     "'a_governor_name_too_long' (e.g. performance, schedutil, ondemand)",
		     "governor name beyond CPUFREQ_NAME_LEN");
	expect_error("[host]\nmax-cstate = 10\n",
		     "/etc/t.conf:2:14: max-cstate: expected a C-state from 0 to 9, not '10'",
		     "max-cstate 10");
	expect_error("[host]\nmax-cstate = -1\n",
		     "/etc/t.conf:2:14: max-cstate: expected a C-state from 0 to 9, not '-1'",
		     "max-cstate negative");
	expect_error("[host]\nmax-cstate = C1\n",
		     "/etc/t.conf:2:14: max-cstate: expected a C-state from 0 to 9, not 'C1'",
		     "max-cstate C1");
	expect_error("[host]\ncmdline = quiet processor.max_cstate=1\nmax-cstate = 0\n",
		     "/etc/t.conf:3:14: max-cstate: cmdline (line 2) sets "
		     "'processor.max_cstate=1' too; keep one of them",
		     "max-cstate and cmdline both");
	expect_error("[host]\ncpu-governor = performance\ncpu-governor = powersave\n",
		     "/etc/t.conf:3:1: duplicate key 'cpu-governor' (first at line 2)",
		     "cpu-governor twice");
}

static void test_cstate_params(void)
{
	struct host_config h = {.has_max_cstate = true, .max_cstate = 0};
	char **p = NULL, **w = NULL;

	is_int(host_power_cstate_params(&h, "GenuineIntel", &p, &w), 0, "Intel: params");
	is_int(strv_length(p), 2, "Intel: two parameters");
	is_str(p[0], "intel_idle.max_cstate=0", "Intel: intel_idle");
	is_str(p[1], "processor.max_cstate=0", "Intel: processor");
	is_int(strv_length(w), 2, "Intel: each explained");
	ok(strstr(w[0], "intel_idle off") != NULL, "Intel: 0 turns intel_idle off (%s)", w[0]);
	strv_free(p);
	strv_free(w);

	h.max_cstate = 1;
	is_int(host_power_cstate_params(&h, "AuthenticAMD", &p, &w), 0, "AMD: params");
	is_int(strv_length(p), 1, "AMD: only processor.max_cstate");
	is_str(p[0], "processor.max_cstate=1", "AMD: processor");
	ok(strstr(w[0], "AMD") != NULL, "AMD: explained (%s)", w[0]);
	strv_free(p);
	strv_free(w);

	is_int(host_power_cstate_params(&h, NULL, &p, &w), 0, "unknown vendor: params");
	is_int(strv_length(p), 2, "unknown vendor: both");
	ok(strstr(w[0], "unknown") != NULL, "unknown vendor: said (%s)", w[0]);
	strv_free(p);
	strv_free(w);

	h.has_max_cstate = false;
	is_int(host_power_cstate_params(&h, "GenuineIntel", &p, &w), 0, "unset: params");
	is_int(strv_length(p), 0, "unset: none");
	strv_free(p);
	strv_free(w);
}

static void test_audio_keys(void)
{
	struct config *c;

	c = parse_ok(DEVICES "[vm w]\nmemory = 1G\naudio = pipewire\naudio-user = alice\n",
		     "pipewire");
	if (c) {
		const struct vm_options *o = vm_options(c->vms[0]);

		is_int(o->audio, VM_AUDIO_PIPEWIRE, "audio = pipewire");
		is_str(vm_audio_user(o), "alice", "audio-user");
		ok(vm_audio_is_host(o), "host audio");
	}
	config_free(c);
	c = parse_ok(DEVICES "[vm w]\nmemory = 1G\nuser = bob\naudio = pulseaudio\n",
		     "pulseaudio, the QEMU user");
	if (c)
		is_str(vm_audio_user(vm_options(c->vms[0])), "bob",
		       "without audio-user: the user QEMU runs as");
	config_free(c);

	expect_error(DEVICES "[vm w]\nmemory = 1G\naudio = pipewire\n",
		     "/etc/t.conf:5:9: audio: pipewire needs audio-user = NAME (the desktop user "
		     "whose sound server plays the guest's sound)",
		     "pipewire without a user");
	expect_error(DEVICES "[vm w]\nmemory = 1G\nuser = root\naudio = pulseaudio\n",
		     "/etc/t.conf:6:9: audio: pulseaudio needs audio-user = NAME (the desktop "
		     "user whose sound server plays the guest's sound)",
		     "pulseaudio, QEMU as root, no audio-user");
	expect_error(DEVICES "[vm w]\nmemory = 1G\naudio-user = alice\n",
		     "/etc/t.conf:5:14: audio-user: only used with audio = pipewire or pulseaudio",
		     "audio-user without host audio");
	expect_error(DEVICES "[vm w]\nmemory = 1G\naudio = pipewire\naudio-user = al:ice\n",
		     "/etc/t.conf:6:14: audio-user: invalid user name 'al:ice'",
		     "audio-user with a colon");
	expect_error(DEVICES "[vm w]\nmemory = 1G\naudio = jack\n",
		     "/etc/t.conf:5:9: audio: expected pipewire, pulseaudio, spice or none, not "
		     "'jack'",
		     "unknown audio mode");
}

static void test_audio_args(void)
{
	struct config *c = parse_ok(DEVICES "[vm w]\nmemory = 1G\naudio = pipewire\n"
					    "audio-user = alice\n",
				    "args");
	struct qemu_cmd_input in = {0};
	char **argv = NULL;

	if (!c)
		return;
	in.vm = c->vms[0];
	is_int(qemu_cmd_build(&in, &argv), -EINVAL, "no runtime directory: refused");
	in.audio_runtime_dir = "/run/user/1000";
	is_int(qemu_cmd_build(&in, &argv), 0, "built");
	{
		_cleanup_free_ char *j = strv_join(argv, " ");

		ok(strstr(j, "-audiodev pa,id=audio0,server=unix:/run/user/1000/pulse/native "
			     "-device ich9-intel-hda,id=sound0 -device "
			     "hda-duplex,id=codec0,bus=sound0.0,audiodev=audio0") != NULL,
		   "the HDA codec on audio-user's pulse socket");
		ok(strstr(j, "spice") == NULL, "nothing of SPICE");
	}
	is_str(vm_audio_driver(&in), "pa", "driver: pa");
	strv_free(argv);
	argv = NULL;

	in.path_root = "/tmp/r";
	in.test_audiodev = "none";
	is_int(qemu_cmd_build(&in, &argv), 0, "built with the test audiodev");
	{
		_cleanup_free_ char *j = strv_join(argv, " ");

		ok(strstr(j, "-audiodev none,id=audio0 -device ich9-intel-hda,id=sound0") != NULL,
		   "test audiodev in place of the server");
	}
	is_str(vm_audio_driver(&in), "none", "driver: the test's");
	strv_free(argv);
	config_free(c);
}

static void put(const char *root, const char *rel, const char *text)
{
	char p[4200];
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	f = fopen(p, "we");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static char *get(const char *root, const char *rel)
{
	char p[4200], buf[256] = "";
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	f = fopen(p, "re");
	if (!f)
		return strdup("(missing)");
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return strdup(buf);
}

/* The whole file (a record), or "(missing)". */
static char *get_all(const char *root, const char *rel)
{
	char p[4200], buf[1024] = "";
	size_t n = 0;
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	f = fopen(p, "re");
	if (!f)
		return strdup("(missing)");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strdup(buf);
}

#define GOV(n) "/sys/devices/system/cpu/cpu" #n "/cpufreq/scaling_governor"

static unsigned long count_lines(const char *path)
{
	FILE *f = fopen(path, "re");
	unsigned long n = 0;
	int ch;

	if (!f)
		return 0;
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)f;
	return type == FTW_DP ? rmdir(p) : unlink(p);
}

static void test_governor(void)
{
	char tmpl[] = "/tmp/test-vm-power.XXXXXX", p[4200], flog[4300];
	char *root = mkdtemp(tmpl), *why = NULL, *what = NULL, *s;
	struct path_cxt *pc = NULL;
	struct config *c;
	unsigned long base;

	if (!ok(root != NULL, "temporary root"))
		return;
	snprintf(flog, sizeof(flog), "%s/faults.log", root);
	setenv("GPT_BOOTCFG_FAULT_LOG", flog, 1);
	for (int cpu = 0; cpu < 4; cpu++) {
		snprintf(p, sizeof(p), "%s/sys/devices/system/cpu/cpu%d/cpufreq", root, cpu);
		path_cxt_new("/", &pc);
		path_mkdir_p(pc, p, 0755);
		path_cxt_free(pc);
		pc = NULL;
	}
	put(root, GOV(1), "schedutil\n");
	put(root, GOV(2), "powersave\n");
	put(root, GOV(3), "schedutil\n");
	put(root, "/sys/devices/system/cpu/cpu1/cpufreq/scaling_available_governors",
	    "conservative ondemand userspace powersave performance schedutil\n");
	put(root, "/sys/devices/system/cpu/cpu2/cpufreq/scaling_available_governors",
	    "performance powersave\n");
	/* cpu3 has a governor but no list: nothing is offered. */
	is_int(path_cxt_new(root, &pc), 0, "context");

	c = parse_ok(DEVICES "[vm w]\nmemory = 1G\nvcpu-pins = 2,1\nemulator-cpus = 3\n", "vm");
	if (!c)
		goto out;
	{
		unsigned *cpus = NULL;
		size_t n = 0;

		is_int(vm_power_cpus(c->vms[0], &cpus, &n), 0, "cpus");
		ok(n == 3 && cpus[0] == 1 && cpus[1] == 2 && cpus[2] == 3,
		   "vCPU and emulator CPUs, sorted");
		free(cpus);
	}
	is_int(vm_power_check(pc, c->vms[0], "ondemand", &why), -EINVAL, "ondemand not on CPU 2");
	is_str(why,
	       "cpu-governor = ondemand is not available on CPU 2 (scaling_available_governors: "
	       "performance powersave)",
	       "names the CPU and what it offers");
	free(why);
	is_int(vm_power_check(pc, c->vms[0], "performance", &why), -EINVAL, "CPU 3 offers nothing");
	is_str(why,
	       "cpu-governor = performance is not available on CPU 3 "
	       "(scaling_available_governors: none)",
	       "no list: none offered");
	free(why);
	put(root, "/sys/devices/system/cpu/cpu3/cpufreq/scaling_available_governors",
	    "performance schedutil\n");
	is_int(vm_power_check(pc, c->vms[0], "performance", &why), 0, "performance everywhere");
	free(why);

	/* Set and restore. */
	is_int(vm_power_apply(pc, c->vms[0], "performance", &what), 3, "three CPUs set");
	free(what);
	what = NULL;
	s = get(root, GOV(1)), is_str(s, "performance", "CPU 1 set"), free(s);
	s = get(root, GOV(2)), is_str(s, "performance", "CPU 2 set"), free(s);
	s = get(root, GOV(3)), is_str(s, "performance", "CPU 3 set"), free(s);
	s = get(root, "/run/gpt-bootcfg/w.cpufreq"), is_str(s, "1 schedutil", "record"), free(s);
	is_int(vm_power_restore(pc, "w", &what), 1, "restored");
	s = get(root, GOV(1)), is_str(s, "schedutil", "CPU 1 back"), free(s);
	s = get(root, GOV(2)), is_str(s, "powersave", "CPU 2 back"), free(s);
	s = get(root, GOV(3)), is_str(s, "schedutil", "CPU 3 back"), free(s);
	s = get(root, "/run/gpt-bootcfg/w.cpufreq"), is_str(s, "(missing)", "record removed"),
	free(s);
	is_int(vm_power_restore(pc, "w", &what), 0, "nothing left to restore");

	/* The second governor write fails: the first CPU gets its governor back. */
	base = count_lines(flog);
	{
		char at[32];

		/* The record's atomic write has its fault points first: find the writes. */
		is_int(vm_power_apply(pc, c->vms[0], "performance", &what), 3, "counting run");
		free(what);
		what = NULL;
		vm_power_restore(pc, "w", &what);
		{
			FILE *f = fopen(flog, "re");
			char line[4400];
			unsigned long n = 0, second = 0, seen = 0;

			while (f && fgets(line, sizeof(line), f))
				if (++n > base && strstr(line, " governor ") && ++seen == 2) {
					second = n;
					break;
				}
			if (f)
				fclose(f);
			ok(second > base, "the second governor write is fault point %lu", second);
			/* The next apply has the same points, shifted by this whole round. */
			snprintf(at, sizeof(at), "%lu", second + (count_lines(flog) - base));
		}
		setenv("GPT_BOOTCFG_FAULT_AT", at, 1);
		is_int(vm_power_apply(pc, c->vms[0], "performance", &what), -EIO,
		       "failing write: error");
		unsetenv("GPT_BOOTCFG_FAULT_AT");
		is_str(what, GOV(2), "failing write: names the file");
		free(what);
		what = NULL;
		s = get(root, GOV(1)), is_str(s, "schedutil", "failing write: CPU 1 put back"),
		free(s);
		s = get(root, GOV(2)), is_str(s, "powersave", "failing write: CPU 2 untouched"),
		free(s);
		s = get(root, GOV(3)), is_str(s, "schedutil", "failing write: CPU 3 untouched"),
		free(s);
		s = get(root, "/run/gpt-bootcfg/w.cpufreq"),
		is_str(s, "(missing)", "failing write: record removed"), free(s);
	}

	/* A record a killed runner left is played back; a garbled one is kept and refused. */
	put(root, "/run/gpt-bootcfg/w.cpufreq", "2 ondemand\n1 conservative\n");
	is_int(vm_power_restore(pc, "w", &what), 1, "leftover record played back");
	s = get(root, GOV(2)), is_str(s, "ondemand", "leftover: CPU 2"), free(s);
	s = get(root, GOV(1)), is_str(s, "conservative", "leftover: CPU 1"), free(s);
	put(root, "/run/gpt-bootcfg/w.cpufreq", "2 ondemand; reboot\n");
	is_int(vm_power_restore(pc, "w", &what), -EBADMSG, "garbled record refused");
	s = get(root, "/run/gpt-bootcfg/w.cpufreq"), is_str(s, "2 ondemand; reboot", "and kept"),
	free(s);
	free(what);
	what = NULL;
	/* An offline CPU (no cpufreq directory) is skipped. */
	put(root, "/run/gpt-bootcfg/w.cpufreq", "7 powersave\n2 schedutil\n");
	is_int(vm_power_restore(pc, "w", &what), 1, "offline CPU skipped");
	s = get(root, GOV(2)), is_str(s, "schedutil", "the others restored"), free(s);
	config_free(c);

	/*
	 * Two VMs on CPU 2: w (1-3) and v (2, 0). Whichever ends first leaves CPU 2 on
	 * performance; the last one gives back the original, not the other VM's performance.
	 */
	c = parse_ok(DEVICES "[vm w]\nmemory = 1G\nvcpu-pins = 2,1\nemulator-cpus = 3\n"
			     "[vm v]\nmemory = 1G\nvcpu-pins = 2\nemulator-cpus = 0\n",
		     "two vms");
	if (!c)
		goto out;
	put(root, GOV(0), "ondemand\n");
	put(root, GOV(1), "schedutil\n");
	put(root, GOV(2), "powersave\n");
	put(root, GOV(3), "schedutil\n");
	for (int order = 0; order < 2; order++) {
		const char *first = order ? "v" : "w", *last = order ? "w" : "v";

		is_int(vm_power_apply(pc, c->vms[0], "performance", &what), 3, "w set");
		is_int(vm_power_apply(pc, c->vms[1], "performance", &what), 2, "v set");
		s = get_all(root, "/run/gpt-bootcfg/v.cpufreq");
		is_str(s, "0 ondemand\n2 powersave\n",
		       "v records CPU 2's original, not w's performance");
		free(s);
		is_int(vm_power_restore(pc, first, &what), 1, "the first VM ends");
		s = get(root, GOV(2)),
		is_str(s, "performance", "CPU 2 stays set: the other VM runs on it"), free(s);
		s = get(root, order ? GOV(0) : GOV(1)),
		is_str(s, order ? "ondemand" : "schedutil", "its own CPU back"), free(s);
		/* It starts again while the other runs: CPU 2's original, again. */
		is_int(vm_power_apply(pc, c->vms[order], "performance", &what), order ? 2 : 3,
		       "the first VM starts again");
		s = get_all(root,
			    order ? "/run/gpt-bootcfg/v.cpufreq" : "/run/gpt-bootcfg/w.cpufreq");
		ok(s && strstr(s, "2 powersave"), "it records CPU 2's original again"), free(s);
		is_int(vm_power_restore(pc, last, &what), 1, "the other VM ends");
		s = get(root, GOV(2)), is_str(s, "performance", "CPU 2 still set"), free(s);
		is_int(vm_power_restore(pc, first, &what), 1, "the last VM ends");
		s = get(root, GOV(2)), is_str(s, "powersave", "CPU 2: the original back"), free(s);
		s = get(root, GOV(0)), is_str(s, "ondemand", "CPU 0 back"), free(s);
		s = get(root, GOV(1)), is_str(s, "schedutil", "CPU 1 back"), free(s);
		s = get(root, GOV(3)), is_str(s, "schedutil", "CPU 3 back"), free(s);
	}
	free(what);
	what = NULL;
	config_free(c);
out:
	unsetenv("GPT_BOOTCFG_FAULT_LOG");
	path_cxt_free(pc);
	if (nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		printf("# could not remove %s\n", root);
}

static void put_bytes(const char *root, const char *rel, unsigned char fill, size_t n)
{
	char p[4200];
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	f = fopen(p, "we");
	if (!f)
		return;
	for (size_t i = 0; i < n; i++)
		fputc(fill, f);
	fclose(f);
}

/* The audio user's PulseAudio cookie below a root, and the memfd QEMU gets it in. */
static void test_audio_cookie(void)
{
	char tmpl[] = "/tmp/test-vm-audio.XXXXXX", p[4200];
	char *root = mkdtemp(tmpl);
	struct vm_audio_cookie k = {0};
	struct path_cxt *pc = NULL;
	struct config *c;
	unsigned char buf[VM_AUDIO_COOKIE_SIZE + 1];
	int fd;

	if (!ok(root != NULL, "cookie: temporary root"))
		return;
	snprintf(p, sizeof(p), "%s/home/alice/.config/pulse", root);
	path_cxt_new("/", &pc);
	path_mkdir_p(pc, p, 0755);
	snprintf(p, sizeof(p), "%s/etc", root);
	path_mkdir_p(pc, p, 0755);
	path_cxt_free(pc);
	pc = NULL;
	put(root, "/etc/passwd",
	    "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:A:/home/alice:/bin/sh\n"
	    "bob:x:1001:1001\ncarol:x:1002:1002:C:home:/bin/sh\n");
	if (!is_int(path_cxt_new(root, &pc), 0, "cookie: context"))
		goto out;
	c = parse_ok(DEVICES "[vm w]\nmemory = 1G\naudio = pulseaudio\naudio-user = alice\n"
			     "[vm b]\nmemory = 1G\naudio = pulseaudio\naudio-user = bob\n"
			     "[vm c]\nmemory = 1G\naudio = pulseaudio\naudio-user = carol\n"
			     "[vm d]\nmemory = 1G\naudio = pulseaudio\naudio-user = dave\n",
		     "cookie: vms");
	if (!c)
		goto out;
	is_int(vm_audio_cookie_load(pc, vm_options(c->vms[0]), &k), 0, "cookie: none yet");
	ok(k.path == NULL, "cookie: no path without one");
	put_bytes(root, "/home/alice/.config/pulse/cookie", 0xa5, VM_AUDIO_COOKIE_SIZE - 1);
	is_int(vm_audio_cookie_load(pc, vm_options(c->vms[0]), &k), 0,
	       "cookie: a file of 255 bytes is none");
	put_bytes(root, "/home/alice/.pulse-cookie", 0x5a, VM_AUDIO_COOKIE_SIZE);
	is_int(vm_audio_cookie_load(pc, vm_options(c->vms[0]), &k), 1,
	       "cookie: ~/.pulse-cookie when ~/.config/pulse/cookie is not one");
	is_str(k.path, "/home/alice/.pulse-cookie", "cookie: its host path");
	vm_audio_cookie_done(&k);
	put_bytes(root, "/home/alice/.config/pulse/cookie", 0xa5, VM_AUDIO_COOKIE_SIZE);
	is_int(vm_audio_cookie_load(pc, vm_options(c->vms[0]), &k), 1, "cookie: found");
	is_str(k.path, "/home/alice/.config/pulse/cookie", "cookie: ~/.config/pulse/cookie first");
	ok(k.data[0] == 0xa5 && k.data[VM_AUDIO_COOKIE_SIZE - 1] == 0xa5, "cookie: its bytes");

	fd = vm_audio_cookie_memfd(&k);
	if (ok(fd >= 0, "memfd: made")) {
		ok(pread(fd, buf, sizeof(buf), 0) == VM_AUDIO_COOKIE_SIZE &&
		       memcmp(buf, k.data, VM_AUDIO_COOKIE_SIZE) == 0,
		   "memfd: holds the cookie, nothing more");
		ok(pwrite(fd, "x", 1, 0) < 0 && errno == EPERM, "memfd: sealed against writes");
		ok(fcntl(fd, F_GETFD) == FD_CLOEXEC,
		   "memfd: close-on-exec until the child clears it");
		close(fd);
	}
	vm_audio_cookie_done(&k);
	ok(k.path == NULL && k.data[0] == 0, "cookie: wiped");

	is_int(vm_audio_cookie_load(pc, vm_options(c->vms[1]), &k), 0,
	       "cookie: a passwd line without a home has none");
	is_int(vm_audio_cookie_load(pc, vm_options(c->vms[2]), &k), 0,
	       "cookie: a relative home is no home");
	is_int(vm_audio_cookie_load(pc, vm_options(c->vms[3]), &k), 0,
	       "cookie: an unknown user has none");
	config_free(c);
out:
	path_cxt_free(pc);
	if (nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		printf("# could not remove %s\n", root);
}

int main(void)
{
	test_host_keys();
	test_cstate_params();
	test_audio_keys();
	test_audio_args();
	/* After the governors: its fault points count from the start of the process. */
	test_governor();
	test_audio_cookie();
	return done_testing();
}
