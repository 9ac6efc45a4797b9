/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one kernel command line parser (src/basic/proc-cmdline.c) against the kernel's own
 * rules: next_arg() in lib/cmdline.c, parse_args() and parameq() in kernel/params.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "claimproto/claimlist.h"
#include "basic/macro.h"
#include "basic/proc-cmdline.h"
#include "tap.h"

/* The value of key: "(absent)", "(error)", or the value ("" for a bare flag). */
static const char *get(const char *cmdline, const char *key)
{
	static char buf[256];
	char *v = NULL;
	int r = proc_cmdline_get(cmdline, key, &v);

	if (r < 0)
		return "(error)";
	if (r == 0)
		return "(absent)";
	snprintf(buf, sizeof(buf), "%s", v);
	free(v);
	return buf;
}

/* All words as "key" or "key=value", joined by '|'. */
static const char *split(const char *cmdline)
{
	static char buf[512];
	struct proc_cmdline_word w;
	const char *p = cmdline;
	size_t n = 0;

	buf[0] = '\0';
	while (proc_cmdline_next(&p, &w) > 0) {
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%.*s", n ? "|" : "",
				      (int)w.key_len, w.key);
		if (w.value)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "=%.*s", (int)w.value_len,
					      w.value);
	}
	return buf;
}

int main(void)
{
	struct claim_cmdline c;

	/* Splitting, as next_arg() does. */
	is_str(split(""), "", "empty line");
	is_str(split("  \t\n"), "", "only white space");
	is_str(split("root=/dev/sda1 ro quiet\n"), "root=/dev/sda1|ro|quiet", "plain words");
	is_str(split("a= b"), "a=|b", "empty value is a value");
	is_str(split("a=b=c"), "a=b=c", "first '=' separates name and value");
	is_str(split("=x"), "=x", "a leading '=' does not start a value (kernel: equals == 0)");
	is_str(split("a=\"x y\" b"), "a=x y|b", "quoted value keeps its space, loses its quotes");
	is_str(split("\"a=x y\" b"), "a=x y|b", "quoted whole word");
	is_str(split("\"quiet\""), "quiet", "quoted flag");
	is_str(split("a=\"x"), "a=x", "unterminated quote runs to the end, leading quote dropped");
	is_str(split("a=\"x y"), "a=x y", "unterminated quote swallows spaces");
	is_str(split("a=x\"y z\""), "a=x\"y z\"", "quote inside a value is kept, spaces joined");
	is_str(split("a=\""), "a=", "lone quote value is empty");
	is_str(split("a\tb\vc\fd\re"), "a|b|c|d|e", "every isspace() separates");

	/* "--" ends the kernel's parameters; the rest is init's argv. */
	is_str(split("ro -- single gpt_bootcfg=off"), "ro", "-- ends kernel parameters");
	is_str(split("ro --x=1 a"), "ro|--x=1|a", "only a bare -- ends them");
	is_str(split("ro \"--\" a"), "ro",
	       "a quoted -- ends them too (parse_args sees it unquoted)");

	/* Names: '-' and '_' are the same character (parameq); values are not. */
	is_str(get("intel-iommu=on", "intel_iommu"), "on", "dash in the line matches underscore");
	is_str(get("vfio_pci.ids=10de:1b80", "vfio-pci.ids"), "10de:1b80",
	       "dash in the key matches underscore");
	is_str(get("a=x-y", "a"), "x-y", "value keeps its dash");
	is_str(get("ab=1", "a"), "(absent)", "a prefix of a name is not the name");
	is_str(get("a=1", "ab"), "(absent)", "a longer name is not the name");
	is_str(get("quiet", "quiet"), "", "bare flag: empty value");
	is_str(get(NULL, "quiet"), "(absent)", "no command line");
	is_int(proc_cmdline_get("quiet", "quiet", NULL), 1, "ret_value may be NULL");

	/* Last occurrence wins. */
	is_str(get("a=1 b a=2", "a"), "2", "last occurrence wins");
	is_str(get("a-b=1 a_b=2 a-b=3", "a_b"), "3", "last occurrence across spellings");
	is_str(get("a=1 -- a=2", "a"), "1", "after -- is init's, not the kernel's");

	/*
	 * Old copies disagreed here. trial.c split at white space only and compared names
	 * byte for byte: gpt-bootcfg.trial=1 and a="x gpt_bootcfg.trial=1" were wrong answers
	 * there (the kernel reads the first as gpt_bootcfg.trial and the second as part of a's
	 * value). host.c stripped a value's quotes only when both ends had one, while the
	 * kernel drops a leading quote even without a closing one: the kernel is right by
	 * definition, since it decides what the parameter is.
	 */
	is_str(get("a=\"x gpt_bootcfg.trial=1\"", "gpt_bootcfg.trial"), "(absent)",
	       "a quoted value hides what looks like a parameter");
	is_str(get("gpt-bootcfg.trial=1", "gpt_bootcfg.trial"), "1",
	       "dash spelling of a module parameter counts");
	is_str(get("a=\"x", "a"), "x", "unterminated quote: leading quote dropped");

	/* In effect: the last occurrence of the name carries the same value. */
	ok(proc_cmdline_in_effect("intel_iommu=on iommu=pt", "intel_iommu=on"), "in effect");
	ok(proc_cmdline_in_effect("intel-iommu=on", "intel_iommu=on"), "in effect, dash spelling");
	ok(!proc_cmdline_in_effect("intel_iommu=on intel_iommu=off", "intel_iommu=on"),
	   "overridden later: not in effect (the old word match said it was)");
	ok(!proc_cmdline_in_effect("intel_iommu=ON", "intel_iommu=on"), "values are exact");
	ok(proc_cmdline_in_effect("a=\"x y\"", "a=\"x y\""), "quoted value in effect");
	ok(proc_cmdline_in_effect("ro quiet", "quiet"), "flag in effect");
	ok(!proc_cmdline_in_effect("quiet=1", "quiet"), "flag with a value is not the flag");
	ok(!proc_cmdline_in_effect("ro -- quiet", "quiet"), "init's argv is not in effect");
	ok(!proc_cmdline_in_effect("ro", ""), "empty parameter is never in effect");

	/* The claim binary's kill switch and generation through the same parser. */
	claim_cmdline_parse("gpt_bootcfg=\"off\"", &c);
	ok(c.off, "quoted kill switch value");
	claim_cmdline_parse("\"gpt_bootcfg=off\"", &c);
	ok(c.off, "quoted kill switch word");
	claim_cmdline_parse("gpt-bootcfg=off", &c);
	ok(c.off, "dash spelling of the kill switch (kernel name rule)");
	claim_cmdline_parse("ro -- gpt_bootcfg=off", &c);
	ok(!c.off, "kill switch after -- is init's argument, not a parameter");
	claim_cmdline_parse("gpt_bootcfg.generation=123456789012345678901234567890", &c);
	ok(c.has_generation && !c.generation_valid, "overlong generation: present, invalid");
	claim_cmdline_parse("gpt_bootcfg.generation=\"7\"", &c);
	ok(c.has_generation && c.generation_valid && c.generation == 7, "quoted generation");

	return done_testing();
}
