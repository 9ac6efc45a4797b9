#!/bin/sh
# audio = pipewire|pulseaudio|spice|none and audio-user (issue 15, item 4; docs/vm.md, "Host
# audio"):
#  - vm command on the guide's server fixture: the argv of each mode (golden), the audio
#    user's XDG_RUNTIME_DIR in front of it, and bad values (FILE:LINE:COL, exit 2);
#  - vm run's refusals before QEMU starts, each one line with exit 2 and nothing started: QEMU
#    without the pa driver, no socket, not a socket, a socket QEMU's user cannot reach, a
#    socket nobody listens on, an audio user missing from /etc/passwd. The host's own
#    /run/user is hidden under a tmpfs in a private mount namespace, so no real sound server
#    of this machine can make a check pass;
#  - the real qemu-system-x86_64 under TCG (this machine has no sound server and Debian's
#    QEMU here may lack the pa driver: the test-only audiodev "none" stands in for it, the
#    runner's checks still run against a listening socket the test creates): the HDA
#    controller in query-pci, the codec on the audiodev (qom-get), XDG_RUNTIME_DIR in QEMU's
#    environment, QEMU running as another user than the audio user.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/setup.sh"

fx=guide-server
need_fixture $fx
need_tools qemu-system-x86_64 python3 jq unshare
need_cpus 2
ncpu=$(nproc)

# ---- vm command: the guide's final VM with each audio mode ----
make_root() {
	_r=$(fixture_copy $fx)
	set_cpus "$_r" 0-35
	mkdir -p "$_r/data/img" "$_r/data/drv" "$_r/usr/share/OVMF" "$_r/etc/gpt-bootcfg"
	: >"$_r/data/img/win10-nvme0-os.img"
	: >"$_r/data/drv/virtio-win.iso"
	: >"$_r/usr/share/OVMF/OVMF_CODE_4M.fd"
	: >"$_r/usr/share/OVMF/OVMF_VARS_4M.fd"
	echo secret >"$_r/etc/gpt-bootcfg/spice.pw"
	mkdir -p "$_r/var/lib/gpt-bootcfg/win10"
	echo pc-q35-7.2 >"$_r/var/lib/gpt-bootcfg/win10/machine"
	echo 6a1c2f0e-58d4-4b8e-9c1d-3f2a7b9e0d15 >"$_r/var/lib/gpt-bootcfg/win10/uuid"
	printf 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n' >"$_r/etc/passwd"
	echo "$_r"
}

write_config() { # ROOT [EXTRA-VM-LINES...]
	_r=$1; shift
	{
		cat <<-'CONF'
		[device gpu]
		address = 0000:65:00.0
		id = 10de:1c03

		[device gpu-audio]
		address = 0000:65:00.1

		[device usb]
		address = 0000:b4:00.0

		[device nvme]
		address = 0000:b3:00.0

		[vm win10]
		memory = 16G
		hugepage-size = 1G
		vcpus = 8
		vcpu-pins = 14-17,32-35
		emulator-cpus = 12-13
		hyperv = yes
		devices = gpu gpu-audio usb nvme
		disk = /data/img/win10-nvme0-os.img bus=nvme
		CONF
		for _l in "$@"; do echo "$_l"; done
	} >"$_r/etc/gpt-bootcfg/gpt-bootcfg.conf"
	chmod 0644 "$_r/etc/gpt-bootcfg/gpt-bootcfg.conf"
}

r=$(make_root)
for mode in pipewire pulseaudio spice none; do
	case $mode in
	pipewire) write_config "$r" "audio = pipewire" "audio-user = alice" ;;
	pulseaudio) write_config "$r" "user = alice" "audio = pulseaudio" ;;
	spice) write_config "$r" "spice = loopback" "spice-password-file = /etc/gpt-bootcfg/spice.pw" "audio = spice" "display = none" ;;
	none) write_config "$r" "audio = none" ;;
	esac
	"$GPT_BOOTCFG" --root "$r" vm command win10 >"$TAP_TMP/cmd.txt" 2>"$TAP_TMP/err"; rc=$?
	is "$rc" 0 "audio = $mode: vm command exits 0"
	is "$(cat "$TAP_TMP/err")" "" "audio = $mode: nothing on stderr"
	golden "vm/audio-$mode.txt" "$TAP_TMP/cmd.txt"
	"$GPT_BOOTCFG" --root "$r" vm command --json win10 >"$TAP_TMP/cmd-$mode.json"
	is "$?" 0 "audio = $mode: vm command --json exits 0"
