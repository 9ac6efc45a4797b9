#!/bin/sh
# check-tpm.sh: the TPM of tpm = yes (issue 24) is a TPM 2.0 a guest uses, and it persists.
# The real `vm run` (TCG) starts swtpm as QEMU's user (nobody, from the root's etc/passwd)
# and then QEMU, which boots Debian's kernel with a small initramfs: busybox, tpm2-tools with
# their libraries, and the TPM modules when Debian's kernel has them as modules (derived
# from its modules.dep; 6.1 has tpm_crb and tpm_tis built in). SeaBIOS, not OVMF, to keep
# the four boots short: the guest finds the TPM by QEMU's ACPI table either way (OVMF with
# Secure Boot boots in tests/integration/test-vm-secureboot.sh). The guest prints what it
# sees on the serial port (GBTPM lines):
#   boot 1: /sys/class/tpm/tpm0 is version 2, the EK certificate is in its NV index, the
#           guest defines an NV index, writes a value the test chose and powers off (vm run
#           ends with the guest; no swtpm is left)
#   boot 2: the index holds that value (the state persisted); swtpm and its socket are
#           nobody's; the runner is killed (SIGKILL) while QEMU runs: a second vm run is
#           refused and starts no second swtpm; vm stop ends QEMU, and swtpm with it
#   run 3:  the runner is killed right after swtpm started (a fault point), before QEMU
#   boot 4: vm run ends the swtpm run 3 left, starts its own, the value is still there;
#           vm stop; no swtpm left
# TAP. GPT_BOOTCFG_CACHE: the kernel's cache (fetch-kernel.sh).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/setup.sh"

fx=guide-server
need_fixture $fx
need_tools qemu-system-x86_64 swtpm swtpm_setup tpm2 busybox cpio python3 jq modprobe
if [ ! -f /usr/share/OVMF/OVMF_CODE_4M.fd ]; then
	ok "OVMF is installed (package ovmf, tests/deps.txt)" -- false
	done_testing; exit
fi
limit=${GPT_BOOTCFG_BOOT_TIMEOUT:-300}
kdir=$("$TOP/tests/boot/fetch-kernel.sh" bookworm) || {
	ok "Debian's kernel fetched (tests/boot/fetch-kernel.sh)" -- false
	done_testing; exit
}
kver=$(cat "$kdir/version")
echo "# kernel $kver: $kdir"

runs=""
cleanup() {
	for p in $runs; do kill -9 "$p" 2>/dev/null; done
	[ -n "${r:-}" ] || return
	for p in "$r"/run/gpt-bootcfg/*.pid; do
		[ -s "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null
	done
}
trap cleanup EXIT

# ---- the root: QEMU as nobody must reach its files (the test's directories are 0700) ----
r=$(fixture_copy $fx)
chmod 0711 "$TAP_TMP" "$r"
mkdir -p "$r/usr/share/OVMF" "$r/data" "$r/var/lib" "$r/run/gpt-bootcfg" "$r/etc/gpt-bootcfg"
chmod 0755 "$r/data" "$r/var" "$r/var/lib" "$r/run"
cp /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_VARS_4M.fd "$r/usr/share/OVMF/"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$r/etc/passwd"
printf 'root:x:0:\nkvm:x:104:nobody\nnogroup:x:65534:\n' >"$r/etc/group"
echo "0-$(($(nproc) - 1))" >"$r/sys/devices/system/cpu/online"
state=$r/var/lib/gpt-bootcfg/tpm/tpm

# ---- the guest: busybox, tpm2-tools and their libraries, the TPM modules, /init ----
g=$TAP_TMP/guest
mkdir -p "$g/bin" "$g/usr/bin" "$g/usr/lib/x86_64-linux-gnu" "$g/lib64" "$g/proc" "$g/sys" \
	"$g/dev" "$g/tmp" "$g/gbtpm/mod"
cp /bin/busybox "$g/bin/"
for a in $(/bin/busybox --list); do [ -e "$g/bin/$a" ] || ln -s busybox "$g/bin/$a"; done
cp /usr/bin/tpm2 "$g/usr/bin/"
for t in nvdefine nvwrite nvread nvreadpublic; do ln -s tpm2 "$g/usr/bin/tpm2_$t"; done
# The device TCTI is loaded at run time (dlopen): ldd of tpm2 does not name it.
tcti=/usr/lib/x86_64-linux-gnu/libtss2-tcti-device.so.0
for l in $(ldd /usr/bin/tpm2 "$tcti" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u) "$tcti"; do
	cp -L "$l" "$g/usr/lib/x86_64-linux-gnu/${l##*/}"
