#!/bin/sh
# The command line itself: help, version, unknown verbs and options, operands where a verb
# takes none.
. "$(dirname "$0")/../lib/tap.sh"

ok "--help exits 0" -- "$GPT_BOOTCFG" --help
ok "--version names the program" -- sh -c "'$GPT_BOOTCFG' --version | grep -q '^gpt-bootcfg '"
"$GPT_BOOTCFG" frobnicate >/dev/null 2>"$TAP_TMP/err"; rc=$?
is "$rc" 2 "unknown verb exits 2"
ok "unknown verb is named" -- grep -q "Unknown verb 'frobnicate'" "$TAP_TMP/err"
"$GPT_BOOTCFG" --bogus list >/dev/null 2>&1; rc=$?
is "$rc" 2 "unknown global option exits 2"
# The verbs that take options only refuse an operand before reading anything (the root
# does not exist), naming the verb and the operand.
for v in list check plan apply revert status confirm; do
	"$GPT_BOOTCFG" --root "$TAP_TMP/none" $v extra >/dev/null 2>"$TAP_TMP/err"; rc=$?
	is "$rc" 2 "$v with an operand exits 2"
	ok "$v names itself and the operand" -- grep -qF "'$v' takes no arguments, got 'extra'." "$TAP_TMP/err"
done
# vm subcommands take only their own options (issue 29): an option another subcommand takes
# is refused, naming it, before anything is loaded; each takes its own.
for bad in "run --json" "run --timeout 5" "stop --json" "status --libvirt" "export --run-paths" \
	"command --timeout 5"; do
	# shellcheck disable=SC2086
	"$GPT_BOOTCFG" --root "$TAP_TMP/none" vm $bad x >/dev/null 2>"$TAP_TMP/err"; rc=$?
	is "$rc" 2 "vm $bad: exits 2"
	opt=${bad#* }
	opt=${opt%% *}
	ok "vm $bad: names the option" -- grep -qF -- "unrecognized option '$opt'" "$TAP_TMP/err"
	ok "vm $bad: says what the subcommand takes" -- grep -qF "for what 'vm ${bad%% *}' takes" "$TAP_TMP/err"
done
"$GPT_BOOTCFG" --root "$TAP_TMP/none" vm stop x --timeout 0 >/dev/null 2>"$TAP_TMP/err"; rc=$?
is "$rc" 2 "vm stop --timeout 0: exits 2"
ok "vm stop --timeout 0: the range" -- grep -qF "expected seconds from 1 to 3600, not '0'" "$TAP_TMP/err"
"$GPT_BOOTCFG" --root "$TAP_TMP/none" vm stop x --timeout 99999999999999999999 >/dev/null 2>"$TAP_TMP/err"; rc=$?
is "$rc" 2 "vm stop --timeout with 20 digits: exits 2 (no overflow)"
"$GPT_BOOTCFG" --root "$TAP_TMP/none" vm frobnicate x >/dev/null 2>"$TAP_TMP/err"; rc=$?
is "$rc" 2 "an unknown vm subcommand exits 2"
ok "an unknown vm subcommand is named" -- grep -qF "Unknown vm command 'frobnicate'" "$TAP_TMP/err"
done_testing
