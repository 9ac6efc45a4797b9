#!/bin/sh
# The benchmarks' readers (no benchmark runs here, nothing is timed): bench/boot-times.py on
# report lines as the boot-bench guest prints them, bench/vm-bench.py's strace reader on
# strace -f -T lines. A reader that misparses would print wrong figures without failing.
. "$(dirname "$0")/../lib/tap.sh"

bt=$TOP/bench/boot-times.py
# Both of dd.c's messages; 00:04.0 bound twice (the first bind counts); the control NVMe on
# nvme; a bind to another driver and a non-target bind are not counted.
cat >"$TAP_TMP/ours.report" <<'REP'
BEGIN
UPTIME 20.50
STEP DRIVER 0000:00:03.0 vfio-pci
STEP DRIVER 0000:00:06.0 nvme
STEP KMSG [    7.500000] Run /init as init process
STEP KMSG [    9.000000] bus: 'pci': really_probe: bound device 0000:00:03.0 to driver vfio-pci
STEP KMSG [    9.100000] driver: 'vfio-pci': driver_bound: bound to device '0000:00:04.0'
STEP KMSG [    9.200000] bus: 'pci': really_probe: bound device 0000:00:05.0 to driver vfio-pci
STEP KMSG [    9.900000] bus: 'pci': really_probe: bound device 0000:00:04.0 to driver vfio-pci
STEP KMSG [   12.000000] bus: 'pci': really_probe: bound device 0000:00:06.0 to driver nvme
STEP KMSG [   13.000000] bus: 'pci': really_probe: bound device 0000:00:07.0 to driver vfio-pci
END
REP
is "$(python3 "$bt" ours 1 3.5 <"$TAP_TMP/ours.report")" "ours 1 9.200000 7.500000 20.50 3.5 nvme" \
	"boot-times: latest first bind of the targets, /init, init-premount, control driver"
# 6.12 prints them with dev_dbg(): the driver and device in the prefix.
sed -e "s/bus: 'pci': really_probe: bound device \(0000:[^ ]*\) to driver \(.*\)$/\2 \1: bus: 'pci': really_probe: bound device to driver \2/" \
	-e "s/driver: '\([^']*\)': driver_bound: bound to device '\(.*\)'$/\1 \2: driver: '\1': driver_bound: bound to device/" \
	"$TAP_TMP/ours.report" >"$TAP_TMP/dev_dbg.report"
ok "boot-times: the 6.12 form was made" -- grep -q "vfio-pci 0000:00:05.0: bus: 'pci': really_probe: bound device to driver vfio-pci" "$TAP_TMP/dev_dbg.report"
is "$(python3 "$bt" ours 1 3.5 <"$TAP_TMP/dev_dbg.report")" "ours 1 9.200000 7.500000 20.50 3.5 nvme" \
	"boot-times: the same from dev_dbg() messages (6.12)"
sed 's/^\(STEP KMSG.*0000:00:05.0.*\)$//' "$TAP_TMP/ours.report" >"$TAP_TMP/missing.report"
ok "boot-times: a target without a bind fails" -- sh -c "! python3 '$bt' ours 1 3.5 <'$TAP_TMP/missing.report'"
grep -v '^UPTIME' "$TAP_TMP/ours.report" >"$TAP_TMP/noup.report"
ok "boot-times: a report without UPTIME fails" -- sh -c "! python3 '$bt' ours 1 3.5 <'$TAP_TMP/noup.report'"

printf 'ours 1 9.0 7.5 20.0 3.0 nvme\nguide 1 18.0 7.4 25.0 3.1 vfio-pci\nours 2 11.0 7.7 21.0 3.2 nvme\nguide 2 20.0 7.6 27.0 3.3 vfio-pci\n' \
	>"$TAP_TMP/times.txt"
