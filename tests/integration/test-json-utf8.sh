#!/bin/sh
# --json output is JSON whatever bytes a disk or a path holds (issue 30, item 5): a
# filesystem label that is not UTF-8 in list --json and plan --json, and a --root with a
# byte that is not UTF-8 in vm command --json --run-paths. Each output must parse as
# UTF-8 JSON (python3, strictly); the bad bytes are \ufffd each (src/basic/json.h).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server
need_tools python3
# strict FILE: parse FILE as UTF-8 JSON; print the label of nvme1n1's third partition's disk.
strict() {
	python3 -c 'import json, sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "strict"))' "$1"
}

R=$(fixture_copy guide-server)
mkdir -p "$R/etc/gpt-bootcfg"
guide_conf no | write_conf "$R"
sed -i "s/^E:ID_FS_LABEL=Windows\$/E:ID_FS_LABEL=W$(printf '\377\376')x/" "$R/run/udev/data/b259:7"
for verb in "list --json" "plan --json"; do
	run_gen "$R" $verb
	is "$rc" 0 "$verb: exit 0"
	ok "$verb: UTF-8 JSON" -- strict "$TAP_TMP/out.txt"
done
run_gen "$R" list --json
ok "list --json: the label's bad bytes are \\ufffd each" -- grep -qF '"W\ufffd\ufffdx"' "$TAP_TMP/out.txt"

# A root whose name is not UTF-8.
B="$TAP_TMP/root-$(printf '\351')"
cp -a "$R" "$B"
printf '[vm d]\nmemory = 128M\nhugepage-size = none\nvcpus = 1\nfirmware = bios\n' \
	>"$B/etc/gpt-bootcfg/gpt-bootcfg.conf"
chmod 0644 "$B/etc/gpt-bootcfg/gpt-bootcfg.conf"
run_gen "$B" vm command d --json --run-paths
is "$rc" 0 "vm command --json --run-paths under a non-UTF-8 root: exit 0"
ok "vm command --json --run-paths: UTF-8 JSON" -- strict "$TAP_TMP/out.txt"
done_testing
