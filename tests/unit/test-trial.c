/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fileio.h"
#include "tap.h"
#include "trial/trial.h"

static char root[64];

/* Run a shell command in which every "@" stands for the test root (and nothing else). */
static void sh(const char *tmpl)
{
	char cmd[2048];
	size_t n = 0;

	for (const char *c = tmpl; *c && n + sizeof(root) < sizeof(cmd); c++) {
		if (*c == '@') {
			memcpy(cmd + n, root, strlen(root));
			n += strlen(root);
		} else {
			cmd[n++] = *c;
		}
	}
	cmd[n] = '\0';
	if (system(cmd) != 0)
		printf("# command failed: %s\n", cmd);
}

static void put(struct path_cxt *pc, const char *path, const char *s)
{
	if (path_write_atomic(pc, path, s, strlen(s), 0644) < 0)
		printf("# cannot write %s\n", path);
}

static char *get(struct path_cxt *pc, const char *path)
{
	char *s = NULL;

	if (path_read_full(pc, &s, NULL, "%s", path) < 0)
		return NULL;
	return s;
}

/* The stand-in for systemctl: units listed in "active" are active. */
static int fake_unit_active(const char *unit, void *userdata)
{
	char *const *active = userdata;

	if (streq(unit, "broken.service"))
		return -EIO;
	STRV_FOREACH(a, active)
		if (streq(*a, unit))
			return 1;
	return 0;
}

static void test_parse_format(void)
{
	static const char text[] = "# gpt-bootcfg trial boot state; see docs/trial-boot.md\n"
				   "state=failed\n"
				   "generation=4\n"
				   "previous-generation=3\n"
				   "direct=no\n"
				   "armed-boot-id=aaaa-1\n"
				   "armed-time=1700000000\n"
				   "decided-boot-id=bbbb-2\n"
				   "decided-time=1700000100\n"
				   "param=intel_iommu=on\n"
				   "param=hugepages=8\n"
				   "device=0000:65:00.0\n"
				   "unit=gpt-bootcfg-vm@win.service\n"
				   "failure=0000:65:00.0 is bound to nouveau, not vfio-pci\n";
	struct trial *t = NULL;
	char *err = NULL, *out = NULL;

	is_int(trial_parse(text, "STATE", &t, &err), 0, "parse a full state");
	ok(t && t->state == TRIAL_FAILED && t->generation == 4 && t->previous == 3 && !t->direct,
	   "state, generations");
	is_str(t->armed_boot_id, "aaaa-1", "armed boot id");
	is_int(t->decided_time, 1700000100, "decided time");
	is_int(strv_length(t->params), 2, "two params");
	is_str(t->params[1], "hugepages=8", "param order kept");
	is_str(t->units[0], "gpt-bootcfg-vm@win.service", "unit");
	is_str(t->failures[0], "0000:65:00.0 is bound to nouveau, not vfio-pci",
	       "failure text with blanks");
	is_int(trial_format(t, &out), 0, "format");
	is_str(out, text, "format reproduces the parsed text");
	free(out);
	trial_free(t);

#define BAD(txt, msg, desc)                                                                        \
	do {                                                                                       \
		t = NULL;                                                                          \
		err = NULL;                                                                        \
		is_int(trial_parse(txt, "/var/lib/gpt-bootcfg/trial", &t, &err), -EINVAL, desc);   \
		is_str(err, msg, desc " (message)");                                               \
		ok(t == NULL, desc " (nothing returned)");                                         \
		free(err);                                                                         \
	} while (0)
	BAD("state=pending\ngeneration=x1\n",
	    "/var/lib/gpt-bootcfg/trial:2:12: not a decimal number 'x1'", "bad number");
	BAD("state=maybe\n", "/var/lib/gpt-bootcfg/trial:1:7: unknown state 'maybe'",
	    "unknown state");
	BAD("state=pending\n\ncolour=blue\n", "/var/lib/gpt-bootcfg/trial:3:1: unknown key 'colour'",
	    "unknown key");
	BAD("state=pending\ngeneration 3\n", "/var/lib/gpt-bootcfg/trial:2:1: expected KEY=VALUE",
	    "no equals sign");
	BAD("generation=3\n", "/var/lib/gpt-bootcfg/trial:1:1: no state= line", "no state");
	BAD("state=pending\n", "/var/lib/gpt-bootcfg/trial:1:1: no generation= line",
	    "no generation");
	BAD("state=pending\ngeneration=2\nparam=a b\n",
	    "/var/lib/gpt-bootcfg/trial:3:7: expected one word, not 'a b'", "param with a blank");
	BAD("state=pending\ngeneration=2\ndirect=maybe\n",
	    "/var/lib/gpt-bootcfg/trial:3:8: expected yes or no, not 'maybe'", "direct not a bool");
#undef BAD

	t = calloc(1, sizeof(*t));
	t->state = TRIAL_PENDING;
	t->generation = 2;
	t->failures = calloc(2, sizeof(char *));
	t->failures[0] = strdup("line one\nline=two");
	is_int(trial_format(t, &out), 0, "format a failure with a newline");
	ok(strstr(out, "failure=line one line=two\n") != NULL, "newline folded into a blank");
	free(out);
	t->state = TRIAL_NONE;
	is_int(trial_format(t, &out), -EINVAL, "state none is never written");
	trial_free(t);
}