printf 'etc\netc/gpt-bootcfg\netc/gpt-bootcfg/claim.list\nlib\n' >"$TAP_TMP/o.files"
printf 'etc\netc/modprobe.d\netc/modprobe.d/vfio.conf\nlib\n' >"$TAP_TMP/g.files"
python3 "$bt" --summary 6.1.0-1-amd64 bookworm "1 1 1" "2 2 2" 100 3000 1000 9000 5000 \
	"$TAP_TMP/o.files" "$TAP_TMP/g.files" <"$TAP_TMP/times.txt" >"$TAP_TMP/table.md"
ok "boot-times: medians 10 s and 19 s, ratio 0.53x, met" -- \
	grep -qF '| 10.000 s (9.000 s-11.000 s) | 19.000 s (18.000 s-20.000 s) | 0.53x | <= 1.1x | met |' "$TAP_TMP/table.md"
ok "boot-times: size difference" -- grep -qF '| +2000 bytes (+2.0 KiB) |' "$TAP_TMP/table.md"
ok "boot-times: size difference, uncompressed" -- grep -qF '| +4000 bytes (+3.9 KiB) |' "$TAP_TMP/table.md"
ok "boot-times: files only in one image, without their directories" -- \
	grep -qF '| files only in this image | `etc/gpt-bootcfg/claim.list` | `etc/modprobe.d/vfio.conf` |' "$TAP_TMP/table.md"
ok "boot-times: the guide's method took the control NVMe" -- grep -qF 'ours kept, guide **taken**' "$TAP_TMP/table.md"
sed 's/^ours \([12]\) [0-9.]*/ours \1 30.0/' "$TAP_TMP/times.txt" >"$TAP_TMP/slow.txt"
python3 "$bt" --summary 6.1.0-1-amd64 bookworm "1 1 1" "2 2 2" 100 3000 1000 9000 5000 \
	"$TAP_TMP/o.files" "$TAP_TMP/g.files" <"$TAP_TMP/slow.txt" >"$TAP_TMP/slow.md"
ok "boot-times: a slower claim misses the target" -- grep -qF '| 1.58x | <= 1.1x | **missed** |' "$TAP_TMP/slow.md"

