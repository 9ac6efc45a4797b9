#!/bin/sh
# Two identical GPUs (same vendor, device and subsystem): only the configured one is claimed,
# by address; the twin and its audio function stay with the host. Golden plan, then apply.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture twin-gpu

R=$(fixture_copy twin-gpu)
mkdir -p "$R/etc/gpt-bootcfg"
printf '[device gpu]\naddress = 66:00.0\nid = 10de:1c03\n[device gpu-audio]\naddress = 66:00.1\n' \
	>"$R/etc/gpt-bootcfg/gpt-bootcfg.conf"

run_gen "$R" plan
is "$rc" 0 "plan accepts the second card"
golden plan/twin-gpu.txt "$TAP_TMP/out.txt"
run_gen "$R" plan --json
golden plan/twin-gpu.json "$TAP_TMP/out.txt"
is "$(jq -r '.claim | join(" ")' "$TAP_TMP/out.txt")" "0000:66:00.0 0000:66:00.1" \
	"only the configured card and its audio function are claimed"
is "$(jq -c .refused "$TAP_TMP/out.txt")" "[]" "nothing refused"

run_gen "$R" apply --yes --no-trial
is "$rc" 0 "apply"
is "$(grep -v '^#' "$R/etc/gpt-bootcfg/claim.list" | grep -c '^0000:')" 2 "two lines in the claim list"
ok "the claim list holds 66:00.0 and 66:00.1, not the twin at 65:00" -- sh -c "
	grep -q '^0000:66:00.0 10de:1c03 ' '$R/etc/gpt-bootcfg/claim.list' &&
	grep -q '^0000:66:00.1 ' '$R/etc/gpt-bootcfg/claim.list' &&
	! grep -q '^0000:65:00' '$R/etc/gpt-bootcfg/claim.list'"
# The claim is by address: the modprobe file must not send every card of the model to
# vfio-pci (no ids= option, no blacklist of the twin's driver).
ok "no vfio-pci ids= option (it would take the twin too)" -- \
	sh -c "! grep -q 'ids=' '$R/etc/modprobe.d/gpt-bootcfg.conf'"
ok "the twin's driver is not blacklisted" -- \
	sh -c "! grep -q '^blacklist nouveau' '$R/etc/modprobe.d/gpt-bootcfg.conf'"
done_testing
