#!/bin/sh
# plan as a guardrail (issue 30): VM memory beyond the host's, isolate-cpus with CPUs that are
# not online, a [host] cmdline blacklisting the driver of a device the host keeps, a UEFI VM
# without the default firmware. Each is refused by plan and apply (FILE:LINE:COL naming the
# key, exit 2, nothing written) and shown by check as a failed line; each has a control that
# passes. The fixture host is the guide's: 62 GiB MemTotal (the host keeps 10 %: 6.3 GiB),
# CPUs 0-1 online without a topology, its own audio 0000:00:1b.0 on snd_hda_intel and USB
# controller 0000:b4:00.0 on xhci_hcd (module xhci_pci).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server

C=/etc/gpt-bootcfg/gpt-bootcfg.conf
R=$(fixture_copy guide-server)
mkdir -p "$R/etc/gpt-bootcfg"

# conf LINE...: the configuration, one argument a line.
conf() {
	printf '%s\n' "$@" >"$R$C"
	chmod 0644 "$R$C"
}

# refused WHAT MESSAGE: plan and apply exit 2 with MESSAGE (a fixed string) on stderr and
# write nothing.
refused() {
	_before=$(tree_listing "$R")
	for _verb in plan "apply --yes"; do
		# shellcheck disable=SC2086
		run_gen "$R" $_verb
		is "$rc" 2 "$1: $_verb exits 2"
		ok "$1: $_verb says $2" -- grep -qF -- "$2" "$TAP_TMP/err.txt"
	done
	is "$(tree_listing "$R")" "$_before" "$1: nothing written"
}

# check_fails ID WHAT: check shows a failed line ID naming WHAT.
check_fails() {
	run_gen "$R" check
	ok "check: fail $1 ($2)" -- sh -c "grep -E '^fail +$1 ' '$TAP_TMP/out.txt' | grep -qF -- \"\$1\"" _ "$2"
}

# passes WHAT: plan exits 0.
passes() {
	run_gen "$R" plan
	is "$rc" 0 "$1: plan exits 0"
	[ "$rc" = 0 ] || sed 's/^/# /' "$TAP_TMP/err.txt"
}

# ---- 1. memory: one VM, and the autostarted VMs together ----
conf '[device gpu]' 'address = 0000:65:00.0' '[device gpu-audio]' 'address = 0000:65:00.1' \
	'[vm a]' 'devices = gpu gpu-audio' 'memory = 60G'
refused "one VM beyond the host" \
	"$C:7:10: VM 'a': memory 60 GiB is more than this host can give a VM: 56.4 GiB of its 62.6 GiB (MemTotal), as the host keeps 6.3 GiB (1 GiB or 10 %, whichever is more)"
check_fails vm-memory "VM 'a': memory 60 GiB"
conf '[vm a]' 'memory = 30G' 'autostart = yes' '[vm b]' 'memory = 30G' 'autostart = yes'
refused "two autostarted VMs together" \
	"$C:5:10: the autostarted VMs ('a', 'b') start together at boot and need 60 GiB"
check_fails vm-memory "the autostarted VMs ('a', 'b')"
conf '[vm a]' 'memory = 30G' 'autostart = yes' '[vm b]' 'memory = 30G' 'autostart = no'
passes "control: only one of them autostarts"
conf '[vm a]' 'memory = 56G'
passes "control: 56 GiB fits"
cp "$R/proc/meminfo" "$TAP_TMP/meminfo"
rm "$R/proc/meminfo"
conf '[vm a]' 'memory = 60G'
passes "no /proc/meminfo: not checked"
run_gen "$R" check
ok "check: a skip line names the missing fact" -- grep -qE "^skip +guardrail +vm-memory: the host's memory is unknown \(no MemTotal in /proc/meminfo\)" "$TAP_TMP/out.txt"
# A small host (a 2 GiB machine: 1.9 GiB MemTotal): the 1 GiB floor, not 10 %.
sed 's/^MemTotal:.*/MemTotal:        1992324 kB/' "$TAP_TMP/meminfo" >"$R/proc/meminfo"
conf '[vm a]' 'memory = 1G'
refused "small host: 1 GiB beyond its 0.9 GiB" \
	"$C:2:10: VM 'a': memory 1 GiB is more than this host can give a VM: 921 MiB of its 1.9 GiB (MemTotal), as the host keeps 1 GiB (1 GiB or 10 %, whichever is more)"
conf '[vm a]' 'memory = 768M' 'hugepage-size = 2M'
passes "small host: 768 MiB fits"
cp "$TAP_TMP/meminfo" "$R/proc/meminfo"

# ---- 2. isolate-cpus: the pinned CPUs must be online (CPUs 0-1 here) ----
for how in yes dynamic; do
	conf '[host]' "isolate-cpus = $how" '[vm a]' 'memory = 1G' 'vcpus = 2' 'vcpu-pins = 1,2'
	refused "isolate-cpus = $how, CPU 2 not online" \
		"$C:6:13: VM 'a': vcpu-pins: CPU 2 is not online on this host, and isolate-cpus = $how would isolate it"
	check_fails isolate-cpus "CPU 2 is not online"
