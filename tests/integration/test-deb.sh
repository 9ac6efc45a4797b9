#!/bin/sh
# The Debian package: make deb builds it (lintian finds no errors), it holds every file the
# product installs, uses the update-initramfs trigger instead of calling update-initramfs,
# and make install DESTDIR= installs the same files.
. "$(dirname "$0")/../lib/tap.sh"

for t in dpkg-buildpackage dh lintian file; do
	command -v $t >/dev/null || { echo "Bail out! $t is missing (see tests/deps.txt)"; exit 1; }
done

if ! make -C "$TOP" --no-print-directory BUILD="$BUILD" deb >"$TAP_TMP/deb.log" 2>&1; then
	echo "not ok 1 - make deb"
	sed 's/^/#   /' "$TAP_TMP/deb.log" | tail -40
	echo "1..1"
	exit 1
fi
echo "ok 1 - make deb (dpkg-buildpackage, lintian --fail-on error)"
_tap_n=1
deb=$(ls "$BUILD"/deb/gpt-bootcfg_*.deb)
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$TAP_TMP/contents"

# in_source PATH: the packaged sources (the committed tree in a git clone) hold PATH.
in_source() {
	if [ -d "$TOP/.git" ]; then git -C "$TOP" cat-file -e "HEAD:$1" 2>/dev/null; else [ -e "$TOP/$1" ]; fi
}

# has FILE [SOURCE]: the package holds FILE (SOURCE names where it comes from in the tree).
has() {
	ok "package holds $1${2:+ (from $2)}" -- grep -qx "$1" "$TAP_TMP/contents"
}

has /usr/sbin/gpt-bootcfg
has /usr/lib/gpt-bootcfg/gpt-bootcfg-claim
has /usr/share/initramfs-tools/hooks/gpt-bootcfg initramfs-tools/hooks/gpt-bootcfg
has /usr/share/initramfs-tools/scripts/init-top/gpt-bootcfg initramfs-tools/scripts/init-top/gpt-bootcfg
has /usr/lib/dracut/modules.d/90gpt-bootcfg/module-setup.sh dracut/90gpt-bootcfg/module-setup.sh
has /usr/lib/dracut/modules.d/90gpt-bootcfg/gpt-bootcfg-claim.sh dracut/90gpt-bootcfg/gpt-bootcfg-claim.sh
has /usr/lib/systemd/system/gpt-bootcfg-vm@.service systemd/gpt-bootcfg-vm@.service
has /usr/share/man/man8/gpt-bootcfg.8.gz man/gpt-bootcfg.8
has /usr/share/man/man5/gpt-bootcfg.conf.5.gz man/gpt-bootcfg.conf.5
has /usr/share/bash-completion/completions/gpt-bootcfg
has /usr/share/doc/gpt-bootcfg/examples/gpt-bootcfg.conf examples/gpt-bootcfg.conf
has /usr/lib/systemd/system/gpt-bootcfg-health.service systemd/gpt-bootcfg-health.service
has /etc/grub.d/42_gpt-bootcfg-trial grub.d/42_gpt-bootcfg-trial
has /usr/share/doc/gpt-bootcfg/config.md docs/config.md
has /etc/grub.d/42_gpt-bootcfg-trial grub.d/42_gpt-bootcfg-trial

mkdir -p "$TAP_TMP/ctl"
dpkg-deb -e "$deb" "$TAP_TMP/ctl"
ok "triggers: activate-noawait update-initramfs" -- \
	grep -qx 'activate-noawait update-initramfs' "$TAP_TMP/ctl/triggers"
# Comments may name it (prerm says the trigger rebuilds); only a command counts.
ok "no maintainer script runs update-initramfs" -- \
	sh -c "! grep -l '^[^#]*update-initramfs' '$TAP_TMP/ctl/'*inst '$TAP_TMP/ctl/'*rm 2>/dev/null"
ok "postrm purges /etc/gpt-bootcfg and /var/lib/gpt-bootcfg" -- \
	sh -c "grep -q purge '$TAP_TMP/ctl/postrm' && grep -q 'rm -rf /etc/gpt-bootcfg /var/lib/gpt-bootcfg' '$TAP_TMP/ctl/postrm'"
