/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The [vm] keys a gaming guest needs beyond its GPU (issue 15, items 1-3):
 *
 *   looking-glass = SIZE|auto      an ivshmem-plain device over /dev/shm/looking-glass (or
 *   looking-glass-user = NAME      /dev/kvmfr0 when the kvmfr module made it), the file
 *   resolution = WxH               owned by the client's user; "auto" sizes it for WxH
 *   looking-glass-file = NAME|DEV  /dev/shm/NAME or /dev/kvmfrN instead: one per VM
 *   input = PATH...                evdev keyboards and mice (input-linux objects)
 *   input-grab-toggle = KEYS       the key combination that moves them host <-> guest
 *   usb-devices = VID:PID...       usb-host devices on the VM's xHCI controller
 *
 * vm_hw_parse_key() hands these keys to vm_gaming_parse_key(), vm_hw_check() calls
 * vm_gaming_check(); qemu_cmd_build() appends vm_gaming_args(). What the runner does with
 * the host (the shared-memory file, missing devices) is in vm-shm.h.
 */

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"

struct vm_config;
struct vm_options;
struct qemu_cmd_input;

/* Where the Looking Glass memory lives. */
#define VM_LG_SHM_PATH	 "/dev/shm/looking-glass"
#define VM_LG_KVMFR_PATH "/dev/kvmfr0"

/* The frame buffer size for "auto" without "resolution": 1920x1080. */
#define VM_LG_DEFAULT_WIDTH  1920u
#define VM_LG_DEFAULT_HEIGHT 1080u

struct vm_input {
	char *path;    /* /dev/input/by-id/... or /dev/input/by-path/... */
	bool keyboard; /* name ends in "-event-kbd": grab_all, repeat, grab-toggle */
	unsigned line, col;
};

struct vm_usb_id {
	uint16_t vendor, product;
	unsigned line, col;
};

struct vm_gaming {
	/* looking-glass: size 0 = none. */
	uint64_t lg_size; /* bytes, a power of two */
	bool lg_auto;
	unsigned lg_width, lg_height; /* the resolution "auto" was sized for */
	char *lg_user;
	/* looking-glass-file: "/dev/shm/NAME" or "/dev/kvmfrN"; NULL: the default. */
	char *lg_file;
	unsigned lg_line, lg_col;
	unsigned lg_file_line, lg_file_col;
	unsigned lg_user_line, lg_user_col;

	struct vm_input *inputs;
	size_t n_inputs;
	char *grab_toggle; /* QEMU's grab-toggle value; "ctrl-ctrl" by default */

	struct vm_usb_id *usb;
	size_t n_usb;
};

/*
 * Parse one [vm] entry if it is one of the keys above: 1 when handled, 0 when not one of
 * them, -EINVAL with "FILE:LINE:COL: ..." in *ret_error on a bad value.
 */
int vm_gaming_parse_key(const struct config *c, const struct config_entry *e, struct vm_options *o,
			char **ret_error);

/* Checks across keys once the section is read; sizes "looking-glass = auto". */
int vm_gaming_check(const struct config *c, const struct config_section *s, struct vm_options *o,
		    char **ret_error);

/*
 * Two VMs of one configuration must not share the Looking Glass memory (the second would
 * overwrite the first one's frames): called for each VM with the ones parsed before it,
 * -EINVAL with "FILE:LINE:COL: ..." (vm's looking-glass-file, else its looking-glass) in
 * *ret_error when vm would use the memory of one of them. The default counts as
 * /dev/kvmfr0 as well as /dev/shm/looking-glass: which one it is depends on the host.
 * Nor hand one USB id (usb-devices) to QEMU users that differ (user =, its default when
 * unset; root aside): -EINVAL with FILE:LINE:COL at vm's usb-devices entry.
 */
int vm_gaming_check_shared(const struct config *c, const struct vm_config *const *prev,
			   size_t n_prev, const struct vm_config *vm, char **ret_error);

/*
 * The host path of the VM's Looking Glass memory: looking-glass-file when given, else
 * VM_LG_KVMFR_PATH when kvmfr0 exists (the caller looks, through the path layer), else
 * VM_LG_SHM_PATH.
 */
const char *vm_lg_path(const struct vm_gaming *g, bool kvmfr0);

/* path is a kvmfr device ("/dev/kvmfrN"); *ret_index (may be NULL) receives N. */
bool vm_lg_path_kvmfr(const char *path, unsigned *ret_index);

/* Free what the parser allocated in o (o->gaming may be NULL). */
void vm_gaming_free(struct vm_options *o);

/* The gaming keys of o, or NULL when none is set. */
const struct vm_gaming *vm_gaming(const struct vm_options *o);

/*
 * The Looking Glass buffer for a frame of width x height: width x height x 4 bytes x 2
 * frames, plus 10 MiB, rounded up to a power of two (Looking Glass' documented formula).
 * 0 when the result does not fit in 64 bits.
 */
uint64_t vm_lg_size_for(unsigned width, unsigned height);

/*
 * The arguments for these keys (strv, possibly empty): the ivshmem device and its memory
 * object, the input-linux objects and the usb-host devices, with a qemu-xhci controller
 * when the VM has none. Pure, like qemu_cmd_build(): in->lg_kvmfr says whether the kvmfr
 * device exists (the caller looks, through the path layer).
 */
int vm_gaming_args(const struct qemu_cmd_input *in, char ***ret);

/*
 * The qemu-xhci properties the VM's controller needs for usb-redirect channels and
 * usb-devices together ("" when QEMU's four ports of each speed are enough), for the
 * controller qemucmd.c adds for SPICE.
 */
const char *vm_gaming_xhci_ports(const struct vm_options *o, char buf[static 32]);

struct xml_writer;

/*
 * The libvirt domain's elements for these keys (vm export --libvirt, vm-gamedev-export.c):
 * <shmem> ivshmem-plain of the size, <input type='evdev'> (the keyboards with grab='all',
 * repeat and grabToggle), <hostdev type='usb'> by vendor and product, startupPolicy
 * optional. kvmfr has no libvirt element: the export uses /dev/shm.
 */
void vm_gaming_export_libvirt(struct xml_writer *w, const struct vm_options *o);
