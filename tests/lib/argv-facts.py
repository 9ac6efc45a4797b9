#!/usr/bin/python3
# argv-facts.py gpt|libvirt FILE [SCRUB=WORD ...]: one line per fact of a QEMU command line,
# sorted, so that "vm command --json" and libvirt's "domxml-to-native qemu-argv" can be
# compared device by device with comm(1). Spellings that mean the same to QEMU are made equal
# (JSON -device vs key=value, hv_x vs hv-x, 16384M vs 16384, -drive vs -blockdev chains,
# root port ids); everything else is kept, so a real difference shows. Identifiers the two
# choose freely (ids, node names) are dropped, and where a device sits is expressed by its
# root port's order and its function. SCRUB=WORD replaces a temporary path by WORD.
import json
import re
import shlex
import sys


def opts(s):
    """A QEMU option value as a dict; "_" is the leading word without "=" (the driver)."""
    if s.startswith("{"):
        d = json.loads(s)
        if "driver" in d:
            d["_"] = d.pop("driver")
        if "qom-type" in d:
            d["_"] = d.pop("qom-type")
        return {k: norm(v) for k, v in d.items()}
    d = {}
    for i, part in enumerate(s.split(",")):
        if "=" in part:
            k, v = part.split("=", 1)
            d[k] = norm(v)
        elif i == 0:
            d["_"] = part
        else:
            d[part] = "on"
    return d


def norm(v):
    if v is True or v in ("on", "true", "yes"):
        return "on"
    if v is False or v in ("off", "false", "no"):
        return "off"
    if isinstance(v, list):
        return ",".join(str(x) for x in v)
    return str(v)


def fn_of(addr):
    # "00.1", "0x0.0x1", "0x0" -> function number
    if "." not in addr:
        return 0
    return int(addr.split(".")[1], 16 if addr.split(".")[1].startswith("0x") else 10)


def load(kind, path):
    text = open(path).read()
    if kind == "gpt":
        argv = json.loads(text)["argv"]
    else:
        # domxml-to-native: VAR=value ... /usr/bin/qemu-system-x86_64 args
        words = shlex.split(text)
        i = next(i for i, w in enumerate(words) if "qemu-system" in w)
        argv = words[i:]
    return argv[1:]


