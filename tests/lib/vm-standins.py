"""vm-standins.py ARGV_JSON ESP SERIAL ROOT: the argv of `vm command --json --run-paths` with
every vfio-pci device swapped for an emulated device of its class on the same root port,
function and multifunction flag (vfio-only properties go, bootindex stays), the NVMe's
stand-in given the disk image ESP, and the serial port into the file SERIAL. The classes
are read from ROOT/sys. Prints the argv one word per line; "swapped N" on stderr. Used by
the boot tests that run the real command line (test-vm-boot.sh, test-vm-secureboot.sh)."""
import json
import sys

argv = json.load(open(sys.argv[1]))["argv"]
esp, serial, root = sys.argv[2], sys.argv[3], sys.argv[4]
standin = {"0300": "bochs-display", "0403": "ich9-intel-hda", "0c03": "qemu-xhci",
           "0108": "nvme,serial=standin,drive=standin-nvme"}
out, swapped = [], 0
for a in argv:
    if a.startswith("vfio-pci,"):
        props = dict(p.split("=", 1) for p in a.split(",")[1:])
        cls = open("%s/sys/bus/pci/devices/%s/class" % (root, props["host"])).read()
        dev = standin.get(cls[2:6], "pci-testdev")
        keep = [k + "=" + props[k] for k in ("id", "bus", "addr", "multifunction", "bootindex")
                if k in props]
        a = ",".join([dev] + keep)
        swapped += 1
    out.append(a)
out += ["-drive", "file=%s,if=none,id=standin-nvme,format=raw" % esp,
        "-serial", "file:" + serial]
print("\n".join(out))
print("swapped %d" % swapped, file=sys.stderr)
