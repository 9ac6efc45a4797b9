#!/bin/sh
# One GPU (issue 27): vm run of a VM passing a handover = yes GPU, on a copy of the guide
# server made a one-GPU host (tests/lib/setup.sh one_gpu_root), with the kernel's side of
# bind/unbind played by tests/lib/fakesysfs.c, a stand-in systemctl that logs its calls
# and keeps the display manager's state in a file, a frame buffer console (vtcon1), a
# simple-framebuffer platform device, and a stand-in QEMU that speaks QMP. Cases:
#  - run: the record is written, the display manager stopped, vtcon1 unbound, the firmware
#    frame buffer released, the GPU and its audio function (group mate) on vfio-pci;
#  - vm stop: all given back (host drivers, vtcon1 bound, display manager started, no record;
#    also when fbcon's console came back under another number);
#  - the runner SIGKILLed while QEMU runs: everything stays handed over, vm stop gives it
#    back from the record;
#  - QEMU exiting at once, and a QEMU that never answers (handover-timeout = 2): given back;
#  - a process holding /dev/dri/card1 (a fake /proc entry in the root: the path layer reads
#    the root's /proc): refused after handover-timeout naming pid and command, nothing left
#    changed (the display manager started again).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/setup.sh"

need_fixture guide-server
need_tools python3 timeout
FAKE="$BUILD/asan/fakesysfs.so"
[ -f "$FAKE" ] || { echo "Bail out! $FAKE not built (make asan)"; exit 1; }
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"
GPU=0000:65:00.0 AUDIO=0000:65:00.1

r=$(fixture_copy guide-server)
one_gpu_root "$r"
set_cpus "$r" "0-$(($(nproc) - 1))"
mkdir -p "$r/etc/gpt-bootcfg" "$r/sys/bus/pci/drivers/vfio-pci" "$r/var/lib/gpt-bootcfg/win" \
	"$r/sys/class/vtconsole/vtcon0" "$r/sys/class/vtconsole/vtcon1" \
	"$r/sys/bus/platform/drivers/simple-framebuffer" "$r/sys/bus/platform/devices/simple-framebuffer.0"
: >"$r/sys/bus/pci/drivers/vfio-pci/bind"; : >"$r/sys/bus/pci/drivers/vfio-pci/unbind"
echo "(S) dummy device" >"$r/sys/class/vtconsole/vtcon0/name"
echo 0 >"$r/sys/class/vtconsole/vtcon0/bind"
echo "(M) frame buffer device" >"$r/sys/class/vtconsole/vtcon1/name"
echo 1 >"$r/sys/class/vtconsole/vtcon1/bind"
: >"$r/sys/bus/platform/drivers/simple-framebuffer/unbind"
: >"$r/sys/bus/platform/drivers/simple-framebuffer/bind"
ln -s ../../drivers/simple-framebuffer "$r/sys/bus/platform/devices/simple-framebuffer.0/driver"
: >"$r/dev/kmsg"
echo pc-q35-7.2 >"$r/var/lib/gpt-bootcfg/win/machine"
echo 6a1c2f0e-58d4-4b8e-9c1d-3f2a7b9e0d15 >"$r/var/lib/gpt-bootcfg/win/uuid"
cat >"$r/etc/gpt-bootcfg/gpt-bootcfg.conf" <<'CONF'
[device gpu]
address = 0000:65:00.0
handover = yes
[device gpu-audio]
address = 0000:65:00.1
[vm win]
devices = gpu gpu-audio
memory = 128M
hugepage-size = none
vcpus = 1
vcpu-pins = 0
firmware = bios
user = root
stop-timeout = 3
handover-timeout = 2
display-manager = gdm.service
CONF
chmod 0644 "$r/etc/gpt-bootcfg/gpt-bootcfg.conf"
rec=$r/run/gpt-bootcfg/win.handover

# The stand-in systemctl: is-active/stop/start of one unit, each call logged.
echo active >"$TAP_TMP/dm.state"
cat >"$TAP_TMP/systemctl" <<EOF2
#!/bin/sh
echo "\$*" >>"$TAP_TMP/systemctl.log"
case \$1 in
is-active) [ "\$(cat "$TAP_TMP/dm.state")" = active ] ;;
stop) echo inactive >"$TAP_TMP/dm.state" ;;
start) echo active >"$TAP_TMP/dm.state" ;;
esac
EOF2
chmod +x "$TAP_TMP/systemctl"
export GPT_BOOTCFG_SYSTEMCTL=$TAP_TMP/systemctl

