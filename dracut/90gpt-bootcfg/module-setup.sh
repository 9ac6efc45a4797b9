#!/bin/bash
# dracut module: puts the claim binary, the claim list, the modprobe.d backstop and the vfio
# modules into the image, and the pre-udev hook that claims the listed devices for vfio-pci
# before udev starts (docs/boot-claim.md, "dracut"). The initramfs-tools hook
# (initramfs-tools/hooks/gpt-bootcfg) does the same for mkinitramfs.
#
# The overrides exist for the boot tests, which build an image from the source tree.
gpt_bootcfg_claim_bin=${GPT_BOOTCFG_CLAIM_BIN:-${dracutsysrootdir-}/usr/lib/gpt-bootcfg/gpt-bootcfg-claim}
gpt_bootcfg_claim_list=${GPT_BOOTCFG_CLAIM_LIST:-${dracutsysrootdir-}/etc/gpt-bootcfg/claim.list}

# called by dracut
check() {
	# Nothing configured, or reverted: the image carries nothing of ours (255: only when
	# named explicitly, so a dracut.conf that adds the module does not fail either).
	[[ -e $gpt_bootcfg_claim_list ]] || return 255
	return 0
}

# called by dracut
depends() {
	return 0
}

# called by dracut
installkernel() {
	[[ -e $gpt_bootcfg_claim_list ]] || return 0
	# The claim binary loads vfio-pci itself (finit_module, order from modules.dep);
	# vfio_iommu_type1 is what QEMU's VFIO container needs later. hostonly='': also
	# when the host has not loaded them (the first boot with the claim).
	hostonly='' instmods vfio-pci vfio_iommu_type1
}

# called by dracut
install() {
	if [[ ! -e $gpt_bootcfg_claim_list ]]; then
		dinfo "gpt-bootcfg: no $gpt_bootcfg_claim_list: nothing to claim"
		return 0
	fi
	if [[ ! -x $gpt_bootcfg_claim_bin ]]; then
		dwarn "gpt-bootcfg: $gpt_bootcfg_claim_bin is missing, devices will not be claimed at boot"
		return 0
	fi
	# The fixed in-image paths are what the hook runs. The binary is static: no libraries.
	inst_simple "$gpt_bootcfg_claim_bin" /usr/lib/gpt-bootcfg/gpt-bootcfg-claim
	inst_simple "$gpt_bootcfg_claim_list" /etc/gpt-bootcfg/claim.list
	# The backstop (softdep HOSTDRIVER pre: vfio-pci): dracut copies /etc/modprobe.d only
	# into host-only images, Debian's default is a generic one.
	if [[ -e ${dracutsysrootdir-}/etc/modprobe.d/gpt-bootcfg.conf ]]; then
		inst_simple "${dracutsysrootdir-}/etc/modprobe.d/gpt-bootcfg.conf" /etc/modprobe.d/gpt-bootcfg.conf
	fi
	# pre-udev runs before udevd starts: in a systemd initrd from dracut-pre-udev.service
	# (Before=systemd-udevd.service), otherwise from dracut's /init before it starts udevd.
	inst_hook pre-udev 00 "$moddir/gpt-bootcfg-claim.sh"
}
