#!/bin/sh
# The VM really boots from the disk its configuration names (issue 12). Debian's OVMF under
# TCG runs the argv of the real `vm command` on a copy of the guide's server fixture, with
# the passed-through devices swapped for emulated ones at the same root-port addresses: the
# NVMe becomes an emulated `nvme` that keeps its bootindex and whose disk is a FAT ESP this
# test builds (a standalone GRUB that prints a marker on the serial port and halts). The
# serial log must show OVMF starting that device and the marker:
#   a) NVMe + cdrom, default boot order             -> the NVMe boots
#   b) the guide's example config ([vm win10] of examples/gpt-bootcfg.conf) -> the NVMe boots
#   c) boot = cdrom nvme, the cdrom a bootable image -> the cdrom boots
# Then SPICE through `vm run`: the display, the agent and streaming channels and the sound
# card as QEMU reports them over QMP, and the machine type and UUID pinned in the VM's
# state directory (shown by `vm status`, kept by `vm command`).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/setup.sh"

fx=guide-server
need_fixture $fx
need_tools qemu-system-x86_64 python3 jq grub-mkstandalone mformat mmd mcopy
if [ ! -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || [ ! -d /usr/lib/grub/x86_64-efi ]; then
	ok "OVMF and GRUB's x86_64-efi modules are installed (ovmf, grub-efi-amd64-bin)" -- false
	done_testing; exit
fi

NVME=0000:b3:00.0 # the guide's NVMe with Windows on it

guests=""
cleanup() {
	for p in $guests; do kill -9 "$p" 2>/dev/null; done
	for p in "$TAP_TMP"/fx.*/run/gpt-bootcfg/*.pid; do
		[ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null
	done
}
trap cleanup EXIT

# esp IMAGE MARKER: a FAT file system whose \EFI\BOOT\BOOTX64.EFI (the removable-media
# path OVMF boots) is a standalone GRUB that prints MARKER on the console and powers off.
esp() {
	printf 'echo %s\nhalt\n' "$2" >"$TAP_TMP/grub.cfg"
	grub-mkstandalone -O x86_64-efi --install-modules="echo halt normal configfile" \
		--modules="echo halt" --locales= --fonts= --themes= -o "$TAP_TMP/BOOTX64.EFI" \
		"boot/grub/grub.cfg=$TAP_TMP/grub.cfg" &&
	rm -f "$1" && truncate -s 4M "$1" && mformat -i "$1" :: &&
	mmd -i "$1" ::/EFI ::/EFI/BOOT && mcopy -i "$1" "$TAP_TMP/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
}
ok "NVMe ESP built (grub-mkstandalone, mtools)" -- esp "$TAP_TMP/nvme.img" GPT-BOOTCFG-BOOTED-NVME
ok "cdrom image built" -- esp "$TAP_TMP/cdrom.img" GPT-BOOTCFG-BOOTED-CDROM

make_root() {
	_r=$(fixture_copy $fx)
	mkdir -p "$_r/usr/share/OVMF" "$_r/etc/gpt-bootcfg" "$_r/run/gpt-bootcfg"
	cp /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_VARS_4M.fd "$_r/usr/share/OVMF/"
	echo "$_r"
}

# The swap (tests/lib/vm-standins.py): every vfio-pci device becomes an emulated device of
# its class on the same root port; the NVMe's gets the ESP.

# boot CASE ROOT VM: run the swapped argv until the guest halts (at most 180 s).
boot() {
	_r=$2
	rm -f "$TAP_TMP/$1.serial"
	GPT_BOOTCFG_TEST_ACCEL=tcg "$GPT_BOOTCFG" --root "$_r" vm command --json --run-paths "$3" \
		>"$TAP_TMP/$1.json" 2>"$TAP_TMP/$1.err"
	is "$?" 0 "$1: vm command exits 0"
	python3 "$TOP/tests/lib/vm-standins.py" "$TAP_TMP/$1.json" "$TAP_TMP/nvme.img" "$TAP_TMP/$1.serial" \
		"$_r" >"$TAP_TMP/$1.argv" 2>"$TAP_TMP/$1.swap"
	mkdir -p "$_r/var/lib/gpt-bootcfg/$3"
	cp /usr/share/OVMF/OVMF_VARS_4M.fd "$_r/var/lib/gpt-bootcfg/$3/OVMF_VARS.fd"
	# One argument per line: no path or option here has a newline.
	(
		IFS='
'
		# shellcheck disable=SC2046
		exec timeout -k 10 180 $(cat "$TAP_TMP/$1.argv")
	) >"$TAP_TMP/$1.out" 2>&1 &
	_pid=$!
	guests="$guests $_pid"
	wait $_pid
	_rc=$?
	is "$_rc" 0 "$1: the guest powered off by itself (QEMU exit 0; 124 = timeout)"
	[ "$_rc" = 0 ] || sed 's/^/#   qemu: /' "$TAP_TMP/$1.out" | head -20
	# OVMF's console: strip the terminal escapes, keep the lines that matter.
	tr -d '\r' <"$TAP_TMP/$1.serial" 2>/dev/null | sed 's/\x1b\[[0-9;=]*[A-Za-z]//g' |
		grep -a -E 'BdsDxe: starting|GPT-BOOTCFG-BOOTED' >"$TAP_TMP/$1.boot"
	sed 's/^/# serial: /' "$TAP_TMP/$1.boot"
}

# ---- a) an NVMe and a cdrom, default boot order ----
r=$(make_root)
mkdir -p "$r/data"
cp "$TAP_TMP/cdrom.img" "$r/data/installer.iso"
cat >"$r/etc/gpt-bootcfg/gpt-bootcfg.conf" <<CONF
[device nvme]
address = $NVME

[vm a]
memory = 256M
hugepage-size = none
vcpus = 1
devices = nvme
cdrom = /data/installer.iso
CONF
boot a "$r" a
ok "a: the real argv gives the passed-through NVMe bootindex 1" -- \
	jq -e --arg a "vfio-pci,host=$NVME,id=hostdev0,bus=rp1,addr=00.0,bootindex=1" \
	'.argv | index($a) != null' "$TAP_TMP/a.json"
ok "a: and the cdrom bootindex 2" -- \
	jq -e '.argv | index("ide-cd,drive=cdrom0,bus=ide.0,bootindex=2") != null' "$TAP_TMP/a.json"
ok "a: the stand-in NVMe is on the same root port with the same bootindex" -- \
	grep -qx "nvme,serial=standin,drive=standin-nvme,id=hostdev0,bus=rp1,addr=00.0,bootindex=1" "$TAP_TMP/a.argv"
ok "a: OVMF starts the NVMe first" -- \
	sh -c "head -n1 '$TAP_TMP/a.boot' | grep -q 'BdsDxe: starting Boot[0-9A-F]* \"UEFI QEMU NVMe Ctrl standin'"
ok "a: the NVMe's GRUB ran (marker on the serial port)" -- grep -qx "GPT-BOOTCFG-BOOTED-NVME" "$TAP_TMP/a.boot"
ok "a: the cdrom did not boot" -- sh -c "! grep -q CDROM '$TAP_TMP/a.boot'"

# ---- b) the guide's example config: [vm win10] with the NVMe and a cdrom ----
# Only what this machine cannot give is changed: 16 GiB on 1 GiB pages (TCG guest: 512 MiB
# of ordinary memory) and the bridge br0 (no bridge here; the network is not booted).
r=$(make_root)
mkdir -p "$r/data/iso"
# The virtio-win.iso of the example, made bootable: if the order were wrong, it would boot.
cp "$TAP_TMP/cdrom.img" "$r/data/iso/virtio-win.iso"
sed -e 's/^memory = 16G$/memory = 512M/' -e 's/^hugepage-size = 1G$/hugepage-size = none/' \
	-e 's/^network = bridge:br0$/network = user/' \
	"$TOP/examples/gpt-bootcfg.conf" >"$r/etc/gpt-bootcfg/gpt-bootcfg.conf"
ok "b: only memory, hugepage-size and network changed in the example" -- \
	sh -c "diff '$TOP/examples/gpt-bootcfg.conf' '$r/etc/gpt-bootcfg/gpt-bootcfg.conf' | grep -c '^>' | grep -qx 3"
# The guide's server has CPUs 0-35.
echo 0-35 >"$r/sys/devices/system/cpu/online"
boot b "$r" win10
is "$(cat "$TAP_TMP/b.swap")" "swapped 4" "b: GPU, its audio, the USB card and the NVMe swapped"
ok "b: OVMF starts the NVMe first" -- \
	sh -c "head -n1 '$TAP_TMP/b.boot' | grep -q 'BdsDxe: starting Boot[0-9A-F]* \"UEFI QEMU NVMe Ctrl standin'"
ok "b: the NVMe's GRUB ran (marker on the serial port)" -- grep -qx "GPT-BOOTCFG-BOOTED-NVME" "$TAP_TMP/b.boot"
ok "b: the cdrom did not boot" -- sh -c "! grep -q CDROM '$TAP_TMP/b.boot'"

# ---- c) boot = cdrom nvme: the installer run ----
r=$(make_root)
mkdir -p "$r/data"
cp "$TAP_TMP/cdrom.img" "$r/data/installer.iso"
cat >"$r/etc/gpt-bootcfg/gpt-bootcfg.conf" <<CONF
[device nvme]
address = $NVME

[vm c]
memory = 256M
hugepage-size = none
vcpus = 1
devices = nvme
cdrom = /data/installer.iso
boot = cdrom nvme
CONF
boot c "$r" c
ok "c: cdrom bootindex 1, NVMe bootindex 2" -- sh -c "
	jq -e '.argv | index(\"ide-cd,drive=cdrom0,bus=ide.0,bootindex=1\") != null' '$TAP_TMP/c.json' &&
	jq -e --arg a 'vfio-pci,host=$NVME,id=hostdev0,bus=rp1,addr=00.0,bootindex=2' '.argv | index(\$a) != null' '$TAP_TMP/c.json'"
ok "c: OVMF starts the DVD first" -- \
	sh -c "head -n1 '$TAP_TMP/c.boot' | grep -q 'BdsDxe: starting Boot[0-9A-F]* \"UEFI QEMU DVD-ROM'"
ok "c: the cdrom's GRUB ran (its marker)" -- grep -qx "GPT-BOOTCFG-BOOTED-CDROM" "$TAP_TMP/c.boot"
ok "c: the NVMe did not boot" -- sh -c "! grep -q 'BOOTED-NVME' '$TAP_TMP/c.boot'"

# ---- SPICE, machine type and UUID through vm run ----
r=$(make_root)
cat >"$r/etc/gpt-bootcfg/gpt-bootcfg.conf" <<CONF
[vm s]
memory = 128M
hugepage-size = none
vcpus = 1
spice = unix
audio = spice
CONF
{ qmp_py_prelude; cat <<'PY'
out = {}
for cmd in ["qmp_capabilities"] + sys.argv[2:]:
    args = {}
    if cmd == "qom-get":
        args = {"path": "/machine", "property": "type"}
    f.write(json.dumps({"execute": cmd, "arguments": args}) + "\n"); f.flush()
    out[cmd] = reply()["return"]
print(json.dumps(out))
PY
} >"$TAP_TMP/qmp.py"
GPT_BOOTCFG_TEST_ACCEL=tcg timeout -k 10 900 "$GPT_BOOTCFG" --root "$r" vm run s \
	>"$TAP_TMP/run-s.out" 2>&1 &
run_pid=$!
guests="$guests $run_pid"
for _i in $(seq 600); do
	grep -q "Started QEMU" "$TAP_TMP/run-s.out" && [ -S "$r/run/gpt-bootcfg/s.qmp" ] && break
	kill -0 $run_pid 2>/dev/null || break
	sleep 0.5
done
# vm run lets go of QMP once the guest runs; until then the client may be refused.
for _i in $(seq 120); do
	python3 "$TAP_TMP/qmp.py" "$r/run/gpt-bootcfg/s.qmp" query-status query-spice query-pci \
		query-chardev query-uuid qom-get >"$TAP_TMP/s.json" 2>"$TAP_TMP/s.err" &&
		jq -e '.["query-status"].status == "running"' "$TAP_TMP/s.json" >/dev/null && break
	kill -0 $run_pid 2>/dev/null || break
	sleep 0.5
done
ok "s: QMP answered with the guest running" -- jq -e '.["query-status"].status == "running"' "$TAP_TMP/s.json"
[ -s "$TAP_TMP/s.json" ] || sed 's/^/# vm run: /' "$TAP_TMP/run-s.out"
ok "s: SPICE enabled on its unix socket" -- sh -c "jq -e '.[\"query-spice\"].enabled' '$TAP_TMP/s.json' && test -S '$r/run/gpt-bootcfg/s.spice'"
jq '[.["query-pci"][] | .devices[] | ., (.pci_bridge.devices[]? // empty)]' "$TAP_TMP/s.json" >"$TAP_TMP/s-pci.json" 2>/dev/null
is "$(jq -r '[.[] | select(.qdev_id == "video0") | "\(.class_info.class) \(.id.vendor) \(.id.device)"] | join(",")' "$TAP_TMP/s-pci.json")" \
	"768 6900 4176" "s: the display is a virtio-vga (class 0300, 1af4:1050)"
is "$(jq -r '[.[] | select(.qdev_id == "sound0") | .class_info.class] | join(",")' "$TAP_TMP/s-pci.json")" \
	"1027" "s: an Intel HDA sound card (class 0403)"
is "$(jq -r '[.["query-chardev"][] | select(.label == "vdagent" or .label == "spicestream") | "\(.label)=\(.filename)"] | sort | join(" ")' "$TAP_TMP/s.json")" \
	"spicestream=spiceport vdagent=spicevmc" "s: the agent (spicevmc) and streaming (spiceport) channels"
machine=$(cat "$r/var/lib/gpt-bootcfg/s/machine" 2>/dev/null)
uuid=$(cat "$r/var/lib/gpt-bootcfg/s/uuid" 2>/dev/null)
want_machine=$(qemu-system-x86_64 -machine help | sed -n 's/^q35 .*(alias of \(pc-q35-[0-9.]*\))$/\1/p')
ok "QEMU's q35 alias names a versioned type ($want_machine)" -- sh -c "echo '$want_machine' | grep -qx 'pc-q35-[0-9]*\.[0-9]*'"
is "$machine" "$want_machine" "s: the first run pinned the machine type q35 stood for"
is "$(jq -r '.["qom-get"]' "$TAP_TMP/s.json")" "$machine-machine" "s: QEMU runs that machine type"
ok "s: a UUID was created" -- sh -c "echo '$uuid' | grep -Eqx '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'"
is "$(jq -r '.["query-uuid"].UUID' "$TAP_TMP/s.json")" "$uuid" "s: the guest's UUID is the pinned one"
"$GPT_BOOTCFG" --root "$r" vm status s --json >"$TAP_TMP/s-status.json" 2>"$TAP_TMP/err"
is "$(jq -r '"\(.machine.type) \(.machine.pinned) \(.uuid)"' "$TAP_TMP/s-status.json")" \
	"$machine true $uuid" "s: vm status shows the pinned machine type and UUID"
# The bound only caps the wait for the guest's power-down: with 2 s a loaded machine's
# OVMF sometimes had not answered the power button yet, the stop escalated and vm run
# exited non-zero (seen in CI beside another QEMU test). A clean stop ends sooner.
"$GPT_BOOTCFG" --root "$r" vm stop s --timeout 60 >"$TAP_TMP/stop.out" 2>&1
is "$?" 0 "s: vm stop exits 0"
wait $run_pid
rc=$?
is "$rc" 0 "s: vm run exits 0"
[ "$rc" = 0 ] || sed 's/^/# vm run: /' "$TAP_TMP/run-s.out"

# The pinned values stay: a changed alias (another QEMU) does not move them, vm command
# shows them, and a second run keeps them.
fake=$TAP_TMP/fake-qemu
printf '#!/bin/sh\n[ "$1 $2" = "-machine help" ] && echo "q35   Standard PC (Q35 + ICH9, 2009) (alias of pc-q35-99.1)"\nexit 0\n' >"$fake"
chmod +x "$fake"
GPT_BOOTCFG_QEMU=$fake "$GPT_BOOTCFG" --root "$r" vm command --json s >"$TAP_TMP/s-cmd.json"
ok "vm command: the pinned machine type, not the new alias" -- \
	jq -e --arg m "$machine,accel=kvm,vmport=off,hpet=off,memory-backend=mem0" '.argv | index($m) != null' "$TAP_TMP/s-cmd.json"
ok "vm command: the pinned UUID" -- jq -e --arg u "$uuid" '.argv | index($u) != null' "$TAP_TMP/s-cmd.json"
rm -rf "$r/var/lib/gpt-bootcfg/s"
GPT_BOOTCFG_QEMU=$fake "$GPT_BOOTCFG" --root "$r" vm command --json s >"$TAP_TMP/s-cmd.json"
ok "vm command, nothing pinned: what the first run would pin" -- \
	jq -e '.argv | index("pc-q35-99.1,accel=kvm,vmport=off,hpet=off,memory-backend=mem0") != null' "$TAP_TMP/s-cmd.json"
ok "vm command, nothing pinned: no -uuid yet, nothing written" -- \
	sh -c "jq -e '.argv | index(\"-uuid\") == null' '$TAP_TMP/s-cmd.json' && test ! -e '$r/var/lib/gpt-bootcfg/s'"

done_testing
