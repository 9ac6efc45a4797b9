#!/bin/sh
# bench/placement.sh BUILD_DIR: placement quality (issue 28) on the three fixture topologies
# captured from QEMU guests (tests/fixtures/topo-*): for a guest of 4 cores x 2 threads, the
# share of guest cores whose two threads sit on one host core's SMT siblings, on the GPU's
# NUMA node, inside the L3 of vCPU 0, and with the emulator off their host cores; ours
# (vcpu-pins = auto, emulator-cpus = auto, from "vm command --json") against the guide's own
# layout (vCPU order = four cores' first threads, then their siblings; emulator on the two
# CPUs below: 14-17,32-35 and 12-13 on a 36- or 40-CPU host, 4-7,12-15 and 2-3 on the
# 16-CPU one). Scored by bench/placement-score.py from the fixture's sysfs, not by
# gpt-bootcfg. A figure, not a timing: prints a Markdown table.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
TOP=$top
. "$top/tests/lib/tap.sh" >/dev/null
TOP=$top
. "$top/tests/lib/setup.sh"
build=$(cd "${1:?usage: bench/placement.sh BUILD_DIR}" && pwd)

printf '\n| topology (fixture) | layout | vCPUs | emulator | SMT siblings | GPU node | one L3 | emulator off |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- |\n'
for fx in topo-xeon18 topo-xeon2s topo-amd2l3; do
	r=$(fixture_copy $fx)
	mkdir -p "$r/usr/share/OVMF"
	: >"$r/usr/share/OVMF/OVMF_CODE_4M.fd"
	: >"$r/usr/share/OVMF/OVMF_VARS_4M.fd"
	gpu_pair_conf 512M "hugepage-size = 2M" "vcpus = 8" "cores = 4" "threads = 2" \
		"vcpu-pins = auto" "emulator-cpus = auto" | write_conf "$r"
	"$build/gpt-bootcfg" --root "$r" vm command win --json >"$r/cmd.json"
	ours=$(jq -r '[.vcpu_pins[] | tostring] | join(",")' "$r/cmd.json")
	emu=$(jq -r '[.emulator_cpus[] | tostring] | join(",")' "$r/cmd.json")
	node=$(cat "$r/sys/bus/pci/devices/0000:65:00.0/numa_node")
	case $fx in
	topo-amd2l3) guide=4,5,6,7,12,13,14,15 gemu=2,3 ;;
	*) guide=14,15,16,17,32,33,34,35 gemu=12,13 ;;
	esac
	python3 "$top/bench/placement-score.py" "$r" "$node" "$fx" "ours (auto)" "$ours" "$emu"
	python3 "$top/bench/placement-score.py" "$r" "$node" "$fx" "the guide's" "$guide" "$gemu"
	rm -rf "$r"
done
rm -rf "$TAP_TMP"
