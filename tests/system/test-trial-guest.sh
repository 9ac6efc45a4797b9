# shellcheck shell=sh
# Runs inside the trial-boot system test's guest (sourced by stage.sh from the control disk);
# one stage_* function per boot. Every assertion appends "PASS name" or "FAIL name: why" to
# $R/results.txt. Literal /sys and /proc paths are fine here: this is the guest.

# qemu-xhci at this address is the claimed device (tests/system/test-trial.sh puts it there).
DEV=0000:00:06.0
TRIAL_STATE=/var/lib/gpt-bootcfg/trial

pass() { echo "PASS $1" | tee -a "$R/results.txt"; }
fail() { echo "FAIL $1${2:+: $2}" | tee -a "$R/results.txt"; }
check() { # NAME COMMAND...
	_n=$1
	shift
	if "$@" >"$R/$_n.out" 2>&1; then
		pass "$_n"
	else
		fail "$_n" "exit $?: $(tail -n 4 "$R/$_n.out" | tr '\n' ' ' | cut -c1-300)"
	fi
}
driver_of() {
	_l=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null) || { echo none; return; }
	basename "$_l"
}
expect_driver() { # NAME DRIVER
	_d=$(driver_of "$DEV")
	if [ "$_d" = "$2" ]; then pass "$1"; else fail "$1" "$DEV is on '$_d', expected '$2'"; fi
}
expect_cmdline() { # NAME WORD [absent]
	if grep -qw -e "$2" /proc/cmdline; then _has=1; else _has=0; fi
	if [ "${3:-present}" = absent ]; then
		[ $_has = 0 ] && pass "$1" || fail "$1" "'$2' is on $(cat /proc/cmdline)"
	else
		[ $_has = 1 ] && pass "$1" || fail "$1" "'$2' is not on $(cat /proc/cmdline)"
	fi
}
expect_state() { # NAME STATE
	_s=$(sed -n 's/^state=//p' $TRIAL_STATE 2>/dev/null)
	[ "$_s" = "$2" ] && pass "$1" || fail "$1" "state is '$_s', expected '$2'"
}

snapshot() {
	cat /proc/cmdline >"$R/cmdline.txt"
	cat /proc/sys/kernel/random/boot_id >"$R/boot_id.txt"
	cp $TRIAL_STATE "$R/trial-state.txt" 2>/dev/null
	cp /boot/grub/grub.cfg "$R/grub.cfg" 2>/dev/null
	grub-editenv /boot/grub/grubenv list >"$R/grubenv.txt" 2>&1
	lspci -nnk >"$R/lspci.txt" 2>&1
	gpt-bootcfg status >"$R/status.txt" 2>&1
	echo "exit $?" >>"$R/status.txt"
}

# The health unit runs after multi-user.target, like this stage: wait for it to finish
# (start blocks until a oneshot has run; it does not run it twice).
wait_health() {
	timeout 300 systemctl start gpt-bootcfg-health.service
	systemctl status --no-pager gpt-bootcfg-health.service >"$R/health-status.txt" 2>&1
	journalctl -b -u gpt-bootcfg-health.service --no-pager >"$R/health-journal.txt" 2>&1
}

# arm GENERATION PARAM...: what apply --trial does: the claim list of the new generation,
# the initramfs, the trial state and entry, grub.cfg, next_entry.
arm() {
	_gen=$1
	shift
	_d=/sys/bus/pci/devices/$DEV
	_v=$(cat $_d/vendor) _dv=$(cat $_d/device)
	_sv=$(cat $_d/subsystem_vendor) _sd=$(cat $_d/subsystem_device) _c=$(cat $_d/class)
	mkdir -p /etc/gpt-bootcfg
	printf 'generation %s\n%s %s:%s %s:%s %s\n' "$_gen" "$DEV" "${_v#0x}" "${_dv#0x}" \
		"${_sv#0x}" "${_sd#0x}" "${_c#0x}" >/etc/gpt-bootcfg/claim.list
	cp /etc/gpt-bootcfg/claim.list "$R/claim.list"
	printf 'GRUB_CMDLINE_LINUX_DEFAULT="${GRUB_CMDLINE_LINUX_DEFAULT} intel_iommu=on gpt_bootcfg.generation=%s"\n' \
		"$_gen" >/run/dropin
	check "arm-$_gen" test-trial-arm arm "$_gen" /run/dropin "$DEV" "$@"
	check "update-initramfs-$_gen" update-initramfs -u
	check "initramfs-has-claim-list-$_gen" sh -c \
		"lsinitramfs /boot/initrd.img-\$(uname -r) | grep -q etc/gpt-bootcfg/claim.list"
	check "update-grub-$_gen" update-grub
	check "grub-cfg-has-trial-$_gen" grep -q "gpt_bootcfg.generation=$_gen gpt_bootcfg.trial=1" \
		/boot/grub/grub.cfg
	check "next-entry-$_gen" test-trial-arm next-entry
	check "grubenv-names-trial-$_gen" sh -c \
		'grub-editenv /boot/grub/grubenv list | grep -qx next_entry=gpt-bootcfg-trial'
}