# The stand-in QEMU: $TAP_TMP/behaviour says serve (QMP until system_powerdown or quit),
# exit (status 1 at once) or silent (never answers).
cat >"$TAP_TMP/fake-qemu" <<EOF2
#!/bin/sh
echo \$\$ >"$TAP_TMP/fake.pid"
fd=\$(printf '%s\n' "\$@" | sed -n 's/^socket,id=qmp,fd=\([0-9]*\),server=on,wait=off\$/\1/p')
case \$(cat "$TAP_TMP/behaviour") in
exit) exit 1 ;;
silent) exec sleep 600 ;;
esac
exec python3 - "\$fd" <<'PY'
import json, os, socket, sys
ls = socket.socket(fileno=int(sys.argv[1]))
while True:
    c, _ = ls.accept()
    f = c.makefile("rw")
    f.write(json.dumps({"QMP": {"version": {}, "capabilities": []}}) + "\n"); f.flush()
    for line in f:
        cmd = json.loads(line).get("execute")
        ret = [{"cpu-index": 0, "thread-id": os.getpid()}] if cmd == "query-cpus-fast" else {}
        f.write(json.dumps({"return": ret}) + "\n"); f.flush()
        if cmd in ("system_powerdown", "quit"):
            sys.exit(0)
PY
EOF2
chmod +x "$TAP_TMP/fake-qemu"
export GPT_BOOTCFG_QEMU=$TAP_TMP/fake-qemu

drv() { basename "$(readlink "$r/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null || echo none; }
state() { # the host's side in one line
	echo "gpu=$(drv $GPU) audio=$(drv $AUDIO) vtcon1=$(cat "$r/sys/class/vtconsole/vtcon1/bind") dm=$(cat "$TAP_TMP/dm.state")"
}
HOST="gpu=nouveau audio=snd_hda_intel vtcon1=1 dm=active"
GUEST="gpu=vfio-pci audio=vfio-pci vtcon1=0 dm=inactive"
gen() { FAKESYSFS_ROOT=$r LD_PRELOAD=$FAKE "$GPT_BOOTCFG" --root "$r" "$@"; }
start_vm() { # BEHAVIOUR: vm run in the background; returns once QEMU runs (or vm run ended)
	echo "$1" >"$TAP_TMP/behaviour"
	rm -f "$TAP_TMP/fake.pid" "$TAP_TMP/systemctl.log"
	FAKESYSFS_ROOT=$r LD_PRELOAD=$FAKE timeout 120 sh -c 'echo $$ >"$1"; shift; exec "$@"' sh \
		"$TAP_TMP/vm.pid" "$GPT_BOOTCFG" --root "$r" vm run win >"$TAP_TMP/run.out" 2>&1 &
	run_pid=$!
	while kill -0 $run_pid 2>/dev/null && ! grep -q "Started QEMU" "$TAP_TMP/run.out"; do sleep 0.1; done
	while kill -0 $run_pid 2>/dev/null && ! grep -q "^is-active\|running\|exited\|did not" "$TAP_TMP/run.out" && [ ! -S "$r/run/gpt-bootcfg/win.qmp" ]; do sleep 0.1; done
	sleep 0.5
}
cleanup() { [ -f "$TAP_TMP/fake.pid" ] && kill -9 "$(cat "$TAP_TMP/fake.pid")" 2>/dev/null; }
trap cleanup EXIT

is "$(state)" "$HOST" "before: the host drives its GPU"

# ---- run, then vm stop ----
start_vm serve
is "$(state)" "$GUEST" "run: GPU and audio on vfio-pci, vtcon1 unbound, display manager stopped"
is "$(sed -n 1p "$TAP_TMP/systemctl.log")" "is-active --quiet gdm.service" "run: asked whether the display manager runs"
is "$(sed -n 2p "$TAP_TMP/systemctl.log")" "stop gdm.service" "run: stopped the configured display manager"
is "$(cat "$rec" | tr '\n' ' ')" "dm gdm.service vtcon vtcon1 fb simple-framebuffer.0 simple-framebuffer pci $GPU nouveau pci $AUDIO snd_hda_intel " \
	"run: the record holds what was changed and how it was"
is "$(cat "$r/sys/bus/platform/drivers/simple-framebuffer/unbind")" simple-framebuffer.0 "run: the firmware frame buffer released"
ok "run: vm status says the devices are handed over" -- sh -c \
	"'$GPT_BOOTCFG' --root '$r' vm status win | grep -q 'handover: the host.s devices are handed to the VM'"
