#!/bin/sh
# pre-udev, after gpt-bootcfg's hook (00): the drivers of the demo devices and whether a udevd
# runs, as the claim left them before udev starts. (No "driver=" here: the report's DEV lines
# alone have it.)
for gbtest_a in 0000:00:03.0 0000:00:04.0 0000:00:05.0 0000:00:06.0; do
	gbtest_d=none
	[ -L /sys/bus/pci/devices/$gbtest_a/driver ] &&
		gbtest_d=$(basename "$(readlink /sys/bus/pci/devices/$gbtest_a/driver)")
	echo "PREUDEV DEV $gbtest_a $gbtest_d"
done >/run/gbtest-preudev
gbtest_u=no
for gbtest_p in /proc/[0-9]*/comm; do
	case $(cat "$gbtest_p" 2>/dev/null) in systemd-udevd | udevd) gbtest_u=yes ;; esac
done
echo "PREUDEV udevd=$gbtest_u" >>/run/gbtest-preudev
unset gbtest_a gbtest_d gbtest_u gbtest_p