done
for mode in pipewire pulseaudio; do
	j=$TAP_TMP/cmd-$mode.json
	ok "audio = $mode: the pa audiodev on alice's socket" -- \
		jq -e '.argv | index("pa,id=audio0,server=unix:/run/user/1000/pulse/native") != null' "$j"
	ok "audio = $mode: ich9-intel-hda with an hda-duplex codec on it" -- jq -e '
		(.argv | index("ich9-intel-hda,id=sound0") != null) and
		(.argv | index("hda-duplex,id=codec0,bus=sound0.0,audiodev=audio0") != null)' "$j"
	is "$(jq -c .env "$j")" '["XDG_RUNTIME_DIR=/run/user/1000"]' "audio = $mode: alice's runtime directory for QEMU"
	ok "audio = $mode: no SPICE" -- jq -e '[.argv[] | select(test("spice"))] | length == 0' "$j"
done
ok "audio = spice: the codec on SPICE's audiodev" -- jq -e '
	(.argv | index("spice,id=audio0") != null) and (.env == null)' "$TAP_TMP/cmd-spice.json"
ok "audio = none: no sound card, no audiodev" -- jq -e \
	'[.argv[] | select(test("audiodev|intel-hda"))] | length == 0' "$TAP_TMP/cmd-none.json"

# The text form is still a shell command: the variable, then the argv of the JSON.
write_config "$r" "audio = pipewire" "audio-user = alice"
"$GPT_BOOTCFG" --root "$r" vm command win10 >"$TAP_TMP/cmd.txt"
is "$(head -n1 "$TAP_TMP/cmd.txt")" "XDG_RUNTIME_DIR=/run/user/1000 \\" "text form: the variable first"
printf '#!/bin/sh\necho "XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR"\nfor a in "$@"; do printf "%%s\\n" "$a"; done\n' >"$TAP_TMP/args"
chmod +x "$TAP_TMP/args"
sed '2s|^qemu-system-x86_64|"$TAP_TMP/args"|' "$TAP_TMP/cmd.txt" >"$TAP_TMP/cmd.sh"
TAP_TMP=$TAP_TMP sh "$TAP_TMP/cmd.sh" >"$TAP_TMP/argv.sh-split"
{ echo "XDG_RUNTIME_DIR=/run/user/1000"; jq -r '.argv[1:][]' "$TAP_TMP/cmd-pipewire.json"; } >"$TAP_TMP/argv.json-split"
ok "text form runs with the variable and splits like the JSON argv" -- cmp "$TAP_TMP/argv.sh-split" "$TAP_TMP/argv.json-split"
"$GPT_BOOTCFG" --root "$r" vm command --json --run-paths win10 >"$TAP_TMP/run.json"
ok "--run-paths: the socket and the runtime directory under the root" -- jq -e --arg r "$r" '
	(.argv | index("pa,id=audio0,server=unix:\($r)/run/user/1000/pulse/native") != null) and
	(.env == ["XDG_RUNTIME_DIR=\($r)/run/user/1000"])' "$TAP_TMP/run.json"

# plan says where the sound goes, and that an unknown audio user keeps the VM from starting.
"$GPT_BOOTCFG" --root "$r" plan >"$TAP_TMP/plan.txt" 2>"$TAP_TMP/err"
is "$?" 0 "plan exits 0"
ok "plan: a note on alice's sound server" -- grep -qxF "Note: VM 'win10': its sound card plays on alice's sound server (/run/user/1000/pulse/native, QEMU's PulseAudio driver from qemu-system-gui); vm run checks that QEMU's user can reach it (docs/vm.md, \"Host audio\")" "$TAP_TMP/plan.txt"
write_config "$r" "audio = pipewire" "audio-user = carol"
"$GPT_BOOTCFG" --root "$r" plan >"$TAP_TMP/plan.txt" 2>"$TAP_TMP/err"
is "$?" 0 "plan with an unknown audio user exits 0 (the boot does not depend on it)"
ok "plan: warns that the VM will not start" -- grep -qxF "Warning: VM 'win10' will not start: audio user 'carol' does not exist (/etc/passwd)" "$TAP_TMP/plan.txt"
write_config "$r" "audio = pipewire" "audio-user = alice"

