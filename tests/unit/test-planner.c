/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The planner's decisions on a host model built by hand (no fixture tree): claims,
 * refusals and their reasons, overrides, kernel parameters, and the managed file bodies.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "conf/config.h"
#include "write/managed.h"
#include "planner/planner-internal.h"
#include "basic/cpulist.h"
#include "basic/strv-util.h"
#include "tap.h"
#include "core/numa.h"

enum { VGA, ROOTNVME, NIC, GPU, AUDIO, WINNVME, SH_GPU, SH_NIC, N_DEV };

static struct pci_device pci[N_DEV];
static struct iommu_group groups[7];
static struct pci_device *gmem[7][3];
static struct block_device disks[2];
static struct block_device *root_disks[1] = {&disks[0]}, *win_disks[1] = {&disks[1]};
static struct block_use root_uses[2];
static struct iommu_unit dmar_units[2] = {{"dmar0", IOMMU_UNIT_DMAR, 0xf00f5e},
					  {"dmar1", IOMMU_UNIT_DMAR, 0xf00f5e}};
static unsigned two_nodes[2] = {0, 1};
static char *empty_strv[1];

static void dev(int i, const char *addr, uint16_t v, uint16_t d, uint32_t class, int group,
		const char *driver)
{
	struct pci_device *p = &pci[i];

	pci_addr_parse(addr, &p->addr);
	pci_addr_format(&p->addr, p->address);
	p->vendor = v;
	p->device = d;
	p->subsystem_vendor = 0x1462;
	p->subsystem_device = 0x3285;
	p->class = class;
	p->iommu_group = group;
	p->numa_node = -1;
	p->driver = (char *)driver;
	p->reset_methods = empty_strv;
	if (asprintf(&p->syspath, "/sys/devices/pci0000:00/%s", p->address) < 0)
		abort();
}

static void group(int g, int id, int a, int b, int c)
{
	int m[3] = {a, b, c};

	groups[g].id = id;
	groups[g].devices = gmem[g];
	for (int i = 0; i < 3; i++)
		if (m[i] >= 0)
			gmem[g][groups[g].n_devices++] = &pci[m[i]];
}

static void mkfile(const char *root, const char *path, const char *content)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s%s')\" && printf '%%s' '%s' > '%s%s'",
		 root, path, content, root, path);
	if (system(cmd) != 0)
		abort();
}

static void build_host(struct host *h, struct path_cxt *pc)
{
	/* Sorted by address, as host_find_pci() expects. */
	dev(VGA, "0000:03:01.0", 0x1a03, 0x2000, 0x030000, 1, "ast");
	pci[VGA].boot_vga = true;
	dev(ROOTNVME, "0000:01:00.0", 0x144d, 0xa808, 0x010802, 2, "nvme");
	dev(NIC, "0000:04:00.0", 0x8086, 0x1533, 0x020000, 3, "igb");
	dev(GPU, "0000:65:00.0", 0x10de, 0x1c03, 0x030000, 71, "nouveau");
	dev(AUDIO, "0000:65:00.1", 0x10de, 0x10f1, 0x040300, 71, "snd_hda_intel");
	dev(WINNVME, "0000:b3:00.0", 0x8086, 0xf1a6, 0x010802, 89, "nvme");
	dev(SH_GPU, "0000:66:01.0", 0x10de, 0x1c03, 0x030000, 80, "nouveau");
	dev(SH_NIC, "0000:66:02.0", 0x8086, 0x1533, 0x020000, 80, "igb");

	root_uses[0] = (struct block_use){BLOCK_USE_MOUNT, "/", "nvme0n1p2"};
	root_uses[1] = (struct block_use){BLOCK_USE_SWAP, "/dev/nvme0n1p3", "nvme0n1p3"};
	disks[0] = (struct block_device){.name = "nvme0n1", .pci = &pci[ROOTNVME],
					 .fstype = "ext4", .uses = root_uses, .n_uses = 2};
	disks[1] = (struct block_device){.name = "nvme1n1", .pci = &pci[WINNVME],
					 .fstype = "ntfs", .label = "Windows"};
	pci[ROOTNVME].disks = root_disks;
	pci[ROOTNVME].n_disks = 1;
	pci[WINNVME].disks = win_disks;
	pci[WINNVME].n_disks = 1;

	/* qsort by address without a comparator from host.c: fixed order by hand. */
	struct pci_device sorted[N_DEV] = {pci[ROOTNVME], pci[VGA],   pci[NIC],    pci[GPU],
					   pci[AUDIO],    pci[SH_GPU], pci[SH_NIC], pci[WINNVME]};
	memcpy(pci, sorted, sizeof(pci));
	/* Indices changed; re-point the disks. */
	disks[0].pci = &pci[0];
	disks[1].pci = &pci[7];

	group(0, 1, 1, -1, -1);
	group(1, 2, 0, -1, -1);
	group(2, 3, 2, -1, -1);
	group(3, 71, 3, 4, -1);
	group(4, 80, 5, 6, -1);
	group(5, 89, 7, -1, -1);

	*h = (struct host){
		.pc = pc,
		.pci = pci,
		.n_pci = N_DEV,
		.groups = groups,
		.n_groups = 6,
		.blocks = disks,
		.n_blocks = 2,
		.cpu_vendor = "GenuineIntel",
		.n_cpus = 8,
		.cmdline = "quiet",
		.kernel_release = "6.1.0-56-amd64",
		.default_route_dev = "eno1",
		.iommu = {.acpi_dmar = true, .units = dmar_units, .n_units = 1},
	};
}

