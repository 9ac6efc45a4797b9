#!/bin/sh
# A dangling symlink the admin left at a managed path (issue 30, item 14): apply keeps it
# as PATH.bak and writes its own file; revert must put the link back under its name, as
# it does a regular file, and not leave it as .bak because the link leads nowhere. An
# absolute and a relative target; the tree after revert is the tree before apply.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server

r=$(fixture_copy guide-server)
mkdir -p "$r/etc/gpt-bootcfg"
printf '[vm u]\nmemory = 128M\nhugepage-size = none\nvcpus = 1\nfirmware = bios\n' \
	>"$r/etc/gpt-bootcfg/gpt-bootcfg.conf"
chmod 0644 "$r/etc/gpt-bootcfg/gpt-bootcfg.conf"
ln -s /nonexistent/modprobe.conf "$r/etc/modprobe.d/gpt-bootcfg.conf"
ln -s ../elsewhere/claim.list "$r/etc/gpt-bootcfg/claim.list"
before=$(tree_listing "$r")

run_gen "$r" apply --yes
is "$rc" 0 "apply over two dangling links"
ok "the absolute link is kept as .bak" -- test -L "$r/etc/modprobe.d/gpt-bootcfg.conf.bak"
ok "the relative link is kept as .bak" -- test -L "$r/etc/gpt-bootcfg/claim.list.bak"
ok "apply's own files are in place" -- \
	grep -q gpt-bootcfg "$r/etc/modprobe.d/gpt-bootcfg.conf" "$r/etc/gpt-bootcfg/claim.list"

run_gen "$r" revert
is "$rc" 0 "revert"
ok "revert names the restore of the absolute link" -- grep -qF \
	"restore /etc/modprobe.d/gpt-bootcfg.conf from /etc/modprobe.d/gpt-bootcfg.conf.bak" \
	"$TAP_TMP/out.txt"
is "$(readlink "$r/etc/modprobe.d/gpt-bootcfg.conf")" /nonexistent/modprobe.conf \
	"the absolute link is back under its name"
is "$(readlink "$r/etc/gpt-bootcfg/claim.list")" ../elsewhere/claim.list \
	"the relative link is back under its name"
ok "no .bak is left" -- sh -c "! ls '$r/etc/modprobe.d/gpt-bootcfg.conf.bak' '$r/etc/gpt-bootcfg/claim.list.bak' 2>/dev/null"
is "$(tree_listing "$r")" "$before" "the tree is the one before apply"
done_testing
