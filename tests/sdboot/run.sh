#!/bin/bash
# The systemd-boot whole-system test (issue 26): a Debian 12 image with systemd-boot and
# kernel-install (tests/sdboot/lib.sh), booted through OVMF and systemd-boot under QEMU TCG
# with an emulated IOMMU and a qemu-xhci controller to claim, five boots that keep one OVMF
# variable store (LoaderEntryOneShot lives there):
#   1 install   dpkg -i the package, apply (the first apply is a trial): /etc/kernel/cmdline
#               unchanged, the trial entry on the ESP, LoaderEntryOneShot names it
#   2 trial     systemd-boot boots the trial entry once: the device is claimed, the health
#               unit promotes it (our line in /etc/kernel/cmdline, kernel-install's entries
#               regenerated with it, the trial entry gone)
#   3 promoted  the default entry claims; apply --trial a configuration that panics at boot
#   4 (panic)   systemd-boot boots that trial entry once; the kernel panics, QEMU exits
#   5 fallback  the default entry again by itself: nothing claimed (the list is generation
#               2), the trial recorded as failed (the consumed one-shot says it was tried);
#               revert gives /etc/kernel/cmdline back byte for byte, the entries without ours
# Output is TAP. Needs root. Environment: DEB (default: the newest under $BUILD/deb), BUILD,
# GPT_BOOTCFG_CACHE, SDBOOT_KEEP=1 keeps the work dir.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/system/lib.sh
. "$here/../system/lib.sh"
# shellcheck source=tests/sdboot/lib.sh
. "$here/lib.sh"

n=0
failed=0
tap() { # tap ok|not DESCRIPTION
	n=$((n + 1))
	if [ "$1" = ok ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
bail() { echo "Bail out! $*"; exit 1; }

[ "$(id -u)" = 0 ] || bail "the systemd-boot system test needs root (image build)"
( sd_require_tools ) 2>&1 | sed 's/^/# /'
( sd_require_tools ) >/dev/null 2>&1 || bail "missing tools (see above and tests/deps.txt)"
BUILD=${BUILD:-$SYS_TOP/build}
DEB=${DEB:-$(ls -t "$BUILD"/deb/gpt-bootcfg_*.deb 2>/dev/null | head -n1)}
[ -n "$DEB" ] && [ -f "$DEB" ] || bail "no package: run 'make deb' first (or set DEB=)"

WORK=$BUILD/sdboot-system
rm -rf "$WORK"
mkdir -p "$WORK"
trap 'sys_cleanup' EXIT
trap 'sys_cleanup; exit 130' INT TERM
START=$SECONDS

cp "$DEB" "$WORK/gpt-bootcfg.deb" || bail "cannot copy $DEB"
sd_build_image "$WORK/disk.img" >&2 || bail "cannot build the image"
sd_new_vars "$WORK/vars.fd"
echo "# image ready after $((SECONDS - START)) s"

# boot NAME TIMEOUT: one boot through OVMF and systemd-boot running stage_NAME.
boot() {
	local name=$1 tmo=$2 d=$WORK/$1 t0=$SECONDS
	mkdir -p "$d/ctl"
	cp "$here/guest.sh" "$d/ctl/guest.sh"
	cp "$WORK/gpt-bootcfg.deb" "$d/ctl/"
	printf 'R=$1\n: >"$R/results.txt"\n. ./guest.sh\nstage_%s\n' "$name" >"$d/ctl/stage.sh"
	make_ctl_disk "$d/ctl.img" "$d/ctl" || bail "cannot write the control disk"
	sys_log "boot $name (timeout $tmo s)"
	sd_boot "$WORK/disk.img" "$WORK/vars.fd" "$d/ctl.img" "$d/res.img" "$d/serial.log" "$tmo" \
		-device qemu-xhci,bus=pcie.0,addr=0x6
	BOOT_RC=$?
	echo "# boot $name took $((SECONDS - t0)) s (QEMU exit $BOOT_RC)"
	collect_results "$d/res.img" "$d/results"
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

boot install 900
report install || bail "install failed; later boots would prove nothing"
boot trial 900
report trial
boot promoted 900
report promoted

# Boot 4: the trial entry panics. Nothing runs in the guest; the serial log tells.
boot panic 300
d=$WORK/panic
if [ "$BOOT_RC" = 0 ]; then tap ok "panic: QEMU exited (panic=-1 reboots, -no-reboot stops)"; else
	tap not "panic: QEMU exited by itself (rc $BOOT_RC)"; fi
if grep -aq 'Command line:.*gpt_bootcfg.generation=2 gpt_bootcfg.trial=1' "$d/serial.log"; then
	tap ok "panic: systemd-boot booted trial entry generation 2 once"
else
	tap not "panic: systemd-boot booted trial entry generation 2 once"
fi
if grep -aq 'Kernel panic' "$d/serial.log"; then tap ok "panic: the trial kernel panicked"; else
	tap not "panic: the trial kernel panicked"
	sed 's/\x1b\[[0-9;]*[A-Za-z]//g; s/^/# /' "$d/serial.log" | tail -n 40
fi

boot fallback 900
report fallback

echo "# systemd-boot system test: $((SECONDS - START)) s"
echo "1..$n"
[ "${SDBOOT_KEEP:-0}" = 1 ] || [ $failed != 0 ] || rm -rf "$WORK"
[ $failed = 0 ]
