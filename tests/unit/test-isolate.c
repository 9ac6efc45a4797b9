/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * isolate-cpus = dynamic (features/isolate.c) on a tree in /tmp: the slices' AllowedCPUs
 * (through a stand-in systemctl that keeps each unit's property in a file), the IRQ
 * affinities and the workqueue cpumask narrowed and given back, record first, with two VMs.
 * What this does not prove: systemd and the kernel accepting the values (the whole-system
 * test does that).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/path.h"
#include "features/isolate.h"
#include "tap.h"

static char root[64];

static int sh(const char *fmt, const char *arg)
{
	char script[2048], cmd[4096];

	snprintf(script, sizeof(script), fmt, arg);
	snprintf(cmd, sizeof(cmd), "set -e; cd '%s'; %s", root, script);
	return system(cmd);
}

static char *cat(const char *rel)
{
	static char buf[256];
	char p[512];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "re");
	if (!f)
		return strcpy(buf, "(none)");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return buf;
}

static void setup(void)
{
	char env[128];

	sh("rm -rf ./* ./.[!.]*; mkdir -p proc/irq/24 proc/irq/25 proc/irq/default units "
	   "sys/devices/virtual/workqueue run/gpt-bootcfg\n"
	   "echo 0-35 >proc/irq/24/smp_affinity_list; echo 3 >proc/irq/25/smp_affinity_list\n"
	   "echo f,ffffffff >sys/devices/virtual/workqueue/cpumask\n"
	   "echo 0-35 >units/user.slice\n"
	   "cat >systemctl <<'SH'\n"
	   "#!/bin/sh\n"
	   "# show -P AllowedCPUs UNIT | set-property --runtime UNIT AllowedCPUs=LIST\n"
	   "u=%s/units\n"
	   "echo \"$*\" >>$u/calls\n"
	   "case $1 in\n"
	   "show) cat $u/$4 2>/dev/null; echo ;;\n"
	   "set-property) [ -e $u/fail-$3 ] && exit 1; echo \"${4#AllowedCPUs=}\" >$u/$3 ;;\n"
	   "*) exit 1 ;;\n"
	   "esac\n"
	   "SH\n"
	   "chmod +x systemctl",
	   root);
	snprintf(env, sizeof(env), "%s/systemctl", root);
	setenv("GPT_BOOTCFG_SYSTEMCTL", env, 1);
}

static int apply(struct path_cxt *pc, const char *name, unsigned *cpus, size_t n)
{
	struct cpu_set_list l = {.cpus = cpus, .n = n};
	_cleanup_free_ char *what = NULL;
	int r = vm_isolate_apply(pc, name, &l, "0-35", &what);

	if (r < 0)
		printf("# apply %s: %d (%s)\n", name, r, what ? what : "-");
	return r;
}

static int restore(struct path_cxt *pc, const char *name)
{
	_cleanup_free_ char *what = NULL;
	int r = vm_isolate_restore(pc, name, "0-35", &what);

	if (r < 0)
		printf("# restore %s: %d (%s)\n", name, r, what ? what : "-");
	return r;
}

