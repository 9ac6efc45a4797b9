/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "claimproto/claimlist.h"
#include "claimlist-errs.h"
#include "tap.h"

/* The claim log: the binary's writer and status' reader round trip; garbage is skipped. */
static void test_claim_log(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct pci_addr gpu, audio, nvme;
	enum claim_result r = _CLAIM_RESULT_MAX;
	char *msg = NULL;

	pci_addr_parse("0000:65:00.0", &gpu);
	pci_addr_parse("0000:65:00.1", &audio);
	pci_addr_parse("0000:b3:00.0", &nvme);

	for (int i = 0; i < _CLAIM_RESULT_MAX; i++) {
		char *m = NULL;

		strbuf_release(&sb);
		claim_log_format(&sb, &gpu, (enum claim_result)i, "text: with spaces");
		is_int(claim_log_find(sb.buf, sb.len, &gpu, &r, &m), 1, "round trip found");
		is_int(r, i, "%s", claim_result_to_string((enum claim_result)i));
		is_str(m, "text: with spaces", "round trip message");
		free(m);
	}
	strbuf_release(&sb);
	claim_log_format(&sb, &gpu, CLAIM_RESULT_SKIPPED, "skipped: no IOMMU group");
	claim_log_format(&sb, &audio, CLAIM_RESULT_ALREADY, "already on vfio-pci");
	claim_log_format(&sb, &gpu, CLAIM_RESULT_CLAIMED, "claimed\nfake 0000:b3:00.0 claimed x");
	claim_log_format(&sb, &nvme, CLAIM_RESULT_FAILED, "");
	is_int(claim_log_find(sb.buf, sb.len, &gpu, &r, &msg), 1, "last record of an address wins");
	is_int(r, CLAIM_RESULT_CLAIMED, "last result");
	is_str(msg, "claimed\\x0afake 0000:b3:00.0 claimed x", "a newline cannot forge a record");
	free(msg);
	msg = NULL;
	ok(claim_result_on_vfio(CLAIM_RESULT_ALREADY) && !claim_result_on_vfio(CLAIM_RESULT_FAILED),
	   "on vfio-pci: claimed or already");
	is_int(claim_log_find(sb.buf, sb.len, &nvme, &r, &msg), 1, "empty message");
	is_str(msg, "", "empty message read back");
	free(msg);
	msg = NULL;
	/* Cut anywhere: never more than what is there. */
	for (size_t n = 0; n <= sb.len; n++) {
		char *copy = malloc(n ? n : 1), *m = NULL;
		int k;

		memcpy(copy, sb.buf, n);
		k = claim_log_find(copy, n, &audio, NULL, &m);
		if (k < 0 || (k == 1 && !m)) {
			ok(false, "truncated at %zu", n);
			free(copy);
			break;
		}
		free(m);
		free(copy);
	}
	ok(true, "every truncation read without overrun (ASan)");
	strbuf_release(&sb);

	{
		static const char garbage[] = "# comment 0000:65:00.0 claimed x\n"
					      "gpt-bootcfg: 0000:65:00.0: claimed for vfio-pci\n"
					      "0000:65:00.0\n"
					      "0000:65:00.0 \n"
					      "0000:65:00.0 claimedx y\n"
					      "0000:65:00.0 bogus claimed\n"
					      "65:00 claimed z\n"
					      "0000:65:00.0 claimed a\0b\n"
					      "\xff\xfe\x01\n\n";

		is_int(claim_log_find(garbage, sizeof(garbage) - 1, &gpu, &r, &msg), 0,
		       "prose, comments, bad words and NULs are no records");
		ok(msg == NULL, "message untouched");
		is_int(claim_log_find(NULL, 0, &gpu, &r, &msg), 0, "no log");
		is_int(claim_log_find("0000:65:00.0 claimed", 20, &gpu, &r, NULL), 1,
		       "no trailing newline, no message");
		is_int(claim_log_find("0000:65:00.0 skipped x", 22, &gpu, NULL, NULL), 1,
		       "outputs may be NULL");
	}
}

