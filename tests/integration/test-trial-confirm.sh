#!/bin/sh
# gpt-bootcfg confirm, by hand and as the health unit (--boot), on host trees below a
# temporary root. systemctl, journalctl and update-grub are stand-ins that answer from files
# in the tree (they only ever answer for the running host otherwise).
. "$(dirname "$0")/../lib/tap.sh"

command -v grub-editenv >/dev/null ||
	{ echo "Bail out! grub-editenv is missing: apt-get install grub-common (tests/deps.txt)"; exit 1; }

bin="$TAP_TMP/bin"
mkdir -p "$bin"
# systemctl is-active --quiet UNIT: active when ROOT/fake-active lists the unit.
cat >"$bin/systemctl" <<'EOF'
#!/bin/sh
[ "$1 $2" = "is-active --quiet" ] || exit 64
grep -qx "$3" "$FAKE_ROOT/fake-active"
EOF
# journalctl -D DIR --list-boots: ROOT/fake-boots; journalctl -D DIR -b -1: ROOT/fake-journal.
cat >"$bin/journalctl" <<'EOF'
#!/bin/sh
echo "$*" >>"$FAKE_ROOT/journalctl.args"
case "$*" in
*--list-boots*) f=fake-boots ;;
*) f=fake-journal ;;
esac
[ -e "$FAKE_ROOT/$f" ] || { echo "No journal files were found." >&2; exit 1; }
cat "$FAKE_ROOT/$f"
EOF
cat >"$bin/update-grub" <<'EOF'
#!/bin/sh
echo "$1" >>"$FAKE_ROOT/update-grub.calls"
EOF
chmod +x "$bin"/*

STATE=var/lib/gpt-bootcfg/trial
DROPIN='GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT intel_iommu=on gpt_bootcfg.generation=4"'

# mkroot: a host tree with a pending trial of generation 4 (default entry: 3), armed in boot
# "boot-armed", and two devices on vfio-pci. Prints the root.
mkroot() {
	_r=$(mktemp -d "$TAP_TMP/root.XXXXXX")
	mkdir -p "$_r/var/lib/gpt-bootcfg" "$_r/etc/gpt-bootcfg" "$_r/etc/default/grub.d" \
		"$_r/proc/sys/kernel/random" "$_r/sys/bus/pci/drivers/vfio-pci" \
		"$_r/sys/bus/pci/drivers/nouveau" "$_r/var/log/journal"
	for d in 0000:65:00.0 0000:65:00.1; do
		mkdir -p "$_r/sys/bus/pci/devices/$d"
		ln -s ../../drivers/vfio-pci "$_r/sys/bus/pci/devices/$d/driver"
	done
	cat >"$_r/$STATE" <<-'EOF'
		state=pending
		generation=4
		previous-generation=3
		armed-boot-id=boot-armed
		armed-time=1700000000
		param=intel_iommu=on
		param=hugepages=8
		device=0000:65:00.0
		device=0000:65:00.1
		unit=gpt-bootcfg-vm@win.service
	EOF
	echo "$DROPIN" >"$_r/var/lib/gpt-bootcfg/trial-grub.cfg"
	echo "intel_iommu=on gpt_bootcfg.generation=3" >"$_r/etc/default/grub.d/gpt-bootcfg.cfg"
	echo "intel_iommu=on hugepages=8 gpt_bootcfg.generation=4 gpt_bootcfg.trial=1" \
		>"$_r/etc/gpt-bootcfg/trial.cmdline"
	printf 'multi-user.target\ngpt-bootcfg-vm@win.service\n' >"$_r/fake-active"
	trial_boot "$_r"
	echo "$_r"
}
trial_boot() {
	echo "root=/dev/vda1 ro intel_iommu=on hugepages=8 gpt_bootcfg.generation=4 gpt_bootcfg.trial=1" \
		>"$1/proc/cmdline"
	echo boot-trial >"$1/proc/sys/kernel/random/boot_id"
}
default_boot() {
	echo "root=/dev/vda1 ro intel_iommu=on gpt_bootcfg.generation=3" >"$1/proc/cmdline"
	echo "${2:-boot-after}" >"$1/proc/sys/kernel/random/boot_id"
}

# gbc ROOT ARGS...: the CLI with the stand-ins; stdout+stderr in $TAP_TMP/out, exit in $rc.
gbc() {
	_r=$1
	shift
	FAKE_ROOT=$_r GPT_BOOTCFG_SYSTEMCTL="$bin/systemctl" GPT_BOOTCFG_JOURNALCTL="$bin/journalctl" \
		GPT_BOOTCFG_UPDATE_GRUB="$bin/update-grub" "$GPT_BOOTCFG" --root "$_r" "$@" \
		>"$TAP_TMP/cli.out" 2>&1
	rc=$?
}
state() { sed -n 's/^state=//p' "$1/$STATE"; }

# 1. Nothing to confirm.
r=$(mktemp -d "$TAP_TMP/empty.XXXXXX")
gbc "$r" confirm
is "$rc" 2 "no state: confirm by hand exits 2"
ok "no state: says so" -- grep -q "No trial pending (state: none)" "$TAP_TMP/cli.out"
gbc "$r" confirm --boot
is "$rc" 0 "no state: the health unit does nothing"
ok "no state: nothing written" -- test ! -e "$r/$STATE"

# 2. A healthy trial boot is promoted.
r=$(mkroot)
gbc "$r" confirm --boot
is "$rc" 0 "healthy trial: exit 0"
is "$(state "$r")" confirmed "healthy trial: confirmed"
is "$(cat "$r/etc/default/grub.d/gpt-bootcfg.cfg")" "$DROPIN" "the default entry gets the trial's drop-in"
ok "the trial entry's file is gone" -- test ! -e "$r/etc/gpt-bootcfg/trial.cmdline"
is "$(cat "$r/update-grub.calls")" "$r" "update-grub ran once for the root"
ok "decided in the trial boot" -- grep -qx "decided-boot-id=boot-trial" "$r/$STATE"
gbc "$r" confirm --boot
is "$rc:$(state "$r")" "0:confirmed" "a later boot leaves a confirmed trial alone"
gbc "$r" confirm
is "$rc" 2 "confirming twice by hand: exit 2"

# 3. An unhealthy trial boot: by hand nothing changes, the health unit records the failure.
r=$(mkroot)
rm "$r/sys/bus/pci/devices/0000:65:00.1/driver"
ln -s ../../drivers/nouveau "$r/sys/bus/pci/devices/0000:65:00.1/driver"
echo multi-user.target >"$r/fake-active"
cp "$r/$STATE" "$TAP_TMP/state.before"
gbc "$r" confirm
is "$rc" 1 "unhealthy, by hand: exit 1"
ok "names the device and its driver" -- \
	grep -q "Trial check failed: 0000:65:00.1 is bound to nouveau, not vfio-pci" "$TAP_TMP/cli.out"
ok "names the VM unit" -- grep -q "gpt-bootcfg-vm@win.service is not active" "$TAP_TMP/cli.out"
ok "by hand: state unchanged" -- cmp "$r/$STATE" "$TAP_TMP/state.before"
gbc "$r" confirm --boot
is "$rc" 1 "unhealthy, health unit: exit 1"
is "$(state "$r")" failed "unhealthy: failed"
ok "the failure is recorded" -- \
	grep -qx "failure=0000:65:00.1 is bound to nouveau, not vfio-pci" "$r/$STATE"
is "$(cat "$r/etc/default/grub.d/gpt-bootcfg.cfg")" "intel_iommu=on gpt_bootcfg.generation=3" \
	"a failed trial leaves the default entry alone"
ok "the failed trial's entry goes away" -- test ! -e "$r/etc/gpt-bootcfg/trial.cmdline"
ok "grub.cfg regenerated without it" -- test -s "$r/update-grub.calls"

# 4. The trial never confirmed (panic, hang): the next boot is the default entry.
r=$(mkroot)
default_boot "$r"
printf '%s\n' "Linux version 6.1.0-13-amd64" \
	"Command line: BOOT_IMAGE=/boot/vmlinuz root=/dev/vda1 gpt_bootcfg.generation=4 gpt_bootcfg.trial=1" \
	"Kernel panic - not syncing: VFS: Unable to mount root fs" >"$r/fake-journal"
printf '%s\n' "-2 0123456789abcdef0123456789abcdef Tue 2023-11-14 22:10:00 UTC—Tue 2023-11-14 22:13:20 UTC" \
	" -1 fedcba9876543210fedcba9876543210 Tue 2023-11-14 22:15:00 UTC—Tue 2023-11-14 22:15:20 UTC" \
	"  0 5555aaaa5555aaaa5555aaaa5555aaaa Tue 2023-11-14 22:16:00 UTC—Tue 2023-11-14 22:17:00 UTC" \
	>"$r/fake-boots"
mkdir -p "$r/boot/grub" && grub-editenv "$r/boot/grub/grubenv" set next_entry=gpt-bootcfg-trial
gbc "$r" confirm --boot
is "$rc" 1 "missed trial: exit 1"
is "$(state "$r")" failed "missed trial: failed"
ok "says the trial never confirmed" -- \
	grep -qx "failure=the trial boot never confirmed; this boot (boot-after) is the default entry" "$r/$STATE"
ok "says what the previous boot's journal shows" -- grep -qx \
	"failure=the previous boot was the trial; its journal ends with: Kernel panic - not syncing: VFS: Unable to mount root fs" \
	"$r/$STATE"
ok "journalctl read the root's journal" -- grep -q -- "^-D $r/var/log/journal -b -1" "$r/journalctl.args"
ok "journalctl listed the root's boots" -- grep -q -- "^-D $r/var/log/journal --list-boots" "$r/journalctl.args"
ok "says GRUB left next_entry" -- grep -q "^failure=GRUB did not consume next_entry" "$r/$STATE"
is "$(grub-editenv "$r/boot/grub/grubenv" list)" "" "the stale next_entry is removed"

# 5. Same, no journal of the previous boot.
r=$(mkroot)
default_boot "$r"
gbc "$r" confirm --boot
is "$rc:$(state "$r")" "1:failed" "missed trial without a journal: failed"
ok "says there is no journal" -- grep -q "^failure=no journal of the previous boot" "$r/$STATE"

# 6. The previous boot was not the trial entry at all.
r=$(mkroot)
default_boot "$r"
printf '%s\n' "Command line: root=/dev/vda1 gpt_bootcfg.generation=3" "Reached target Multi-User" \
	>"$r/fake-journal"
echo " -1 fedcba9876543210fedcba9876543210 Tue 2023-11-14 22:15:00 UTC" >"$r/fake-boots"
gbc "$r" confirm --boot
ok "says GRUB did not boot the trial" -- grep -qx \
	"failure=the previous boot was not the trial entry (no gpt_bootcfg.trial=1 on its command line)" \
	"$r/$STATE"

# 6b. The journal's previous boot is the arming one: the trial left no journal at all.
r=$(mkroot)
sed -i 's/^armed-boot-id=.*/armed-boot-id=0a1b2c3d-0000-4000-8000-0123456789ab/' "$r/$STATE"
default_boot "$r"
printf '%s\n' "IDX BOOT ID                          FIRST ENTRY" \
	" -1 0a1b2c3d0000400080000123456789ab Tue 2023-11-14 22:15:00 UTC" \
	"  0 5555aaaa5555aaaa5555aaaa5555aaaa Tue 2023-11-14 22:16:00 UTC" >"$r/fake-boots"
