#!/bin/bash
# Bash completion (completion/gpt-bootcfg): verbs, options read from each verb's --help, VM
# names from the configuration and PCI addresses below --root.
. "$(dirname "$0")/../lib/tap.sh"

bc=/usr/share/bash-completion/bash_completion
[ -r "$bc" ] || { echo "Bail out! $bc is missing: install bash-completion (tests/deps.txt)"; exit 1; }
# shellcheck disable=SC1090
. "$bc"
. "$TOP/completion/gpt-bootcfg"
PATH=$(dirname "$GPT_BOOTCFG"):$PATH

comp() { # comp WORD...: the candidates for the last word
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_gpt_bootcfg
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}

root=$TAP_TMP/root
mkdir -p "$root/etc/gpt-bootcfg" "$root/sys/bus/pci/devices/0000:01:00.0" \
	"$root/sys/bus/pci/devices/0000:02:00.0"
printf '[device gpu]\naddress = 0000:01:00.0\n\n[vm  win11]\ndevices = gpu\n[vm linux]\n' \
	>"$root/etc/gpt-bootcfg/gpt-bootcfg.conf"

is "$(comp gpt-bootcfg '')" "apply check confirm init list plan revert snapshot status vm " "verbs"
is "$(comp gpt-bootcfg re)" "revert " "a verb prefix"
is "$(comp gpt-bootcfg --r)" "--root " "global options"
is "$(comp gpt-bootcfg vm '')" "command export run status stop " "vm subcommands"
is "$(comp gpt-bootcfg --root "$root" vm status '')" "linux win11 " "VM names from the config below --root"
is "$(comp gpt-bootcfg --root "$root" init --gpu 0000:0)" "0000:01:00.0 0000:02:00.0 " \
	"PCI addresses below --root"
is "$(comp gpt-bootcfg list --j)" "--json " "verb options from list --help"
is "$(comp gpt-bootcfg apply --j)" "--json " "apply --json"
is "$(comp gpt-bootcfg vm --l)" "--libvirt " "vm --libvirt"
is "$(comp gpt-bootcfg init --gpu 0000:01:00.0 --vm w --o)" "--os " "init --os, from init --help"
is "$(comp gpt-bootcfg init --vm w --os win)" "windows10 windows11 " "the guest OS of init --os"
done_testing
