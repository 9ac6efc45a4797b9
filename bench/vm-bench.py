#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""vm-bench.py RUNS GPT_BOOTCFG ROOT VM WORK: the runner's start-up against plain QEMU.

Called by bench/vm-bench.sh, which prepares ROOT and WORK/argv.json ("vm command --json
--run-paths"). One warm-up round, then RUNS rounds (each starting with the next of the
three) of: "gpt-bootcfg --root ROOT vm run VM" until READY=1 arrives on $NOTIFY_SOCKET
(then SIGTERM, which the runner passes on to QEMU); the same argv run directly until QMP
answers query-status with "running" (then "quit"); the same with -S and "cont" at once.
QMP of plain QEMU is tried every millisecond, so the baseline gets QEMU's best. Then one
more "vm run" under strace times the runner's phases. Prints a Markdown table.

QEMU's own start varies from round to round by more than the runner costs, now and then by
a second or more even on a quiet machine. So the verdict comes from the paired per-round
differences (vm run minus QEMU, in the same round): their median, interquartile range and a
distribution-free 95 % confidence interval of the median, which no single outlier moves.

vm-bench.py --summary TIMES prints the tables again from a recorded WORK/times.txt.
"""

import json
import math
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

TIMEOUT = 300


def fail(msg):
    sys.exit("vm-bench: " + msg)


def notify_socket(path):
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(TIMEOUT)
    return s


def cpu_s(pid):
    """CPU time (user + system, all threads) of a live process so far, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_runner(gen, root, vm, work, n, wrap=None):
    """Seconds from exec of "vm run" to READY=1, and the runner's own share of them: exec
    to its "Started QEMU" line (checks, hooks, argv, fork) plus its last "Pinned vCPU"
    line to READY=1 (cont, notify), timed as the lines arrive on its stderr."""
    sock_path = os.path.join(work, "notify")
    s = notify_socket(sock_path)
    env = dict(os.environ, NOTIFY_SOCKET=sock_path)
    out = open(os.path.join(work, "run-%s.log" % n), "w")
    argv = (wrap or []) + [gen, "--root", root, "vm", "run", vm]
    stamps = []
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL)

    def reader():
        for line in p.stdout:
            stamps.append((time.perf_counter(), line.decode(errors="replace")))
            out.write(line.decode(errors="replace"))

    th = threading.Thread(target=reader)
    th.start()
    try:
        while True:
            data = s.recv(4096).decode()
            if "READY=1" in data.split("\n"):
                break
        t1 = time.perf_counter()
        # QEMU's CPU time until its guest runs: what it cost, whatever it waited for.
        with open(os.path.join(root, "run/gpt-bootcfg/%s.pid" % vm)) as f:
            qcpu = cpu_s(int(f.read()))
    except socket.timeout:
        p.kill()
        fail("no READY=1 from vm run within %d s (log %s)" % (TIMEOUT, out.name))
    finally:
        s.close()
    # Under strace the runner is strace's child: the signal goes to it, as systemd sends it.
    pid = p.pid
    if wrap:
        pid = int(open("/proc/%d/task/%d/children" % (p.pid, p.pid)).read().split()[0])
    os.kill(pid, signal.SIGTERM)
    rc = p.wait(timeout=120)
    th.join()
    out.close()
    if rc != 0:
        fail("vm run exited with %d after SIGTERM (log %s)" % (rc, out.name))
    # All lines are read now; under load the reader may have got the last "Pinned" line
    # only after READY=1 arrived: that part then counts as 0.
    started = [t for t, l in stamps if "Started QEMU" in l]
    pinned = [t for t, l in stamps if "Pinned vCPU" in l]
    if not started or not pinned:
        fail("no 'Started QEMU' or 'Pinned vCPU' line from vm run (log %s)" % out.name)
    return (t1 - t0, (started[0] - t0) + max(0.0, t1 - pinned[-1]), pinned[0] - started[0],
            qcpu)


def qmp_path_of(argv):
    for i, a in enumerate(argv):
        if a == "-qmp" and i + 1 < len(argv):
            m = re.match(r"unix:([^,]+)", argv[i + 1])
            if m:
                return m.group(1)
        m = re.match(r"socket,id=[^,]+,path=([^,]+)", a)
        if m and i > 0 and argv[i - 1] == "-chardev":
            return m.group(1)
    fail("no QMP socket in the argv")


