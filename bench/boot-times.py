#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""boot-times.py: the figures of bench/boot-bench.sh.

boot-times.py METHOD RUN LOAD < REPORT
    One line from a boot's report (the GBTEST lines of the serial log, prefix removed):
    METHOD RUN T_BOUND T_INIT T_PREMOUNT LOAD CONTROL_DRIVER, times in seconds since the
    kernel started. T_BOUND: the latest of the three targets' first bind to vfio-pci (driver
    core debug messages); T_INIT: "Run /init as init process"; T_PREMOUNT: /proc/uptime when
    the report script started (init-premount: the claim, udev's coldplug and settle and the
    modules list are done). Exit status 1 if a target has no bind.

boot-times.py --summary KVER SUITE LOAD0 LOAD1 SECONDS SIZE_OURS SIZE_GUIDE RAW_OURS RAW_GUIDE
                      FILES_OURS FILES_GUIDE < TIMES
    The Markdown table of docs/performance.md from the lines above.
"""

import re
import statistics
import sys

TARGETS = ["0000:00:03.0", "0000:00:04.0", "0000:00:05.0"]
CONTROL = "0000:00:06.0"
KMSG = re.compile(r"^STEP KMSG \[\s*([0-9.]+)\] (.*)$")
# Both messages of drivers/base/dd.c, really_probe()'s and driver_bound()'s, as pr_debug()
# (6.1: the device named in the text) or as dev_dbg() (6.12: the device in the prefix).
BOUND = [re.compile(r"bound device (\S+) to driver vfio-pci$"),
         re.compile(r"driver: 'vfio-pci': \w+: bound to device '([^']+)'$"),
         re.compile(r"^vfio-pci (\S+): bus: '\w+': \w+: bound device to driver vfio-pci$"),
         re.compile(r"^vfio-pci (\S+): driver: 'vfio-pci': \w+: bound to device$")]


def one(method, run, load):
    first = {}
    t_init = t_premount = None
    control = "none"
    for line in sys.stdin:
        line = line.rstrip("\n")
        m = re.match(r"^UPTIME ([0-9.]+)$", line)
        if m:
            t_premount = float(m.group(1))
        m = re.match(r"^STEP DRIVER (\S+) (\S*)$", line)
        if m and m.group(1) == CONTROL:
            control = m.group(2) or "none"
        m = KMSG.match(line)
        if not m:
            continue
        t, text = float(m.group(1)), m.group(2)
        if "Run /init as init process" in text and t_init is None:
            t_init = t
        for b in BOUND:
            d = b.search(text)
            if d and d.group(1) not in first:
                first[d.group(1)] = t
    missing = [a for a in TARGETS if a not in first]
    if missing or t_init is None or t_premount is None:
        sys.exit("boot-times: no vfio-pci bind of %s, no /init start or no UPTIME in the report"
                 % " ".join(missing))
    print("%s %s %.6f %.6f %.2f %s %s" % (method, run, max(first[a] for a in TARGETS), t_init,
                                          t_premount, load, control))


def fmt_s(v):
    return "%.3f s" % v


def summary(argv):
    kver, suite, load0, load1, seconds, size_o, size_g, raw_o, raw_g, files_o, files_g = argv
    size_o, size_g, raw_o, raw_g = int(size_o), int(size_g), int(raw_o), int(raw_g)
    rows = {"ours": [], "guide": []}
    control = {"ours": set(), "guide": set()}
    loads = []
    for line in sys.stdin:
        f = line.split()
        if len(f) != 7:
            continue
        rows[f[0]].append((float(f[2]), float(f[3]), float(f[4])))
        loads.append(float(f[5]))
        control[f[0]].add(f[6])
    n = min(len(rows["ours"]), len(rows["guide"]))
    if not n:
        sys.exit("boot-times: no boots")

    def med(m, k):
        return statistics.median(r[k] for r in rows[m])

    def rng(m, k):
        v = [r[k] for r in rows[m]]
        return "%s (%s-%s)" % (fmt_s(statistics.median(v)), fmt_s(min(v)), fmt_s(max(v)))

    def after(m):
        v = [r[0] - r[1] for r in rows[m]]
        return statistics.median(v)

    bo, bg = med("ours", 0), med("guide", 0)
    ratio = bo / bg
    fo = set(open(files_o).read().split())
    fg = set(open(files_g).read().split())
    only_o = sorted(fo - fg)
    only_g = sorted(fg - fo)

    def short(lst):
        # Files, not the directories holding them.
        lst = [p for p in lst if not any(q.startswith(p + "/") for q in lst)]
        return ", ".join("`%s`" % p for p in lst[:6]) + (", ..." if len(lst) > 6 else "") or "none"

    print("\nBoot path, kernel %s (%s): %d boots of each image, interleaved; load average "
          "%s at the start, %s at the end (1-minute load during the boots %.1f-%.1f); "
          "%d s in all.\n" % (kver, suite, n, load0, load1, min(loads), max(loads),
                               int(seconds)))
    print("| measurement | ours (hook + init-top claim) | guide's method (ids=, softdeps) "
          "| ratio ours/guide | target | result |")
    print("| --- | --- | --- | --- | --- | --- |")
    print("| kernel start to every target on vfio-pci, median of %d (min-max) | %s | %s "
          "| %.2fx | <= 1.1x | %s |" % (n, rng("ours", 0), rng("guide", 0), ratio,
                                         "met" if ratio <= 1.1 else "**missed**"))
    print("| same, counted from the start of /init, median | %s | %s | %.2fx | | |"
          % (fmt_s(after("ours")), fmt_s(after("guide")), after("ours") / after("guide")))
    print("| kernel start to /init (unpacking the image), median | %s | %s | %.2fx | | |"
          % (fmt_s(med("ours", 1)), fmt_s(med("guide", 1)), med("ours", 1) / med("guide", 1)))
    print("| kernel start to init-premount (claim, udev coldplug and settle, modules list "
          "done), median | %s | %s | %.2fx | | |"
          % (fmt_s(med("ours", 2)), fmt_s(med("guide", 2)), med("ours", 2) / med("guide", 2)))
    print("| initramfs image (zstd -1, MODULES=list) | %d bytes (%.1f KiB) | %d bytes "
          "(%.1f KiB) | %+d bytes (%+.1f KiB) | | |"
          % (size_o, size_o / 1024, size_g, size_g / 1024, size_o - size_g,
             (size_o - size_g) / 1024))
    print("| same, uncompressed (the cpio archive) | %d bytes (%.1f KiB) | %d bytes (%.1f KiB) "
          "| %+d bytes (%+.1f KiB) | | |"
          % (raw_o, raw_o / 1024, raw_g, raw_g / 1024, raw_o - raw_g, (raw_o - raw_g) / 1024))
    print("| files only in this image | %s | %s | | | |" % (short(only_o), short(only_g)))
    def kept(m):
        return "kept" if control[m] == {"nvme"} else "**taken**"

    print("| control NVMe %s (same id 1b36:0010 as the target NVMe) ends on | %s | %s "
          "| | stays on nvme | ours %s, guide %s |"
          % (CONTROL, "/".join(sorted(control["ours"])), "/".join(sorted(control["guide"])),
             kept("ours"), kept("guide")))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--summary":
        summary(sys.argv[2:])
    elif len(sys.argv) == 4:
        one(*sys.argv[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