done
cp -L /lib64/ld-linux-x86-64.so.2 "$g/lib64/"
ln -s usr/lib "$g/lib"
# The TPM drivers as this kernel has them: its own modules.dep says built in or a module.
: >"$g/gbtpm/modules"
builtin=""
for m in tpm_crb tpm_tis; do
	deps=$(modprobe -d "$kdir" -S "$kver" --show-depends "$m" 2>&1)
	case $deps in
	builtin*) builtin="$builtin $m" ;;
	*insmod*)
		echo "$deps" | sed -n 's/^insmod \([^ ]*\).*$/\1/p' | while read -r f; do
			n=${f##*/} && n=$(echo "${n%%.ko*}" | tr - _)
			case $f in *.xz) xz -dc "$f" ;; *.zst) zstd -qdc "$f" ;; *) cat "$f" ;; esac \
				>"$g/gbtpm/mod/$n.ko"
			grep -qx "$n" "$g/gbtpm/modules" || echo "$n" >>"$g/gbtpm/modules"
		done ;;
	*) ok "$m: modprobe knows it in $kver" -- false ;;
	esac
done
echo "# TPM drivers of $kver: built in:${builtin:- none}; modules: $(tr '\n' ' ' <"$g/gbtpm/modules")"
value=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
echo "$value" >"$g/gbtpm/value"
cat >"$g/init" <<'INIT'
#!/bin/sh
export PATH=/bin:/usr/bin TPM2TOOLS_TCTI=device:/dev/tpmrm0
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
for m in $(cat /gbtpm/modules); do insmod /gbtpm/mod/$m.ko; done
# The driver probes the ACPI TPM2 table's device: wait for it, 10 s at most.
for i in $(seq 100); do [ -e /sys/class/tpm/tpm0 ] && [ -e /dev/tpmrm0 ] && break; sleep 0.1; done
echo "GBTPM version $(cat /sys/class/tpm/tpm0/tpm_version_major 2>&1)"
echo "GBTPM devices $(ls /dev/tpm0 /dev/tpmrm0 2>&1 | tr '\n' ' ')"
# swtpm_setup's EK certificate (RSA 2048) is in its well-known NV index.
if tpm2_nvreadpublic 0x1c00002 >/dev/null 2>&1; then echo "GBTPM ekcert yes"; else echo "GBTPM ekcert no"; fi
idx=0x1500016
if tpm2_nvreadpublic $idx >/dev/null 2>&1; then
	tpm2_nvread $idx -C o -s 32 -o /tmp/read 2>/tmp/err
	echo "GBTPM read $? $(cat /tmp/read) $(cat /tmp/err)"
	echo "GBTPM running"
	# vm stop ends QEMU (busybox does not handle the power button).
	while :; do sleep 3600; done
