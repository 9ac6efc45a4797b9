# shellcheck shell=sh
# shellcheck disable=SC2154 # $d is the caller's work directory
# Sourced by the check-boot guest scenarios (busybox sh, /usr/lib/gbtest/guest-lib.sh in the
# guest): the steps every scenario that runs a VM shares. The caller sets $d (its work
# directory). Every wait is bounded: a hang must not keep the guest from its report.

# up: seconds since the guest booted.
up() { cut -d' ' -f1 /proc/uptime; }

# load_modules: insmod the modules check-boot's guest_modules put in /gbtest/mod, in order.
load_modules() {
	while read -r _n; do
		if [ -d "/sys/module/$_n" ]; then
			echo "module $_n was loaded"
		else
			insmod "/gbtest/mod/$_n.ko"
			echo "insmod $_n exit $?"
		fi
	done </gbtest/modules
}

# vm_start NAME: "vm run NAME" in the background ($run, its output in $d/run.log), then
# "vm status" until the VM runs (90 tries at most, or until vm run ends): $running is yes
# or no. Running means the runner has pinned, sent cont and left the monitor (QMP serves
# one client at a time).
vm_start() {
	timeout 180 gpt-bootcfg vm run "$1" >"$d/run.log" 2>&1 &
	run=$!
	running=no
	for _ in $(seq 90); do
		timeout 20 gpt-bootcfg vm status "$1" --json >"$d/status.json" 2>"$d/status.err" &&
			grep -q '"state": "running"' "$d/status.json" && { running=yes; break; }
		kill -0 "$run" 2>/dev/null || break
		sleep 1
	done
	echo "vm running: $running at $(up) s"
}

# vm_stop_wait NAME: "vm stop NAME", then the end of $run (SIGTERM after 30 s: the runner
# must end QEMU and exit) and of any QEMU, each printed as a step.
vm_stop_wait() {
	timeout 60 gpt-bootcfg vm stop "$1" --timeout 3 >"$d/stop.log" 2>&1
	echo "vm stop exit $?"
	for _ in $(seq 30); do kill -0 "$run" 2>/dev/null || break; sleep 1; done
	kill -0 "$run" 2>/dev/null && { echo "vm run still there: SIGTERM"; kill "$run"; }
	wait "$run"
	echo "vm run exit $?"
	_left=$(pidof qemu-system-x86_64)
	if [ -n "$_left" ]; then
		echo "qemu left: $_left"
		# shellcheck disable=SC2086 # one word a pid
		kill -9 $_left
	else
		echo "no qemu left"
	fi
}

# gone PID: 0 once PID has ended (20 s at most), polling with kill -0.
gone() {
	for _ in $(seq 20); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 1
	done
	return 1
}
