/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vm_config_parse() and qemu_cmd_build() on [vm] sections built by hand: the raw config
 * layer is another file's business, so these tests only need its data types.
 */
#include "../../src/gpt-bootcfg/vmconfig.c"
#include "../../src/gpt-bootcfg/qemucmd.c"
#include "../../src/gpt-bootcfg/vmhw.c"
#include "tap.h"

#define MAX_ENTRIES 64

static struct config_entry entries[MAX_ENTRIES];
static struct config_section sections[4];
static struct config cfg;

/* Build [device gpu] [device audio] [device usb] [vm NAME] from "key=value" lines. */
static const struct config_section *make(const char *const *kv)
{
	size_t n = 0;

	memset(entries, 0, sizeof(entries));
	for (; kv[n]; n++) {
		const char *eq = strchr(kv[n], '=');

		entries[n].key = strndup(kv[n], (size_t)(eq - kv[n]));
		entries[n].value = strdup(eq + 1);
		entries[n].line = 10 + (unsigned)n;
		entries[n].col_key = 1;
		entries[n].col_value = (unsigned)(eq - kv[n]) + 4;
	}
	sections[0] = (struct config_section){.type = "device", .name = "gpu", .line = 1};
	sections[1] = (struct config_section){.type = "device", .name = "audio", .line = 3};
	sections[2] = (struct config_section){.type = "device", .name = "usb", .line = 5};
	sections[3] = (struct config_section){
		.type = "vm", .name = "win10", .line = 9, .entries = entries, .n_entries = n};
	cfg = (struct config){.path = "/etc/gpt-bootcfg/gpt-bootcfg.conf",
			      .sections = sections,
			      .n_sections = 4};
	return &sections[3];
}

static void release(void)
{
	for (size_t i = 0; i < MAX_ENTRIES; i++) {
		free(entries[i].key);
		free(entries[i].value);
	}
	memset(entries, 0, sizeof(entries));
}

/* Parse and return the error ("" on success), freeing everything. */
static char *parse_error(const char *const *kv)
{
	struct vm_config *vm = NULL;
	char *err = NULL;
	int r = vm_config_parse(&cfg, make(kv), &vm, &err);

	vm_config_free(vm);
	release();
	if (r >= 0)
		return strdup("");
	return err ? err : strdup("(no message)");
}

static int argv_has(char **argv, const char *opt, const char *val)
{
	for (size_t i = 0; argv[i] && argv[i + 1]; i++)
		if (streq(argv[i], opt) && streq(argv[i + 1], val))
			return 1;
	return 0;
}

static void test_cpulist(void)
{
	struct cpu_set_list l = {0};
	char *s = NULL;

	is_int(vm_cpulist_parse("14-17,32-35", &l), 0, "cpulist parse");
	is_int(l.n, 8, "eight CPUs");
	is_int(l.cpus[4], 32, "order kept");
	is_int(vm_cpulist_format(&l, &s), 0, "format");
	is_str(s, "14-17,32-35", "round trip");
	free(s);
	free(l.cpus);
	is_int(vm_cpulist_parse("3,1-2", &l), 0, "unsorted list");
	is_int(l.cpus[0], 3, "written order");
	free(l.cpus);
	is_int(vm_cpulist_parse("1,1", &l), -ENOTUNIQ, "duplicate refused");
	is_int(vm_cpulist_parse("5-3", &l), -EINVAL, "reversed range refused");
	is_int(vm_cpulist_parse("1,", &l), -EINVAL, "trailing comma refused");
	is_int(vm_cpulist_parse("99999", &l), -EINVAL, "huge CPU refused");
	is_int(vm_cpulist_parse("a", &l), -EINVAL, "garbage refused");
	is_int(vm_cpulist_parse(" 0-1\n", &l), 0, "sysfs newline accepted");
	is_int(l.n, 2, "two");
	free(l.cpus);
	l = (struct cpu_set_list){0};
	is_int(vm_cpulist_format(&l, &s), 0, "empty format");
	is_str(s, "", "empty string");
	free(s);
}

