/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The claim-list parser (claimlist.h), which the static claim binary runs on a file from
 * the initramfs before udev, and the kernel command line parser next to it. An accepted
 * list must format to text that parses back to the same list: the generator writes with
 * claim_list_format() what the claim binary reads. The same input as a claim log: a record
 * found is one line of a known result, and what claim_log_format() writes reads back.
 */
#include "claimproto/claimlist.h"
#include "fuzz.h"

static void count_error(void *userdata, unsigned line, unsigned column, const char *message)
{
	unsigned *n = userdata;

	FUZZ_ASSERT(line >= 1 && message && *message && !strchr(message, '\n'));
	(void)column;
	(*n)++;
}

static bool entry_eq(const struct claim_entry *a, const struct claim_entry *b)
{
	return pci_addr_cmp(&a->addr, &b->addr) == 0 && a->vendor == b->vendor &&
	       a->device == b->device && a->subvendor == b->subvendor &&
	       a->subdevice == b->subdevice && a->class == b->class &&
	       streq(a->reset_method, b->reset_method);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct claim_list l = CLAIM_LIST_INIT, l2 = CLAIM_LIST_INIT;
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	_cleanup_free_ char *cmdline = NULL;
	struct claim_cmdline cl;
	unsigned errors = 0;
	int r;

	/* The buffer is not NUL-terminated: the parser must respect size. */
	r = claim_list_parse((const char *)data, size, &l, count_error, &errors);
	if (r == -EBADMSG)
		FUZZ_ASSERT(errors > 0 && l.n_entries == 0);
	else if (r >= 0) {
		FUZZ_ASSERT(errors == 0);
		for (size_t i = 0; i < l.n_entries; i++)
			FUZZ_ASSERT(claim_list_find(&l, &l.entries[i].addr) == &l.entries[i]);

		claim_list_format(&l, &sb);
		FUZZ_ASSERT(sb.err == 0);
		FUZZ_ASSERT(claim_list_parse(sb.buf, sb.len, &l2, NULL, NULL) == 0);
		FUZZ_ASSERT(l2.n_entries == l.n_entries);
		FUZZ_ASSERT(l2.has_generation == l.has_generation);
		FUZZ_ASSERT(!l.has_generation || l2.generation == l.generation);
		for (size_t i = 0; i < l.n_entries; i++)
			FUZZ_ASSERT(entry_eq(&l.entries[i], &l2.entries[i]));
	} else
		FUZZ_ASSERT(r == -ENOMEM);
	claim_list_done(&l);
	claim_list_done(&l2);

	{
		_cleanup_strbuf_ struct strbuf rec = STRBUF_INIT;
		_cleanup_free_ char *msg = NULL;
		enum claim_result res;
		struct pci_addr a = {0};

		r = claim_log_find((const char *)data, size, &a, &res, &msg);
		FUZZ_ASSERT(r == 0 || r == 1 || r == -ENOMEM);
		if (r == 1) {
			enum claim_result res2;

			FUZZ_ASSERT(claim_result_to_string(res) && msg && !strchr(msg, '\n'));
			claim_log_format(&rec, &a, res, msg);
			FUZZ_ASSERT(rec.err == 0);
			FUZZ_ASSERT(claim_log_find(rec.buf, rec.len, &a, &res2, NULL) == 1 &&
				    res2 == res);
		}
	}

	cmdline = fuzz_strndup(data, size);
	if (cmdline) {
		claim_cmdline_parse(cmdline, &cl);
		FUZZ_ASSERT(!cl.generation_valid || cl.has_generation);
	}
	return 0;
}
