#!/bin/sh
# What vm run hands to QEMU's unprivileged user (issue 30, item 2): an input = link that
# names anything but an evdev character device (major 13, minor 64 and up, under
# /dev/input) is refused with FILE:LINE:COL and exit 2, QEMU never starts and the target
# keeps its owner: a link to /etc/shadow, to a regular file, to /dev/input/mice (mousedev,
# not evdev) and to a character device elsewhere (a copy of /dev/null's numbers). A real
# evdev node (13:64, made here; nothing opens it) passes the check (positive control:
# the fake QEMU runs). Device nodes are made below a copy of the guide server fixture.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"

need_fixture guide-server

fake_qemu=$TAP_TMP/fake-qemu
printf '#!/bin/sh\ntouch "%s/qemu-was-run"\nexit 1\n' "$TAP_TMP" >"$fake_qemu"
chmod +x "$fake_qemu"
export GPT_BOOTCFG_QEMU="$fake_qemu"

r=$(fixture_copy guide-server)
mkdir -p "$r/etc/gpt-bootcfg" "$r/dev/input/by-id" "$r/img" "$r/usr/share/OVMF" "$r/dev/misc"
: >"$r/img/d.img"
: >"$r/usr/share/OVMF/OVMF_CODE_4M.fd"
: >"$r/usr/share/OVMF/OVMF_VARS_4M.fd"
printf 'root:*:19000:0:99999:7:::\n' >"$r/etc/shadow"; chmod 0640 "$r/etc/shadow"
: >"$r/dev/input/event-plain"
mknod "$r/dev/input/mice" c 13 63
mknod "$r/dev/misc/null-copy" c 1 3
mknod "$r/dev/input/event7" c 13 71
chmod 0660 "$r/dev/input/mice" "$r/dev/misc/null-copy" "$r/dev/input/event7"
ln -s ../../../etc/shadow "$r/dev/input/by-id/usb-Evil-event-kbd"
ln -s ../event-plain "$r/dev/input/by-id/usb-Plain-event-kbd"
ln -s ../mice "$r/dev/input/by-id/usb-Mice-event-mouse"
ln -s ../../misc/null-copy "$r/dev/input/by-id/usb-Null-event-mouse"
ln -s ../event7 "$r/dev/input/by-id/usb-Good-event-kbd"

write_vm() { # INPUT
	cat >"$r/etc/gpt-bootcfg/gpt-bootcfg.conf" <<-CONF
	[vm d]
	memory = 128M
	hugepage-size = none
	vcpus = 1
	disk = /img/d.img
	input = $1
	CONF
	chmod 0644 "$r/etc/gpt-bootcfg/gpt-bootcfg.conf"
}

for t in "usb-Evil-event-kbd /etc/shadow" "usb-Plain-event-kbd /dev/input/event-plain" \
	"usb-Mice-event-mouse /dev/input/mice" "usb-Null-event-mouse /dev/misc/null-copy"; do
	set -- $t
	write_vm "/dev/input/by-id/$1"
	before=$(stat -c '%u:%g %a' "$r$2")
	rm -f "$TAP_TMP/qemu-was-run"
	run_gen "$r" vm run d
	is "$rc" 2 "$1 -> $2: vm run exits 2"
	ok "$1 -> $2: FILE:LINE:COL, the link, its target and why" -- grep -qF \
		"/etc/gpt-bootcfg/gpt-bootcfg.conf:6:9: input '/dev/input/by-id/$1' ($2) is not an evdev character device (major 13) under /dev/input" \
		"$TAP_TMP/err.txt"
	ok "$1 -> $2: QEMU never started" -- test ! -e "$TAP_TMP/qemu-was-run"
	is "$(stat -c '%u:%g %a' "$r$2")" "$before" "$1 -> $2: the target's owner and mode are untouched"
done

# Positive control: an evdev node passes the check and QEMU is started.
write_vm /dev/input/by-id/usb-Good-event-kbd
rm -f "$TAP_TMP/qemu-was-run"
run_gen "$r" vm run d
ok "evdev 13:71: QEMU started (the check lets it through)" -- test -e "$TAP_TMP/qemu-was-run"
ok "evdev 13:71: no refusal" -- sh -c "! grep -q 'not an evdev' '$TAP_TMP/err.txt'"
is "$(stat -c '%u:%g %a' "$r/dev/input/event7")" "0:0 660" "evdev 13:71: given back after QEMU exited"

done_testing