# The same VM as a libvirt domain: the card on libvirt's PulseAudio backend, a valid domain.
"$GPT_BOOTCFG" --root "$r" vm export win10 --libvirt >"$TAP_TMP/dom.xml" 2>"$TAP_TMP/err"
is "$?" 0 "vm export --libvirt exits 0"
ok "export: ich9 card with a duplex codec on audio 1, audio 1 on alice's pulse socket" -- sh -c "
	grep -qF \"<sound model='ich9'>\" '$TAP_TMP/dom.xml' &&
	grep -qF \"<codec type='duplex'/>\" '$TAP_TMP/dom.xml' &&
	grep -qF \"<audio id='1' type='pulseaudio' serverName='unix:/run/user/1000/pulse/native'/>\" '$TAP_TMP/dom.xml'"
if command -v virt-xml-validate >/dev/null; then
	ok "export: virt-xml-validate accepts it" -- virt-xml-validate "$TAP_TMP/dom.xml" domain
else
	ok "virt-xml-validate is installed (tests/deps.txt: libvirt-clients)" -- false
fi

# Bad values: one line naming file, line and column; exit 2.
C=/etc/gpt-bootcfg/gpt-bootcfg.conf
bad() { # DESCRIPTION WANT CONFIG-LINES...
	_d=$1 _w=$2; shift 2
	write_config "$r" "$@"
	"$GPT_BOOTCFG" --root "$r" vm command win10 >"$TAP_TMP/out" 2>"$TAP_TMP/err"; _rc=$?
	is "$_rc" 2 "$_d: exit 2"
	is "$(cat "$TAP_TMP/err")" "gpt-bootcfg: $_w" "$_d: one line, file:line:column"
}
bad "unknown mode" "$C:23:9: audio: expected pipewire, pulseaudio, spice or none, not 'alsa'" "audio = alsa"
bad "host audio without a user" "$C:23:9: audio: pipewire needs audio-user = NAME (the desktop user whose sound server plays the guest's sound)" "audio = pipewire"
bad "audio-user without host audio" "$C:23:14: audio-user: only used with audio = pipewire or pulseaudio" "audio-user = alice"
bad "invalid user name" "$C:24:14: audio-user: invalid user name 'al ice'" "audio = pulseaudio" "audio-user = al ice"
bad "user not in /etc/passwd" "$C:24:14: VM 'win10': audio user 'carol' does not exist (/etc/passwd)" "audio = pipewire" "audio-user = carol"
bad "spice audio without SPICE" "$C:23:9: audio: spice needs spice = unix or loopback" "audio = spice"

# ---- vm run: a small VM, QEMU as nobody, alice's sound server ----
r=$(fixture_copy $fx)
chmod 0711 "$TAP_TMP" "$r"
set_cpus "$r" "0-$((ncpu - 1))"
mkdir -p "$r/etc/gpt-bootcfg" "$r/var/lib" && chmod 0755 "$r/var" "$r/var/lib"
printf 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$r/etc/passwd"
printf 'root:x:0:\nkvm:x:104:nobody\nalice:x:1000:\nnogroup:x:65534:\n' >"$r/etc/group"
cat >"$r/etc/gpt-bootcfg/gpt-bootcfg.conf" <<'CONF'
[vm snd]
memory = 128M
hugepage-size = none
vcpus = 1
vcpu-pins = 1
emulator-cpus = 0
firmware = bios
user = nobody
audio = pipewire
audio-user = alice
CONF
chmod 0644 "$r/etc/gpt-bootcfg/gpt-bootcfg.conf"
shm=$(mktemp -d /dev/shm/gpt-bootcfg-test.XXXXXX)
chmod 0755 "$shm"
export GPT_BOOTCFG_TEST_ACCEL=tcg GPT_BOOTCFG_TEST_MEM_PATH="$shm"

# The host's /run/user (real sound servers) is hidden in a private mount namespace.
in_ns() {
	unshare --mount --propagation private sh -c \
		'if [ -d /run/user ]; then mount -t tmpfs -o mode=0755 tmpfs /run/user || exit 99; fi; exec "$@"' sh "$@"
}

# A QEMU that only answers "-audiodev help" (with or without pa) and otherwise says it ran.
fake_qemu() { # FILE DRIVERS...
	_f=$1; shift
	{
		echo '#!/bin/sh'
		echo 'if [ "$1 $2" = "-audiodev help" ]; then'
		echo '	echo "Available audio drivers:"'
		for _d in "$@"; do echo "	echo $_d"; done
		echo '	exit 0'
		echo 'fi'
		echo "touch '$TAP_TMP/qemu-was-run'"
		echo 'exit 1'
	} >"$_f"
	chmod +x "$_f"
}
fake_qemu "$TAP_TMP/qemu-no-pa" none alsa spice
fake_qemu "$TAP_TMP/qemu-pa" none pa spice

