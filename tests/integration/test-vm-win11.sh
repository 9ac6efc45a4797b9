#!/bin/sh
# Windows 11 guests (issue 24) without booting a guest: tpm, secure-boot and os through the
# CLI. Bad values are refused with FILE:LINE:COL and exit 2; the Secure Boot firmware comes
# from QEMU's firmware descriptors, ovmf-code/ovmf-vars still choose; a missing swtpm or
# Secure Boot firmware, a swtpm that fails and a swtpm_setup that fails are refused with one
# line, exit 2, QEMU never started and nothing left behind; switching secure-boot on for a
# VM whose UEFI variables were made without keys is refused with the command that moves them
# aside, and after that command the next run makes them from Microsoft's template; revert
# leaves the TPM state and the variables alone; vm status and check show the TPM and the
# firmware. A fake QEMU (GPT_BOOTCFG_QEMU) records whether it was ever executed.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"

fx=guide-server
need_fixture $fx
need_tools swtpm swtpm_setup jq

r=$(fixture_copy $fx)
C=/etc/gpt-bootcfg/gpt-bootcfg.conf
mkdir -p "$r/usr/share/OVMF" "$r/usr/share/qemu/firmware" "$r/etc/gpt-bootcfg" "$r/run/gpt-bootcfg" \
	"$r/opt/fw"
for f in OVMF_CODE_4M.fd OVMF_VARS_4M.fd OVMF_CODE_4M.secboot.fd; do : >"$r/usr/share/OVMF/$f"; done
printf 'MS-KEYS-TEMPLATE' >"$r/usr/share/OVMF/OVMF_VARS_4M.ms.fd"
printf 'PLAIN-TEMPLATE' >"$r/usr/share/OVMF/OVMF_VARS_4M.fd"
: >"$r/opt/fw/CODE.sb.fd"
: >"$r/opt/fw/VARS.ms.fd"
# A descriptor as Debian's (the Secure Boot build with Microsoft's keys enrolled).
cat >"$r/usr/share/qemu/firmware/40-edk2-x86_64-secure-enrolled.json" <<'JSON'
{ "interface-types": [ "uefi" ],
  "mapping": { "device": "flash",
    "executable": { "filename": "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", "format": "raw" },
    "nvram-template": { "filename": "/usr/share/OVMF/OVMF_VARS_4M.ms.fd", "format": "raw" } },
  "targets": [ { "architecture": "x86_64", "machines": [ "pc-q35-*" ] } ],
  "features": [ "enrolled-keys", "requires-smm", "secure-boot" ] }
JSON

# The fake QEMU: answers "-machine help", records any other run and exits 1.
fake=$TAP_TMP/fake-qemu
cat >"$fake" <<EOF
#!/bin/sh
[ "\$1 \$2" = "-machine help" ] && { echo "q35   Standard PC (Q35 + ICH9, 2009) (alias of pc-q35-7.2)"; exit 0; }
echo "\$*" >>"$TAP_TMP/qemu-ran"
exit 1
EOF
chmod +x "$fake"
export GPT_BOOTCFG_QEMU=$fake

vm_conf() { # LINES...: [vm w] with the lines
	{
		printf '[vm w]\nmemory = 1G\nhugepage-size = none\nvcpus = 2\n'
		for l in "$@"; do echo "$l"; done
	} | write_conf "$r"
}
# refused DESCRIPTION MESSAGE VERB...: exit 2 and MESSAGE (a fixed string) on stderr.
refused() {
	_d=$1 _m=$2 && shift 2
	run_gen "$r" "$@"
	is "$rc" 2 "$_d: exit 2"
	ok "$_d: says '$_m'" -- grep -qF -- "$_m" "$TAP_TMP/err.txt"
}

# ---- bad values: FILE:LINE:COL, exit 2, from every verb that reads the file ----
vm_conf "tpm = sometimes"
refused "tpm = sometimes" "$C:5:7: tpm: expected yes or no, not 'sometimes'" vm command w
refused "tpm = sometimes (plan)" "$C:5:7: tpm: expected yes or no, not 'sometimes'" plan
vm_conf "secure-boot = maybe"
refused "secure-boot = maybe" "$C:5:15: secure-boot: expected yes or no, not 'maybe'" vm command w
vm_conf "os = win11"
refused "os = win11" "$C:5:6: os: expected windows11, windows10, linux or other, not 'win11'" vm command w
vm_conf "firmware = bios" "secure-boot = yes"
refused "secure-boot on SeaBIOS" "$C:6:15: secure-boot: needs firmware = ovmf (SeaBIOS has no Secure Boot)" vm command w
vm_conf "os = windows11" "os = linux"
refused "os twice" "$C:6:1: 'os' is already set on line 5" vm command w