static void test_cmdline(void)
{
	char *s = NULL;
	char *params[] = {"intel_iommu=on", "hugepages=8", NULL};
	char *bad[] = {"gpt_bootcfg.generation=9", NULL};
	char *blank[] = {"a b", NULL};
	struct trial t = {.state = TRIAL_PENDING, .generation = 4};
	uint64_t other = 99;

	is_int(trial_cmdline(4, params, &s), 0, "trial cmdline");
	is_str(s, "intel_iommu=on hugepages=8 gpt_bootcfg.generation=4 gpt_bootcfg.trial=1",
	       "params, generation, trial flag");
	free(s);
	is_int(trial_cmdline(5, NULL, &s), 0, "no params");
	is_str(s, "gpt_bootcfg.generation=5 gpt_bootcfg.trial=1", "generation only");
	free(s);
	is_int(trial_cmdline(5, bad, &s), -EINVAL, "our own parameters are refused");
	is_int(trial_cmdline(5, blank, &s), -EINVAL, "a parameter with a blank is refused");

	is_int(trial_is_trial_boot(&t, "root=/dev/vda1 gpt_bootcfg.generation=4 gpt_bootcfg.trial=1",
				   &other),
	       1, "the trial boot");
	is_int(other, 0, "no other generation");
	is_int(trial_is_trial_boot(&t, "root=/dev/vda1 gpt_bootcfg.generation=3", &other), 0,
	       "the default entry is not the trial");
	is_int(trial_is_trial_boot(&t, "gpt_bootcfg.generation=4", &other), 0,
	       "generation without the trial flag is not the trial");
	is_int(trial_is_trial_boot(&t, "gpt_bootcfg.generation=3 gpt_bootcfg.trial=1", &other), 0,
	       "an older trial entry");
	is_int(other, 3, "its generation is reported");
	is_int(trial_is_trial_boot(&t, "gpt_bootcfg.generation=3 gpt_bootcfg.trial=1 "
				       "gpt_bootcfg.generation=4",
				   &other),
	       1, "last occurrence wins, as in the kernel");
	is_int(trial_is_trial_boot(&t, "xgpt_bootcfg.generation=4 gpt_bootcfg.trial=1", &other), 0,
	       "a longer key is not ours");
	t.state = TRIAL_CONFIRMED;
	is_int(trial_is_trial_boot(&t, "gpt_bootcfg.generation=4 gpt_bootcfg.trial=1", &other), 0,
	       "nothing pending: no trial boot");
}