# strace -f -ttt -T: an <unfinished ...> call joined with its end, wait4's "==" in the
# arguments not taken for the result, a failed connect's -1.
cat >"$TAP_TMP/t.strace" <<'TR'
100 1000.000000 execve("/x/gpt-bootcfg", ["gpt-bootcfg"], 0x7ffd /* 4 vars */) = 0 <0.000100>
100 1000.001000 clone(child_stack=NULL, flags=SIGCHLD) = 101 <0.000100>
100 1000.002000 wait4(101, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 101 <0.000010>
100 1000.003000 connect(3, {sa_family=AF_UNIX, sun_path="/r/q.qmp"}, 110) = -1 ENOENT (No such file or directory) <0.000050>
100 1000.004000 poll([{fd=3, events=POLLIN}], 1, 9991 <unfinished ...>
102 1000.004500 listen(3, 1)    = 0 <0.000004>
100 1000.500000 <... poll resumed>) = 1 ([{fd=3, revents=POLLIN}]) <0.496000>
TR
ok "vm-bench: strace reader" -- python3 -c '
import importlib.util, sys
spec = importlib.util.spec_from_file_location("vb", sys.argv[1])
vb = importlib.util.module_from_spec(spec)
spec.loader.exec_module(vb)
c = vb.parse_strace(sys.argv[2])
got = [(x["pid"], x["name"], x["ret"], round(x["end"] - x["t"], 6)) for x in c]
want = [(100, "execve", 0, 0.0001), (100, "clone", 101, 0.0001), (100, "wait4", 101, 0.00001),
        (100, "connect", -1, 0.00005), (100, "poll", 1, 0.496), (102, "listen", 0, 0.000004)]
assert got == want, got
print(got)' "$TOP/bench/vm-bench.py" "$TAP_TMP/t.strace"

# vm-bench's verdict from recorded rounds (times.txt: round runner plain paused own wait
# load, seconds). 21 rounds where vm run is 20 ms behind QEMU -S, with one 3 s outlier on
# each side: the median, its confidence interval (the 6th and 16th of 21 sorted) and the
# verdict stay put.
python3 - "$TAP_TMP/vm-times.txt" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(21):
        paused = 0.300 + 0.001 * i
        runner = paused + 0.020 + 0.0005 * (i % 5)
        if i == 3:
            runner += 3.0
        if i == 7:
            paused += 3.0
        f.write("%d %.6f %.6f %.6f %.6f %.6f 0.7\n" % (i, runner, paused + 0.010, paused, 0.008, runner - 0.008))
PY
python3 "$TOP/bench/vm-bench.py" --summary "$TAP_TMP/vm-times.txt" >"$TAP_TMP/vm.md"
ok "vm-bench: 21 rounds read" -- grep -qF "Runner start-up: 21 interleaved rounds" "$TAP_TMP/vm.md"
ok "vm-bench: paired median 21 ms, interval from order statistics, met despite the outliers" -- \
	grep -qE '^\| what the runner adds .*\| 21\.0 ms \(IQR [0-9.]+ ms-[0-9.]+ ms, max 3021\.5 ms\); 20\.0 ms to 21\.5 ms \(97\.3%\) \| \| \| <= 100 ms \| met \|$' "$TAP_TMP/vm.md"
ok "vm-bench: the runner's own work met" -- \
	grep -qE "^\| the runner's own work, per round.*\| 8\.0 ms .*\| <= 100 ms \| met \|$" "$TAP_TMP/vm.md"
# 300 ms behind in every round: missed; spread over seconds both ways: not significant.
awk '{ printf "%d %.6f %.6f %.6f %.6f %.6f %s\n", $1, $4 + 0.3, $3, $4, $5, $6, $7 }' "$TAP_TMP/vm-times.txt" >"$TAP_TMP/slow-times.txt"
python3 "$TOP/bench/vm-bench.py" --summary "$TAP_TMP/slow-times.txt" >"$TAP_TMP/slow-vm.md"
ok "vm-bench: 300 ms more in every round: missed" -- \
	sh -c "grep -F 'what the runner adds' '$TAP_TMP/slow-vm.md' | head -n1 | grep -qF '| <= 100 ms | **missed** |'"
awk '{ printf "%d %.6f %.6f %.6f %.6f %.6f %s\n", $1, $4 + ($1 % 2 ? 1.5 : -1.5), $3, $4, $5, $6, $7 }' "$TAP_TMP/vm-times.txt" >"$TAP_TMP/noisy-times.txt"
python3 "$TOP/bench/vm-bench.py" --summary "$TAP_TMP/noisy-times.txt" >"$TAP_TMP/noisy-vm.md"
ok "vm-bench: differences spread over seconds both ways: not significant" -- \
	sh -c "grep -F 'what the runner adds' '$TAP_TMP/noisy-vm.md' | head -n1 | grep -qF 'not significant (95% interval -1500.'"

# Since QEMU's CPU times are recorded (three more columns): their row, paired as well.
awk '{ printf "%s 0.%03d 0.400 0.%03d\n", $0, 410 + $1 % 3, 400 + $1 % 2 }' "$TAP_TMP/vm-times.txt" >"$TAP_TMP/cpu-times.txt"
python3 "$TOP/bench/vm-bench.py" --summary "$TAP_TMP/cpu-times.txt" >"$TAP_TMP/cpu-vm.md"
ok "vm-bench: QEMU's CPU time, medians 411 and 400 ms, paired difference 10 ms" -- \
	grep -qE "^\| QEMU's CPU time .*\| 411\.0 ms \(IQR [^)]*\) \[10\.0 ms; [0-9.]+ ms to [0-9.]+ ms\] \| plain QEMU with -S: 400\.0 ms " "$TAP_TMP/cpu-vm.md"
ok "vm-bench: no CPU row from the older 7 columns" -- sh -c "! grep -q \"QEMU's CPU time\" '$TAP_TMP/vm.md'"

done_testing
