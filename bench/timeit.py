#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""timeit.py [--no-warmup] RUNS NAME=COMMAND... : run the commands side by side.

Each of RUNS rounds runs every command once, in the order given, so that a load change on
the machine hits all of them alike; one warm-up round comes first and is not counted
(--no-warmup: the caller has just run them or something reading the same files). A command
is a shell command line (run with /bin/sh -c; the shell's own start, about a millisecond,
is measured too, the same for every command). Its stdout and stderr go to /dev/null unless
it redirects them itself; a non-zero exit status is an error.

Prints one line per command: NAME median_s min_s max_s user_s sys_s runs
(user and sys are the medians of the CPU time of the command and its children).
"""

import resource
import statistics
import subprocess
import sys
import time


def run_once(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    rc = subprocess.call(["/bin/sh", "-c", cmd], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if rc != 0:
        sys.exit("timeit: exit status %d from: %s" % (rc, cmd))
    return wall, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime


def main():
    args = sys.argv[1:]
    warmup = True
    if args and args[0] == "--no-warmup":
        warmup = False
        args = args[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    runs = int(args[0])
    cmds = []
    for arg in args[1:]:
        name, _, cmd = arg.partition("=")
        cmds.append((name, cmd))
    if warmup:
        for _, cmd in cmds:
            run_once(cmd)
    res = {name: [] for name, _ in cmds}
    for _ in range(runs):
        for name, cmd in cmds:
            res[name].append(run_once(cmd))
    for name, _ in cmds:
        w = [r[0] for r in res[name]]
        print("%s %.6f %.6f %.6f %.6f %.6f %d" % (
            name, statistics.median(w), min(w), max(w),
            statistics.median(r[1] for r in res[name]),
            statistics.median(r[2] for r in res[name]), runs))


if __name__ == "__main__":
    main()
