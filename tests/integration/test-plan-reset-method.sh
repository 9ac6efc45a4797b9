#!/bin/sh
# reset-method and the AMD reset bug (issue 30) on the guide's host: its GPU 0000:65:00.0
# offers "bus" only (its reset_method file), its NVMe 0000:b3:00.0 "flr bus".
# - the key's syntax is checked when the file is read (unknown name, twice, default with
#   others), and against what the device offers by plan's guardrails (a method it does not
#   list, a device without the attribute): FILE:LINE:COL, exit 2, nothing written; check
#   fails the same as reset-method;
# - apply writes the method into the claim list (reset=bus on the device's line);
# - a GPU of AMD's (the fixture's GPU made 1002:67df, Polaris) without flr gets plan's and
#   check's warning: with a vendor-reset module in a kernel's module index it names the
#   module and device_specific, without one it says what to expect; none with flr, none when
#   reset-method is device_specific, none for the NVIDIA GPU.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server
need_tools depmod gcc

C=/etc/gpt-bootcfg/gpt-bootcfg.conf
R=$(fixture_copy guide-server)
GPU=$R/sys/devices/pci0000:64/0000:64:00.0/0000:65:00.0
mkdir -p "$R/etc/gpt-bootcfg"

conf() {
	printf '%s\n' "$@" >"$R$C"
	chmod 0644 "$R$C"
}
gpu_conf() { conf '[device gpu]' 'address = 0000:65:00.0' "$@" '[device gpu-audio]' 'address = 0000:65:00.1'; }

# refused WHAT MESSAGE: plan and apply exit 2 with MESSAGE on stderr and write nothing.
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

# ---- 1. the key's syntax, when the file is read ----
gpu_conf 'reset-method = bus warm'
refused "unknown method" \
	"$C:3:20: reset-method: unknown reset method 'warm' (the kernel's names: device_specific, acpi, flr, af_flr, pm, bus, cxl_bus; or default)"
gpu_conf 'reset-method = bus  bus'
refused "a method twice" "$C:3:21: reset-method: 'bus' named twice"
gpu_conf 'reset-method = bus default'
refused "default with others" "$C:3:20: reset-method: 'default' (the kernel's own order) stands alone"
gpu_conf 'reset-method ='
refused "empty value" "$C:3:15: reset-method: expected one or more of"

# ---- 2. against what the device offers ----
gpu_conf 'reset-method = bus flr'
refused "a method the device does not list" \
	"$C:3:20: reset-method: 0000:65:00.0 ([device gpu]) does not offer 'flr': its reset_method lists bus"
run_gen "$R" check
ok "check: fail reset-method naming the method" -- \
	sh -c "grep -E '^fail +reset-method ' '$TAP_TMP/out.txt' | grep -qF \"does not offer 'flr'\""
mv "$GPU/reset_method" "$TAP_TMP/reset_method"
gpu_conf 'reset-method = bus'
refused "no reset_method attribute (kernel before 5.15)" \
	"$C:3:16: reset-method: 0000:65:00.0 ([device gpu]) has no reset_method attribute: the kernel (6.1.0-56-amd64) is older than 5.15"
mv "$TAP_TMP/reset_method" "$GPU/reset_method"

# ---- 3. the method reaches the claim list ----
gpu_conf 'reset-method = bus'
run_gen "$R" plan
is "$rc" 0 "reset-method = bus, offered: plan exits 0"
run_gen "$R" apply --yes --no-trial
is "$rc" 0 "apply exits 0"
[ "$rc" = 0 ] || sed 's/^/# /' "$TAP_TMP/err.txt"
ok "claim list: reset=bus on the GPU's line" -- grep -qx "0000:65:00.0 10de:1c03 1462:3285 030000 reset=bus" "$R/etc/gpt-bootcfg/claim.list"
ok "claim list: its audio function without a method" -- grep -qx "0000:65:00.1 10de:10f1 1462:3285 040300" "$R/etc/gpt-bootcfg/claim.list"
gpu_conf 'reset-method = default'
run_gen "$R" apply --yes --no-trial
ok "claim list: reset=default" -- grep -qx "0000:65:00.0 10de:1c03 1462:3285 030000 reset=default" "$R/etc/gpt-bootcfg/claim.list"
gpu_conf
run_gen "$R" apply --yes --no-trial
ok "claim list: no key, no field" -- grep -qx "0000:65:00.0 10de:1c03 1462:3285 030000" "$R/etc/gpt-bootcfg/claim.list"
run_gen "$R" revert --yes