def run_plain(argv, qmp, work, n, paused=False):
    """Seconds from exec of QEMU to query-status "running" over QMP; paused: QEMU gets -S
    and is sent "cont" as soon as QMP answers."""
    if paused:
        argv = argv + ["-S"]
    if os.path.exists(qmp):
        os.unlink(qmp)
    err = open(os.path.join(work, "plain-%s.log" % n), "w")
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=err, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = t0 + TIMEOUT
    s = None
    while s is None:
        if p.poll() is not None:
            fail("QEMU exited with %d (log %s)" % (p.returncode, err.name))
        if time.perf_counter() > deadline:
            p.kill()
            fail("QEMU's QMP did not answer within %d s" % TIMEOUT)
        try:
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.connect(qmp)
            s = c
        except OSError:
            c.close()
            time.sleep(0.001)
    s.settimeout(TIMEOUT)
    f = s.makefile("rw")

    def reply():
        while True:
            m = json.loads(f.readline())
            if "event" not in m:
                return m

    reply()  # the greeting
    for cmd in ("qmp_capabilities",) + (("cont",) if paused else ()) + ("query-status",):
        f.write(json.dumps({"execute": cmd}) + "\n")
        f.flush()
        r = reply()
    while r["return"]["status"] != "running":
        f.write(json.dumps({"execute": "query-status"}) + "\n")
        f.flush()
        r = reply()
    t = time.perf_counter() - t0
    cpu = cpu_s(p.pid)
    f.write(json.dumps({"execute": "quit"}) + "\n")
    f.flush()
    s.close()
    if p.wait(timeout=120) != 0:
        fail("QEMU exited with %d after quit (log %s)" % (p.returncode, err.name))
    return t, cpu


LINE = re.compile(r"^(\d+) +(\d+\.\d+) (\w+)\((.*)$")
RESUMED = re.compile(r"^(\d+) +(\d+\.\d+) <\.\.\. (\w+) resumed>(.*)$")
# The result after the last ") = ": arguments can hold "==" (wait4's status).
RES = re.compile(r".*\)\s+= (-?\d+)(?: [^<]*)?<(\d+\.\d+)>$")


def parse_strace(path):
    """strace -f -ttt -T lines as calls; an <unfinished ...> call joined with its end."""
    calls, pending = [], {}
    for line in open(path):
        line = line.rstrip("\n")
        m = RESUMED.match(line)
        if m:
            c = pending.pop((int(m.group(1)), m.group(3)), None)
            if c:
                c["args"] += m.group(4)
                r = RES.search(line)
                if r:
                    c["ret"] = int(r.group(1))
                    c["end"] = float(m.group(2))
            continue
        m = LINE.match(line)
        if not m:
            continue
        c = {"pid": int(m.group(1)), "t": float(m.group(2)), "name": m.group(3),
             "args": m.group(4), "ret": None, "end": float(m.group(2))}
        if line.endswith("<unfinished ...>"):
            pending[(c["pid"], c["name"])] = c
        else:
            r = RES.search(line)
            if r:
                c["ret"] = int(r.group(1))
                c["end"] = c["t"] + float(r.group(2))
        calls.append(c)
    return calls


