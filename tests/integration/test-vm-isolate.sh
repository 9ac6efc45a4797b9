#!/bin/sh
# [host] isolate-cpus = dynamic (issue 28; docs/vm.md, "CPU placement"): vm run with the real
# qemu-system-x86_64 (TCG) on a copy of the guide's server fixture. The slices' AllowedCPUs
# go through a stand-in systemctl ($GPT_BOOTCFG_SYSTEMCTL) that keeps each unit's value in a
# file; the IRQ affinities and the workqueue cpumask are files below the root. Proven here:
# the hooks narrow all three while QEMU runs (the old values recorded first) and give them
# back after vm stop, after SIGTERM, when QEMU fails to start, and, for a runner killed with
# SIGKILL, at vm stop (or the next vm run); a vm run below a narrowed unit is refused. Not
# proven here: systemd applying AllowedCPUs to
# the slices and the kernel moving IRQs (the whole-system test does that).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/setup.sh"

fx=guide-server
need_fixture $fx
need_tools qemu-system-x86_64 python3
need_cpus 2
ncpu=$(nproc)
last=$((ncpu - 1))

r=$(fixture_copy $fx)
set_cpus "$r" "0-$last"
mkdir -p "$r/etc/gpt-bootcfg" "$r/proc/irq/24" "$r/proc/irq/30" "$r/units" \
	"$r/sys/devices/virtual/workqueue"
echo "0-$last" >"$r/proc/irq/24/smp_affinity_list"
echo 0 >"$r/proc/irq/30/smp_affinity_list"
echo 3 >"$r/sys/devices/virtual/workqueue/cpumask"
cat >"$r/systemctl" <<SH
#!/bin/sh
u=$r/units
case \$1 in
show) cat \$u/\$4 2>/dev/null; echo ;;
set-property) echo "\${4#AllowedCPUs=}" >\$u/\$3 ;;
*) exit 1 ;;
esac
SH
chmod +x "$r/systemctl"
export GPT_BOOTCFG_SYSTEMCTL=$r/systemctl
record=$r/run/gpt-bootcfg/p.isolate

# state: the three units, IRQ 24, IRQ 30 and the workqueue mask, one line.
state() {
	for _u in system.slice user.slice init.scope; do printf '%s=%s ' "$_u" "$(cat "$r/units/$_u" 2>/dev/null)"; done
	printf 'irq24=%s irq30=%s wq=%s\n' "$(cat "$r/proc/irq/24/smp_affinity_list")" \
		"$(cat "$r/proc/irq/30/smp_affinity_list")" "$(cat "$r/sys/devices/virtual/workqueue/cpumask")"
}
ORIG=$(state)
# vCPU on CPU 1: the host keeps 0 and 2..
if [ "$ncpu" -gt 2 ]; then HOST=0,2-$last; else HOST=0; fi
SET="system.slice=$HOST user.slice=$HOST init.scope=$HOST irq24=$HOST irq30=$HOST wq=$(python3 -c "
import sys; n=$ncpu; print('%x' % sum(1 << c for c in range(n) if c != 1))")"

{
	printf '[host]\nisolate-cpus = dynamic\n\n'
	printf '[vm p]\nmemory = 128M\nhugepage-size = none\nvcpus = 1\nvcpu-pins = 1\n'
	printf 'emulator-cpus = 0\nfirmware = bios\nuser = root\nstop-timeout = 2\n'
} >"$r/etc/gpt-bootcfg/gpt-bootcfg.conf"
chmod 0644 "$r/etc/gpt-bootcfg/gpt-bootcfg.conf"

