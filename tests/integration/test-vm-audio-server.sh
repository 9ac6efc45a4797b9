#!/bin/sh
# Host audio against real sound servers (issue 15, item 4; docs/vm.md, "Host audio"): the
# VM's sound card on the PulseAudio protocol socket of an audio user, served by PulseAudio
# itself and by pipewire-pulse, with the real qemu-system-x86_64 under TCG and QEMU's pa
# driver (qemu-system-gui).
#
# Everything runs in a private mount namespace whose /run/user is an empty tmpfs: no sound
# server of this machine is seen or touched. The audio user exists only in the root tree's
# etc/passwd (a uid this machine does not use); its runtime directory and home are below
# the root, and its servers run as that uid (setpriv), without D-Bus or autospawn, and are
# killed on every way out.
#
# For each server and for QEMU as root and as the audio user: vm run starts, QEMU is a
# client of the server (pactl as the audio user, matched by QEMU's pid), with a playback
# stream (sink input) and a record stream (source output, the codec's line in), on the null
# sink and its monitor under PulseAudio; after vm stop the client and its streams are gone.
# PulseAudio takes a client of another user only with the audio user's cookie: the runner
# hands it to QEMU by descriptor (PULSE_COOKIE), and refuses before QEMU starts, with one
# line, when the server would refuse QEMU (no cookie, another cookie). Not proven here:
# samples flowing (nothing in the guest plays).
if [ "${GPT_BOOTCFG_TEST_NS:-}" != 1 ]; then
	if ! command -v unshare >/dev/null; then
		echo "not ok 1 - unshare is installed (util-linux)"
		echo "1..1"
		exit 1
	fi
	GPT_BOOTCFG_TEST_NS=1 exec unshare --mount --propagation private sh "$0" "$@"
fi
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/setup.sh"

fx=guide-server
need_fixture $fx
for t in qemu-system-x86_64 python3 jq setpriv pulseaudio pactl pipewire pipewire-pulse; do
	if ! command -v $t >/dev/null; then
		ok "$t is installed (tests/deps.txt)" -- false
		done_testing; exit
	fi
done
if ! qemu-system-x86_64 -audiodev help 2>/dev/null | grep -qx pa; then
	ok "QEMU has the pa audio driver (tests/deps.txt: qemu-system-gui)" -- false
	done_testing; exit
fi
if [ "$(nproc)" -lt 2 ]; then
	ok "at least 2 CPUs to pin to" -- false
	done_testing; exit
fi
if [ -d /run/user ] && ! mount -t tmpfs -o mode=0755 tmpfs /run/user; then
	ok "the host's /run/user hidden under a tmpfs" -- false
	done_testing; exit
fi
ok "in the private namespace the host's /run/user is empty" -- \
	sh -c '[ ! -d /run/user ] || [ -z "$(ls -A /run/user)" ]'

# The audio user au and a QEMU user qq: ids nobody on this machine has.
free_id() {
	_i=$1
	while getent passwd $_i >/dev/null || getent group $_i >/dev/null ||
		[ -n "$(ps -o pid= -u $_i 2>/dev/null)" ]; do
		_i=$((_i + 1))
	done
	echo $_i
}
U=$(free_id 4242)
Q=$(free_id $((U + 1)))

r=$(fixture_copy $fx)
chmod 0711 "$TAP_TMP" "$r"
set_cpus "$r" "0-$(($(nproc) - 1))"
mkdir -p "$r/etc/gpt-bootcfg" "$r/var/lib" "$r/home/au" "$r/run/user/$U" "$TAP_TMP/home-root" \
	"$TAP_TMP/pactl-home"
chown $U:$U "$TAP_TMP/pactl-home"
chmod 0755 "$r/var" "$r/var/lib" "$r/home" "$r/run" "$r/run/user"
chown $U:$U "$r/home/au" "$r/run/user/$U"
chmod 0700 "$r/home/au" "$r/run/user/$U"
printf 'root:x:0:0:root:/root:/bin/sh\nau:x:%s:%s:Audio:/home/au:/bin/sh\nqq:x:%s:%s:QEMU:/nonexistent:/usr/sbin/nologin\n' \
	$U $U $Q $Q >"$r/etc/passwd"
printf 'root:x:0:\nau:x:%s:\nqq:x:%s:\n' $U $Q >"$r/etc/group"
sock=$r/run/user/$U/pulse/native

