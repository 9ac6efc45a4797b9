#!/bin/sh
# vm run with the real qemu-system-x86_64 (TCG, stand-ins, tmpfs memory) on a copy of the
# guide's server fixture, for issue 14:
#  - item 9: QEMU runs as an unprivileged user (here nobody, uid 65534, from the root's
#    etc/passwd: no user is created on the host), its effective and real uid/gid are that
#    user's, the VM reaches READY with its vCPUs pinned, the files it uses (disks, OVMF
#    variables, the vfio group nodes) belong to that user while it runs and are back to
#    their owners and modes after vm stop; after the runner is killed (SIGKILL), vm stop
#    puts them back;
#  - item 4: a second vm run of the running VM is refused before it touches anything: the
#    QMP socket stays the same inode, no prepare hook runs, vm status and vm stop keep
#    working; also while only the orphaned QEMU holds the lock.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/setup.sh"

fx=guide-server
need_fixture $fx
need_qemu_run

r=$(fixture_copy $fx)
# QEMU runs as nobody: it must reach the files below the root (the test's own
# directories are 0700); listing stays root's.
chmod 0711 "$TAP_TMP" "$r"
qemu_root "$r"
mkdir -p "$r/dev/vfio"
# As on a host: /var/lib exists, 0755 (the runner creates only its own directories).
mkdir -p "$r/var/lib" && chmod 0755 "$r/var" "$r/var/lib"
# Owners to come back to: a user's image, root's image, a private ISO.
chown 1234:2345 "$r/data/os.img"; chmod 0640 "$r/data/os.img"
chmod 0600 "$r/data/data.img" "$r/data/virtio-win.iso"
# The vfio group nodes of the three functions: character devices, as the hand-over rule wants
# (/dev/null's numbers: only the node's owner and mode are looked at, nothing opens it).
groups=
for a in 0000:65:00.0 0000:65:00.1 0000:b4:00.0; do
	g=$(basename "$(readlink "$r/sys/bus/pci/devices/$a/iommu_group")")
	[ -e "$r/dev/vfio/$g" ] || { mknod "$r/dev/vfio/$g" c 1 3; chmod 0600 "$r/dev/vfio/$g"; groups="$groups $g"; }
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$r/etc/passwd"
printf 'root:x:0:\nkvm:x:104:nobody\nnogroup:x:65534:\n' >"$r/etc/group"

{
	standin_devices_conf
	cat <<CONF
[vm u1]
memory = 256M
hugepage-size = 2M
vcpus = 2
vcpu-pins = 1,0
devices = gpu gpu-audio usb
disk = /data/os.img bus=nvme
disk = /data/data.img
cdrom = /data/virtio-win.iso
user = nobody
stop-timeout = 3
CONF
} | write_conf "$r"
d=$r/etc/gpt-bootcfg/hooks.d/u1/prepare.d
mkdir -p "$d"
printf '#!/bin/sh\necho ran >>"%s/prepare-ran"\n' "$TAP_TMP" >"$d/10-count"
chmod 0755 "$d/10-count"

shm=$(mktemp -d /dev/shm/gpt-bootcfg-test.XXXXXX)
chmod 0711 "$shm"
export GPT_BOOTCFG_TEST_ACCEL=tcg GPT_BOOTCFG_TEST_MEM_PATH="$shm" GPT_BOOTCFG_TEST_STANDINS=1

write_notify_py "$TAP_TMP/notify.py"
write_qmp_py "$TAP_TMP/qmp.py"

start_vm() { # NAME: vm run in the background, wait for READY=1
	rm -f "$TAP_TMP/notify" "$TAP_TMP/notify.bound" "$TAP_TMP/ready"
	python3 "$TAP_TMP/notify.py" "$TAP_TMP/notify" "$TAP_TMP/ready" 240 &
	notify_pid=$!
	for _i in $(seq 50); do [ -e "$TAP_TMP/notify.bound" ] && break; sleep 0.1; done
	NOTIFY_SOCKET=$TAP_TMP/notify timeout 400 "$GPT_BOOTCFG" --root "$r" vm run "$1" \
		>"$TAP_TMP/run-$1.out" 2>&1 &
	run_pid=$!
	# A runner that fails early must not leave the test waiting for READY.
	while kill -0 $notify_pid 2>/dev/null && kill -0 $run_pid 2>/dev/null; do sleep 0.5; done
	kill $notify_pid 2>/dev/null
	wait $notify_pid
	[ -s "$TAP_TMP/ready" ] || echo "NOTHING" >"$TAP_TMP/ready"
}