echo "Command line: root=/dev/vda1 gpt_bootcfg.generation=3" >"$r/fake-journal"
gbc "$r" confirm --boot
ok "says the trial left no journal" -- grep -q \
	"^failure=the journal has no boot between the one that armed the trial and this one" "$r/$STATE"

# 7. The arming boot itself (no reboot yet) decides nothing.
r=$(mkroot)
default_boot "$r" boot-armed
gbc "$r" confirm --boot
is "$rc:$(state "$r")" "0:pending" "before the reboot: still pending"

# 8. By hand outside the trial boot: refused, unless forced.
r=$(mkroot)
default_boot "$r"
gbc "$r" confirm
is "$rc:$(state "$r")" "2:pending" "by hand outside the trial: refused"
ok "says how" -- grep -q "not the trial of generation 4.*--force" "$TAP_TMP/cli.out"
gbc "$r" confirm --force
is "$rc:$(state "$r")" "0:confirmed" "--force promotes"
is "$(cat "$r/etc/default/grub.d/gpt-bootcfg.cfg")" "$DROPIN" "--force installs the drop-in"

# 9. Under --root without a systemctl stand-in the units cannot be checked: not a pass.
r=$(mkroot)
FAKE_ROOT=$r GPT_BOOTCFG_UPDATE_GRUB="$bin/update-grub" "$GPT_BOOTCFG" --root "$r" confirm \
	>"$TAP_TMP/cli.out" 2>&1
is "$?:$(state "$r")" "1:pending" "no systemctl under --root: not confirmed"
ok "says systemd could not be asked" -- grep -q "could not ask systemd" "$TAP_TMP/cli.out"

# 10. A corrupt state file: FILE:LINE:COL, nothing changed.
r=$(mkroot)
printf 'state=pending\ngeneration=four\n' >"$r/$STATE"
cp "$r/$STATE" "$TAP_TMP/state.before"
gbc "$r" confirm --boot
is "$rc" 2 "corrupt state: exit 2"
is "$(cat "$TAP_TMP/cli.out")" \
	"gpt-bootcfg: /var/lib/gpt-bootcfg/trial:2:12: not a decimal number 'four'" "one-line error"
ok "corrupt state: unchanged" -- cmp "$r/$STATE" "$TAP_TMP/state.before"

# 11. Options.
gbc "$r" confirm --timeout x
is "$rc" 2 "bad --timeout: exit 2"
ok "bad --timeout is named" -- grep -q "Invalid --timeout 'x'" "$TAP_TMP/cli.out"
gbc "$r" confirm --force --boot
is "$rc" 2 "--force with --boot: exit 2"
done_testing
