# shellcheck shell=sh
# Runs inside the system-test guest (sourced by stage.sh from the control disk). One stage_*
# function per boot; every assertion appends "PASS name" or "FAIL name: why" to
# $R/results.txt, which the host prints. Literal /sys paths are fine here: this is the guest.

# The emulated hardware (tests/system/run.sh puts it at these addresses).
TGT_NVME=0000:00:10.0
TGT_XHCI=0000:00:11.0
CTL_XHCI=0000:00:12.0

pass() { echo "PASS $1" | tee -a "$R/results.txt"; }
fail() { echo "FAIL $1${2:+: $2}" | tee -a "$R/results.txt"; }

# check NAME COMMAND...: passes when COMMAND exits 0; its output is kept in $R/NAME.out.
check() {
	_n=$1
	shift
	echo "SYSTEST: $_n" >/dev/console
	if "$@" >"$R/$_n.out" 2>&1; then
		pass "$_n"
	else
		fail "$_n" "exit $?: $(tail -n 4 "$R/$_n.out" | tr '\n' ' ' | cut -c1-300)"
	fi
}

# The driver bound to a PCI device, "none" when unbound, "absent" when there is no device.
driver_of() {
	[ -e "/sys/bus/pci/devices/$1" ] || { echo absent; return; }
	_l=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null) || { echo none; return; }
	basename "$_l"
}

expect_driver() { # NAME ADDRESS DRIVER
	_d=$(driver_of "$2")
	if [ "$_d" = "$3" ]; then pass "$1"; else fail "$1" "$2 is on '$_d', expected '$3'"; fi
}

record() { # NAME COMMAND...: keep the output and exit status, assert nothing
	_n=$1
	shift
	"$@" >"$R/$_n.txt" 2>&1
	echo "exit $?" >>"$R/$_n.txt"
}