fi
tpm2_nvdefine $idx -C o -s 32 -a "ownerread|ownerwrite" >/dev/null 2>/tmp/err
echo "GBTPM define $? $(cat /tmp/err)"
tr -d '\n' </gbtpm/value >/tmp/value
tpm2_nvwrite $idx -C o -i /tmp/value 2>/tmp/err
echo "GBTPM wrote $? $(cat /tmp/value) $(cat /tmp/err)"
echo "GBTPM powering off"
poweroff -f
INIT
chmod 0755 "$g/init"
(cd "$g" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$r/data/guest.cpio"
cp "$kdir/vmlinuz" "$r/data/vmlinuz"
chmod 0644 "$r/data/guest.cpio" "$r/data/vmlinuz"
ok "guest image built ($(($(stat -c %s "$r/data/guest.cpio") / 1024 / 1024)) MiB)" -- test -s "$r/data/guest.cpio"

serial=$TAP_TMP/serial
mkdir -p "$serial" && chown 65534:65534 "$serial" && chmod 0700 "$serial"
cat <<CONF | write_conf "$r"
[vm tpm]
memory = 256M
hugepage-size = none
vcpus = 1
tpm = yes
firmware = bios
user = nobody
stop-timeout = 2
extra-args = -kernel $r/data/vmlinuz -initrd $r/data/guest.cpio -append console=ttyS0 -serial file:$serial/console.log
CONF

mem=$(mktemp -d /dev/shm/gpt-bootcfg-test.XXXXXX)
chmod 0711 "$mem"
export GPT_BOOTCFG_TEST_ACCEL=tcg GPT_BOOTCFG_TEST_MEM_PATH="$mem"

# The swtpm processes of this VM's state (its --tpmstate argument names the directory).
swtpms() { pgrep -f -- "--tpmstate dir=$state,mode=0600" | tr '\n' ' ' | sed 's/ $//'; }
# run N [VAR=VALUE...]: vm run in the background (with these variables), its output in
# run-N.out, its pid in $run_pid.
run() {
	_n=$1 && shift
	rm -f "$serial/console.log"
	env "$@" timeout -k 10 "$limit" "$GPT_BOOTCFG" --root "$r" vm run tpm >"$TAP_TMP/run-$_n.out" 2>&1 &
	run_pid=$!
	runs="$runs $run_pid"
}
# until_serial PATTERN: wait (at most $limit s) for PATTERN on the serial port while vm run lives.
until_serial() {
	for _i in $(seq $((limit * 2))); do
		grep -aq "$1" "$serial/console.log" 2>/dev/null && return 0
		kill -0 "$run_pid" 2>/dev/null || break
		sleep 0.5
	done
	grep -aq "$1" "$serial/console.log" 2>/dev/null
}
gbtpm() { tr -d '\r' <"$serial/console.log" | sed -n "s/^GBTPM $1 //p" | head -n1; }
show() { # the runner's output and the guest's lines, when a step failed
	sed 's/^/#   run: /' "$TAP_TMP/run-$1.out"
	tr -d '\r' <"$serial/console.log" | grep -a 'GBTPM\|tpm\|TPM\|Kernel panic' | sed 's/^/#   guest: /' | head -30
}
fails=$_tap_fail

# ---- boot 1: the TPM is made, the guest writes the value and powers off ----
run 1
wait $run_pid
is "$?" 0 "boot 1: vm run exits 0 when the guest powers off"
is "$(gbtpm version)" 2 "boot 1: the guest sees /sys/class/tpm/tpm0, a TPM 2.0 (tpm_version_major)"
is "$(gbtpm devices)" "/dev/tpm0 /dev/tpmrm0 " "boot 1: with /dev/tpm0 and /dev/tpmrm0"
is "$(gbtpm ekcert)" yes "boot 1: the EK certificate is in the TPM (NV index 0x1c00002)"
is "$(gbtpm define)" "0 " "boot 1: the guest defined an NV index (tpm2_nvdefine)"
is "$(gbtpm wrote)" "0 $value " "boot 1: and wrote the value into it (tpm2_nvwrite)"
ok "boot 1: vm run made the TPM state for nobody with certificates" -- \
	grep -q "VM 'tpm': made its TPM 2.0 in /var/lib/gpt-bootcfg/tpm/tpm for user 'nobody', with EK and platform certificates." "$TAP_TMP/run-1.out"
ok "boot 1: swtpm served it" -- grep -q "VM 'tpm': swtpm (pid [0-9]*) serves its TPM 2.0 on /run/gpt-bootcfg/tpm.swtpm." "$TAP_TMP/run-1.out"
is "$(stat -c '%U %a' "$state" "$state/tpm2-00.permall" | tr '\n' ' ')" "nobody 700 nobody 600 " \
	"boot 1: the state directory and its file belong to nobody, owner-only"
is "$(swtpms)" "" "boot 1: no swtpm left after the guest powered off"
ok "boot 1: no swtpm record or socket left" -- sh -c "! ls '$r/run/gpt-bootcfg/tpm.swtpm' '$r/run/gpt-bootcfg/tpm.swtpm.pid' 2>/dev/null"
[ "$_tap_fail" = "$fails" ] || show 1
fails=$_tap_fail

# ---- boot 2: the value is still there; swtpm runs as nobody; the runner killed ----
run 2 GPT_BOOTCFG_FAULT_LOG="$TAP_TMP/faults"
until_serial "GBTPM running"
is "$(gbtpm read)" "0 $value " "boot 2: the NV index holds the value written in boot 1 (tpm2_nvread)"
sw=$(swtpms)
ok "boot 2: one swtpm runs, as nobody ($sw)" -- sh -c "[ \$(echo $sw | wc -w) = 1 ] && [ \$(stat -c %U /proc/$sw) = nobody ]"
is "$(stat -c '%U %a' "$r/run/gpt-bootcfg/tpm.swtpm")" "nobody 600" "boot 2: its socket is nobody's, owner-only"
"$GPT_BOOTCFG" --root "$r" vm status tpm --json >"$TAP_TMP/status.json" 2>"$TAP_TMP/status.err"
is "$(jq -r '"\(.tpm.version) \(.tpm.made) \(.tpm.certificates) \(.tpm.swtpm_pid)"' "$TAP_TMP/status.json")" \
	"2.0 true true $sw" "boot 2: vm status shows the TPM and its swtpm"
kill -9 $run_pid
wait $run_pid 2>/dev/null
qemu=$(cat "$r/run/gpt-bootcfg/tpm.pid" 2>/dev/null)
ok "boot 2: with its runner killed (SIGKILL), QEMU runs on" -- kill -0 "$qemu"
timeout 60 "$GPT_BOOTCFG" --root "$r" vm run tpm >"$TAP_TMP/run-2b.out" 2>&1
is "$?" 2 "boot 2: a second vm run is refused"
ok "boot 2: as already running" -- grep -q "VM 'tpm' is already running" "$TAP_TMP/run-2b.out"
is "$(swtpms)" "$sw" "boot 2: and started no second swtpm"
"$GPT_BOOTCFG" --root "$r" vm stop tpm >"$TAP_TMP/stop-2.out" 2>&1
is "$?" 0 "boot 2: vm stop exits 0"
ok "boot 2: QEMU is gone" -- sh -c "! kill -0 '$qemu' 2>/dev/null"
is "$(swtpms)" "" "boot 2: no swtpm left after vm stop"
ok "boot 2: no swtpm record or socket left" -- sh -c "! ls '$r/run/gpt-bootcfg/tpm.swtpm' '$r/run/gpt-bootcfg/tpm.swtpm.pid' 2>/dev/null"
[ "$_tap_fail" = "$fails" ] || { show 2; sed 's/^/#   stop: /' "$TAP_TMP/stop-2.out"; }
fails=$_tap_fail

# ---- run 3: the runner killed right after swtpm started, before QEMU; boot 4 ----
at=$(sed -n 's/^\([0-9]*\) swtpm-started .*/\1/p' "$TAP_TMP/faults" | head -n1)
ok "boot 2 counted the fault point after swtpm's start ($at)" -- test -n "$at"
run 3 GPT_BOOTCFG_FAULT_AT="$at" GPT_BOOTCFG_FAULT_MODE=kill
wait $run_pid
is "$?" 137 "run 3: the runner was killed at the fault point (SIGKILL)"
left=$(swtpms)
ok "run 3: its swtpm is left running ($left), recorded" -- sh -c "[ -n '$left' ] && grep -qx '$left' '$r/run/gpt-bootcfg/tpm.swtpm.pid'"
ok "run 3: no QEMU was started" -- sh -c "! grep -q 'Started QEMU' '$TAP_TMP/run-3.out'"
run 4
until_serial "GBTPM running"
ok "boot 4: vm run ended the swtpm run 3 left" -- \
	grep -q "VM 'tpm': swtpm (pid $left) was still running without its QEMU; ended it." "$TAP_TMP/run-4.out"
ok "boot 4: that process is gone" -- sh -c "! kill -0 '$left' 2>/dev/null"
is "$(gbtpm read)" "0 $value " "boot 4: the value is still there"
is "$(swtpms | wc -w)" 1 "boot 4: one swtpm"
"$GPT_BOOTCFG" --root "$r" vm stop tpm >"$TAP_TMP/stop-4.out" 2>&1
is "$?" 0 "boot 4: vm stop exits 0"
wait $run_pid
is "$?" 0 "boot 4: vm run exits 0"
is "$(swtpms)" "" "boot 4: no swtpm left"
[ "$_tap_fail" = "$fails" ] || { show 3; show 4; }

rm -rf "$mem"
done_testing
