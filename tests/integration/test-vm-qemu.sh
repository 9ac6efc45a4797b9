#!/bin/sh
# vm run / status / stop with the real qemu-system-x86_64 (Debian's), on a copy of the
# guide's server fixture: TCG instead of KVM, memory on a tmpfs directory instead of
# hugetlbfs, emulated stand-ins for the GPU, its audio function and the USB card (the test
# machine has none of them). Checked over QMP and in /proc: the root ports and the
# multifunction slot (query-pci), the memory backend (query-memdev), the vCPUs
# (query-cpus-fast) and their thread affinities, readiness over $NOTIFY_SOCKET only
# after pinning, the hooks and their environment, and a clean stop.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/setup.sh"

fx=guide-server
need_fixture $fx
need_qemu_run

r=$(fixture_copy $fx)
# The real CPUs of this machine: pinning happens here.
qemu_root "$r"

{
	standin_devices_conf
	standin_vm_conf t1
	cat <<CONF

[vm t2]
memory = 128M
hugepage-size = none
vcpus = 1
vcpu-pins = 1
emulator-cpus = 0
firmware = bios
CONF
} | write_conf "$r"

# Hooks record their environment.
for phase in prepare release; do
	d=$r/etc/gpt-bootcfg/hooks.d/t1/$phase.d
	mkdir -p "$d"
	printf '#!/bin/sh\nenv | grep ^GPT_BOOTCFG_ | sort >"%s/hook-%s.env"\necho "$1 $2" >>"%s/hook-%s.env"\n' \
		"$TAP_TMP" "$phase" "$TAP_TMP" "$phase" >"$d/10-record"
	chmod +x "$d/10-record"
done

shm=$(mktemp -d /dev/shm/gpt-bootcfg-test.XXXXXX)
export GPT_BOOTCFG_TEST_ACCEL=tcg GPT_BOOTCFG_TEST_MEM_PATH="$shm" GPT_BOOTCFG_TEST_STANDINS=1

# A systemd stand-in for the readiness message: the datagram and when it came.
write_notify_py "$TAP_TMP/notify.py"

# A QMP client: the queries named on the command line as one JSON document. query-pci
# is repeated until the firmware has numbered the root ports' secondary buses (QEMU lists
# the devices behind a bridge only then; OVMF under TCG takes a while), at most 120 s.
{ qmp_py_prelude; cat <<'PY'
import time
def execute(cmd):
    f.write(json.dumps({"execute": cmd}) + "\n"); f.flush()
    return reply()["return"]
def enumerated(buses):
    return all("devices" in d["pci_bridge"]
               for b in buses for d in b["devices"] if "pci_bridge" in d)
out = {}
for cmd in ["qmp_capabilities"] + sys.argv[2:]:
    out[cmd] = execute(cmd)
    deadline = time.monotonic() + 120
    while cmd == "query-pci" and not enumerated(out[cmd]) and time.monotonic() < deadline:
        time.sleep(0.5)
        out[cmd] = execute(cmd)
print(json.dumps(out))
PY
} >"$TAP_TMP/qmp.py"

start_vm() { # NAME: vm run in the background, wait for READY=1
	rm -f "$TAP_TMP/notify" "$TAP_TMP/notify.bound" "$TAP_TMP/ready"
	python3 "$TAP_TMP/notify.py" "$TAP_TMP/notify" "$TAP_TMP/ready" 120 &
	notify_pid=$!
	for _i in $(seq 50); do [ -e "$TAP_TMP/notify.bound" ] && break; sleep 0.1; done
	# timeout(1) only bounds a hang; signals go to vm run itself ($vm_pid, written by the
	# shell that then becomes it), never to timeout, which would forward them twice.
	rm -f "$TAP_TMP/vm.pid"
	NOTIFY_SOCKET=$TAP_TMP/notify timeout 300 sh -c 'echo $$ >"$1"; shift; exec "$@"' sh \
		"$TAP_TMP/vm.pid" "$GPT_BOOTCFG" --root "$r" vm run "$1" >"$TAP_TMP/run-$1.out" 2>&1 &
	run_pid=$!
	wait $notify_pid
	vm_pid=$(cat "$TAP_TMP/vm.pid")
}
# wait_log FILE TEXT: wait until FILE has a line with TEXT (bounded, 120 s); no sleep decides
# a result, only whether the line came.
wait_log() {
	for _i in $(seq 1200); do grep -qF -- "$2" "$1" && return 0; sleep 0.1; done
	echo "no '$2' in $1:"; cat "$1"; return 1
}

