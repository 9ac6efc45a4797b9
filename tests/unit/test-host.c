/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host model on a small hand-made tree in /tmp (the capture fixtures are tested by
 * the integration tests). */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cpulist.h"
#include "shared/host.h"
#include "basic/mountinfo.h"
#include "basic/path.h"
#include "tap.h"

static char root[64];

static int sh(const char *script)
{
	char cmd[16384];

	snprintf(cmd, sizeof(cmd), "set -e; cd '%s'; %s", root, script);
	return system(cmd);
}

/*
 * The guide's server in miniature: GPU + audio behind a root port (group 71), an NVMe
 * disk holding / (group 89), a USB controller (group 90), an Ethernet card.
 */
static const char *tree =
	"dev(){ d=sys/devices/pci0000:64/$1; mkdir -p $d; echo 0x$2 >$d/vendor; "
	"  echo 0x$3 >$d/device; echo 0x$4 >$d/class; echo 0x1028 >$d/subsystem_vendor; "
	"  echo 0x3282 >$d/subsystem_device; echo 0xa1 >$d/revision; echo 0 >$d/numa_node; "
	"  echo '(null)' >$d/driver_override; : >$d/remove; "
	"  ln -s ../../../devices/pci0000:64/$1 sys/bus/pci/devices/${1##*/}; }\n"
	"grp(){ mkdir -p sys/kernel/iommu_groups/$2/devices; "
	"  ln -s ../../../../kernel/iommu_groups/$2 sys/devices/pci0000:64/$1/iommu_group; }\n"
	"drv(){ mkdir -p sys/bus/pci/drivers/$2; "
	"  ln -s ../../../../bus/pci/drivers/$2 sys/devices/pci0000:64/$1/driver; }\n"
	"mkdir -p sys/bus/pci/devices proc/sys/kernel proc/self proc/net run/udev/data "
	"  sys/block sys/devices/system/cpu\n"
	"dev 0000:64:00.0 8086 2030 060400; grp 0000:64:00.0 70; drv 0000:64:00.0 pcieport\n"
	"dev 0000:64:00.0/0000:65:00.0 10de 1c03 030000; grp 0000:64:00.0/0000:65:00.0 71\n"
	"drv 0000:64:00.0/0000:65:00.0 nouveau\n"
	"echo 1 >sys/devices/pci0000:64/0000:64:00.0/0000:65:00.0/boot_vga\n"
	"echo 'flr bus' >sys/devices/pci0000:64/0000:64:00.0/0000:65:00.0/reset_method\n"
	"dev 0000:64:00.0/0000:65:00.1 10de 10f1 040300; grp 0000:64:00.0/0000:65:00.1 71\n"
	"drv 0000:64:00.0/0000:65:00.1 snd_hda_intel\n"
	"dev 0000:b3:00.0 8086 f1a6 010802; grp 0000:b3:00.0 89; drv 0000:b3:00.0 nvme\n"
	"echo -1 >sys/devices/pci0000:64/0000:b3:00.0/numa_node\n"
	"n=sys/devices/pci0000:64/0000:b3:00.0/nvme/nvme0/nvme0n1; mkdir -p $n/holders "
	"  $n/nvme0n1p1/holders $n/nvme0n1p2/holders\n"
	"echo 259:0 >$n/dev; echo 259:1 >$n/nvme0n1p1/dev; echo 259:2 >$n/nvme0n1p2/dev\n"
	"echo 1 >$n/nvme0n1p1/partition; echo 2 >$n/nvme0n1p2/partition\n"
	"ln -s ../devices/pci0000:64/0000:b3:00.0/nvme/nvme0/nvme0n1 sys/block/nvme0n1\n"
	"printf 'E:ID_PART_TABLE_TYPE=gpt\\n' >run/udev/data/b259:0\n"
	"printf 'E:ID_FS_TYPE=vfat\\nE:ID_FS_LABEL=EFI\\n' >run/udev/data/b259:1\n"
	"printf 'E:ID_FS_TYPE=ext4\\nE:ID_FS_LABEL=root\\n' >run/udev/data/b259:2\n"
	"dev 0000:b4:00.0 1106 3483 0c0330; grp 0000:b4:00.0 90; drv 0000:b4:00.0 xhci_hcd\n"
	"dev 0000:b5:00.0 8086 1533 020000; grp 0000:b5:00.0 91; drv 0000:b5:00.0 igb\n"
	"mkdir -p sys/devices/pci0000:64/0000:b5:00.0/net/eno1\n"
	"printf '%s\\n' '22 1 259:2 / / rw - ext4 /dev/nvme0n1p2 rw' "
	"  '23 22 259:1 / /boot/efi rw - vfat /dev/nvme0n1p1 rw' "
	"  '24 22 0:5 / /my\\040disk rw shared:1 - tmpfs tmpfs rw' >proc/self/mountinfo\n"
	"printf 'Filename\\tType\\tSize\\tUsed\\tPriority\\n' >proc/swaps\n"
	"printf 'processor\\t: 0\\nvendor_id\\t: GenuineIntel\\nflags\\t\\t: fpu vmx sse\\n\\n"
	"processor\\t: 1\\nvendor_id\\t: GenuineIntel\\nflags\\t\\t: fpu vmx sse\\n' >proc/cpuinfo\n"
	"echo 0-3,8-11 >sys/devices/system/cpu/possible\n"
	"echo 'BOOT_IMAGE=/vmlinuz root=/dev/nvme0n1p2 intel_iommu=on vfio-pci.ids=10de:1c03 "
	"quiet intel_iommu=off foo=\"a b\"' >proc/cmdline\n"
	"echo 6.1.0-13-amd64 >proc/sys/kernel/osrelease\n"
	"printf 'MemTotal:       32768000 kB\\nMemFree:        1000 kB\\n' >proc/meminfo\n"
	"printf 'Iface\\tDestination\\tGateway\\tFlags\\tRefCnt\\tUse\\tMetric\\tMask\\tMTU\\tWindow\\tIRTT\\n"
	"eno1\\t0000A8C0\\t00000000\\t0001\\t0\\t0\\t0\\t00FFFFFF\\t0\\t0\\t0\\n"
	"eno1\\t00000000\\t0100A8C0\\t0003\\t0\\t0\\t0\\t00000000\\t0\\t0\\t0\\n' >proc/net/route\n";

