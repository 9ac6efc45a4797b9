#!/bin/bash
# The trial-boot system test (issue 8), through GRUB (never -kernel): a Debian 12 image under
# QEMU TCG with an emulated IOMMU and a qemu-xhci controller to claim, five boots:
#   1 setup     install, arm trial generation 1 (claim list, initramfs, grub.cfg, next_entry)
#   2 trial     GRUB boots the one-shot trial entry: the device is claimed, the health unit
#               promotes the trial (default entry carries generation 1, trial entry gone)
#   3 promoted  the default entry claims; arm trial generation 2 that panics at boot
#   4 (panic)   GRUB boots the trial entry once; the kernel panics, QEMU exits
#   5 fallback  the default entry (generation 1) again: nothing claimed (the claim list is
#               generation 2), the trial recorded as failed with why, status says so
# Output is TAP. Needs root; the image comes from tests/system/lib.sh's cache.
#
# Environment: BUILD (default build: gpt-bootcfg, gpt-bootcfg-claim, test-trial-arm are built
# there by "make check-trial-system"), GPT_BOOTCFG_CACHE, TRIAL_KEEP=1 keeps the work dir.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/system/lib.sh
. "$here/lib.sh"

n=0
failed=0
tap() { # tap ok|not DESCRIPTION
	n=$((n + 1))
	if [ "$1" = ok ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
bail() { echo "Bail out! $*"; exit 1; }

[ "$(id -u)" = 0 ] || bail "the trial system test needs root (image build)"
( sys_require_tools ) 2>&1 | sed 's/^/# /'
( sys_require_tools ) >/dev/null 2>&1 || bail "missing tools (see above and tests/deps.txt)"
BUILD=${BUILD:-$SYS_TOP/build}
for f in gpt-bootcfg gpt-bootcfg-claim test-trial-arm; do
	[ -x "$BUILD/$f" ] || bail "$BUILD/$f is missing: run 'make check-trial-system'"
done

WORK=$BUILD/system-trial
rm -rf "$WORK"
mkdir -p "$WORK"
trap 'sys_cleanup' EXIT
trap 'sys_cleanup; exit 130' INT TERM

build_image "$WORK/disk.img" >&2 || bail "cannot build the image"

# Files the setup boot installs (the built tree, not a package: this tests the trial parts).
files=$WORK/files
mkdir -p "$files"
cp "$BUILD/gpt-bootcfg" "$BUILD/gpt-bootcfg-claim" "$BUILD/test-trial-arm" "$files/"
cp "$SYS_TOP/initramfs-tools/hooks/gpt-bootcfg" "$files/hook"
cp "$SYS_TOP/initramfs-tools/scripts/init-top/gpt-bootcfg" "$files/init-top"
cp "$SYS_TOP/grub.d/42_gpt-bootcfg-trial" "$SYS_TOP/systemd/gpt-bootcfg-health.service" "$files/"

# boot NAME TIMEOUT: one boot through GRUB running stage_NAME (if the guest gets that far).
boot() {
	local name=$1 tmo=$2 d=$WORK/$1 rc
	mkdir -p "$d/ctl"
	cp "$here/test-trial-guest.sh" "$d/ctl/guest.sh"
	cp -a "$files" "$d/ctl/files"
	printf 'R=$1\n: >"$R/results.txt"\n. ./guest.sh\nstage_%s\n' "$name" >"$d/ctl/stage.sh"
	make_ctl_disk "$d/ctl.img" "$d/ctl" || bail "cannot write the control disk"
	sys_log "boot $name (timeout $tmo s)"
	local t0=$SECONDS
	boot_image --grub "$WORK/disk.img" "$d/ctl.img" "$d/res.img" "$d/serial.log" "$tmo" \
		-device qemu-xhci,bus=pcie.0,addr=0x6
	rc=$?
	sys_log "boot $name took $((SECONDS - t0)) s (exit $rc)"
	collect_results "$d/res.img" "$d/results"
	BOOT_RC=$rc
}

# report NAME: one TAP line per guest assertion; the serial log when any failed.
report() {
	local name=$1 d=$WORK/$1 bad=0 verdict rest
	if [ "$BOOT_RC" = 124 ]; then
		tap not "$name: the guest powered off by itself (killed after the timeout)"; bad=1
	else
		tap ok "$name: the guest powered off by itself"
	fi
	if [ ! -s "$d/results/results.txt" ]; then
		tap not "$name: the guest reported results"; bad=1
	else
		while read -r verdict rest; do
			if [ "$verdict" = PASS ]; then tap ok "$name: $rest"; else tap not "$name: $rest"; bad=1; fi
		done <"$d/results/results.txt"
	fi
	if [ $bad = 1 ]; then
		sed 's/\x1b\[[0-9;]*[A-Za-z]//g; s/^/# /' "$d/serial.log" | tail -n 80
		echo "# results and journal: $d/results"
	fi
	return $bad
}

boot setup 900
report setup || bail "setup failed; later boots would prove nothing"
boot trial 600
report trial
boot promoted 900
report promoted

# Boot 4: the trial entry panics. Nothing runs in the guest; the serial log tells.
boot panic 240
d=$WORK/panic
if [ "$BOOT_RC" = 0 ]; then tap ok "panic: QEMU exited (panic=-1 reboots, -no-reboot stops)"; else
	tap not "panic: QEMU exited by itself (rc $BOOT_RC)"; fi
if grep -q 'Command line:.*gpt_bootcfg.generation=2 gpt_bootcfg.trial=1' "$d/serial.log"; then
	tap ok "panic: GRUB booted trial entry generation 2 once"
else
	tap not "panic: GRUB booted trial entry generation 2 once"
fi
if grep -q 'Kernel panic' "$d/serial.log"; then tap ok "panic: the trial kernel panicked"; else
	tap not "panic: the trial kernel panicked"
	sed 's/^/# /' "$d/serial.log" | tail -n 40
fi

boot fallback 600
report fallback

echo "1..$n"
[ "${TRIAL_KEEP:-0}" = 1 ] || [ $failed != 0 ] || rm -rf "$WORK"
[ $failed = 0 ]
