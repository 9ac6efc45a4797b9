#!/bin/sh
# [host] max-cstate and cpu-governor in plan (issue 15, item 5) on the guide's server (an
# Intel host): intel_idle.max_cstate and processor.max_cstate with their reasons (golden),
# the governor vm run will set and on which CPUs, the same host as AMD (no intel_idle), a
# governor the fixture's CPUs do not offer (a warning), and bad values (FILE:LINE:COL, exit 2,
# nothing written).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server

R=$(fixture_copy guide-server)
set_cpus "$R" 0-35
for c in 12 13 14 15 16 17 32 33 34 35; do
	mkdir -p "$R/sys/devices/system/cpu/cpu$c/cpufreq"
	echo powersave >"$R/sys/devices/system/cpu/cpu$c/cpufreq/scaling_governor"
	echo "performance powersave" >"$R/sys/devices/system/cpu/cpu$c/cpufreq/scaling_available_governors"
done
mkdir -p "$R/etc/gpt-bootcfg"
C=/etc/gpt-bootcfg/gpt-bootcfg.conf
write_config() { # HOST-LINES
	cat >"$R$C" <<CONF
[host]
$1

[device gpu]
address = 0000:65:00.0
id = 10de:1c03
[device gpu-audio]
address = 0000:65:00.1

[vm win10]
devices = gpu gpu-audio
memory = 16G
vcpus = 8
vcpu-pins = 14-17,32-35
emulator-cpus = 12-13
CONF
	chmod 0644 "$R$C"
}

write_config "max-cstate = 1
cpu-governor = performance"
tree_listing "$R" >"$TAP_TMP/before"
run_gen "$R" plan
is "$rc" 0 "plan exits 0"
scrub "$TAP_TMP/out.txt" "$R"
golden plan/power.txt "$TAP_TMP/out.txt"
run_gen "$R" plan --json
is "$rc" 0 "plan --json exits 0"
ok "both C-state parameters, in that order, after the generated ones" -- jq -e '
	.cmdline as $c | ($c | index("intel_idle.max_cstate=1")) as $i |
	($c | index("processor.max_cstate=1")) as $p |
	$i != null and $p == $i + 1 and ($c | index("iommu=pt")) < $i' "$TAP_TMP/out.txt"
tree_listing "$R" >"$TAP_TMP/after"
ok "plan writes nothing" -- cmp "$TAP_TMP/before" "$TAP_TMP/after"

# The same host with an AMD CPU: intel_idle never runs there.
sed -i 's/GenuineIntel/AuthenticAMD/' "$R/proc/cpuinfo"
run_gen "$R" plan --json
is "$rc" 0 "AMD: plan exits 0"
is "$(jq -r '[.cmdline[] | select(test("max_cstate"))] | join(" ")' "$TAP_TMP/out.txt")" \
	"processor.max_cstate=1" "AMD: only processor.max_cstate"
sed -i 's/AuthenticAMD/GenuineIntel/' "$R/proc/cpuinfo"

# A governor the CPUs do not offer: vm run would refuse; plan says so beforehand.
write_config "cpu-governor = ondemand"
run_gen "$R" plan
is "$rc" 0 "unavailable governor: plan still exits 0 (a VM matter, not the boot's)"
ok "unavailable governor: warned" -- grep -qF "Warning: VM 'win10' will not start: cpu-governor = ondemand is not available on CPU 12 (scaling_available_governors: performance powersave)" "$TAP_TMP/out.txt"
ok "no C-state parameter without max-cstate" -- sh -c "! grep -q max_cstate '$TAP_TMP/out.txt'"

# Bad values: plan and apply refuse with the position; apply writes nothing.
bad() { # DESCRIPTION HOST-LINES WANT
	write_config "$2"
	tree_listing "$R" >"$TAP_TMP/before"
	run_gen "$R" plan
	is "$rc" 2 "$1: plan exits 2"
	is "$(cat "$TAP_TMP/err.txt")" "gpt-bootcfg: $3" "$1: message"
	run_gen "$R" apply --yes
	is "$rc" 2 "$1: apply exits 2"
	tree_listing "$R" >"$TAP_TMP/after"
	ok "$1: apply wrote nothing" -- cmp "$TAP_TMP/before" "$TAP_TMP/after"
}
bad "max-cstate out of range" "max-cstate = 10" "$C:2:14: max-cstate: expected a C-state from 0 to 9, not '10'"
bad "max-cstate not a number" "max-cstate = C1" "$C:2:14: max-cstate: expected a C-state from 0 to 9, not 'C1'"
bad "governor name" "cpu-governor = perf!" "$C:2:16: cpu-governor: invalid governor name 'perf!' (e.g. performance, schedutil, ondemand)"
bad "max-cstate and cmdline" "cmdline = intel_idle.max_cstate=0
max-cstate = 1" "$C:3:14: max-cstate: cmdline (line 2) sets 'intel_idle.max_cstate=0' too; keep one of them"

done_testing