static void test_parsers(void)
{
	struct mountinfo_entry *m = NULL;
	unsigned *cpus = NULL, line = 0;
	char **swaps = NULL;
	size_t n = 0;

	is_int(cpulist_count("0-3,8-11\n"), 8, "cpulist: ranges");
	is_int(cpulist_count("0"), 1, "cpulist: single");
	is_int(cpulist_count(""), 0, "cpulist: empty");
	is_int(cpulist_count("3-1"), -EBADMSG, "cpulist: reversed range");
	is_int(cpulist_count("0-3x"), -EBADMSG, "cpulist: trailing garbage");
	is_int(cpulist_count("0-99999999"), -EBADMSG, "cpulist: absurd CPU number");
	/*
	 * One limit for every CPU list. The old copies disagreed: this file accepted CPUs up
	 * to 65535, vmconfig.c up to 8191. 8191 is right: the kernel's NR_CPUS is at most
	 * 8192 (x86_64 MAXSMP), so no CPU has a larger number.
	 */
	is_int(cpulist_count("8191"), 1, "cpulist: highest CPU the kernel can have");
	is_int(cpulist_count("8192"), -EBADMSG, "cpulist: above NR_CPUS");
	is_int(cpulist_count(" 0 - 1 , 3\n"), 3, "cpulist: white space around tokens");
	is_int(cpulist_count("1,"), -EBADMSG, "cpulist: trailing comma");
	is_int(cpulist_count("0,0-1"), 2, "cpulist: overlaps counted once (sorted variant)");
	is_int(cpulist_parse("4,0-1,1", &cpus, &n), 0, "cpulist: parse");
	ok(n == 3 && cpus[0] == 0 && cpus[1] == 1 && cpus[2] == 4, "cpulist: sorted, deduplicated");
	free(cpus);

	is_int(mountinfo_parse("36 35 98:0 /mnt1 /mnt\\0402 rw,noatime master:1 - ext3 /dev/root "
			       "rw\n",
			       &m, &n, &line),
	       0, "mountinfo: kernel documentation example");
	ok(n == 1 && m[0].major == 98 && m[0].minor == 0, "mountinfo: device number");
	is_str(n ? m[0].target : NULL, "/mnt 2", "mountinfo: octal escape decoded");
	is_str(n ? m[0].fstype : NULL, "ext3", "mountinfo: fstype after the separator");
	mountinfo_free(m, n);
	is_int(mountinfo_parse("ok 1 2\n", &m, &n, &line), -EBADMSG, "mountinfo: garbage");
	is_int(line, 1, "mountinfo: bad line number");
	is_int(mountinfo_parse("1 2 x:y / / rw - ext4 /dev/a rw\n", &m, &n, &line), -EBADMSG,
	       "mountinfo: bad device number");

	is_int(swaps_parse("Filename Type Size Used Priority\n/dev/sda2 partition 1 0 -2\n", &swaps,
			   &line),
	       0, "swaps: parse");
	is_int(strv_length(swaps), 1, "swaps: one");
	is_str(swaps[0], "/dev/sda2", "swaps: device");
	strv_free(swaps);
	is_int(swaps_parse("garbage\n", &swaps, &line), -EBADMSG, "swaps: header required");
}

