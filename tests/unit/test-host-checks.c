/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The platform checks (platform.c) on small hand-made trees in /tmp. */
#include <stdlib.h>
#include <unistd.h>

#include "shared/host.h"
#include "basic/path.h"
#include "shared/platform.h"
#include "tap.h"

static char root[64];

static int sh(const char *script)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "set -e; cd '%s'; %s", root, script);
	return system(cmd);
}

/* An Intel host with VT-d, interrupt remapping, UEFI, 1 GiB hugepages, vfio-pci built in. */
static const char *tree =
	"rm -rf ./*; d=sys/devices/pci0000:00/0000:00:02.0\n"
	"mkdir -p $d sys/bus/pci/devices proc/self proc/sys/kernel dev sys/kernel/iommu_groups/1 "
	"  sys/firmware/acpi/tables sys/firmware/efi sys/class/iommu/dmar0/intel-iommu "
	"  sys/kernel/mm/hugepages/hugepages-1048576kB sys/kernel/mm/hugepages/hugepages-2048kB "
	"  sys/devices/system/node/node0/hugepages/hugepages-1048576kB lib/modules/6.1.0-test\n"
	"echo 0x1a03 >$d/vendor; echo 0x2000 >$d/device; echo 0x030000 >$d/class; "
	"echo 0x1a03 >$d/subsystem_vendor; echo 0x2000 >$d/subsystem_device; echo 0x41 >$d/revision; "
	"echo 1 >$d/boot_vga\n"
	"ln -s ../../../devices/pci0000:00/0000:00:02.0 sys/bus/pci/devices/0000:00:02.0\n"
	"ln -s ../../../kernel/iommu_groups/1 $d/iommu_group\n"
	": >sys/firmware/acpi/tables/DMAR; echo 64 >sys/firmware/efi/fw_platform_size; : >dev/kvm\n"
	"echo 0xf0205e >sys/class/iommu/dmar0/intel-iommu/ecap\n"
	"printf 'vendor_id\\t: GenuineIntel\\nflags\\t\\t: fpu vmx\\n' >proc/cpuinfo\n"
	": >proc/self/mountinfo\n"
	"echo 'root=/dev/sda1 intel_iommu=on iommu=pt' >proc/cmdline\n"
	"echo 6.1.0-test >proc/sys/kernel/osrelease\n"
	"h=sys/kernel/mm/hugepages; echo 4 >$h/hugepages-1048576kB/nr_hugepages; "
	"echo 3 >$h/hugepages-1048576kB/free_hugepages; echo 0 >$h/hugepages-2048kB/nr_hugepages; "
	"echo 0 >$h/hugepages-2048kB/free_hugepages\n"
	"n=sys/devices/system/node/node0/hugepages/hugepages-1048576kB; echo 4 >$n/nr_hugepages; "
	"echo 3 >$n/free_hugepages\n"
	"echo kernel/drivers/vfio/pci/vfio-pci.ko >lib/modules/6.1.0-test/modules.builtin\n"
	"depmod -b \"$PWD\" 6.1.0-test 2>/dev/null\n";

static const struct check_result *find(const struct check_report *rep, const char *id)
{
	for (size_t i = 0; i < rep->n; i++)
		if (streq(rep->results[i].id, id))
			return &rep->results[i];
	return NULL;
}

/* Run the checks on the current tree; status of one check, or -1. */
static int status_of(const char *id, char **ret_detail)
{
	_cleanup_path_cxt_ struct path_cxt *pc = NULL;
	_cleanup_host_ struct host *h = NULL;
	struct check_report rep = {};
	const struct check_result *c;
	int st;

	if (path_cxt_new(root, &pc) < 0 || host_load(pc, &h) < 0) {
		printf("#   load: %s\n", host_last_error());
		return -1;
	}
	if (platform_check(h, &rep) < 0) {
		printf("#   check: %s\n", platform_last_error());
		return -2;
	}
	c = find(&rep, id);
	st = c ? (int)c->status : -1;
	if (c && ret_detail)
		*ret_detail = strdup(c->detail);
	check_report_done(&rep);
	return st;
}

