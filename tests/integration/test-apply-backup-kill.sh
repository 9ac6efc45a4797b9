#!/bin/sh
# A file of the admin's at a managed path is kept as .bak by a second name first, then the
# new file is renamed over it (issue 30, item 9): apply killed (SIGKILL, the fault points
# of src/basic/fileio.h) at each step that touches that path or its backup never leaves
# the path without a file, the admin's contents are always at the path or in the .bak,
# and a rerun finishes with the admin's file in the .bak. The guide's server with the
# admin's own /etc/default/grub.d/gpt-bootcfg.cfg.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server
F=etc/default/grub.d/gpt-bootcfg.cfg
ADMIN='GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT quiet" # the admin'"'"'s'

host() {
	_r=$(fixture_copy guide-server)
	guide_conf | write_conf "$_r"
	mkdir -p "$_r/etc/default/grub.d"
	printf '%s\n' "$ADMIN" >"$_r/$F"
	echo "$_r"
}

R=$(host)
GPT_BOOTCFG_FAULT_LOG=$TAP_TMP/steps run_gen "$R" apply --yes --no-trial
is "$rc" 0 "clean apply exits 0"
is "$(cat "$R/$F.bak")" "$ADMIN" "clean apply: the admin's file is the .bak"
steps=$(awk -v f="/$F" '$3 == f || $3 == f ".bak" { print $1 }' "$TAP_TMP/steps")
ok "steps touch the file ($(echo $steps))" -- test -n "$steps"

for n in $steps; do
	R=$(host)
	GPT_BOOTCFG_FAULT_AT=$n GPT_BOOTCFG_FAULT_MODE=kill run_gen "$R" apply --yes --no-trial
	ok "killed at step $n: $F exists" -- test -f "$R/$F"
	ok "killed at step $n: the admin's contents are at the path or in the .bak" -- \
		sh -c "grep -qxF '$(printf '%s' "$ADMIN" | sed "s/'/'\\\\''/g")' '$R/$F' || grep -qxF '$(printf '%s' "$ADMIN" | sed "s/'/'\\\\''/g")' '$R/$F.bak'"
	run_gen "$R" apply --yes --no-trial
	is "$rc" 0 "killed at step $n: a rerun exits 0"
	is "$(cat "$R/$F.bak" 2>/dev/null)" "$ADMIN" "killed at step $n: the admin's file is the .bak after it"
done

done_testing
