#!/bin/sh
# dracut pre-udev hook: claim the listed PCI devices for vfio-pci before udev loads their host
# drivers. dracut sources hooks into its own shell, so this must not exit or leave variables.
# Never fail the boot: the binary logs to /dev/kmsg, its exit code is for tests only.
if [ -x /usr/lib/gpt-bootcfg/gpt-bootcfg-claim ] && [ -e /etc/gpt-bootcfg/claim.list ]; then
	/usr/lib/gpt-bootcfg/gpt-bootcfg-claim || :
fi
