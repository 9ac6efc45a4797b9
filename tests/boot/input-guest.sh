#!/bin/sh
# check-boot input, inside the guest (busybox sh, from the report script): a uinput keyboard
# made here, a by-id link to its event node and "vm run" of the VM [vm kbd] whose "input" is
# that link (the overlay's gpt-bootcfg.conf). QEMU must hold the node open and have grabbed
# the keyboard until "vm stop". Every step is bounded: a hang must not keep the guest from
# its report and power-off.
export GPT_BOOTCFG_TEST_ACCEL=tcg
d=/run/gbtest qmp=/run/gpt-bootcfg/kbd.qmp kbd=/usr/lib/gbtest/uinput-kbd
link=/dev/input/by-id/gbtest-virtual-keyboard-event-kbd
mkdir -p $d
# shellcheck source=tests/boot/guest-lib.sh
. /usr/lib/gbtest/guest-lib.sh
load_modules
for n in uinput evdev; do [ -d /sys/module/$n ] && echo "module $n loaded"; done
[ -c /dev/uinput ] && echo "uinput node ok"
# The keyboard lives as long as its stdin (the sleep) or until SIGTERM. The sleep must not
# hold the report's output open (the report waits for its end), and is ended with the tool.
sh -c 'echo $$ >/run/gbtest/sleep.pid; exec sleep 600' 2>/dev/null | $kbd create >$d/kbd.node 2>$d/kbd.err &
kbdpid=$!
for _ in $(seq 30); do [ -s $d/kbd.node ] && break; sleep 1; done
node=$(cat $d/kbd.node)
echo "kbd node $node"
sed 's/^/KBD-ERR /' $d/kbd.err
[ -c "$node" ] && echo "kbd node is a character device"
mkdir -p /dev/input/by-id && ln -s "../${node##*/}" $link
echo "link $(readlink -f $link)"
echo "GRAB before $($kbd grab "$node")"

vm_start kbd
if [ $running = yes ]; then
	pid=$(cat /run/gpt-bootcfg/kbd.pid)
	echo "HELD $($kbd held "$pid" "$node" 2>&1)"
	timeout 30 /usr/lib/gbtest/qmp-query $qmp \
		'qom-get {"path":"/objects/input0","property":"evdev"}' \
		'qom-get {"path":"/objects/input0","property":"grab_all"}' \
		'qom-get {"path":"/objects/input0","property":"repeat"}' \
		'qom-get {"path":"/objects/input0","property":"grab-toggle"}' >$d/qom.json 2>$d/qom.err
	echo "qom-get exit $?"
	cat $d/qom.json
	sed 's/^/QMP-ERR /' $d/qom.err
	echo "GRAB running $($kbd grab "$node" 2>&1)"
fi
vm_stop_wait kbd
# The last steps poll with kill -0 and read files: a hanging tool must not keep the guest
# from its report.
$kbd grab "$node" >$d/grab2.out 2>&1 &
g=$!
gone $g || { echo "grab hangs"; kill -9 $g; }
echo "GRAB stopped $(cat $d/grab2.out)"
kill $kbdpid
gone $kbdpid || { echo "kbd still there"; kill -9 $kbdpid; }
kill "$(cat $d/sleep.pid)"
sed 's/^/KBD-ERR /' $d/kbd.err
[ -e "$node" ] && echo "kbd node left" || echo "kbd node gone"
sed 's/^/RUN /' $d/run.log
sed 's/^/STOP /' $d/stop.log
