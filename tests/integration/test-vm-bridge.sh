#!/bin/sh
# network = bridge:br0 for real: in a private network and mount namespace this test makes
# (the host's network and /etc are never touched), a bridge br0, apply --root writing
# /etc/qemu/bridge.conf into the tree, that directory bound over /etc/qemu (the helper
# always reads /etc/qemu/bridge.conf), and vm run with Debian's QEMU under TCG: QEMU runs
# with its tap on br0, created by qemu-bridge-helper under the runner's -sandbox. Without
# the ACL, plan names the problem and vm run refuses to start with a clear message.
#
# /etc/qemu does not exist on Debian 12 and must not be created on the host: /etc gets a
# private overlay in the namespace (upper layer in the test's temporary directory), then
# the tree's etc/qemu is bound over /etc/qemu.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server

if [ "${GPT_BOOTCFG_IN_NETNS:-}" != 1 ]; then
	need_tools unshare ip qemu-system-x86_64 python3 jq
	rm -rf "$TAP_TMP"
	# The whole test again inside the new namespaces (TAP output passes through).
	exec unshare --net --mount env GPT_BOOTCFG_IN_NETNS=1 sh "$0" "$@"
fi

ok "runs as root (qemu-bridge-helper needs CAP_NET_ADMIN; it is not setuid on Debian)" -- test "$(id -u)" = 0
ok "private network namespace: only lo before the test's bridge" -- sh -c '[ "$(ip -o link | wc -l)" = 1 ]'
ip link add br0 type bridge && ip link set br0 up
ok "bridge br0 created in the namespace" -- sh -c "ip -d -o link show br0 | grep -q ' bridge '"
ok "/usr/lib/qemu/qemu-bridge-helper is there (qemu-system-common)" -- test -x /usr/lib/qemu/qemu-bridge-helper

mkdir -p "$TAP_TMP/etc-up" "$TAP_TMP/etc-work"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$TAP_TMP/etc-up,workdir=$TAP_TMP/etc-work" /etc
ok "a private overlay over /etc in the mount namespace" -- sh -c "grep -q ' /etc overlay ' /proc/self/mounts"
ok "no /etc/qemu to begin with (nothing allows any bridge)" -- test ! -e /etc/qemu/bridge.conf

r=$(fixture_copy guide-server)
ncpu=$(nproc)
set_cpus "$r" "0-$((ncpu - 1))"
# The tree stands for this namespace's host: it has the bridge too.
mkdir -p "$r/sys/class/net/br0/bridge" "$r/etc/gpt-bootcfg"
cat >"$r/etc/gpt-bootcfg/gpt-bootcfg.conf" <<'CONF'
[vm net]
memory = 128M
hugepage-size = none
vcpus = 1
firmware = bios
network = bridge:br0
stop-timeout = 2
CONF
chmod 0644 "$r/etc/gpt-bootcfg/gpt-bootcfg.conf"
shm=$(mktemp -d /dev/shm/gpt-bootcfg-test.XXXXXX)
export GPT_BOOTCFG_TEST_ACCEL=tcg GPT_BOOTCFG_TEST_MEM_PATH="$shm"
cleanup() {
	[ -f "$r/run/gpt-bootcfg/net.pid" ] && kill -9 "$(cat "$r/run/gpt-bootcfg/net.pid")" 2>/dev/null
	rm -rf "$shm"
}
trap cleanup EXIT

# ---- Without the ACL ----
run_gen "$r" plan
ok "plan names the problem before any reboot" -- grep -Fq \
	'[vm net] network = bridge:br0: qemu-bridge-helper refuses br0 until apply adds "allow br0" to /etc/qemu/bridge.conf' "$TAP_TMP/out.txt"
timeout 120 "$GPT_BOOTCFG" --root "$r" vm run net >"$TAP_TMP/run0.out" 2>&1
is "$?" 2 "vm run without the ACL: exit 2"
ok "... with a message naming the ACL, QEMU not started" -- sh -c \
	"grep -Fq 'network = bridge:br0: qemu-bridge-helper would refuse br0 (/etc/qemu/bridge.conf does not exist)' '$TAP_TMP/run0.out' && test ! -e '$r/run/gpt-bootcfg/net.pid'"

# ---- apply, the tree's /etc/qemu bound over the namespace's ----
run_gen "$r" apply --yes --no-trial
is "$rc" 0 "apply"
ok "apply wrote allow br0" -- grep -qx "allow br0" "$r/etc/qemu/bridge.conf"
mkdir /etc/qemu
mount --bind "$r/etc/qemu" /etc/qemu
ok "the helper's /etc/qemu/bridge.conf is the one apply wrote" -- cmp /etc/qemu/bridge.conf "$r/etc/qemu/bridge.conf"

# vm run in the background; READY=1 comes once QEMU is up (its QMP answered) and pinned.
write_notify_py "$TAP_TMP/notify.py"
python3 "$TAP_TMP/notify.py" "$TAP_TMP/notify" "$TAP_TMP/ready" 240 &
notify_pid=$!
for _i in $(seq 50); do [ -e "$TAP_TMP/notify.bound" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$TAP_TMP/notify timeout 300 "$GPT_BOOTCFG" --root "$r" vm run net >"$TAP_TMP/run.out" 2>&1 &
run_pid=$!
# Until READY=1 or vm run's end (a QEMU killed at startup need not cost the whole timeout).
while kill -0 $notify_pid 2>/dev/null && kill -0 $run_pid 2>/dev/null; do sleep 0.2; done
sleep 0.5
kill $notify_pid 2>/dev/null
wait $notify_pid
[ -s "$TAP_TMP/ready" ] || echo "vm run ended" >"$TAP_TMP/ready"
is "$(head -n1 "$TAP_TMP/ready")" "READY=1" "vm run: QEMU up (READY=1)"
[ "$(head -n1 "$TAP_TMP/ready")" = "READY=1" ] || sed 's/^/# vm run: /' "$TAP_TMP/run.out"
qpid=$(cat "$r/run/gpt-bootcfg/net.pid" 2>/dev/null)
ok "QEMU runs" -- kill -0 "$qpid"
ip -o link show master br0 >"$TAP_TMP/links"
sed 's/^/# /' "$TAP_TMP/links"
is "$(wc -l <"$TAP_TMP/links")" 1 "one interface on br0"
ok "it is a tap, up" -- grep -Eq '^[0-9]+: tap[0-9]+: <[^>]*\bUP\b' "$TAP_TMP/links"
ok "QEMU holds the tap open (/dev/net/tun)" -- sh -c "ls -l /proc/$qpid/fd | grep -q /dev/net/tun"
ok "the argv: tap from the helper, sandbox without spawn=deny" -- sh -c \
	"tr '\\0' '\\n' </proc/$qpid/cmdline >'$TAP_TMP/argv' &&
	 grep -qx 'tap,id=net0,br=br0,helper=/usr/lib/qemu/qemu-bridge-helper' '$TAP_TMP/argv' &&
	 grep -qx 'on,obsolete=deny,elevateprivileges=deny' '$TAP_TMP/argv'"

"$GPT_BOOTCFG" --root "$r" vm stop net >"$TAP_TMP/stop.out" 2>&1
is "$?" 0 "vm stop"
wait $run_pid
is "$?" 0 "vm run exits 0"
is "$(ip -o link show master br0 | wc -l)" 0 "the tap went with QEMU"

# ---- revert: the tree's ACL goes (the bound directory with it, emptied) ----
run_gen "$r" revert
is "$rc" 0 "revert"
ok "bridge.conf removed" -- test ! -e "$r/etc/qemu/bridge.conf"
done_testing