static struct config *keep[32];
static size_t nkeep;

static struct plan *plan_for(const struct host *h, const char *text, char *const *allow)
{
	struct config *c = NULL;
	struct plan *p = NULL;
	struct plan_options o = {.allow = allow};
	char *err = NULL;

	if (config_parse_string("/t.conf", text, strlen(text), &c, &err) < 0) {
		printf("# config: %s\n", err);
		free(err);
		return NULL;
	}
	if (plan_build(h, c, NULL, &o, &p) < 0)
		p = NULL;
	/* The plan borrows config entries: configs live until the end of the test. */
	if (nkeep < ARRAY_SIZE(keep))
		keep[nkeep++] = c;
	else
		abort();
	return p;
}

static const struct plan_refusal *find_refusal(const struct plan *p, enum refusal_reason r)
{
	for (size_t i = 0; p && i < p->n_refusals; i++)
		if (p->refusals[i].reason == r)
			return &p->refusals[i];
	return NULL;
}

static bool has_param(const struct plan *p, const char *param)
{
	for (size_t i = 0; p && i < p->params.n; i++)
		if (streq(p->params.items[i].param, param))
			return true;
	return false;
}

static int node_of(size_t i, const void *userdata)
{
	return ((const int *)userdata)[i];
}

/* The one NUMA-node rule the planner's pools and the QEMU command share (vm-numa.h). */
static void test_numa_rule(void)
{
	static const int nodes[] = {-1, 1, 0};

	is_int(vm_numa_node(0, 3, node_of, nodes), 0, "numa-node = 0 wins over the devices");
	is_int(vm_numa_node(-1, 3, node_of, nodes), -1, "numa-node = none: no node");
	is_int(vm_numa_node(VM_NUMA_NODE_AUTO, 3, node_of, nodes), 1,
	       "unset: the first device that has a node (the first has none)");
	is_int(vm_numa_node(VM_NUMA_NODE_AUTO, 1, node_of, nodes), -1, "unset, no device node: none");
	is_int(vm_numa_node(VM_NUMA_NODE_AUTO, 0, node_of, NULL), -1, "unset, no devices: none");
}

