#!/bin/sh
# A FIFO where a file is read (issue 30, item 13): opening one for reading waits for a
# writer, forever. /etc/passwd, the state file, a managed file, a VM's runtime record, a
# /proc file and a sysfs attribute under --root, and the claim binary's claim list and
# /proc/cmdline: each is opened with O_NONBLOCK and refused for not being a regular file,
# once, in the path layer's read helpers (src/basic/path.c). Every command here must end
# on its own well within its bound (a hang is exit 124 from timeout); what it says then
# is checked per case.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server
CLAIM="$BUILD/asan/gpt-bootcfg-claim"

# bounded ROOT ARGS...: run_gen, killed after 60 s (a hang is rc 124).
bounded() {
	_root=$1; shift
	rc=0
	timeout -k 5 60 "$GPT_BOOTCFG" --root "$_root" "$@" >"$TAP_TMP/out.txt" \
		2>"$TAP_TMP/err.txt" || rc=$?
}
# fifo ROOT PATH: replace ROOT/PATH by a FIFO nobody writes to.
fifo() {
	mkdir -p "$(dirname "$1/$2")"
	rm -f "$1/$2"
	mkfifo "$1/$2"
}
vm_conf() {
	printf '[vm u]\nmemory = 128M\nhugepage-size = none\nvcpus = 1\nfirmware = bios\n' \
		>"$1/etc/gpt-bootcfg/gpt-bootcfg.conf"
	chmod 0644 "$1/etc/gpt-bootcfg/gpt-bootcfg.conf"
}
fresh() {
	_r=$(fixture_copy guide-server)
	mkdir -p "$_r/etc/gpt-bootcfg"
	echo "$_r"
}

# /etc/passwd: plan looks up QEMU's user.
r=$(fresh); vm_conf "$r"; fifo "$r" /etc/passwd
bounded "$r" plan
ok "/etc/passwd a FIFO: plan ends (rc $rc)" -- test "$rc" != 124
ok "/etc/passwd a FIFO: it is named as not readable" -- grep -q "/etc/passwd" "$TAP_TMP/out.txt" "$TAP_TMP/err.txt"

# A sysfs attribute (the GPU's class) and /proc/cmdline: list and plan read them.
r=$(fresh); vm_conf "$r"
gpu=$(readlink -f "$r/sys/bus/pci/devices/0000:65:00.0")
fifo "$r" "${gpu#"$r"}/class"
bounded "$r" list
ok "a sysfs attribute a FIFO: list ends (rc $rc)" -- test "$rc" != 124
r=$(fresh); vm_conf "$r"; fifo "$r" /proc/cmdline
bounded "$r" plan
ok "/proc/cmdline a FIFO: plan ends (rc $rc)" -- test "$rc" != 124
ok "/proc/cmdline a FIFO: the error names it" -- grep -q "cmdline" "$TAP_TMP/err.txt"

# The state file: status and revert read it.
r=$(fresh); vm_conf "$r"; fifo "$r" /var/lib/gpt-bootcfg/state
for verb in status "revert --yes"; do
	bounded "$r" $verb
	ok "the state file a FIFO: $verb ends (rc $rc)" -- test "$rc" != 124
	ok "the state file a FIFO: $verb fails" -- test "$rc" != 0
done

# A managed file: apply reads the claim list it wrote last (its generation) and the
# admin's file it takes over.
r=$(fresh); vm_conf "$r"; fifo "$r" /etc/gpt-bootcfg/claim.list
bounded "$r" apply --yes
ok "a managed file a FIFO: apply ends (rc $rc)" -- test "$rc" != 124
ok "a managed file a FIFO: apply refuses it, naming it" -- \
	grep -q "/etc/gpt-bootcfg/claim.list: not a regular file" "$TAP_TMP/err.txt"
ok "a managed file a FIFO: it is left as it was" -- test -p "$r/etc/gpt-bootcfg/claim.list"

# A VM's runtime records: vm status reads the pid file, vm stop the owners record.
r=$(fresh); vm_conf "$r"
fifo "$r" /run/gpt-bootcfg/u.pid
bounded "$r" vm status u
ok "the pid record a FIFO: vm status ends (rc $rc)" -- test "$rc" != 124
r=$(fresh); vm_conf "$r"
fifo "$r" /var/lib/gpt-bootcfg/u/owners
bounded "$r" vm stop u
ok "the owners record a FIFO: vm stop ends (rc $rc)" -- test "$rc" != 124
ok "the owners record a FIFO: vm stop fails" -- test "$rc" != 0

# The claim binary: the claim list and /proc/cmdline.
c=$(mktemp -d "$TAP_TMP/claim.XXXXXX")
mkdir -p "$c/proc" "$c/dev" "$c/sys/bus/pci/devices" "$c/etc/gpt-bootcfg"
: >"$c/dev/kmsg"
echo "root=/dev/vda1" >"$c/proc/cmdline"
fifo "$c" /etc/gpt-bootcfg/claim.list
rc=0; timeout -k 5 60 "$CLAIM" --root "$c" >"$TAP_TMP/log" 2>&1 || rc=$?
ok "claim.list a FIFO: the claim binary ends (rc $rc)" -- test "$rc" != 124
ok "claim.list a FIFO: the kernel log says the list cannot be read" -- \
	grep -q "cannot read claim list" "$c/dev/kmsg"
rm -f "$c/etc/gpt-bootcfg/claim.list"
echo "# empty" >"$c/etc/gpt-bootcfg/claim.list"
fifo "$c" /proc/cmdline
: >"$c/dev/kmsg"
rc=0; timeout -k 5 60 "$CLAIM" --root "$c" >"$TAP_TMP/log" 2>&1 || rc=$?
ok "/proc/cmdline a FIFO: the claim binary ends (rc $rc)" -- test "$rc" != 124
ok "/proc/cmdline a FIFO: the kernel log says it cannot be read" -- \
	grep -q "cannot read /proc/cmdline" "$c/dev/kmsg"
done_testing
