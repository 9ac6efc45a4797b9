#!/bin/sh
# apply --json on the guide's server: exactly one JSON document on stdout (everything else on
# stderr, the rebuild commands included), changed/reboot_required/trial/files/refused as
# documented, the exit codes of apply (0 applied or nothing to do, 1 refused, 2 error).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server

conf() { # conf ROOT [AUTOSTART]
	guide_conf "${2:-yes}" | write_conf "$1"
}
# j EXPR: jq -e on the last stdout.
j() { jq -e "$1" "$TAP_TMP/out.txt" >/dev/null; }

R=$(fixture_copy guide-server)
conf "$R"
tree_listing "$R" >"$TAP_TMP/t0"

run_gen "$R" apply --json
is "$rc" 2 "--json without --yes: exit 2"
ok "says to add --yes" -- grep -q -- "add --yes" "$TAP_TMP/err.txt"
is "$(wc -c <"$TAP_TMP/out.txt")" 0 "and prints nothing on stdout"
tree_listing "$R" >"$TAP_TMP/t"
ok "writes nothing" -- cmp "$TAP_TMP/t0" "$TAP_TMP/t"

# First apply: a trial (the default on a first apply).
run_gen "$R" apply --json --yes
is "$rc" 0 "first apply: exit 0"
ok "stdout is one JSON document" -- jq -e 'type == "object"' "$TAP_TMP/out.txt"
is "$(jq -c 'keys' "$TAP_TMP/out.txt")" '["changed","files","generation","reboot_required","refused","trial"]' "its keys"
ok "changed, reboot required" -- j '.changed == true and .reboot_required == true'
ok "a trial of generation 1" -- j '.trial == {"entry": "gpt-bootcfg-trial", "generation": 1} and .generation == 1'
is "$(jq -r '.files[] | "\(.action) \(.path)"' "$TAP_TMP/out.txt")" "trial /var/lib/gpt-bootcfg/trial-grub.cfg
create /etc/modprobe.d/gpt-bootcfg.conf
create /etc/gpt-bootcfg/claim.list
create /etc/systemd/system/multi-user.target.wants/gpt-bootcfg-vm@win.service" "files written, the GRUB drop-in as the trial's"
ok "refused is empty" -- j '.refused == []'
ok "the human output went to stderr" -- sh -c 'grep -q "^Created /etc/gpt-bootcfg/claim.list" "$1" && grep -q "update-initramfs -u -k all" "$1"' - "$TAP_TMP/err.txt"
ok "and the files are there" -- test -f "$R/etc/gpt-bootcfg/claim.list"

run_gen "$R" apply --json --yes
is "$rc" 0 "second apply: exit 0"
ok "nothing changed, no reboot, no trial, no files" -- j '.changed == false and .reboot_required == false and .trial == null and .files == [] and .refused == [] and .generation == 1'
ok "says so on stderr" -- grep -q "Nothing to do" "$TAP_TMP/err.txt"

# Only the VM's autostart link changes: changed, but nothing for the next boot.
conf "$R" no
run_gen "$R" apply --json --yes
is "$rc" 0 "autostart off: exit 0"
ok "changed without a reboot" -- j '.changed == true and .reboot_required == false and .trial == null'
is "$(jq -r '.files[] | "\(.action) \(.path)"' "$TAP_TMP/out.txt")" \
	"remove /etc/systemd/system/multi-user.target.wants/gpt-bootcfg-vm@win.service" "the link removed"

# A refusal: exit 1, the refusals listed, nothing written.
sed -i 's/^address = 0000:b3:00.0$/address = 0000:00:1f.3/' "$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
tree_listing "$R" >"$TAP_TMP/t1"
run_gen "$R" apply --json --yes
is "$rc" 1 "refused: exit 1"
ok "not changed" -- j '.changed == false and .reboot_required == false and .files == []'
ok "the refusal, by device, address and reason" -- \
	j '.refused == [.refused[] | select(.device == "nvme" and .address == "0000:00:1f.3" and .reason == "group-shared" and (.detail | test("IOMMU group 7")))] and (.refused | length) == 1'
ok "the plan and the refusal message on stderr" -- grep -q "Refused; nothing was written" "$TAP_TMP/err.txt"
tree_listing "$R" >"$TAP_TMP/t2"
ok "nothing written" -- cmp "$TAP_TMP/t1" "$TAP_TMP/t2"

# An error: exit 2, still one JSON document (nothing changed).
printf '[vm broken\n' >>"$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
run_gen "$R" apply --json --yes
is "$rc" 2 "bad configuration: exit 2"
ok "not changed, no refusals" -- j '.changed == false and .refused == [] and .files == []'
ok "the error on stderr with FILE:LINE" -- grep -q "gpt-bootcfg.conf:14:" "$TAP_TMP/err.txt"

done_testing