def facts(kind, argv, scrub):
    out = []
    pairs = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if i + 1 < len(argv) and not argv[i + 1].startswith("-"):
            pairs.append((a, argv[i + 1]))
            i += 2
        else:
            pairs.append((a, None))
            i += 1

    drives = {}  # id or node-name -> file
    blockdev_file = {}
    pflash = {}
    for o, v in pairs:
        if o == "-drive":
            d = opts(v)
            if d.get("if") == "pflash":
                pflash["pflash%d" % len(pflash)] = (d.get("file"), d.get("readonly") == "on")
            else:
                drives[d.get("id")] = d
        elif o == "-blockdev":
            d = json.loads(v)
            blockdev_file[d["node-name"]] = d
    def file_of(node):
        d = blockdev_file.get(node)
        while d and "filename" not in d and d.get("driver") != "nvme":
            d = blockdev_file.get(d.get("file"))
        if d and d.get("driver") == "nvme":
            return "nvme://%s/%s" % (d["device"], d["namespace"])
        return d.get("filename") if d else None

    # Root ports in the order their first vfio-pci device names them.
    ports = {}
    for o, v in pairs:
        if o == "-device":
            d = opts(v)
            if d["_"] in ("vfio-pci",) and d.get("bus") not in ports:
                ports[d.get("bus")] = len(ports) + 1

    for o, v in pairs:
        if o == "-machine":
            d = opts(v)
            out.append("machine type %s" % d.pop("_"))
            if "accel" in d:
                out.append("accel %s" % d.pop("accel"))
            for k in sorted(d):
                if k in ("memory-backend",) or k.startswith("pflash"):
                    continue
                out.append("machine %s=%s" % (k, d[k]))
            for k in sorted(d):
                if k.startswith("pflash"):
                    node = d[k]
                    bd = blockdev_file.get(node)
                    pflash[k] = (file_of(node), bool(bd and bd.get("read-only")))
        elif o == "-accel":
            out.append("accel %s" % v)
        elif o == "-no-hpet":
            out.append("machine hpet=off")  # libvirt's spelling of -machine hpet=off
        elif o == "-audiodev":
            out.append("audiodev %s" % opts(v)["_"])
        elif o == "-cpu":
            d = opts(v)
            out.append("cpu model %s" % d.pop("_"))
            for k in sorted(d):
                kk = k.replace("_", "-")
                out.append("cpu %s=%s" % (kk, d[k]))
        elif o == "-smp":
            d = opts(v)
            if d.get("dies") == "1":
                del d["dies"]  # the default
            out.append("smp %s" % ",".join("%s=%s" % (k, d[k]) for k in sorted(d)))
        elif o == "-m":
            out.append("memory %s MiB" % v.rstrip("M"))
        elif o == "-object":
            d = opts(v)
            t = d.pop("_")
            if t in ("memory-backend-file", "memory-backend-ram"):
                size = d.pop("size")
                mib = int(size[:-1]) if size.endswith("M") else int(size) >> 20
                out.append("%s size %d MiB" % (t, mib))
                d.pop("id", None)
                if "mem-path" in d:
                    d.pop("mem-path")
                    out.append("%s on a hugetlbfs mount" % t)
                if d.get("share") == "off":
                    del d["share"]  # the default
                for k in sorted(d):
                    out.append("%s %s=%s" % (t, k, d[k]))
            else:
                d.pop("id", None)
                out.append("object %s %s" % (t, ",".join("%s=%s" % (k, d[k]) for k in sorted(d))))
        elif o == "-device":
            d = opts(v)
            drv = d.pop("_")
            d.pop("id", None)
            if drv == "pcie-root-port":
                continue  # counted through the devices on them
            if drv == "vfio-pci":
                f = "vfio-pci host=%s root-port=%d fn=%d" % (
                    d.pop("host"), ports[d.pop("bus")], fn_of(d.pop("addr", "0")))
                for k in sorted(d):
                    f += " %s=%s" % (k, d[k])
                out.append(f)
                continue
            drive = d.pop("drive", None)
            if drive is not None:
                dr = drives.get(drive)
                d["file"] = dr.get("file") if dr else file_of(drive)
                # -drive cache=MODE is write-cache on the device plus cache.direct on the
                # backend, as libvirt spells it.
                if dr and "cache" in dr and drv != "ide-cd":
                    d["write-cache"] = "off" if dr["cache"] in ("writethrough", "directsync") else "on"
            for k in ("addr", "chardev", "netdev"):
                d.pop(k, None)
            if drv != "ide-cd":
                d.pop("bus", None)  # where QEMU or libvirt put it; ide.N is the AHCI port
            if "iothread" in d:
                d["iothread"] = "yes"  # its own; the ids differ
            if "audiodev" in d:
                d["audiodev"] = "yes"  # the -audiodev above; the ids differ
            if "tpmdev" in d:
                d["tpmdev"] = "yes"  # the -tpmdev below; the ids differ
            out.append("device %s %s" % (drv, " ".join("%s=%s" % (k, d[k]) for k in sorted(d))))
        elif o in ("-drive", "-blockdev"):
            continue
        elif o == "-chardev" and v.startswith("spicevmc,"):
            d = opts(v)
            out.append("-chardev spicevmc name=%s" % d.get("name"))
        elif o == "-chardev" and v.startswith("spiceport,"):
            d = opts(v)
            out.append("-chardev spiceport name=%s" % d.get("name"))
        elif o == "-tpmdev":
            d = opts(v)
            out.append("tpmdev %s" % d["_"])  # its id and chardev's are each side's own
        elif o == "-netdev":
            d = opts(v)
            d.pop("id", None)
            out.append("netdev %s" % " ".join("%s=%s" % (k, d[k]) for k in sorted(d)))
        else:
            out.append("%s %s" % (o, v) if v is not None else o)
    for k in sorted(pflash):
        f, ro = pflash[k]
        out.append("%s %s%s" % (k, f, " read-only" if ro else ""))
    res = []
    for f in out:
        for s in scrub:
            word, path = s.split("=", 1)
            f = f.replace(path, word)
        f = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UUID", f)
        # libvirt picks a random MAC when none is configured; a configured one is the same
        # on both sides (the XML carries it) and the golden files show where one is set.
        f = re.sub(r"mac=([0-9a-f]{2}:){5}[0-9a-f]{2}", "mac=MAC", f)
        # Descriptor numbers depend on what the caller left open; the QEMU release names
        # libvirt's versioned machine type.
        f = re.sub(r"\bfd=[0-9]+", "fd=N", f)
        f = re.sub(r"pc-q35-[0-9.]+", "pc-q35-VERSION", f)
        res.append(f)
    return sorted(res)


if __name__ == "__main__":
    kind, path = sys.argv[1], sys.argv[2]
    for f in facts(kind, load(kind, path), sys.argv[3:]):
        print(f)
