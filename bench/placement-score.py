#!/usr/bin/env python3
# placement-score.py ROOT NODE FIXTURE LABEL VCPU_PINS EMULATOR_CPUS: one row of
# bench/placement.sh's table, scored from ROOT's sysfs (thread_siblings_list, the node
# cpulists, the L3 cache's shared_cpu_list), for a guest with 2 threads per core.
import glob
import sys

root, node, fixture, label, pins, emu = sys.argv[1:7]
pins = [int(x) for x in pins.split(",")]
emu = [int(x) for x in emu.split(",") if x]
node = int(node)
THREADS = 2


def cpus(s):
    out = []
    for part in s.strip().split(","):
        if part:
            a, _, b = part.partition("-")
            out += range(int(a), int(b or a) + 1)
    return out


def read(p):
    with open(root + p) as f:
        return f.read()


def siblings(c):
    return cpus(read("/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list" % c))


def l3(c):
    for d in glob.glob(root + "/sys/devices/system/cpu/cpu%d/cache/index*" % c):
        if open(d + "/level").read().strip() == "3":
            return tuple(cpus(open(d + "/shared_cpu_list").read()))
    return None


node_cpus = set(cpus(read("/sys/devices/system/node/node%d/cpulist" % node))) if node >= 0 else None
emu_cores = {tuple(siblings(c)) for c in emu}
l3_0 = l3(pins[0])
n = len(pins) // THREADS
sib = on = one = off = 0
for g in range(n):
    core = pins[g * THREADS:(g + 1) * THREADS]
    sib += sorted(core) == siblings(core[0])
    on += node_cpus is None or all(c in node_cpus for c in core)
    one += all(l3(c) == l3_0 for c in core)
    off += all(tuple(siblings(c)) not in emu_cores for c in core)
print("| %s | %s | %s | %s | %d/%d | %d/%d | %d/%d | %d/%d |" % (
    fixture, label, ",".join(map(str, pins)), ",".join(map(str, emu)),
    sib, n, on, n, one, n, off, n))