write_vm_conf() { # AUDIO [LINE...]
	{
		printf '[vm snd]\nmemory = 128M\nhugepage-size = none\nvcpus = 1\nvcpu-pins = 1\n'
		printf 'emulator-cpus = 0\nfirmware = bios\naudio = %s\naudio-user = au\n' "$1"
		shift
		for _l in "$@"; do echo "$_l"; done
	} | write_conf "$r"
}

shm=$(mktemp -d /dev/shm/gpt-bootcfg-test.XXXXXX)
chmod 0755 "$shm"
export GPT_BOOTCFG_TEST_ACCEL=tcg GPT_BOOTCFG_TEST_MEM_PATH="$shm"
# The real QEMU, and a mark when it is started for a VM (not only asked for its drivers).
cat >"$TAP_TMP/qemu" <<EOF
#!/bin/sh
[ "\$1 \$2" = "-audiodev help" ] || touch "$TAP_TMP/qemu-was-run" 2>/dev/null
exec qemu-system-x86_64 "\$@"
EOF
chmod 0755 "$TAP_TMP/qemu"
export GPT_BOOTCFG_QEMU="$TAP_TMP/qemu"
write_notify_py "$TAP_TMP/notify.py"

server_pids=
cleanup() {
	[ -f "$r/run/gpt-bootcfg/snd.pid" ] && kill -9 "$(cat "$r/run/gpt-bootcfg/snd.pid")" 2>/dev/null
	for _p in $server_pids; do kill "$_p" 2>/dev/null; done
	rm -rf "$shm"
}
trap cleanup EXIT

# A command as the audio user, in its session's environment below the root.
as_au() {
	setpriv --reuid=$U --regid=$U --clear-groups \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$r/home/au" XDG_RUNTIME_DIR="$r/run/user/$U" "$@"
}
# start_server LOG COMMAND...: a sound server as the audio user, in the background; its pid
# (setpriv and env exec it) is killed on the way out.
start_server() {
	_log=$1; shift
	setpriv --reuid=$U --regid=$U --clear-groups \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$r/home/au" XDG_RUNTIME_DIR="$r/run/user/$U" \
		"$@" >"$_log" 2>&1 &
	server_pids="$server_pids $!"
}
# pactl as the audio user on its socket (named: never an autospawn), with a home of its own:
# libpulse makes a cookie in HOME when there is none, which pipewire-pulse's part must not see.
pa() { as_au HOME="$TAP_TMP/pactl-home" PULSE_SERVER="unix:$sock" pactl "$@"; }
pa_json() { pa -f json list "$1"; }

