# shellcheck shell=sh
# The kernels the boot tests run on (sourced by check-boot.sh and check-initramfs.sh): words
# SUITE or SUITE:SCENARIO,SCENARIO... of fetch-kernel.sh's suites; $GPT_BOOTCFG_KERNELS
# overrides the list. A kernel with a scenario list runs only those of check-boot's
# scenarios (the claim's own: the full set on Debian 12's 6.1 and backports' 6.12 is enough
# for the VM runner's scenarios, which do not depend on the kernel's vfio modules).
#   bookworm            Debian 12's 6.1, every scenario
#   bookworm-backports  6.12, every scenario
#   bullseye            Debian 11's 5.10: vfio_virqfd a module of its own, no vfio_pci_core
#                       (as on Ubuntu 22.04's 5.15 GA kernel, which has vfio_pci_core)
#   forky               Debian testing's 7.x, files under /usr/lib/modules
# make check boots the claim's first scenario on 5.10 and 7.x; make check-boot-wide (part of
# make check-wide: CI's hour on two cores has no room for ten more boots) runs every claim
# scenario of issue 25 there.
BOOT_KERNELS_WIDE="bullseye:real,builtin,vfio-builtin,mismatch,off forky:real,builtin,vfio-builtin,mismatch,off"
# shellcheck disable=SC2034 # read by the scripts that source this file
BOOT_KERNELS=${GPT_BOOTCFG_KERNELS:-bookworm bookworm-backports bullseye:real forky:real}
