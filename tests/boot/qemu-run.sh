#!/bin/sh
# qemu-run.sh KDIR INITRD SERIAL_LOG TIMEOUT "EXTRA KERNEL ARGS"
# Boot the test kernel with an initramfs on the demo host: q35 under TCG with an Intel
# IOMMU, three target devices and one control NVMe at fixed addresses:
#   00:03.0 NVMe (target)   00:04.0 qemu-xhci (target)   00:05.0 ich9-intel-hda (target)
#   00:06.0 NVMe (control, must stay on nvme)
# no_timer_check: under a loaded TCG host the IO-APIC timer check can miss its window and
# panic ("timer doesn't work through Interrupt-remapped IO-APIC").
# -accel tcg,thread=single: with multi-threaded TCG, a 6.12 guest's second vCPU once ran
# code another vCPU was live-patching (an int3 "Oops" in sched_clock_idle_wakeup_event
# during boot): QEMU's invalidation of translated code races with the other vCPU's thread.
# One TCG thread runs both vCPUs in turn, so a patch is seen by the next instruction.
# The guest powers itself off; the timeout kills a guest that hangs (a failed boot waits
# in the initramfs shell forever). Exit status: QEMU's, or 124 on timeout.
# GBTEST_QEMU_EXTRA: more QEMU arguments (word-split), e.g. a disk for a scenario.
set -eu
kdir=$1 initrd=$2 log=$3 limit=$4 extra=${5:-}
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-run: qemu-system-x86_64 not found (see tests/deps.txt)" >&2; exit 1; }
rm -f "$log"
exec timeout -k 5 "$limit" qemu-system-x86_64 -machine q35 -accel tcg,thread=single -m 1536 -smp 2 \
	-nodefaults -no-user-config -display none -vga none -no-reboot \
	-device intel-iommu,intremap=on \
	-device nvme,serial=gbtarget,addr=03.0 \
	-device qemu-xhci,addr=04.0 \
	-device ich9-intel-hda,addr=05.0 \
	-device nvme,serial=gbcontrol,addr=06.0 \
	${GBTEST_QEMU_EXTRA:-} \
	-kernel "$kdir/vmlinuz" -initrd "$initrd" \
	-append "console=ttyS0 intel_iommu=on iommu=pt loglevel=4 panic=-1 no_timer_check $extra" \
	-serial "file:$log" </dev/null
