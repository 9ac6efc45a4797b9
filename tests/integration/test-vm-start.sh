#!/bin/sh
# vm run's start of QEMU (issue 18, src/gpt-bootcfg/vm/start.c): the runner makes QEMU's
# listening QMP socket itself, passes it as "-chardev socket,fd=N", connects at once and
# waits for the greeting while watching QEMU's exit and the stop signals, with no polling.
# Stand-ins for QEMU (GPT_BOOTCFG_QEMU) that exit at once, are killed, never greet, or
# ignore SIGTERM; and the real qemu-system-x86_64 refusing its command line. Every case
# runs under timeout(1) only to bound a hang: a hang fails the case (status 124), no result
# depends on how long anything takes.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/setup.sh"

fx=guide-server
need_fixture $fx
need_tools python3 timeout

r=$(fixture_copy $fx)
ncpu=$(nproc)
set_cpus "$r" "0-$((ncpu - 1))"
mkdir -p "$r/etc/gpt-bootcfg"
cat >"$r/etc/gpt-bootcfg/gpt-bootcfg.conf" <<CONF
[vm s1]
memory = 128M
hugepage-size = none
vcpus = 1
vcpu-pins = 0
firmware = bios
user = root
CONF
chmod 0644 "$r/etc/gpt-bootcfg/gpt-bootcfg.conf"
sock=$r/run/gpt-bootcfg/s1.qmp
# The identity a first vm run pins (vm-state.h) by asking QEMU: the stand-ins cannot answer.
mkdir -p "$r/var/lib/gpt-bootcfg/s1"
echo pc-q35-7.2 >"$r/var/lib/gpt-bootcfg/s1/machine"
echo 6a1c2f0e-58d4-4b8e-9c1d-3f2a7b9e0d15 >"$r/var/lib/gpt-bootcfg/s1/uuid"

shm=$(mktemp -d /dev/shm/gpt-bootcfg-test.XXXXXX)
export GPT_BOOTCFG_TEST_ACCEL=tcg GPT_BOOTCFG_TEST_MEM_PATH="$shm"

# A stand-in QEMU: records its pid, its argv, and what its QMP descriptor is, then does
# what $TAP_TMP/behaviour says.
cat >"$TAP_TMP/fake-qemu" <<EOF
#!/bin/sh
echo \$\$ >"$TAP_TMP/fake.pid"
printf '%s\n' "\$@" >"$TAP_TMP/fake.argv"
fd=\$(printf '%s\n' "\$@" | sed -n 's/^socket,id=qmp,fd=\([0-9]*\),server=on,wait=off\$/\1/p')
python3 - "\$fd" "$sock" >"$TAP_TMP/fake.fd" 2>&1 <<'PY'
import os, socket, stat, sys
s = socket.socket(fileno=os.dup(int(sys.argv[1])))
print(s.family == socket.AF_UNIX, s.type == socket.SOCK_STREAM,
      s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1,
      s.getsockname() == sys.argv[2], stat.S_ISSOCK(os.stat(sys.argv[2]).st_mode),
      oct(os.stat(sys.argv[2]).st_mode & 0o777))
PY
case \$(cat "$TAP_TMP/behaviour") in
exit3) exit 3 ;;
killed) kill -KILL \$\$ ;;
silent) exec sleep 600 ;;
stubborn) trap '' TERM; exec sleep 600 ;;
esac
EOF
chmod +x "$TAP_TMP/fake-qemu"

