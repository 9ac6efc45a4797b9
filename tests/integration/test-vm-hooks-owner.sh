#!/bin/sh
# Hooks run as root only when they and every directory above them are root's and not
# writable by group or others, with symlinks followed only onto such ground (issue 14,
# item 3). On copies of the guide's server fixture, no QEMU: a hook owned by uid 1000 in a
# 0777 prepare.d, a root-owned 0666 hook and a symlink to a user's script each stop
# "vm run" before any hook runs, with an error naming the hook; in release.d an unsafe hook
# is skipped while the safe ones run and "vm stop" fails; absolute links resolve below the
# root (chroot-like) and a target only outside it never runs; a symlink into root-owned
# ground and a hook in a directory tree of root's run (positive controls).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"

need_fixture guide-server

make_root() {
	_r=$(fixture_copy guide-server)
	mkdir -p "$_r/etc/gpt-bootcfg"
	cat >"$_r/etc/gpt-bootcfg/gpt-bootcfg.conf" <<-'CONF'
	[vm h]
	memory = 128M
	hugepage-size = none
	vcpus = 1
	firmware = bios
	CONF
	chmod 0644 "$_r/etc/gpt-bootcfg/gpt-bootcfg.conf"
	mkdir -p "$_r/etc/gpt-bootcfg/hooks.d/h/prepare.d" "$_r/etc/gpt-bootcfg/hooks.d/h/release.d"
	chmod 0755 "$_r" "$_r/etc" "$_r/etc/gpt-bootcfg" "$_r/etc/gpt-bootcfg/hooks.d" \
		"$_r/etc/gpt-bootcfg/hooks.d/h" "$_r/etc/gpt-bootcfg/hooks.d/h/prepare.d" \
		"$_r/etc/gpt-bootcfg/hooks.d/h/release.d"
	echo "$_r"
}

# hook FILE MARKER: a script that leaves MARKER behind when it runs.
hook() {
	printf '#!/bin/sh\necho ran >>"%s"\n' "$2" >"$1"
	chmod 0755 "$1"
}

# A QEMU that is never expected to run far: the test is about what happens before it.
fakeq=$TAP_TMP/fake-qemu
printf '#!/bin/sh\necho "$@" >>"%s/qemu-ran"\nexit 1\n' "$TAP_TMP" >"$fakeq"
chmod 0755 "$fakeq"
export GPT_BOOTCFG_QEMU="$fakeq"

# ---- (a) a hook owned by uid 1000 in a 0777 prepare.d ----
r=$(make_root)
d=$r/etc/gpt-bootcfg/hooks.d/h/prepare.d
hook "$d/10-safe" "$TAP_TMP/a-safe"
hook "$d/20-user" "$TAP_TMP/a-user"
chown 1000:1000 "$d/20-user"
chmod 0777 "$d"
run_gen "$r" vm run h
is "$rc" 2 "(a) vm run exits 2"
ok "(a) the error names the hook and the 0777 directory" -- \
	grep -q "Hook '/etc/gpt-bootcfg/hooks.d/h/prepare.d/20-user' is not safe to run as root: '/etc/gpt-bootcfg/hooks.d/h/prepare.d' has mode 0777: writable by others" "$TAP_TMP/err.txt"
ok "(a) the root-owned hook in that directory is refused too" -- \
	grep -q "prepare.d/10-safe' is not safe" "$TAP_TMP/err.txt"
ok "(a) the start is refused" -- grep -q "Not starting VM 'h': 2 unsafe prepare hooks" "$TAP_TMP/err.txt"
ok "(a) no hook ran" -- test ! -e "$TAP_TMP/a-safe" -a ! -e "$TAP_TMP/a-user"
ok "(a) QEMU was not started" -- test ! -e "$TAP_TMP/qemu-ran"
# The same user's hook in a 0755 directory: its owner alone refuses it.
chmod 0755 "$d"
run_gen "$r" vm run h
is "$rc" 2 "(a') uid 1000's hook in a 0755 prepare.d: vm run exits 2"
ok "(a') the error names its owner" -- \
	grep -q "prepare.d/20-user' is not safe to run as root: '/etc/gpt-bootcfg/hooks.d/h/prepare.d/20-user' is owned by uid 1000, not root" "$TAP_TMP/err.txt"
ok "(a') no hook ran" -- test ! -e "$TAP_TMP/a-safe" -a ! -e "$TAP_TMP/a-user"

# ---- (b) a root-owned 0666 hook ----
r=$(make_root)
d=$r/etc/gpt-bootcfg/hooks.d/h/prepare.d
hook "$d/10-wide" "$TAP_TMP/b"
chmod 0777 "$d/10-wide"
run_gen "$r" vm run h
is "$rc" 2 "(b) vm run exits 2"
ok "(b) the error names the hook and its mode" -- \
	grep -q "prepare.d/10-wide' has mode 0777: writable by others" "$TAP_TMP/err.txt"
