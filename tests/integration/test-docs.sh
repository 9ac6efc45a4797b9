#!/bin/sh
# The manual keeps up with the code: every key the configuration parser accepts is
# documented in docs/config.md and gpt-bootcfg.conf(5), every refusal reason in both, every
# verb, vm subcommand and long option of the CLI in gpt-bootcfg(8); both pages format
# without a groff warning and install compressed. The lists are taken from the sources, so
# adding a key, reason, verb or option without documenting it fails here.
. "$(dirname "$0")/../lib/tap.sh"

src=$TOP/src/gpt-bootcfg
md=$TOP/docs/config.md
man8=$TOP/man/gpt-bootcfg.8
man5=$TOP/man/gpt-bootcfg.conf.5

for f in "$md" "$man8" "$man5"; do
	ok "${f#"$TOP"/} exists" -- test -s "$f"
done

# Keys: [host] and [device] compare e->key in conf/config.c, [vm] compares k in
# conf/vmconfig.c; the features (features/*.c: cpu-governor, max-cstate, audio, ...) own theirs.
host_dev_keys=$(grep -o 'streq(e->key, "[a-z0-9_-]*")' "$src/conf/config.c" "$src"/features/*.c | sed 's/.*"\(.*\)")/\1/')
# (only in vm_config_parse(): other functions use k for device-options names).
# vm_hw_parse_key() in conf/vm-hw.c takes the hardware keys (boot, display, ...), and each
# feature's vm_*_parse_key() in features/ its own (audio, looking-glass, input, ...).
vm_keys=$( (sed -n '/^int vm_config_parse(/,/^}/p' "$src/conf/vmconfig.c"
	sed -n '/^int vm_hw_parse_key(/,/^}/p' "$src/conf/vm-hw.c"
	sed -n '/^int vm_[a-z0-9]*_parse_key(/,/^}/p' "$src"/features/*.c) |
	grep -o 'streq(k, "[a-z0-9_-]*")' | sed 's/.*"\(.*\)")/\1/')
keys=$(printf '%s\n%s\n' "$host_dev_keys" "$vm_keys" | sort -u | sed '/^$/d')
ok "the parser has at least 40 keys (extraction works)" -- test "$(echo "$keys" | wc -l)" -ge 40
for k in address cmdline memory vcpu-pins extra-args device-options boot machine audio \
	audio-user cpu-governor max-cstate looking-glass usb-devices tpm secure-boot os; do
	ok "extracted key list has '$k'" -- sh -c "echo '$keys' | grep -qx -- '$k'"
done

# The roff source with escapes removed: \- -> -, font changes and break points dropped.
plain() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\[:&]//g' -e 's/\\(mu/x/g' "$1"
}
plain "$man5" >"$TAP_TMP/man5.txt"
plain "$man8" >"$TAP_TMP/man8.txt"
# Tags of .TP paragraphs: the first word after .B/.BR/.BI on the line after .TP.
awk 'prev == ".TP" && /^\.B[IR]? / { print $2 } { prev = $0 }' "$TAP_TMP/man5.txt" |
	tr -d '"' | sort -u >"$TAP_TMP/man5.tags"

missing_md="" missing_man=""
for k in $keys; do
	grep -qF "| \`$k\` |" "$md" || missing_md="$missing_md $k"
	grep -qx -- "$k" "$TAP_TMP/man5.tags" || missing_man="$missing_man $k"
done
is "$missing_md" "" "every parser key has a table row in docs/config.md"
is "$missing_man" "" "every parser key is a .TP entry in gpt-bootcfg.conf(5)"

# Refusal reasons (override = ..., --allow) from reasons.h.
reasons=$(sed -n '/refusal_reason_names\[/,/^};/p' "$src/core/reasons.h" |
	grep -o '= "[a-z-]*"' | tr -d '="' | tr -d ' ')
ok "reasons.h has reasons (extraction works)" -- test -n "$reasons"
missing_md="" missing_man=""
for r in $reasons; do
	grep -qF "| \`$r\` |" "$md" || missing_md="$missing_md $r"
	grep -qx -- "$r" "$TAP_TMP/man5.tags" || missing_man="$missing_man $r"
done
is "$missing_md" "" "every refusal reason is in docs/config.md"
is "$missing_man" "" "every refusal reason is in gpt-bootcfg.conf(5)"

# Verbs: the verb table of main.c; each has a subsection (.SS "VERB ...") in gpt-bootcfg(8).
verbs=$(grep -o '{"[a-z-]*", verb_' "$src/main.c" | sed 's/{"\(.*\)", verb_/\1/')
ok "main.c has verbs (extraction works)" -- test "$(echo "$verbs" | wc -l)" -ge 10
missing=""
for v in $verbs; do
	grep -Eq "^\.SS \"?$v( |\"|\$)" "$TAP_TMP/man8.txt" || missing="$missing $v"
done
is "$missing" "" "every verb of main.c has a section in gpt-bootcfg(8)"

# vm subcommands: the table of vm/vm.c ({"NAME", VM_OPT_..., sub_...}).
subs=$(grep -o '{"[a-z-]*", [A-Z_0-9 |]*, sub_' "$src/vm/vm.c" | sed 's/{"\([a-z-]*\)".*/\1/')
ok "vm.c has subcommands (extraction works)" -- test -n "$subs"
missing=""
for s in $subs; do
	grep -Eq "^\.SS \"vm $s( |\"|\$)" "$TAP_TMP/man8.txt" || missing="$missing $s"
done
is "$missing" "" "every vm subcommand has a section in gpt-bootcfg(8)"

# Long options of the global parser and of every verb (struct option tables).
opts=$(grep -ho '{"[a-z-]*", *\(no\|required\|optional\)_argument' "$src"/*.c |
	sed 's/{"\([a-z-]*\)".*/\1/' | sort -u)
ok "option tables found (extraction works)" -- test "$(echo "$opts" | wc -l)" -ge 15
missing=""
for o in $opts; do
	grep -q -- "--$o\\b" "$TAP_TMP/man8.txt" || missing="$missing --$o"
done
is "$missing" "" "every long option is in gpt-bootcfg(8)"

# The kill switch, exit codes and the configuration's permission rule are documented.
ok "gpt-bootcfg(8) documents the kill switch" -- grep -q 'gpt_bootcfg=off' "$TAP_TMP/man8.txt"
for code in 0 1 2; do
	ok "gpt-bootcfg(8) documents exit status $code" -- \
		sh -c "sed -n '/^\.SH \"EXIT STATUS\"/,/^\.SH /p' '$TAP_TMP/man8.txt' | grep -qx '.B $code'"
done
ok "gpt-bootcfg.conf(5) states the ownership rule" -- grep -q 'owned by root' "$TAP_TMP/man5.txt"

# Formatting: no groff warning, and a NAME line whatis can index.
for p in "$man8" "$man5"; do
	n=${p##*/}
	groff -man -ww -z "$p" >"$TAP_TMP/groff.out" 2>&1
	is "$(cat "$TAP_TMP/groff.out")" "" "groff -man -ww -z $n reports nothing"
	groff -man -ww -z -Tutf8 "$p" >"$TAP_TMP/groff.out" 2>&1
	is "$(cat "$TAP_TMP/groff.out")" "" "groff -man -ww -z -Tutf8 $n reports nothing"
	ok "$n has a NAME line (NAME \\- description)" -- \
		sh -c "sed -n '/^\.SH NAME/{n;p;}' '$p' | grep -q ' \\\\- '"
done

# make install-man: compressed pages in man8 and man5, nothing uncompressed beside them.
dest=$TAP_TMP/dest
ok "make install-man" -- make -s -C "$TOP" BUILD="$TAP_TMP/build" install-man DESTDIR="$dest"
for f in man8/gpt-bootcfg.8.gz man5/gpt-bootcfg.conf.5.gz; do
	ok "installed $f is gzip of the page" -- \
		sh -c "gzip -dc '$dest/usr/share/man/$f' | cmp -s - '$TOP/man/$(basename "$f" .gz)'"
done
is "$(find "$dest" -type f ! -name '*.gz' | wc -l | tr -d ' ')" 0 "no uncompressed page installed"

# The shipped example configuration is valid on the host it describes (the guide's server):
# topo-xeon18 is guide-server with the guide's 36 CPUs (guide-server's capture guest has 2,
# and plan refuses isolating pinned CPUs that are not online).
R=$(fixture_copy topo-xeon18)
mkdir -p "$R/etc/gpt-bootcfg" "$R/data/iso"
: >"$R/data/iso/virtio-win.iso"
install -m 0644 "$TOP/examples/gpt-bootcfg.conf" "$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
ok "examples/gpt-bootcfg.conf: plan accepts it on the guide's server" -- \
	"$GPT_BOOTCFG" --root "$R" plan

done_testing
