/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * QEMU's firmware descriptors (QEMU's docs/interop/firmware.json): one JSON file per
 * firmware build, naming its code and variable-store template, the machines it runs on and
 * its features. Distributions name their OVMF files differently (Debian
 * OVMF_CODE_4M.secboot.fd, Fedora edk2/ovmf/OVMF_CODE.secboot.fd, Arch
 * edk2/x64/OVMF_CODE.secboot.4m.fd), but all ship descriptors: reading them finds the
 * Secure Boot firmware with Microsoft's keys enrolled without hard-coding a layout.
 *
 * The parser is pure (text in, struct out); fw_desc_load() and fw_select_secure_boot() read
 * the descriptor directories and the firmware files below the root of a path context.
 */

#include <stdbool.h>
#include <stddef.h>

#include "basic/path.h"

/* Where QEMU looks for descriptors, highest priority first (no per-user directory). */
#define FW_DESC_DIR_ETC	  "/etc/qemu/firmware"
#define FW_DESC_DIR_SHARE "/usr/share/qemu/firmware"

/* The fallback when no descriptor names a Secure Boot firmware: Debian 12's package ovmf. */
#define FW_DEBIAN_SB_CODE "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
#define FW_DEBIAN_SB_VARS "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"

/* A 4 MiB flash: the variable store is large enough for Windows' Secure Boot updates (dbx). */
#define FW_FLASH_4M (4u << 20)

/* One descriptor of a UEFI firmware QEMU maps as two pflash drives (code + variables). */
struct fw_desc {
	char *name;	    /* the descriptor's file name, "40-edk2-x86_64-secure-enrolled.json" */
	char *code;	    /* mapping.executable.filename: the read-only code */
	char *vars;	    /* mapping.nvram-template.filename: the variable-store template */
	bool secure_boot;   /* feature "secure-boot": the code can enforce Secure Boot */
	bool enrolled_keys; /* feature "enrolled-keys": the template has PK/KEK/db, SB on */
	bool requires_smm;  /* feature "requires-smm": -machine smm=on, pflash secure=on */
};

/*
 * Parse one descriptor (file name, text) for a q35 x86_64 guest of the given machine type
 * ("pc-q35-7.2"; NULL: any pc-q35-*): 1 with *ret filled when it describes a UEFI firmware
 * for that machine mapped as two raw flash files ("device": "flash", "mode" absent or
 * "split"), 0 when it describes something else (another architecture, machine or mapping,
 * SeaBIOS, a memory or kernel mapping), -EBADMSG when the text is not such a descriptor
 * (not JSON, members of the wrong type), -ENOMEM.
 */
int fw_desc_parse(const char *name, const char *text, size_t len, const char *machine,
		  struct fw_desc *ret);

/* Free what fw_desc_parse() allocated; d may be zeroed. */
void fw_desc_done(struct fw_desc *d);

/* An array of n descriptors freed with their contents. */
void fw_desc_free_array(struct fw_desc *d, size_t n);

/*
 * The usable descriptors below the root in QEMU's order: the file names of FW_DESC_DIR_ETC
 * and FW_DESC_DIR_SHARE merged (ETC wins for a name in both; an empty file there hides the
 * other), sorted by name, each parsed with fw_desc_parse(); files that are not usable
 * descriptors are skipped (a broken one in /etc hides nothing). *ret may be NULL with
 * *ret_n 0. -errno only when a directory exists but cannot be read.
 */
int fw_desc_load(struct path_cxt *pc, const char *machine, struct fw_desc **ret, size_t *ret_n);

/* The firmware pair of a Secure Boot VM, and where it came from. */
struct fw_choice {
	char *code;
	char *vars;
	char *source; /* the descriptor's path, "ovmf-code/ovmf-vars" or the Debian fallback */
};

void fw_choice_done(struct fw_choice *c);

/*
 * Choose a Secure Boot firmware with enrolled keys from the descriptors in *d (n, in
 * order), the files checked below the root: the first whose code and template exist,
 * preferring a 4 MiB code file over a smaller one (a 2 MiB store fills up with Windows'
 * revocation updates); want_code / want_vars (NULL: any) keep only descriptors naming that
 * file, so ovmf-code or ovmf-vars still choose. Without any: Debian's FW_DEBIAN_SB_* when
 * both exist and nothing was asked for. 0 with *ret filled, -ENOENT with *ret_why (what
 * was looked for, what to install or set) when none fits, -ENOMEM.
 */
int fw_select_secure_boot(struct path_cxt *pc, const struct fw_desc *d, size_t n,
			  const char *want_code, const char *want_vars, struct fw_choice *ret,
			  char **ret_why);
