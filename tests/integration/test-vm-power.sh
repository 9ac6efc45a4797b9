#!/bin/sh
# [host] cpu-governor (issue 15, item 5; docs/vm.md, "CPU power"): vm run with the real
# qemu-system-x86_64 (TCG) on a copy of the guide's server fixture whose sysfs has cpufreq
# policies for CPUs 0-3 (files below the root: this machine's governors are never touched).
#  - refused before anything changes (exit 2, one line with file:line:column): a governor a
#    CPU does not offer, a CPU without cpufreq, a malformed name;
#  - set on the VM's vCPU and emulator CPUs while QEMU runs, the old ones recorded, and put
#    back when QEMU ends: vm stop, SIGTERM to vm run, QEMU failing to start;
#  - the runner killed (SIGKILL) while QEMU runs: the record stays, vm stop restores; QEMU
#    gone too: the next vm run restores before it sets anything;
#  - the runner killed at every fault point from the lock to the last governor write
#    (GPT_BOOTCFG_FAULT_MODE=kill): no governor is ever changed without the record, and vm
#    stop puts every CPU back;
#  - two VMs on one CPU: the one ending first leaves it set, the last one gives back the
#    original (also when a runner was killed).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/setup.sh"

fx=guide-server
need_fixture $fx
need_tools qemu-system-x86_64 python3 jq
need_cpus 2
ncpu=$(nproc)

r=$(fixture_copy $fx)
set_cpus "$r" "0-$((ncpu - 1))"
mkdir -p "$r/etc/gpt-bootcfg"
cpu=$r/sys/devices/system/cpu
for c in 0 1 2 3; do
	mkdir -p "$cpu/cpu$c/cpufreq"
	echo "conservative ondemand userspace powersave performance schedutil" \
		>"$cpu/cpu$c/cpufreq/scaling_available_governors"
done
ORIG="0:schedutil 1:powersave 2:ondemand 3:schedutil"
reset_governors() {
	for _p in $ORIG; do echo "${_p#*:}" >"$cpu/cpu${_p%%:*}/cpufreq/scaling_governor"; done
}
governors() { # "0:X 1:Y 2:Z 3:W"
	for _c in 0 1 2 3; do printf "%s:%s " "$_c" "$(cat "$cpu/cpu$_c"/cpufreq*/scaling_governor)"; done |
		sed 's/ $//'
}
reset_governors
record=$r/run/gpt-bootcfg/p.cpufreq

write_config() { # GOVERNOR [EXTRA-VM-LINES...]
	_g=$1; shift
	{
		printf '[host]\ncpu-governor = %s\n\n' "$_g"
		printf '[vm p]\nmemory = 128M\nhugepage-size = none\nvcpus = 1\nvcpu-pins = 1\n'
		printf 'emulator-cpus = 0\nfirmware = bios\nuser = root\nstop-timeout = 2\n'
		for _l in "$@"; do echo "$_l"; done
	} >"$r/etc/gpt-bootcfg/gpt-bootcfg.conf"
	chmod 0644 "$r/etc/gpt-bootcfg/gpt-bootcfg.conf"
}