int main(void)
{
	_cleanup_path_cxt_ struct path_cxt *pc = NULL;
	unsigned a[] = {14, 32, 15, 33}, b[] = {4, 22}, all[36];
	_cleanup_free_ char *mask = NULL;

	snprintf(root, sizeof(root), "/tmp/test-isolate.%d", (int)getpid());
	if (system("true") != 0 || mkdir(root, 0755) < 0 || path_cxt_new(root, &pc) < 0)
		return 1;
	setup();

	ok(cpumask_format((unsigned[]){0, 1, 2, 3, 34, 35}, 6, &mask) == 0 &&
	       streq(mask, "c,0000000f"),
	   "cpumask_format: 32-bit groups, highest first");

	is_int(apply(pc, "a", a, 4), 0, "VM a on 14-15,32-33");
	is_str(cat("units/system.slice"), "0-13,16-31,34-35", "system.slice narrowed");
	is_str(cat("units/user.slice"), "0-13,16-31,34-35", "user.slice narrowed");
	is_str(cat("units/init.scope"), "0-13,16-31,34-35", "init.scope narrowed");
	is_str(cat("proc/irq/24/smp_affinity_list"), "0-13,16-31,34-35", "IRQ 24 moved off");
	is_str(cat("proc/irq/25/smp_affinity_list"), "0-13,16-31,34-35", "IRQ 25 moved off");
	is_str(cat("sys/devices/virtual/workqueue/cpumask"), "c,ffff3fff", "workqueue cpumask");
	ok(strstr(cat("run/gpt-bootcfg/a.isolate"), "unit system.slice -"),
	   "record: system.slice had no AllowedCPUs");
	ok(strstr(cat("run/gpt-bootcfg/a.isolate"), "irq 25 3"), "record: IRQ 25 was on CPU 3");

	is_int(apply(pc, "b", b, 2), 0, "VM b on 4,22 next to it");
	is_str(cat("units/system.slice"), "0-3,5-13,16-21,23-31,34-35", "both VMs' CPUs off");
	ok(strstr(cat("run/gpt-bootcfg/b.isolate"), "unit user.slice 0-35"),
	   "b records the originals from a's record, not the narrowed values");

	is_int(restore(pc, "a"), 1, "a stops");
	is_str(cat("units/system.slice"), "0-3,5-21,23-35", "the host keeps off b's CPUs only");
	is_str(cat("proc/irq/25/smp_affinity_list"), "0-3,5-21,23-35", "IRQs too");
	is_str(cat("run/gpt-bootcfg/a.isolate"), "(none)", "a's record is gone");

	is_int(restore(pc, "b"), 1, "b stops, the last");
	is_str(cat("units/system.slice"), "", "system.slice: AllowedCPUs reset (empty)");
	is_str(cat("units/user.slice"), "0-35", "user.slice: its own value back");
	is_str(cat("proc/irq/24/smp_affinity_list"), "0-35", "IRQ 24 back");
	is_str(cat("proc/irq/25/smp_affinity_list"), "3", "IRQ 25 back on CPU 3");
	is_str(cat("sys/devices/virtual/workqueue/cpumask"), "f,ffffffff", "workqueue back");
	is_str(cat("run/gpt-bootcfg/b.isolate"), "(none)", "b's record is gone");
	is_int(restore(pc, "b"), 0, "a second stop finds no record");

	/* A runner killed after narrowing: the record alone gives everything back. */
	is_int(apply(pc, "c", a, 4), 0, "VM c");
	{
		_cleanup_path_cxt_ struct path_cxt *pc2 = NULL;

		ok(path_cxt_new(root, &pc2) == 0 && restore(pc2, "c") == 1,
		   "a later process (vm stop, next run) plays c's record back");
		is_str(cat("units/user.slice"), "0-35", "user.slice back");
	}

	for (unsigned i = 0; i < 36; i++)
		all[i] = i;
	is_int(apply(pc, "d", all, 36), -EINVAL, "vCPUs on every CPU: refused");
	is_str(cat("run/gpt-bootcfg/d.isolate"), "(none)", "no record");
	is_str(cat("units/user.slice"), "0-35", "nothing changed");

	sh("%s", "touch units/fail-init.scope");
	ok(apply(pc, "e", a, 4) < 0, "systemctl refusing init.scope fails the start");
	is_str(cat("units/system.slice"), "", "system.slice undone");
	is_str(cat("units/user.slice"), "0-35", "user.slice undone");
	ok(strstr(cat("run/gpt-bootcfg/e.isolate"), "unit init.scope -"),
	   "init.scope refuses the undo too: the record stays for vm stop");
	sh("%s", "rm units/fail-init.scope");
	is_int(restore(pc, "e"), 1, "vm stop plays it back");
	is_str(cat("units/init.scope"), "", "init.scope reset");
	is_str(cat("run/gpt-bootcfg/e.isolate"), "(none)", "record gone");

	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		(void)!system(cmd);
	}
	return done_testing();
}