gen vm stop win >"$TAP_TMP/stop.out" 2>&1
is "$?" 0 "vm stop exits 0"
wait $run_pid
is "$?" 0 "vm run exits 0"
is "$(state)" "$HOST" "after vm stop: host drivers, vtcon1 and the display manager back"
is "$(tail -n1 "$TAP_TMP/systemctl.log")" "start gdm.service" "after vm stop: the display manager started"
ok "after vm stop: no record" -- test ! -e "$rec"
is "$(cat "$r/sys/bus/pci/devices/$GPU/driver_override")" "" "after vm stop: driver_override cleared"

# ---- fbcon's console back under another number (its frame buffer went with the driver) ----
start_vm serve
mv "$r/sys/class/vtconsole/vtcon1" "$r/sys/class/vtconsole/vtcon2"
gen vm stop win >"$TAP_TMP/stop.out" 2>&1
wait $run_pid
is "$(cat "$r/sys/class/vtconsole/vtcon2/bind")" 1 "renumbered console: the frame buffer console bound again"
ok "renumbered console: no record" -- test ! -e "$rec"
mv "$r/sys/class/vtconsole/vtcon2" "$r/sys/class/vtconsole/vtcon1"

# ---- the runner killed ----
start_vm serve
kill -KILL "$(cat "$TAP_TMP/vm.pid")"
wait $run_pid
is "$(state)" "$GUEST" "SIGKILL: still handed over while QEMU runs"
ok "SIGKILL: the record stays" -- test -e "$rec"
gen vm stop win >"$TAP_TMP/stop.out" 2>&1
is "$?" 0 "SIGKILL: vm stop exits 0"
is "$(state)" "$HOST" "SIGKILL: vm stop gave everything back from the record"
ok "SIGKILL: no record" -- test ! -e "$rec"

# ---- the watchdog ----
start_vm exit
wait $run_pid
is "$?" 2 "QEMU exits at once: vm run exits 2"
is "$(state)" "$HOST" "QEMU exits at once: given back"
ok "QEMU exits at once: no record" -- test ! -e "$rec"
start_vm silent
wait $run_pid
is "$?" 2 "QEMU never answers: vm run exits 2"
ok "QEMU never answers: the watchdog's 2 s named" -- grep -q "did not answer within 2 s" "$TAP_TMP/run.out"
is "$(state)" "$HOST" "QEMU never answers: given back"
ok "QEMU never answers: no record" -- test ! -e "$rec"

# ---- a process holds the DRM node ----
mkdir -p "$r/proc/4242/fd"
ln -s /dev/dri/card1 "$r/proc/4242/fd/7"
echo kmscube >"$r/proc/4242/comm"
start_vm serve
wait $run_pid
is "$?" 2 "DRM node held: vm run exits 2"
ok "DRM node held: the holder named" -- grep -q "the GPU is still in use after 2 s: pid 4242 (kmscube) holds /dev/dri/card1" "$TAP_TMP/run.out"
ok "DRM node held: QEMU not started" -- sh -c "! grep -q 'Started QEMU' '$TAP_TMP/run.out'"
is "$(state)" "$HOST" "DRM node held: nothing left changed"
is "$(tail -n1 "$TAP_TMP/systemctl.log")" "start gdm.service" "DRM node held: the display manager started again"
ok "DRM node held: no record" -- test ! -e "$rec"
rm -rf "$r/proc/4242"

# ---- the host driver does not come back ----
start_vm serve
mkdir -p "$r/.fakesysfs" && : >"$r/.fakesysfs/fail-$GPU-nouveau"
gen vm stop win >"$TAP_TMP/stop.out" 2>&1
wait $run_pid
ok "no host driver: said on the kernel log" -- grep -q "^<3>gpt-bootcfg: VM 'win': the host did not get everything back: $GPU not back on nouveau" "$r/dev/kmsg"
ok "no host driver: vm status says so" -- sh -c \
	"'$GPT_BOOTCFG' --root '$r' vm status win | grep -q 'handover: NOT GIVEN BACK: .*$GPU not back on nouveau'"
is "$(cat "$r/sys/class/vtconsole/vtcon1/bind") $(cat "$TAP_TMP/dm.state")" "1 active" "no host driver: the console and the display manager back anyway"
rm -f "$r/.fakesysfs/fail-$GPU-nouveau"
gen vm stop win >"$TAP_TMP/stop.out" 2>&1
is "$(state)" "$HOST" "no host driver: the next vm stop retries from the record"
ok "no host driver: the failure note goes with it" -- test ! -e "$r/run/gpt-bootcfg/win.handover-failed"
done_testing
