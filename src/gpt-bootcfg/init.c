/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>

#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "core/verbs.h"
#include "shared/host.h"

static void help(void)
{
	printf("Usage: gpt-bootcfg [--root DIR] init --gpu ADDR [--usb ADDR] [--nvme ADDR]\n"
	       "                   [--vm NAME] [--force]\n\n"
	       "Write a starter configuration (" CONFIG_PATH ") for the chosen\n"
	       "devices: identities pinned, the other devices of each IOMMU group listed, each\n"
	       "line explained. Review it, then run 'gpt-bootcfg plan'.\n\n"
	       "  --gpu ADDR    the GPU to pass through (PCI address, e.g. 0000:65:00.0)\n"
	       "  --usb ADDR    a USB controller for the VM\n"
	       "  --nvme ADDR   an NVMe disk (controller) for the VM\n"
	       "  --vm NAME     also write a [vm NAME] section using these devices\n"
	       "  --force       overwrite an existing configuration\n");
}

struct chosen {
	const char *role; /* "gpu", "usb", "nvme" */
	const struct pci_device *dev;
};

/* A short name for a device from its class, for the other members of a group. */
static const char *class_word(uint32_t class)
{
	switch (class >> 16) {
	case 0x01:
		return "storage";
	case 0x02:
		return "net";
	case 0x03:
		return "display";
	case 0x04:
		return "audio";
	case 0x0c:
		return (class >> 8) == 0x0c03 ? "usb" : "serial";
	default:
		return "fn";
	}
}

static const char *class_text(uint32_t class)
{
	switch (class >> 8) {
	case 0x0300:
		return "VGA compatible controller";
	case 0x0302:
		return "3D controller";
	case 0x0403:
		return "audio device";
	case 0x0108:
		return "NVMe controller";
	case 0x0c03:
		return "USB controller";
	case 0x0200:
		return "Ethernet controller";
	default:
		return "PCI device";
	}
}

static void write_device(struct strbuf *sb, const char *name, const struct pci_device *d,
			 const char *why, bool explain_identity)
{
	strbuf_printf(sb, "\n# %s", why);
	strbuf_printf(sb, "\n# %04x:%04x, %s%s%s", d->vendor, d->device, class_text(d->class),
		      d->name ? ": " : "", d->name ? d->name : "");
	if (d->iommu_group >= 0)
		strbuf_printf(sb, ", IOMMU group %d", d->iommu_group);
	strbuf_printf(sb, ", driver now: %s.\n", d->driver ? d->driver : "none");
	strbuf_printf(sb, "[device %s]\naddress = %s\n", name, d->address);
	if (explain_identity)
		strbuf_puts(
		    sb, "# id, subsystem and class pin the identity: they are checked at every "
			"plan, apply\n# and boot, so if another card sits at this address after "
			"a hardware change,\n# it is not claimed.\n");
	strbuf_printf(sb, "id = %04x:%04x\nsubsystem = %04x:%04x\nclass = %06x\n", d->vendor,
		      d->device, d->subsystem_vendor, d->subsystem_device, d->class);
}

