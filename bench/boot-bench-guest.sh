#!/bin/sh
# Runs inside the boot-bench guest (busybox sh, init-premount, from tests/boot/report): waits
# until every target is on vfio-pci (udev has settled before init-premount, so this is only a
# guard), then prints the kernel's messages that time the boot: "KMSG [seconds] text" for the
# driver core's binds (dyndbg for drivers/base/dd.c on the command line), the start of /init
# and the initramfs unpacking, and the claim's own summary. bench/boot-times.py reads them.
devs="0000:00:03.0 0000:00:04.0 0000:00:05.0"
i=0
while :; do
	n=0
	for a in $devs; do
		drv=$(readlink "/sys/bus/pci/devices/$a/driver")
		[ "${drv##*/}" = vfio-pci ] && n=$((n + 1))
	done
	[ "$n" = 3 ] || [ "$i" -ge 300 ] && break
	sleep 0.1
	i=$((i + 1))
done
echo "BOUND $n of 3 after $i polls"
for a in /sys/bus/pci/devices/*; do
	drv=$(readlink "$a/driver")
	echo "DRIVER ${a##*/} ${drv##*/}"
done
dmesg | grep -e 'bound device' -e 'bound to device' -e 'Run /init' -e 'Trying to unpack' \
	-e 'Freeing initrd' -e 'gpt-bootcfg: .* devices on vfio-pci' -e 'vfio_pci: add' |
	sed 's/^/KMSG /'
