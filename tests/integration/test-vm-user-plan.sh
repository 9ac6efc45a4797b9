#!/bin/sh
# Whom QEMU runs as, as plan and vm run tell it (issue 14, item 9), on copies of the
# guide's server fixture with the root's own etc/passwd: no user gpt-bootcfg-qemu -> root
# with a plan warning; the user present -> no warning; a bridge or a SPICE unix socket
# needs root -> the warning says which; "user =" naming a missing user, or a user for a VM
# that needs root -> plan warns that the VM will not start and vm run refuses with
# FILE:LINE:COL before any hook; "user = root" -> root, no warning. And a record that a
# killed runner left (VM_STATE_DIR/NAME/owners) is played back by the next vm run, before
# its hooks.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"

need_fixture guide-server

make_root() { # EXTRA-LINES PASSWD-LINE
	_r=$(fixture_copy guide-server)
	mkdir -p "$_r/etc/gpt-bootcfg/hooks.d/u/prepare.d"
	printf '[vm u]\nmemory = 128M\nhugepage-size = none\nvcpus = 1\nfirmware = bios\n%b' "$1" \
		>"$_r/etc/gpt-bootcfg/gpt-bootcfg.conf"
	chmod 0644 "$_r/etc/gpt-bootcfg/gpt-bootcfg.conf"
	printf 'root:x:0:0:root:/root:/bin/sh\n%b' "$2" >"$_r/etc/passwd"
	printf '#!/bin/sh\ntouch "%s/hook-ran"\n' "$TAP_TMP" >"$_r/etc/gpt-bootcfg/hooks.d/u/prepare.d/10-mark"
	chmod 0755 "$_r/etc/gpt-bootcfg/hooks.d/u/prepare.d/10-mark"
	echo "$_r"
}
qemu_user='gpt-bootcfg-qemu:x:998:998::/nonexistent:/usr/sbin/nologin\n'

r=$(make_root "" "")
run_gen "$r" plan
ok "no such user: plan warns that QEMU runs as root, and why" -- grep -qF \
	"Warning: VM 'u': QEMU runs as root, so a guest escape is root on the host: the user gpt-bootcfg-qemu does not exist" "$TAP_TMP/out.txt"
is "$rc" 0 "the warning does not refuse"

r=$(make_root "" "$qemu_user")
run_gen "$r" plan
ok "gpt-bootcfg-qemu exists: no warning" -- sh -c "! grep -q 'runs as root' '$TAP_TMP/out.txt'"

r=$(make_root "network = bridge:br0\n" "$qemu_user")
run_gen "$r" plan
ok "a bridge needs root: the warning names it" -- grep -qF \
	"QEMU runs as root, so a guest escape is root on the host: network = bridge: QEMU starts qemu-bridge-helper, which needs CAP_NET_ADMIN" "$TAP_TMP/out.txt"

r=$(make_root "spice = unix\n" "$qemu_user")
run_gen "$r" plan
ok "a SPICE unix socket needs root: the warning names it" -- grep -qF "spice = unix: QEMU creates the SPICE socket" "$TAP_TMP/out.txt"

r=$(make_root "user = root\n" "$qemu_user")
run_gen "$r" plan
ok "user = root: no warning (asked for)" -- sh -c "! grep -q 'runs as root' '$TAP_TMP/out.txt'"

r=$(make_root "user = vmuser\n" "")
run_gen "$r" plan
ok "a missing user: plan says the VM will not start" -- grep -qF \
	"Warning: VM 'u' will not start: user 'vmuser' does not exist (/etc/passwd)" "$TAP_TMP/out.txt"
run_gen "$r" vm run u
is "$rc" 2 "a missing user: vm run exits 2"
ok "a missing user: FILE:LINE:COL" -- grep -qF \
	"/etc/gpt-bootcfg/gpt-bootcfg.conf:6:8: VM 'u': user 'vmuser' does not exist (/etc/passwd)" "$TAP_TMP/err.txt"
ok "a missing user: no hook ran" -- test ! -e "$TAP_TMP/hook-ran"

r=$(make_root "user = gpt-bootcfg-qemu\nnetwork = bridge:br0\n" "$qemu_user")
run_gen "$r" plan
ok "a user and a bridge: plan says the VM will not start" -- grep -qF \
	"Warning: VM 'u' will not start: user = gpt-bootcfg-qemu, but network = bridge" "$TAP_TMP/out.txt"
run_gen "$r" vm run u
is "$rc" 2 "a user and a bridge: vm run exits 2"
ok "a user and a bridge: FILE:LINE:COL and the way out" -- grep -q \
	"gpt-bootcfg.conf:6:8: VM 'u': user = gpt-bootcfg-qemu, but network = bridge.*(set user = root)" "$TAP_TMP/err.txt"
ok "a user and a bridge: no hook ran" -- test ! -e "$TAP_TMP/hook-ran"

# ---- a record left by a killed runner: the next vm run gives the files back first ----
r=$(make_root "user = root\n" "")
mkdir -p "$r/data" "$r/var/lib/gpt-bootcfg/u" "$r/run/gpt-bootcfg" "$TAP_TMP/mem/gpt-bootcfg-u"
: >"$r/data/os.img"; chown 65534:65534 "$r/data/os.img"; chmod 0600 "$r/data/os.img"
: >"$r/run/gpt-bootcfg/u.pid"
printf 'chown 1234 2345 640 /data/os.img\nrmdir L %s\nunlink R /run/gpt-bootcfg/u.pid\n' \
	"$TAP_TMP/mem/gpt-bootcfg-u" >"$r/var/lib/gpt-bootcfg/u/owners"
rm -f "$TAP_TMP/hook-ran"
GPT_BOOTCFG_QEMU=/bin/false run_gen "$r" vm run u
ok "the next vm run says it restored them" -- grep -q "VM 'u': restored the owners an earlier vm run left changed" "$TAP_TMP/err.txt"
is "$(stat -c %u:%g:%a "$r/data/os.img")" 1234:2345:640 "the file is back to its owner and mode"
ok "the directory it made is gone" -- test ! -e "$TAP_TMP/mem/gpt-bootcfg-u"
ok "the pid file it made is gone" -- test ! -e "$r/run/gpt-bootcfg/u.pid"
ok "the record is gone" -- test ! -e "$r/var/lib/gpt-bootcfg/u/owners"
ok "then the run went on (its hook ran)" -- test -e "$TAP_TMP/hook-ran"

# A record naming a symlink: never followed (the owner of the link's target stays).
r=$(make_root "user = root\n" "")
mkdir -p "$r/var/lib/gpt-bootcfg/u" "$r/data"
: >"$r/data/victim"; chmod 0600 "$r/data/victim"
ln -s victim "$r/data/link"
printf 'chown 1234 2345 666 /data/link\n' >"$r/var/lib/gpt-bootcfg/u/owners"
GPT_BOOTCFG_QEMU=/bin/false run_gen "$r" vm run u
is "$rc" 2 "a record naming a symlink: vm run refuses"
ok "it names the path" -- grep -q "Failed to restore the owner of '/data/link'" "$TAP_TMP/err.txt"
is "$(stat -c %u:%g:%a "$r/data/victim")" 0:0:600 "the link's target is untouched"

done_testing
