#!/bin/sh
# check-boot usbhost, inside the guest (busybox sh, from the report script): the emulated USB
# keyboard on the guest's own xHCI (00:08.0, not a claim target) handed to a VM through
# "usb-devices = VID:PID" together with an id no device has and the id of QEMU's usb-serial
# (an FTDI FT232), which the host plugs in while the VM runs ("PLUG" below). Everything about
# the devices (ids, bus, address, product, interface driver) is read here from sysfs and
# printed, so the host side compares QEMU's view with the guest kernel's, never with numbers
# of its own.
# Every step is bounded: a hang must not keep the guest from its report and power-off.
export GPT_BOOTCFG_TEST_ACCEL=tcg
d=/run/gbtest qmp=/run/gpt-bootcfg/usb.qmp absent=046d:c52b later=0403:6001
mkdir -p $d
# shellcheck source=tests/boot/guest-lib.sh
. /usr/lib/gbtest/guest-lib.sh
t0=$(up)
load_modules
for n in xhci_pci usbhid hid_generic; do [ -d /sys/module/$n ] && echo "module $n loaded"; done

# The first device behind the root hub of 00:08.0 (its bus is whatever number the kernel
# gave it), once its interface has a driver: enumeration and probing are asynchronous.
ifdrv() { l=$(readlink "/sys/bus/usb/devices/$1/driver") && echo "${l##*/}" || echo none; }
dev='' intf=''
for _ in $(seq 60); do
	for r in /sys/bus/pci/devices/0000:00:08.0/usb*; do
		[ -d "$r" ] || continue
		b=${r##*/usb}
		[ -d "$r/$b-1" ] && dev=$b-1 intf=$b-1:1.0
	done
	[ -n "$dev" ] && [ "$(ifdrv $intf)" != none ] && break
	sleep 1
done
s=/sys/bus/usb/devices/$dev
id=$(cat $s/idVendor):$(cat $s/idProduct)
bus=$(cat $s/busnum) addr=$(cat $s/devnum)
node=$(printf '/dev/bus/usb/%03d/%03d' "$bus" "$addr")
echo "USB dev $dev id $id bus $bus addr $addr"
echo "USB product $(cat $s/product)"
echo "USB node $node $([ -c "$node" ] && echo char)"
echo "IFDRV before $(ifdrv $intf)"

# QEMU runs as an unprivileged user gbqemu (the overlay's /etc/passwd), as the Debian
# package's gpt-bootcfg-qemu would: vm run must hand it the keyboard's node; the overlay's
# udev rule gives it the node of the device plugged in later, as docs/config.md advises.
# The config is written here: it names the id read above.
umask 022
mkdir -p /etc/gpt-bootcfg
cat >/etc/gpt-bootcfg/gpt-bootcfg.conf <<CONF
# check-boot usbhost: the keyboard on the guest's xHCI, and a receiver not plugged in.
[vm usb]
memory = 64M
hugepage-size = none
vcpus = 1
firmware = bios
stop-timeout = 3
user = gbqemu
usb-devices = $id $absent $later
CONF
echo "NODE before $(ls -ln $node | awk '{print $3, $4}')"
timeout 30 gpt-bootcfg vm command usb >$d/command.txt 2>&1
echo "vm command exit $?"
sed 's/^/CMD /' $d/command.txt

vm_start usb
if [ $running = yes ]; then
	pid=$(cat /run/gpt-bootcfg/usb.pid)
	echo "QEMU user $(awk '/^Uid:/ {print $2}' /proc/$pid/status)"
	echo "NODE running $(ls -ln $node | awk '{print $3, $4}')"
	# usb-host attaches from a timer after QEMU starts, and SeaBIOS addresses the device on
	# the VM's xHCI (the address becomes the slot number): poll for both.
	for _ in $(seq 60); do
		timeout 30 /usr/lib/gbtest/qmp-query $qmp \
			'human-monitor-command {"command-line":"info usb"}' >$d/info.json 2>$d/qmp.err
		rc=$?
		grep -q 'Device 0\.[1-9][0-9]*, .*ID: usbhost0' $d/info.json && break
		sleep 1
	done
	echo "info usb exit $rc at $(up) s"
	cat $d/info.json
	sed 's/^/QMP-ERR /' $d/qmp.err
	# The host devices as QEMU's libusb sees them, and which usb-host device is attached.
	timeout 30 /usr/lib/gbtest/qmp-query $qmp \
		'human-monitor-command {"command-line":"info usbhost"}' \
		'qom-get {"path":"/machine/peripheral/usbhost0","property":"attached"}' \
		'qom-get {"path":"/machine/peripheral/usbhost1","property":"attached"}' >$d/qom.json 2>$d/qom.err
	echo "qom-get exit $?"
	cat $d/qom.json
	sed 's/^/QMP-ERR /' $d/qom.err
	for f in /proc/$pid/fd/*; do
		l=$(readlink $f) && case $l in /dev/bus/usb/*) echo "QEMU FD $l" ;; esac
	done
	echo "IFDRV running $(ifdrv $intf)"

	# The host plugs QEMU's usb-serial into 00:08.0 when it reads this line on the serial
	# console: the second device there. Written to the console itself, since the report's
	# sed holds back what it prints.
	echo "gbtest-usbhost: plug usb-serial" >/dev/console
	echo "PLUG asked at $(up) s"
	pdev=''
	for _ in $(seq 60); do
		for r in /sys/bus/pci/devices/0000:00:08.0/usb*/*-*; do
			case ${r##*/} in *:* | "$dev") continue ;; esac
			[ -r "$r/idVendor" ] && pdev=${r##*/}
		done
		[ -n "$pdev" ] && break
		sleep 1
	done
	p=/sys/bus/usb/devices/$pdev
	pnode=$(printf '/dev/bus/usb/%03d/%03d' "$(cat $p/busnum)" "$(cat $p/devnum)")
	echo "PLUGGED dev $pdev id $(cat $p/idVendor):$(cat $p/idProduct) bus $(cat $p/busnum) addr $(cat $p/devnum)"
	echo "PLUGGED product $(cat $p/product)"
	# udev applies the rule, then tells libusb (in QEMU) of the device: poll for QEMU's view.
	for _ in $(seq 60); do
		timeout 30 /usr/lib/gbtest/qmp-query $qmp \
			'qom-get {"path":"/machine/peripheral/usbhost2","property":"attached"}' >$d/plug.json 2>$d/plug.err
		rc=$?
		grep -q '"return": true' $d/plug.json && break
		sleep 1
	done
	echo "plug qom-get exit $rc at $(up) s"
	timeout 30 /usr/lib/gbtest/qmp-query $qmp \
		'human-monitor-command {"command-line":"info usb"}' \
		'qom-get {"path":"/machine/peripheral/usbhost0","property":"attached"}' \
		'qom-get {"path":"/machine/peripheral/usbhost1","property":"attached"}' \
		'qom-get {"path":"/machine/peripheral/usbhost2","property":"attached"}' >>$d/plug.json 2>>$d/plug.err
	sed 's/^/PLUG-QMP /' $d/plug.json
	sed 's/^/QMP-ERR /' $d/plug.err
	echo "PLUGGED node $pnode $(ls -ln $pnode | awk '{print $3, $4}')"
	for f in /proc/$pid/fd/*; do
		l=$(readlink $f) && case $l in /dev/bus/usb/*) echo "QEMU FD2 $l" ;; esac
	done
fi
vm_stop_wait usb
# QEMU gives the interface back as it quits; probing is asynchronous.
for _ in $(seq 20); do [ "$(ifdrv $intf)" = usbhid ] && break; sleep 1; done
echo "IFDRV after $(ifdrv $intf)"
echo "USB after $(cat $s/idVendor):$(cat $s/idProduct) bus $(cat $s/busnum) addr $(cat $s/devnum)"
echo "NODE after $(ls -ln $node | awk '{print $3, $4}')"
sed 's/^/RUN /' $d/run.log
sed 's/^/STOP /' $d/stop.log
echo "usbhost done in $t0 -> $(up) s"
