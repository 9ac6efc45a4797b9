/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

/* Placeholder until the boot-claim issue lands: claims nothing and says so. */
int main(void)
{
	fputs("gpt-bootcfg-claim: not implemented yet\n", stderr);
	return 2;
}