snapshot_state() {
	uname -r >"$R/uname.txt"
	cat /proc/cmdline >"$R/cmdline.txt"
	lspci -nnk >"$R/lspci.txt" 2>&1
	ls -l /sys/kernel/iommu_groups/*/devices/ >"$R/iommu-groups.txt" 2>&1
}

initramfs_lists() { # initramfs_lists PATTERN: the running kernel's initramfs holds PATTERN
	lsinitramfs "/boot/initrd.img-$(uname -r)" | grep -q "$1"
}

# Boot 1: install the package, configure, apply.
stage_install() {
	snapshot_state
	check dpkg-install dpkg -i ./gpt-bootcfg.deb
	for f in /usr/sbin/gpt-bootcfg /usr/lib/gpt-bootcfg/gpt-bootcfg-claim \
		/usr/share/initramfs-tools/hooks/gpt-bootcfg \
		/usr/share/initramfs-tools/scripts/init-top/gpt-bootcfg; do
		[ -e "$f" ] || fail "package-files" "$f missing"
	done
	grep -q '^FAIL package-files' "$R/results.txt" || pass package-files
	# The update-initramfs trigger ran at the end of dpkg -i: nothing may be left pending.
	check no-pending-triggers sh -c '[ -z "$(dpkg --audit)" ] &&
		[ "$(dpkg-query -W -f "\${db:Status-Status}" gpt-bootcfg)" = installed ]'
	install -D -m 0644 ./gpt-bootcfg.conf /etc/gpt-bootcfg/gpt-bootcfg.conf
	install -D -m 0644 ./acpi-off.img /var/lib/systest/acpi-off.img
	# extra-args' -serial file: QEMU runs as gpt-bootcfg-qemu, which may not create files in
	# /var/lib/systest: the file is made for it (files named only in extra-args are the
	# administrator's to provide, docs/vm.md "Privileges").
	install -m 0644 -o gpt-bootcfg-qemu -g gpt-bootcfg-qemu /dev/null /var/lib/systest/vm-serial.log
	# The test guest has no KVM: the VM runs under TCG (the runner's test override). The
	# test's own drop-in, removed again before the purge check.
	mkdir -p /etc/systemd/system/gpt-bootcfg-vm@test.service.d
	printf '[Service]\nEnvironment=GPT_BOOTCFG_TEST_ACCEL=tcg\n' \
		>/etc/systemd/system/gpt-bootcfg-vm@test.service.d/systest-tcg.conf
	# Ubuntu's cloud images set the default entry's parameters in a drop-in of their own,
	# 50-cloudimg-settings.cfg, which sorts (and is sourced) before ours: apply's drop-in
	# appends to GRUB_CMDLINE_LINUX_DEFAULT, so both reach the kernel (checked in verify).
	# Not ours: purge must leave it alone.
	mkdir -p /etc/default/grub.d
	echo 'GRUB_CMDLINE_LINUX_DEFAULT="gbtest.cloudimg=1"' >/etc/default/grub.d/50-cloudimg-settings.cfg
	record check gpt-bootcfg check
	record plan gpt-bootcfg plan
	# tpm = yes and secure-boot = yes: swtpm (swtpm, swtpm-tools) and the Secure Boot OVMF
	# of the image's firmware descriptors (ovmf) are found.
	check check-vm-tpm grep -q '^pass  *vm-tpm ' "$R/check.txt"
	check check-vm-secure-boot grep -q '^pass  *vm-secure-boot .*OVMF_VARS_4M.ms.fd' "$R/check.txt"
	# The host's first apply: a trial boot (docs/trial-boot.md), as a user gets it.
	check apply gpt-bootcfg apply --yes
	check apply-armed-trial grep -q '^Armed generation 1 as a trial' "$R/apply.out"
	check grubenv-next-entry-trial sh -c \
		'grub-editenv /boot/grub/grubenv list | grep -qx next_entry=gpt-bootcfg-trial'
	check claim-list-written test -s /etc/gpt-bootcfg/claim.list
	check initramfs-has-claim initramfs_lists 'gpt-bootcfg-claim'
	check grub-cfg-has-trial-entry grep -q 'intel_iommu=on.*gpt_bootcfg.generation=1 gpt_bootcfg.trial=1' \
		/boot/grub/grub.cfg
	cp /boot/grub/grub.cfg "$R/grub.cfg" 2>/dev/null
	cp /etc/gpt-bootcfg/claim.list "$R/claim.list" 2>/dev/null
}

# isolate-cpus = dynamic (issue 28): VM test's vCPU is pinned to CPU 1, so while it runs the
# host's own work keeps to CPU 0. ISO_REC is vm run's record of the values it found.
ISO_REC=/run/gpt-bootcfg/test.isolate
ISO_UNITS="system.slice user.slice init.scope"

cpulist_has() { # LIST CPU: the kernel CPU list LIST holds CPU
	echo "$1" | tr ',' '\n' | awk -F- -v c="$2" \
		'{ hi = NF > 1 ? $2 : $1; if (c + 0 >= $1 + 0 && c + 0 <= hi + 0) f = 1 } END { exit !f }'
}

cpus_allowed() { # PID: its Cpus_allowed_list
	awk '/^Cpus_allowed_list:/ {print $2}' "/proc/$1/status" 2>/dev/null
}

# isolation_narrowed TAG: the record is written; the three units' AllowedCPUs is CPU 0 and
# the kernel applied it (their cgroups' effective cpusets, PID 1's and journald's affinity);
# the workqueue mask is CPU 0's; every IRQ of the record whose affinity still holds CPU 1 is
# one the kernel keeps where it was (managed or per-CPU: as recorded), and one at least moved.
isolation_narrowed() {
	check "isolate-record-$1" test -s "$ISO_REC"
	cp "$ISO_REC" "$R/isolate-record-$1.txt" 2>/dev/null
	for _u in $ISO_UNITS; do
		check "isolate-$_u-$1" sh -c "[ \"\$(systemctl show -P AllowedCPUs $_u)\" = 0 ] &&
			[ \"\$(cat /sys/fs/cgroup/$_u/cpuset.cpus.effective)\" = 0 ]"
	done
	check "isolate-pid1-affinity-$1" test "$(cpus_allowed 1)" = 0
	check "isolate-journald-affinity-$1" test \
		"$(cpus_allowed "$(systemctl show -P MainPID systemd-journald)")" = 0
	if grep -q '^wq ' "$ISO_REC" 2>/dev/null; then
		check "isolate-workqueue-$1" sh -c \
			"[ \"\$(cat /sys/devices/virtual/workqueue/cpumask)\" = 1 ]"
	fi
	_moved=0
	_bad=
	while read -r _k _irq _orig; do
		[ "$_k" = irq ] || continue
		_now=$(cat "/proc/irq/$_irq/smp_affinity_list" 2>/dev/null) || continue
		echo "irq $_irq: $_orig -> $_now" >>"$R/isolate-irqs-$1.txt"
		if cpulist_has "$_now" 1; then
			[ "$_now" = "$_orig" ] || _bad="$_bad $_irq:$_orig>$_now"
		elif cpulist_has "$_orig" 1; then
			_moved=$((_moved + 1))
		fi
	done <"$R/isolate-record-$1.txt"
	if [ -z "$_bad" ] && [ "$_moved" -gt 0 ]; then
		pass "isolate-irqs-$1"
	else
		fail "isolate-irqs-$1" "moved $_moved; on CPU 1 and changed:${_bad:- none}"
	fi
	# QEMU itself is outside the narrowed units (the unit's Slice=machine.slice).
	check "isolate-qemu-in-machine-slice-$1" grep -q '^0::/machine.slice/' \
		"/proc/$(cat /run/gpt-bootcfg/test.pid 2>/dev/null)/cgroup"
}

# isolation_restored TAG RECORD: RECORD's values are back (the units' AllowedCPUs, the
# cgroups and PID 1 on both CPUs again, every IRQ, the workqueue mask) and the record is gone.
isolation_restored() {
	check "isolate-record-gone-$1" test ! -e "$ISO_REC"
	_bad=
	while read -r _k _what _orig; do
		case $_k in
		unit)
			[ "$_orig" = - ] && _orig=
			_now=$(systemctl show -P AllowedCPUs "$_what")
			;;
		irq) _now=$(cat "/proc/irq/$_what/smp_affinity_list" 2>/dev/null) || continue ;;
		wq)
			_orig=$_what
			_now=$(cat /sys/devices/virtual/workqueue/cpumask)
			;;
		*) continue ;;
		esac
		[ "$_now" = "$_orig" ] || _bad="$_bad $_k:$_what:'$_orig'>'$_now'"
	done <"$2"
	if [ -z "$_bad" ]; then pass "isolate-values-back-$1"; else fail "isolate-values-back-$1" "$_bad"; fi
	# systemd may turn the cpuset controller off again once no unit sets AllowedCPUs.
	_eff=/sys/fs/cgroup/system.slice/cpuset.cpus.effective
	check "isolate-cgroup-back-$1" sh -c "[ ! -e $_eff ] || [ \"\$(cat $_eff)\" = 0-1 ]"
	check "isolate-pid1-affinity-back-$1" test "$(cpus_allowed 1)" = 0-1
	check "isolate-journald-affinity-back-$1" test \
		"$(cpus_allowed "$(systemctl show -P MainPID systemd-journald)")" = 0-1
}

# The QMP socket of the running VM, found rather than assumed.
vm_qmp_socket() {
	find /run /var/lib/gpt-bootcfg -type s \( -name '*qmp*' -o -name '*.qmp' \) 2>/dev/null |
		grep -m1 test
}

qmp() { # qmp SOCKET COMMAND: the reply lines of one QMP command
	printf '{"execute":"qmp_capabilities"}\n{"execute":"%s"}\n' "$2" |
		socat -t 5 -T 10 - "UNIX-CONNECT:$1"
}

# Boot 2: everything claimed, the VM running with its device, then stopped politely.
stage_verify() {
	snapshot_state
	expect_driver target-nvme-on-vfio "$TGT_NVME" vfio-pci
	expect_driver target-xhci-on-vfio "$TGT_XHCI" vfio-pci
	expect_driver control-on-host-driver "$CTL_XHCI" xhci_hcd
	check status gpt-bootcfg status

	_i=0
	until systemctl is-active -q gpt-bootcfg-vm@test; do
		_i=$((_i + 1))
		[ $_i -ge 120 ] && break
		sleep 1
	done
	record vm-unit systemctl status --no-pager gpt-bootcfg-vm@test
	check vm-active systemctl is-active -q gpt-bootcfg-vm@test
	record vm-status gpt-bootcfg vm status test
	# QEMU off root (issue 14): the package's system user, the vfio nodes and the disk
	# handed to it while the VM runs.
	check qemu-user-exists getent passwd gpt-bootcfg-qemu
	_quid=$(id -u gpt-bootcfg-qemu 2>/dev/null)
	_qpid=$(cat /run/gpt-bootcfg/test.pid 2>/dev/null)
	check qemu-runs-as-gpt-bootcfg-qemu sh -c "[ -n '$_quid' ] && [ -n '$_qpid' ] &&
		awk '/^Uid:/ {print \$2, \$3, \$4, \$5}' /proc/$_qpid/status | grep -qx '$_quid $_quid $_quid $_quid'"
	check qemu-disk-handed-over sh -c "[ \"\$(stat -c %u /var/lib/systest/acpi-off.img)\" = '$_quid' ]"
	stat -c '%n %u:%g %a' /dev/vfio/* /var/lib/systest/acpi-off.img >"$R/owners-running.txt" 2>&1
	check vm-machine-pinned grep -q '^  machine: pc-q35-[0-9.]*$' "$R/vm-status.txt"
	# Windows 11's TPM 2.0 (issue 24): swtpm runs as QEMU's user on the state vm run made
	# for it, with certificates; QEMU has the Secure Boot OVMF with SMM and a secure flash.
	_spid=$(cat /run/gpt-bootcfg/test.swtpm.pid 2>/dev/null)
	check swtpm-runs-as-gpt-bootcfg-qemu sh -c "[ -n '$_spid' ] && [ -n '$_quid' ] &&
		awk '/^Uid:/ {print \$2, \$3, \$4, \$5}' /proc/$_spid/status | grep -qx '$_quid $_quid $_quid $_quid'"
	check tpm-state-owned-by-qemu-user sh -c "[ \"\$(stat -c '%u %a' /var/lib/gpt-bootcfg/test/tpm)\" = '$_quid 700' ]"
	check tpm-has-certificates test -s /var/lib/gpt-bootcfg/test/tpm-setup/issuercert.pem
	check vm-status-tpm grep -q '^  tpm: TPM 2.0 in /var/lib/gpt-bootcfg/test/tpm (with EK and platform certificates), swtpm running$' "$R/vm-status.txt"
	tr '\0' '\n' <"/proc/$_qpid/cmdline" >"$R/qemu-cmdline.txt" 2>/dev/null
	check qemu-smm-and-secure-flash sh -c "grep -q '^pc-q35-[0-9.]*,accel=tcg,vmport=off,hpet=off,smm=on,' '$R/qemu-cmdline.txt' &&
		grep -qx 'driver=cfi.pflash01,property=secure,value=on' '$R/qemu-cmdline.txt'"
	check qemu-secure-boot-ovmf grep -qx 'if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.ms.fd' "$R/qemu-cmdline.txt"
	check vars-from-microsoft-keys grep -qx 'template /usr/share/OVMF/OVMF_VARS_4M.ms.fd' /var/lib/gpt-bootcfg/test/OVMF_VARS.origin
	# Under Secure Boot the VM's firmware boots only the NVMe's signed shim and GRUB, which
	# print the marker (run.sh); the runner's boot order puts the passed-through NVMe
	# (bootindex 1) before the disk image. OVMF under TCG inside TCG is slow: up to 10 min.
	_i=0
	until grep -q GPT-BOOTCFG-VM-BOOTED /var/lib/systest/vm-serial.log 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -ge 600 ] && break
		sleep 1
	done
	record vm-serial cat /var/lib/systest/vm-serial.log
	check vm-booted-passed-through-nvme grep -q GPT-BOOTCFG-VM-BOOTED-NVME /var/lib/systest/vm-serial.log
	check vm-secure-boot-refused-nothing sh -c "! grep -aq 'Access Denied\|Security Violation' /var/lib/systest/vm-serial.log"
	_sock=$(vm_qmp_socket)
	if [ -z "$_sock" ]; then
		fail vm-qmp-device "no QMP socket of VM test below /run or /var/lib/gpt-bootcfg"
		fail vm-pinned "no QMP socket"
	else
		qmp "$_sock" query-pci >"$R/query-pci.json" 2>&1
		# qemu-xhci is 1b36:000d: vendor 6966, device 13.
		if grep -o '"id": {[^}]*}' "$R/query-pci.json" | grep '"vendor": 6966' |
			grep -q '"device": 13[,}]'; then
			pass vm-qmp-device
		else
			fail vm-qmp-device "query-pci on $_sock does not list 1b36:000d"
		fi
		qmp "$_sock" query-cpus-fast >"$R/query-cpus.json" 2>&1
		# The vCPU's host thread, not the "thread-id" inside "props" (its SMT index).
		_tids=$(grep -o '"thread-id": [0-9]*, "props"' "$R/query-cpus.json" | grep -o '[0-9][0-9]*')
		_bad=
		for _t in $_tids; do
			_aff=$(taskset -pc "$_t" 2>/dev/null | sed 's/.*: //')
			echo "vcpu thread $_t: $_aff" >>"$R/pinning.txt"
			[ "$_aff" = 1 ] || _bad="$_bad $_t:$_aff"
		done
		if [ -n "$_tids" ] && [ -z "$_bad" ]; then
			pass vm-pinned
		else
			fail vm-pinned "vCPU threads '${_tids:-none}' not all on CPU 1:$_bad"
		fi
		qmp "$_sock" query-tpm >"$R/query-tpm.json" 2>&1
		check vm-qmp-tpm-crb-emulator sh -c "grep -q '\"model\": \"tpm-crb\"' '$R/query-tpm.json' &&
			grep -q '\"type\": \"emulator\"' '$R/query-tpm.json'"
	fi
	isolation_narrowed running

	# This boot is the trial (GRUB's next_entry): the health unit, ordered after
	# multi-user.target like this stage, must find it healthy (VM running) and promote it.
	check trial-entry-booted grep -q 'gpt_bootcfg.trial=1' /proc/cmdline
	check earlier-dropin-kept grep -q 'gbtest.cloudimg=1 .*intel_iommu=on' /proc/cmdline
	timeout 300 systemctl start gpt-bootcfg-health.service
	record health-journal journalctl -b --no-pager -u gpt-bootcfg-health.service
	check trial-promoted grep -qx 'state=confirmed' /var/lib/gpt-bootcfg/trial
	check default-entry-generation-1 grep -q 'gpt_bootcfg.generation=1' \
		/etc/default/grub.d/gpt-bootcfg.cfg
	check grub-cfg-default-claims sh -c "grep -v 'gpt_bootcfg.trial=1' /boot/grub/grub.cfg |
		grep -q 'gbtest.cloudimg=1 .*gpt_bootcfg.generation=1'"

	_t0=$(date +%s)
	systemctl stop gpt-bootcfg-vm@test
	_dt=$(($(date +%s) - _t0))
	record vm-stop-journal journalctl -b --no-pager -u gpt-bootcfg-vm@test
	_res=$(systemctl show -P Result gpt-bootcfg-vm@test)
	# The power button first; GRUB does not act on it, so after stop-timeout (10 s) the
	# runner quits QEMU: "stopped" ("powered off" would be a guest that went down itself).
	if [ "$_res" = success ] && grep -q "VM 'test' stopped" "$R/vm-stop-journal.txt"; then
		pass vm-stop
	else
		fail vm-stop "Result=$_res after ${_dt}s, journal: $(grep -i 'power\|stopped\|quit' "$R/vm-stop-journal.txt" | tail -n 2 | tr '\n' ' ')"
	fi
	pgrep -a qemu-system >"$R/qemu-after-stop.txt" && fail vm-qemu-gone "QEMU still runs" ||
		pass vm-qemu-gone
	pgrep -a swtpm >"$R/swtpm-after-stop.txt" && fail vm-swtpm-gone "swtpm still runs" ||
		pass vm-swtpm-gone
	check vm-swtpm-record-gone test ! -e /run/gpt-bootcfg/test.swtpm.pid
	stat -c '%n %u:%g %a' /dev/vfio/* /var/lib/systest/acpi-off.img >"$R/owners-stopped.txt" 2>&1
	check owners-restored-after-stop sh -c "! grep -v ' 0:0 ' '$R/owners-stopped.txt' | grep -v '^/dev/vfio/vfio '"
	check owners-record-gone test ! -e /var/lib/gpt-bootcfg/test/owners
	isolation_restored stop "$R/isolate-record-running.txt"

	# The runner SIGKILLed: systemd skips ExecStop after an unclean exit and kills the QEMU
	# and swtpm it left; the unit's ExecStopPost (vm stop) plays the records back.
	check vm-restart timeout 300 systemctl start gpt-bootcfg-vm@test
	isolation_narrowed restart
	# The journal from here on: the first stop above logged the same lines.
	_cur=$(journalctl -n 1 -q --show-cursor | sed -n 's/^-- cursor: //p')
	kill -KILL "$(systemctl show -P MainPID gpt-bootcfg-vm@test)"
	_i=0
	until case $(systemctl show -P ActiveState gpt-bootcfg-vm@test) in inactive | failed) true ;; *) false ;; esac; do
		_i=$((_i + 1))
		[ $_i -ge 180 ] && break
		sleep 1
	done
	record vm-sigkill-journal journalctl --no-pager --after-cursor="$_cur" -u gpt-bootcfg-vm@test
	check vm-sigkill-unit-ended sh -c "systemctl show -P ActiveState gpt-bootcfg-vm@test | grep -qxE 'inactive|failed'"
	check vm-sigkill-qemu-gone sh -c '! pgrep -a qemu-system'
	check vm-sigkill-records-played-back sh -c "grep -q \"VM 'test': the host's slices, IRQs and workqueues have their CPUs back\" '$R/vm-sigkill-journal.txt' &&
		grep -q \"VM 'test': restored the owners of the files its QEMU used\" '$R/vm-sigkill-journal.txt'"
	check vm-sigkill-swtpm-gone sh -c '! pgrep -a swtpm'
	stat -c '%n %u:%g %a' /dev/vfio/* /var/lib/systest/acpi-off.img >"$R/owners-sigkill.txt" 2>&1
	check owners-restored-after-sigkill sh -c "! grep -v ' 0:0 ' '$R/owners-sigkill.txt' | grep -v '^/dev/vfio/vfio '"
	isolation_restored sigkill "$R/isolate-record-restart.txt"
	systemctl reset-failed gpt-bootcfg-vm@test 2>/dev/null
}

# Boot: one GPU (issue 27). The hardware has a bochs-display at 00:13.0 (run.sh, "onegpu"),
# the guest's only display, driven by bochs DRM with fbcon on it; a stand-in display manager
# holds /dev/dri/card0 open. The VM "gpu" (handover = yes, appended to the configuration
# here and removed afterwards; no apply: a handover device is not claimed at boot) takes it
# with vm run and gives it back: after vm stop, after the runner is SIGKILLed (the unit's
# ExecStopPost), after QEMU fails at start (the watchdog); a process holding the DRM node
# gets a clean refusal with nothing changed.
GPU_ADDR=0000:00:13.0
gpu_state() { # the host's side in one line
	_vt=
	for _v in /sys/class/vtconsole/vtcon*; do
		grep -q 'frame buffer' "$_v/name" 2>/dev/null && _vt=$(cat "$_v/bind")
	done
	echo "driver=$(driver_of "$GPU_ADDR") fbcon=${_vt:-none} dm=$(systemctl is-active systest-dm.service)"
}
# vm run NAME as its unit runs it (in machine.slice: isolate-cpus = dynamic keeps
# system.slice, where this stage runs, off the VM's CPUs): the unit's journal of this start
# on stdout, for a start that is expected to fail.
gpu_run() {
	_cur=$(journalctl -n 1 -q --show-cursor | sed -n 's/^-- cursor: //p')
	timeout 300 systemctl start "gpt-bootcfg-vm@$1"
	echo "systemctl start: $?"
	# Started after all (the case failed): stop it, the next case needs the GPU.
	systemctl is-active -q "gpt-bootcfg-vm@$1" && systemctl stop "gpt-bootcfg-vm@$1"
	wait_unit_ended "gpt-bootcfg-vm@$1"
	_i=0
	until journalctl -q --no-pager --after-cursor="$_cur" -u "gpt-bootcfg-vm@$1" | grep -q 'Main process exited'; do
		_i=$((_i + 1))
		[ $_i -ge 30 ] && break
		sleep 1
	done
	journalctl -q --no-pager --after-cursor="$_cur" -u "gpt-bootcfg-vm@$1" -o cat
	systemctl reset-failed "gpt-bootcfg-vm@$1" 2>/dev/null
}
wait_unit_ended() { # UNIT
	_i=0
	until case $(systemctl show -P ActiveState "$1") in inactive | failed) true ;; *) false ;; esac; do
		_i=$((_i + 1))
		[ $_i -ge 180 ] && break
		sleep 1
	done
}

stage_handover() {
	snapshot_state
	# Run alone (SYSTEM_STAGES="install handover") this boot is the trial: let its health
	# check finish first (after verify, a no-op). The VM "test" autostarts with this boot's
	# claims; it is not part of this stage.
	timeout 300 systemctl start gpt-bootcfg-health.service
	systemctl stop gpt-bootcfg-vm@test
	cat >/etc/systemd/system/systest-dm.service <<-'UNIT'
		[Unit]
		Description=stand-in display manager: holds the DRM node open
		[Service]
		ExecStart=/bin/sh -c 'exec 3</dev/dri/card0; exec sleep infinity'
	UNIT
	systemctl daemon-reload
	udevadm settle -t 30
	check gpu-drm-node test -c /dev/dri/card0
	systemctl start systest-dm.service
	_host=$(driver_of "$GPU_ADDR")
	_want="driver=$_host fbcon=1 dm=active"
	record gpu-vtconsoles sh -c 'grep . /sys/class/vtconsole/*/name /sys/class/vtconsole/*/bind'
	check gpu-host-driver-bochs sh -c "[ '$_host' = bochs-drm ] || [ '$_host' = bochs ]"
	_s=$(gpu_state)
	if [ "$_s" = "$_want" ]; then pass gpu-host-state-before; else fail gpu-host-state-before "$_s"; fi
	cp /etc/gpt-bootcfg/gpt-bootcfg.conf "$R/conf.orig"
	cat >>/etc/gpt-bootcfg/gpt-bootcfg.conf <<-CONF

		[device gpu]
		address = $GPU_ADDR
		handover = yes

		[vm gpu]
		memory = 128M
		hugepage-size = none
		vcpus = 1
		vcpu-pins = 1
		devices = gpu
		firmware = bios
		network = none
		stop-timeout = 5
		handover-timeout = 120
		display-manager = systest-dm.service

		[vm gpu-bad]
		memory = 128M
		hugepage-size = none
		vcpus = 1
		vcpu-pins = 1
		devices = gpu
		firmware = bios
		network = none
		handover-timeout = 120
		display-manager = systest-dm.service
		extra-args = -no-such-option
	CONF
	for _u in gpu gpu-bad; do
		mkdir -p "/etc/systemd/system/gpt-bootcfg-vm@$_u.service.d"
		printf '[Service]\nEnvironment=GPT_BOOTCFG_TEST_ACCEL=tcg\n' \
			>"/etc/systemd/system/gpt-bootcfg-vm@$_u.service.d/systest-tcg.conf"
	done
	systemctl daemon-reload
	record gpu-plan gpt-bootcfg plan

	# A process that is not the display manager keeps the node open: a clean refusal.
	sh -c 'exec 3</dev/dri/card0; exec sleep 600' &
	_holder=$!
	sed -i 's/^handover-timeout = 120$/handover-timeout = 5/' /etc/gpt-bootcfg/gpt-bootcfg.conf
	gpu_run gpu >"$R/gpu-held.txt" 2>&1
	check gpu-held-refused grep -q 'status=2/' "$R/gpu-held.txt"
	check gpu-held-holder-named grep -q "pid $_holder (sleep) holds /dev/dri/card0" "$R/gpu-held.txt"
	_s=$(gpu_state)
	if [ "$_s" = "$_want" ]; then pass gpu-held-nothing-changed; else fail gpu-held-nothing-changed "$_s"; fi
	kill "$_holder"
	sed -i 's/^handover-timeout = 5$/handover-timeout = 120/' /etc/gpt-bootcfg/gpt-bootcfg.conf

	# Handed over while the VM runs: vfio-pci, fbcon unbound, the display manager stopped.
	check gpu-vm-start timeout 300 systemctl start gpt-bootcfg-vm@gpu
	_s=$(gpu_state)
	# fbcon's console is unbound, or gone with the frame buffer of the unbound driver.
	case $_s in "driver=vfio-pci fbcon=0 dm=inactive" | "driver=vfio-pci fbcon=none dm=inactive") pass gpu-handed-over ;; *) fail gpu-handed-over "$_s" ;; esac
	record gpu-vm-status gpt-bootcfg vm status gpu
	check gpu-vtcon-unbound-recorded grep -qx 'vtcon vtcon1' /run/gpt-bootcfg/gpu.handover
	check gpu-vm-status-handover grep -q 'handover: the host.s devices are handed to the VM' "$R/gpu-vm-status.txt"
	qmp /run/gpt-bootcfg/gpu.qmp query-pci >"$R/gpu-query-pci.json" 2>&1
	# bochs-display is 1234:1111: vendor 4660, device 4369.
	check gpu-vm-sees-device sh -c "grep -o '\"id\": {[^}]*}' '$R/gpu-query-pci.json' | grep '\"vendor\": 4660' | grep -q '\"device\": 4369'"
	systemctl stop gpt-bootcfg-vm@gpu
	record gpu-stop-journal journalctl -b --no-pager -u gpt-bootcfg-vm@gpu
	_s=$(gpu_state)
	if [ "$_s" = "$_want" ]; then pass gpu-given-back-stop; else fail gpu-given-back-stop "$_s"; fi
	check gpu-record-gone-stop test ! -e /run/gpt-bootcfg/gpu.handover

	# The runner SIGKILLed: the unit's ExecStopPost (vm stop) gives it back from the record.
	check gpu-vm-restart timeout 300 systemctl start gpt-bootcfg-vm@gpu
	_s=$(gpu_state)
	case $_s in "driver=vfio-pci fbcon=0 dm=inactive" | "driver=vfio-pci fbcon=none dm=inactive") pass gpu-handed-over-again ;; *) fail gpu-handed-over-again "$_s" ;; esac
	kill -KILL "$(systemctl show -P MainPID gpt-bootcfg-vm@gpu)"
	wait_unit_ended gpt-bootcfg-vm@gpu
	record gpu-sigkill-journal journalctl -b --no-pager -u gpt-bootcfg-vm@gpu
	_s=$(gpu_state)
	if [ "$_s" = "$_want" ]; then pass gpu-given-back-sigkill; else fail gpu-given-back-sigkill "$_s"; fi
	check gpu-record-gone-sigkill test ! -e /run/gpt-bootcfg/gpu.handover
	systemctl reset-failed gpt-bootcfg-vm@gpu 2>/dev/null

	# QEMU fails at start: the host gets it all back at once.
	gpu_run gpu-bad >"$R/gpu-bad.txt" 2>&1
	check gpu-bad-fails grep -q 'status=2/' "$R/gpu-bad.txt"
	check gpu-bad-was-handed-over grep -q 'moved from .* to vfio-pci' "$R/gpu-bad.txt"
	_s=$(gpu_state)
	if [ "$_s" = "$_want" ]; then pass gpu-given-back-watchdog; else fail gpu-given-back-watchdog "$_s"; fi

	cp "$R/conf.orig" /etc/gpt-bootcfg/gpt-bootcfg.conf
	rm -rf /etc/systemd/system/gpt-bootcfg-vm@gpu.service.d \
		/etc/systemd/system/gpt-bootcfg-vm@gpu-bad.service.d /etc/systemd/system/systest-dm.service
	systemctl daemon-reload
}

# Boot 3: the NVMe slot now holds a sound card. It must be skipped, the host must boot,
# status must say so. Then revert.
stage_swap() {
	snapshot_state
	pass host-booted-with-swapped-slot
	expect_driver swapped-slot-skipped "$TGT_NVME" snd_hda_intel
	expect_driver other-target-still-claimed "$TGT_XHCI" vfio-pci
	expect_driver control-on-host-driver "$CTL_XHCI" xhci_hcd
	gpt-bootcfg status >"$R/status.txt" 2>&1
	_rc=$?
	if [ $_rc != 0 ] && grep -q "${TGT_NVME#0000:}" "$R/status.txt"; then
		pass status-reports-mismatch
	else
		fail status-reports-mismatch "exit $_rc, $TGT_NVME not named: $(head -c 300 "$R/status.txt" | tr '\n' ' ')"
	fi
	check revert gpt-bootcfg revert
	# The TPM state holds BitLocker's keys: revert never touches it.
	check revert-keeps-tpm-state test -s /var/lib/gpt-bootcfg/test/tpm/tpm2-00.permall
}

# Boot 4: the original hardware again, after revert: nothing of ours is left in effect.
# Then purge the package and look for leftovers.
stage_reverted() {
	snapshot_state
	expect_driver nvme-on-host-driver "$TGT_NVME" nvme
	expect_driver xhci-on-host-driver "$TGT_XHCI" xhci_hcd
	expect_driver control-on-host-driver "$CTL_XHCI" xhci_hcd
	check nothing-on-vfio sh -c '! ls /sys/bus/pci/drivers/vfio-pci 2>/dev/null | grep -q "^0000:"'
	_left=
	for f in /etc/default/grub.d/gpt-bootcfg.cfg /etc/modprobe.d/gpt-bootcfg.conf \
		/etc/gpt-bootcfg/claim.list /etc/systemd/system/multi-user.target.wants/gpt-bootcfg-vm@test.service \
		/etc/systemd/system/multi-user.target.wants/gpt-bootcfg-health.service \
		/var/lib/gpt-bootcfg/trial /var/lib/gpt-bootcfg/trial-grub.cfg /etc/gpt-bootcfg/trial.cmdline; do
		{ [ -e "$f" ] || [ -L "$f" ]; } && _left="$_left $f"
	done
	if [ -z "$_left" ]; then pass managed-files-gone; else fail managed-files-gone "left:$_left"; fi
	check initramfs-without-hook sh -c "! lsinitramfs /boot/initrd.img-\$(uname -r) | grep 'gpt-bootcfg'"
	check cmdline-clean sh -c '! grep -E "gpt_bootcfg|vfio" /proc/cmdline'
	rm -rf /etc/systemd/system/gpt-bootcfg-vm@test.service.d
	check dpkg-purge dpkg --purge gpt-bootcfg
	check purge-keeps-foreign-dropin grep -qx 'GRUB_CMDLINE_LINUX_DEFAULT="gbtest.cloudimg=1"' \
		/etc/default/grub.d/50-cloudimg-settings.cfg
	find / -xdev \( -name '*gpt-bootcfg*' -o -name '*gpt_bootcfg*' \) \
		! -path '/run/*' ! -path '/var/log/*' >"$R/purge-leftovers.txt" 2>/dev/null
	if [ -s "$R/purge-leftovers.txt" ]; then
		fail purge-removes-everything "$(tr '\n' ' ' <"$R/purge-leftovers.txt" | cut -c1-300)"
	else
		pass purge-removes-everything
	fi
	check initramfs-after-purge sh -c "! lsinitramfs /boot/initrd.img-\$(uname -r) | grep 'gpt-bootcfg'"
}