# run_vm BEHAVIOUR [SIGNAL]: vm run with the stand-in, in the background; with SIGNAL,
# sent to vm run once it has started QEMU (from then on its signals are blocked and taken
# in order: none is lost and none kills it). Sets rc and leaves the log in $TAP_TMP/run.out.
run_vm() {
	echo "$1" >"$TAP_TMP/behaviour"
	rm -f "$TAP_TMP/fake.pid" "$TAP_TMP/fake.argv" "$TAP_TMP/fake.fd" "$TAP_TMP/vm.pid"
	GPT_BOOTCFG_QEMU=$TAP_TMP/fake-qemu timeout 120 sh -c 'echo $$ >"$1"; shift; exec "$@"' sh \
		"$TAP_TMP/vm.pid" "$GPT_BOOTCFG" --root "$r" vm run s1 >"$TAP_TMP/run.out" 2>&1 &
	_run=$!
	if [ $# -gt 1 ]; then
		# Bounded by the timeout above: the line comes, or vm run has ended.
		while kill -0 $_run 2>/dev/null && ! grep -q "Started QEMU" "$TAP_TMP/run.out"; do
			sleep 0.1
		done
		# The stand-in has looked at its descriptor (it does before it waits).
		while kill -0 $_run 2>/dev/null && [ ! -s "$TAP_TMP/fake.fd" ]; do sleep 0.1; done
		kill "-$2" "$(cat "$TAP_TMP/vm.pid")"
	fi
	wait $_run
	rc=$?
}

cleanup() {
	[ -f "$TAP_TMP/fake.pid" ] && kill -9 "$(cat "$TAP_TMP/fake.pid")" 2>/dev/null
	rm -rf "$shm"
}
trap cleanup EXIT

# A stale node where the socket goes (a killed QEMU's, or anything): replaced.
mkdir -p "$r/run/gpt-bootcfg"
: >"$sock"

# ---- QEMU exits at once ----
run_vm exit3
is "$rc" 2 "exit at once: vm run exits 2 (no hang)"
ok "exit at once: reported with its status" -- grep -qF "QEMU exited during startup (status 3)" "$TAP_TMP/run.out"
ok "exit at once: the stand-in ran" -- test -s "$TAP_TMP/fake.pid"
is "$(cat "$TAP_TMP/fake.fd")" "True True True True True 0o600" \
	"QEMU inherited a listening unix socket bound at the path, owner-only (the stale file replaced)"
ok "argv: QMP on the inherited descriptor" -- sh -c "grep -qx 'socket,id=qmp,fd=[0-9]*,server=on,wait=off' '$TAP_TMP/fake.argv' && grep -qx 'chardev=qmp,mode=control' '$TAP_TMP/fake.argv'"
ok "argv: no -qmp path form" -- sh -c "! grep -qx -- -qmp '$TAP_TMP/fake.argv'"
ok "no socket left behind" -- test ! -e "$sock"
ok "no temporary socket name left behind" -- sh -c "! ls '$r/run/gpt-bootcfg' | grep -q 'qmp\\..*\\.new'"

run_vm killed
is "$rc" 2 "killed at once: vm run exits 2"
ok "killed at once: reported with the signal" -- grep -qF "QEMU exited during startup (signal 9)" "$TAP_TMP/run.out"

# ---- a stop signal while QEMU has not answered yet ----
run_vm silent TERM
is "$rc" 0 "SIGTERM during start-up: vm run exits 0"
ok "SIGTERM during start-up: logged" -- grep -qF "Received SIGTERM during startup; stopping QEMU." "$TAP_TMP/run.out"
ok "SIGTERM during start-up: the guest never ran" -- grep -qF "QEMU for VM 's1' stopped before the guest ran." "$TAP_TMP/run.out"
ok "SIGTERM during start-up: QEMU is gone" -- sh -c "! kill -0 $(cat "$TAP_TMP/fake.pid") 2>/dev/null"
[ "$rc" = 0 ] || sed 's/^/# vm run: /' "$TAP_TMP/run.out"

run_vm silent INT
is "$rc" 0 "SIGINT during start-up: vm run exits 0"
ok "SIGINT during start-up: logged" -- grep -qF "Received SIGINT during startup; stopping QEMU." "$TAP_TMP/run.out"
ok "SIGINT during start-up: QEMU is gone" -- sh -c "! kill -0 $(cat "$TAP_TMP/fake.pid") 2>/dev/null"

# A QEMU that ignores SIGTERM: killed after the grace period.
run_vm stubborn TERM
is "$rc" 0 "SIGTERM ignored by QEMU: vm run still exits 0"
ok "SIGTERM ignored by QEMU: QEMU is gone (SIGKILL)" -- sh -c "! kill -0 $(cat "$TAP_TMP/fake.pid") 2>/dev/null"
ok "no socket left behind after a stop" -- test ! -e "$sock"

# ---- the real QEMU, refusing its command line ----
if command -v qemu-system-x86_64 >/dev/null; then
	echo "extra-args = -device no-such-device-model" >>"$r/etc/gpt-bootcfg/gpt-bootcfg.conf"
	timeout 120 "$GPT_BOOTCFG" --root "$r" vm run s1 >"$TAP_TMP/real.out" 2>&1
	rc=$?
	is "$rc" 2 "real QEMU exits at once: vm run exits 2 (no hang)"
	ok "real QEMU exits at once: reported" -- grep -qF "QEMU exited during startup (status 1)" "$TAP_TMP/real.out"
	ok "real QEMU exits at once: its own message shown" -- grep -qF "no-such-device-model" "$TAP_TMP/real.out"
	ok "real QEMU: no socket left behind" -- test ! -e "$sock"
else
	ok "qemu-system-x86_64 is installed (tests/deps.txt)" -- false
fi

done_testing
