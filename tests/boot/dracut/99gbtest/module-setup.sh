#!/bin/bash
# Test-only dracut module (tests/boot/build-dracut.sh adds it with --add gbtest): the boot
# test's report. A pre-udev hook that runs after ours records what the claim left before
# udevd starts; once udev has settled, the report (tests/boot/report, the same as in the
# initramfs-tools images) prints the state as GBTEST lines on the console and powers off.

# called by dracut
check() {
	return 255
}

# called by dracut
depends() {
	return 0
}

# called by dracut
install() {
	inst_multiple sh cat sed cut ls tr basename readlink dmesg sleep
	inst_simple "$moddir/report" /usr/lib/gbtest/report
	inst_simple "$moddir/report-dracut" /usr/lib/gbtest/report-dracut
	inst_hook pre-udev 99 "$moddir/gbtest-preudev.sh"
	# initqueue/settled jobs run once "udevadm settle" returns (every host driver udev
	# loads has probed), but only while a finished hook is not satisfied: ours never is, so
	# the queue waits for the report, which powers the guest off.
	inst_hook initqueue/settled 99 "$moddir/gbtest-settled.sh"
	inst_hook initqueue/finished 99 "$moddir/gbtest-finished.sh"
	: >"$initdir/lib/dracut/need-initqueue"
}