# ---- 4. the AMD reset bug ----
R=$(fixture_copy guide-server)
GPU=$R/sys/devices/pci0000:64/0000:64:00.0/0000:65:00.0
mkdir -p "$R/etc/gpt-bootcfg"
gpu_conf
run_gen "$R" plan
is "$(grep -c 'AMD' "$TAP_TMP/out.txt")" 0 "NVIDIA's GPU: no AMD warning"
echo 0x1002 >"$GPU/vendor"
echo 0x67df >"$GPU/device"
# The host model reads the ids from uevent where it is whole: the same ids there.
sed -i 's/^PCI_ID=.*/PCI_ID=1002:67DF/' "$GPU/uevent"
run_gen "$R" plan
is "$rc" 0 "AMD GPU without flr: plan exits 0 (a warning)"
ok "plan warns, naming what to expect without vendor-reset" -- grep -qF \
	"Warning: device 'gpu' (0000:65:00.0, AMD 1002:67df): its reset methods (bus) lack flr, and AMD's Polaris, Vega and Navi 1x cards are known to hang on a bus reset after the VM stops; no vendor-reset module in the module index (kernels: 6.1.0-56-amd64): expect the card not to come back after a VM stops until the host reboots, and stop the VM only by shutting the guest down" \
	"$TAP_TMP/out.txt"
run_gen "$R" check
ok "check warns the same (amd-reset)" -- sh -c "grep -E '^warn +amd-reset ' '$TAP_TMP/out.txt' | grep -qF 'no vendor-reset module in the module index'"
# vendor-reset (its DKMS build) in a kernel's module index: a stand-in module, indexed by
# depmod (the fixture keeps indexes, not modules, so it gets a kernel of its own).
kv=6.1.0-99-amd64
mkdir -p "$R/lib/modules/$kv/updates/dkms"
printf 'static const char m[] __attribute__((section(".modinfo"), used, aligned(1))) =\n"license=GPL\\0name=vendor_reset\\0vermagic=%s SMP mod_unload modversions ";\n' "$kv" >"$TAP_TMP/vr.c"
gcc -c "$TAP_TMP/vr.c" -o "$R/lib/modules/$kv/updates/dkms/vendor-reset.ko"
depmod -b "$R" "$kv" 2>/dev/null
ok "the stand-in is in that kernel's modules.dep" -- grep -q '^updates/dkms/vendor-reset.ko:' "$R/lib/modules/$kv/modules.dep"
run_gen "$R" plan
ok "plan names vendor-reset and device_specific" -- grep -qF \
	"lack flr, and AMD's Polaris, Vega and Navi 1x cards are known to hang on a bus reset after the VM stops. The vendor-reset module is there for kernel $kv: load it (modprobe vendor-reset; at boot: vendor-reset in /etc/modules-load.d/) and set reset-method = device_specific in [device gpu]" \
	"$TAP_TMP/out.txt"
run_gen "$R" check
ok "check names vendor-reset too" -- sh -c "grep -E '^warn +amd-reset ' '$TAP_TMP/out.txt' | grep -qF 'The vendor-reset module is there for kernel $kv'"
gpu_conf 'reset-method = device_specific'
run_gen "$R" plan
is "$rc" 0 "reset-method = device_specific (vendor-reset's): plan exits 0"
is "$(grep -c 'AMD' "$TAP_TMP/out.txt")" 0 "reset-method = device_specific: no warning"
gpu_conf 'reset-method = bus'
run_gen "$R" plan
ok "reset-method = bus: still warned (a bus reset is what hangs)" -- grep -qF "AMD's Polaris" "$TAP_TMP/out.txt"
gpu_conf
echo "flr bus" >"$GPU/reset_method"
run_gen "$R" plan
is "$(grep -c 'AMD' "$TAP_TMP/out.txt")" 0 "AMD GPU with flr: no warning"
run_gen "$R" check
is "$(grep -c 'amd-reset' "$TAP_TMP/out.txt")" 0 "AMD GPU with flr: no check warning"
echo 0x040300 >"$GPU/class"
sed -i 's/^PCI_CLASS=.*/PCI_CLASS=40300/' "$GPU/uevent"
echo "bus" >"$GPU/reset_method"
run_gen "$R" plan
is "$(grep -c 'AMD' "$TAP_TMP/out.txt")" 0 "an AMD device that is no display: no warning"
done_testing