static void test_lifecycle(void)
{
	struct path_cxt *pc = NULL;
	struct trial *t = NULL;
	char *params[] = {"intel_iommu=on", "hugepages=8", NULL};
	char *devices[] = {"0000:65:00.0", "0000:65:00.1", NULL};
	char *units[] = {"gpt-bootcfg-vm@win.service", NULL};
	char *reasons[] = {"the trial boot never confirmed", NULL};
	char *s = NULL, *err = NULL, **failures = NULL;
	char *active[] = {"gpt-bootcfg-vm@win.service", "multi-user.target", NULL};
	const char *cmdline = "root=/dev/vda1 ro intel_iommu=on hugepages=8 "
			      "gpt_bootcfg.generation=4 gpt_bootcfg.trial=1";
	struct trial_arm arm = {
		.generation = 4,
		.params = params,
		.devices = devices,
		.units = units,
		.dropin = "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT intel_iommu=on "
			  "gpt_bootcfg.generation=4\"\n",
	};
	bool want = false;

	is_int(path_cxt_new(root, &pc), 0, "context");
	put(pc, "/proc/sys/kernel/random/boot_id", "boot-A\n");

	is_int(trial_load(pc, &t, &err), 0, "load without a state file");
	is_int(t->state, TRIAL_NONE, "state none");
	trial_free(t);

	is_int(trial_wanted(pc, -1, &want), 0, "first apply");
	ok(want, "first apply on a host is a trial");
	is_int(trial_wanted(pc, 0, &want), 0, "--no-trial");
	ok(!want, "--no-trial wins");
	put(pc, GRUB_DROPIN_PATH, "# old\n");
	is_int(trial_wanted(pc, -1, &want), 0, "a drop-in of ours exists");
	ok(!want, "not the first apply: no trial by default");
	is_int(trial_wanted(pc, 1, &want), 0, "--trial");
	ok(want, "--trial wins");

	/* A direct apply first: generation 3 is the default entry's. */
	is_int(trial_record_direct(pc, 3), 0, "record a --no-trial apply");
	is_int(trial_load(pc, &t, &err), 0, "load");
	ok(t->state == TRIAL_CONFIRMED && t->direct && t->generation == 3, "confirmed, direct, 3");
	is_str(t->decided_boot_id, "boot-A", "decided in this boot");
	trial_free(t);
	is_int(trial_wanted(pc, -1, &want), 0, "after an apply");
	ok(!want, "later applies default to no trial");

	is_int(trial_arm(pc, &arm, &t), 0, "arm");
	ok(t->state == TRIAL_PENDING && t->generation == 4 && t->previous == 3,
	   "pending 4, default stays 3");
	is_str(t->armed_boot_id, "boot-A", "armed in this boot");
	trial_free(t);
	is_int(trial_wanted(pc, -1, &want), 0, "apply while a trial is pending");
	ok(want, "a pending trial is re-armed, not promoted by the next apply");
	s = NULL;
	is_int(path_readlink(pc, &s, HEALTH_WANTS_LINK), 0, "the health unit is enabled");
	is_str(s, "/usr/lib/systemd/system/gpt-bootcfg-health.service", "link to the unit");
	free(s);
	s = get(pc, TRIAL_CMDLINE_PATH);
	ok(s && strstr(s, "\nintel_iommu=on hugepages=8 gpt_bootcfg.generation=4 "
			  "gpt_bootcfg.trial=1\n"),
	   "trial.cmdline for the grub.d script");
	free(s);
	s = get(pc, GRUB_DROPIN_PATH);
	is_str(s, "# old\n", "the default entry's drop-in is untouched");
	free(s);
	s = get(pc, TRIAL_DROPIN_PATH);
	is_str(s, arm.dropin, "the drop-in for promotion is kept aside");
	free(s);

	/* The health check in the trial boot. */
	is_int(trial_load(pc, &t, &err), 0, "reload");
	sh("mkdir -p @/sys/bus/pci/devices/0000:65:00.0");
	sh("mkdir -p @/sys/bus/pci/drivers/vfio-pci @/sys/bus/pci/drivers/nouveau");
	sh("mkdir -p @/sys/bus/pci/devices/0000:65:00.1");
	sh("ln -s ../../drivers/vfio-pci @/sys/bus/pci/devices/0000:65:00.0/driver");
	sh("ln -s ../../drivers/nouveau @/sys/bus/pci/devices/0000:65:00.1/driver");
	is_int(trial_check(pc, t, cmdline, fake_unit_active, active, &failures), 0,
	       "a device on another driver: unhealthy");
	is_int(strv_length(failures), 1, "one failure");
	is_str(failures[0], "0000:65:00.1 is bound to nouveau, not vfio-pci", "names device and driver");
	strv_free(failures);

	sh("rm @/sys/bus/pci/devices/0000:65:00.1/driver");
	sh("ln -s ../../drivers/vfio-pci @/sys/bus/pci/devices/0000:65:00.1/driver");
	is_int(trial_check(pc, t, cmdline, fake_unit_active, active, &failures), 1, "healthy");
	is_int(strv_length(failures), 0, "no failures");
	strv_free(failures);

	is_int(trial_check(pc, t, "root=/dev/vda1 intel_iommu=on gpt_bootcfg.generation=4",
			   fake_unit_active, (char *[]){NULL}, &failures),
	       0, "missing parameter and inactive units");
	is_int(strv_length(failures), 3, "three failures");
	is_str(failures[0], "kernel parameter 'hugepages=8' is not in effect", "the parameter");
	is_str(failures[1], "gpt-bootcfg-vm@win.service is not active", "the VM unit");
	is_str(failures[2], "multi-user.target is not active", "the target");
	strv_free(failures);

	sh("mkdir -p @/etc/systemd/system");
	sh("ln -sf /lib/systemd/system/gdm3.service @/etc/systemd/system/display-manager.service");
	is_int(trial_check(pc, t, cmdline, fake_unit_active, active, &failures), 0,
	       "a display manager that is not running");
	is_str(failures[0], "display-manager.service is not active", "names the display manager");
	strv_free(failures);
	sh("rm @/etc/systemd/system/display-manager.service");

	sh("rm -r @/sys/bus/pci/devices/0000:65:00.1");
	is_int(trial_check(pc, t, cmdline, fake_unit_active, active, &failures), 0, "device gone");
	is_str(failures[0], "0000:65:00.1 is not present", "names the missing device");
	strv_free(failures);
	sh("mkdir -p @/sys/bus/pci/devices/0000:65:00.1");
	is_int(trial_check(pc, t, cmdline, fake_unit_active, active, &failures), 0, "unbound");
	is_str(failures[0], "0000:65:00.1 is bound to no driver, not vfio-pci", "names it");
	strv_free(failures);

	char *broken[] = {"broken.service", NULL};
	char **saved = t->units;
	t->units = broken;
	is_int(trial_check(pc, t, cmdline, fake_unit_active, active, &failures), 0,
	       "systemd cannot be asked");
	ok(failures && failures[1] && strstr(failures[1], "broken.service: could not ask systemd"),
	   "an unanswerable unit is a failure, never a pass");
	strv_free(failures);
	t->units = saved;

	/* Promotion. */
	put(pc, "/proc/sys/kernel/random/boot_id", "boot-B\n");
	is_int(trial_promote(pc, t), 0, "promote");
	trial_free(t);
	s = get(pc, GRUB_DROPIN_PATH);
	is_str(s, arm.dropin, "the default entry gets the new drop-in");
	free(s);
	is_int(path_exists(pc, TRIAL_CMDLINE_PATH), 0, "trial entry gone");
	is_int(path_exists(pc, TRIAL_DROPIN_PATH), 0, "pending drop-in gone");
	is_int(trial_load(pc, &t, &err), 0, "reload");
	ok(t->state == TRIAL_CONFIRMED && t->generation == 4 && !t->direct, "confirmed 4");
	is_str(t->decided_boot_id, "boot-B", "decided in the trial boot");
	is_int(trial_promote(pc, t), -ESTALE, "promoting twice is refused");
	trial_free(t);

	/* A second trial that fails: the default keeps 4. apply wrote generation 5's drop-in. */
	put(pc, GRUB_DROPIN_PATH, "generation 5's\n");
	arm.restore_dropin = true;
	arm.previous_dropin = arm.dropin;
	arm.generation = 5;
	is_int(trial_arm(pc, &arm, &t), 0, "arm again");
	is_int(t->previous, 4, "previous is the confirmed 4");
	trial_free(t);
	s = get(pc, GRUB_DROPIN_PATH);
	is_str(s, arm.dropin, "the default entry's drop-in is put back");
	free(s);
	arm.generation = 6;
	is_int(trial_arm(pc, &arm, &t), 0, "re-arm before booting the trial");
	is_int(t->previous, 4, "previous stays 4, not the never-booted 5");
	is_int(trial_fail(pc, t, reasons), 0, "fail");
	trial_free(t);
	is_int(trial_load(pc, &t, &err), 0, "reload");
	ok(t->state == TRIAL_FAILED && t->generation == 6, "failed 6");
	is_str(t->failures[0], "the trial boot never confirmed", "reason kept");
	is_int(path_exists(pc, TRIAL_CMDLINE_PATH), 0, "the failed trial's entry goes away");
	s = get(pc, GRUB_DROPIN_PATH);
	is_str(s, arm.dropin, "the default drop-in is still generation 4's");
	free(s);
	is_int(trial_wanted(pc, -1, &want), 0, "apply after a failed trial");
	ok(want, "after a failed trial the next apply is a trial again");

	struct strbuf sb = STRBUF_INIT;
	trial_describe(t, &sb);
	ok(strstr(strbuf_str(&sb), "Trial: FAILED, generation 6; the default entry (generation 4)"),
	   "describe says failed and which generation stays");
	ok(strstr(strbuf_str(&sb), "  failed: the trial boot never confirmed\n") != NULL,
	   "describe says why");
	strbuf_release(&sb);
	trial_free(t);

	/* A corrupt state file is an error naming the file, never "no trial". */
	put(pc, TRIAL_STATE_PATH, "state=pending\ngeneration=\n");
	t = NULL;
	is_int(trial_load(pc, &t, &err), -EINVAL, "corrupt state");
	is_str(err, "/var/lib/gpt-bootcfg/trial:2:12: not a decimal number ''", "message");
	free(err);

	path_cxt_free(pc);
}