ok "(b) it did not run" -- test ! -e "$TAP_TMP/b"
chmod 0775 "$d/10-wide"
run_gen "$r" vm run h
ok "(b') group-writable (0775) is refused as well" -- \
	grep -q "prepare.d/10-wide' has mode 0775: writable by its group" "$TAP_TMP/err.txt"
ok "(b') it did not run" -- test ! -e "$TAP_TMP/b"
# A parent directory above hooks.d: /etc/gpt-bootcfg writable by group.
chmod 0755 "$d/10-wide"
chmod 0775 "$r/etc/gpt-bootcfg"
run_gen "$r" vm run h
ok "(b'') a group-writable /etc/gpt-bootcfg refuses the hooks below it" -- \
	grep -q "'/etc/gpt-bootcfg' has mode 0775: writable by its group" "$TAP_TMP/err.txt"
ok "(b'') it did not run" -- test ! -e "$TAP_TMP/b"

# ---- (c) a symlink to a user's script ----
r=$(make_root)
d=$r/etc/gpt-bootcfg/hooks.d/h/prepare.d
mkdir -p "$r/home/user"
hook "$r/home/user/hook.sh" "$TAP_TMP/c"
chown -R 1000:1000 "$r/home/user"
ln -s ../../../../../home/user/hook.sh "$d/10-link"
run_gen "$r" vm run h
is "$rc" 2 "(c) vm run exits 2"
ok "(c) the error names the link and the user's directory" -- \
	grep -q "prepare.d/10-link' is not safe to run as root: '/home/user' is owned by uid 1000, not root" "$TAP_TMP/err.txt"
ok "(c) it did not run" -- test ! -e "$TAP_TMP/c"
# A user-owned script in a root-owned directory: the file's owner refuses it.
mkdir -p "$r/opt"
hook "$r/opt/user-hook" "$TAP_TMP/c2"
chown 1000:1000 "$r/opt/user-hook"
ln -sfn ../../../../../opt/user-hook "$d/10-link"
run_gen "$r" vm run h
ok "(c') a link to uid 1000's script in a root directory is refused" -- \
	grep -q "'/opt/user-hook' is owned by uid 1000, not root" "$TAP_TMP/err.txt"
ok "(c') it did not run" -- test ! -e "$TAP_TMP/c2"
# An absolute link is resolved below the root, as chroot would: to the user's script there.
ln -sfn /home/user/hook.sh "$d/10-link"
run_gen "$r" vm run h
ok "(c2) an absolute link to the user's script below the root is refused" -- \
	grep -q "prepare.d/10-link' is not safe to run as root: '/home/user' is owned by uid 1000, not root" "$TAP_TMP/err.txt"
ok "(c2) it did not run" -- test ! -e "$TAP_TMP/c"
ok "(c2) QEMU was not started" -- test ! -e "$TAP_TMP/qemu-ran"
# An absolute link to a script that exists only outside the root: never run from there.
hook "$TAP_TMP/host-hook" "$TAP_TMP/c3"
ln -sfn "$TAP_TMP/host-hook" "$d/10-link"
run_gen "$r" vm run h
ok "(c3) a link to a file outside the root: no such hook below the root" -- \
	grep -q "Hook '/etc/gpt-bootcfg/hooks.d/h/prepare.d/10-link' is not an executable file, ignoring" "$TAP_TMP/err.txt"
ok "(c3) the file outside the root did not run" -- test ! -e "$TAP_TMP/c3"
rm -f "$TAP_TMP/qemu-ran"

# ---- positive control: a link into root's ground runs, then QEMU is started ----
r=$(make_root)
d=$r/etc/gpt-bootcfg/hooks.d/h/prepare.d
mkdir -p "$r/usr/local/lib/hooks"
hook "$r/usr/local/lib/hooks/ok" "$TAP_TMP/p"
ln -s ../../../../../usr/local/lib/hooks/ok "$d/10-link"
run_gen "$r" vm run h
ok "safe link: the hook ran" -- test -e "$TAP_TMP/p"
ok "safe link: QEMU was started (and the fake one failed)" -- test -e "$TAP_TMP/qemu-ran"
ok "safe link: no hook was called unsafe" -- sh -c "! grep -q 'not safe' '$TAP_TMP/err.txt'"
rm -f "$TAP_TMP/qemu-ran"

# ---- release.d: the unsafe hook is skipped, the safe one runs, vm stop fails ----
r=$(make_root)
d=$r/etc/gpt-bootcfg/hooks.d/h/release.d
hook "$d/10-safe" "$TAP_TMP/r-safe"
hook "$d/20-user" "$TAP_TMP/r-user"
chown 1000 "$d/20-user"
run_gen "$r" vm stop h
is "$rc" 2 "release: vm stop exits 2"
ok "release: the error names the hook and says it is skipped" -- \
	grep -q "release.d/20-user' is not safe to run as root: .* owned by uid 1000, not root .*; skipping it" "$TAP_TMP/err.txt"
ok "release: the safe hook ran" -- test -e "$TAP_TMP/r-safe"
ok "release: the unsafe one did not" -- test ! -e "$TAP_TMP/r-user"

done_testing