refused() { # DESCRIPTION QEMU WANT
	rm -f "$TAP_TMP/qemu-was-run"
	GPT_BOOTCFG_QEMU=$2 in_ns "$GPT_BOOTCFG" --root "$r" vm run snd >"$TAP_TMP/out" 2>"$TAP_TMP/err"; _rc=$?
	is "$_rc" 2 "$1: vm run exits 2"
	ok "$1: names the problem" -- grep -qF -- "$3" "$TAP_TMP/err"
	is "$(wc -l <"$TAP_TMP/err")" 1 "$1: one line"
	ok "$1: QEMU not started" -- test ! -e "$TAP_TMP/qemu-was-run"
	ok "$1: nothing handed to QEMU's user (no owners record)" -- test ! -e "$r/var/lib/gpt-bootcfg/snd/owners"
}

refused "QEMU without the pa driver" "$TAP_TMP/qemu-no-pa" \
	"/etc/gpt-bootcfg/gpt-bootcfg.conf:9:9: VM 'snd': QEMU ('$TAP_TMP/qemu-no-pa') has no 'pa' audio driver ('-audiodev help' does not list it): install qemu-system-gui"
refused "no sound server" "$TAP_TMP/qemu-pa" \
	"/etc/gpt-bootcfg/gpt-bootcfg.conf:9:9: VM 'snd': audio = pipewire, but '/run/user/1000/pulse/native' does not exist: the sound server of 'alice' is not running (alice must be logged in, with pipewire and pipewire-pulse running)"
ok "in the private namespace the host's /run/user is empty" -- in_ns sh -c '[ ! -d /run/user ] || [ -z "$(ls -A /run/user)" ]'
ok "no runtime directory below the root yet" -- test ! -e "$r/run/user/1000"
mkdir -p "$r/run/user/1000/pulse"
chown -R 1000:1000 "$r/run/user/1000"; chmod 0700 "$r/run/user/1000" "$r/run/user/1000/pulse"
: >"$r/run/user/1000/pulse/native"
refused "not a socket" "$TAP_TMP/qemu-pa" "VM 'snd': audio = pipewire, but '/run/user/1000/pulse/native' is not a socket"
rm "$r/run/user/1000/pulse/native"

# A stand-in sound server: a listening socket, owned by alice as logind and pipewire make it.
cat >"$TAP_TMP/server.py" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
os.chown(sys.argv[1], 1000, 1000)
s.listen(16)
if sys.argv[2] == "exit":
    sys.exit(0)  # leaves a socket file nobody listens on
open(sys.argv[1] + ".ready", "w").close()
while True:
    c, _ = s.accept()
    c.close()
PY
# Reachable for nobody (docs/vm.md), but the server is gone: its socket file stayed.
chmod 0711 "$r/run/user/1000" "$r/run/user/1000/pulse"
python3 "$TAP_TMP/server.py" "$r/run/user/1000/pulse/native" exit
chmod 0666 "$r/run/user/1000/pulse/native"
refused "socket nobody listens on" "$TAP_TMP/qemu-pa" \
	"VM 'snd': nothing listens on '/run/user/1000/pulse/native' (Connection refused): the sound server of 'alice' is not running"
rm -f "$r/run/user/1000/pulse/native"
python3 "$TAP_TMP/server.py" "$r/run/user/1000/pulse/native" serve &
server_pid=$!
for i in $(seq 100); do [ -e "$r/run/user/1000/pulse/native.ready" ] && break; sleep 0.1; done
rm -f "$r/run/user/1000/pulse/native.ready"
# As logind makes it: the runtime directories 0700.
chmod 0700 "$r/run/user/1000" "$r/run/user/1000/pulse"
chmod 0666 "$r/run/user/1000/pulse/native"
refused "socket QEMU's user cannot reach" "$TAP_TMP/qemu-pa" \
	"VM 'snd': QEMU's user 'nobody' cannot reach '/run/user/1000/pulse/native' (Permission denied): set user = alice in [vm], or give 'nobody' access to the socket"
# What docs/vm.md describes (here with modes; setfacl gives the same to one user).
chmod 0711 "$r/run/user/1000" "$r/run/user/1000/pulse"
chmod 0660 "$r/run/user/1000/pulse/native"
refused "socket QEMU's user cannot write" "$TAP_TMP/qemu-pa" \
	"VM 'snd': QEMU's user 'nobody' cannot connect to '/run/user/1000/pulse/native' (Permission denied)"