int main(void)
{
	char tmpl[] = "/tmp/test-planner.XXXXXX";
	char *root = mkdtemp(tmpl), cmd[4200];
	struct path_cxt *pc = NULL;
	const struct plan_refusal *r;
	struct host h;
	struct plan *p;
	char *s;

	test_numa_rule();
	ok(root != NULL, "temporary root");
	is_int(path_cxt_new(root, &pc), 0, "context");
	mkfile(root, "/sys/devices/pci0000:00/0000:04:00.0/net/eno1/ifindex", "2");
	mkfile(root, "/sys/devices/pci0000:00/0000:66:02.0/net/eno2/ifindex", "3");
	build_host(&h, pc);

	/* The guide: GPU + audio + the Windows NVMe. */
	p = plan_for(&h, "[device gpu]\naddress=65:00.0\nid=10de:1c03\n"
			 "[device audio]\naddress=65:00.1\n[device nvme]\naddress=b3:00.0\n",
		     NULL);
	ok(p != NULL, "guide plan built");
	is_int(p ? p->n_claims : 0, 3, "three claims");
	is_int(p ? p->n_refusals : 99, 0, "nothing refused");
	ok(p && !plan_is_refused(p), "not refused");
	ok(has_param(p, "intel_iommu=on") && has_param(p, "iommu=pt") &&
		   has_param(p, "kvm.ignore_msrs=1") && has_param(p, "kvm.report_ignored_msrs=0"),
	   "Intel IOMMU and KVM parameters");
	ok(!has_param(p, "video=efifb:off"), "no efifb parameter: the GPU is not the boot VGA");
	ok(!has_param(p, "selinux=0"), "never selinux=0");
	is_str(p && p->devices[2].disks ? p->devices[2].disks : NULL, "nvme1n1: ntfs 'Windows'",
	       "what the NVMe gives away is named");
	s = p ? managed_claim_list_body(p, 3) : NULL;
	ok(s && strstr(s, "generation 3\n") &&
		   strstr(s, "0000:65:00.0 10de:1c03 1462:3285 030000\n"),
	   "claim list body");
	free(s);
	plan_free(p);

	/* The root NVMe. */
	p = plan_for(&h, "[device root]\naddress=01:00.0\n", NULL);
	r = find_refusal(p, REFUSE_ROOT_DISK);
	ok(r != NULL, "root NVMe refused as root-disk");
	ok(r && strstr(r->detail, "nvme0n1: mounted on / (nvme0n1p2), swap (nvme0n1p3)"),
	   "detail says what is on it: %s", r ? r->detail : "");
	ok(p && plan_is_refused(p), "refused");
	plan_free(p);

	/* Only half of the GPU's group. */
	p = plan_for(&h, "[device gpu]\naddress=65:00.0\n", NULL);
	r = find_refusal(p, REFUSE_GROUP_SHARED);
	ok(r && strstr(r->detail, "IOMMU group 71 also holds 0000:65:00.1"),
	   "group-shared names the other member: %s", r ? r->detail : "");
	plan_free(p);

	/* The shared group with the host's NIC; overriding it keeps the reason visible. */
	mkfile(root, "/dev/null-unused", "");
	h.default_route_dev = "eno2";
	p = plan_for(&h, "[device gpu]\naddress=66:01.0\n", NULL);
	r = find_refusal(p, REFUSE_GROUP_SHARED);
	ok(r && strstr(r->detail, "host NIC eno2 (default route)"), "host NIC named: %s",
	   r ? r->detail : "");
	plan_free(p);
	{
		char *allow[] = {"group-shared", NULL};

		p = plan_for(&h, "[device gpu]\naddress=66:01.0\n", allow);
		r = find_refusal(p, REFUSE_GROUP_SHARED);
		ok(r && r->overridden && !plan_is_refused(p), "--allow group-shared overrides");
		plan_free(p);
	}
	p = plan_for(&h, "[device gpu]\naddress=66:01.0\n[device nic]\naddress=66:02.0\n", NULL);
	ok(find_refusal(p, REFUSE_HOST_NIC) != NULL, "the default-route NIC itself is refused");
	plan_free(p);
	h.default_route_dev = "eno1";

	/* Identity pin and absent devices. */
	p = plan_for(&h, "[device gpu]\naddress=65:00.0\nid=10de:1b80\n[device a]\naddress=65:00.1\n",
		     NULL);
	r = find_refusal(p, REFUSE_IDENTITY_MISMATCH);
	ok(r && streq(r->device, "gpu"), "identity mismatch refused");
	plan_free(p);
	p = plan_for(&h, "[device gone]\naddress=0000:42:00.0\n", NULL);
	ok(find_refusal(p, REFUSE_NOT_FOUND) != NULL, "absent device refused as not-found");
	plan_free(p);

	/* The only display device, and the boot VGA parameters. */
	p = plan_for(&h, "[device vga]\naddress=03:01.0\n[device g1]\naddress=65:00.0\n"
			 "[device g1a]\naddress=65:00.1\n[device g2]\naddress=66:01.0\n"
			 "[device g2n]\naddress=66:02.0\n",
		     NULL);
	ok(find_refusal(p, REFUSE_BOOT_VGA) != NULL, "claiming every display is refused");
	ok(has_param(p, "video=efifb:off") && has_param(p, "initcall_blacklist=sysfb_init"),
	   "boot VGA claimed: framebuffer parameters");
	plan_free(p);

	/* No interrupt remapping. */
	dmar_units[0].ecap = 0xf00f52;
	ok(plan_lacks_intremap(&h), "ecap without IR bit");
	p = plan_for(&h, "[device gpu]\naddress=65:00.0\n[device a]\naddress=65:00.1\n", NULL);
	r = find_refusal(p, REFUSE_UNSAFE_INTERRUPTS);
	ok(r && strstr(r->detail, "MSI"), "unsafe interrupts refused, MSI risk explained");
	ok(!has_param(p, "vfio_iommu_type1.allow_unsafe_interrupts=1"), "no unsafe parameter");
	plan_free(p);
	p = plan_for(&h, "[host]\nallow-unsafe-interrupts=yes\n[device gpu]\naddress=65:00.0\n"
			 "[device a]\naddress=65:00.1\n",
		     NULL);
	ok(p && !plan_is_refused(p) && has_param(p, "vfio_iommu_type1.allow_unsafe_interrupts=1"),
	   "allow-unsafe-interrupts = yes adds the parameter");
	ok(p && p->params.warnings && p->params.warnings[0], "with a warning");
	plan_free(p);
	dmar_units[0].ecap = 0xf00f5e;

	/*
	 * The planner and "check" share one verdict (host_interrupt_remapping()). The planner's
	 * old copy ignored nointremap: the kernel honours it (irq_remapping.c,
	 * setup_nointremap(): the old spelling of intremap=off), so the device is refused.
	 */
	h.cmdline = "quiet nointremap";
	p = plan_for(&h, "[device gpu]\naddress=65:00.0\n[device a]\naddress=65:00.1\n", NULL);
	ok(find_refusal(p, REFUSE_UNSAFE_INTERRUPTS) != NULL, "nointremap: unsafe interrupts refused");
	plan_free(p);
	/* intremap= is a list applied in order: a later "on" takes "off" back. */
	h.cmdline = "quiet intremap=nosid,off";
	ok(plan_lacks_intremap(&h), "intremap=nosid,off: off");
	h.cmdline = "quiet intremap=off,on";
	ok(!plan_lacks_intremap(&h), "intremap=off,on: on");
	h.cmdline = "quiet";
	/*
	 * The kernel enables remapping only when every DMAR unit supports it
	 * (intel_irq_remapping.c, intel_prepare_irq_remapping()): a second unit without the IR
	 * bit is no remapping, whatever the first says.
	 */
	dmar_units[1].ecap = 0xf00f52;
	h.iommu.n_units = 2;
	p = plan_for(&h, "[device gpu]\naddress=65:00.0\n[device a]\naddress=65:00.1\n", NULL);
	ok(find_refusal(p, REFUSE_UNSAFE_INTERRUPTS) != NULL, "second DMAR unit without IR: refused");
	plan_free(p);
	{
		struct intremap_verdict v;

		is_int(host_interrupt_remapping(&h, &v), 0, "verdict");
		is_int(v.state, INTREMAP_UNSUPPORTED, "second unit without IR: unsupported");
		is_str(v.reason, "1 of 2 DMAR units lack interrupt remapping (ecap IR bit)",
		       "the reason counts the units");
		/* Unknown is not "missing": no refusal and no parameter when nothing tells. */
		h.iommu.n_units = 0;
		is_int(host_interrupt_remapping(&h, &v), 0, "verdict without units");
		is_int(v.state, INTREMAP_NO_IOMMU, "no unit: no IOMMU to tell");
		ok(!plan_lacks_intremap(&h), "no unit: not known to lack remapping");
		/* An AMD CPU with IOMMU groups has AMD-Vi, which always remaps. */
		h.cpu_vendor = "AuthenticAMD";
		is_int(host_interrupt_remapping(&h, &v), 0, "verdict AMD");
		is_int(v.state, INTREMAP_ON, "AMD CPU with groups: on");
		h.cpu_vendor = "GenuineIntel";
	}
	dmar_units[1].ecap = 0xf00f5e;
	h.iommu.n_units = 1;

	/* ACS override and extra parameters. */
	p = plan_for(&h, "[host]\nacs-override=yes\ncmdline=console=ttyS0\n", NULL);
	ok(has_param(p, "pcie_acs_override=downstream,multifunction"), "acs override parameter");
	ok(p && p->params.warnings && strstr(p->params.warnings[0], "patched kernel"),
	   "acs override warning");
	ok(has_param(p, "console=ttyS0"), "extra cmdline");
	plan_free(p);

	/* The firmware's IOMMU table decides: an AMD CPU beside an Intel IOMMU (QEMU's q35
	 * with intel-iommu under TCG) still needs intel_iommu=on. */
	h.cpu_vendor = "AuthenticAMD";
	p = plan_for(&h, "[device gpu]\naddress=65:00.0\n[device a]\naddress=65:00.1\n", NULL);
	ok(has_param(p, "intel_iommu=on"), "AMD CPU, DMAR table: intel_iommu=on");
	plan_free(p);
	/* AMD-Vi (IVRS): no amd_iommu=on (not a valid value), still iommu=pt. */
	h.iommu.acpi_dmar = false;
	h.iommu.acpi_ivrs = true;
	p = plan_for(&h, "[device gpu]\naddress=65:00.0\n[device a]\naddress=65:00.1\n", NULL);
	ok(!has_param(p, "intel_iommu=on") && has_param(p, "iommu=pt"), "AMD parameters");
	plan_free(p);
	h.iommu.acpi_dmar = true;
	h.iommu.acpi_ivrs = false;
	h.cpu_vendor = "GenuineIntel";

	/* 1 GiB pages are reserved on the node each VM's memory comes from. */
	h.nodes_online = two_nodes;
	h.n_nodes_online = 2;
	pci[3].numa_node = 1; /* the GPU */
	pci[7].numa_node = 0; /* the Windows NVMe */
	p = plan_for(&h,
		     "[device gpu]\naddress=65:00.0\n[device audio]\naddress=65:00.1\n"
		     "[device nvme]\naddress=b3:00.0\n"
		     "[vm a]\nmemory=8G\ndevices=gpu audio\n"
		     "[vm b]\nmemory=4G\nnuma-node=1\ndevices=nvme\n"
		     "[vm c]\nmemory=2G\ndevices=nvme\n",
		     NULL);
	ok(has_param(p, "hugepages=0:2,1:12"),
	   "hugepages per node: numa-node, else the first device's node");
	plan_free(p);
	p = plan_for(&h, "[device gpu]\naddress=65:00.0\n[vm a]\nmemory=8G\ndevices=gpu\n"
			 "[vm b]\nmemory=4G\nnuma-node=none\n",
		     NULL);
	ok(has_param(p, "hugepages=12"), "a VM on no particular node: one pool for all");
	plan_free(p);
	/* 2 MiB pages: their own pool after the 1 GiB one, per node the same way. */
	p = plan_for(&h,
		     "[device gpu]\naddress=65:00.0\n[vm a]\nmemory=8G\ndevices=gpu\n"
		     "[vm d]\nmemory=512M\nhugepage-size=2M\nnuma-node=0\n",
		     NULL);
	s = p ? plan_params_join(&p->params) : NULL;
	ok(s && strstr(s, "default_hugepagesz=1G hugepagesz=1G hugepages=1:8 hugepagesz=2M "
			  "hugepages=0:256"),
	   "1 GiB pool, then the 2 MiB pool, each per node: %s", s ? s : "(null)");
	free(s);
	is_int(p ? p->hugepages : 0, 8, "8 pages of 1 GiB");
	is_int(p ? p->hugepages_2m : 0, 256, "256 pages of 2 MiB");
	ok(p && p->params.warnings && strstr(p->params.warnings[0], "VM 'd' uses 2 MiB pages on "
								   "/dev/hugepages, which serves 1 GiB"),
	   "a 2 MiB VM on the default mount next to a 1 GiB VM: warned");
	plan_free(p);
	p = plan_for(&h,
		     "[device gpu]\naddress=65:00.0\n[vm a]\nmemory=8G\ndevices=gpu\n"
		     "user=root\n"
		     "[vm d]\nmemory=512M\nhugepage-size=2M\nhugepage-mount=/dev/hugepages-2M\n"
		     "user=root\n",
		     NULL);
	/* user=root: QEMU's user has its own warning (vm-user.h), not the subject here. */
	ok(p && !(p->params.warnings && p->params.warnings[0]),
	   "a 2 MiB VM on its own mount: no warning");
	ok(has_param(p, "hugepages=1:8") && has_param(p, "hugepages=256"),
	   "one 2 MiB pool for all when the VM has no node");
	plan_free(p);
	p = plan_for(&h, "[vm d]\nmemory=3G\nhugepage-size=2M\nnuma-node=none\n", NULL);
	s = p ? plan_params_join(&p->params) : NULL;
	ok(s && strstr(s, "hugepagesz=2M hugepages=1536") && !strstr(s, "default_hugepagesz") &&
		   !strstr(s, "1G"),
	   "only 2 MiB VMs: no 1 GiB pool, default size untouched: %s", s ? s : "(null)");
	free(s);
	ok(p && strstr(p->params.items[p->params.n - 1].why, "3 GiB for the VMs' memory in 2 MiB"),
	   "the reason names the amount");
	plan_free(p);

	/* Boot-time pools against the host's memory. */
	h.mem_total = UINT64_C(8) << 30;
	p = plan_for(&h, "[vm a]\nmemory=8G\nnuma-node=none\n", NULL);
	ok(p && p->params.warnings &&
		   strstr(p->params.warnings[0], "hugepages (8 GiB) are not less than this host's "
						 "memory (8 GiB"),
	   "pools as big as the RAM: warned");
	plan_free(p);
	h.mem_total = (UINT64_C(9) << 30) + (UINT64_C(512) << 20);
	p = plan_for(&h, "[vm a]\nmemory=8G\nnuma-node=none\n", NULL);
	ok(p && p->params.warnings &&
		   strstr(p->params.warnings[0], "hugepages (8 GiB) leave this host 1.5 GiB of its "
						 "9.5 GiB"),
	   "less than 2 GiB left: warned");
	plan_free(p);
	h.mem_total = UINT64_C(10) << 30;
	p = plan_for(&h, "[vm a]\nmemory=8G\nnuma-node=none\nuser=root\n", NULL);
	ok(p && !(p->params.warnings && p->params.warnings[0]), "2 GiB left: no warning");
	plan_free(p);
	h.mem_total = 0;

	pci[3].numa_node = pci[7].numa_node = -1;
	h.n_nodes_online = 0;

	/* IOMMU off but present: no claims yet; absent: refused. */
	h.n_groups = 0;
	p = plan_for(&h, "[device gpu]\naddress=65:00.0\n", NULL);
	ok(p && p->iommu_pending && p->n_claims == 0 && !plan_is_refused(p),
	   "IOMMU present but off: enable it first, claim after reboot");
	plan_free(p);
	h.iommu.acpi_dmar = false;
	p = plan_for(&h, "[device gpu]\naddress=65:00.0\n", NULL);
	ok(find_refusal(p, REFUSE_NO_IOMMU) != NULL, "no IOMMU refused");
	plan_free(p);
	h.n_groups = 6;

	{
		unsigned cpus[] = {2, 3, 4, 5, 8, 10, 11};

		is_int(cpulist_format(cpus, 7, &s), 0, "CPU list format");
		is_str(s, "2-5,8,10-11", "CPU list format: runs folded");
		free(s);
	}

	/* Managed file header: intact, edited, foreign. */
	s = managed_wrap("softdep nouveau pre: vfio-pci\n");
	is_int(managed_classify(s), MANAGED_STATE_OURS, "wrapped file is ours");
	s[strlen(s) - 2] = 'X';
	is_int(managed_classify(s), MANAGED_STATE_EDITED, "edited body detected");
	free(s);
	is_int(managed_classify("blacklist nouveau\n"), MANAGED_STATE_FOREIGN, "foreign file");
	is_int(managed_classify(NULL), MANAGED_STATE_ABSENT, "absent");

	for (size_t i = 0; i < N_DEV; i++)
		free(pci[i].syspath);
	for (size_t i = 0; i < nkeep; i++)
		config_free(keep[i]);
	path_cxt_free(pc);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	(void)!system(cmd);
	return done_testing();
}
