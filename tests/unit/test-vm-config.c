/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vm_config_parse() and qemu_cmd_build() on [vm] sections built by hand: the raw config
 * layer is another file's business, so these tests only need its data types.
 */
#include "conf/vmconfig.h"
#include "vm/qemucmd.h"
#include "conf/vm-hw.h"
#include "vm/state.h"
#include "tap.h"

#define MAX_ENTRIES 64

static struct config_entry entries[MAX_ENTRIES];
static struct config_section sections[4];
static struct config cfg;
/* The name of the third [device] section (a test renames it). */
static char *third_device = "usb";

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
	sections[2] = (struct config_section){.type = "device", .name = third_device, .line = 5};
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

	is_int(cpulist_parse_ordered("14-17,32-35", &l), 0, "cpulist parse");
	is_int(l.n, 8, "eight CPUs");
	is_int(l.cpus[4], 32, "order kept");
	is_int(cpulist_format(l.cpus, l.n, &s), 0, "format");
	is_str(s, "14-17,32-35", "round trip");
	free(s);
	free(l.cpus);
	is_int(cpulist_parse_ordered("3,1-2", &l), 0, "unsorted list");
	is_int(l.cpus[0], 3, "written order");
	free(l.cpus);
	is_int(cpulist_parse_ordered("1,1", &l), -ENOTUNIQ, "duplicate refused");
	is_int(cpulist_parse_ordered("5-3", &l), -EINVAL, "reversed range refused");
	is_int(cpulist_parse_ordered("1,", &l), -EINVAL, "trailing comma refused");
	is_int(cpulist_parse_ordered("99999", &l), -EINVAL, "huge CPU refused");
	is_int(cpulist_parse_ordered("a", &l), -EINVAL, "garbage refused");
	is_int(cpulist_parse_ordered(" 0-1\n", &l), 0, "sysfs newline accepted");
	is_int(l.n, 2, "two");
	free(l.cpus);
	l = (struct cpu_set_list){0};
	is_int(cpulist_format(l.cpus, l.n, &s), 0, "empty format");
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
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:11:28: device-options: x-vga expects on or "
		    "off, not 'maybe'",
		    "bad device option value");
	check_error((const char *const[]){"memory=1G", "device-options=gpu bar=1", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:11:22: device-options: unknown option 'bar' "
		    "(known: " HW_KNOWN_OPTIONS ")",
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

/* Build the argv of kv with pt (may be empty) and return it; NULL on a parse error. */
static char **build(const char *const *kv, const struct qemu_passthrough *pt, size_t n_pt)
{
	struct qemu_cmd_input in = {0};
	struct vm_config *vm = NULL;
	char *err = NULL, **argv = NULL;

	if (vm_config_parse(&cfg, make(kv), &vm, &err) < 0) {
		printf("#   %s\n", err);
		free(err);
		release();
		return NULL;
	}
	in.vm = vm;
	in.pt = pt;
	in.n_pt = n_pt;
	if (qemu_cmd_build(&in, &argv) < 0)
		argv = NULL;
	vm_config_free(vm);
	release();
	return argv;
}

/* gpu = display, audio = HDA, usb = an NVMe here (the storage class decides). */
static struct qemu_passthrough boot_pt[3] = {
	{.address = "0000:65:00.0", .device = "gpu", .class = 0x030000, .numa_node = -1},
	{.address = "0000:65:00.1", .device = "audio", .class = 0x040300, .numa_node = -1},
	{.address = "0000:b3:00.0", .device = "usb", .class = 0x010802, .numa_node = -1},
};

static void test_boot_order(void)
{
	char **argv;

	for (size_t i = 0; i < ARRAY_SIZE(boot_pt); i++)
		pci_addr_parse(boot_pt[i].address, &boot_pt[i].addr);

	/* Default: passed-through storage, then disk images, then CD-ROMs; GPU none. */
	argv = build((const char *const[]){"memory=1G", "devices=gpu audio usb", "disk=/os.img",
					   "cdrom=/a.iso", "cdrom=/b.iso", NULL},
		     boot_pt, 3);
	ok(argv_has(argv, "-device",
		    "vfio-pci,host=0000:b3:00.0,id=hostdev2,bus=rp2,addr=00.0,bootindex=1"),
	   "default: the passed-through NVMe boots first");
	ok(argv_has(argv, "-device",
		    "vfio-pci,host=0000:65:00.0,id=hostdev0,bus=rp1,addr=00.0,multifunction=on"),
	   "default: the GPU gets no bootindex");
	ok(argv_has(argv, "-device", "virtio-blk-pci,drive=disk0,iothread=iothread-disk0,"
				     "num-queues=2,bootindex=2"),
	   "default: the disk image second");
	ok(argv_has(argv, "-device", "ide-cd,drive=cdrom1,bus=ide.1,bootindex=4"),
	   "default: the CD-ROMs last, in order");
	strv_free(argv);

	/* boot = ...: exactly those, in that order; the others none. */
	argv = build((const char *const[]){"memory=1G", "devices=gpu audio usb", "disk=/os.img",
					   "cdrom=/a.iso", "network=user", "boot=cdrom, usb network",
					   NULL},
		     boot_pt, 3);
	ok(argv_has(argv, "-device", "ide-cd,drive=cdrom0,bus=ide.0,bootindex=1"),
	   "boot: cdrom first");
	ok(argv_has(argv, "-device",
		    "vfio-pci,host=0000:b3:00.0,id=hostdev2,bus=rp2,addr=00.0,bootindex=2"),
	   "boot: the device second");
	ok(argv_has(argv, "-device", "virtio-net-pci,netdev=net0,bootindex=3"),
	   "boot: network third");
	ok(argv_has(argv, "-device",
		    "virtio-blk-pci,drive=disk0,iothread=iothread-disk0,num-queues=2"),
	   "boot: an unlisted disk gets no bootindex");
	strv_free(argv);

	/* device-options bootindex: kept, the default order continues after it. */
	argv = build((const char *const[]){"memory=1G", "devices=gpu audio usb", "cdrom=/a.iso",
					   "device-options=gpu bootindex=5,x-vga=on", NULL},
		     boot_pt, 3);
	ok(argv_has(argv, "-device",
		    "vfio-pci,host=0000:65:00.0,id=hostdev0,bus=rp1,addr=00.0,multifunction=on,"
		    "x-vga=on,bootindex=5"),
	   "device-options: bootindex after the other options");
	ok(argv_has(argv, "-device",
		    "vfio-pci,host=0000:b3:00.0,id=hostdev2,bus=rp2,addr=00.0,bootindex=6"),
	   "device-options: the default order after it");
	ok(argv_has(argv, "-device", "ide-cd,drive=cdrom0,bus=ide.0,bootindex=7"),
	   "device-options: then the CD-ROM");
	strv_free(argv);
}

static void test_hardware(void)
{
	char **argv;

	argv = build((const char *const[]){"memory=1G", "hugepage-size=none", "hyperv=yes",
					   "machine=pc-q35-6.2",
					   "uuid=8C3F1A52-6B0E-4D3E-9A57-2F6E1C0B9D41", NULL},
		     NULL, 0);
	ok(argv_has(argv, "-machine", "pc-q35-6.2,accel=kvm,vmport=off,hpet=off,memory-backend=mem0"),
	   "machine key, no HPET");
	ok(argv_has(argv, "-uuid", "8c3f1a52-6b0e-4d3e-9a57-2f6e1c0b9d41"), "uuid, lower case");
	ok(argv_has(argv, "-rtc", "base=localtime,driftfix=slew"),
	   "hyperv = yes: RTC in local time by default, slewed");
	ok(argv_has(argv, "-global", "kvm-pit.lost_tick_policy=delay"), "PIT ticks delayed");
	ok(argv_has(argv, "-msg", "timestamp=on"), "timestamped messages");
	ok(!argv_has(argv, "-device", "virtio-vga,id=video0"), "no display without SPICE");
	strv_free(argv);

	argv = build((const char *const[]){"memory=1G", "hugepage-size=none", "hyperv=yes",
					   "rtc=utc", "spice=unix", NULL},
		     NULL, 0);
	ok(argv_has(argv, "-rtc", "base=utc,driftfix=slew"), "rtc = utc wins over the hint");
	ok(argv_has(argv, "-machine", "q35,accel=kvm,vmport=off,hpet=off,memory-backend=mem0"),
	   "nothing pinned: q35");
	ok(argv_has(argv, "-device", "virtio-vga,id=video0"), "SPICE: virtio-vga by default");
	ok(argv_has(argv, "-chardev", "spiceport,id=spicestream,name=org.spice-space.stream.0"),
	   "SPICE: streaming channel");
	ok(argv_has(argv, "-device",
		    "virtserialport,bus=vserial0.0,chardev=spicestream,name=org.spice-space.stream.0"),
	   "SPICE: its port");
	ok(!argv_has(argv, "-audiodev", "spice,id=audio0"), "audio none by default");
	strv_free(argv);

	argv = build((const char *const[]){"memory=1G", "hugepage-size=none", "spice=unix",
					   "display=qxl-vga", "audio=spice", NULL},
		     NULL, 0);
	ok(argv_has(argv, "-device", "qxl-vga,id=video0"), "display = qxl-vga");
	ok(argv_has(argv, "-audiodev", "spice,id=audio0") &&
		   argv_has(argv, "-device", "ich9-intel-hda,id=sound0") &&
		   argv_has(argv, "-device", "hda-duplex,bus=sound0.0,audiodev=audio0"),
	   "audio = spice: HDA codec on a SPICE audiodev");
	strv_free(argv);

	argv = build((const char *const[]){"memory=1G", "hugepage-size=none", "spice=unix",
					   "display=none", NULL},
		     NULL, 0);
	ok(argv && !argv_has(argv, "-device", "virtio-vga,id=video0") &&
		   !argv_has(argv, "-device", "qxl-vga,id=video0"),
	   "display = none: the GPU is the only display");
	strv_free(argv);

	argv = build((const char *const[]){"memory=1G", "devices=gpu",
					   "device-options=gpu x-pci-vendor-id=0x10DE,rombar=0,"
					   "romfile=/r.rom,display=auto,x-msix-relocation=bar2",
					   NULL},
		     boot_pt, 1);
	ok(argv_has(argv, "-device",
		    "vfio-pci,host=0000:65:00.0,id=hostdev0,bus=rp1,addr=00.0,"
		    "x-pci-vendor-id=0x10de,rombar=0,romfile=/r.rom,display=auto,"
		    "x-msix-relocation=bar2"),
	   "vfio-pci options, ids normalised");
	strv_free(argv);
}

static void test_identity(void)
{
	char *m = NULL, *u = NULL;
	static const char help[] =
		"Supported machines are:\n"
		"pc                   Standard PC (i440FX + PIIX, 1996) (alias of pc-i440fx-7.2)\n"
		"pc-q35-7.1           Standard PC (Q35 + ICH9, 2009)\n"
		"q35                  Standard PC (Q35 + ICH9, 2009) (alias of pc-q35-7.2)\n"
		"pc-q35-7.2           Standard PC (Q35 + ICH9, 2009)\n";

	is_int(qemu_machine_help_alias(help, "q35", &m), 0, "q35 alias found");
	is_str(m, "pc-q35-7.2", "its versioned type");
	free(m);
	m = NULL;
	is_int(qemu_machine_help_alias("pc-q35-7.1  Standard PC\n", "q35", &m), -ENOENT,
	       "no alias: -ENOENT");
	is_int(qemu_machine_help_alias("q35x  Standard PC (alias of pc-q35-9.9)\n", "q35", &m),
	       -ENOENT, "only the exact alias");
	ok(vm_machine_type_valid("pc-q35-10.0"), "pc-q35-10.0 valid");
	ok(!vm_machine_type_valid("pc-q35-7"), "no minor: invalid");
	ok(!vm_machine_type_valid("pc-i440fx-7.2"), "i440fx refused");
	ok(!vm_machine_type_valid("pc-q35-7.2,accel=tcg"), "no options smuggled in");
	is_int(vm_uuid_generate(&u), 0, "uuid generated");
	ok(u && vm_uuid_valid(u) && u[14] == '4', "a valid version 4 UUID");
	free(u);
	ok(!vm_uuid_valid("8c3f1a52-6b0e-4d3e-9a57-2f6e1c0b9d4"), "short UUID refused");
}

static void test_hw_errors(void)
{
	check_error((const char *const[]){"memory=1G", "devices=gpu",
					  "device-options=gpu x-vga=on,host=0000:01:00.0", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:12:31: device-options: 'host' is set by "
		    "gpt-bootcfg, not here",
		    "device-options: host refused");
	check_error((const char *const[]){"memory=1G", "devices=gpu",
					  "device-options=gpu romfile=/a.rom=x", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:12:30: device-options: invalid value "
		    "'/a.rom=x' for romfile",
		    "device-options: '=' in a value");
	check_error((const char *const[]){"memory=1G", "devices=gpu",
					  "device-options=gpu x-vga=on,,rombar=0", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:12:31: device-options: empty option (two "
		    "commas, or one at the start or end)",
		    "device-options: empty option");
	check_error((const char *const[]){"memory=1G", "devices=gpu",
					  "device-options=gpu x-vga=on,", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:12:30: device-options: empty option (two "
		    "commas, or one at the start or end)",
		    "device-options: trailing comma");
	check_error((const char *const[]){"memory=1G", "devices=gpu",
					  "device-options=gpu x-vga=on x-vga=off", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:12:18: device-options: expected 'DEVICE "
		    "option=value,...'",
		    "device-options: a second word");
	check_error((const char *const[]){"memory=1G", "devices=gpu",
					  "device-options=gpu x-vga=on,x-vga=off", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:12:31: device-options: x-vga is given twice",
		    "device-options: an option twice");
	check_error((const char *const[]){"memory=1G", "devices=gpu",
					  "device-options=gpu bootindex=0", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:12:32: device-options: bootindex must be 1 "
		    "to 999, not '0'",
		    "device-options: bootindex 0");
	check_error((const char *const[]){"memory=1G", "devices=gpu",
					  "device-options=gpu x-pci-vendor-id=10de", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:12:38: device-options: x-pci-vendor-id must "
		    "be a PCI id like 0x10de, not '10de'",
		    "device-options: PCI id");
	check_error((const char *const[]){"memory=1G", "devices=gpu usb", "boot=usb",
					  "device-options=gpu bootindex=1", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:13:22: device-options: bootindex and 'boot' "
		    "(line 12) both set the boot order; use boot = ...",
		    "bootindex and boot");
	check_error((const char *const[]){"memory=1G", "devices=gpu usb",
					  "device-options=gpu bootindex=1",
					  "device-options=usb bootindex=1", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:13:22: device-options: bootindex=1 is also "
		    "given to 'gpu' on line 12",
		    "bootindex twice");
	check_error((const char *const[]){"memory=1G", "devices=gpu", "boot=cdrom gpu", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:12:8: boot: 'cdrom', but no cdrom is "
		    "configured",
		    "boot: cdrom without one");
	check_error((const char *const[]){"memory=1G", "boot=gpu", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:11:8: boot: 'gpu' is not in devices",
		    "boot: a device not in devices");
	check_error((const char *const[]){"memory=1G", "boot=disk floppy", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:11:13: boot: 'floppy' is not disk, cdrom, "
		    "network or a [device] section",
		    "boot: unknown item, its column");
	check_error((const char *const[]){"memory=1G", "disk=/a.img", "boot=disk disk", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:12:13: boot: 'disk' is listed twice",
		    "boot: twice");
	third_device = "cdrom";
	check_error((const char *const[]){"memory=1G", "cdrom=/a.iso", "boot=cdrom", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:12:8: boot: 'cdrom' is both a keyword and a "
		    "[device cdrom] section; rename the section",
		    "boot: a keyword that is also a device name");
	third_device = "usb";
	check_error((const char *const[]){"memory=1G", "boot=network", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:11:8: boot: 'network', but network = none",
		    "boot: network without one");
	check_error((const char *const[]){"memory=1G", "display=qxl-vga", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:11:11: display: needs spice = unix or "
		    "loopback (nothing else shows it)",
		    "display without SPICE");
	check_error((const char *const[]){"memory=1G", "display=vga", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:11:11: display: expected virtio-vga, qxl-vga "
		    "or none, not 'vga'",
		    "unknown display");
	check_error((const char *const[]){"memory=1G", "audio=spice", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:11:9: audio: spice needs spice = unix or "
		    "loopback",
		    "SPICE audio without SPICE");
	check_error((const char *const[]){"memory=1G", "audio=alsa", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:11:9: audio: expected pipewire, pulseaudio, "
		    "spice or none, not 'alsa'",
		    "unknown audio backend");
	check_error((const char *const[]){"memory=1G", "machine=q35", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:11:11: machine: expected a versioned q35 "
		    "machine type like pc-q35-7.2, not 'q35' (qemu-system-x86_64 -machine help "
		    "lists them)",
		    "unversioned machine type");
	check_error((const char *const[]){"memory=1G", "uuid=nope", NULL},
		    "/etc/gpt-bootcfg/gpt-bootcfg.conf:11:8: uuid: 'nope' is not a UUID like "
		    "8c3f1a52-6b0e-4d3e-9a57-2f6e1c0b9d41",
		    "bad UUID");
}

int main(void)
{
	test_cpulist();
	test_guide_vm();
	test_function_without_zero();
	test_errors();
	test_boot_order();
	test_hardware();
	test_identity();
	test_hw_errors();
	return done_testing();
}
