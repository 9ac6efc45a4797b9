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
done_testing