chmod 0666 "$r/run/user/1000/pulse/native"
sed -i 's/^audio-user = alice$/audio-user = carol/' "$r/etc/gpt-bootcfg/gpt-bootcfg.conf"
refused "audio user not in /etc/passwd" "$TAP_TMP/qemu-pa" \
	"/etc/gpt-bootcfg/gpt-bootcfg.conf:10:14: VM 'snd': audio user 'carol' does not exist (/etc/passwd)"
sed -i 's/^audio-user = carol$/audio-user = alice/' "$r/etc/gpt-bootcfg/gpt-bootcfg.conf"

# ---- the real QEMU: the audiodev "none" in place of the server, every check still made ----
write_notify_py "$TAP_TMP/notify.py"
write_qmp_args_py "$TAP_TMP/qmp.py"
cleanup() {
	[ -f "$r/run/gpt-bootcfg/snd.pid" ] && kill -9 "$(cat "$r/run/gpt-bootcfg/snd.pid")" 2>/dev/null
	kill "$server_pid" 2>/dev/null
	rm -rf "$shm"
}
trap cleanup EXIT

export GPT_BOOTCFG_TEST_AUDIODEV=none
rm -f "$TAP_TMP/notify" "$TAP_TMP/notify.bound" "$TAP_TMP/ready"
python3 "$TAP_TMP/notify.py" "$TAP_TMP/notify" "$TAP_TMP/ready" 180 &
notify_pid=$!
for i in $(seq 50); do [ -e "$TAP_TMP/notify.bound" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$TAP_TMP/notify timeout 300 "$GPT_BOOTCFG" --root "$r" vm run snd >"$TAP_TMP/run.out" 2>&1 &
run_pid=$!
wait $notify_pid
is "$(head -n1 "$TAP_TMP/ready")" "READY=1" "real QEMU: READY=1"
[ "$(head -n1 "$TAP_TMP/ready")" = "READY=1" ] || sed 's/^/# vm run: /' "$TAP_TMP/run.out"
qpid=$(cat "$r/run/gpt-bootcfg/snd.pid" 2>/dev/null)
ok "real QEMU: runs as nobody, not as the audio user" -- sh -c "awk '/^Uid:/ {print \$2}' /proc/$qpid/status | grep -qx 65534"
ok "real QEMU: XDG_RUNTIME_DIR is alice's runtime directory" -- \
	sh -c "tr '\\0' '\\n' </proc/$qpid/environ | grep -qx 'XDG_RUNTIME_DIR=$r/run/user/1000'"
ok "real QEMU: the test audiodev stands in for the server" -- \
	sh -c "tr '\\0' '\\n' </proc/$qpid/cmdline | grep -qx 'none,id=audio0'"
python3 "$TAP_TMP/qmp.py" "$r/run/gpt-bootcfg/snd.qmp" query-pci \
	'qom-get {"path":"/machine/peripheral/sound0","property":"type"}' \
	'qom-get {"path":"/machine/peripheral/codec0","property":"type"}' \
	'qom-get {"path":"/machine/peripheral/codec0","property":"audiodev"}' \
	>"$TAP_TMP/q.json" 2>"$TAP_TMP/q.err"
ok "real QEMU: QMP answered" -- jq -e . "$TAP_TMP/q.json"
sed 's/^/# /' "$TAP_TMP/q.err"
is "$(jq -r '[.[0].return[] | .devices[] | select(.qdev_id == "sound0") | "\(.id.vendor) \(.id.device) \(.class_info.class)"] | join(",")' "$TAP_TMP/q.json")" \
	"32902 10558 1027" "real QEMU: query-pci: sound0 is 8086:293e, class 0403 (ICH9 HD Audio)"
is "$(jq -r '.[1].return' "$TAP_TMP/q.json")" "ich9-intel-hda" "real QEMU: qom-get sound0 type"
is "$(jq -r '.[2].return' "$TAP_TMP/q.json")" "hda-duplex" "real QEMU: qom-get codec0 type"
is "$(jq -r '.[3].return' "$TAP_TMP/q.json")" "audio0" "real QEMU: the codec plays on audiodev audio0"
"$GPT_BOOTCFG" --root "$r" vm stop snd --timeout 2 >"$TAP_TMP/stop.out" 2>&1
is "$?" 0 "real QEMU: vm stop exits 0"
wait $run_pid
is "$?" 0 "real QEMU: vm run exits 0"
ok "the sound server's socket is left as it was" -- sh -c "stat -c '%u %a' '$r/run/user/1000/pulse/native' | grep -qx '1000 666'"

done_testing
