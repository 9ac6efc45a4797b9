#!/bin/sh
# Secure Boot really enforces (issue 24). The argv of the real `vm command` of a VM with
# secure-boot = yes (TCG; the passed-through NVMe swapped for an emulated one on the same
# root port, tests/lib/vm-standins.py, as test-vm-boot.sh does) runs Debian's OVMF with the
# firmware the runner chose from QEMU's firmware descriptors (this host's, copied into the
# root) and the variable template it names (Microsoft's keys enrolled):
#   a) the NVMe's ESP holds Debian's signed shim (BOOTX64.EFI) and signed GRUB, whose
#      grub.cfg prints a marker on the serial port: the marker is printed
#   b) the ESP holds an unsigned GRUB (grub-mkstandalone) that prints its own marker: it is
#      not printed, OVMF reports "Access Denied" for the NVMe and "Security Violation" for
#      its EFI shell
#   c) the same VM with secure-boot = no (plain OVMF): the unsigned GRUB's marker is printed
# The signed loaders come from shim-signed and grub-efi-amd64-signed, fetched into the test
# cache and unpacked (tests/boot/fetch-secureboot.sh), never installed on this host.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/setup.sh"

fx=guide-server
need_fixture $fx
need_tools qemu-system-x86_64 python3 jq grub-mkstandalone mformat mmd mcopy
for f in OVMF_CODE_4M.fd OVMF_VARS_4M.fd OVMF_CODE_4M.secboot.fd OVMF_VARS_4M.ms.fd; do
	if [ ! -f "/usr/share/OVMF/$f" ]; then
		ok "Debian's OVMF with Secure Boot is installed ($f, package ovmf)" -- false
		done_testing; exit
	fi
done
sb=$("$TOP/tests/boot/fetch-secureboot.sh") || {
	ok "the signed shim and GRUB are fetched (tests/boot/fetch-secureboot.sh)" -- false
	done_testing; exit
}
echo "# signed loaders: $(tr '\n' ' ' <"$sb/versions")"

NVME=0000:b3:00.0
guests=""
cleanup() { for p in $guests; do kill -9 "$p" 2>/dev/null; done; }
trap cleanup EXIT

# Debian's signed chain: shim in the removable-media path, GRUB beside it, grub.cfg beside
# GRUB (the signed GRUB's prefix is /EFI/debian; it also looks beside itself).
printf 'serial --unit=0 --speed=115200\nterminal_output serial console\necho GPT-BOOTCFG-SB-SIGNED\nhalt\n' \
	>"$TAP_TMP/signed.cfg"
signed=$TAP_TMP/signed.img
ok "ESP with the signed shim and GRUB built" -- sh -c "
	truncate -s 8M '$signed' && mformat -i '$signed' :: &&
	mmd -i '$signed' ::/EFI ::/EFI/BOOT ::/EFI/debian &&
	mcopy -i '$signed' '$sb/shimx64.efi' ::/EFI/BOOT/BOOTX64.EFI &&
	mcopy -i '$signed' '$sb/grubx64.efi' ::/EFI/BOOT/grubx64.efi &&
	mcopy -i '$signed' '$TAP_TMP/signed.cfg' ::/EFI/BOOT/grub.cfg &&
	mcopy -i '$signed' '$TAP_TMP/signed.cfg' ::/EFI/debian/grub.cfg"
# An unsigned GRUB with its own marker.
printf 'echo GPT-BOOTCFG-SB-UNSIGNED\nhalt\n' >"$TAP_TMP/unsigned.cfg"
unsigned=$TAP_TMP/unsigned.img
ok "ESP with an unsigned GRUB built (grub-mkstandalone)" -- sh -c "
	grub-mkstandalone -O x86_64-efi --install-modules='echo halt normal configfile' \
		--modules='echo halt' --locales= --fonts= --themes= -o '$TAP_TMP/BOOTX64.EFI' \
		'boot/grub/grub.cfg=$TAP_TMP/unsigned.cfg' &&
	truncate -s 4M '$unsigned' && mformat -i '$unsigned' :: &&
	mmd -i '$unsigned' ::/EFI ::/EFI/BOOT &&
	mcopy -i '$unsigned' '$TAP_TMP/BOOTX64.EFI' ::/EFI/BOOT/BOOTX64.EFI"

