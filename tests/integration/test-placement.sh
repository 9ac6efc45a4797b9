#!/bin/sh
# CPU placement (issue 28) on the three fixture topologies captured from QEMU guests
# (tests/fixtures/topology/): the guide's 1-socket 18-core Xeon, a 2-socket Xeon with a node
# per socket and the GPU on node 1, and a part with two L3s. vcpu-pins = auto and
# emulator-cpus = auto: plan (with its reasons), vm command --json and vm export --libvirt
# are golden; vm command's pins are whole cores' siblings in vCPU order. Explicit pins: plan
# and check warn about the guide's sibling-splitting layout, and refuse an offline CPU
# (FILE:LINE:COL, exit 2, nothing written).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_tools jq python3
for fx in topo-xeon18 topo-xeon2s topo-amd2l3; do need_fixture $fx; done

make_root() { # FIXTURE LINE...
	_r=$(fixture_copy "$1")
	shift
	mkdir -p "$_r/usr/share/OVMF" "$_r/var/lib/gpt-bootcfg/win"
	: >"$_r/usr/share/OVMF/OVMF_CODE_4M.fd"
	: >"$_r/usr/share/OVMF/OVMF_VARS_4M.fd"
	# The identity a first vm run pins: the argv and XML do not depend on this QEMU.
	echo pc-q35-7.2 >"$_r/var/lib/gpt-bootcfg/win/machine"
	echo 6a1c2f0e-58d4-4b8e-9c1d-3f2a7b9e0d15 >"$_r/var/lib/gpt-bootcfg/win/uuid"
	gpu_pair_conf 512M "hugepage-size = 2M" "$@" | write_conf "$_r"
	echo "$_r"
}

