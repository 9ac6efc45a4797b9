/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * transaction.c: the pending record an interrupted apply leaves in the state file. The next
 * apply finishes it in the recorded mode with the recorded rebuilds, and refuses a record
 * it cannot read rather than guess (a wrong guess would skip a rebuild).
 */
#include <errno.h>
#include <stdlib.h>

#include "write/managed.h"
#include "tap.h"
#include "write/transaction.h"

static void parses(const char *text, bool want_trial, unsigned want_rebuild)
{
	bool trial = !want_trial;
	unsigned rebuild = ~want_rebuild;

	is_int(transaction_pending_parse(text, &trial, &rebuild), 0, "%s", text);
	ok(trial == want_trial && rebuild == want_rebuild, "  mode and rebuilds");
}

static void refuses(const char *text, const char *why)
{
	bool trial = true;
	unsigned rebuild = 42;

	is_int(transaction_pending_parse(text, &trial, &rebuild), -EINVAL, "%s", why);
	ok(trial && rebuild == 42, "  results untouched");
}

int main(void)
{
	char *s = NULL;

	is_int(transaction_pending_format(true, MANAGED_REBUILD_INITRAMFS | MANAGED_REBUILD_GRUB,
					  &s),
	       0, "format a trial");
	is_str(s, "trial 3", "trial with both rebuilds");
	parses(s, true, MANAGED_REBUILD_INITRAMFS | MANAGED_REBUILD_GRUB);
	free(s);
	is_int(transaction_pending_format(false, MANAGED_REBUILD_NONE, &s), 0, "format direct");
	is_str(s, "direct 0", "direct, nothing to rebuild");
	parses(s, false, MANAGED_REBUILD_NONE);
	free(s);
	parses("direct 2", false, MANAGED_REBUILD_GRUB);
	parses("direct 4294967295", false, 4294967295u);

	refuses("", "empty");
	refuses("trial", "no rebuild flags");
	refuses("trial ", "empty rebuild flags");
	refuses("trial x", "not a number");
	refuses("trial 3x", "trailing garbage");
	refuses("trial 4294967296", "more than an unsigned holds");
	refuses("trial -1", "negative (strtoul would wrap it)");
	refuses("armed 1", "unknown mode");
	refuses("Trial 1", "modes are lower case");

	return done_testing();
}