static void test_load(void)
{
	_cleanup_path_cxt_ struct path_cxt *pc = NULL;
	_cleanup_host_ struct host *h = NULL;
	struct pci_device *gpu, *fns[8];
	struct block_device *b;
	char *v = NULL;

	ok(sh(tree) == 0, "tree created");
	is_int(path_cxt_new(root, &pc), 0, "context");
	if (!ok(host_load(pc, &h) == 0, "host loads"))
		printf("#   %s\n", host_last_error());
	if (!h)
		return;
	is_int(h->n_pci, 6, "six PCI devices");
	is_str(h->pci[0].address, "0000:64:00.0", "sorted: root port first");
	is_int(h->n_groups, 5, "five groups");
	is_int(h->groups[1].id, 71, "group 71");
	is_int(h->groups[1].n_devices, 2, "GPU and audio share group 71");
	gpu = host_find_pci_address(h, "65:00.0");
	ok(gpu != NULL, "find by short address");
	if (!gpu)
		return;
	is_str(gpu->syspath, "/sys/devices/pci0000:64/0000:64:00.0/0000:65:00.0", "canonical syspath");
	is_int(gpu->vendor, 0x10de, "vendor");
	is_int(gpu->device, 0x1c03, "device");
	is_int(gpu->class, 0x030000, "class");
	is_int(gpu->revision, 0xa1, "revision");
	is_int(gpu->subsystem_vendor, 0x1028, "subsystem vendor");
	is_str(gpu->driver, "nouveau", "driver");
	is_str(gpu->modalias, "pci:v000010DEd00001C03sv00001028sd00003282bc03sc00i00",
	       "modalias as the kernel formats it");
	ok(gpu->driver_override == NULL, "(null) driver_override is unset");
	ok(gpu->boot_vga, "boot VGA");
	is_int(strv_length(gpu->reset_methods), 2, "two reset methods");
	is_str(gpu->reset_methods[0], "flr", "first reset method");
	is_int(gpu->numa_node, 0, "numa node");
	is_int(gpu->iommu_group, 71, "group");
	ok(gpu->parent && streq(gpu->parent->address, "0000:64:00.0"), "parent bridge");
	ok(h->pci[0].is_bridge && !gpu->is_bridge, "bridge flag from class");
	is_int(host_slot_functions(h, gpu, fns, 8), 2, "two functions in the slot");
	is_str(fns[1]->address, "0000:65:00.1", "second function");
	is_int(host_find_pci_address(h, "0000:b3:00.0")->numa_node, -1, "numa -1");
	ok(host_find_pci_address(h, "0000:b3:00.0")->parent == NULL, "NVMe on the root bus");

	is_int(h->n_blocks, 1, "one disk");
	b = host_find_block(h, "nvme0n1");
	ok(b != NULL, "nvme0n1 found");
	if (b) {
		ok(b->pci == host_find_pci_address(h, "0000:b3:00.0"), "disk's PCI ancestor");
		is_int(strv_length(b->partitions), 2, "two partitions");
		is_str(b->fstype, "vfat", "fstype of the first partition that has one");
		is_str(b->label, "EFI", "label");
		is_int(b->n_uses, 2, "two mounts");
		is_str(b->n_uses ? b->uses[0].what : NULL, "/boot/efi", "ESP mount");
		is_str(b->n_uses ? b->uses[0].partition : NULL, "nvme0n1p1", "on partition 1");
		ok(!b->content_probed, "content from the udev database");
		is_int(host_find_pci_address(h, "0000:b3:00.0")->n_disks, 1, "disk linked to the device");
	}
	is_int(h->n_mounts, 3, "three mounts");
	is_str(h->mounts[2].target, "/my disk", "escaped mount point");
	is_str(h->mounts[2].options, "rw", "super block options");
	is_str(host_find_mount(h, "/boot/efi/EFI")->target, "/boot/efi", "mount of a path below it");
	is_str(host_find_mount(h, "/boot/efix")->target, "/", "a longer name is not below it");
	is_str(host_find_mount(h, "/my disk")->target, "/my disk", "the mount point itself");
	is_str(host_find_mount(h, "/")->target, "/", "the root");

	is_str(h->cpu_vendor, "GenuineIntel", "CPU vendor");
	ok(host_has_cpu_flag(h, "vmx") && !host_has_cpu_flag(h, "svm"), "CPU flags");
	is_int(h->n_cpus, 8, "possible CPUs");
	is_str(h->kernel_release, "6.1.0-13-amd64", "kernel release");
	is_str(h->default_route_dev, "eno1", "default route interface");
	is_int(h->mem_total, UINT64_C(32768000) * 1024, "MemTotal in bytes");
	is_int(host_cmdline_get(h, "intel_iommu", &v), 1, "cmdline key present");
	is_str(v, "off", "last occurrence wins");
	free(v);
	is_int(host_cmdline_get(h, "vfio_pci.ids", &v), 1, "dash and underscore are equal");
	is_str(v, "10de:1c03", "value");
	free(v);
	is_int(host_cmdline_get(h, "quiet", &v), 1, "bare flag");
	is_str(v, "", "bare flag has an empty value");
	free(v);
	is_int(host_cmdline_get(h, "foo", &v), 1, "quoted value");
	is_str(v, "a b", "quotes stripped");
	free(v);
	is_int(host_cmdline_get(h, "iommu", NULL), 0, "prefix of a key is not the key");
}