static void test_guide_vm(void)
{
	static const char *const kv[] = {
		"memory=16G",
		"hugepage-size=1G",
		"vcpus=8",
		"sockets=1",
		"cores=4",
		"threads=2",
		"vcpu-pins=14-17,32-35",
		"emulator-cpus=12-13",
		"hyperv=yes",
		"hide-kvm=yes",
		"rtc=localtime",
		"devices=gpu, audio usb",
		"device-options=usb x-no-kvm-intx=yes",
		"disk=/data/img/win10-nvme0-os.img bus=nvme",
		"cdrom=/data/drv/virtio-win.iso",
		"autostart=yes",
		NULL,
	};
	struct qemu_passthrough pt[] = {
		{.address = "0000:65:00.0", .device = "gpu", .class = 0x030000, .numa_node = 0},
		{.address = "0000:65:00.1", .device = "audio", .class = 0x040300, .numa_node = 0},
		{.address = "0000:b4:00.0", .device = "usb", .class = 0x0c0330, .numa_node = 0},
	};
	struct vm_config *vm = NULL;
	char *err = NULL, **argv = NULL;
	struct qemu_cmd_input in = {0};

	for (size_t i = 0; i < ARRAY_SIZE(pt); i++)
		pci_addr_parse(pt[i].address, &pt[i].addr);
	if (!ok(vm_config_parse(&cfg, make(kv), &vm, &err) == 0, "guide VM parses")) {
		printf("#   %s\n", err);
		release();
		return;
	}
	is_int(vm->memory, UINT64_C(16) << 30, "16 GiB");
	is_int(vm->vcpu_pins.n, 8, "8 pins");
	is_int(vm->vcpu_pins.cpus[7], 35, "last pin");
	is_int(vm->emulator_cpus.n, 2, "emulator CPUs");
	is_int(strv_length(vm->devices), 3, "three devices");
	is_int(vm->autostart, 1, "autostart");
	is_str(vm_options(vm)->disks[0].cache, "none", "cache=none default");
	is_str(vm_options(vm)->disks[0].aio, "native", "aio=native default");

	in.vm = vm;
	in.pt = pt;
	in.n_pt = ARRAY_SIZE(pt);
	is_int(qemu_cmd_build(&in, &argv), 0, "argv built");
	ok(argv_has(argv, "-device", "pcie-root-port,id=rp1,chassis=1"), "root port 1");
	ok(argv_has(argv, "-device",
		    "vfio-pci,host=0000:65:00.0,id=hostdev0,bus=rp1,addr=00.0,multifunction=on"),
	   "GPU function 0 multifunction");
	ok(argv_has(argv, "-device", "vfio-pci,host=0000:65:00.1,id=hostdev1,bus=rp1,addr=00.1"),
	   "audio on the same port, function 1");
	ok(argv_has(argv, "-device",
		    "vfio-pci,host=0000:b4:00.0,id=hostdev2,bus=rp2,addr=00.0,x-no-kvm-intx=on"),
	   "USB on its own port with its option normalised");
	ok(argv_has(argv, "-object",
		    "memory-backend-file,id=mem0,size=16384M,mem-path=/dev/hugepages,prealloc=on,"
		    "share=off,host-nodes=0,policy=bind"),
	   "hugetlbfs backend bound to the GPU's node");
	ok(argv_has(argv, "-smp", "8,sockets=1,cores=4,threads=2"), "topology");
	ok(argv_has(argv, "-qmp", "unix:/run/gpt-bootcfg/win10.qmp,server=on,wait=off"),
	   "QMP on a unix socket");
	ok(argv_has(argv, "-device",
		    "nvme,drive=disk0,serial=gpt-bootcfg-0,max_ioqpairs=8,bootindex=1"),
	   "emulated NVMe with a queue pair per vCPU");
	ok(argv_has(argv, "-cpu",
		    "host,kvm=off,hv_vendor_id=gptbootcfg," HYPERV_FLAGS), "Windows CPU flags");
	ok(!argv_has(argv, "-monitor", "telnet:127.0.0.1:8999,server,nowait"), "no telnet monitor");
	strv_free(argv);

	in.accel = "tcg";
	in.mem_path = "/tmp/x";
	in.standins = true;
	is_int(qemu_cmd_build(&in, &argv), 0, "test argv built");
	ok(argv_has(argv, "-cpu", "max"), "tcg swaps the CPU model");
	ok(argv_has(argv, "-device", "bochs-display,id=hostdev0,bus=rp1,addr=00.0,multifunction=on"),
	   "display stand-in keeps the slot layout");
	strv_free(argv);
	vm_config_free(vm);
	release();
}

static void test_function_without_zero(void)
{
	static const char *const kv[] = {"memory=1G", "devices=audio", NULL};
	struct qemu_passthrough pt = {.address = "0000:65:00.1", .device = "audio", .numa_node = -1};
	struct qemu_cmd_input in = {0};
	struct vm_config *vm = NULL;
	char *err = NULL, **argv = NULL;

	pci_addr_parse(pt.address, &pt.addr);
	is_int(vm_config_parse(&cfg, make(kv), &vm, &err), 0, "single audio function");
	in.vm = vm;
	in.pt = &pt;
	in.n_pt = 1;
	is_int(qemu_cmd_build(&in, &argv), 0, "built");
	ok(argv_has(argv, "-device", "vfio-pci,host=0000:65:00.1,id=hostdev0,bus=rp1,addr=00.0"),
	   "a lone function 1 becomes function 0 in the guest");
	ok(argv_has(argv, "-object",
		    "memory-backend-file,id=mem0,size=1024M,mem-path=/dev/hugepages,prealloc=on,"
		    "share=off"),
	   "no NUMA binding without a node");
	strv_free(argv);
	vm_config_free(vm);
	release();
}

