#!/bin/sh
# apply arms a trial boot by default on a host's first apply (issue 8): the default entry's
# GRUB drop-in stays as it was, the trial entry gets the new parameters and generation,
# grubenv's next_entry names it once; a second apply changes nothing, a changed config
# re-arms, --no-trial makes it the default, and revert removes every trial file too.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server
command -v grub-editenv >/dev/null ||
	{ echo "Bail out! grub-editenv is missing: apt-get install grub-common (tests/deps.txt)"; exit 1; }

R=$(fixture_copy guide-server)
gpu_pair_conf 8G "autostart = yes" | write_conf "$R"
tree_listing "$R" >"$TAP_TMP/before"

run_gen "$R" apply --yes
is "$rc" 0 "first apply"
ok "says it armed a trial" -- grep -q "^Armed generation 1 as a trial" "$TAP_TMP/out.txt"
ok "the default entry's drop-in is not created" -- test ! -e "$R/etc/default/grub.d/gpt-bootcfg.cfg"
ok "and apply does not claim it created it" -- sh -c "! grep -q '^Created /etc/default/grub.d' '$TAP_TMP/out.txt'"
ok "the trial's drop-in waits in /var/lib" -- \
	grep -q "intel_iommu=on.*gpt_bootcfg.generation=1" "$R/var/lib/gpt-bootcfg/trial-grub.cfg"
ok "the trial entry's words: parameters, generation, trial flag" -- \
	grep -qx "intel_iommu=on iommu=pt .* hugepages=8 gpt_bootcfg.generation=1 gpt_bootcfg.trial=1" \
	"$R/etc/gpt-bootcfg/trial.cmdline"
ok "state pending, generation 1, both devices" -- sh -c "
	grep -qx state=pending '$R/var/lib/gpt-bootcfg/trial' &&
	grep -qx generation=1 '$R/var/lib/gpt-bootcfg/trial' &&
	grep -qx device=0000:65:00.0 '$R/var/lib/gpt-bootcfg/trial' &&
	grep -qx device=0000:65:00.1 '$R/var/lib/gpt-bootcfg/trial' &&
	grep -qx unit=gpt-bootcfg-vm@win.service '$R/var/lib/gpt-bootcfg/trial'"
is "$(grub-editenv "$R/boot/grub/grubenv" list | grep ^next_entry=)" \
	"next_entry=gpt-bootcfg-trial" "grubenv boots the trial entry once"
is "$(readlink "$R/etc/systemd/system/multi-user.target.wants/gpt-bootcfg-health.service")" \
	"/usr/lib/systemd/system/gpt-bootcfg-health.service" "the health unit is enabled"
ok "the claim list carries generation 1" -- grep -q "generation 1" "$R/etc/gpt-bootcfg/claim.list"

run_gen "$R" status
ok "status shows the pending trial" -- grep -q "^Trial: pending, generation 1" "$TAP_TMP/out.txt"
run_gen "$R" status --json
is "$(jq -r '.trial.state + " " + (.trial.generation | tostring)' "$TAP_TMP/out.txt")" \
	"pending 1" "status --json: the trial"

tree_mtimes "$R" >"$TAP_TMP/m1"
run_gen "$R" apply --yes
is "$rc" 0 "second apply"
ok "nothing to do while the same trial is pending" -- grep -q "^Nothing to do" "$TAP_TMP/out.txt"
tree_mtimes "$R" >"$TAP_TMP/m2"
ok "writes nothing" -- cmp "$TAP_TMP/m1" "$TAP_TMP/m2"
run_gen "$R" plan
ok "plan agrees: the drop-in is unchanged" -- \
	sh -c "grep '/etc/default/grub.d/gpt-bootcfg.cfg' '$TAP_TMP/out.txt' | grep -q unchanged"

sed -i 's/^memory = 8G/memory = 4G/' "$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
run_gen "$R" apply --yes
is "$rc" 0 "apply of a change while the trial is pending"
ok "re-armed as generation 2, not made the default" -- sh -c "
	grep -q '^Armed generation 2 as a trial' '$TAP_TMP/out.txt' &&
	grep -qx state=pending '$R/var/lib/gpt-bootcfg/trial' &&
	grep -qx generation=2 '$R/var/lib/gpt-bootcfg/trial' &&
	grep -q 'hugepages=4 gpt_bootcfg.generation=2 gpt_bootcfg.trial=1' '$R/etc/gpt-bootcfg/trial.cmdline' &&
	test ! -e '$R/etc/default/grub.d/gpt-bootcfg.cfg'"

run_gen "$R" apply --yes --no-trial
is "$rc" 0 "apply --no-trial"
ok "the drop-in is the default entry's now" -- \
	grep -q "hugepages=4.*gpt_bootcfg.generation=2" "$R/etc/default/grub.d/gpt-bootcfg.cfg"
ok "state confirmed directly" -- sh -c "
	grep -qx state=confirmed '$R/var/lib/gpt-bootcfg/trial' &&
	grep -qx direct=yes '$R/var/lib/gpt-bootcfg/trial'"
ok "no trial entry any more" -- test ! -e "$R/etc/gpt-bootcfg/trial.cmdline"
ok "next_entry unset" -- sh -c "! grub-editenv '$R/boot/grub/grubenv' list | grep -q ^next_entry="
run_gen "$R" apply --yes
ok "later applies are direct" -- grep -q "^Nothing to do" "$TAP_TMP/out.txt"

sed -i 's/^memory = 4G/memory = 8G/' "$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
run_gen "$R" revert
is "$rc" 0 "revert"
tree_listing "$R" >"$TAP_TMP/after"
ok "revert leaves the tree byte for byte as before the first apply" -- \
	diff -u "$TAP_TMP/before" "$TAP_TMP/after"

# A grubenv that was there before keeps everything but our next_entry.
R2=$(fixture_copy guide-server)
mkdir -p "$R2/etc/gpt-bootcfg" "$R2/boot/grub"
cp "$R/etc/gpt-bootcfg/gpt-bootcfg.conf" "$R2/etc/gpt-bootcfg/"
grub-editenv "$R2/boot/grub/grubenv" create
grub-editenv "$R2/boot/grub/grubenv" set saved_entry=0
run_gen "$R2" apply --yes --trial
is "$rc" 0 "apply --trial with an existing grubenv"
is "$(grub-editenv "$R2/boot/grub/grubenv" list | sort | tr '\n' ' ')" \
	"next_entry=gpt-bootcfg-trial saved_entry=0 " "next_entry added, saved_entry kept"
run_gen "$R2" revert
is "$rc" 0 "revert"
is "$(grub-editenv "$R2/boot/grub/grubenv" list | tr '\n' ' ')" "saved_entry=0 " \
	"revert unsets next_entry and keeps the file"
ok "says so" -- grep -q "unset next_entry in /boot/grub/grubenv" "$TAP_TMP/out.txt"

done_testing
