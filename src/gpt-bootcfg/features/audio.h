/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The guest's sound card (issue 15, item 4): "audio = pipewire|pulseaudio|spice|none" and
 * "audio-user = NAME" of [vm NAME]. Every mode but none gives the guest an ich9-intel-hda
 * controller with an hda-duplex codec (line out and line in / microphone); the audiodev
 * behind it is SPICE's (qemucmd.c, with the SPICE keys) or the sound server of the desktop
 * user audio-user, reached on its PulseAudio protocol socket
 * /run/user/UID/pulse/native: Debian 12's QEMU 7.2 has no PipeWire audiodev (it came in
 * QEMU 8.1), so PipeWire plays through pipewire-pulse, whose socket is the same.
 *
 * The runner checks before QEMU starts that QEMU has the "pa" driver (Debian: package
 * qemu-system-gui), that the socket exists, that QEMU's user can reach it and connect to it,
 * and that the server accepts that user (PulseAudio takes another user's client only with
 * the audio user's cookie); QEMU then gets the audio user's XDG_RUNTIME_DIR, and the cookie
 * on an inherited descriptor (PULSE_COOKIE), whichever user it runs as.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "basic/path.h"
#include "core/config.h"
#include "core/feature.h"
#include "core/qemu-input.h"
#include "core/vm-paths.h"

struct vm_user;

/* The audiodev id the codec plays on. */
#define VM_AUDIO_ID "audio0"

/*
 * Parse one [vm] entry if it is "audio" or "audio-user": 1 when handled, 0 when not,
 * -EINVAL with "FILE:LINE:COL: ..." in *ret_error on a bad value.
 */
int vm_audio_parse_key(const struct config *c, const struct config_entry *e, struct vm_options *o,
		       char **ret_error);

/* The checks across keys once the section is read (audio-user without host audio, ...). */
int vm_audio_check_config(const struct config *c, const struct vm_options *o, char **ret_error);

/* audio = pipewire or pulseaudio: the sound server of a user on this host. */
bool vm_audio_is_host(const struct vm_options *o);

/* The user whose sound server plays the guest: audio-user, else "user =". NULL: none. */
const char *vm_audio_user(const struct vm_options *o);

/* "pipewire", "pulseaudio", "spice", "none". */
const char *vm_audio_to_string(enum vm_audio a);

/*
 * The host audio options of the QEMU command (vm_audio_is_host()): the audiodev, the HDA
 * controller and its codec, as a strv appended to the argv; an empty strv otherwise.
 * Pure: in->audio_runtime_dir must be set for host audio (-EINVAL if not).
 */
int vm_audio_qemu_args(const struct qemu_cmd_input *in, char ***ret);

/* The QEMU audio driver the command uses: "pa", or in->test_audiodev. NULL: none. */
const char *vm_audio_driver(const struct qemu_cmd_input *in);

/*
 * The audio user's runtime directory "/run/user/UID" (a host path), from ROOT/etc/passwd.
 * -ENOENT with *ret_why when the user does not exist.
 */
int vm_audio_runtime_dir(struct path_cxt *pc, const struct vm_options *o, char **ret,
			 char **ret_why);

/* The size of PulseAudio's cookie, the secret a client of another user shows the server. */
#define VM_AUDIO_COOKIE_SIZE 256

struct vm_audio_cookie {
	uint8_t data[VM_AUDIO_COOKIE_SIZE];
	char *path; /* the host path it was read from; NULL: no cookie */
};

/*
 * The audio user's PulseAudio cookie below the root, where PulseAudio keeps it:
 * HOME/.config/pulse/cookie, else HOME/.pulse-cookie (HOME from ROOT/etc/passwd). 1 with
 * ret filled, 0 when there is none (pipewire-pulse makes none; a file of another size is
 * not a cookie), -errno. Release ret with vm_audio_cookie_done().
 */
int vm_audio_cookie_load(struct path_cxt *pc, const struct vm_options *o,
			 struct vm_audio_cookie *ret);

/* Wipe the cookie and free its path; c may be zeroed or loaded. */
void vm_audio_cookie_done(struct vm_audio_cookie *c);

/*
 * The cookie (zeros when c has none) in a sealed memfd (O_CLOEXEC) for QEMU: with the
 * descriptor inherited, PULSE_COOKIE=/proc/self/fd/N makes libpulse read it whichever user
 * QEMU runs as, while the user's own file stays closed to others. Returns the fd or -errno.
 */
int vm_audio_cookie_memfd(const struct vm_audio_cookie *c);

/*
 * The runner's check, before QEMU starts: RUNTIME_DIR/pulse/native exists below the root,
 * is a socket, QEMU's user u can reach it and connect to it, and the server accepts that
 * user as QEMU's libpulse will present itself (its credentials and cookie, which may be
 * NULL or empty), tested in a child that has become u and speaks the protocol's first
 * exchange (AUTH). -ENOENT, -ENOTSOCK, -EACCES, -ECONNREFUSED, -ETIMEDOUT, -EPROTO, ... with
 * *ret_why saying what is wrong and what to do.
 */
int vm_audio_check_socket(struct path_cxt *pc, const struct vm_options *o, const char *runtime_dir,
			  const struct vm_user *u, const struct vm_audio_cookie *cookie,
			  char **ret_why);

/*
 * Whether QEMU (binary qemu) has the audio driver ("-audiodev help" lists it): 1 yes, 0
 * no (then *ret_why says which package brings it), -errno when QEMU could not be asked.
 */
int vm_audio_check_driver(const char *qemu, const char *driver, char **ret_why);

/*
 * Plan's findings for audio = pipewire|pulseaudio, appended to *warnings and *notes (strv):
 * whose sound server each VM plays on, or why vm run would refuse (an unknown audio user).
 */
int vm_audio_plan_findings(struct path_cxt *pc, const struct config *c, char ***warnings,
			   char ***notes);

/* The host audio feature (core/feature.h): audio, audio-user. */
extern const struct feature_ops feature_audio;