/*
 * The facts the verbs used to read themselves: IOMMU tables and units, hugepage pools per
 * size and node, online CPUs and nodes. Garbage in the IOMMU registers or the pools does
 * not fail host_load() ("list" works on such a tree): their accessors return the error.
 */
static void test_platform_facts(void)
{
	_cleanup_path_cxt_ struct path_cxt *pc = NULL;
	const struct host_hugepages *hp = NULL;
	const struct host_iommu *io = NULL;
	const struct hugepage_count *c;
	struct intremap_verdict v;
	struct host *h = NULL;

	sh("rm -rf ./* && true");
	sh(tree);
	ok(sh("mkdir -p sys/firmware/acpi/tables sys/class/iommu/dmar1/intel-iommu "
	      "sys/class/iommu/dmar0/intel-iommu sys/class/iommu/virtio0 "
	      "sys/kernel/mm/hugepages/hugepages-2048kB sys/kernel/mm/hugepages/hugepages-1048576kB "
	      "sys/devices/system/node/node0/hugepages/hugepages-1048576kB "
	      "sys/devices/system/node/node1/hugepages/hugepages-1048576kB && "
	      ": >sys/firmware/acpi/tables/DMAR && "
	      "echo 0xf0205e >sys/class/iommu/dmar0/intel-iommu/ecap && "
	      "echo f02056 >sys/class/iommu/dmar1/intel-iommu/ecap && "
	      "h=sys/kernel/mm/hugepages; "
	      "echo 0 >$h/hugepages-2048kB/nr_hugepages; echo 0 >$h/hugepages-2048kB/free_hugepages; "
	      "echo 8 >$h/hugepages-1048576kB/nr_hugepages; "
	      "echo 5 >$h/hugepages-1048576kB/free_hugepages; "
	      "echo 1 >$h/hugepages-1048576kB/surplus_hugepages; "
	      "for n in 0 1; do d=sys/devices/system/node/node$n/hugepages/hugepages-1048576kB; "
	      "echo 4 >$d/nr_hugepages; echo $((2 + n)) >$d/free_hugepages; done; "
	      "echo 0-1 >sys/devices/system/node/online; echo 0-2 >sys/devices/system/cpu/online") ==
		   0,
	   "platform facts created");
	path_cxt_new(root, &pc);
	if (!ok(host_load(pc, &h) == 0, "host loads"))
		printf("#   %s\n", host_last_error());
	if (!h)
		return;
	is_int(host_iommu(h, &io), 0, "IOMMU facts");
	ok(io && io->acpi_dmar && !io->acpi_ivrs, "DMAR table, no IVRS");
	is_int(io ? io->n_units : 0, 3, "three units");
	if (io && io->n_units == 3) {
		is_str(io->units[0].name, "dmar0", "units sorted");
		ok(io->units[0].kind == IOMMU_UNIT_DMAR && io->units[0].ecap == 0xf0205e, "dmar0 ecap");
		ok(io->units[1].ecap == 0xf02056, "ecap without 0x");
		ok(io->units[2].kind == IOMMU_UNIT_OTHER, "virtio-iommu is another kind");
	}
	is_int(host_interrupt_remapping(h, &v), 0, "verdict");
	is_int(v.state, INTREMAP_UNSUPPORTED, "dmar1 without IR: no remapping");
	is_str(v.reason, "1 of 2 DMAR units lack interrupt remapping (ecap IR bit)", "reason");

	is_int(host_hugepages(h, &hp), 0, "hugepage facts");
	ok(hp && hp->supported && hp->n_pools == 2, "two pools");
	if (hp && hp->n_pools == 2) {
		is_int((int)hp->pools[0].size_kb, 2048, "version order: 2 MiB first");
		is_int((int)hp->pools[1].n_nodes, 2, "1 GiB pool on two nodes");
	}
	c = hp ? host_hugepage_count(hp, UINT64_C(1) << 30, -1) : NULL;
	ok(c && c->nr == 8 && c->free == 5 && c->surplus == 1, "1 GiB pool: nr, free, surplus");
	c = hp ? host_hugepage_count(hp, UINT64_C(1) << 30, 1) : NULL;
	ok(c && c->nr == 4 && c->free == 3 && c->surplus == 0, "node 1: surplus absent is 0");
	ok(hp && !host_hugepage_count(hp, UINT64_C(2) << 20, 0), "no 2 MiB pool on node 0");
	ok(hp && !host_hugepage_count(hp, UINT64_C(16) << 30, -1), "no 16 GiB pool");

	ok(h->n_nodes_online == 2 && h->nodes_online[1] == 1, "online nodes");
	is_str(h->cpus_online, "0-2", "online CPUs");
	is_str(h->cpus_online_path, "/sys/devices/system/cpu/online", "from online");
	host_free(h);
	h = NULL;

	/* Garbage only some verbs read: the host loads, the accessor names the file. */
	sh("echo 0xnope >sys/class/iommu/dmar1/intel-iommu/ecap && "
	   "echo lots >sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages && "
	   "echo x >sys/devices/system/node/online && rm sys/devices/system/cpu/online");
	if (!ok(host_load(pc, &h) == 0, "garbage in IOMMU units and pools: host still loads"))
		printf("#   %s\n", host_last_error());
	if (!h)
		return;
	is_int(host_iommu(h, &io), -EBADMSG, "IOMMU accessor fails");
	ok(strstr(host_last_error(), "/sys/class/iommu/dmar1/intel-iommu/ecap: not a hexadecimal "
				     "number") != NULL,
	   "and names the register");
	is_int(host_interrupt_remapping(h, &v), -EBADMSG, "so does the verdict");
	ok(h->iommu.acpi_dmar, "the tables are known all the same");
	is_int(host_hugepages(h, &hp), -EBADMSG, "hugepage accessor fails");
	ok(strstr(host_last_error(), "hugepages-2048kB/nr_hugepages: not a number") != NULL,
	   "and names the file");
	is_int((int)h->n_nodes_online, 0, "garbage node list: no NUMA information");
	is_str(h->cpus_online_path, "/sys/devices/system/cpu/possible", "no online: possible");
	is_str(h->cpus_online, "0-3,8-11", "possible CPUs");
	host_free(h);
}