def breakdown(gen, root, vm, work, qmp):
    """The runner's phases from one run under strace (seconds, relative to its exec)."""
    trace = os.path.join(work, "vm-run.strace")
    t, _, _, _ = run_runner(gen, root, vm, work, "strace",
                   ["strace", "-f", "-ttt", "-T", "-qq", "-s", "80", "--seccomp-bpf",
                    "-e", "trace=execve,clone,clone3,fork,vfork,wait4,bind,listen,connect,"
                    "sendto,poll,sched_setaffinity", "-e", "signal=none", "-o", trace])
    calls = parse_strace(trace)
    if not calls:
        fail("nothing traced in %s" % trace)
    runner = calls[0]["pid"]
    t0 = calls[0]["t"]
    mine = [c for c in calls if c["pid"] == runner]
    children = [c for c in mine if c["name"] in ("clone", "clone3", "fork", "vfork")]
    execs = {c["pid"]: c["args"] for c in calls if c["name"] == "execve"}
    qemu = [c["ret"] for c in children if "qemu-system" in execs.get(c["ret"], "")]
    hooks = [c for c in children if "hooks.d" in execs.get(c["ret"], "")]
    if not qemu:
        fail("no QEMU started in %s" % trace)
    qpid = qemu[0]
    fork_q = next(c for c in children if c["ret"] == qpid)
    hook_end = None
    for h in hooks:
        w = [c for c in mine if c["name"] == "wait4" and c["ret"] == h["ret"]]
        if w and w[0]["end"] < fork_q["t"]:
            hook_end = w[0]["end"]
    # The runner binds and listens on QEMU's QMP socket itself, before the fork.
    listen = [c for c in mine if c["name"] == "listen" and c["t"] < fork_q["t"]]
    conns = [c for c in mine if c["name"] == "connect" and qmp in c["args"]]
    ok = [c for c in conns if c["ret"] == 0]
    sends = [c for c in mine if c["name"] == "sendto"]
    polls = [c for c in mine if c["name"] == "poll"]
    pins = [c for c in mine if c["name"] == "sched_setaffinity" and c["t"] > fork_q["t"]]
    if not (ok and listen and pins):
        fail("the trace %s lacks the QMP connection, the runner's listen or the pinning" % trace)

    def sent(word):
        return next(c for c in sends if word in c["args"])

    def answered(after):
        """End of the first poll that returns after a send: the reply is there."""
        return next(c["end"] for c in polls if c["t"] >= after and c["ret"] and c["ret"] > 0)

    conn = ok[0]
    greeting = answered(conn["end"])
    # strace shows the JSON with its quotes escaped.
    caps = sent('\\"qmp_capabilities\\"')
    cpus = sent('\\"query-cpus-fast\\"')
    cont = sent('\\"cont\\"')
    ready = sent("READY=1")
    first = hooks[0]["t"] if hooks else fork_q["t"]
    hook = (hook_end - hooks[0]["t"]) if hooks and hook_end else 0.0
    to_fork = fork_q["t"] - (hook_end or first)
    to_conn = conn["end"] - fork_q["t"]
    cpus_rt = answered(cpus["t"]) - cpus["t"]
    pin = pins[-1]["end"] - pins[0]["t"]
    to_ready = ready["t"] - answered(cont["t"])
    own = (first - t0) + hook + to_fork + to_conn + cpus_rt + pin + to_ready
    rows = [
        ("exec to the first prepare hook (config, device and vfio checks)", first - t0),
        ("prepare hook (fork, exec, wait; the hook only exits 0)", hook),
        ("hook done to QEMU's fork (hugepages, OVMF variables, the QMP socket bound and "
         "listening %.1f ms before the fork, argv)" % ((fork_q["t"] - listen[-1]["end"]) * 1000),
         to_fork),
        ("QEMU's fork to the runner connected (%d attempt%s: the socket listens already, the "
         "connection waits queued until QEMU serves it)"
         % (len(conns), "" if len(conns) == 1 else "s"), to_conn),
        ("*QEMU*: connected to greeting (QEMU's initialisation up to its main loop)",
         greeting - conn["end"]),
        ("*QEMU*: qmp_capabilities round trip", answered(caps["t"]) - caps["t"]),
        ("query-cpus-fast round trip (the runner's extra)", cpus_rt),
        ("pinning (%d sched_setaffinity calls)" % len(pins), pin),
        ("*QEMU*: cont round trip", answered(cont["t"]) - cont["t"]),
        ("cont answered to READY=1 sent", to_ready),
        ("**the runner's own work** (the rows not marked QEMU)", own),
        ("total under strace (exec to READY=1)", ready["t"] - t0),
    ]
    return t, rows


def ms(s):
    return "%.1f ms" % (s * 1000)


def quartiles(v):
    """First quartile, median, third quartile (the 'inclusive' method: within the data)."""
    if len(v) == 1:
        return v[0], v[0], v[0]
    q1, q2, q3 = statistics.quantiles(v, n=4, method="inclusive")
    return q1, q2, q3


