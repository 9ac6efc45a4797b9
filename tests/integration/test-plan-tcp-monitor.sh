#!/bin/sh
# A monitor or QMP on a network socket through extra-args (issue 30, "plan as a
# guardrail"): QEMU's monitor has no password. plan warns, naming the option; a unix
# socket (control) gets no warning.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server

R=$(fixture_copy guide-server)
mkdir -p "$R/etc/gpt-bootcfg"
conf() {
	printf '[vm d]\nmemory = 128M\nhugepage-size = none\nvcpus = 1\nfirmware = bios\nextra-args = %s\n' "$1" \
		>"$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
	chmod 0644 "$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
}
conf "-monitor tcp:0.0.0.0:4444,server,nowait"
run_gen "$R" plan
is "$rc" 0 "a TCP monitor: a warning, not a refusal"
ok "-monitor tcp: named" -- grep -qF \
	"VM 'd': extra-args opens monitor on a network socket (-monitor tcp:0.0.0.0:4444,server,nowait): QEMU's monitor has no password" \
	"$TAP_TMP/out.txt"
conf "-qmp telnet:127.0.0.1:5555,server,nowait"
run_gen "$R" plan
ok "-qmp telnet: named" -- grep -qF "extra-args opens qmp on a network socket (-qmp telnet:" "$TAP_TMP/out.txt"
conf "-chardev socket,id=m,host=0.0.0.0,port=4444,server=on,wait=off -mon chardev=m,mode=control"
run_gen "$R" plan
ok "-mon on a network chardev: named" -- grep -qF "extra-args puts a monitor (-mon) on a network chardev" "$TAP_TMP/out.txt"
conf "-monitor unix:/run/mon.sock,server,nowait"
run_gen "$R" plan
ok "control: a unix socket gets no warning" -- sh -c "! grep -q 'network socket' '$TAP_TMP/out.txt'"
done_testing
