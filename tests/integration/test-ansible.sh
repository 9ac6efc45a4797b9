#!/bin/sh
# examples/ansible/gpt-bootcfg.yml run by Debian's ansible-core (-c local) against a copy of
# the guide's server fixture under --root, with the reboot left out: the first run changes
# the host and says a reboot is due, the second changes nothing, a refused configuration
# fails the play with the refusal in its output and writes nothing.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server

if ! command -v ansible-playbook >/dev/null 2>&1; then
	echo "1..0 # SKIP ansible-playbook not found: install ansible-core (tests/deps.txt)"
	exit 0
fi

R=$(fixture_copy guide-server)
mkdir -p "$R/etc/gpt-bootcfg" "$TAP_TMP/files" "$TAP_TMP/ansible"
guide_conf >"$TAP_TMP/files/good.conf"
# 0000:00:1f.3 shares IOMMU group 7 with the SATA controller: refused (group-shared).
sed 's/^address = 0000:b3:00.0$/address = 0000:00:1f.3/' "$TAP_TMP/files/good.conf" \
	>"$TAP_TMP/files/bad.conf"
printf 'fixture ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n' \
	>"$TAP_TMP/inventory"

# Ansible writes its temporary files and caches below ANSIBLE_HOME, not in ~/.ansible.
export ANSIBLE_HOME="$TAP_TMP/ansible" ANSIBLE_LOCAL_TEMP="$TAP_TMP/ansible/tmp"
export ANSIBLE_REMOTE_TEMP="$TAP_TMP/ansible/tmp" ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
export ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_STDOUT_CALLBACK=default
export ANSIBLE_CALLBACK_RESULT_FORMAT=json ANSIBLE_DISPLAY_SKIPPED_HOSTS=1

# play CONFIG OUTPUT: run the example playbook (default output); sets rc.
play() {
	ansible-playbook -i "$TAP_TMP/inventory" "$TOP/examples/ansible/gpt-bootcfg.yml" \
		-e gpt_bootcfg_hosts=fixture -e gpt_bootcfg_become=false \
		-e "gpt_bootcfg_root=$R" -e gpt_bootcfg_reboot=false \
		-e "gpt_bootcfg_command=$GPT_BOOTCFG" -e "gpt_bootcfg_config=$TAP_TMP/files/$1" \
		>"$TAP_TMP/$2" 2>&1
	rc=$?
	[ "$rc" = 0 ] || sed 's/^/#   /' "$TAP_TMP/$2" | tail -25
}
# result OUTPUT TASK: the fixture host's result line of TASK ("changed: [fixture]", ...).
result() {
	awk -v t="TASK [$2]" 'index($0, t) == 1 { f = 1; next }
		f && /^(ok|changed|skipping|fatal|failed): \[fixture\]/ { print; exit }' "$TAP_TMP/$1"
}
# status OUTPUT TASK: ok, changed, skipping or fatal.
status() {
	result "$1" "$2" | sed 's/:.*//'
}
# recap OUTPUT: "ok=N changed=N unreachable=N failed=N" of the fixture host.
recap() {
	sed -n 's/^fixture *: \(ok=[0-9]*\) *\(changed=[0-9]*\) *\(unreachable=[0-9]*\) *\(failed=[0-9]*\).*/\1 \2 \3 \4/p' "$TAP_TMP/$1"
}

play good.conf run1.txt
is "$rc" 0 "first run succeeds"
ok "first run: the configuration is installed" -- cmp "$TAP_TMP/files/good.conf" "$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
is "$(status run1.txt "Install the configuration")" changed "first run: configuration copied"
is "$(status run1.txt "Apply the boot configuration")" changed "first run: apply changed"
ok "first run: the files are written under the root" -- test -f "$R/etc/gpt-bootcfg/claim.list"
is "$(status run1.txt "Stop on a refusal (nothing was written)")" skipping "first run: no refusal"
is "$(status run1.txt "Reboot into the new boot configuration")" skipping \
	"first run: the real reboot is left out (gpt_bootcfg_reboot=false)"
is "$(status run1.txt "A reboot is due")" ok "first run: apply said reboot_required"
ok "first run: a trial boot is named" -- grep -q "Reboot fixture to claim the devices (generation 1, a trial boot)" "$TAP_TMP/run1.txt"
is "$(status run1.txt "Status")" ok "first run: status ran (not yet in effect: reported, not failed)"
ok "first run: status reports the gap" -- grep -q "Not (yet) in effect" "$TAP_TMP/run1.txt"
is "$(recap run1.txt)" "ok=6 changed=2 unreachable=0 failed=0" "first run: recap"

tree_listing "$R" >"$TAP_TMP/t1"
play good.conf run2.txt
is "$rc" 0 "second run succeeds"
is "$(status run2.txt "Apply the boot configuration")" ok "second run: apply unchanged"
is "$(status run2.txt "A reboot is due")" skipping "second run: no reboot due"
is "$(recap run2.txt)" "ok=5 changed=0 unreachable=0 failed=0" "second run: recap, nothing changed"
tree_listing "$R" >"$TAP_TMP/t2"
ok "second run: the host tree is unchanged" -- cmp "$TAP_TMP/t1" "$TAP_TMP/t2"

play bad.conf run3.txt
is "$rc" 2 "refused configuration: the play fails (ansible-playbook exit 2)"
is "$(status run3.txt "Stop on a refusal (nothing was written)")" fatal "refused configuration: failed on the refusal"
ok "refused configuration: the failure names the refusal" -- \
	sh -c 'grep -A3 "^fatal: \[fixture\]" "$1" | grep -q "group-shared: IOMMU group 7 also holds 0000:00:1f.2"' - "$TAP_TMP/run3.txt"
ok "refused configuration: and the device" -- grep -q "\[nvme 0000:00:1f.3\]" "$TAP_TMP/run3.txt"
is "$(recap run3.txt)" "ok=2 changed=1 unreachable=0 failed=1" "refused configuration: recap"
tree_listing "$R" >"$TAP_TMP/t3"
# The configuration file is copied before apply; apply itself wrote nothing.
diff "$TAP_TMP/t2" "$TAP_TMP/t3" | grep '^[<>]' >"$TAP_TMP/t-diff"
ok "refused configuration: only the configuration file differs" -- \
	sh -c 'test -s "$1" && ! grep -v " ./etc/gpt-bootcfg/gpt-bootcfg.conf\( \|$\)" "$1"' - "$TAP_TMP/t-diff"

done_testing