# ---- the firmware: descriptors, ovmf-code/ovmf-vars ----
vm_conf "secure-boot = yes"
run_gen "$r" vm command --json w
is "$rc" 0 "secure-boot = yes: vm command exits 0"
arg() { jq -e --arg a "$1" '.argv | index($a) != null' "$TAP_TMP/out.txt" >/dev/null; }
ok "the descriptor's Secure Boot code" -- arg "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
ok "smm=on and the secure pflash" -- sh -c "jq -e '.argv | map(select(test(\"smm=on\"))) | length == 1' '$TAP_TMP/out.txt' >/dev/null &&
	jq -e '.argv | index(\"driver=cfi.pflash01,property=secure,value=on\") != null' '$TAP_TMP/out.txt' >/dev/null"
vm_conf "secure-boot = yes" "ovmf-code = /opt/fw/CODE.sb.fd" "ovmf-vars = /opt/fw/VARS.ms.fd"
run_gen "$r" vm command --json w
ok "ovmf-code and ovmf-vars still choose (firmware of another layout)" -- \
	arg "if=pflash,format=raw,readonly=on,file=/opt/fw/CODE.sb.fd"
run_gen "$r" vm status --json w
is "$(jq -r '"\(.secure_boot.vars_template) \(.secure_boot.source)"' "$TAP_TMP/out.txt")" \
	"/opt/fw/VARS.ms.fd ovmf-code and ovmf-vars" "vm status names them"
vm_conf "secure-boot = yes" "ovmf-vars = /opt/fw/VARS.ms.fd"
refused "ovmf-vars alone that no descriptor names" \
	"$C:5:15: secure-boot: VM 'w': no firmware descriptor" vm command w
ok "says to set both" -- grep -qF "set both ovmf-code and ovmf-vars" "$TAP_TMP/err.txt"
mv "$r/usr/share/qemu/firmware" "$r/usr/share/qemu/firmware.off"
mv "$r/usr/share/OVMF/OVMF_CODE_4M.secboot.fd" "$r/usr/share/OVMF/secboot.off"
vm_conf "secure-boot = yes"
refused "no Secure Boot firmware at all" \
	"$C:5:15: secure-boot: VM 'w': no Secure Boot firmware with Microsoft's keys enrolled" vm command w
ok "names the package and the keys" -- grep -qF "apt install ovmf; or set ovmf-code and ovmf-vars" "$TAP_TMP/err.txt"
mv "$r/usr/share/OVMF/secboot.off" "$r/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
run_gen "$r" vm command --json w
ok "without descriptors: Debian's file names" -- \
	arg "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
mv "$r/usr/share/qemu/firmware.off" "$r/usr/share/qemu/firmware"

# ---- vm run: swtpm missing, failing; swtpm_setup failing ----
vm_conf "tpm = yes"
rm -f "$TAP_TMP/qemu-ran"
GPT_BOOTCFG_SWTPM=/nonexistent/swtpm run_gen "$r" vm run w
is "$rc" 2 "swtpm missing: vm run exits 2"
is "$(grep -c 'tpm = yes needs' "$TAP_TMP/err.txt")" 1 "in one line"
ok "FILE:LINE:COL, the program and the packages" -- grep -qF \
	"$C:5:7: VM 'w': tpm = yes needs '/nonexistent/swtpm', which is not installed (Debian: apt install swtpm swtpm-tools)" "$TAP_TMP/err.txt"
ok "QEMU was never started" -- test ! -e "$TAP_TMP/qemu-ran"
ok "and nothing was made" -- test ! -e "$r/var/lib/gpt-bootcfg/w/tpm"

# A swtpm that answers --print-capabilities (the real one's) and fails to start.
cat >"$TAP_TMP/bad-swtpm" <<'EOF'
#!/bin/sh
case "$*" in *--print-capabilities*) exec swtpm "$@" ;; esac
echo "fake swtpm: cannot open the TPM state" >&2
exit 1
EOF
chmod +x "$TAP_TMP/bad-swtpm"
GPT_BOOTCFG_SWTPM=$TAP_TMP/bad-swtpm run_gen "$r" vm run w
is "$rc" 2 "swtpm failing: vm run exits 2"
is "$(grep -c 'swtpm exited' "$TAP_TMP/err.txt")" 1 "one line says so"
ok "the failure in one line, with swtpm's own words" -- grep -qxF \
	"gpt-bootcfg: VM 'w': swtpm exited with status 1: fake swtpm: cannot open the TPM state" "$TAP_TMP/err.txt"
