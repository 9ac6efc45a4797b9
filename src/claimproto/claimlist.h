/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The claim list: the devices the initramfs claims for vfio-pci, written by the generator
 * and read by the static claim binary (libc only). Text, one directive a line:
 *
 *     # comment (also after a directive)
 *     generation 7
 *     0000:65:00.0 10de:1c03 1462:3285 030000
 *
 * A device line is ADDRESS VENDOR:DEVICE SUBVENDOR:SUBDEVICE CLASS (hex, lower or upper
 * case), optionally followed by one more field:
 *
 *     0000:65:00.0 1002:67df 1462:3417 030000 reset=device_specific
 *     0000:66:00.0 10de:1c03 1462:3285 030000 reset=flr,bus
 *
 * reset=METHOD[,METHOD...] is the device's reset_method (kernel 5.15 and later) the claim
 * binary writes before binding it: the kernel's method names (pci.h), each at most once, or
 * "default" alone; the claim binary writes them space-separated. A line without it reads as
 * before (the kernel's own reset order is left alone). A malformed value rejects the whole
 * list, as any malformed line does. "generation N" (decimal, at most once) binds the list to
 * a boot entry: the claim binary claims only when the kernel command line carries
 * gpt_bootcfg.generation=N.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/pci.h"
#include "basic/strbuf.h"

struct claim_entry {
	struct pci_addr addr;
	uint16_t vendor;
	uint16_t device;
	uint16_t subvendor;
	uint16_t subdevice;
	uint32_t class;
	/* reset_method to write before the bind, space-separated ("flr bus"); "" none */
	char reset_method[PCI_RESET_METHODS_MAX];
	unsigned line; /* 1-based source line, 0 when added in code */
};

struct claim_list {
	struct claim_entry *entries;
	size_t n_entries;
	bool has_generation;
	uint64_t generation;
	/*
	 * Private: room in entries, and an open-addressing index of the addresses (entry
	 * number + 1, 0 free, index_size a power of two), so that adding n devices and looking
	 * each one up stays linear (issue 14: a long list took quadratic time).
	 */
	size_t n_alloc;
	size_t *index;
	size_t index_size;
};

#define CLAIM_LIST_INIT                                                                            \
	{                                                                                          \
		0                                                                                  \
	}

/*
 * Called once per malformed line with its 1-based line and column (of the offending
 * token) and a message without trailing newline.
 */
typedef void (*claim_list_error_fn)(void *userdata, unsigned line, unsigned column,
				    const char *message);

/*
 * Parse size bytes of buf (need not be NUL-terminated). Every malformed line is reported
 * through on_error (may be NULL); when there is any, the whole list is rejected with
 * -EBADMSG so that a half-understood list never claims anything. -ENOMEM on allocation
 * failure. On success *ret (which must be CLAIM_LIST_INIT or done) is filled.
 */
int claim_list_parse(const char *buf, size_t size, struct claim_list *ret,
		     claim_list_error_fn on_error, void *userdata);

/*
 * Whether the n bytes at s are a valid reset method value in the list's spelling
 * (separator ',') or the sysfs and configuration spelling (separator ' '): known names
 * (pci_reset_method_known()), each once, or "default" alone; shorter than
 * PCI_RESET_METHODS_MAX. 0 when valid; otherwise -EINVAL with *ret_bad (may be NULL) the
 * offset of the offending name and why filled (at most why_size bytes).
 */
int claim_reset_method_check(const char *s, size_t n, char sep, size_t *ret_bad, char *why,
			     size_t why_size);

/* Append a device; -EEXIST if the address is already listed, -ENOMEM. */
int claim_list_add(struct claim_list *l, const struct claim_entry *e);

/* The entry for an address, or NULL. */
const struct claim_entry *claim_list_find(const struct claim_list *l, const struct pci_addr *a);

/*
 * Append the canonical text of the list to sb (a header comment, the generation line if
 * any, one device a line in list order), which claim_list_parse() reads back unchanged.
 */
void claim_list_format(const struct claim_list *l, struct strbuf *sb);

/* Free the entries and reset to CLAIM_LIST_INIT. */
void claim_list_done(struct claim_list *l);

/*
 * Kernel command line facts for the claim: the kill switch "gpt_bootcfg=off" and
 * "gpt_bootcfg.generation=N". The last occurrence wins, as the kernel does for its own
 * parameters. A malformed generation value counts as present but invalid.
 */
struct claim_cmdline {
	bool off;
	bool has_generation;
	bool generation_valid;
	uint64_t generation;
};

/*
 * Parse a NUL-terminated kernel command line. Cannot fail. Words are split and unquoted as
 * the kernel's next_arg() does, so "gpt_bootcfg=\"off\"" and "\"gpt_bootcfg=off\"" are
 * the kill switch too: the kernel strips those quotes before any module sees the value.
 */
void claim_cmdline_parse(const char *cmdline, struct claim_cmdline *ret);

/*
 * The claim log, /run/gpt-bootcfg/claim.log: what the claim binary did with each listed
 * device at boot. The binary writes it in the initramfs (initramfs-tools moves /run into
 * the booted system) and "status" reads it. One record a line:
 *
 *     ADDRESS RESULT MESSAGE
 *     0000:65:00.0 claimed claimed for vfio-pci in 0.42 ms (override 0.02 ms, probe 0.31 ms)
 *
 * ADDRESS is canonical (DDDD:BB:DD.F), RESULT one of the words below, MESSAGE the text of
 * the binary's kernel log line after "ADDRESS: " (control bytes as \xHH, so one line).
 * Lines starting with '#' are comments; the last record of an address wins; a line that
 * is none of these is skipped (the file is only a report: a torn write loses a record,
 * never a claim).
 */
#define CLAIM_LOG_PATH "/run/gpt-bootcfg/claim.log"

enum claim_result {
	CLAIM_RESULT_CLAIMED, /* bound to vfio-pci now */
	CLAIM_RESULT_ALREADY, /* was on vfio-pci before */
	CLAIM_RESULT_SKIPPED, /* left alone: identity, group, bridge, no vfio-pci */
	CLAIM_RESULT_FAILED,  /* a write to sysfs failed, or vfio-pci did not bind */
	_CLAIM_RESULT_MAX,
};

/* "claimed", "already", "skipped", "failed"; NULL out of range. */
const char *claim_result_to_string(enum claim_result r);

/* True when the device was on vfio-pci after the claim (claimed or already). */
static inline bool claim_result_on_vfio(enum claim_result r)
{
	return r == CLAIM_RESULT_CLAIMED || r == CLAIM_RESULT_ALREADY;
}

/* Append one record (with its newline) to sb. */
void claim_log_format(struct strbuf *sb, const struct pci_addr *a, enum claim_result r,
		      const char *message);

/*
 * The last record of address a in the first size bytes of text: 1 with *ret_result and a
 * newly allocated *ret_message (either may be NULL), 0 when there is none (outputs
 * untouched), -ENOMEM.
 */
int claim_log_find(const char *text, size_t size, const struct pci_addr *a,
		   enum claim_result *ret_result, char **ret_message);