static void test_grubenv(void)
{
	struct path_cxt *pc = NULL;
	char *v = NULL;

	is_int(path_cxt_new(root, &pc), 0, "context");
	is_int(trial_get_next_entry(pc, &v), 0, "no grubenv: no next_entry");
	is_int(trial_set_next_entry(pc), 0, "set next_entry with grub-editenv");
	is_int(trial_get_next_entry(pc, &v), 1, "next_entry set");
	is_str(v, "gpt-bootcfg-trial", "names the trial entry");
	free(v);
	v = get(pc, GRUBENV_PATH);
	ok(v && strlen(v) == 1024 && startswith(v, "# GRUB Environment Block\n"),
	   "a real 1024-byte environment block");
	free(v);
	is_int(trial_clear_next_entry(pc), 1, "clear");
	is_int(trial_get_next_entry(pc, &v), 0, "cleared");
	sh("grub-editenv @/boot/grub/grubenv set next_entry=1");
	is_int(trial_clear_next_entry(pc), 0, "another next_entry is left alone");
	is_int(trial_get_next_entry(pc, &v), 1, "still set");
	is_str(v, "1", "the user's one-shot choice");
	free(v);
	path_cxt_free(pc);
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/test-trial.XXXXXX");
	if (!mkdtemp(root)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	test_parse_format();
	test_cmdline();
	test_lifecycle();
	test_grubenv();
	sh("rm -rf @");
	return done_testing();
}