# poll N COMMAND...: until COMMAND succeeds, at most N tries 0.2 s apart.
poll() {
	_n=$1; shift
	while [ "$_n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		_n=$((_n - 1))
	done
	return 1
}

# The index of the client QEMU (pid $1) is on the server: printed, exit 0; else exit 1.
qemu_client() {
	pa_json clients | jq -e --arg pid "$1" \
		'[.[] | select(.properties["application.process.id"] == $pid)] | if length == 1 then .[0].index else error("no client") end'
}
no_client_of() { ! qemu_client "$1"; }
streams_of() { # KIND CLIENT: how many sink-inputs or source-outputs the client has
	pa_json "$1" | jq --arg c "$2" '[.[] | select((.client | tostring) == $c)] | length'
}
has_streams() { [ "$(streams_of sink-inputs "$1")" -ge 1 ] && [ "$(streams_of source-outputs "$1")" -ge 1 ]; }
no_streams_of() { [ "$(streams_of sink-inputs "$1")" = 0 ] && [ "$(streams_of source-outputs "$1")" = 0 ]; }

# cookie_fd_holds PID FILE: the descriptor PULSE_COOKIE names in PID's environment holds FILE.
cookie_fd_holds() {
	_fd=$(tr '\0' '\n' <"/proc/$1/environ" | sed -n 's|^PULSE_COOKIE=/proc/self/fd/||p')
	[ -n "$_fd" ] && cmp "/proc/$1/fd/$_fd" "$2"
}

# run_vm LABEL SERVER QEMU-UID: vm run, the client and its streams, vm stop, all gone.
run_vm() {
	_l=$1 _srv=$2 _uid=$3
	rm -f "$TAP_TMP/notify" "$TAP_TMP/notify.bound" "$TAP_TMP/ready" "$TAP_TMP/qemu-was-run"
	python3 "$TAP_TMP/notify.py" "$TAP_TMP/notify" "$TAP_TMP/ready" 180 &
	_np=$!
	poll 50 test -e "$TAP_TMP/notify.bound"
	HOME=$TAP_TMP/home-root NOTIFY_SOCKET=$TAP_TMP/notify timeout 300 \
		"$GPT_BOOTCFG" --root "$r" vm run snd >"$TAP_TMP/run.out" 2>&1 &
	_rp=$!
	# Ready, or vm run gave up (the notify stand-in would wait for its whole timeout).
	poll 1500 sh -c "[ -s '$TAP_TMP/ready' ] || ! kill -0 $_rp"
	kill $_np 2>/dev/null
	wait $_np
	is "$(head -n1 "$TAP_TMP/ready" 2>/dev/null)" "READY=1" "$_l: vm run is ready"
	[ "$(head -n1 "$TAP_TMP/ready" 2>/dev/null)" = "READY=1" ] || sed 's/^/# vm run: /' "$TAP_TMP/run.out"
	_q=$(cat "$r/run/gpt-bootcfg/snd.pid" 2>/dev/null)
	ok "$_l: QEMU runs as uid $_uid" -- sh -c "awk '/^Uid:/ {print \$2}' /proc/$_q/status | grep -qx $_uid"
	# The audio user's cookie, or zeros without one (pipewire-pulse makes none).
	ok "$_l: QEMU has its cookie by descriptor (PULSE_COOKIE)" -- \
		sh -c "tr '\\0' '\\n' </proc/$_q/environ | grep -qx 'PULSE_COOKIE=/proc/self/fd/[0-9]*'"
	if [ "$_srv" = pulseaudio ]; then
		ok "$_l: the descriptor holds the audio user's cookie" -- \
			cookie_fd_holds "$_q" "$r/home/au/.config/pulse/cookie"
	else
		ok "$_l: pipewire-pulse made no cookie" -- test ! -e "$r/home/au/.config/pulse/cookie"
	fi
	ok "$_l: QEMU (pid $_q) is a client of the server" -- poll 150 qemu_client "$_q"
	_c=$(qemu_client "$_q" 2>/dev/null)
	ok "$_l: it opened its streams" -- poll 150 has_streams "$_c"
	is "$(streams_of sink-inputs "$_c")" 1 "$_l: one playback stream (sink input)"
	is "$(streams_of source-outputs "$_c")" 1 "$_l: one record stream (source output, the codec's line in)"
	if [ "$_srv" = pulseaudio ]; then
		_sink=$(pa_json sinks | jq '.[] | select(.name == "null") | .index')
		_src=$(pa_json sources | jq '.[] | select(.name == "null.monitor") | .index')
		is "$(pa_json sink-inputs | jq --arg c "$_c" '[.[] | select((.client | tostring) == $c) | .sink] | join(",")' -r)" \
			"$_sink" "$_l: playing on the null sink"
		is "$(pa_json source-outputs | jq --arg c "$_c" '[.[] | select((.client | tostring) == $c) | .source] | join(",")' -r)" \
			"$_src" "$_l: recording from the null sink's monitor (the default source)"
	fi
	HOME=$TAP_TMP/home-root "$GPT_BOOTCFG" --root "$r" vm stop snd --timeout 5 >"$TAP_TMP/stop.out" 2>&1
	is "$?" 0 "$_l: vm stop exits 0"
	wait $_rp
	is "$?" 0 "$_l: vm run exits 0"
	ok "$_l: the client is gone" -- poll 150 no_client_of "$_q"
	ok "$_l: its streams are gone" -- no_streams_of "$_c"
	is "$(ls -A "$TAP_TMP/home-root")" "" "$_l: nothing written in the runner's home (no cookie of root's made)"
}

# refused LABEL WANT: vm run exits 2 before QEMU starts, with one line saying WANT.
refused() {
	rm -f "$TAP_TMP/qemu-was-run"
	HOME=$TAP_TMP/home-root "$GPT_BOOTCFG" --root "$r" vm run snd >"$TAP_TMP/out" 2>"$TAP_TMP/err"; _rc=$?
	is "$_rc" 2 "$1: vm run exits 2"
	ok "$1: names the problem" -- grep -qF -- "$2" "$TAP_TMP/err"
	is "$(wc -l <"$TAP_TMP/err")" 1 "$1: one line"
	ok "$1: QEMU not started" -- test ! -e "$TAP_TMP/qemu-was-run"
}

# ---- PulseAudio ----
start_server "$TAP_TMP/pulseaudio.log" pulseaudio -n --daemonize=no --exit-idle-time=-1 \
	--use-pid-file=no --high-priority=no --realtime=no --log-target=stderr \
	-L module-native-protocol-unix -L "module-null-sink sink_name=null"
ok "PulseAudio runs as the audio user and answers" -- poll 150 pa info
[ -S "$sock" ] || sed 's/^/# pulseaudio: /' "$TAP_TMP/pulseaudio.log"
ok "PulseAudio made the audio user's cookie" -- test -s "$r/home/au/.config/pulse/cookie"
is "$(pa info | sed -n 's/^Default Sink: //p')" null "PulseAudio: the null sink is the default sink"

write_vm_conf pulseaudio
run_vm "PulseAudio, QEMU as root" pulseaudio 0

# What would fail is refused before QEMU starts: the server's own answer, as QEMU's user.
mv "$r/home/au/.config/pulse/cookie" "$TAP_TMP/cookie"
refused "PulseAudio, QEMU as root, no cookie" \
	"/etc/gpt-bootcfg/gpt-bootcfg.conf:8:9: VM 'snd': the sound server on '/run/user/$U/pulse/native' refuses QEMU's user 'root': PulseAudio accepts 'au' itself or a client with au's cookie, and au has none"
head -c 256 /dev/urandom >"$r/home/au/.pulse-cookie"
refused "PulseAudio, QEMU as root, another cookie" \
	"VM 'snd': the sound server on '/run/user/$U/pulse/native' refuses QEMU's user 'root' with au's cookie ('/home/au/.pulse-cookie'; the server uses another one)"
rm "$r/home/au/.pulse-cookie"
mv "$TAP_TMP/cookie" "$r/home/au/.config/pulse/cookie"
ok "PulseAudio logged the refusals, QEMU never tried" -- grep -q "Denied access" "$TAP_TMP/pulseaudio.log"

write_vm_conf pulseaudio "user = au"
run_vm "PulseAudio, QEMU as the audio user" pulseaudio $U

# QEMU as a third user: the socket is reachable as docs/vm.md says (here with modes), and
# PulseAudio accepts it with the cookie the runner hands over.
write_vm_conf pulseaudio "user = qq"
refused "PulseAudio, QEMU as another user, runtime directory 0700" \
	"VM 'snd': QEMU's user 'qq' cannot reach '/run/user/$U/pulse/native' (Permission denied)"
chmod 0711 "$r/run/user/$U" "$r/run/user/$U/pulse"
run_vm "PulseAudio, QEMU as another user" pulseaudio $Q
chmod 0700 "$r/run/user/$U" "$r/run/user/$U/pulse"

kill $server_pids
wait $server_pids
server_pids=
ok "PulseAudio ended" -- poll 150 sh -c "! pgrep -u $U -x pulseaudio"
ok "PulseAudio ended, its socket is gone" -- test ! -e "$sock"

# ---- PipeWire with pipewire-pulse (no session manager: streams stay unlinked) ----
rm -rf "$r/home/au/.config"
start_server "$TAP_TMP/pipewire.log" pipewire
ok "pipewire runs as the audio user" -- poll 150 test -S "$r/run/user/$U/pipewire-0"
start_server "$TAP_TMP/pipewire-pulse.log" pipewire-pulse
ok "pipewire-pulse answers on the audio user's socket" -- poll 150 pa info
server_is_pipewire() { pa info | grep -q '^Server Name: PulseAudio (on PipeWire'; }
ok "the server is PipeWire's" -- server_is_pipewire

write_vm_conf pipewire
run_vm "pipewire-pulse, QEMU as root" pipewire 0
write_vm_conf pipewire "user = au"
run_vm "pipewire-pulse, QEMU as the audio user" pipewire $U

kill $server_pids
wait $server_pids
server_pids=
ok "pipewire and pipewire-pulse ended" -- poll 150 sh -c "! pgrep -u $U"

done_testing
