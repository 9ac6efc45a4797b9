/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <stdio.h>

#include "basic/log.h"
#include "core/verbs.h"

#ifndef VERSION
#define VERSION "0"
#endif

struct verb {
	const char *name;
	int (*fn)(struct cli *cli, int argc, char **argv);
	const char *help;
};

static const struct verb verbs[] = {
    {"list", verb_list, "Show IOMMU groups and their devices"},
    {"check", verb_check, "Check the platform for passthrough (CPU, IOMMU, firmware, kernel)"},
    {"snapshot", verb_snapshot, "Save what gpt-bootcfg reads from this host into a tar file"},
    {"init", verb_init, "Write a starter configuration for the chosen devices"},
    {"plan", verb_plan, "Show what apply would change, and why"},
    {"apply", verb_apply, "Write the boot configuration and rebuild the initramfs"},
    {"revert", verb_revert, "Remove everything apply wrote"},
    {"status", verb_status, "Compare the running host with the configuration"},
    {"confirm", verb_confirm, "Make a trial configuration the default"},
    {"vm", verb_vm, "Build, run, stop and inspect the configured VMs"},
};

static void help(void)
{
	printf("Usage: gpt-bootcfg [--root DIR] [--config FILE] [-v] VERB [OPTIONS]\n\n"
	       "Claim PCI devices for vfio-pci at boot and run the VM that uses them.\n\n"
	       "Verbs:\n");
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		printf("  %-10s %s\n", verbs[i].name, verbs[i].help);
	printf(
	    "\nOptions:\n"
	    "  -r, --root DIR     operate on the host tree below DIR (tests, chroots, snapshots)\n"
	    "  -c, --config FILE  configuration file (default " CONFIG_PATH " under the root)\n"
	    "  -v, --verbose      log debug messages\n"
	    "  -h, --help         show this help\n"
	    "      --version      show the version\n\n"
	    "See gpt-bootcfg(8) and gpt-bootcfg.conf(5).\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
	    {"root", required_argument, NULL, 'r'}, {"config", required_argument, NULL, 'c'},
	    {"verbose", no_argument, NULL, 'v'},    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},    {},
	};
	_cleanup_path_cxt_ struct path_cxt *pc = NULL;
	struct cli cli = {.root = "/", .config = CONFIG_PATH};
	const char *nc = getenv("NO_COLOR");
	int c, r;

	/* Stop at the verb: everything after it belongs to the verb's own parser. */
	while ((c = getopt_long(argc, argv, "+r:c:vh", options, NULL)) >= 0) {
		switch (c) {
		case 'r':
			cli.root = optarg;
			break;
		case 'c':
			cli.config = optarg;
			break;
		case 'v':
			log_set_max_level(LOG_LEVEL_DEBUG);
			break;
		case 'h':
			help();
			return EXIT_OK;
		case 'V':
			printf("gpt-bootcfg %s\n", VERSION);
			return EXIT_OK;
		default:
			return EXIT_ERROR;
		}
	}
	if (optind >= argc) {
		help();
		return EXIT_ERROR;
	}

	r = path_cxt_new(cli.root, &pc);
	if (r < 0) {
		log_error_errno(r, "Failed to set up root '%s': %m", cli.root);
		return EXIT_ERROR;
	}
	cli.pc = pc;
	cli.color = isatty(STDOUT_FILENO) && !(nc && *nc);

	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
		if (streq(argv[optind], verbs[i].name)) {
			/* Reset getopt for the verb's own option parsing. */
			int vargc = argc - optind;
			char **vargv = argv + optind;

			optind = 0;
			return verbs[i].fn(&cli, vargc, vargv);
		}
	}
	log_error("Unknown verb '%s'. See 'gpt-bootcfg --help'.", argv[optind]);
	return EXIT_ERROR;
}