# Whatever happens, no QEMU outlives the test.
cleanup() {
	for p in "$r"/run/gpt-bootcfg/*.pid; do
		[ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null
	done
	rm -rf "$shm"
}
trap cleanup EXIT

# ---- t1: GPU + audio on one port, USB on another, two disks, a CD-ROM, OVMF ----
start_vm t1
is "$(head -n1 "$TAP_TMP/ready")" "READY=1" "t1: READY=1 sent"
ok "t1: READY=1 only after pinning" -- grep -q "Pinned vCPU 1 (thread [0-9]*) to CPU 0" "$TAP_TMP/run-t1.out"
qpid=$(cat "$r/run/gpt-bootcfg/t1.pid")
ok "t1: QEMU runs" -- kill -0 "$qpid"
# A socket's x bits mean nothing; what matters is that group and others have no access.
ok "t1: QMP socket is owner-only" -- sh -c "stat -c %a '$r/run/gpt-bootcfg/t1.qmp' | grep -qx '[67]00'"
ok "t1: private OVMF variables" -- cmp "$r/var/lib/gpt-bootcfg/t1/OVMF_VARS.fd" /usr/share/OVMF/OVMF_VARS_4M.fd

python3 "$TAP_TMP/qmp.py" "$r/run/gpt-bootcfg/t1.qmp" query-pci query-memdev query-cpus-fast query-status \
	>"$TAP_TMP/q.json" 2>"$TAP_TMP/q.err"
ok "t1: QMP queries answered" -- jq -e . "$TAP_TMP/q.json"
sed 's/^/# /' "$TAP_TMP/q.err"
is "$(jq -r '.["query-status"].status' "$TAP_TMP/q.json")" running "t1: guest running after cont"

# query-pci: devices on bus 0 and behind bridges, flattened.
jq '[.["query-pci"][] | .devices[] | ., (.pci_bridge.devices[]? // empty)]' "$TAP_TMP/q.json" >"$TAP_TMP/pci.json"
is "$(jq '[.[] | select(.qdev_id | test("^rp[0-9]"))] | length' "$TAP_TMP/pci.json")" 2 "t1: two root ports"
is "$(jq -r '[.[] | select(.qdev_id == "rp1") | .pci_bridge.devices[] | "\(.qdev_id)@\(.slot).\(.function)"] | join(" ")' "$TAP_TMP/pci.json")" \
	"hostdev0@0.0 hostdev1@0.1" "t1: GPU and audio stand-ins on rp1 as functions 0 and 1"
is "$(jq -r '[.[] | select(.qdev_id == "rp2") | .pci_bridge.devices[] | "\(.qdev_id)@\(.slot).\(.function)"] | join(" ")' "$TAP_TMP/pci.json")" \
	"hostdev2@0.0" "t1: USB stand-in alone on rp2"
is "$(jq -r '[.[] | select(.qdev_id == "rp1") | .pci_bridge.devices[] | (.class_info.class / 256 | floor | tostring)] | join(" ")' "$TAP_TMP/pci.json")" \
	"3 4" "t1: display class (03xx) on function 0, multimedia class (04xx) on function 1"
ok "t1: emulated NVMe disk present" -- jq -e '[.[] | select(.class_info.class == 264)] | length == 1' "$TAP_TMP/pci.json"
ok "t1: virtio-blk disk present" -- jq -e '[.[] | select(.id.vendor == 6900 and .class_info.class == 256)] | length == 1' "$TAP_TMP/pci.json"

is "$(jq -r '.["query-memdev"] | map("\(.id) \(.size) \(.prealloc)") | join(",")' "$TAP_TMP/q.json")" \
	"mem0 268435456 true" "t1: one preallocated 256 MiB memory backend"
is "$(jq '.["query-cpus-fast"] | length' "$TAP_TMP/q.json")" 2 "t1: two vCPUs"
is "$(jq -r '[.["query-cpus-fast"][] | "\(.props["core-id"]):\(.props["thread-id"])"] | join(" ")' "$TAP_TMP/q.json")" \
	"0:0 0:1" "t1: one core with two threads"

# Affinity as the kernel reports it: vCPU 0 on CPU 1, vCPU 1 on CPU 0.
i=0
for tid in $(jq -r '.["query-cpus-fast"] | sort_by(.["cpu-index"])[] | .["thread-id"]' "$TAP_TMP/q.json"); do
	want=$([ $i = 0 ] && echo 1 || echo 0)
	is "$(awk '/^Cpus_allowed_list/ {print $2}' "/proc/$qpid/task/$tid/status")" "$want" \
		"t1: vCPU $i thread $tid pinned to CPU $want (/proc)"
	i=$((i + 1))
done

"$GPT_BOOTCFG" --root "$r" vm status t1 --json >"$TAP_TMP/status.json" 2>"$TAP_TMP/err"
is "$?" 0 "t1: vm status exits 0"
is "$(jq -r '[.running, .state, (.vcpus | map(.affinity) | join(","))] | join(" ")' "$TAP_TMP/status.json")" \
	"true running 1,0" "t1: vm status shows the pinning"
"$GPT_BOOTCFG" --root "$r" vm status t1 >"$TAP_TMP/status.txt" 2>&1
ok "t1: text status" -- grep -q "^t1: running" "$TAP_TMP/status.txt"

# prepare hook environment
# The runner's seven variables (whatever else of the caller's environment passes through:
# GPT_BOOTCFG_TEST_*, CI's GPT_BOOTCFG_CACHE) and the hook's arguments.
is "$(grep -E '^GPT_BOOTCFG_(VM|PHASE|VCPU_CPUS|EMULATOR_CPUS|ROOT|MEMORY_MIB|HUGEPAGE_KB)=' "$TAP_TMP/hook-prepare.env" | cut -d= -f1 | tr '\n' ' ')" \
	"GPT_BOOTCFG_EMULATOR_CPUS GPT_BOOTCFG_HUGEPAGE_KB GPT_BOOTCFG_MEMORY_MIB GPT_BOOTCFG_PHASE GPT_BOOTCFG_ROOT GPT_BOOTCFG_VCPU_CPUS GPT_BOOTCFG_VM " \
	"prepare hook: the runner's 7 variables"
ok "prepare hook: VM name and CPUs" -- sh -c "grep -qx GPT_BOOTCFG_VM=t1 '$TAP_TMP/hook-prepare.env' &&
	grep -qx GPT_BOOTCFG_VCPU_CPUS=1,0 '$TAP_TMP/hook-prepare.env' &&
	grep -qx GPT_BOOTCFG_PHASE=prepare '$TAP_TMP/hook-prepare.env' &&
	grep -qx 't1 prepare' '$TAP_TMP/hook-prepare.env'"
ok "release hook not run yet" -- test ! -e "$TAP_TMP/hook-release.env"

# vm stop: the firmware ignores the power button, so the timeout (3 s) leads to quit.
"$GPT_BOOTCFG" --root "$r" vm stop t1 >"$TAP_TMP/stop.out" 2>&1
is "$?" 0 "t1: vm stop exits 0"
ok "t1: powerdown, then quit after the timeout" -- grep -q "did not power off within 3 s; quitting QEMU" "$TAP_TMP/stop.out"
wait $run_pid; rc=$?
is "$rc" 0 "t1: vm run exits 0 when QEMU quits"
ok "t1: QEMU is gone" -- sh -c "! kill -0 $qpid 2>/dev/null"
ok "release hook ran after QEMU ended" -- grep -qx "t1 release" "$TAP_TMP/hook-release.env"
"$GPT_BOOTCFG" --root "$r" vm status t1 >"$TAP_TMP/status.txt" 2>&1
is "$?" 1 "t1: vm status exits 1 when not running"
ok "t1: not running" -- grep -qx "t1: not running" "$TAP_TMP/status.txt"

# ---- t2: no hugepages, SeaBIOS, emulator threads pinned too ----
start_vm t2
is "$(head -n1 "$TAP_TMP/ready")" "READY=1" "t2: READY=1 sent"
qpid=$(cat "$r/run/gpt-bootcfg/t2.pid")
python3 "$TAP_TMP/qmp.py" "$r/run/gpt-bootcfg/t2.qmp" query-cpus-fast query-memdev >"$TAP_TMP/q2.json"
vtid=$(jq -r '.["query-cpus-fast"][0]["thread-id"]' "$TAP_TMP/q2.json")
is "$(awk '/^Cpus_allowed_list/ {print $2}' "/proc/$qpid/task/$vtid/status")" 1 "t2: vCPU on CPU 1"
others=$(for t in /proc/$qpid/task/*; do [ "${t##*/}" = "$vtid" ] || awk '/^Cpus_allowed_list/ {print $2}' "$t/status"; done | sort -u | tr '\n' ' ')
is "$others" "0 " "t2: every other QEMU thread on the emulator CPU 0"
is "$(jq -r '.["query-memdev"][0].size' "$TAP_TMP/q2.json")" 134217728 "t2: 128 MiB"
"$GPT_BOOTCFG" --root "$r" vm stop t2 --timeout 2 >"$TAP_TMP/stop.out" 2>&1
is "$?" 0 "t2: vm stop exits 0"
wait $run_pid
is "$?" 0 "t2: vm run exits 0"
"$GPT_BOOTCFG" --root "$r" vm stop t2 >"$TAP_TMP/stop.out" 2>&1
is "$?" 0 "t2: stopping a stopped VM is fine"
ok "t2: says it is not running" -- grep -q "VM 't2' is not running" "$TAP_TMP/stop.out"

