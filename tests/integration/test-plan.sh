#!/bin/sh
# plan on the guide's server: claims, refusals, parameters, drivers, files (golden).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server

R=$(fixture_copy guide-server)
mkdir -p "$R/etc/gpt-bootcfg"
cat >"$R/etc/gpt-bootcfg/gpt-bootcfg.conf" <<'CONF'
[host]
isolate-cpus = no

[device gpu]
address = 0000:65:00.0
id = 10de:1c03
subsystem = 1462:3285
[device gpu-audio]
address = 0000:65:00.1
id = 10de:10f1
[device usb]
address = 0000:b4:00.0
[device nvme]
address = 0000:b3:00.0

[vm win]
devices = gpu gpu-audio usb nvme
memory = 16G
autostart = yes
CONF
tree_listing "$R" >"$TAP_TMP/before"

run_gen "$R" plan
is "$rc" 0 "plan of the guide's devices exits 0"
golden plan/guide-server.txt "$TAP_TMP/out.txt"
run_gen "$R" plan --json
is "$rc" 0 "plan --json exits 0"
ok "JSON parses" -- jq -e . "$TAP_TMP/out.txt"
golden plan/guide-server.json "$TAP_TMP/out.txt"
is "$(jq -c .claim "$TAP_TMP/out.txt")" \
	'["0000:65:00.0","0000:65:00.1","0000:b3:00.0","0000:b4:00.0"]' "claims GPU+audio, NVMe, USB"
ok "softdep nouveau and snd_hda_intel" -- \
	jq -e '(.softdep | index("nouveau")) and (.softdep | index("snd_hda_intel"))' "$TAP_TMP/out.txt"
ok "no snd_hda_intel blacklist (it drives the host's own audio)" -- \
	jq -e '(.blacklist | index("snd_hda_intel")) == null' "$TAP_TMP/out.txt"
ok "nouveau blacklisted (no host device needs it)" -- \
	jq -e '.blacklist | index("nouveau")' "$TAP_TMP/out.txt"
ok "Intel IOMMU, passthrough mode, 16 hugepages" -- jq -e \
	'(.cmdline | index("intel_iommu=on")) and (.cmdline | index("iommu=pt")) and (.cmdline | index("hugepages=16"))' \
	"$TAP_TMP/out.txt"
ok "never selinux=0, no efifb (GPU is not the boot VGA)" -- jq -e \
	'([.cmdline[] | select(. == "selinux=0" or startswith("video="))] | length) == 0' "$TAP_TMP/out.txt"
ok "every file would be created, the VM link too" -- jq -e \
	'[.files[].action] == ["create","create","create","create"]' "$TAP_TMP/out.txt"
tree_listing "$R" >"$TAP_TMP/after"
ok "plan writes nothing" -- cmp "$TAP_TMP/before" "$TAP_TMP/after"

# Asking for the root NVMe: refused, with what is on the disk.
cat >>"$R/etc/gpt-bootcfg/gpt-bootcfg.conf" <<'CONF'
[device root]
address = 0000:01:00.0
CONF
run_gen "$R" plan --json
is "$rc" 1 "the root NVMe is refused (exit 1)"
is "$(jq -r '.refused[0].reason' "$TAP_TMP/out.txt")" root-disk "reason root-disk"
ok "detail names / on nvme0n1" -- grep -q 'nvme0n1: .*mounted on / (nvme0n1p2)' "$TAP_TMP/out.txt"
run_gen "$R" plan --allow root-disk
is "$rc" 0 "--allow root-disk overrides it"
ok "the override is shown" -- grep -q '(overridden) \[device root\] root-disk' "$TAP_TMP/out.txt"
run_gen "$R" plan --allow frob
is "$rc" 2 "unknown --allow reason is an error"
ok "named" -- grep -q "unknown reason 'frob'" "$TAP_TMP/err.txt"
done_testing