# A root with the host's OVMF files and firmware descriptors, as Debian installs them.
r=$(fixture_copy $fx)
mkdir -p "$r/usr/share/OVMF" "$r/usr/share/qemu/firmware" "$r/etc/gpt-bootcfg" "$r/run/gpt-bootcfg"
cp -a /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_VARS_4M.fd /usr/share/OVMF/OVMF_CODE_4M.secboot.fd \
	/usr/share/OVMF/OVMF_VARS_4M.ms.fd /usr/share/OVMF/OVMF_CODE_4M.ms.fd "$r/usr/share/OVMF/"
cp /usr/share/qemu/firmware/*.json "$r/usr/share/qemu/firmware/"
conf() { # SECURE_BOOT
	cat <<CONF | write_conf "$r"
[device nvme]
address = $NVME

[vm sb]
memory = 256M
hugepage-size = none
vcpus = 1
devices = nvme
secure-boot = $1
CONF
}

# command CASE: the real argv (run paths) and the VM's variable store made from the template
# the runner names (vm status), as vm run makes it.
command() {
	GPT_BOOTCFG_TEST_ACCEL=tcg "$GPT_BOOTCFG" --root "$r" vm command --json --run-paths sb \
		>"$TAP_TMP/$1.json" 2>"$TAP_TMP/$1.err"
	is "$?" 0 "$1: vm command exits 0"
	"$GPT_BOOTCFG" --root "$r" vm status sb --json >"$TAP_TMP/$1-status.json" 2>/dev/null
	rm -rf "$r/var/lib/gpt-bootcfg/sb"
	mkdir -p "$r/var/lib/gpt-bootcfg/sb"
	_t=$(jq -r '.secure_boot.vars_template // "/usr/share/OVMF/OVMF_VARS_4M.fd"' "$TAP_TMP/$1-status.json")
	cp "$r$_t" "$r/var/lib/gpt-bootcfg/sb/OVMF_VARS.fd"
}

# boot CASE ESP [WAIT_FOR]: the swapped argv with ESP on the NVMe. Without WAIT_FOR, until
# the guest powers off (QEMU exits; at most 180 s); with it, until the serial port shows
# WAIT_FOR (at most 180 s), then QEMU is killed. The serial lines that matter: CASE.boot.
boot() {
	rm -f "$TAP_TMP/$1.serial"
	python3 "$TOP/tests/lib/vm-standins.py" "$TAP_TMP/$1.json" "$2" "$TAP_TMP/$1.serial" "$r" \
		>"$TAP_TMP/$1.argv" 2>"$TAP_TMP/$1.swap"
	(
		IFS='
'
		# shellcheck disable=SC2046
		exec timeout -k 10 180 $(cat "$TAP_TMP/$1.argv")
	) >"$TAP_TMP/$1.out" 2>&1 &
	_pid=$!
	guests="$guests $_pid"
	if [ -n "${3:-}" ]; then
		for _i in $(seq 360); do
			grep -aq "$3" "$TAP_TMP/$1.serial" 2>/dev/null && break
			kill -0 $_pid 2>/dev/null || break
			sleep 0.5
		done
		kill $_pid 2>/dev/null
	fi
	wait $_pid
	_rc=$?
	tr -d '\r' <"$TAP_TMP/$1.serial" 2>/dev/null | sed 's/\x1b\[[0-9;=]*[A-Za-z]//g' |
		grep -a -E 'BdsDxe|GPT-BOOTCFG-SB|Security Violation|Access Denied' >"$TAP_TMP/$1.boot"
	sed 's/^/# serial: /' "$TAP_TMP/$1.boot"
	return $_rc
}
has() { grep -aq -- "$2" "$TAP_TMP/$1.boot"; }
arg() { jq -e --arg a "$2" '.argv | index($a) != null' "$TAP_TMP/$1.json" >/dev/null; }

# ---- a) Secure Boot, Debian's signed chain ----
conf yes
command a
machine=$(qemu-system-x86_64 -machine help | sed -n 's/^q35 .*(alias of \(pc-q35-[0-9.]*\))$/\1/p')
ok "a: the machine has smm=on" -- arg a "$machine,accel=tcg,vmport=off,hpet=off,smm=on,memory-backend=mem0"
ok "a: the pflash is secure (only SMM writes the variables)" -- arg a "driver=cfi.pflash01,property=secure,value=on"
code=$(jq -r '.secure_boot.code' "$TAP_TMP/a-status.json")
src=$(jq -r '.secure_boot.source' "$TAP_TMP/a-status.json")
is "$(jq -r '.secure_boot.vars_template' "$TAP_TMP/a-status.json")" /usr/share/OVMF/OVMF_VARS_4M.ms.fd \
	"a: the variable template is the one with Microsoft's keys ($src)"
ok "a: the code of the enrolled descriptor, as a read-only pflash ($code)" -- \
	arg a "if=pflash,format=raw,readonly=on,file=$r$code"
ok "a: which is Debian's Secure Boot build" -- \
	cmp "$r$code" /usr/share/OVMF/OVMF_CODE_4M.secboot.fd
boot a "$signed"
is "$?" 0 "a: the guest powered off by itself (QEMU exit 0; 124 = timeout)"
ok "a: OVMF starts the NVMe" -- has a 'BdsDxe: starting Boot[0-9A-F]* "UEFI QEMU NVMe Ctrl standin'
ok "a: the signed shim and GRUB ran (their marker on the serial port)" -- has a "GPT-BOOTCFG-SB-SIGNED"
ok "a: nothing was refused" -- sh -c "! grep -aq 'Access Denied\|Security Violation' '$TAP_TMP/a.boot'"

# ---- b) Secure Boot, an unsigned loader ----
cp "$TAP_TMP/a.json" "$TAP_TMP/b.json"
cp "$TAP_TMP/a-status.json" "$TAP_TMP/b-status.json"
cp "$r/usr/share/OVMF/OVMF_VARS_4M.ms.fd" "$r/var/lib/gpt-bootcfg/sb/OVMF_VARS.fd"
boot b "$unsigned" "Security Violation\|No bootable option"
ok "b: OVMF refuses the NVMe's unsigned loader (Access Denied)" -- \
	has b 'BdsDxe: failed to load Boot[0-9A-F]* "UEFI QEMU NVMe Ctrl standin.*Access Denied'
ok "b: and its EFI shell (Security Violation)" -- has b 'EFI Internal Shell.*Security Violation'
ok "b: the unsigned GRUB's marker is not printed" -- sh -c "! grep -aq 'GPT-BOOTCFG-SB-UNSIGNED' '$TAP_TMP/b.boot'"

# ---- c) secure-boot = no: the same unsigned loader boots ----
conf no
command c
ok "c: no smm=on" -- arg c "$machine,accel=tcg,vmport=off,hpet=off,memory-backend=mem0"
ok "c: no secure pflash" -- sh -c "! jq -e '.argv | index(\"driver=cfi.pflash01,property=secure,value=on\") != null' '$TAP_TMP/c.json'"
ok "c: the plain OVMF" -- arg c "if=pflash,format=raw,readonly=on,file=$r/usr/share/OVMF/OVMF_CODE_4M.fd"
boot c "$unsigned"
is "$?" 0 "c: the guest powered off by itself (QEMU exit 0; 124 = timeout)"
ok "c: the unsigned GRUB ran (its marker)" -- has c "GPT-BOOTCFG-SB-UNSIGNED"

done_testing