static int add_name(char ***names, const char *base, char **ret)
{
	_cleanup_free_ char *n = strdup(base);

	if (!n)
		return -ENOMEM;
	for (unsigned i = 2; strv_contains(*names, n); i++) {
		free(n);
		if (asprintf(&n, "%s-%u", base, i) < 0) {
			n = NULL;
			return -ENOMEM;
		}
	}
	if (strv_add(names, n) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(n);
	return 0;
}

int verb_init(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"gpu", required_argument, NULL, 'g'},
	    {"usb", required_argument, NULL, 'u'},
	    {"nvme", required_argument, NULL, 'n'},
	    {"vm", required_argument, NULL, 'v'},
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	const char *addr[3] = {}, *vm = NULL;
	static const char *const roles[3] = {"gpu", "usb", "nvme"};
	_cleanup_host_ struct host *h = NULL;
	_cleanup_strv_free_ char **names = NULL, **done = NULL;
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	struct chosen chosen[3] = {};
	bool force = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 'g':
			addr[0] = optarg;
			break;
		case 'u':
			addr[1] = optarg;
			break;
		case 'n':
			addr[2] = optarg;
			break;
		case 'v':
			vm = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			help();
			return EXIT_OK;
		default:
			return EXIT_ERROR;
		}
	}
	if (optind < argc || !addr[0]) {
		log_error("init needs --gpu ADDRESS (see 'gpt-bootcfg init --help').");
		return EXIT_ERROR;
	}
	if (vm) {
		for (const char *p = vm; *p; p++)
			if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.') ||
			    p - vm >= 64) {
				log_error("--vm: invalid name '%s' (use up to 64 letters, digits, "
					  "'-', '_', '.').",
					  vm);
				return EXIT_ERROR;
			}
	}

	r = path_exists(cli->pc, "%s", cli->config);
	if (r < 0)
		return log_error_errno(r, "Failed to check '%s': %m", cli->config), EXIT_ERROR;
	if (r > 0 && !force) {
		log_error("%s exists; not overwriting it without --force.", cli->config);
		return EXIT_ERROR;
	}

	r = host_load(cli->pc, &h);
	if (r < 0) {
		log_error_errno(r, "Failed to read the host below '%s': %s", cli->root,
				host_last_error());
		return EXIT_ERROR;
	}
	(void)host_load_names(h);

	for (size_t i = 0; i < 3; i++) {
		struct pci_addr a;
		char canon[PCI_ADDR_STRLEN];

		if (!addr[i])
			continue;
		if (pci_addr_parse(addr[i], &a) < 0) {
			log_error("--%s: invalid PCI address '%s' (expected DDDD:BB:DD.F).",
				  roles[i], addr[i]);
			return EXIT_ERROR;
		}
		chosen[i].role = roles[i];
		pci_addr_format(&a, canon);
		chosen[i].dev = host_find_pci(h, &a);
		if (!chosen[i].dev) {
			log_error("--%s: no PCI device %s on this host ('gpt-bootcfg list' shows "
				  "them).",
				  roles[i], canon);
			return EXIT_ERROR;
		}
		if (chosen[i].dev->is_bridge) {
			log_error("--%s: %s is a PCI bridge; name the device behind it.", roles[i],
				  canon);
			return EXIT_ERROR;
		}
	}

	strbuf_puts(
	    &sb, "# gpt-bootcfg configuration, written by 'gpt-bootcfg init'.\n"
		 "# Every key is described in gpt-bootcfg.conf(5). After editing, review with\n"
		 "# 'gpt-bootcfg plan', then 'gpt-bootcfg apply' and reboot.\n"
		 "\n[host]\n"
		 "# Keep host tasks off the CPUs the VMs' vCPUs are pinned to (isolcpus,\n"
		 "# nohz_full, rcu_nocbs from the [vm] vcpu-pins).\n"
		 "isolate-cpus = no\n"
		 "# Split IOMMU groups with pcie_acs_override: needs a patched kernel and gives\n"
		 "# up isolation the hardware does not provide.\n"
		 "acs-override = no\n"
		 "# Pass devices through even without interrupt remapping: a guest could then\n"
		 "# inject interrupts into the host. Only for guests you trust.\n"
		 "allow-unsafe-interrupts = no\n");

	for (size_t i = 0; i < 3; i++) {
		const struct pci_device *d = chosen[i].dev;
		struct iommu_group *g;
		_cleanup_free_ char *name = NULL;
		char why[160];

		if (!d || strv_contains(done, d->address))
			continue;
		r = add_name(&names, chosen[i].role, &name);
		if (r < 0)
			return log_oom(), EXIT_ERROR;
		snprintf(why, sizeof(why), "The %s for the VM (--%s).",
			 i == 0	  ? "GPU"
			 : i == 1 ? "USB controller"
				  : "NVMe controller",
			 chosen[i].role);
		write_device(&sb, name, d, why, i == 0);
		if (strv_add(&done, d->address) < 0)
			return log_oom(), EXIT_ERROR;

		/* A group goes to the VM whole: list its other endpoints, explained. */
		g = d->iommu_group >= 0 ? host_find_group(h, d->iommu_group) : NULL;
		for (size_t j = 0; g && j < g->n_devices; j++) {
			const struct pci_device *o = g->devices[j];
			_cleanup_free_ char *oname = NULL, *base = NULL;
			bool is_chosen = false;

			for (size_t k = 0; k < 3; k++)
				is_chosen |= chosen[k].dev && chosen[k].dev == o;
			if (o->is_bridge || is_chosen || strv_contains(done, o->address))
				continue;
			if (asprintf(&base, "%s-%s", name, class_word(o->class)) < 0)
				return log_oom(), EXIT_ERROR;
			r = add_name(&names, base, &oname);
			if (r < 0)
				return log_oom(), EXIT_ERROR;
			snprintf(why, sizeof(why),
				 "In IOMMU group %d with [device %s]: the VM gets the whole group.",
				 g->id, name);
			write_device(&sb, oname, o, why, false);
			if (strv_add(&done, o->address) < 0)
				return log_oom(), EXIT_ERROR;
		}
		if (d->iommu_group < 0)
			strbuf_puts(&sb,
				    "# The IOMMU is off, so its group is not known yet: after "
				    "'apply' and a reboot,\n# 'gpt-bootcfg plan' names the devices "
				    "that share it.\n");
	}

	if (vm) {
		_cleanup_free_ char *list = strv_join(names, " ");

		strbuf_printf(&sb,
			      "\n# The VM; its keys are described in gpt-bootcfg.conf(5).\n"
			      "[vm %s]\n"
			      "# The [device] sections above it gets.\n"
			      "devices = %s\n"
			      "# Guest memory, backed by 1 GiB hugepages reserved at boot.\n"
			      "memory = 8G\n"
			      "vcpus = 4\n"
			      "# Start the VM at boot (gpt-bootcfg-vm@%s.service).\n"
			      "autostart = no\n",
			      vm, list ? list : "", vm);
	}

	if (!strbuf_str(&sb))
		return log_oom(), EXIT_ERROR;
	/* 0644: root-owned and not writable by others, as config_load() insists. */
	r = path_write_atomic(cli->pc, cli->config, sb.buf, sb.len, 0644);
	if (r < 0) {
		log_error_errno(r, "Failed to write '%s': %m", cli->config);
		return EXIT_ERROR;
	}
	printf("Wrote %s. Review it, then run 'gpt-bootcfg plan'.\n", cli->config);
	return EXIT_OK;
}