# Boot 1: install, keep the journal, arm trial generation 1 (the host's first apply).
stage_setup() {
	install -D -m 0755 files/gpt-bootcfg /usr/sbin/gpt-bootcfg
	install -D -m 0755 files/test-trial-arm /usr/local/sbin/test-trial-arm
	install -D -m 0755 files/gpt-bootcfg-claim /usr/lib/gpt-bootcfg/gpt-bootcfg-claim
	install -D -m 0755 files/hook /usr/share/initramfs-tools/hooks/gpt-bootcfg
	install -D -m 0755 files/init-top /usr/share/initramfs-tools/scripts/init-top/gpt-bootcfg
	install -D -m 0755 files/42_gpt-bootcfg-trial /etc/grub.d/42_gpt-bootcfg-trial
	install -D -m 0644 files/gpt-bootcfg-health.service \
		/usr/lib/systemd/system/gpt-bootcfg-health.service
	systemctl daemon-reload
	# A persistent journal, so a later boot can read what the trial boot logged.
	mkdir -p /var/log/journal
	systemd-tmpfiles --create --prefix /var/log/journal
	# The configuration status reads (the claim list itself is written by arm below).
	mkdir -p /etc/gpt-bootcfg
	printf '[device usb]\naddress = %s\n' "$DEV" >/etc/gpt-bootcfg/gpt-bootcfg.conf
	chmod 0644 /etc/gpt-bootcfg/gpt-bootcfg.conf
	expect_driver unclaimed-before-apply xhci_hcd
	arm 1 intel_iommu=on
	check health-unit-enabled systemctl is-enabled gpt-bootcfg-health.service
	expect_state pending-after-arm pending
	snapshot
}

# Boot 2: GRUB's next_entry boots the trial; the health unit promotes it.
stage_trial() {
	snapshot
	expect_cmdline trial-entry-booted gpt_bootcfg.trial=1
	expect_cmdline trial-generation gpt_bootcfg.generation=1
	expect_driver trial-claims vfio-pci
	wait_health
	expect_state trial-confirmed confirmed
	check default-entry-has-generation grep -q 'gpt_bootcfg.generation=1' \
		/etc/default/grub.d/gpt-bootcfg.cfg
	check trial-entry-gone sh -c "! grep -q 'gpt_bootcfg.trial=1' /boot/grub/grub.cfg"
	check grubenv-consumed sh -c \
		'! grub-editenv /boot/grub/grubenv list | grep -q "^next_entry=."'
	gpt-bootcfg status >"$R/status-after.txt" 2>&1
	check status-says-confirmed grep -q 'Trial: confirmed, generation 1' "$R/status-after.txt"
	cp $TRIAL_STATE "$R/trial-state-after.txt"
}

# Boot 3: the default entry now claims; then arm trial generation 2, made to panic (the
# kernel finds no init in the initramfs and cannot mount root=UUID= by itself).
stage_promoted() {
	snapshot
	expect_cmdline default-entry-booted gpt_bootcfg.trial=1 absent
	expect_cmdline default-carries-generation gpt_bootcfg.generation=1
	expect_driver default-entry-claims vfio-pci
	wait_health
	expect_state still-confirmed confirmed
	arm 2 intel_iommu=on rdinit=/nonexistent
	expect_state pending-again pending
	check default-drop-in-unchanged grep -q 'gpt_bootcfg.generation=1' \
		/etc/default/grub.d/gpt-bootcfg.cfg
}

# Boot 5 (after the panicking trial boot 4): the previous configuration, nothing claimed,
# the trial recorded as failed with the reason.
stage_fallback() {
	wait_health
	snapshot
	expect_cmdline fallback-is-default gpt_bootcfg.trial=1 absent
	expect_cmdline fallback-old-generation gpt_bootcfg.generation=1
	expect_driver fallback-claims-nothing xhci_hcd
	expect_state trial-failed failed
	check failure-reason grep -q '^failure=the trial boot never confirmed' $TRIAL_STATE
	check failure-journal grep -q '^failure=the journal has no boot between' $TRIAL_STATE
	check status-says-failed grep -q 'Trial: FAILED, generation 2' "$R/status.txt"
	check status-says-why grep -q 'failed: the trial boot never confirmed' "$R/status.txt"
	check failed-trial-entry-gone sh -c "! grep -q 'gpt_bootcfg.trial=1' /boot/grub/grub.cfg"
	check default-still-generation-1 grep -q 'gpt_bootcfg.generation=1"' \
		/etc/default/grub.d/gpt-bootcfg.cfg
}
