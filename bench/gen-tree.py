#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""gen-tree.py DIR [--units N]: write a host tree for the benchmarks.

The tree has the layout of the fixtures (docs/fixtures.md) and of a live sysfs: device
directories under sys/devices/pci0000:BB/..., relative symlinks from sys/bus/pci/devices,
driver and iommu_group links, sys/kernel/iommu_groups/N/devices, attribute files holding
their values as read, a config space consistent with them, NVMe disks with partitions,
network interfaces, and the proc/ files "list" reads.

The machine is a two-socket Sky Lake-SP server (eight PCIe root buses). Every unit adds
one root port with ACS (its own IOMMU group), the endpoint behind it (one group for all
its functions) and one slot of uncore registers on the root bus (one group per slot).
Four units in a row get a GPU with its audio function, a four-port X710, an NVMe disk and
a two-port ConnectX-5 (9 functions) and uncore slots of 8, 8, 8 and 3 functions, so
100 units (the default) are 1,000 PCI functions in 300 IOMMU groups.

Nothing outside DIR is written; DIR must not exist or be empty. The output is the same
for the same arguments.
"""

import argparse
import os
import shutil
import struct
import sys

ROOT_BUSES = [0x00, 0x20, 0x40, 0x60, 0x80, 0xA0, 0xC0, 0xE0]
SUBSYS_BOARD = (0x15D9, 0x0988)  # Supermicro board: root ports, uncore

# name, functions: (vendor, device, class, revision, subsystem, driver)
ENDPOINTS = [
    ("gpu", [
        (0x10DE, 0x1C03, 0x030000, 0xA1, (0x1462, 0x3285), "nouveau"),
        (0x10DE, 0x10F1, 0x040300, 0xA1, (0x1462, 0x3285), "snd_hda_intel"),
    ]),
    ("x710", [(0x8086, 0x1572, 0x020000, 0x01, (0x8086, 0x0004), "i40e")] * 4),
    ("nvme", [(0x144D, 0xA808, 0x010802, 0x00, (0x144D, 0xA801), "nvme")]),
    ("cx5", [(0x15B3, 0x1017, 0x020000, 0x00, (0x15B3, 0x0008), "mlx5_core")] * 2),
]
ROOT_PORT_IDS = [0x2030, 0x2031, 0x2032, 0x2033]
UNCORE_SLOTS = [
    [0x2054, 0x2055, 0x2056, 0x2057, 0x208D, 0x208E, 0x2054, 0x2055],  # CHA
    [0x2040, 0x2041, 0x2042, 0x2043, 0x2044, 0x2045, 0x2046, 0x2047],  # IMC
    [0x2048, 0x2049, 0x204A, 0x204B, 0x2066, 0x2068, 0x2088, 0x2040],  # channels, DDRIO
    [0x2014, 0x2015, 0x2016],                                          # Ubox
]


class Tree:
    def __init__(self, top):
        self.top = top

    def path(self, rel):
        return os.path.join(self.top, rel)

    def mkdir(self, rel):
        os.makedirs(self.path(rel), exist_ok=True)

    def write(self, rel, data, mode=0o644):
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        os.chmod(p, mode)

    def link(self, rel, target_rel):
        """A relative symlink at rel pointing at target_rel (both relative to the top)."""
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        os.symlink(os.path.relpath(target_rel, os.path.dirname(rel)), p)


class Dev:
    def __init__(self, bus, slot, fn, vendor, device, cls, rev, subsys, driver):
        self.bus, self.slot, self.fn = bus, slot, fn
        self.vendor, self.device, self.cls, self.rev = vendor, device, cls, rev
        self.subsys, self.driver = subsys, driver
        self.addr = "0000:%02x:%02x.%x" % (bus, slot, fn)
        self.parent = None  # sysfs directory (relative) holding this device's directory
        self.group = None
        self.secondary = None  # bridges
        self.multifunction = False
        self.boot_vga = False
        self.driver_override = None
        self.numa = 0 if bus < 0x80 else 1

    @property
    def dir(self):
        return self.parent + "/" + self.addr

    @property
    def bridge(self):
        return self.secondary is not None


def config_space(d):
    """256 bytes of type 0 or type 1 configuration header matching the attributes."""
    c = bytearray(256)
    struct.pack_into("<HHHH", c, 0, d.vendor, d.device, 0x0407, 0x0000)
    c[8] = d.rev
    c[9], c[10], c[11] = d.cls & 0xFF, (d.cls >> 8) & 0xFF, d.cls >> 16
    c[0x0C] = 0x10  # cache line size
    c[0x0E] = (0x01 if d.bridge else 0x00) | (0x80 if d.multifunction else 0)
    if d.bridge:
        c[0x18], c[0x19], c[0x1A] = d.bus, d.secondary, d.secondary
    else:
        struct.pack_into("<HH", c, 0x2C, d.subsys[0], d.subsys[1])
        c[0x3D] = 1  # INTA
    c[0x3C] = 0xFF
    return bytes(c)


def modalias(d):
    return "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X" % (
        d.vendor, d.device, d.subsys[0], d.subsys[1], d.cls >> 16, (d.cls >> 8) & 0xFF,
        d.cls & 0xFF)


def write_device(t, d, ncpu):
    base = d.dir
    cpus = "0-%d" % (ncpu // 2 - 1) if d.numa == 0 else "%d-%d" % (ncpu // 2, ncpu - 1)
    attrs = {
        "vendor": "0x%04x\n" % d.vendor,
        "device": "0x%04x\n" % d.device,
        "subsystem_vendor": "0x%04x\n" % d.subsys[0],
        "subsystem_device": "0x%04x\n" % d.subsys[1],
        "class": "0x%06x\n" % d.cls,
        "revision": "0x%02x\n" % d.rev,
        "modalias": modalias(d) + "\n",
        "numa_node": "%d\n" % d.numa,
        "driver_override": "%s\n" % (d.driver_override or "(null)"),
        "enable": "1\n" if d.driver else "0\n",
        "irq": "%d\n" % (16 + (d.slot + d.fn) % 8),
        "local_cpulist": cpus + "\n",
        "local_cpus": ("00000000,000000ff,ffffffff\n" if d.numa == 0
                       else "000000ff,ffffffff,00000000\n"),
        "msi_bus": "1\n",
        "broken_parity_status": "0\n",
        "d3cold_allowed": "1\n",
        "dma_mask_bits": "64\n",
        "consistent_dma_mask_bits": "64\n",
        "ari_enabled": "0\n",
        "power_state": "D0\n",
        "resource": "0x0000000000000000 0x0000000000000000 0x0000000000000000\n" * 13,
        "uevent": ("%sPCI_CLASS=%X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\n"
                   "PCI_SLOT_NAME=%s\nMODALIAS=%s\n") % (
                       "DRIVER=%s\n" % d.driver if d.driver else "", d.cls, d.vendor,
                       d.device, d.subsys[0], d.subsys[1], d.addr, modalias(d)),
        "power/control": "on\n",
        "power/runtime_status": "active\n" if d.driver else "unsupported\n",
    }
    if not d.bridge and d.cls >> 16 != 0x08 and d.cls >> 16 != 0x11:
        attrs["reset_method"] = "flr bus\n" if d.cls >> 8 != 0x0403 else "bus\n"
    if d.cls >> 8 == 0x0300:
        attrs["boot_vga"] = "1\n" if d.boot_vga else "0\n"
    for name, value in attrs.items():
        t.write(base + "/" + name, value)
    t.write(base + "/config", config_space(d))
    for name in ("remove", "rescan", "reset") if "reset_method" in attrs else ("remove", "rescan"):
        t.write(base + "/" + name, b"", 0o200)
    t.link(base + "/subsystem", "sys/bus/pci")
    t.link(base + "/iommu_group", "sys/kernel/iommu_groups/%d" % d.group)
    root_bus = int(d.parent.split("/")[2][len("pci0000:"):], 16)
    t.link(base + "/iommu", "sys/devices/virtual/iommu/dmar%d" % ROOT_BUSES.index(root_bus))
    t.link("sys/kernel/iommu_groups/%d/devices/%s" % (d.group, d.addr), base)
    t.link("sys/bus/pci/devices/" + d.addr, base)
    if d.driver:
        t.link(base + "/driver", "sys/bus/pci/drivers/" + d.driver)
        t.link("sys/bus/pci/drivers/%s/%s" % (d.driver, d.addr), base)


def build(top, units):
    t = Tree(top)
    ncpu = 80
    devs = []
    per_bus = {}  # root bus -> number of units placed on it
    gid = 0
    nvme = []
    nics = []

    for bus in ROOT_BUSES:
        t.write("sys/devices/pci0000:%02x/uevent" % bus, "")
        t.write("sys/devices/pci0000:%02x/power/control" % bus, "auto\n")

    for u in range(units):
        bus = ROOT_BUSES[u % len(ROOT_BUSES)]
        j = per_bus.get(bus, 0)
        per_bus[bus] = j + 1
        if j >= 16:
            sys.exit("gen-tree: too many units for %d root buses" % len(ROOT_BUSES))
        top_dir = "sys/devices/pci0000:%02x" % bus

        # Root port j of this bus: slots 1..4, functions 0..3, each with ACS: own group.
        rp = Dev(bus, 1 + j // 4, j % 4, 0x8086, ROOT_PORT_IDS[j % 4], 0x060400, 0x04,
                 SUBSYS_BOARD, "pcieport")
        rp.parent = top_dir
        rp.secondary = bus + 1 + j
        rp.group = gid
        gid += 1
        devs.append(rp)

        # The endpoint behind it: all functions in one group (no ACS between them).
        kind, fns = ENDPOINTS[u % len(ENDPOINTS)]
        for fn, (ven, did, cls, rev, sub, drv) in enumerate(fns):
            d = Dev(rp.secondary, 0, fn, ven, did, cls, rev, sub, drv)
            d.parent = rp.dir
            d.group = gid
            d.multifunction = len(fns) > 1
            if kind == "gpu" and u == 0:
                d.boot_vga = d.cls >> 8 == 0x0300
            elif kind == "gpu" and u % 8 == 4:
                # Some GPUs are already handed to vfio-pci, as on a passthrough host.
                d.driver, d.driver_override = "vfio-pci", "vfio-pci"
            devs.append(d)
            if kind == "nvme":
                nvme.append(d)
            elif cls >> 16 == 0x02:
                nics.append(d)
        gid += 1

        # One slot of uncore registers on the root bus: one group.
        ids = UNCORE_SLOTS[u % len(UNCORE_SLOTS)]
        for fn, did in enumerate(ids):
            cls = 0x110100 if fn == 0 and len(ids) == 8 else 0x088000
            d = Dev(bus, 8 + j, fn, 0x8086, did, cls, 0x04, SUBSYS_BOARD,
                    "skx_uncore" if fn == 0 and len(ids) == 8 else None)
            d.parent = top_dir
            d.group = gid
            d.multifunction = len(ids) > 1
            devs.append(d)
        gid += 1

    # Multi-function root port slots.
    slots = {}
    for d in devs:
        slots.setdefault((d.bus, d.slot), []).append(d)
    for group in slots.values():
        if len(group) > 1:
            for d in group:
                d.multifunction = True

    t.write("sys/bus/pci/drivers_probe", b"", 0o200)
    t.write("sys/bus/pci/rescan", b"", 0o200)
    t.write("sys/bus/pci/drivers_autoprobe", "1\n")
    for drv in sorted({d.driver for d in devs if d.driver}):
        for f in ("bind", "unbind", "new_id", "remove_id"):
            t.write("sys/bus/pci/drivers/%s/%s" % (drv, f), b"", 0o200)
        t.write("sys/bus/pci/drivers/%s/uevent" % drv, b"", 0o200)
    for g in range(gid):
        t.write("sys/kernel/iommu_groups/%d/type" % g, "DMA\n")
        t.write("sys/kernel/iommu_groups/%d/reserved_regions" % g,
                "0x00000000fee00000 0x00000000feefffff msi\n")
    for i, bus in enumerate(ROOT_BUSES):
        t.write("sys/devices/virtual/iommu/dmar%d/intel-iommu/ecap" % i, "f0205e\n")
        t.link("sys/class/iommu/dmar%d" % i, "sys/devices/virtual/iommu/dmar%d" % i)
    for d in devs:
        write_device(t, d, ncpu)

    # Network interfaces: enp<bus>s0f<fn>, the first one carries the default route.
    for d in nics:
        ifname = "enp%ds0f%d" % (d.bus, d.fn)
        d.ifname = ifname
        t.write("%s/net/%s/address" % (d.dir, ifname),
                "3c:ec:ef:%02x:%02x:%02x\n" % (d.bus, d.slot, d.fn))
        t.write("%s/net/%s/operstate" % (d.dir, ifname), "up\n")
        t.link("sys/class/net/" + ifname, "%s/net/%s" % (d.dir, ifname))

    # NVMe disks: nvmeKn1 with partitions; disk 0 is the system disk, disk 1 data (XFS),
    # disk 2 an LVM physical volume, the rest empty GPT disks with one partition.
    minor = 0
    for k, d in enumerate(nvme):
        disk = "nvme%dn1" % k
        ddir = "%s/nvme/nvme%d/%s" % (d.dir, k, disk)
        parts = [("vfat", "EFI"), ("ext4", None), ("swap", None)] if k == 0 else \
            [("xfs", "data%d" % k)] if k == 1 else [("LVM2_member", None)] if k == 2 else \
            [(None, None)]
        t.write("%s/nvme/nvme%d/model" % (d.dir, k), "SAMSUNG MZVLB1T0HBLR-00000\n")
        t.write(ddir + "/dev", "259:%d\n" % minor)
        t.write(ddir + "/size", "2000409264\n")
        t.write(ddir + "/ro", "0\n")
        t.write(ddir + "/removable", "0\n")
        t.mkdir(ddir + "/holders")
        t.link("sys/block/" + disk, ddir)
        t.link("sys/dev/block/259:%d" % minor, ddir)
        t.write("run/udev/data/b259:%d" % minor,
                "E:ID_MODEL=SAMSUNG MZVLB1T0HBLR-00000\nE:ID_PART_TABLE_TYPE=gpt\n")
        disk_minor = minor
        minor += 1
        for p, (fstype, label) in enumerate(parts, 1):
            part = "%sp%d" % (disk, p)
            pdir = ddir + "/" + part
            t.write(pdir + "/partition", "%d\n" % p)
            t.write(pdir + "/dev", "259:%d\n" % minor)
            t.write(pdir + "/start", "%d\n" % (2048 + (p - 1) * 1048576))
            t.mkdir(pdir + "/holders")
            if fstype == "LVM2_member":
                t.link(pdir + "/holders/dm-0", "sys/devices/virtual/block/dm-0")
                t.write("sys/devices/virtual/block/dm-0/dev", "254:0\n")
                t.link("sys/block/dm-0", "sys/devices/virtual/block/dm-0")
            t.link("sys/dev/block/259:%d" % minor, pdir)
            udev = "E:ID_PART_ENTRY_NUMBER=%d\n" % p
            if fstype:
                udev += "E:ID_FS_TYPE=%s\n" % fstype
            if label:
                udev += "E:ID_FS_LABEL=%s\n" % label
            t.write("run/udev/data/b259:%d" % minor, udev)
            minor += 1
        d.disk_minor = disk_minor

    # proc/ and the rest "list" and "check" read.
    mounts = [
        "21 28 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw",
        "22 28 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw",
        "23 28 0:5 / /dev rw,nosuid,relatime shared:2 - devtmpfs udev rw,mode=755",
        "25 28 0:23 / /run rw,nosuid,nodev,noexec,relatime shared:5 - tmpfs tmpfs rw,mode=755",
        "28 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw,errors=remount-ro",
        "61 28 259:1 / /boot/efi rw,relatime shared:31 - vfat /dev/nvme0n1p1 rw,fmask=0077",
        "62 28 259:5 / /srv/data rw,relatime shared:32 - xfs /dev/nvme1n1p1 rw,attr2",
        "63 28 254:0 / /var/lib/libvirt rw,relatime shared:33 - ext4 /dev/mapper/vg0-lv rw",
        "36 23 0:31 / /dev/hugepages rw,relatime shared:15 - hugetlbfs hugetlbfs rw,pagesize=2M",
    ]
    t.write("proc/self/mountinfo", "\n".join(mounts) + "\n")
    t.write("proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
            "/dev/nvme0n1p3                          partition\t16777212\t0\t\t-2\n")
    t.write("proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz-6.1.0-56-amd64 root=/dev/nvme0n1p2 "
            "ro quiet intel_iommu=on iommu=pt\n")
    t.write("proc/sys/kernel/osrelease", "6.1.0-56-amd64\n")
    gw = nics[0].ifname
    t.write("proc/net/route",
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
            "%s\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
            "%s\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" % (gw, gw))
    flags = ("fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush "
             "dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc "
             "art arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc cpuid aperfmperf "
             "pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 sdbg fma cx16 xtpr pdcm "
             "pcid dca sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c "
             "rdrand lahf_lm abm 3dnowprefetch cpuid_fault epb cat_l3 cdp_l3 invpcid_single "
             "intel_ppin ssbd mba ibrs ibpb stibp ibrs_enhanced tpr_shadow vnmi flexpriority ept "
             "vpid ept_ad fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid cqm mpx rdt_a "
             "avx512f avx512dq rdseed adx smap clflushopt clwb intel_pt avx512cd avx512bw "
             "avx512vl xsaveopt xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc cqm_mbm_total "
             "cqm_mbm_local dtherm ida arat pln pts pku ospke avx512_vnni md_clear flush_l1d "
             "arch_capabilities")
    cpuinfo = []
    for c in range(ncpu):
        cpuinfo.append(
            "processor\t: %d\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n"
            "model name\t: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz\nstepping\t: 7\n"
            "physical id\t: %d\ncore id\t\t: %d\ncpu cores\t: 20\nflags\t\t: %s\n\n"
            % (c, c // 40, c % 20, flags))
    t.write("proc/cpuinfo", "".join(cpuinfo))
    t.write("sys/devices/system/cpu/possible", "0-%d\n" % (ncpu - 1))
    t.write("dev/kvm", b"")
    t.write("sys/firmware/acpi/tables/DMAR", b"")
    ids = "/usr/share/misc/pci.ids"
    if os.path.exists(ids):
        t.mkdir("usr/share/misc")
        shutil.copyfile(ids, t.path("usr/share/misc/pci.ids"))
    return len(devs), gid


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--units", type=int, default=100,
                    help="root port + endpoint + uncore slot; 100 = 1000 devices, 300 groups")
    a = ap.parse_args()
    if os.path.exists(a.dir) and os.listdir(a.dir):
        sys.exit("gen-tree: %s exists and is not empty" % a.dir)
    os.makedirs(a.dir, exist_ok=True)
    n, g = build(a.dir, a.units)
    print("%d PCI devices in %d IOMMU groups" % (n, g))


if __name__ == "__main__":
    main()