/* Load must fail with rc and an error that contains want. */
static void expect_error(const char *setup, int rc, const char *want, const char *what)
{
	_cleanup_path_cxt_ struct path_cxt *pc = NULL;
	struct host *h = NULL;
	int r;

	sh("rm -rf ./* && true");
	sh(tree);
	ok(sh(setup) == 0, "%s: set up", what);
	path_cxt_new(root, &pc);
	r = host_load(pc, &h);
	is_int(r, rc, "%s: fails", what);
	ok(h == NULL, "%s: nothing returned", what);
	if (!ok(strstr(host_last_error(), want) != NULL, "%s: error names the problem", what))
		printf("#   got '%s', want '%s'\n", host_last_error(), want);
	host_free(h);
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/test-host.XXXXXX");
	if (!mkdtemp(root))
		return 1;

	test_parsers();
	test_load();
	test_platform_facts();

	expect_error("echo 'MemTotal: -5 kB' >proc/meminfo", -EBADMSG,
		     "/proc/meminfo: MemTotal is not a size in kB", "negative MemTotal");
	expect_error("echo 'MemTotal: 12 MB' >proc/meminfo", -EBADMSG,
		     "/proc/meminfo: MemTotal is not a size in kB", "MemTotal not in kB");
	expect_error("echo 0xzz >sys/devices/pci0000:64/0000:b4:00.0/vendor", -EBADMSG,
		     "/sys/devices/pci0000:64/0000:b4:00.0/vendor: not a hexadecimal number",
		     "garbage vendor");
	expect_error("rm sys/devices/pci0000:64/0000:b4:00.0/class", -ENOENT,
		     "0000:b4:00.0/class: missing attribute", "missing class");
	expect_error("echo 0x1ffff >sys/devices/pci0000:64/0000:b4:00.0/device", -ERANGE,
		     "0000:b4:00.0/device: value 0x1ffff out of range", "device id too large");
	expect_error("echo 2 >sys/devices/pci0000:64/0000:64:00.0/0000:65:00.0/boot_vga", -EBADMSG,
		     "boot_vga: expected 0 or 1", "garbage boot_vga");
	expect_error("echo x >sys/devices/pci0000:64/0000:b4:00.0/numa_node", -EBADMSG,
		     "numa_node: not a node number", "garbage numa_node");
	expect_error("echo bogus >proc/self/mountinfo", -EBADMSG,
		     "/proc/self/mountinfo: line 1", "garbage mountinfo");
	expect_error("rm proc/self/mountinfo", -ENOENT, "/proc/self/mountinfo: missing",
		     "missing mountinfo");
	expect_error("echo 259-1 >sys/devices/pci0000:64/0000:b3:00.0/nvme/nvme0/nvme0n1/dev",
		     -EBADMSG, "nvme0n1/dev: not a device number", "garbage dev");
	expect_error("echo 0-x >sys/devices/system/cpu/possible", -EBADMSG,
		     "/sys/devices/system/cpu/possible: not a CPU list", "garbage cpu list");
	expect_error("rm -rf sys/bus", -ENOTDIR, "/sys/bus/pci/devices: not a host tree",
		     "not a host tree");
	expect_error("rm sys/devices/pci0000:64/0000:b4:00.0/iommu_group && "
		     "ln -s ../../../../kernel/iommu_groups/x "
		     "sys/devices/pci0000:64/0000:b4:00.0/iommu_group",
		     -EBADMSG, "iommu_group: link to 'x'", "garbage group link");
	ok(strncmp(host_last_error(), root, strlen(root)) == 0, "errors name the prefixed path");

	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		(void)!system(cmd);
	}
	return done_testing();
}