has /usr/lib/sysusers.d/gpt-bootcfg.conf debian/gpt-bootcfg.sysusers
ok "sysusers.d: the system user gpt-bootcfg-qemu, in the kvm group" -- sh -c \
	"dpkg-deb --fsys-tarfile '$deb' | tar -xO ./usr/lib/sysusers.d/gpt-bootcfg.conf >'$TAP_TMP/sysusers' &&
	 grep -q '^u gpt-bootcfg-qemu - ' '$TAP_TMP/sysusers' && grep -qx 'm gpt-bootcfg-qemu kvm' '$TAP_TMP/sysusers'"
ok "postinst creates it (systemd-sysusers) on configure" -- \
	sh -c "grep -q 'systemd-sysusers.*gpt-bootcfg.conf' '$TAP_TMP/ctl/postinst'"
ok "purge keeps the system user (Debian's rule), and says how to remove it" -- \
	sh -c "! grep -q 'deluser --system gpt-bootcfg-qemu *\$' '$TAP_TMP/ctl/postrm' && ! grep -qE '^[^#]*(deluser|userdel)' '$TAP_TMP/ctl/postrm'"
ok "postrm and prerm are valid sh" -- sh -n "$TAP_TMP/ctl/postrm" "$TAP_TMP/ctl/prerm"

dpkg-deb -x "$deb" "$TAP_TMP/root"
ok "the claim binary is static" -- \
	sh -c "file -L '$TAP_TMP/root/usr/lib/gpt-bootcfg/gpt-bootcfg-claim' | grep -q 'statically linked'"
ok "the hook, init-top script and dracut module are executable" -- \
	sh -c "for f in '$TAP_TMP/root/usr/share/initramfs-tools/hooks/'* '$TAP_TMP/root/usr/share/initramfs-tools/scripts/init-top/'* '$TAP_TMP/root/usr/lib/dracut/modules.d/90gpt-bootcfg/'*; do [ -x \"\$f\" ] || exit 1; done"
ok "depends on initramfs-tools or dracut (either builds the image with the claim)" -- \
	sh -c "dpkg-deb -f '$deb' Depends | grep -q 'initramfs-tools | dracut'"
ok "the packaged command runs" -- sh -c "'$TAP_TMP/root/usr/sbin/gpt-bootcfg' --version | grep -q '^gpt-bootcfg '"
# libkmod 30 exported kmod_module_new_from_name_lookup() as LIBKMOD_5, 31 on as LIBKMOD_30
# only: a build that used it did not start on Debian 13 or Ubuntu 24.04 (make check-system
# SUITE=trixie found it). Every libkmod symbol must be one that libkmod 22 to 34 all export.
readelf -W --dyn-syms "$TAP_TMP/root/usr/sbin/gpt-bootcfg" |
	awk '$7 == "UND" && $8 ~ /@LIBKMOD_/ { print $8 }' | sort >"$TAP_TMP/kmod-syms"
ok "the command's libkmod symbols are all of version LIBKMOD_5 ($(wc -l <"$TAP_TMP/kmod-syms") of them)" -- \
	sh -c "[ -s '$TAP_TMP/kmod-syms' ] && ! grep -v '@LIBKMOD_5\$' '$TAP_TMP/kmod-syms'"

# make install from the working tree installs the package's files (the build tree aside).
if make -C "$TOP" --no-print-directory BUILD="$BUILD" DESTDIR="$TAP_TMP/stage" PREFIX=/usr \
	install >"$TAP_TMP/install.log" 2>&1; then
	(cd "$TAP_TMP/stage" && find . ! -type d | sed 's|^\./|/|' | sort) >"$TAP_TMP/installed"
	for f in /usr/sbin/gpt-bootcfg /usr/lib/gpt-bootcfg/gpt-bootcfg-claim \
		/usr/share/bash-completion/completions/gpt-bootcfg; do
		ok "make install puts $f" -- grep -qx "$f" "$TAP_TMP/installed"
	done
	[ -e "$TOP/initramfs-tools/hooks/gpt-bootcfg" ] &&
		ok "make install puts the initramfs hook" -- \
			grep -qx /usr/share/initramfs-tools/hooks/gpt-bootcfg "$TAP_TMP/installed"
	ok "make install puts the dracut module" -- \
		grep -qx /usr/lib/dracut/modules.d/90gpt-bootcfg/module-setup.sh "$TAP_TMP/installed"
else
	ok "make install DESTDIR=" -- sh -c "cat '$TAP_TMP/install.log'; false"
fi
done_testing