cleanup() {
	for p in "$r"/run/gpt-bootcfg/*.pid; do
		[ -s "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null
	done
	rm -rf "$shm"
}
trap cleanup EXIT

# owners: uid:gid:mode of every file the runner may hand over.
owners() {
	for f in data/os.img data/data.img data/virtio-win.iso var/lib/gpt-bootcfg/u1/OVMF_VARS.fd $(for g in $groups; do echo dev/vfio/$g; done); do
		[ -e "$r/$f" ] && echo "$f $(stat -c %u:%g:%a "$r/$f")"
	done
}

# ---- the first start: QEMU as nobody ----
before=$(owners)
ok "no OVMF variables yet" -- test ! -e "$r/var/lib/gpt-bootcfg/u1/OVMF_VARS.fd"
start_vm u1
is "$(head -n1 "$TAP_TMP/ready")" "READY=1" "READY=1 sent"
[ "$(head -n1 "$TAP_TMP/ready")" = READY=1 ] || sed 's/^/# vm run: /' "$TAP_TMP/run-u1.out"
ok "the runner says whom QEMU runs as" -- grep -q "VM 'u1': QEMU runs as user 'nobody' (uid 65534)" "$TAP_TMP/run-u1.out"
qpid=$(cat "$r/run/gpt-bootcfg/u1.pid")
ok "QEMU runs" -- kill -0 "$qpid"
is "$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$qpid/status")" "65534 65534 65534 65534" \
	"QEMU's real, effective, saved and file-system uid are nobody's"
is "$(awk '/^Gid:/ {print $2, $3, $4, $5}' "/proc/$qpid/status")" "65534 65534 65534 65534" \
	"QEMU's gids are nogroup's"
is "$(awk '/^Groups:/ {$1 = ""; print}' "/proc/$qpid/status" | xargs -n1 | sort -n | xargs)" "104 65534" \
	"QEMU's supplementary groups: its own and kvm (from the root's etc/group)"
is "$(awk '/^NoNewPrivs:/ {print $2}' "/proc/$qpid/status")" 1 "QEMU has no_new_privs"
ok "QEMU keeps elevateprivileges=deny in its sandbox" -- \
	sh -c "tr '\\0' '\\n' </proc/$qpid/cmdline | grep -qx 'on,obsolete=deny,elevateprivileges=deny,spawn=deny'"
ok "QEMU has no -runas" -- sh -c "! tr '\\0' '\\n' </proc/$qpid/cmdline | grep -qx -- -runas"
is "$(awk '/^CapEff:/ {print $2}' "/proc/$qpid/status" | sed 's/^0*//')" \
	"$( [ "$(ulimit -Hl)" = unlimited ] && echo "" || echo 4000)" \
	"QEMU's only capability is CAP_IPC_LOCK, and only where the memlock limit cannot be raised"
for f in data/os.img data/data.img data/virtio-win.iso var/lib/gpt-bootcfg/u1/OVMF_VARS.fd $(for g in $groups; do echo dev/vfio/$g; done); do
	is "$(stat -c %u:%g "$r/$f")" 65534:65534 "while it runs, $f belongs to nobody"
done
ok "the OVMF variables' directories can be passed, not listed (0711)" -- \
	sh -c "[ \"\$(stat -c %a '$r/var/lib/gpt-bootcfg' '$r/var/lib/gpt-bootcfg/u1' | sort -u)\" = 711 ]"
ok "QEMU's memory directory is nobody's" -- sh -c "[ \"\$(stat -c %u:%a '$shm/gpt-bootcfg-u1')\" = 65534:700 ]"
ok "the QMP socket is root's and owner-only" -- \
	sh -c "[ \"\$(stat -c %u '$r/run/gpt-bootcfg/u1.qmp')\" = 0 ] && stat -c %a '$r/run/gpt-bootcfg/u1.qmp' | grep -qx '[67]00'"
ok "the change is recorded in the VM's state directory" -- grep -q "^chown 1234 2345 640 /data/os.img$" "$r/var/lib/gpt-bootcfg/u1/owners"

python3 "$TAP_TMP/qmp.py" "$r/run/gpt-bootcfg/u1.qmp" query-status query-cpus-fast >"$TAP_TMP/q.json" 2>"$TAP_TMP/q.err"
is "$(jq -r '.["query-status"].status' "$TAP_TMP/q.json")" running "the guest runs (QMP on the socket the runner made)"
i=0
for tid in $(jq -r '.["query-cpus-fast"] | sort_by(.["cpu-index"])[] | .["thread-id"]' "$TAP_TMP/q.json"); do
	want=$([ $i = 0 ] && echo 1 || echo 0)
	is "$(awk '/^Cpus_allowed_list/ {print $2}' "/proc/$qpid/task/$tid/status")" "$want" \
		"vCPU $i of nobody's QEMU pinned to CPU $want"
	i=$((i + 1))
done
is "$(wc -l <"$TAP_TMP/prepare-ran")" 1 "the prepare hook ran once"

# ---- item 4: a second vm run while the first runs ----
ino=$(stat -c %i "$r/run/gpt-bootcfg/u1.qmp")
timeout 120 "$GPT_BOOTCFG" --root "$r" vm run u1 >"$TAP_TMP/second.out" 2>&1
is "$?" 2 "a second vm run exits 2"
ok "it says the VM is running, and which runner holds it" -- \
	grep -q "VM 'u1' is already running (vm run pid [0-9]*): not starting it twice" "$TAP_TMP/second.out"
is "$(stat -c %i "$r/run/gpt-bootcfg/u1.qmp")" "$ino" "the QMP socket was not touched"
is "$(wc -l <"$TAP_TMP/prepare-ran")" 1 "no prepare hook ran"
ok "the first QEMU still runs" -- kill -0 "$qpid"
is "$(stat -c %u "$r/data/os.img")" 65534 "the disk is still nobody's"
"$GPT_BOOTCFG" --root "$r" vm status u1 --json >"$TAP_TMP/status.json" 2>"$TAP_TMP/err"
is "$?" 0 "vm status still works"
is "$(jq -r '[.running, .state, (.vcpus | map(.affinity) | join(","))] | join(" ")' "$TAP_TMP/status.json")" \
	"true running 1,0" "vm status shows the first VM, pinned"

"$GPT_BOOTCFG" --root "$r" vm stop u1 >"$TAP_TMP/stop.out" 2>&1
is "$?" 0 "vm stop exits 0"
wait $run_pid
rc=$?
is "$rc" 0 "vm run exits 0"
[ "$rc" = 0 ] || sed 's/^/# vm run: /' "$TAP_TMP/run-u1.out"
ok "QEMU is gone" -- sh -c "! kill -0 $qpid 2>/dev/null"
is "$(owners | grep -v OVMF_VARS)" "$before" "every handed-over file is back to its owner and mode"
is "$(stat -c %u:%g:%a "$r/var/lib/gpt-bootcfg/u1/OVMF_VARS.fd")" 0:0:600 "the OVMF variables the runner created are root's again"
ok "the record is gone" -- test ! -e "$r/var/lib/gpt-bootcfg/u1/owners"
ok "the memory directory is gone" -- test ! -e "$shm/gpt-bootcfg-u1"
ok "the QMP socket and pid file are gone" -- test ! -e "$r/run/gpt-bootcfg/u1.qmp" -a ! -e "$r/run/gpt-bootcfg/u1.pid"

# ---- the runner killed: QEMU holds the lock alone; vm stop restores ----
before=$(owners)
start_vm u1
is "$(head -n1 "$TAP_TMP/ready")" "READY=1" "again: READY=1 sent"
qpid=$(cat "$r/run/gpt-bootcfg/u1.pid")
runner=$(cat "$r/run/gpt-bootcfg/u1.lock")
kill -9 "$runner"
wait $run_pid
ok "the runner is gone, its QEMU is not" -- sh -c "! kill -0 $runner 2>/dev/null && kill -0 $qpid"
timeout 120 "$GPT_BOOTCFG" --root "$r" vm run u1 >"$TAP_TMP/second.out" 2>&1
is "$?" 2 "a vm run beside the orphaned QEMU exits 2"
ok "it says the VM is running" -- grep -q "VM 'u1' is already running" "$TAP_TMP/second.out"
is "$(wc -l <"$TAP_TMP/prepare-ran")" 2 "no prepare hook ran for it"
"$GPT_BOOTCFG" --root "$r" vm stop u1 --timeout 2 >"$TAP_TMP/stop.out" 2>&1
is "$?" 0 "vm stop of the orphaned QEMU exits 0"
# The orphan's parent is now init, which may not have reaped it yet: a zombie is gone.
ok "QEMU is gone" -- sh -c "! kill -0 $qpid 2>/dev/null || grep -q '^State:.*Z' /proc/$qpid/status"
ok "vm stop restored the owners" -- grep -q "restored the owners" "$TAP_TMP/stop.out"
is "$(owners)" "$before" "every handed-over file is back to its owner and mode"
ok "the record is gone" -- test ! -e "$r/var/lib/gpt-bootcfg/u1/owners"

done_testing
