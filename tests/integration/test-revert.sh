#!/bin/sh
# revert: after apply (twice, with changes in between), the tree is byte for byte what it was.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server

R=$(fixture_copy guide-server)
mkdir -p "$R/etc/gpt-bootcfg"
cat >"$R/etc/gpt-bootcfg/gpt-bootcfg.conf" <<'CONF'
[device gpu]
address = 0000:65:00.0
[device gpu-audio]
address = 0000:65:00.1
[device usb]
address = 0000:b4:00.0
[vm win]
devices = gpu gpu-audio usb
memory = 8G
autostart = yes
CONF
# A file of the user's at a managed path: apply keeps it as .bak, revert restores it.
printf 'options snd_hda_intel power_save=0\n' >"$R/etc/modprobe.d/gpt-bootcfg.conf"
chmod 0600 "$R/etc/modprobe.d/gpt-bootcfg.conf"
tree_listing "$R" >"$TAP_TMP/before"

run_gen "$R" revert
is "$rc" 0 "revert before any apply"
ok "says there is nothing to revert" -- grep -q "Nothing to revert" "$TAP_TMP/out.txt"

run_gen "$R" apply --yes
is "$rc" 0 "apply"
sed -i 's/^memory = 8G/memory = 4G/' "$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
run_gen "$R" apply --yes
is "$rc" 0 "apply again with a change"
tree_listing "$R" >"$TAP_TMP/applied"
ok "apply changed the tree" -- sh -c "! cmp -s '$TAP_TMP/before' '$TAP_TMP/applied'"
ok "state file recorded" -- test -f "$R/var/lib/gpt-bootcfg/state"

run_gen "$R" revert --dry-run
is "$rc" 0 "revert --dry-run"
ok "lists what it would do" -- grep -q "Would restore /etc/modprobe.d/gpt-bootcfg.conf from /etc/modprobe.d/gpt-bootcfg.conf.bak" "$TAP_TMP/out.txt"
tree_listing "$R" >"$TAP_TMP/t"
ok "dry run changes nothing" -- cmp "$TAP_TMP/applied" "$TAP_TMP/t"

sed -i 's/^memory = 4G/memory = 8G/' "$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
run_gen "$R" revert
is "$rc" 0 "revert"
ok "rebuild skipped and explained" -- grep -q "not a full system" "$TAP_TMP/err.txt"
tree_listing "$R" >"$TAP_TMP/after"
ok "the tree is byte for byte what it was (contents, modes, links)" -- \
	diff -u "$TAP_TMP/before" "$TAP_TMP/after"
run_gen "$R" revert
is "$rc" 0 "a second revert"
ok "has nothing to do" -- grep -q "Nothing to revert" "$TAP_TMP/out.txt"

# A managed file edited by hand after apply is kept, not deleted.
run_gen "$R" apply --yes --no-trial
echo "# mine" >>"$R/etc/default/grub.d/gpt-bootcfg.cfg"
run_gen "$R" revert
is "$rc" 0 "revert with a hand-edited file"
ok "kept as a backup, with a warning" -- grep -q "edited by hand, kept as /etc/default/grub.d/gpt-bootcfg.cfg.bak" "$TAP_TMP/err.txt"
ok "the edit survives" -- grep -qx "# mine" "$R/etc/default/grub.d/gpt-bootcfg.cfg.bak"
ok "the user's own file is back" -- grep -qx "options snd_hda_intel power_save=0" "$R/etc/modprobe.d/gpt-bootcfg.conf"
done_testing