ok "QEMU was never started" -- test ! -e "$TAP_TMP/qemu-ran"
ok "no record or socket left" -- sh -c "! ls '$r/run/gpt-bootcfg/w.swtpm' '$r/run/gpt-bootcfg/w.swtpm.pid' 2>/dev/null"
ok "the TPM state was made (swtpm_setup) and is kept" -- test -s "$r/var/lib/gpt-bootcfg/w/tpm/tpm2-00.permall"
ok "with EK and platform certificates" -- grep -q "with EK and platform certificates" "$TAP_TMP/err.txt"
sha=$(sha256sum <"$r/var/lib/gpt-bootcfg/w/tpm/tpm2-00.permall")
# The same when the probe finds the socket closed before swtpm is gone (it closes the
# listening descriptor, then takes a second to exit): a refused or reset connection is
# swtpm going away, not "did not answer", whichever the probe sees first.
cat >"$TAP_TMP/slow-bad-swtpm" <<'EOF'
#!/bin/sh
case "$*" in *--print-capabilities*) exec swtpm "$@" ;; esac
for a in "$@"; do case "$a" in type=unixio,fd=*) eval "exec ${a#type=unixio,fd=}>&-" ;; esac; done
sleep 1
echo "fake swtpm: closed its socket" >&2
exit 4
EOF
chmod +x "$TAP_TMP/slow-bad-swtpm"
GPT_BOOTCFG_SWTPM=$TAP_TMP/slow-bad-swtpm run_gen "$r" vm run w
is "$rc" 2 "swtpm closing its socket, then exiting: vm run exits 2"
ok "and says how swtpm exited" -- grep -qxF \
	"gpt-bootcfg: VM 'w': swtpm exited with status 4: fake swtpm: closed its socket" "$TAP_TMP/err.txt"

vm_conf "tpm = yes"
rm -rf "$r/var/lib/gpt-bootcfg/w/tpm"
printf '#!/bin/sh\ncase "$*" in *--print-capabilities*) exec swtpm_setup "$@" ;; esac\necho "fake setup: no entropy"\nexit 3\n' \
	>"$TAP_TMP/bad-setup"
chmod +x "$TAP_TMP/bad-setup"
GPT_BOOTCFG_SWTPM_SETUP=$TAP_TMP/bad-setup run_gen "$r" vm run w
is "$rc" 2 "swtpm_setup failing: vm run exits 2"
ok "one line with FILE:LINE:COL and its last words" -- grep -qF \
	"$C:5:7: VM 'w': cannot make its TPM state: swtpm_setup exited with status 3: fake setup: no entropy" "$TAP_TMP/err.txt"
ok "QEMU was never started" -- test ! -e "$TAP_TMP/qemu-ran"
ok "no half-made state" -- sh -c "! ls -d '$r/var/lib/gpt-bootcfg/w/tpm' '$r/var/lib/gpt-bootcfg/w/tpm.new' 2>/dev/null"

# ---- the UEFI variables and secure-boot ----
rm -rf "$r/var/lib/gpt-bootcfg/w"
vm_conf "secure-boot = no"
run_gen "$r" vm run w
ok "secure-boot = no: the variables are made from the plain template" -- \
	sh -c "[ \"\$(cat '$r/var/lib/gpt-bootcfg/w/OVMF_VARS.fd')\" = PLAIN-TEMPLATE ]"
ok "the origin is recorded" -- grep -qx "secure-boot no" "$r/var/lib/gpt-bootcfg/w/OVMF_VARS.origin"
rm -f "$TAP_TMP/qemu-ran"
vm_conf "secure-boot = yes"
refused "switching Secure Boot on over variables without keys" \
	"$C:5:15: secure-boot: VM 'w' already has a UEFI variable store made without Secure Boot keys" vm run w
ok "gives the command that moves them aside" -- grep -qF \
	"mv /var/lib/gpt-bootcfg/w/OVMF_VARS.fd /var/lib/gpt-bootcfg/w/OVMF_VARS.fd.old" "$TAP_TMP/err.txt"
