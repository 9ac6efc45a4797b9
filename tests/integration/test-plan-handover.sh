#!/bin/sh
# handover = yes (issue 27) on a host whose only display is the GPU (the guide server with
# its BMC's VGA made a non-display device): without the key, plan refuses the GPU
# (boot-vga) as before; with it on the GPU alone, the GPU and its audio function (its
# IOMMU group mate) are not claimed at boot (empty claim list, no softdep, no blacklist, no
# video=efifb:off), and plan says what vm run does and what the host loses while the VM
# runs. Golden plans, text and JSON; a bad value is refused with FILE:LINE:COL.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server

R=$(fixture_copy guide-server)
one_gpu_root "$R"
mkdir -p "$R/etc/gpt-bootcfg"
C=$R/etc/gpt-bootcfg/gpt-bootcfg.conf
gpu_pair_conf 8G >"$C"
chmod 0644 "$C"

run_gen "$R" plan --json
is "$rc" 1 "without handover: plan refuses (exit 1)"
is "$(jq -r '[.refused[] | "\(.address) \(.reason)"] | join(",")' "$TAP_TMP/out.txt")" \
	"0000:65:00.0 boot-vga" "without handover: the only display is refused (boot-vga)"

sed -i 's/^address = 0000:65:00.0$/&\nhandover = yes/' "$C"
run_gen "$R" plan
is "$rc" 0 "handover = yes: plan accepts"
golden plan/handover.txt "$TAP_TMP/out.txt"
run_gen "$R" plan --json
golden plan/handover.json "$TAP_TMP/out.txt"
is "$(jq -c .claim "$TAP_TMP/out.txt")" "[]" "neither the GPU nor its group mate is claimed at boot"
is "$(jq -c .refused "$TAP_TMP/out.txt")" "[]" "nothing refused"
is "$(jq -c '[.softdep, .blacklist]' "$TAP_TMP/out.txt")" "[[],[]]" "no softdep, no blacklist: the host drives it at boot"
ok "no video=efifb:off: the host keeps its boot frame buffer" -- \
	sh -c "! jq -r '.cmdline[]' '$TAP_TMP/out.txt' | grep -q efifb"
ok "the note says what the host loses and how to get it back" -- \
	jq -e '.notes[] | select(test("no display at all.*SSH.*vm stop win"))' "$TAP_TMP/out.txt"
ok "the group mate is named as handed over with it" -- \
	jq -e '.notes[] | select(test("^0000:65:00.1 \\[device gpu-audio\\] is not claimed at boot"))' "$TAP_TMP/out.txt"

run_gen "$R" apply --yes --no-trial
is "$rc" 0 "apply"
is "$(grep -c '^0000:' "$R/etc/gpt-bootcfg/claim.list")" 0 "the claim list written by apply holds no device"

sed -i 's/^handover = yes$/handover = maybe/' "$C"
run_gen "$R" plan
is "$rc" 2 "handover = maybe: refused (exit 2)"
is "$(cat "$TAP_TMP/err.txt")" \
	"gpt-bootcfg: /etc/gpt-bootcfg/gpt-bootcfg.conf:3:12: handover: expected yes or no, not 'maybe'" \
	"handover = maybe: FILE:LINE:COL"
done_testing
