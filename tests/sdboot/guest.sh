# shellcheck shell=sh
# Runs inside the systemd-boot system test's guest (sourced by stage.sh from the control disk);
# one stage_* function per boot. Every assertion appends "PASS name" or "FAIL name: why" to
# $R/results.txt. Literal /sys, /proc and /boot/efi paths are fine here: this is the guest.

# qemu-xhci at this address is the device to claim (tests/sdboot/run.sh puts it there).
DEV=0000:00:06.0
TRIAL_STATE=/var/lib/gpt-bootcfg/trial
ENTRIES=/boot/efi/loader/entries
VARS=/sys/firmware/efi/efivars
VENDOR=4a67b082-0a4c-41cf-b6c7-440b29bb8c4f

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
is() { # NAME GOT WANT
	[ "$2" = "$3" ] && pass "$1" || fail "$1" "got '$2', want '$3'"
}
driver_of() {
	_l=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null) || { echo none; return; }
	basename "$_l"
}
# efivar NAME: one of systemd-boot's variables as text (efivarfs may give no size: read it).
efivar() {
	[ -r "$VARS/$1-$VENDOR" ] && cat "$VARS/$1-$VENDOR" | tail -c +5 | tr -d '\000'
}
has_word() { # WORD: on /proc/cmdline
	tr ' ' '\n' </proc/cmdline | grep -qx -e "$1"
}
expect_cmdline() { # NAME WORD [absent]
	if has_word "$2"; then _has=1; else _has=0; fi
	if [ "${3:-present}" = absent ]; then
		[ $_has = 0 ] && pass "$1" || fail "$1" "'$2' is on $(cat /proc/cmdline)"
	else
		[ $_has = 1 ] && pass "$1" || fail "$1" "'$2' is not on $(cat /proc/cmdline)"
	fi
}
expect_state() { # NAME STATE
	is "$1" "$(sed -n 's/^state=//p' $TRIAL_STATE 2>/dev/null)" "$2"
}
# The entry kernel-install wrote for the running kernel, and its options.
default_entry() { echo "$ENTRIES/$(cat /etc/machine-id)-$(uname -r).conf"; }
default_options() { sed -n 's/^options *//p' "$(default_entry)"; }
trial_entries() { ls "$ENTRIES" | grep '^gpt-bootcfg-trial' | tr '\n' ' '; }