shm=$(mktemp -d /dev/shm/gpt-bootcfg-test.XXXXXX)
export GPT_BOOTCFG_TEST_ACCEL=tcg GPT_BOOTCFG_TEST_MEM_PATH="$shm"
cleanup() {
	for _p in "$r"/run/gpt-bootcfg/*.pid; do
		[ -f "$_p" ] && kill -9 "$(cat "$_p")" 2>/dev/null
	done
	rm -rf "$shm"
}
trap cleanup EXIT

run_gen_plan() {
	"$GPT_BOOTCFG" --root "$r" plan >"$TAP_TMP/plan.txt" 2>&1
}
run_gen_plan
ok "plan: no isolcpus at boot with isolate-cpus = dynamic" -- sh -c "! grep -q 'isolcpus=' '$TAP_TMP/plan.txt'"
ok "plan: says what happens instead" -- grep -q "^Note: isolate-cpus = dynamic: no isolcpus at boot" "$TAP_TMP/plan.txt"

write_notify_py "$TAP_TMP/notify.py"
start_vm() {
	rm -f "$TAP_TMP/notify" "$TAP_TMP/notify.bound" "$TAP_TMP/ready" "$TAP_TMP/vm.pid"
	python3 "$TAP_TMP/notify.py" "$TAP_TMP/notify" "$TAP_TMP/ready" 180 &
	_np=$!
	for _i in $(seq 50); do [ -e "$TAP_TMP/notify.bound" ] && break; sleep 0.1; done
	NOTIFY_SOCKET=$TAP_TMP/notify timeout 300 sh -c 'echo $$ >"$1"; shift; exec "$@"' sh \
		"$TAP_TMP/vm.pid" "$GPT_BOOTCFG" --root "$r" vm run p >"$TAP_TMP/run.out" 2>&1 &
	run_pid=$!
	wait $_np
	vm_pid=$(cat "$TAP_TMP/vm.pid")
	qpid=$(cat "$r/run/gpt-bootcfg/p.pid" 2>/dev/null)
	[ "$(head -n1 "$TAP_TMP/ready")" = READY=1 ] || sed 's/^/# vm run: /' "$TAP_TMP/run.out"
}

# A runner below a narrowed unit (a login shell's session scope): its QEMU could not run on
# CPU 1. Refused before anything is changed; the package's unit runs in machine.slice.
mkdir -p "$r/proc/self"
for cg in /user.slice/user-0.slice/session-4.scope /system.slice/cron.service /init.scope; do
	printf '1:name=systemd:/\n0::%s\n' "$cg" >"$r/proc/self/cgroup"
	unit=${cg#/}; unit=${unit%%/*}
	"$GPT_BOOTCFG" --root "$r" vm run p >"$TAP_TMP/run.log" 2>&1
	is "$?" 2 "vm run in $cg: refused (exit 2)"
	ok "vm run in $cg: says why and what to do" -- grep -qF \
		"isolate-cpus = dynamic: this vm run is in cgroup $cg, below $unit," "$TAP_TMP/run.log"
	is "$(state)" "$ORIG" "vm run in $cg: nothing changed"
	ok "vm run in $cg: no record, no QEMU" -- sh -c "test ! -e '$record' && test ! -e '$r/run/gpt-bootcfg/p.pid'"
done
printf '0::/machine.slice/gpt-bootcfg-vm@p.service\n' >"$r/proc/self/cgroup"

start_vm
is "$(head -n1 "$TAP_TMP/ready")" READY=1 "running: READY=1"
is "$(state)" "$SET" "running: slices, IRQs and workqueues kept off vCPU CPU 1"
ok "running: the old values recorded" -- grep -qx "irq 30 0" "$record"
ok "running: vm run says so" -- grep -q "kept off CPUs 1" "$TAP_TMP/run.out"
"$GPT_BOOTCFG" --root "$r" vm stop p >"$TAP_TMP/stop.out" 2>&1
is "$?" 0 "vm stop exits 0"
wait $run_pid
is "$(state)" "$ORIG" "after vm stop: everything back"
ok "after vm stop: record removed" -- test ! -e "$record"

start_vm
kill -TERM "$vm_pid"
wait $run_pid
is "$(state)" "$ORIG" "SIGTERM: everything back"

start_vm
kill -KILL "$vm_pid"
wait $run_pid
ok "SIGKILL: QEMU runs on" -- kill -0 "$qpid"
is "$(state)" "$SET" "SIGKILL: still narrowed"
ok "SIGKILL: the record stays" -- test -e "$record"
"$GPT_BOOTCFG" --root "$r" vm stop p >"$TAP_TMP/stop.out" 2>&1
is "$?" 0 "SIGKILL: vm stop exits 0"
is "$(state)" "$ORIG" "SIGKILL: vm stop gave everything back"
ok "SIGKILL: record removed" -- test ! -e "$record"

start_vm
kill -KILL "$vm_pid"
wait $run_pid
kill -KILL "$qpid"
for i in $(seq 100); do kill -0 "$qpid" 2>/dev/null || break; sleep 0.1; done
start_vm
is "$(state)" "$SET" "next vm run after a killed runner and QEMU: narrowed again"
ok "next vm run: records the originals, not the narrowed values" -- grep -qx "irq 30 0" "$record"
kill -TERM "$vm_pid"
wait $run_pid
is "$(state)" "$ORIG" "next vm run: everything back after it"

printf 'extra-args = -no-such-option\n' >>"$r/etc/gpt-bootcfg/gpt-bootcfg.conf"
"$GPT_BOOTCFG" --root "$r" vm run p >"$TAP_TMP/run.log" 2>&1
is "$?" 2 "QEMU fails to start: vm run exits 2"
is "$(state)" "$ORIG" "QEMU fails to start: everything back"
ok "QEMU fails to start: record removed" -- test ! -e "$record"

done_testing