int main(void)
{
	struct claim_list l = CLAIM_LIST_INIT, l2 = CLAIM_LIST_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct claim_cmdline c;
	struct pci_addr a;
	struct errs e;
	const char *good = "# targets\n"
			   "generation 12\n"
			   "0000:65:00.0 10de:1c03 1462:3285 030000  # the GPU\n"
			   "\n"
			   "\t65:00.1 10DE:10F1 1462:3285 040300\n"
			   "0000:00:03.0 1b36:0010 1af4:1100 010802"; /* no final newline */

	is_int(parse(good, &l, &e), 0, "good list parses");
	is_int(e.n, 0, "no errors reported");
	is_int(l.n_entries, 3, "three devices");
	ok(l.has_generation && l.generation == 12, "generation 12");
	is_int(l.entries[0].vendor, 0x10de, "vendor");
	is_int(l.entries[0].device, 0x1c03, "device");
	is_int(l.entries[0].subvendor, 0x1462, "subvendor");
	is_int(l.entries[0].subdevice, 0x3285, "subdevice");
	is_int(l.entries[0].class, 0x030000, "class");
	is_int(l.entries[0].line, 3, "line number kept");
	is_int(l.entries[1].addr.fn, 1, "short address, upper-case ids");
	is_int(l.entries[1].device, 0x10f1, "upper-case hex");
	is_int(l.entries[2].class, 0x010802, "last line without newline");
	ok(pci_addr_parse("0000:65:00.1", &a) == 0 && claim_list_find(&l, &a) == &l.entries[1],
	   "find by address");
	ok(pci_addr_parse("0000:65:00.2", &a) == 0 && claim_list_find(&l, &a) == NULL,
	   "find misses");

	/* Round trip through the formatter. */
	claim_list_format(&l, &sb);
	is_str(strbuf_str(&sb),
	       "# gpt-bootcfg claim list: ADDRESS VENDOR:DEVICE SUBVENDOR:SUBDEVICE CLASS\n"
	       "generation 12\n"
	       "0000:65:00.0 10de:1c03 1462:3285 030000\n"
	       "0000:65:00.1 10de:10f1 1462:3285 040300\n"
	       "0000:00:03.0 1b36:0010 1af4:1100 010802\n",
	       "canonical format");
	is_int(claim_list_parse(strbuf_str(&sb), sb.len, &l2, NULL, NULL), 0, "format parses back");
	is_int(l2.n_entries, 3, "same count");
	ok(memcmp(&l2.entries[1].addr, &l.entries[1].addr, sizeof(a)) == 0 &&
	   l2.entries[1].class == l.entries[1].class && l2.generation == 12,
	   "same contents");
	claim_list_done(&l2);
	claim_list_done(&l);
	ok(l.entries == NULL && l.n_entries == 0, "done resets");
	strbuf_release(&sb);

	/* Empty and comment-only lists are valid and claim nothing. */
	is_int(parse("", &l, &e), 0, "empty list");
	is_int(l.n_entries, 0, "empty has no entries");
	ok(!l.has_generation, "no generation");
	is_int(parse("# nothing\n   \n", &l, &e), 0, "comments only");
	claim_list_done(&l);

	/* Every malformed line is reported with line and column; the list is rejected. */
	is_int(parse("0000:65:00.0 10de:1c03 1462:3285 030000\n"
		     "0000:65:00.1 10de:1c3 1462:3285 030000\n"
		     "zz:00.0 10de:1c03 1462:3285 030000\n"
		     "0000:66:00.0 10de:1c03 1462:3285\n"
		     "0000:67:00.0 10de:1c03 1462:3285 03000g\n"
		     "0000:65:00.0 10de:1c03 1462:3285 030000\n"
		     "0000:68:00.0 10de:1c03 1462:3285 030000 extra\n",
		     &l, &e),
	       -EBADMSG, "malformed list rejected");
	is_int(l.n_entries, 0, "nothing returned for a rejected list");
	is_int(e.n, 6, "six errors");
	ok(e.line[0] == 2 && e.col[0] == 14, "bad id at 2:14 (%u:%u %s)", e.line[0], e.col[0],
	   e.msg[0]);
	ok(strstr(e.msg[0], "VENDOR:DEVICE") != NULL, "message names the field");
	ok(e.line[1] == 3 && e.col[1] == 1, "bad address at 3:1 (%u:%u)", e.line[1], e.col[1]);
	ok(e.line[2] == 4 && strstr(e.msg[2], "3 fields"), "missing field on line 4 (%s)", e.msg[2]);
	ok(e.line[3] == 5 && e.col[3] == 34, "bad class at 5:34 (%u:%u)", e.line[3], e.col[3]);
	ok(e.line[4] == 6 && strstr(e.msg[4], "duplicate address 0000:65:00.0 (first on line 1)"),
	   "duplicate address (%s)", e.msg[4]);
	ok(e.line[5] == 7 && e.col[5] == 41, "extra field at 7:41 (%u:%u)", e.line[5], e.col[5]);

	is_int(parse("generation x\n", &l, &e), -EBADMSG, "bad generation");
	ok(e.n == 1 && e.line[0] == 1 && e.col[0] == 12, "generation error position");
	is_int(parse("generation 1\ngeneration 2\n", &l, &e), -EBADMSG, "duplicate generation");
	ok(e.n == 1 && e.line[0] == 2, "on line 2");
	is_int(parse("generation\n", &l, &e), -EBADMSG, "generation without number");
	is_int(parse("generation 99999999999999999999999\n", &l, &e), -EBADMSG, "huge generation");
	is_int(claim_list_parse("0000:65:00.0 10de:1c03 1462:3285 030000\0x\n", 43, &l, NULL, NULL),
	       -EBADMSG, "NUL byte rejected without callback");

	/* claim_list_add refuses duplicates. */
	{
		struct claim_entry x = { .vendor = 1 };

		is_int(claim_list_add(&l, &x), 0, "add");
		is_int(claim_list_add(&l, &x), -EEXIST, "add duplicate");
		claim_list_done(&l);
	}

	/* Kernel command line. */
	claim_cmdline_parse("BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet", &c);
	ok(!c.off && !c.has_generation, "plain command line");
	claim_cmdline_parse("root=/dev/sda1 gpt_bootcfg=off\n", &c);
	ok(c.off, "kill switch");
	claim_cmdline_parse("gpt_bootcfg=off gpt_bootcfg=on", &c);
	ok(!c.off, "last occurrence wins");
	claim_cmdline_parse("xgpt_bootcfg=off", &c);
	ok(!c.off, "prefix must match a whole word");
	claim_cmdline_parse("a=\"x gpt_bootcfg=off\" gpt_bootcfg.generation=42", &c);
	ok(!c.off, "quoted value is not a parameter");
	ok(c.has_generation && c.generation_valid && c.generation == 42, "generation 42");
	claim_cmdline_parse("gpt_bootcfg.generation=4x2", &c);
	ok(c.has_generation && !c.generation_valid, "invalid generation flagged");

	test_claim_log();
	return done_testing();
}