# siblings ROOT JSON THREADS: each guest core's vCPUs sit on one host core's
# thread_siblings_list, read from the fixture's sysfs (not from gpt-bootcfg).
siblings_ok() {
	jq -r '.vcpu_pins[]' "$2" | python3 -c '
import sys
root, threads = sys.argv[1], int(sys.argv[2])
pins = [int(l) for l in sys.stdin]
def sib(c):
    s = open("%s/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list" % (root, c)).read().strip()
    out = []
    for part in s.split(","):
        a, _, b = part.partition("-")
        out += range(int(a), int(b or a) + 1)
    return out
for g in range(len(pins) // threads):
    core = pins[g * threads:(g + 1) * threads]
    assert sib(core[0]) == sorted(core), "guest core %d: %s vs siblings %s" % (g, core, sib(core[0]))
print("ok")' "$1" "$3"
}

for fx in topo-xeon18 topo-xeon2s topo-amd2l3; do
	R=$(make_root $fx "vcpus = 8" "cores = 4" "threads = 2" "vcpu-pins = auto" "emulator-cpus = auto")
	run_gen "$R" plan
	is "$rc" 0 "$fx: plan with vcpu-pins = auto exits 0"
	scrub "$TAP_TMP/out.txt" "$R"
	golden "plan/$fx.txt" "$TAP_TMP/out.txt"
	ok "$fx: plan explains each guest core" -- \
		test "$(grep -c '^Note: \[vm win\] CPU placement: guest core [0-3] ' "$TAP_TMP/out.txt")" = 4

	"$GPT_BOOTCFG" --root "$R" vm command win --json >"$TAP_TMP/cmd.json" 2>"$TAP_TMP/err"
	is "$?" 0 "$fx: vm command --json exits 0"
	golden "vm/$fx.json" "$TAP_TMP/cmd.json"
	is "$(jq '.vcpu_pins | length' "$TAP_TMP/cmd.json")" 8 "$fx: 8 vcpu_pins"
	is "$(siblings_ok "$R" "$TAP_TMP/cmd.json" 2)" ok "$fx: each guest core on one host core's siblings (fixture sysfs)"
	is "$(jq -r '[.vcpu_pins[], .emulator_cpus[]] | length == (unique | length)' "$TAP_TMP/cmd.json")" true \
		"$fx: the emulator's CPUs are none of the vCPUs'"
	is "$(jq -r '[.argv[] | select(startswith("8,sockets=1,cores=4,threads=2"))] | length' "$TAP_TMP/cmd.json")" 1 \
		"$fx: QEMU gets the same shape"

	"$GPT_BOOTCFG" --root "$R" vm export win --libvirt >"$TAP_TMP/dom.xml" 2>"$TAP_TMP/err"
	is "$?" 0 "$fx: vm export --libvirt exits 0"
	golden "vm/libvirt/$fx.xml" "$TAP_TMP/dom.xml"
	is "$(python3 -c '
import sys, xml.etree.ElementTree as ET
t = ET.parse(sys.argv[1]).getroot().find("cputune")
print(",".join(v.get("cpuset") for v in sorted(t.findall("vcpupin"), key=lambda v: int(v.get("vcpu")))))' "$TAP_TMP/dom.xml")" \
		"$(jq -r '[.vcpu_pins[] | tostring] | join(",")' "$TAP_TMP/cmd.json")" \
		"$fx: the XML's vcpupin are vm command's pins"
done

# The 2-socket host: the GPU is on node 1, so are the vCPUs and the memory.
R=$(make_root topo-xeon2s "vcpus = 8" "cores = 4" "threads = 2" "vcpu-pins = auto" "emulator-cpus = auto")
"$GPT_BOOTCFG" --root "$R" vm command win --json >"$TAP_TMP/cmd.json"
is "$(jq -r '[.vcpu_pins[], .emulator_cpus[]] | map(select((. >= 10 and . <= 19) or (. >= 30))) | length' "$TAP_TMP/cmd.json")" 10 \
	"xeon2s: vCPUs and emulator on node 1's CPUs (10-19,30-39)"
ok "xeon2s: memory bound to node 1" -- sh -c "jq -r '.argv[]' '$TAP_TMP/cmd.json' | grep -q 'host-nodes=1'"

# No device with a node: the node with the most free cores (node 0 on the tie), and the
# memory follows the vCPUs there.
R=$(make_root topo-xeon2s "vcpus = 8" "cores = 4" "threads = 2" "vcpu-pins = auto" "emulator-cpus = auto")
for f in 0 1; do echo -1 >"$R/sys/devices/pci0000:64/0000:64:00.0/0000:65:00.$f/numa_node"; done
"$GPT_BOOTCFG" --root "$R" vm command win --json >"$TAP_TMP/cmd.json"
is "$(jq -r '[.vcpu_pins[] | tostring] | join(",")' "$TAP_TMP/cmd.json")" "6,26,7,27,8,28,9,29" \
	"xeon2s without a device node: node 0's top cores"
ok "xeon2s without a device node: memory bound to node 0 with them" -- sh -c "jq -r '.argv[]' '$TAP_TMP/cmd.json' | grep -q 'host-nodes=0'"
run_gen "$R" plan
ok "plan says why node 0" -- grep -q "^Note: \[vm win\] CPU placement: node 0: the node with the most free cores (10)" "$TAP_TMP/out.txt"

# Two auto VMs: disjoint cores, the first VM of the file first.
R=$(make_root topo-xeon18 "vcpus = 4" "threads = 2" "vcpu-pins = auto" "emulator-cpus = auto")
cat >>"$R/etc/gpt-bootcfg/gpt-bootcfg.conf" <<'CONF'
[vm second]
memory = 512M
hugepage-size = 2M
vcpus = 4
threads = 2
vcpu-pins = auto
emulator-cpus = auto
devices = gpu-audio
CONF
"$GPT_BOOTCFG" --root "$R" vm command win --json >"$TAP_TMP/a.json"
mkdir -p "$R/var/lib/gpt-bootcfg/second"
echo pc-q35-7.2 >"$R/var/lib/gpt-bootcfg/second/machine"
echo 0b5e3c1a-7d2f-4e6a-8b9c-1d2e3f4a5b6c >"$R/var/lib/gpt-bootcfg/second/uuid"
"$GPT_BOOTCFG" --root "$R" vm command second --json >"$TAP_TMP/b.json" 2>"$TAP_TMP/err"
is "$(jq -r '[.vcpu_pins[], .emulator_cpus[] | tostring] | join(",")' "$TAP_TMP/a.json") / $(jq -r '[.vcpu_pins[], .emulator_cpus[] | tostring] | join(",")' "$TAP_TMP/b.json")" \
	"16,34,17,35,15,33 / 13,31,14,32,12,30" "two auto VMs get disjoint whole cores"

# The guide's own pins on its Xeon: 4 guest cores split over 8 host cores.
R=$(make_root topo-xeon18 "vcpus = 8" "cores = 4" "threads = 2" "vcpu-pins = 14-17,32-35" "emulator-cpus = 0-3,18-21")
run_gen "$R" plan
is "$rc" 0 "guide's pins: plan exits 0 (a warning, not a refusal)"
is "$(grep -c "^Warning: VM 'win': vcpu-pins: guest core [0-3] (vCPUs [0-9]-[0-9]) is split over host cores" "$TAP_TMP/out.txt")" 4 \
	"guide's pins: plan warns about each of the 4 split guest cores"
run_gen "$R" check --json
is "$(jq '[.checks[] | select(.id == "cpu-placement" and .status == "warn")] | length' "$TAP_TMP/out.txt")" 4 \
	"guide's pins: check warns 4 times"

# A pin next to the emulator's core, and one on the other node.
R=$(make_root topo-xeon2s "vcpus = 2" "threads = 2" "vcpu-pins = 5,25" "emulator-cpus = 5")
run_gen "$R" plan
is "$rc" 2 "emulator-cpus inside vcpu-pins stays a config error"
R=$(make_root topo-xeon2s "vcpus = 2" "threads = 2" "vcpu-pins = 4,24" "emulator-cpus = 24")
run_gen "$R" plan
is "$rc" 2 "emulator CPU = a vCPU's CPU: config error"
R=$(make_root topo-xeon2s "vcpus = 2" "threads = 2" "vcpu-pins = 4,24" "emulator-cpus = 5,25")
run_gen "$R" plan
ok "vCPUs on node 0 with the GPU on node 1: warned" -- \
	grep -q "^Warning: VM 'win': vcpu-pins: vCPU 0 runs on CPU 4 of NUMA node 0, the VM's device and memory are on node 1" "$TAP_TMP/out.txt"
R=$(make_root topo-xeon18 "vcpus = 2" "threads = 2" "vcpu-pins = 4,22" "emulator-cpus = 3,22-23")
run_gen "$R" plan
is "$rc" 2 "a CPU in both lists stays refused"
R=$(make_root topo-xeon18 "vcpus = 1" "vcpu-pins = 4" "emulator-cpus = 22")
run_gen "$R" plan
ok "a vCPU sharing a core with the emulator: warned" -- \
	grep -q "^Warning: VM 'win': emulator-cpus: vCPU 0's CPU 4 shares a host core" "$TAP_TMP/out.txt"

# An offline CPU: refused with its position, nothing written.
R=$(make_root topo-xeon18 "vcpus = 2" "vcpu-pins = 7,33")
echo 0 >"$R/sys/devices/system/cpu/cpu33/online"
echo 0-32,34-35 >"$R/sys/devices/system/cpu/online"
before=$(tree_listing "$R")
run_gen "$R" apply --yes --no-trial
is "$rc" 2 "offline CPU: apply exits 2"
is "$(cat "$TAP_TMP/err.txt")" "gpt-bootcfg: /etc/gpt-bootcfg/gpt-bootcfg.conf:10:13: vcpu-pins: CPU 33 is offline on this host" \
	"offline CPU: FILE:LINE:COL"
is "$(tree_listing "$R")" "$before" "offline CPU: nothing written"
R=$(make_root topo-xeon18 "vcpus = 2" "vcpu-pins = 7,40")
run_gen "$R" check
is "$rc" 2 "absent CPU: check exits 2"
ok "absent CPU: said so" -- grep -q "vcpu-pins: CPU 40 does not exist on this host (CPUs 0-35)" "$TAP_TMP/err.txt"

# Too big for the host: auto refuses at the key.
R=$(make_root topo-amd2l3 "vcpus = 16" "threads = 2" "vcpu-pins = auto" "emulator-cpus = auto")
run_gen "$R" plan
is "$rc" 2 "auto: 8 cores and an emulator on an 8-core host: exit 2"
ok "auto: the reason at the key" -- grep -q "gpt-bootcfg.conf:[0-9]*:[0-9]*: vcpu-pins = auto: needs 9 whole host cores" "$TAP_TMP/err.txt"
# Unknown topology (the guide's own snapshot has no cpuN directories).
R=$(fixture_copy guide-server)
gpu_pair_conf 512M "hugepage-size = 2M" "vcpus = 2" "vcpu-pins = auto" | write_conf "$R"
run_gen "$R" plan
is "$rc" 2 "auto without a topology: exit 2"
ok "auto without a topology: said so" -- grep -q "vcpu-pins = auto: the host's CPU topology is unknown" "$TAP_TMP/err.txt"

done_testing