shm=$(mktemp -d /dev/shm/gpt-bootcfg-test.XXXXXX)
export GPT_BOOTCFG_TEST_ACCEL=tcg GPT_BOOTCFG_TEST_MEM_PATH="$shm"
cleanup() {
	for _p in "$r"/run/gpt-bootcfg/*.pid; do
		[ -f "$_p" ] && kill -9 "$(cat "$_p")" 2>/dev/null
	done
	rm -rf "$shm"
}
trap cleanup EXIT

# ---- refusals: nothing changed, QEMU not started ----
refused() { # DESCRIPTION WANT
	"$GPT_BOOTCFG" --root "$r" vm run p >"$TAP_TMP/run.log" 2>"$TAP_TMP/err"; _rc=$?
	is "$_rc" 2 "$1: vm run exits 2"
	is "$(cat "$TAP_TMP/err")" "gpt-bootcfg: $2" "$1: one line naming it"
	is "$(governors)" "$ORIG" "$1: no governor changed"
	ok "$1: no record" -- test ! -e "$record"
	ok "$1: QEMU not started" -- sh -c "! grep -q 'Started QEMU' '$TAP_TMP/run.log'"
}
C=/etc/gpt-bootcfg/gpt-bootcfg.conf
write_config ondemand
echo "performance powersave" >"$cpu/cpu1/cpufreq/scaling_available_governors"
refused "governor CPU 1 does not offer" \
	"$C:2:16: cpu-governor = ondemand is not available on CPU 1 (scaling_available_governors: performance powersave)"
mv "$cpu/cpu1/cpufreq" "$cpu/cpu1/cpufreq.off"
write_config performance
refused "CPU without cpufreq" \
	"$C:2:16: cpu-governor = performance, but CPU 1 has no cpufreq policy (/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor): no frequency scaling driver runs it; remove cpu-governor"
mv "$cpu/cpu1/cpufreq.off" "$cpu/cpu1/cpufreq"
write_config "Perf"
refused "malformed governor" \
	"$C:2:16: cpu-governor: invalid governor name 'Perf' (e.g. performance, schedutil, ondemand)"

# ---- set while QEMU runs, restored after ----
write_notify_py "$TAP_TMP/notify.py"
start_vm() { # [NAME]: vm run in the background until READY=1; $vm_pid is vm run itself
	_vm=${1:-p}
	rm -f "$TAP_TMP/notify" "$TAP_TMP/notify.bound" "$TAP_TMP/ready" "$TAP_TMP/vm.pid"
	python3 "$TAP_TMP/notify.py" "$TAP_TMP/notify" "$TAP_TMP/ready" 180 &
	_np=$!
	for _i in $(seq 50); do [ -e "$TAP_TMP/notify.bound" ] && break; sleep 0.1; done
	NOTIFY_SOCKET=$TAP_TMP/notify timeout 300 sh -c 'echo $$ >"$1"; shift; exec "$@"' sh \
		"$TAP_TMP/vm.pid" "$GPT_BOOTCFG" --root "$r" vm run "$_vm" >"$TAP_TMP/run.out" 2>&1 &
	run_pid=$!
	wait $_np
	vm_pid=$(cat "$TAP_TMP/vm.pid")
	qpid=$(cat "$r/run/gpt-bootcfg/$_vm.pid" 2>/dev/null)
	[ "$(head -n1 "$TAP_TMP/ready")" = READY=1 ] || sed 's/^/# vm run: /' "$TAP_TMP/run.out"
}
SET="0:performance 1:performance 2:ondemand 3:schedutil"

write_config performance
start_vm
is "$(head -n1 "$TAP_TMP/ready")" READY=1 "running: READY=1"
is "$(governors)" "$SET" "running: vCPU CPU 1 and emulator CPU 0 on performance, 2 and 3 untouched"
is "$(cat "$record" | tr '\n' ' ')" "0 schedutil 1 powersave " "running: the old governors recorded"
ok "running: vm run says so" -- grep -q "cpufreq governor 'performance' on CPUs 0-1" "$TAP_TMP/run.out"
"$GPT_BOOTCFG" --root "$r" vm status p --json >"$TAP_TMP/status.json" 2>"$TAP_TMP/err"
is "$(jq -r '.vcpus[0] | "\(.cpu) \(.governor)"' "$TAP_TMP/status.json")" "1 performance" \
	"running: vm status shows the governor of the vCPU's CPU"
"$GPT_BOOTCFG" --root "$r" vm stop p >"$TAP_TMP/stop.out" 2>&1
is "$?" 0 "vm stop exits 0"
wait $run_pid
is "$?" 0 "vm run exits 0"
is "$(governors)" "$ORIG" "after vm stop: every governor back"
ok "after vm stop: record removed" -- test ! -e "$record"

start_vm
is "$(governors)" "$SET" "SIGTERM: set while running"
kill -TERM "$vm_pid"
wait $run_pid
is "$?" 0 "SIGTERM: vm run exits 0"
is "$(governors)" "$ORIG" "SIGTERM: every governor back"
ok "SIGTERM: record removed" -- test ! -e "$record"

write_config performance "extra-args = -no-such-option"
"$GPT_BOOTCFG" --root "$r" vm run p >"$TAP_TMP/run.log" 2>&1
is "$?" 2 "QEMU fails to start: vm run exits 2"
ok "QEMU fails to start: it was started" -- grep -q "Started QEMU" "$TAP_TMP/run.log"
is "$(governors)" "$ORIG" "QEMU fails to start: every governor back"
ok "QEMU fails to start: record removed" -- test ! -e "$record"

# ---- the runner killed ----
write_config performance
start_vm
kill -KILL "$vm_pid"
wait $run_pid
ok "SIGKILL: QEMU runs on" -- kill -0 "$qpid"
is "$(governors)" "$SET" "SIGKILL: governors still set"
ok "SIGKILL: the record stays" -- test -e "$record"
"$GPT_BOOTCFG" --root "$r" vm stop p >"$TAP_TMP/stop.out" 2>&1
is "$?" 0 "SIGKILL: vm stop exits 0"
ok "SIGKILL: vm stop says it restored them" -- grep -q "restored the CPU governors" "$TAP_TMP/stop.out"
is "$(governors)" "$ORIG" "SIGKILL: vm stop put every governor back"
ok "SIGKILL: record removed" -- test ! -e "$record"

start_vm
kill -KILL "$vm_pid"
wait $run_pid
kill -KILL "$qpid"
for i in $(seq 100); do kill -0 "$qpid" 2>/dev/null || break; sleep 0.1; done
# Another governor chosen meanwhile on a CPU the VM does not use stays as it is.
start_vm
ok "next vm run: restores the leftover record first" -- \
	grep -q "restored the CPU governors an earlier vm run left changed" "$TAP_TMP/run.out"
is "$(governors)" "$SET" "next vm run: then sets them again"
is "$(cat "$record" | tr '\n' ' ')" "0 schedutil 1 powersave " "next vm run: records the original ones, not its own"
kill -TERM "$vm_pid"
wait $run_pid
is "$(governors)" "$ORIG" "next vm run: every governor back after it"

# ---- killed at every fault point up to the last governor write ----
# The points of a start, counted on one that fails right after the governors are set: the
# hugepage check (2 MiB pages, and no pool in the fixture) refuses after them.
write_config performance
sed -i 's/^hugepage-size = none$/hugepage-size = 2M/' "$r/etc/gpt-bootcfg/gpt-bootcfg.conf"
rm -f "$TAP_TMP/faults"
GPT_BOOTCFG_FAULT_LOG=$TAP_TMP/faults "$GPT_BOOTCFG" --root "$r" vm run p >"$TAP_TMP/run.log" 2>&1
is "$?" 2 "counting run: refused after the governors (hugepages)"
is "$(governors)" "$ORIG" "counting run: governors put back on that failure too"
last=$(grep -n ' governor ' "$TAP_TMP/faults" | sed -n 2p | cut -d: -f1)
last=$(sed -n "${last}p" "$TAP_TMP/faults" | cut -d' ' -f1)
ok "counting run: two governor writes among the fault points (last at $last)" -- test -n "$last"
bad=""
n=1
while [ -n "$last" ] && [ "$n" -le $((last + 1)) ]; do
	# (The subshell's stderr takes the shell's own "Killed".)
	(GPT_BOOTCFG_FAULT_AT=$n GPT_BOOTCFG_FAULT_MODE=kill \
		"$GPT_BOOTCFG" --root "$r" vm run p >"$TAP_TMP/run.log" 2>&1; :) 2>/dev/null
	g=$(governors)
	# Record first: a changed governor without the record would be lost for good.
	if [ "$g" != "$ORIG" ] && [ ! -e "$record" ]; then bad="$bad $n:no-record"; fi
	"$GPT_BOOTCFG" --root "$r" vm stop p >"$TAP_TMP/run.log" 2>&1 || bad="$bad $n:stop-failed"
	[ "$(governors)" = "$ORIG" ] || bad="$bad $n:not-restored"
	[ -e "$record" ] && bad="$bad $n:record-left"
	n=$((n + 1))
done
is "$bad" "" "killed at each of fault points 1..$((last + 1)) (one after the last write): never a change without the record; vm stop restores all"

# ---- two VMs on CPU 1: p (vCPU 1, emulator 0) and q (vCPU 1) ----
# Whichever ends first leaves CPU 1 on performance while the other runs; the last one gives
# back CPU 1's original (powersave), not the performance the second VM found there.
write_config performance "" "[vm q]" "memory = 128M" "hugepage-size = none" "vcpus = 1" \
	"vcpu-pins = 1" "firmware = bios" "user = root" "stop-timeout = 2"
qrecord=$r/run/gpt-bootcfg/q.cpufreq
reset_governors
start_vm p; p_run=$run_pid
start_vm q; q_run=$run_pid
is "$(governors)" "$SET" "p and q: CPUs 0 and 1 on performance"
is "$(tr '\n' ' ' <"$qrecord")" "1 powersave " "q records CPU 1's original, not p's performance"
"$GPT_BOOTCFG" --root "$r" vm stop p >"$TAP_TMP/stop.out" 2>&1
is "$?" 0 "p stops first: vm stop exits 0"
wait $p_run
is "$(governors)" "0:schedutil 1:performance 2:ondemand 3:schedutil" \
	"p stops first: its CPU 0 back, CPU 1 stays on performance while q runs"
"$GPT_BOOTCFG" --root "$r" vm stop q >"$TAP_TMP/stop.out" 2>&1
is "$?" 0 "then q: vm stop exits 0"
wait $q_run
is "$(governors)" "$ORIG" "then q: CPU 1's original back"
ok "no record left" -- sh -c "! ls '$r/run/gpt-bootcfg/' | grep -q cpufreq\$"

# q first, then p, with q's runner killed (SIGKILL) while its QEMU runs on.
start_vm q; q_run=$run_pid; q_vm=$vm_pid
start_vm p; p_run=$run_pid
is "$(tr '\n' ' ' <"$record")" "0 schedutil 1 powersave " "p records CPU 1's original from q's record"
kill -KILL "$q_vm"
wait $q_run
"$GPT_BOOTCFG" --root "$r" vm stop p >"$TAP_TMP/stop.out" 2>&1
wait $p_run
is "$(governors)" "0:schedutil 1:performance 2:ondemand 3:schedutil" \
	"q's runner killed, p stops: CPU 1 stays, q's QEMU still runs on it"
"$GPT_BOOTCFG" --root "$r" vm stop q >"$TAP_TMP/stop.out" 2>&1
is "$?" 0 "q (runner killed): vm stop exits 0"
is "$(governors)" "$ORIG" "q (runner killed): vm stop gives CPU 1's original back"
ok "q (runner killed): no record left" -- test ! -e "$qrecord"

done_testing