def median_ci(v, conf=0.95):
    """A distribution-free confidence interval for the median (the sign test's order
    statistics): (low, high, actual coverage), or None with too few values. One outlier,
    however large, moves neither end."""
    n = len(v)
    s = sorted(v)
    tail = (1 - conf) / 2
    k, cum = 0, 0.0
    # k: how many values may lie below the interval, P(Binomial(n, 1/2) <= k-1) <= tail.
    while True:
        nxt = cum + math.comb(n, k) / 2 ** n
        if nxt > tail:
            break
        cum = nxt
        k += 1
    if k == 0:
        return None
    return s[k - 1], s[n - k], 1 - 2 * cum


TARGET = 0.1  # the runner adds <= 100 ms beyond QEMU (issue 18)


def verdict(diffs):
    """From the median of the per-round differences and its confidence interval: met when
    the whole interval is within the target, missed when all of it lies above; otherwise
    the median says which side it is on, but the rounds spread too much to be sure."""
    ci = median_ci(diffs)
    d = statistics.median(diffs)
    if ci is None:
        return "not shown (too few rounds)"
    lo, hi, _ = ci
    if hi <= TARGET:
        return "met"
    if lo > TARGET:
        return "**missed**"
    return "median %s, not significant (95%% interval %s to %s)" % (
        "within" if d <= TARGET else "**above**", ms(lo), ms(hi))


def summary(rows, load0, load1, total_s=None, trace_rows=None):
    """The Markdown tables from the rounds: rows of (runner, plain, paused, own, wait,
    load) in seconds."""
    runs = len(rows)
    res = {k: [r[i] for r in rows if len(r) > i] for i, k in enumerate(
        ("runner", "plain", "paused", "own", "wait", "load", "runner_cpu", "plain_cpu",
         "paused_cpu"))}
    out = []

    def rng(v):
        q1, q2, q3 = quartiles(v)
        return "%s (IQR %s-%s, max %s)" % (ms(q2), ms(q1), ms(q3), ms(max(v)))

    out.append("Runner start-up: %d interleaved rounds (after one warm-up round); load average "
               "%s at the start, %s at the end (1-minute load during the rounds %.1f-%.1f).\n"
               % (runs, " / ".join(load0), " / ".join(load1), min(res["load"]),
                  max(res["load"])))
    out.append("| measurement | `vm run` | baseline | ratio | target | result |")
    out.append("| --- | --- | --- | --- | --- | --- |")
    for key, what in (("paused", "plain QEMU, same argv with -S, `cont` at once"),
                      ("plain", "plain QEMU, same argv")):
        r, p = statistics.median(res["runner"]), statistics.median(res[key])
        diffs = [a - b for a, b in zip(res["runner"], res[key])]
        ci = median_ci(diffs)
        out.append("| start to running guest (`vm run`: exec to READY=1; QEMU: exec to "
                   "query-status running), median of %d (interquartile range, max) | %s | %s: "
                   "%s | %.2fx | | |" % (runs, rng(res["runner"]), what, rng(res[key]), r / p))
        out.append("| what the runner adds to the above: the per-round differences (`vm run` "
                   "minus QEMU in the same round), median (interquartile range, max); 95%% "
                   "confidence interval of the median | %s; %s | | | <= 100 ms | %s |"
                   % (rng(diffs), "%s to %s (%.1f%%)" % (ms(ci[0]), ms(ci[1]), ci[2] * 100)
                      if ci else "too few rounds", verdict(diffs)))
    o = res["own"]
    ci = median_ci(o)
    out.append("| the runner's own work, per round: exec to its 'Started QEMU' line, plus its "
               "last 'Pinned vCPU' line to READY=1, median (interquartile range, max); 95%% "
               "confidence interval of the median | %s; %s | | | <= 100 ms | %s |"
               % (rng(o), "%s to %s" % (ms(ci[0]), ms(ci[1])) if ci else "too few rounds",
                  verdict(o)))
    if res["runner_cpu"]:
        # Wall time under load is mostly waiting for a CPU; CPU time says what was done.
        r, p = statistics.median(res["runner_cpu"]), statistics.median(res["paused_cpu"])
        diffs = [a - b for a, b in zip(res["runner_cpu"], res["paused_cpu"])]
        ci = median_ci(diffs)
        out.append("| QEMU's CPU time (user+sys, all threads) from its exec to the running "
                   "guest, median (interquartile range, max); in brackets the per-round "
                   "differences' median and 95%% interval | %s [%s; %s] | plain QEMU with -S: "
                   "%s | %.2fx | | |"
                   % (rng(res["runner_cpu"]), ms(statistics.median(diffs)),
                      "%s to %s" % (ms(ci[0]), ms(ci[1])) if ci else "too few rounds",
                      rng(res["paused_cpu"]), r / p if p else float("nan")))
    out.append("| in the same rounds: from the runner's 'Started QEMU' line to its first "
               "'Pinned vCPU' line (QEMU's start, the QMP connection and round trips), median "
               "(interquartile range, max) | %s | | | | |" % rng(res["wait"]))
    if trace_rows:
        out.append("\nWhere the runner's time goes: one more `vm run` under `strace -f` (%s "
                   "exec to READY=1; tracing slows it):\n" % ms(total_s))
        out.append("| phase of `vm run` | time |")
        out.append("| --- | --- |")
        for name, v in trace_rows:
            out.append("| %s | %s |" % (name, ms(v)))
    return "\n".join(out)


