#!/bin/sh
# grub.d/42_gpt-bootcfg-trial: the trial menuentry it prints for a fake grub-mkconfig
# environment, compared with tests/golden/trial/. The real grub-mkconfig_lib is sourced for
# its pure helpers (version_find_latest, grub_quote, grub_add_tab); only the two functions that
# would probe the host's disks are replaced.
. "$(dirname "$0")/../lib/tap.sh"

SCRIPT="$TOP/grub.d/42_gpt-bootcfg-trial"
REAL_LIB=/usr/share/grub/grub-mkconfig_lib
if [ ! -r "$REAL_LIB" ]; then
	echo "Bail out! $REAL_LIB is missing: apt-get install grub-common (tests/deps.txt)"
	exit 1
fi

lib="$TAP_TMP/lib"
mkdir -p "$lib"
cat >"$lib/grub-mkconfig_lib" <<EOF
. "$REAL_LIB"
# The stand-ins record their argument so the golden shows what was asked.
make_system_path_relative_to_its_root() { echo "\$1"; }
prepare_grub_to_access_device() {
	echo "insmod part_msdos"
	echo "insmod ext2"
	echo "search --no-floppy --fs-uuid --set=root FAKE-UUID-FOR-\$1"
}
EOF

# mkroot DIR: a host tree with two kernels (the newer must win) and the root's by-uuid link.
mkroot() {
	mkdir -p "$1/boot" "$1/dev/disk/by-uuid" "$1/etc/gpt-bootcfg"
	for v in 6.1.0-9-amd64 6.1.0-13-amd64; do
		echo kernel >"$1/boot/vmlinuz-$v"
		echo initrd >"$1/boot/initrd.img-$v"
	done
	echo old >"$1/boot/vmlinuz-6.1.0-13-amd64.dpkg-bak"
	touch "$1/dev/disk/by-uuid/6a1b2c3d-0000-4000-8000-67707462636f"
}

# run ROOT OUT [VAR=VALUE...]: the script under grub-mkconfig's usual environment.
run() {
	_root=$1 _out=$2
	shift 2
	env -i PATH="$PATH" pkgdatadir="$lib" GPT_BOOTCFG_ROOT="$_root" \
		GRUB_DEVICE=/dev/vda1 GRUB_DEVICE_UUID=6a1b2c3d-0000-4000-8000-67707462636f \
		GRUB_DEVICE_BOOT=/dev/vda1 GRUB_DISTRIBUTOR=Debian \
		GRUB_CMDLINE_LINUX="console=ttyS0,115200 panic=-1" \
		GRUB_CMDLINE_LINUX_DEFAULT="quiet intel_iommu=on gpt_bootcfg.generation=3" \
		"$@" sh "$SCRIPT" >"$_out" 2>"$_out.err"
}

r="$TAP_TMP/root"
mkroot "$r"

run "$r" "$TAP_TMP/none"
is "$?" 0 "no trial pending: exit 0"
is "$(cat "$TAP_TMP/none")" "" "no trial pending: no entry"

cat >"$r/etc/gpt-bootcfg/trial.cmdline" <<'EOF'
# Written by gpt-bootcfg apply --trial; the trial entry appends this.
intel_iommu=on iommu=pt hugepages=8 gpt_bootcfg.generation=4 gpt_bootcfg.trial=1
EOF
run "$r" "$TAP_TMP/pending"
is "$?" 0 "trial pending: exit 0"
golden trial/grubd-pending.cfg "$TAP_TMP/pending"
ok "the entry has the id next_entry names" -- \
	grep -q "\$menuentry_id_option 'gpt-bootcfg-trial' {" "$TAP_TMP/pending"
ok "the newest kernel is used" -- grep -q 'linux	/boot/vmlinuz-6.1.0-13-amd64 ' "$TAP_TMP/pending"
ok "the default entry's generation is not carried over" -- \
	sh -c "! grep -q 'generation=3' '$TAP_TMP/pending'"
ok "no savedefault: a trial never becomes the saved default" -- \
	sh -c "! grep -q savedefault '$TAP_TMP/pending'"

# Without the by-uuid link (update-grub in a chroot without /dev), 10_linux names the device.
rm "$r/dev/disk/by-uuid/6a1b2c3d-0000-4000-8000-67707462636f"
run "$r" "$TAP_TMP/nouuid" GRUB_DISABLE_LINUX_UUID=false
golden trial/grubd-no-uuid.cfg "$TAP_TMP/nouuid"
touch "$r/dev/disk/by-uuid/6a1b2c3d-0000-4000-8000-67707462636f"

# A title with a quote must stay one GRUB word.
run "$r" "$TAP_TMP/quote" GRUB_DISTRIBUTOR="Bob's Debian" GRUB_CMDLINE_LINUX_DEFAULT=
golden trial/grubd-quoted-title.cfg "$TAP_TMP/quote"

# Bad trial files: a clear warning naming the file, no entry, exit 0 (update-grub goes on).
bad() { # bad DESCRIPTION CONTENT
	printf '%s\n' "$2" >"$r/etc/gpt-bootcfg/trial.cmdline"
	run "$r" "$TAP_TMP/bad"
	_rc=$?
	is "$_rc:$(cat "$TAP_TMP/bad")" "0:" "$1: no entry, exit 0"
	ok "$1: warning names the file" -- \
		grep -q "$r/etc/gpt-bootcfg/trial.cmdline: " "$TAP_TMP/bad.err"
}
bad "GRUB syntax in the parameters" 'quiet; reboot gpt_bootcfg.generation=4'
bad "a variable reference" 'foo=$root gpt_bootcfg.generation=4'
bad "no generation" 'intel_iommu=on gpt_bootcfg.trial=1'
bad "a non-numeric generation" 'gpt_bootcfg.generation=4x gpt_bootcfg.trial=1'
bad "two lines" "$(printf 'a=1 gpt_bootcfg.generation=4\nb=2')"
bad "only comments" '# nothing'

# No kernel at all: no entry, a warning.
printf 'gpt_bootcfg.generation=4 gpt_bootcfg.trial=1\n' >"$r/etc/gpt-bootcfg/trial.cmdline"
rm -f "$r"/boot/vmlinuz-*
run "$r" "$TAP_TMP/nokernel"
is "$?:$(cat "$TAP_TMP/nokernel")" "0:" "no kernel: no entry"
ok "no kernel: warning" -- grep -q "no kernel in" "$TAP_TMP/nokernel.err"

ok "the script is POSIX sh (dash -n)" -- dash -n "$SCRIPT"
done_testing
