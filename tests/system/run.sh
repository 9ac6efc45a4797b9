#!/bin/bash
# The whole-system test (make check-system [SUITE=trixie]): a Debian 12 (or 13) image, the built
# .deb installed in it, four boots under QEMU TCG with an emulated IOMMU and emulated target
# devices:
#   1 install    dpkg -i, write the config, gpt-bootcfg apply   (direct kernel boot, original hw)
#   2 verify     targets on vfio-pci, control on its driver, status, the VM (Secure Boot, a
#                TPM 2.0 from swtpm) and its QMP, stop
#   3 swap       the NVMe slot holds a sound card: skipped, host boots, status says so; revert
#   4 reverted   nothing claimed, managed files and hook gone; dpkg --purge leaves nothing
# and a fifth, run by "make check-system-handover" (make check-wide) as SYSTEM_STAGES="install handover":
#   handover     one GPU (issue 27): a bochs-display, the guest's only display (bochs DRM,
#                fbcon), handed to a nested VM by vm run and back: vm stop, the runner
#                SIGKILLed, QEMU failing at start, a process holding /dev/dri/card0
# Every assertion prints PASS or FAIL; a failing boot prints the guest's serial log.
#
# Environment: DEB (the package, default: the newest under $BUILD/deb), BUILD (default build),
# SYSTEM_SUITE (bookworm, the default, or trixie: the image's Debian, tests/system/lib.sh),
# GPT_BOOTCFG_CACHE (image cache), SYSTEM_BUDGET (seconds for the boots, default 1500),
# SYSTEM_STAGES (default "install verify swap reverted"), SYSTEM_KEEP=1 keeps the work dir.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/system/lib.sh
. "$here/lib.sh"

[ "$(id -u)" = 0 ] || sys_die "the system test needs root (debootstrap, image ownership)"
sys_require_tools
BUILD=${BUILD:-$SYS_TOP/build}
DEB=${DEB:-$(ls -t "$BUILD"/deb/gpt-bootcfg_*.deb 2>/dev/null | head -n1)}
[ -n "$DEB" ] && [ -f "$DEB" ] || sys_die "no package: run 'make deb' first (or set DEB=)"
BUDGET=${SYSTEM_BUDGET:-1500}
STAGES=${SYSTEM_STAGES:-install verify swap reverted}
WORK=$BUILD/system$([ "$SYS_SUITE" = bookworm ] || echo "-$SYS_SUITE")
START=$(date +%s)

rm -rf "$WORK"
mkdir -p "$WORK"
trap 'sys_cleanup' EXIT
trap 'sys_cleanup; exit 130' INT TERM

# A private copy: a concurrent make deb must not pull the package from under a boot.
cp "$DEB" "$WORK/gpt-bootcfg.deb" || sys_die "cannot copy $DEB"
DEB=$WORK/gpt-bootcfg.deb
build_image "$WORK/disk.img" || sys_die "cannot build the image"
sys_log "image ready after $(($(date +%s) - START)) s"
# The budget bounds the boots: a first run's debootstrap (minutes, more on a busy host) is
# not theirs to pay for.
BOOTS_START=$(date +%s)
truncate -s 64M "$WORK/nvme.img"

# The emulated hardware: two targets and a control device of the same type as one of them,
# at fixed addresses (guest.sh knows them). "swapped" puts a sound card in the NVMe slot.
hardware() {
	local nvme_slot=(-drive "file=$WORK/nvme.img,format=raw,if=none,id=nvm"
		-device nvme,drive=nvm,serial=systest-nvme,addr=0x10)
	[ "$1" = swapped ] && nvme_slot=(-device ich9-intel-hda,addr=0x10)
	HW=("${nvme_slot[@]}" -device qemu-xhci,addr=0x11 -device qemu-xhci,addr=0x12)
	# One GPU (issue 27): the guest's only display, driven by bochs DRM with fbcon on it.
	[ "$1" = onegpu ] && HW+=(-device bochs-display,addr=0x13)
}

# The nested VM's boot sector: it prints MARKER on COM1 (QEMU's 16550 sends whatever is
# written to its transmit register; the VM's "-serial file:" records it), then enables the
# ACPI power button (PM1a_EN, port 0x602 on QEMU's q35), polls its status bit (PM1a_STS,
# 0x600) and requests soft-off (SLP_EN | SLP_TYP 0 to PM1a_CNT, 0x604). QEMU reports that as
# a guest shutdown, which is what "vm stop" waits for before it would fall back to quitting
# QEMU. The marker says which disk the VM's firmware booted.
boot_sector() { # FILE MARKER: a 512-byte sector
	printf '\x31\xc0\x8e\xd8' >"$1"                          # xor ax,ax; mov ds,ax
	printf '\xbe\x2d\x7c\xba\xf8\x03' >>"$1"                  # mov si,msg (0x7c2d); mov dx,0x3f8
	printf '\xac\x84\xc0\x74\x03\xee\xeb\xf8' >>"$1"          # 1: lodsb; test al,al; jz 2f; out; jmp 1b
	printf '\xba\x02\x06\xb8\x00\x01\xef' >>"$1"               # 2: mov dx,0x602; mov ax,0x100; out
	printf '\xba\x00\x06\xed\xa9\x00\x01\x74\xf7' >>"$1"       # 3: in 0x600; test 0x100; jz 3b
	printf '\xba\x04\x06\xb8\x00\x20\xef\xfa\xf4\xeb\xfe' >>"$1" # out 0x604 <- 0x2000; cli; hlt
	printf '%s\r\n\0' "$2" >>"$1"                              # msg, at offset 45
	truncate -s 510 "$1" && printf '\x55\xaa' >>"$1"
}