def read_times(path):
    """WORK/times.txt: round, vm run, plain QEMU, QEMU with -S, the runner's own work, its
    'Started QEMU' to first 'Pinned vCPU' (seconds), load, and since the CPU times were
    recorded the CPU seconds of the runner's QEMU, plain QEMU, QEMU with -S."""
    rows = []
    for line in open(path):
        f = line.split()
        # 7 columns before QEMU's CPU times were recorded, 10 since.
        if len(f) in (7, 10):
            rows.append(tuple(float(x) for x in f[1:]))
    return rows


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--summary":
        # The tables again from a recorded WORK/times.txt (load averages unknown: "?").
        print(summary(read_times(sys.argv[2]), ["?"], ["?"]))
        return
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    runs, gen, root, vm, work = int(sys.argv[1]), *sys.argv[2:]
    argv = json.load(open(os.path.join(work, "argv.json")))["argv"]
    qmp = qmp_path_of(argv)
    load0 = open("/proc/loadavg").read().split()[:3]
    # The warm-up: "vm run" also creates the VM's OVMF variable store the argv names.
    run_runner(gen, root, vm, work, "warmup")
    run_plain(argv, qmp, work, "warmup")
    run_plain(argv, qmp, work, "warmup-S", paused=True)
    rows = []
    with open(os.path.join(work, "times.txt"), "w") as out:
        for i in range(runs):
            # Each round starts with another of the three, so that what one leaves behind
            # (freed guest memory, a cold cache) does not always hit the same one.
            got = {}
            order = ("runner", "plain", "paused")
            for k in order[i % 3:] + order[:i % 3]:
                if k == "runner":
                    got[k] = run_runner(gen, root, vm, work, i)
                else:
                    got[k] = run_plain(argv, qmp, work, "%d-%s" % (i, k), paused=k == "paused")
            (a, own, wait, acpu), (b, bcpu), (c, ccpu) = got["runner"], got["plain"], got["paused"]
            ld = open("/proc/loadavg").read().split()[0]
            rows.append((a, b, c, own, wait, float(ld), acpu, bcpu, ccpu))
            out.write("%d %.6f %.6f %.6f %.6f %.6f %s %.3f %.3f %.3f\n"
                      % (i, a, b, c, own, wait, ld, acpu, bcpu, ccpu))
            out.flush()
            print("vm-bench: round %d: vm run %s (its own work %s, QEMU started to first pin %s, "
                  "its QEMU's CPU %s), plain QEMU %s (CPU %s), plain QEMU -S and cont %s (CPU %s) "
                  "(load %s)" % (i + 1, ms(a), ms(own), ms(wait), ms(acpu), ms(b), ms(bcpu),
                                 ms(c), ms(ccpu), ld), file=sys.stderr)
    total_s, trace_rows = breakdown(gen, root, vm, work, qmp)
    load1 = open("/proc/loadavg").read().split()[:3]
    print()
    print(summary(rows, load0, load1, total_s, trace_rows))


if __name__ == "__main__":
    main()
