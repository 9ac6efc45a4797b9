/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Trial boots (docs/trial-boot.md). "apply --trial" puts the new kernel parameters and
 * claims into a one-shot GRUB entry only: the claim list carries the new generation N, the
 * trial entry's command line asks for N, the default entry keeps asking for the confirmed
 * generation, so an old or fallback boot claims nothing new. The health unit checks the
 * trial boot and promotes it (the default entry then carries N), or records why it failed.
 *
 * Files, all through the root-prefix layer and written atomically:
 *   TRIAL_STATE_PATH     the state below, "key=value" lines
 *   TRIAL_CMDLINE_PATH   what the grub.d script appends to the trial entry (absent: no entry)
 *   TRIAL_DROPIN_PATH    the GRUB drop-in the default entry gets on promotion
 *   GRUB_DROPIN_PATH     the GRUB drop-in the default entry has now (the generator's)
 */

#include <stdbool.h>
#include <stdint.h>

#include "basic/json.h"
#include "basic/path.h"
#include "basic/strbuf.h"

#define TRIAL_STATE_PATH   "/var/lib/gpt-bootcfg/trial"
#define TRIAL_DROPIN_PATH  "/var/lib/gpt-bootcfg/trial-grub.cfg"
#define TRIAL_CMDLINE_PATH "/etc/gpt-bootcfg/trial.cmdline"
#define GRUB_DROPIN_PATH   "/etc/default/grub.d/gpt-bootcfg.cfg"
#define GRUBENV_PATH	   "/boot/grub/grubenv"
/* The menuentry id of the trial entry; next_entry names it. */
#define TRIAL_ENTRY_ID	     "gpt-bootcfg-trial"
#define DISPLAY_MANAGER_UNIT "display-manager.service"
#define HEALTH_UNIT	     "gpt-bootcfg-health.service"
#define HEALTH_UNIT_PATH     "/usr/lib/systemd/system/" HEALTH_UNIT
#define HEALTH_WANTS_LINK    "/etc/systemd/system/multi-user.target.wants/" HEALTH_UNIT

enum trial_state {
	TRIAL_NONE, /* no state file: nothing was ever applied with or without a trial */
	TRIAL_PENDING,
	TRIAL_CONFIRMED,
	TRIAL_FAILED,
};

struct trial {
	enum trial_state state;
	uint64_t generation; /* the trial's (or, when confirmed, the default entry's) generation */
	uint64_t previous;   /* generation the default entry carried when the trial was armed */
	bool direct;	     /* confirmed by "apply --no-trial", no trial boot happened */
	char *armed_boot_id; /* boot in which apply armed the trial */
	uint64_t armed_time; /* seconds since the epoch */
	char *decided_boot_id; /* boot in which the trial was confirmed or found failed */
	uint64_t decided_time;
	char **params;	 /* kernel parameters the trial adds, strv */
	char **devices;	 /* PCI addresses that must be bound to vfio-pci, strv */
	char **units;	 /* systemd units that must be active, strv */
	char **failures; /* why the trial failed, one line each, strv */
};

/* What apply hands to trial_arm(). */
struct trial_arm {
	uint64_t generation;  /* the claim list's new generation */
	char *const *params;  /* new kernel parameters without gpt_bootcfg.*, may be NULL */
	char *const *devices; /* addresses claimed by the new claim list, may be NULL */
	char *const *units;   /* units that must run in the trial boot (VM units), may be NULL */
	const char *dropin;   /* the GRUB drop-in apply would write without a trial */
	/*
	 * What GRUB_DROPIN_PATH should hold again (NULL: absent), for a caller that wrote it.
	 * apply does not: it records the drop-in without writing it (managed.h, record_only),
	 * so a crash can never leave the new parameters in the default entry.
	 */
	const char *previous_dropin;
	bool restore_dropin; /* put previous_dropin back (false: leave GRUB_DROPIN_PATH alone) */
};

const char *trial_state_to_string(enum trial_state s);

/*
 * Parse a state file's text. path is only used in messages. On a malformed line returns
 * -EINVAL and "PATH:LINE:COL: message" in *ret_error.
 */
int trial_parse(const char *text, const char *path, struct trial **ret, char **ret_error);

/* The state file's text for t (which trial_parse() reads back unchanged). */
int trial_format(const struct trial *t, char **ret);

/*
 * Load TRIAL_STATE_PATH. A missing file gives a trial in state TRIAL_NONE. A malformed one
 * gives -EINVAL and the message in *ret_error (may be NULL).
 */
int trial_load(struct path_cxt *pc, struct trial **ret, char **ret_error);

/* Write t to TRIAL_STATE_PATH atomically. */
int trial_save(struct path_cxt *pc, const struct trial *t);

void trial_free(struct trial *t);
static inline void trial_freep(struct trial **t)
{
	if (*t)
		trial_free(*t);
}
#define _cleanup_trial_ _cleanup_(trial_freep)

/*
 * Whether apply should arm a trial. requested is 1 for --trial, 0 for --no-trial, -1 when
 * neither was given: the first apply on a host (no state file and no GRUB drop-in of ours)
 * is a trial, and so is one while a trial is pending or after one failed; after a confirmed
 * configuration, not.
 */
int trial_wanted(struct path_cxt *pc, int requested, bool *ret);

/*
 * The words the trial entry appends to the confirmed command line: the params, then
 * "gpt_bootcfg.generation=N gpt_bootcfg.trial=1".
 */
int trial_cmdline(uint64_t generation, char *const *params, char **ret);

/*
 * Enable the health unit (HEALTH_WANTS_LINK -> HEALTH_UNIT_PATH) unless a link is there.
 * The unit does nothing without a state file, so it stays enabled. 1 created, 0 present.
 */
int trial_enable_health_unit(struct path_cxt *pc);

/*
 * Arm a trial: enable the health unit, write TRIAL_DROPIN_PATH, TRIAL_CMDLINE_PATH and the
 * state (pending, previous generation kept from the current state), and with restore_dropin
 * put the previous GRUB_DROPIN_PATH back. The caller then
 * regenerates grub.cfg and calls trial_set_next_entry(). On failure nothing is pending: the
 * state file is written last.
 */
int trial_arm(struct path_cxt *pc, const struct trial_arm *arm, struct trial **ret);

/*
 * Record an apply without trial (--no-trial): state confirmed with generation, direct, and
 * any armed trial's files removed.
 */
int trial_record_direct(struct path_cxt *pc, uint64_t generation);

/*
 * Promote a pending trial: install TRIAL_DROPIN_PATH as GRUB_DROPIN_PATH, remove
 * TRIAL_CMDLINE_PATH, mark t confirmed in this boot and save it. The caller then
 * regenerates grub.cfg. -ENOENT when the pending drop-in is missing.
 */
int trial_promote(struct path_cxt *pc, struct trial *t);

/*
 * Mark t failed with the given reasons (strv, appended), remove TRIAL_CMDLINE_PATH so the
 * trial entry disappears at the next grub.cfg update, and save it.
 */
int trial_fail(struct path_cxt *pc, struct trial *t, char *const *reasons);

/*
 * Is the running boot (cmdline: /proc/cmdline contents, parsed by proc-cmdline.h's kernel
 * rules) the trial of t? 1 yes, 0 no, -ENOMEM. When the command line carries
 * gpt_bootcfg.trial=1 for another generation, 0 and *ret_other_generation set (0 otherwise).
 */
int trial_is_trial_boot(const struct trial *t, const char *cmdline, uint64_t *ret_other_generation);

/* Callback: is a systemd unit active? 1 yes, 0 no, -errno when it could not be asked. */
typedef int (*trial_unit_active_fn)(const char *unit, void *userdata);

/*
 * The health check of a trial boot: every parameter on the command line, every device on
 * vfio-pci, every unit active, multi-user.target active and, when the host has a display
 * manager (/etc/systemd/system/display-manager.service), that one too. Returns 1 healthy,
 * 0 not (one line per problem in *ret_failures, a strv), -errno when it could not check.
 */
int trial_check(struct path_cxt *pc, const struct trial *t, const char *cmdline,
		trial_unit_active_fn unit_active, void *userdata, char ***ret_failures);

/*
 * Run a command (argv[0] looked up in PATH) with stdin from /dev/null and stdout to
 * stderr. Returns its exit status (>= 0) or -errno when it could not be run.
 */
int trial_run(char *const *argv);

/*
 * Like trial_run(), but the command's stdout (at most 1 MiB, NUL-terminated) goes to *ret;
 * stderr is discarded. Returns the exit status.
 */
int trial_run_capture(char *const *argv, char **ret);

/*
 * What the journal says about a trial that never confirmed: one line for *ret_reason (1), or
 * NULL and 0 when there is no journal of an earlier boot. When the journal's previous boot
 * is the one that armed the trial, the trial boot left no journal; otherwise the previous
 * boot's kernel command line and last line tell what it was and where it stopped. Asks
 * "journalctl --list-boots" and "journalctl -b -1", under another root with
 * "-D ROOT/var/log/journal" (no such directory: 0). $GPT_BOOTCFG_JOURNALCTL replaces the
 * journalctl command (tests).
 */
int trial_journal_reason(struct path_cxt *pc, const struct trial *t, char **ret_reason);

/*
 * Set next_entry=TRIAL_ENTRY_ID in the root's GRUBENV_PATH with grub-editenv (creating the
 * file when missing), so GRUB boots the trial entry exactly once.
 */
int trial_set_next_entry(struct path_cxt *pc);

/* Unset next_entry in GRUBENV_PATH when it names the trial entry. 1 unset, 0 nothing to do. */
int trial_clear_next_entry(struct path_cxt *pc);

/* Read next_entry from GRUBENV_PATH: 1 and *ret set, 0 when unset or no grubenv. */
int trial_get_next_entry(struct path_cxt *pc, char **ret);

/*
 * Regenerate grub.cfg: "update-grub" on the running host. Under another root the command
 * in $GPT_BOOTCFG_UPDATE_GRUB (run with the root directory as its argument) when set;
 * otherwise nothing is run and 0 is returned. Returns 1 when it ran and succeeded.
 */
int trial_update_grub(struct path_cxt *pc);

/*
 * Read the current boot id (/proc/sys/kernel/random/boot_id); NULL (and 0) when the root has
 * none.
 */
int trial_boot_id(struct path_cxt *pc, char **ret);

/* Human-readable summary (several lines, each ending in '\n') for "status". */
void trial_describe(const struct trial *t, struct strbuf *out);

/* The trial as a JSON object member named key for "status --json". */
void trial_json(const struct trial *t, struct json_writer *w, const char *key);