snapshot() {
	cat /proc/cmdline >"$R/cmdline.txt"
	cat /etc/kernel/cmdline >"$R/kernel-cmdline.txt" 2>&1
	cp $TRIAL_STATE "$R/trial-state.txt" 2>/dev/null
	ls -l "$ENTRIES" >"$R/entries.txt" 2>&1
	for f in "$ENTRIES"/*.conf; do echo "== $f"; cat "$f"; done >>"$R/entries.txt" 2>&1
	bootctl status --no-pager >"$R/bootctl.txt" 2>&1
	for v in LoaderInfo LoaderEntrySelected LoaderEntryOneShot; do
		echo "$v=$(efivar $v)"
	done >"$R/efivars.txt"
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

# Boot 1 (the image's own entry): install the package, the first apply (a trial).
stage_install() {
	is booted-by-systemd-boot "$(efivar LoaderInfo | cut -d' ' -f1)" systemd-boot
	check dpkg-install dpkg -i gpt-bootcfg.deb
	mkdir -p /var/log/journal
	systemd-tmpfiles --create --prefix /var/log/journal
	cp /etc/kernel/cmdline "$R/kernel-cmdline.orig"
	cp /etc/kernel/cmdline /root/kernel-cmdline.orig
	cp "$(default_entry)" "$R/default-entry.orig"
	# Each boot has a results disk of its own: what a later boot compares against stays here.
	cp "$(default_entry)" /root/default-entry.orig
	mkdir -p /etc/gpt-bootcfg
	printf '[device usb]\naddress = %s\n' "$DEV" >/etc/gpt-bootcfg/gpt-bootcfg.conf
	chmod 0644 /etc/gpt-bootcfg/gpt-bootcfg.conf
	is unclaimed-before-apply "$(driver_of $DEV)" xhci_hcd
	gpt-bootcfg plan --json >"$R/plan.json" 2>&1
	check plan-names-systemd-boot grep -q '"bootloader": *"systemd-boot"' "$R/plan.json"
	check apply gpt-bootcfg apply --yes
	cp "$R/apply.out" "$R/apply.txt" 2>/dev/null
	check kernel-cmdline-unchanged-during-trial cmp /etc/kernel/cmdline /root/kernel-cmdline.orig
	is trial-entry "$(trial_entries)" "gpt-bootcfg-trial.conf "
	check trial-entry-has-generation grep -q 'gpt_bootcfg.generation=1 gpt_bootcfg.trial=1' \
		"$ENTRIES/gpt-bootcfg-trial.conf"
	is oneshot-selects-trial "$(efivar LoaderEntryOneShot)" gpt-bootcfg-trial.conf
	expect_state pending-after-apply pending
	check health-unit-enabled systemctl is-enabled gpt-bootcfg-health.service
	snapshot
	check status-image-ok grep -q "^  ok   /boot/efi/.*(initramfs-tools, " "$R/status.txt"
}

# Boot 2: LoaderEntryOneShot boots the trial; the health unit promotes it.
stage_trial() {
	snapshot
	is trial-entry-booted "$(efivar LoaderEntrySelected)" gpt-bootcfg-trial.conf
	is oneshot-consumed "$(efivar LoaderEntryOneShot)" ""
	expect_cmdline trial-flag gpt_bootcfg.trial=1
	expect_cmdline trial-generation gpt_bootcfg.generation=1
	expect_cmdline trial-iommu intel_iommu=on
	is trial-claims "$(driver_of $DEV)" vfio-pci
	wait_health
	expect_state trial-confirmed confirmed
	{
		cat /root/kernel-cmdline.orig
		sed -n 's/^param=//p' $TRIAL_STATE | tr '\n' ' ' |
			sed 's/^/gpt_bootcfg.generation=1 /; s/ $//'
		echo
	} >"$R/kernel-cmdline.want"
	check kernel-cmdline-promoted cmp "$R/kernel-cmdline.want" /etc/kernel/cmdline
	default_options >"$R/default-options.txt"
	check default-entry-regenerated grep -q 'gpt_bootcfg.generation=1' "$R/default-options.txt"
	check default-entry-has-iommu grep -q 'intel_iommu=on' "$R/default-options.txt"
	is trial-entry-gone "$(trial_entries)" ""
	gpt-bootcfg status >"$R/status-after.txt" 2>&1
	check status-says-confirmed grep -q 'Trial: confirmed, generation 1' "$R/status-after.txt"
	check status-boot-path grep -q 'this boot: systemd-boot .*entry gpt-bootcfg-trial.conf' \
		"$R/status-after.txt"
}

# Boot 3: the default entry claims; then a trial that panics (rdinit=/nonexistent: the
# kernel runs no init of the initramfs and cannot find root=UUID= by itself).
stage_promoted() {
	snapshot
	is default-entry-booted "$(efivar LoaderEntrySelected)" "$(basename "$(default_entry)")"
	expect_cmdline default-no-trial gpt_bootcfg.trial=1 absent
	expect_cmdline default-generation gpt_bootcfg.generation=1
	is default-entry-claims "$(driver_of $DEV)" vfio-pci
	wait_health
	expect_state still-confirmed confirmed
	cp /etc/kernel/cmdline /root/kernel-cmdline.gen1
	printf '\n[host]\ncmdline = rdinit=/nonexistent\n' >>/etc/gpt-bootcfg/gpt-bootcfg.conf
	check apply-trial gpt-bootcfg apply --yes --trial
	expect_state pending-again pending
	check kernel-cmdline-kept cmp /etc/kernel/cmdline /root/kernel-cmdline.gen1
	check failing-trial-entry grep -q 'rdinit=/nonexistent.*gpt_bootcfg.generation=2 gpt_bootcfg.trial=1' \
		"$ENTRIES/gpt-bootcfg-trial.conf"
	is oneshot-selects-trial-again "$(efivar LoaderEntryOneShot)" gpt-bootcfg-trial.conf
}

# Boot 5 (after the panicking trial boot 4): the default entry again, by itself; the trial
# recorded as failed with why; then revert gives /etc/kernel/cmdline back byte for byte.
stage_fallback() {
	wait_health
	snapshot
	is fallback-is-default "$(efivar LoaderEntrySelected)" "$(basename "$(default_entry)")"
	expect_cmdline fallback-no-trial gpt_bootcfg.trial=1 absent
	expect_cmdline fallback-old-generation gpt_bootcfg.generation=1
	# The old entry asks for generation 1, the image's list is generation 2: the claim binary
	# leaves the device alone. Its host driver stays unloaded all the same: the plan
	# blacklists xhci_pci, the module of no other device of this guest.
	check fallback-claims-nothing sh -c \
		"dmesg | grep -q 'gpt-bootcfg: claiming nothing: entry boots generation 1, list is generation 2'"
	check fallback-not-on-vfio sh -c "[ '$(driver_of $DEV)' != vfio-pci ]"
	expect_state trial-failed failed
	check failure-never-confirmed grep -q '^failure=the trial boot never confirmed' $TRIAL_STATE
	check failure-oneshot-consumed grep -q '^failure=systemd-boot consumed LoaderEntryOneShot=gpt-bootcfg-trial.conf (it booted' \
		$TRIAL_STATE
	check status-says-failed grep -q 'Trial: FAILED, generation 2' "$R/status.txt"
	is failed-trial-entry-gone "$(trial_entries)" ""
	check kernel-cmdline-still-gen1 cmp /etc/kernel/cmdline /root/kernel-cmdline.gen1
	check revert gpt-bootcfg revert
	check revert-restores-kernel-cmdline cmp /etc/kernel/cmdline /root/kernel-cmdline.orig
	default_options >"$R/default-options-reverted.txt"
	check reverted-entry-without-ours sh -c "! grep -q 'gpt_bootcfg\|intel_iommu=on' '$R/default-options-reverted.txt'"
	check reverted-entry-as-before sh -c \
		"[ \"\$(sed -n 's/^options *//p' /root/default-entry.orig)\" = \"\$(cat '$R/default-options-reverted.txt')\" ]"
	is reverted-no-trial-entry "$(trial_entries)" ""
}