done
conf '[host]' 'isolate-cpus = yes' '[vm a]' 'memory = 1G' 'vcpus = 2' 'vcpu-pins = 0-1'
passes "control: CPUs 0-1 are online"
ok "control: isolcpus= names them" -- grep -q 'isolcpus=0-1' "$TAP_TMP/out.txt"
# A topology (18 cores, 2 threads each; siblings N and N+18): CPU 3 offline, in the kernel's
# online list as in its cpu3/online. Explicit pins naming it are refused before placement
# (core/placement-config.c); vcpu-pins = auto (17 whole cores asked) leaves out its core.
T=$(fixture_copy topo-xeon18)
echo 0 >"$T/sys/devices/system/cpu/cpu3/online"
echo 0-2,4-35 >"$T/sys/devices/system/cpu/online"
mkdir -p "$T/etc/gpt-bootcfg"
printf '[host]\nisolate-cpus = yes\n[vm a]\nmemory = 1G\nvcpus = 2\nvcpu-pins = 2-3\n' >"$T$C"
chmod 0644 "$T$C"
run_gen "$T" plan
is "$rc" 2 "topology, CPU 3 offline, explicit pins: refused"
ok "topology: names the offline CPU" -- grep -qF "$C:6:13: vcpu-pins: CPU 3 is offline on this host" "$TAP_TMP/err.txt"
printf '[host]\nisolate-cpus = yes\n[vm a]\nmemory = 1G\nvcpus = 34\nsockets = 1\ncores = 17\nthreads = 2\nvcpu-pins = auto\n' >"$T$C"
run_gen "$T" plan
is "$rc" 0 "topology, vcpu-pins = auto: plans"
# The CPUs isolcpus= names, one a line.
sed -n 's/^  isolcpus=\([0-9,-]*\)$/\1/p' "$TAP_TMP/out.txt" | tr ',' '\n' |
	awk -F- '{ for (i = $1; i <= (NF > 1 ? $2 : $1); i++) print i }' >"$TAP_TMP/iso.txt"
is "$(wc -l <"$TAP_TMP/iso.txt")" 34 "vcpu-pins = auto: isolcpus= names 34 CPUs"
ok "vcpu-pins = auto: isolcpus= leaves out offline CPU 3" -- sh -c "! grep -qx 3 '$TAP_TMP/iso.txt'"

# ---- 3. cmdline blacklisting the driver of a device the host keeps ----
# The guide's own line: nouveau goes with the GPU, but snd_hda_intel also drives the host's
# audio 0000:00:1b.0.
conf '[host]' 'cmdline = iommu=pt modprobe.blacklist=nvidiafb,nouveau,snd_hda_intel' \
	'[device gpu]' 'address = 0000:65:00.0' '[device gpu-audio]' 'address = 0000:65:00.1' \
	'[vm a]' 'memory = 1G' 'devices = gpu gpu-audio'
refused "modprobe.blacklist of the host's audio driver" \
	"$C:2:56: cmdline: 'modprobe.blacklist=nvidiafb,nouveau,snd_hda_intel' blacklists snd_hda_intel, which drives the host's 0000:00:1b.0"
check_fails cmdline-blacklist "0000:00:1b.0"
# module_blacklist=, '-' for '_', the module (xhci_pci) not the driver (xhci_hcd).
conf '[host]' 'cmdline = module_blacklist=xhci-pci' '[vm a]' 'memory = 1G'
refused "module_blacklist of the host's USB controller" \
	"$C:2:28: cmdline: 'module_blacklist=xhci-pci' blacklists xhci_pci, which drives the host's 0000:b4:00.0"
ok "names the bound driver" -- grep -qF "[xhci_hcd]" "$TAP_TMP/err.txt"
# The root disk's controller (nvme also drives 0000:b3:00.0, passed through here).
conf '[host]' 'cmdline = modprobe.blacklist=nvme' '[device nvme]' 'address = 0000:b3:00.0' \
	'[vm a]' 'memory = 1G' 'devices = nvme'
refused "modprobe.blacklist of the root disk's driver" \
	"blacklists nvme, which drives the host's 0000:01:00.0"
ok "says the host uses its disk" -- grep -qF "mounted on / (nvme0n1p2)" "$TAP_TMP/err.txt"
ok "not the passed-through controller" -- sh -c "! grep -q 'drives the host.s 0000:b3:00.0' '$TAP_TMP/err.txt'"
conf '[host]' 'cmdline = modprobe.blacklist=nvidiafb,nouveau' \
	'[device gpu]' 'address = 0000:65:00.0' '[device gpu-audio]' 'address = 0000:65:00.1' \
	'[vm a]' 'memory = 1G' 'devices = gpu gpu-audio'
passes "control: nouveau drives only the GPU, which goes to the VM"
conf '[host]' 'cmdline = module_blacklist=xhci_pci' '[device usb]' 'address = 0000:b4:00.0' \
	'[vm a]' 'memory = 1G' 'devices = usb'
passes "control: xhci_pci drives only the USB controller, which goes to the VM"

# ---- 4. the default ovmf-code (Debian's ovmf package) ----
rm "$R/usr/share/OVMF/OVMF_CODE_4M.fd"
conf '[vm d]' 'memory = 1G'
refused "UEFI VM without the default firmware" \
	"$C:1: VM 'd': its UEFI firmware '/usr/share/OVMF/OVMF_CODE_4M.fd' (the default ovmf-code) does not exist: install the package that provides it (Debian: apt install ovmf)"
check_fails vm-files "(the default ovmf-code) does not exist"
conf '[vm d]' 'memory = 1G' 'firmware = ovmf'
refused "firmware = ovmf: at its key" "$C:3:12: VM 'd': its UEFI firmware"
conf '[vm d]' 'memory = 1G' 'firmware = bios'
passes "control: firmware = bios needs no OVMF"
conf '[vm d]' 'memory = 1G' 'ovmf-code = /usr/share/OVMF/OVMF_CODE_4M.fd'
refused "explicit ovmf-code: as before" "$C:3:13: VM 'd': ovmf-code '/usr/share/OVMF/OVMF_CODE_4M.fd' does not exist"
: >"$R/usr/share/OVMF/OVMF_CODE_4M.fd"
conf '[vm d]' 'memory = 1G'
passes "control: the firmware is there"
done_testing
