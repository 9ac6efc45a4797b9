#!/bin/sh
# The command line itself: help, version, unknown verbs and options.
. "$(dirname "$0")/../lib/tap.sh"

ok "--help exits 0" -- "$GPT_BOOTCFG" --help
ok "--version names the program" -- sh -c "'$GPT_BOOTCFG' --version | grep -q '^gpt-bootcfg '"
"$GPT_BOOTCFG" frobnicate >/dev/null 2>"$TAP_TMP/err"; rc=$?
is "$rc" 2 "unknown verb exits 2"
ok "unknown verb is named" -- grep -q "Unknown verb 'frobnicate'" "$TAP_TMP/err"
"$GPT_BOOTCFG" --bogus list >/dev/null 2>&1; rc=$?
is "$rc" 2 "unknown global option exits 2"
done_testing
