/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The trial-boot system test's stand-in for the trial half of "gpt-bootcfg apply --trial",
 * run inside the guest: it calls the same trial_arm() and trial_set_next_entry() apply
 * calls, so what the test boots is what apply arms. The shell around it writes the claim
 * list and rebuilds the initramfs and grub.cfg, as apply does.
 *
 *   test-trial-arm arm GENERATION DROPIN-FILE DEVICE [PARAM...]
 *   test-trial-arm next-entry
 */
#include <inttypes.h>
#include <stdio.h>

#include "basic/path.h"
#include "trial/trial.h"

int main(int argc, char **argv)
{
	struct path_cxt *pc = NULL;
	struct trial *t = NULL;
	char *dropin = NULL, *devices[2] = {NULL, NULL};
	FILE *f;
	size_t n = 0;
	int r;

	if (path_cxt_new("/", &pc) < 0)
		return 2;
	if (argc == 2 && streq(argv[1], "next-entry")) {
		r = trial_set_next_entry(pc);
		if (r < 0)
			fprintf(stderr, "test-trial-arm: next_entry: %s\n", strerror(-r));
		return r < 0;
	}
	if (argc < 5 || !streq(argv[1], "arm")) {
		fprintf(stderr, "usage: test-trial-arm arm GEN DROPIN DEVICE [PARAM...] | next-entry\n");
		return 2;
	}
	f = fopen(argv[3], "re");
	if (!f || getdelim(&dropin, &n, '\0', f) < 0) {
		fprintf(stderr, "test-trial-arm: cannot read %s\n", argv[3]);
		return 2;
	}
	fclose(f);
	devices[0] = argv[4];
	struct trial_arm arm = {
		.generation = strtoull(argv[2], NULL, 10),
		.params = argv + 5,
		.devices = devices,
		.units = NULL,
		.dropin = dropin,
	};
	r = trial_arm(pc, &arm, &t);
	if (r < 0) {
		fprintf(stderr, "test-trial-arm: arm: %s\n", strerror(-r));
		return 1;
	}
	printf("armed generation %" PRIu64 " (default entry: %" PRIu64 ")\n", t->generation,
	       t->previous);
	trial_free(t);
	free(dropin);
	path_cxt_free(pc);
	return 0;
}