int main(void)
{
	char *detail = NULL;

	snprintf(root, sizeof(root), "/tmp/test-host-checks.XXXXXX");
	if (!mkdtemp(root))
		return 1;

	ok(sh(tree) == 0, "tree created");
	is_int(status_of("cpu-virt", NULL), CHECK_PASS, "vmx: cpu-virt passes");
	is_int(status_of("kvm", NULL), CHECK_PASS, "/dev/kvm present");
	is_int(status_of("iommu-firmware", NULL), CHECK_PASS, "DMAR present");
	is_int(status_of("iommu-kernel", NULL), CHECK_PASS, "a group exists");
	is_int(status_of("interrupt-remapping", NULL), CHECK_PASS, "ecap bit 3 set");
	is_int(status_of("uefi", &detail), CHECK_PASS, "UEFI");
	is_str(detail, "the host booted with UEFI (64-bit firmware)", "UEFI detail");
	free(detail);
	is_int(status_of("boot-vga", NULL), CHECK_PASS, "boot VGA device found");
	is_int(status_of("cmdline", &detail), CHECK_PASS, "cmdline fine");
	is_str(detail, "in effect: intel_iommu=on iommu=pt", "cmdline detail lists parameters");
	free(detail);
	is_int(status_of("hugepages", &detail), CHECK_PASS, "hugepages reserved");
	is_str(detail, "2048 kB: 0 total, 0 free; 1048576 kB: 4 total, 3 free, node0 3/4",
	       "hugepages detail per size and node");
	free(detail);
	is_int(status_of("vfio-pci", &detail), CHECK_PASS, "vfio-pci found");
	is_str(detail, "vfio-pci is built into kernel 6.1.0-test",
	       "vfio-pci built in (modules.builtin)");
	free(detail);

	sh("sed -i '/vfio-pci/d' lib/modules/6.1.0-test/modules.builtin && "
	   "depmod -b \"$PWD\" 6.1.0-test 2>/dev/null");
	is_int(status_of("vfio-pci", NULL), CHECK_FAIL, "vfio-pci missing from the index");
	sh("rm -rf lib/modules");
	is_int(status_of("vfio-pci", NULL), CHECK_FAIL, "no module index at all");

	sh("echo 0xf02056 >sys/class/iommu/dmar0/intel-iommu/ecap");
	is_int(status_of("interrupt-remapping", NULL), CHECK_FAIL, "ecap bit 3 clear: fail");
	sh("echo 'intel_iommu=on vfio_iommu_type1.allow_unsafe_interrupts=1' >proc/cmdline");
	is_int(status_of("interrupt-remapping", NULL), CHECK_WARN, "unsafe interrupts allowed: warn");
	sh("mkdir -p sys/class/iommu/dmar1/intel-iommu && "
	   "echo 0xf0205e >sys/class/iommu/dmar0/intel-iommu/ecap && "
	   "echo 0xf0205e >sys/class/iommu/dmar1/intel-iommu/ecap && "
	   "echo 'intel_iommu=on nointremap' >proc/cmdline");
	is_int(status_of("interrupt-remapping", NULL), CHECK_FAIL, "nointremap: fail");
	sh("echo 'intel_iommu=on intremap=off' >proc/cmdline");
	is_int(status_of("interrupt-remapping", NULL), CHECK_FAIL, "intremap=off: fail");
	sh("echo 'intel_iommu=on intremap=on' >proc/cmdline");
	is_int(status_of("interrupt-remapping", &detail), CHECK_PASS, "two units with IR: pass");
	is_str(detail, "supported by all 2 DMAR units (ecap IR bit) and not disabled", "unit count");
	free(detail);
	sh("echo 'intel_iommu=off' >proc/cmdline");
	is_int(status_of("cmdline", NULL), CHECK_FAIL, "intel_iommu=off: cmdline fails");
	sh("echo 'intel_iommu=on pcie_acs_override=downstream' >proc/cmdline");
	is_int(status_of("cmdline", NULL), CHECK_WARN, "ACS override: warn");

	/* AMD: no ecap; an ivhd unit means interrupt remapping. */
	sh("rm -rf sys/class/iommu/* sys/firmware/acpi/tables/DMAR && "
	   ": >sys/firmware/acpi/tables/IVRS && mkdir -p sys/class/iommu/ivhd0/amd-iommu && "
	   "printf 'vendor_id\\t: AuthenticAMD\\nflags\\t\\t: fpu svm\\n' >proc/cpuinfo && "
	   "echo 'iommu=pt' >proc/cmdline");
	is_int(status_of("cpu-virt", NULL), CHECK_PASS, "svm: cpu-virt passes");
	is_int(status_of("iommu-firmware", NULL), CHECK_PASS, "IVRS present");
	is_int(status_of("interrupt-remapping", NULL), CHECK_PASS, "AMD-Vi unit: pass");

	/* No IOMMU, no KVM, BIOS boot, no hugepages, no boot VGA. */
	sh("rm -rf sys/class/iommu sys/firmware dev/kvm sys/kernel/iommu_groups "
	   "sys/devices/pci0000:00/0000:00:02.0/iommu_group sys/devices/pci0000:00/0000:00:02.0/boot_vga && "
	   "echo 0 >sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages && "
	   "printf 'flags\\t\\t: fpu\\n' >proc/cpuinfo");
	is_int(status_of("cpu-virt", NULL), CHECK_FAIL, "no vmx/svm: fail");
	is_int(status_of("kvm", NULL), CHECK_FAIL, "no /dev/kvm: fail");
	is_int(status_of("iommu-firmware", NULL), CHECK_FAIL, "no DMAR/IVRS: fail");
	is_int(status_of("iommu-kernel", NULL), CHECK_FAIL, "no groups: fail");
	is_int(status_of("interrupt-remapping", NULL), CHECK_FAIL, "no IOMMU: no remapping");
	is_int(status_of("uefi", NULL), CHECK_WARN, "BIOS boot: warn");
	is_int(status_of("boot-vga", NULL), CHECK_WARN, "no boot VGA: warn");
	is_int(status_of("hugepages", NULL), CHECK_WARN, "no hugepages: warn");

	/* Garbage in a file only the checks read is an error naming it. */
	sh("echo many >sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages");
	is_int(status_of("hugepages", NULL), -2, "garbage nr_hugepages: check fails");
	ok(strstr(platform_last_error(), "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages: "
					 "not a number") != NULL,
	   "error names the file");

	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		(void)!system(cmd);
	}
	return done_testing();
}