ok "QEMU was never started" -- test ! -e "$TAP_TMP/qemu-ran"
ok "the variables are untouched" -- sh -c "[ \"\$(cat '$r/var/lib/gpt-bootcfg/w/OVMF_VARS.fd')\" = PLAIN-TEMPLATE ]"
run_gen "$r" plan
cp "$TAP_TMP/err.txt" /tmp/w11-err2.txt; ok "plan warns that the VM will not start, with the command" -- \
	grep -qF "VM 'w' will not start: secure-boot: VM 'w' already has a UEFI variable store" "$TAP_TMP/out.txt"
mv "$r/var/lib/gpt-bootcfg/w/OVMF_VARS.fd" "$r/var/lib/gpt-bootcfg/w/OVMF_VARS.fd.old"
run_gen "$r" vm run w
ok "after the command, vm run makes them from Microsoft's template" -- \
	sh -c "[ \"\$(cat '$r/var/lib/gpt-bootcfg/w/OVMF_VARS.fd')\" = MS-KEYS-TEMPLATE ]"
ok "and records it" -- grep -qx "secure-boot yes" "$r/var/lib/gpt-bootcfg/w/OVMF_VARS.origin"
ok "QEMU got the Secure Boot firmware" -- grep -q "smm=on.*OVMF_CODE_4M.secboot.fd.*property=secure,value=on" "$TAP_TMP/qemu-ran"
vm_conf "secure-boot = no"
run_gen "$r" vm run w
ok "switching it off again warns (BitLocker), and starts" -- sh -c "
	grep -qF \"VM 'w': secure-boot = no, but its UEFI variables\" '$TAP_TMP/err.txt' &&
	[ \$(wc -l <'$TAP_TMP/qemu-ran') = 2 ]"

# ---- vm status, check ----
vm_conf "os = windows11" "tpm = yes" "secure-boot = yes"
mv "$r/var/lib/gpt-bootcfg/w/OVMF_VARS.fd" "$r/var/lib/gpt-bootcfg/w/OVMF_VARS.fd.old2"
GPT_BOOTCFG_SWTPM=$TAP_TMP/bad-swtpm run_gen "$r" vm run w
run_gen "$r" vm status w
is "$rc" 1 "vm status of a stopped VM exits 1"
ok "shows the TPM state with its certificates" -- grep -qxF \
	"  tpm: TPM 2.0 in /var/lib/gpt-bootcfg/w/tpm (with EK and platform certificates), swtpm not running" "$TAP_TMP/out.txt"
ok "shows the Secure Boot firmware" -- grep -qxF \
	"  secure-boot: /usr/share/OVMF/OVMF_CODE_4M.secboot.fd with the keys of /usr/share/OVMF/OVMF_VARS_4M.ms.fd from /usr/share/qemu/firmware/40-edk2-x86_64-secure-enrolled.json" "$TAP_TMP/out.txt"
run_gen "$r" check --json
cp "$TAP_TMP/err.txt" /tmp/w11-err3.txt; cp "$TAP_TMP/out.txt" /tmp/w11-out3.txt
is "$(jq -r '[.checks[] | select(.id | startswith("vm-")) | "\(.id)=\(.status)"] | join(" ")' "$TAP_TMP/out.txt")" \
	"vm-tpm=fail vm-secure-boot=pass vm-windows11=warn" "check: swtpm is not in this root, the firmware is, 4 GiB are not"
ok "check: vm-tpm says what to install" -- \
	jq -e '[.checks[] | select(.id == "vm-tpm" and .remedy == "apt install swtpm swtpm-tools")] | length == 1' "$TAP_TMP/out.txt"

# ---- revert leaves the TPM state and the variables alone ----
mkdir -p "$r/var/lib/gpt-bootcfg/w/tpm"
sha_vars=$(sha256sum <"$r/var/lib/gpt-bootcfg/w/OVMF_VARS.fd")
sha_tpm=$(sha256sum <"$r/var/lib/gpt-bootcfg/w/tpm/tpm2-00.permall")
run_gen "$r" apply --yes --no-trial
is "$rc" 0 "apply"
run_gen "$r" revert
is "$rc" 0 "revert"
is "$(sha256sum <"$r/var/lib/gpt-bootcfg/w/tpm/tpm2-00.permall")" "$sha_tpm" "revert keeps the TPM state (BitLocker's keys)"
is "$(sha256sum <"$r/var/lib/gpt-bootcfg/w/OVMF_VARS.fd")" "$sha_vars" "and the UEFI variables"

cat "$TAP_TMP/err.txt" >&2; done_testing