static void check_error(const char *const *kv, const char *want, const char *what)
{
	char *e = parse_error(kv);

	is_str(e, want, "%s", what);
	free(e);
}

static void test_errors(void)
{
	check_error((const char *const[]){"vcpus=2", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:9:1: [vm win10] needs 'memory = SIZE'",
		    "memory required");
	check_error((const char *const[]){"memory=16X", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:10:10: memory: invalid size '16X' (expected "
		    "e.g. 16G or 4096M)",
		    "bad size");
	check_error((const char *const[]){"memory=1G", "devices=gpu nosuch", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:11:11: devices: no [device nosuch] section",
		    "unknown device");
	check_error((const char *const[]){"memory=1G", "colour=blue", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:11:1: unknown key 'colour' in [vm win10]",
		    "unknown key");
	check_error((const char *const[]){"memory=1G", "vcpus=4", "vcpu-pins=1-3", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:12:13: vcpu-pins: 3 host CPUs for 4 vCPUs "
		    "(one per vCPU, in order)",
		    "pin count");
	check_error((const char *const[]){"memory=1G", "vcpu-pins=1-3", "emulator-cpus=3", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:12:17: emulator-cpus: CPU 3 also runs a vCPU "
		    "(vcpu-pins)",
		    "overlap");
	check_error((const char *const[]){"memory=1536M", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:10:10: memory: 1536 MiB is not a multiple "
		    "of the 1024 MiB hugepage size",
		    "hugepage multiple");
	check_error((const char *const[]){"memory=1G", "vcpus=6", "threads=4", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:12:11: vcpus 6 cannot be split into 1 "
		    "socket(s) of 4 thread(s) per core",
		    "topology");
	check_error((const char *const[]){"memory=1G", "disk=relative.img", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:11:8: disk: 'relative.img' is not an "
		    "absolute path without commas or spaces",
		    "relative disk");
	check_error((const char *const[]){"memory=1G", "disk=/a.img cache=writeback", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:11:8: disk: aio=native needs cache=none or "
		    "cache=directsync",
		    "aio without O_DIRECT");
	check_error((const char *const[]){"memory=1G", "disk=nvme://0000:b3:00.0/0", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:11:8: disk: NVMe namespaces start at 1 in "
		    "'nvme://0000:b3:00.0/0'",
		    "nvme namespace 0");
	check_error((const char *const[]){"memory=1G", "spice=0.0.0.0:5900", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:11:9: spice: expected no, unix or "
		    "loopback[:PORT], not '0.0.0.0:5900' (SPICE never listens beyond the loopback "
		    "interface)",
		    "spice on all interfaces refused");
	check_error((const char *const[]){"memory=1G", "spice=loopback", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:9:1: [vm win10]: spice = loopback needs "
		    "spice-password-file",
		    "spice password required");
	check_error((const char *const[]){"memory=1G", "usb-redirect=2", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:11:16: usb-redirect: needs spice = unix or "
		    "loopback",
		    "usbredir needs spice");
	check_error((const char *const[]){"memory=1G", "memory=2G", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:11:1: 'memory' is already set on line 10",
		    "duplicate key");
	check_error((const char *const[]){"memory=1G", "device-options=gpu x-vga=maybe",
					  "devices=gpu", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:11:18: device-options: x-vga expects on or "
		    "off, not 'maybe'",
		    "bad device option value");
	check_error((const char *const[]){"memory=1G", "device-options=gpu bar=1", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:11:18: device-options: unknown option 'bar=1' "
		    "(known: x-vga, rombar, romfile, x-no-kvm-intx, as name=value)",
		    "unknown device option");
	check_error((const char *const[]){"memory=1G", "device-options=gpu x-vga=on", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:9:1: [vm win10]: device-options for 'gpu', "
		    "which is not in devices",
		    "options for an unused device");
	check_error((const char *const[]){"memory=1G", "mac=01:00:00:00:00:01", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:11:7: mac: '01:00:00:00:00:01' is not a "
		    "unicast MAC address like 52:54:00:12:34:56",
		    "multicast MAC refused");
}

int main(void)
{
	test_cpulist();
	test_guide_vm();
	test_function_without_zero();
	test_errors();
	return done_testing();
}