acpi_off_disk() { # FILE MARKER: a 1 MiB disk that boots the sector above
	boot_sector "$1" "$2" && truncate -s 1M "$1"
}

# The passed-through NVMe is the nested VM's OS disk, booted under Secure Boot: an EFI system
# partition (a whole-disk FAT, which OVMF boots through its removable-media path) with
# Debian's signed shim as \EFI\BOOT\BOOTX64.EFI and the signed GRUB beside it
# (tests/boot/fetch-secureboot.sh: never installed here). GRUB prints the marker and waits.
# The VM's default boot order (docs/config.md, "boot") puts the NVMe before the disk image.
sb=$("$SYS_TOP/tests/boot/fetch-secureboot.sh") || sys_die "cannot fetch the signed shim and GRUB"
printf 'serial --unit=0 --speed=115200\nterminal_output serial console\necho GPT-BOOTCFG-VM-BOOTED-NVME\nsleep 100000\n' \
	>"$WORK/grub.cfg"
{ mformat -i "$WORK/nvme.img" :: && mmd -i "$WORK/nvme.img" ::/EFI ::/EFI/BOOT &&
	mcopy -i "$WORK/nvme.img" "$sb/shimx64.efi" ::/EFI/BOOT/BOOTX64.EFI &&
	mcopy -i "$WORK/nvme.img" "$sb/grubx64.efi" ::/EFI/BOOT/grubx64.efi &&
	mcopy -i "$WORK/nvme.img" "$WORK/grub.cfg" ::/EFI/BOOT/grub.cfg; } ||
	sys_die "cannot write the NVMe's EFI system partition"

total_pass=0
total_fail=0

# run_stage NAME HARDWARE TIMEOUT BOOT: BOOT is --grub or --direct
run_stage() {
	local name=$1 hw=$2 tmo=$3 how=$4 left rc d=$WORK/$1
	left=$((BUDGET - ($(date +%s) - BOOTS_START)))
	[ "$left" -lt "$tmo" ] && tmo=$left
	if [ "$tmo" -le 30 ]; then
		echo "FAIL $name: the time budget of $BUDGET s is used up"
		total_fail=$((total_fail + 1))
		return 1
	fi
	mkdir -p "$d/ctl"
	cp "$here/guest.sh" "$here/gpt-bootcfg.conf" "$d/ctl/"
	cp "$DEB" "$d/ctl/gpt-bootcfg.deb"
	acpi_off_disk "$d/ctl/acpi-off.img" GPT-BOOTCFG-VM-BOOTED-DISK
	printf 'R=$1\n: >"$R/results.txt"\n. ./guest.sh\nstage_%s\n' "$name" >"$d/ctl/stage.sh"
	make_ctl_disk "$d/ctl.img" "$d/ctl" || sys_die "cannot write the control disk"
	hardware "$hw"
	sys_log "boot $name ($hw hardware, timeout $tmo s)"
	local t0
	t0=$(date +%s)
	boot_image "$how" "$WORK/disk.img" "$d/ctl.img" "$d/res.img" "$d/serial.log" "$tmo" "${HW[@]}"
	rc=$?
	collect_results "$d/res.img" "$d/results"
	local failed=0
	if [ $rc = 124 ]; then
		echo "FAIL $name: the guest did not power off within $tmo s (killed)"
		failed=1
	elif [ $rc != 0 ]; then
		echo "FAIL $name: QEMU exited with $rc"
		failed=1
	fi
	if [ ! -s "$d/results/results.txt" ]; then
		echo "FAIL $name: the guest reported no results"
		failed=1
	else
		while read -r verdict rest; do
			echo "$verdict $name/$rest"
			case $verdict in
			PASS) total_pass=$((total_pass + 1)) ;;
			*) total_fail=$((total_fail + 1)); failed=1 ;;
			esac
		done <"$d/results/results.txt"
	fi
	[ $rc = 124 ] || [ ! -s "$d/results/results.txt" ] && total_fail=$((total_fail + 1))
	sys_log "boot $name took $(($(date +%s) - t0)) s"
	if [ $failed = 1 ]; then
		echo "--- serial log of boot $name ($d/serial.log) ---"
		sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$d/serial.log"
		echo "--- end of serial log of boot $name; results and journal: $d/results ---"
	fi
	return $failed
}

for s in $STAGES; do
	case $s in
	# The first boot loads the debootstrap initramfs (MODULES=most, tens of MB): QEMU's
	# loader is much faster at that than GRUB's BIOS disk reads under TCG. From then on the
	# image's own GRUB boots the configuration apply wrote, as on a real machine.
	install) run_stage install original 900 --direct ;;
	verify) run_stage verify original 900 --grub ;;
	handover) run_stage handover onegpu 900 --grub ;;
	swap) run_stage swap swapped 900 --grub ;;
	reverted) run_stage reverted original 900 --grub ;;
	*) sys_die "unknown stage $s" ;;
	esac
	# A failed install leaves nothing for the later boots to check.
	if [ "$s" = install ] && { [ ! -s "$WORK/install/results/results.txt" ] ||
		grep -q '^FAIL \(dpkg-install\|apply\)' "$WORK/install/results/results.txt"; }; then
		echo "FAIL: the package was not installed and applied; the later boots are not run"
		total_fail=$((total_fail + 1))
		break
	fi
done

elapsed=$(($(date +%s) - START))
echo "system test ($SYS_SUITE): $total_pass passed, $total_fail failed in $elapsed s, boots $(($(date +%s) - BOOTS_START)) s (budget $BUDGET s)"
[ "${SYSTEM_KEEP:-0}" = 1 ] || [ $total_fail != 0 ] || rm -rf "$WORK"
[ $total_fail = 0 ]