# systemd stops the unit with SIGTERM to vm run: QEMU goes with it, vm run exits 0.
start_vm t2
is "$(head -n1 "$TAP_TMP/ready")" "READY=1" "t2 again: READY=1 sent"
qpid=$(cat "$r/run/gpt-bootcfg/t2.pid")
kill -TERM "$vm_pid"
wait $run_pid
rc=$?
is "$rc" 0 "t2: vm run exits 0 on SIGTERM"
[ "$rc" = 0 ] || sed 's/^/# vm run: /' "$TAP_TMP/run-t2.out"
ok "t2: its QEMU is gone" -- sh -c "! kill -0 $qpid 2>/dev/null"

# Stop requests that arrive twice (docs/vm.md, "Stopping"). QEMU is held with SIGSTOP while
# the signals are sent, so it cannot end before vm run has taken both of them: every step
# waits for vm run's log line, and no result depends on timing. The repeat window is made
# long (GPT_BOOTCFG_TEST_REPEAT_MS) where a repeat is expected, zero where it is not.
# dup: the same SIGTERM twice from the same sender (this shell), as timeout(1) forwards it.
export GPT_BOOTCFG_TEST_REPEAT_MS=600000
start_vm t2
qpid=$(cat "$r/run/gpt-bootcfg/t2.pid")
kill -STOP "$qpid"
kill -TERM "$vm_pid"
ok "t2 dup: the first SIGTERM is passed on" -- wait_log "$TAP_TMP/run-t2.out" "Received SIGTERM; stopping QEMU"
kill -TERM "$vm_pid"
ok "t2 dup: the repeat from the same sender is the same request" -- \
	wait_log "$TAP_TMP/run-t2.out" "Received SIGTERM again from the same sender (pid $$) within 600000 ms: the same stop request"
