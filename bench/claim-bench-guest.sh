#!/bin/sh
# Runs inside the boot-test guest (busybox sh, after the initramfs claim): claims the same
# three devices again and again, alternately with gpt-bootcfg-claim and with an equivalent
# shell loop (identity check, driver_override, unbind, drivers_probe, verify), and prints
# "BENCH sh|bin ADDR MICROSECONDS" per device and round. Between runs every device goes
# back to its host driver so each claim has the same work to do.
rounds=${1:-5}
devs="0000:00:03.0 0000:00:04.0 0000:00:05.0"
claim=/usr/lib/gpt-bootcfg/gpt-bootcfg-claim
mkdir -p /run/gbtest
grep -v '^generation' /etc/gpt-bootcfg/claim.list >/run/gbtest/bench.list

us() { # microseconds from ash's $EPOCHREALTIME
	t=$EPOCHREALTIME
	echo "${t%.*}${t#*.}"
}

release() {
	for a in $devs; do
		d=/sys/bus/pci/devices/$a
		echo >"$d/driver_override"
		[ -L "$d/driver" ] && echo "$a" >"$d/driver/unbind"
		echo "$a" >/sys/bus/pci/drivers_probe
	done
}

sh_claim() { # the shell loop: same checks and writes as the binary
	while read -r a id sub class; do
		case $a in '#'* | '') continue ;; esac
		t0=$(us)
		d=/sys/bus/pci/devices/$a
		v=$(cat "$d/vendor" "$d/device" "$d/subsystem_vendor" "$d/subsystem_device" "$d/class" | tr '\n' ' ')
		if [ "$v" != "0x${id%:*} 0x${id#*:} 0x${sub%:*} 0x${sub#*:} 0x$class " ]; then
			echo "BENCH sh-mismatch $a $v"
			continue
		fi
		echo vfio-pci >"$d/driver_override"
		[ -L "$d/driver" ] && echo "$a" >"$d/driver/unbind"
		echo "$a" >/sys/bus/pci/drivers_probe
		drv=$(readlink "$d/driver")
		[ "${drv##*/}" = vfio-pci ] || echo "BENCH sh-failed $a ${drv##*/}"
		echo "BENCH sh $a $(($(us) - t0))"
	done </run/gbtest/bench.list
}

i=0
while [ $i -lt "$rounds" ]; do
	release
	sh_claim
	release
	t0=$(us)
	$claim --list /run/gbtest/bench.list --stderr 2>/run/gbtest/claim.log
	rc=$?
	t1=$(us)
	# Per device as the binary measures it ("claimed for vfio-pci in 1.23 ms").
	sed -n 's/^gpt-bootcfg: \([0-9a-f:.]*\): claimed for vfio-pci in \([0-9.]*\) ms.*/\1 \2/p' \
		/run/gbtest/claim.log | while read -r a ms; do
		echo "BENCH bin $a $(echo "$ms" | awk '{printf "%d", $1 * 1000}')"
	done
	echo "BENCH binproc exit=$rc $((t1 - t0))"
	i=$((i + 1))
done
