#!/bin/sh
# status: the running host against the configuration, before and after the "reboot"
# (simulated by editing the fixture copy as the boot would have changed it).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
. "$TOP/tests/lib/initramfs.sh"
need_fixture guide-server

# good_image: the initramfs update-initramfs would have built from the claim list in /etc
# (the image check itself: test-initramfs.sh).
good_image() {
	rm -rf "$TAP_TMP/img"
	initrd_tree "$R" 6.1.0-56-amd64 "$TAP_TMP/img"
	initrd_pack "$TAP_TMP/img" "$R/boot/initrd.img-6.1.0-56-amd64"
}

R=$(fixture_copy guide-server)
gpu_pair_conf 4G | write_conf "$R"

# Direct: the default entry carries the parameters (a trial's status: test-trial-confirm.sh).
run_gen "$R" apply --yes --no-trial
is "$rc" 0 "apply"

run_gen "$R" status
is "$rc" 1 "before the reboot: gaps, exit 1"
ok "driver gap shown" -- grep -q "GAP  0000:65:00.0 \[device gpu\]  driver: nouveau" "$TAP_TMP/out.txt"
ok "parameter gap shown" -- grep -q "GAP  intel_iommu=on (not in effect)" "$TAP_TMP/out.txt"
ok "hugepages gap shown" -- grep -q "1 GiB hugepages: 4 needed, 0 allocated" "$TAP_TMP/out.txt"

ok "the fixture's empty image fails" -- grep -q "^  FAIL /boot/initrd.img-6.1.0-56-amd64$" "$TAP_TMP/out.txt"

# The boot: the image rebuilt, parameters on the command line, both functions on
# vfio-pci, the pages reserved, the claim log written by the initramfs.
good_image
params=$(sed -n 's/^GRUB_CMDLINE_LINUX_DEFAULT="${GRUB_CMDLINE_LINUX_DEFAULT} \(.*\)"$/\1/p' \
	"$R/etc/default/grub.d/gpt-bootcfg.cfg")
ok "parameters read from the drop-in" -- test -n "$params"
sed -i "s|\$| $params|" "$R/proc/cmdline"
for a in 0000:65:00.0 0000:65:00.1; do
	l=$(readlink -f "$R/sys/bus/pci/devices/$a")/driver
	ln -sfn ../../../../bus/pci/drivers/vfio-pci "$l"
done
echo 4 >"$R/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"
mkdir -p "$R/run/gpt-bootcfg"
cat >"$R/run/gpt-bootcfg/claim.log" <<'LOG'
# gpt-bootcfg-claim: ADDRESS RESULT MESSAGE (claimlist.h)
0000:65:00.0 claimed claimed for vfio-pci in 0.42 ms (unbound nouveau)
0000:65:00.1 claimed claimed for vfio-pci in 0.31 ms (unbound snd_hda_intel)
LOG

run_gen "$R" status
is "$rc" 0 "after the boot: no gaps"
golden status/guide-server.txt "$TAP_TMP/out.txt"
run_gen "$R" status --json
is "$rc" 0 "status --json"
golden status/guide-server.json "$TAP_TMP/out.txt"
is "$(jq -c '[.devices[] | .claimed_at_boot]' "$TAP_TMP/out.txt")" "[true,true]" "claimed at boot per the log"

# One device skipped at boot and left on its host driver.
sed -i 's/^0000:65:00.1 .*/0000:65:00.1 skipped skipped: identity 10de:10f1 does not match/' \
	"$R/run/gpt-bootcfg/claim.log"
l=$(readlink -f "$R/sys/bus/pci/devices/0000:65:00.1")/driver
ln -sfn ../../../../bus/pci/drivers/snd_hda_intel "$l"
run_gen "$R" status
is "$rc" 1 "a device on its host driver is a gap"
ok "with the claim log's reason" -- grep -q "claim log: skipped: identity 10de:10f1 does not match" "$TAP_TMP/out.txt"

# Too few hugepages.
ln -sfn ../../../../bus/pci/drivers/vfio-pci "$l"
echo 2 >"$R/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"
run_gen "$R" status --json
is "$rc" 1 "too few hugepages is a gap"
is "$(jq -c .hugepages_1g "$TAP_TMP/out.txt")" '{"needed":4,"allocated":2}' "needed vs allocated"
echo 4 >"$R/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"

# A second VM on 2 MiB pages: its pool is reserved at boot too, and status checks it.
cat >>"$R/etc/gpt-bootcfg/gpt-bootcfg.conf" <<'CONF'
[vm small]
memory = 512M
hugepage-size = 2M
hugepage-mount = /dev/hugepages-2M
CONF
run_gen "$R" apply --yes --no-trial
is "$rc" 0 "apply with a 2 MiB VM"
good_image
ok "2 MiB pool after the 1 GiB one in the drop-in" -- \
	grep -q "hugepages=4 hugepagesz=2M hugepages=256 " "$R/etc/default/grub.d/gpt-bootcfg.cfg"
params=$(sed -n 's/^GRUB_CMDLINE_LINUX_DEFAULT="${GRUB_CMDLINE_LINUX_DEFAULT} \(.*\)"$/\1/p' \
	"$R/etc/default/grub.d/gpt-bootcfg.cfg")
run_gen "$R" status
is "$rc" 1 "before the reboot: gaps"
ok "2 MiB gap shown" -- grep -q "^2 MiB hugepages: 256 needed, 0 allocated$" "$TAP_TMP/out.txt"
echo "BOOT_IMAGE=/vmlinuz root=/dev/nvme0n1p2 ro $params" >"$R/proc/cmdline"
echo 256 >"$R/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
run_gen "$R" status
is "$rc" 0 "after the boot: both pools reserved, no gaps"
ok "2 MiB pool shown" -- grep -q "^2 MiB hugepages: 256 needed, 256 allocated$" "$TAP_TMP/out.txt"
echo 100 >"$R/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
run_gen "$R" status --json
is "$rc" 1 "too few 2 MiB pages is a gap"
is "$(jq -c .hugepages_2m "$TAP_TMP/out.txt")" '{"needed":256,"allocated":100}' "2 MiB needed vs allocated"
done_testing