kill -CONT "$qpid"
wait $run_pid
rc=$?
is "$rc" 0 "t2 dup: vm run exits 0 (QEMU ended on the one SIGTERM)"
ok "t2 dup: QEMU was not killed" -- sh -c "! grep -q 'killing QEMU' '$TAP_TMP/run-t2.out'"
ok "t2 dup: QEMU is gone" -- sh -c "! kill -0 $qpid 2>/dev/null"
[ "$rc" = 0 ] || sed 's/^/# vm run: /' "$TAP_TMP/run-t2.out"

# second: the same signal from another process is a second request: QEMU gets SIGKILL.
start_vm t2
qpid=$(cat "$r/run/gpt-bootcfg/t2.pid")
kill -STOP "$qpid"
kill -TERM "$vm_pid"
wait_log "$TAP_TMP/run-t2.out" "Received SIGTERM; stopping QEMU" >/dev/null
sh -c 'kill -TERM "$1"' sh "$vm_pid"
wait $run_pid
rc=$?
is "$rc" 2 "t2 second sender: vm run exits 2"
ok "t2 second sender: QEMU killed" -- grep -q "Received SIGTERM again; killing QEMU for VM 't2'" "$TAP_TMP/run-t2.out"
ok "t2 second sender: QEMU is gone" -- sh -c "! kill -0 $qpid 2>/dev/null"

# later: the same sender again after the window (0 here) is a second request too.
export GPT_BOOTCFG_TEST_REPEAT_MS=0
start_vm t2
qpid=$(cat "$r/run/gpt-bootcfg/t2.pid")
kill -STOP "$qpid"
kill -TERM "$vm_pid"
wait_log "$TAP_TMP/run-t2.out" "Received SIGTERM; stopping QEMU" >/dev/null
kill -INT "$vm_pid"
wait $run_pid
rc=$?
is "$rc" 2 "t2 SIGINT after SIGTERM: vm run exits 2"
ok "t2 SIGINT after SIGTERM: QEMU killed" -- grep -q "Received SIGINT again; killing QEMU for VM 't2'" "$TAP_TMP/run-t2.out"
start_vm t2
qpid=$(cat "$r/run/gpt-bootcfg/t2.pid")
kill -STOP "$qpid"
kill -TERM "$vm_pid"
wait_log "$TAP_TMP/run-t2.out" "Received SIGTERM; stopping QEMU" >/dev/null
kill -TERM "$vm_pid"
wait $run_pid
rc=$?
is "$rc" 2 "t2 same sender after the window: vm run exits 2"
ok "t2 same sender after the window: QEMU killed" -- grep -q "Received SIGTERM again; killing QEMU for VM 't2'" "$TAP_TMP/run-t2.out"
ok "t2 same sender after the window: QEMU is gone" -- sh -c "! kill -0 $qpid 2>/dev/null"
unset GPT_BOOTCFG_TEST_REPEAT_MS

done_testing
