/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hand-off of the host's GPU to a VM and back (vm/handover.h, issue 27). The record,
 * VM_RUN_DIR/NAME.handover, is written whole before the first change, one line per thing
 * that is changed and how it was:
 *
 *   dm UNIT               the display manager was active (stopped; started on give-back)
 *   vtcon vtcon1          a frame buffer console was bound (unbound; bound again)
 *   fb efi-framebuffer.0 efifb   the firmware frame buffer's device and driver
 *   pci 0000:65:00.0 nouveau     a device and the driver it was on ("-" for none)
 *
 * Each give-back step is harmless when its change was never made (a runner killed half
 * way): a device still on its driver stays, a bound console stays bound.
 */
#include <stdio.h>
#include <time.h>

#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/parse-util.h"
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "basic/time-util.h"
#include "claimproto/claim-ops.h"
#include "core/proc-nodes.h"
#include "core/systemctl.h"
#include "core/vm-paths.h"
#include "features/handover.h"
#include "now/now.h"
#include "planner/planner.h"
#include "vm/handover.h"

/* The firmware frame buffers' platform devices (efifb, simplefb/simpledrm, vesafb). */
static const char *const fb_devices[] = {"efi-framebuffer.0", "simple-framebuffer.0",
					 "vesa-framebuffer.0"};

bool vm_handover_device(const struct vm_ctx *x, const struct pci_device *d)
{
	return d && plan_handover(x->host, x->config, d);
}

/* The devices that move: each handover device the VM passes and its group's non-bridges. */
static int handover_devices(const struct vm_ctx *x, char ***ret)
{
	_cleanup_strv_free_ char **l = NULL;

	for (size_t i = 0; i < x->n_pt; i++) {
		const struct pci_device *d = host_find_pci(x->host, &x->pt[i].addr);
		const struct iommu_group *g;

		if (!vm_handover_device(x, d))
			continue;
		if (strv_add_unique(&l, d->address) < 0)
			return -ENOMEM;
		g = d->iommu_group >= 0 ? host_find_group(x->host, d->iommu_group) : NULL;
		for (size_t j = 0; g && j < g->n_devices; j++)
			if (!g->devices[j]->is_bridge &&
			    strv_add_unique(&l, g->devices[j]->address) < 0)
				return -ENOMEM;
	}
	*ret = TAKE_PTR(l);
	return 0;
}

/* "<3>gpt-bootcfg: MSG" on the kernel log (the serial console sees it), best effort. */
static void kmsg(struct path_cxt *pc, const char *msg)
{
	_cleanup_free_ char *line = NULL;

	if (asprintf(&line, "<3>gpt-bootcfg: %s", msg) >= 0)
		(void)path_write_string(pc, line, "/dev/kmsg");
}

/*
 * The processes that hold one of nodes open: "pid 812 (Xorg) holds /dev/dri/card1; ...",
 * one per process. *ret_hidden: processes whose descriptors could not be read
 * (proc_open_nodes()), among which a holder would go unseen.
 */
static int drm_holders(struct path_cxt *pc, char *const *nodes, struct strbuf *sb,
		       unsigned *ret_hidden)
{
	_cleanup_strv_free_ char **open_nodes = NULL;
	const char *last_pid = NULL;
	int n = 0;

	*ret_hidden = 0;
	if (proc_open_nodes(pc, &open_nodes, ret_hidden) < 0)
		return 0;
	STRV_FOREACH (e, open_nodes) {
		/* NODE\tPID\tCOMM, COMM escaped already */
		char *pid = strchr(*e, '\t'), *comm;

		if (!pid || !(comm = strchr(pid + 1, '\t')))
			continue;
		*pid++ = '\0';
		*comm++ = '\0';
		if (!strv_contains(nodes, *e) || (last_pid && streq(last_pid, pid)))
			continue;
		last_pid = pid;
		strbuf_printf(sb, "%spid %s (%s) holds %s", n++ ? "; " : "", pid, comm, *e);
	}
	return n;
}

static int drm_nodes(struct path_cxt *pc, char *const *devs, char ***ret)
{
	_cleanup_strv_free_ char **nodes = NULL;

	STRV_FOREACH (d, devs) {
		_cleanup_strv_free_ char **l = NULL;

		if (path_list_dir(pc, &l, "/sys/bus/pci/devices/%s/drm", *d) < 0)
			continue;
		STRV_FOREACH (e, l)
			if ((startswith(*e, "card") || startswith(*e, "renderD")) &&
			    strv_addf(&nodes, "/dev/dri/%s", *e) < 0)
				return -ENOMEM;
	}
	*ret = TAKE_PTR(nodes);
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0)
		;
}

/* What will change, with how it is now: the record's text. */
static int record_build(struct vm_ctx *x, char *const *devs, const char *dm, struct strbuf *sb)
{
	struct path_cxt *pc = x->cli->pc;
	_cleanup_strv_free_ char **vts = NULL;
	int r;

	r = systemctl_run(pc, NULL, "is-active", "--quiet", dm, NULL);
	if (r == 0)
		strbuf_printf(sb, "dm %s\n", dm);
	else if (r == -EOPNOTSUPP)
		log_warning("VM '%s': cannot ask systemctl about '%s' under --root; leaving it.",
			    x->vm->name, dm);
	if (path_list_dir(pc, &vts, "/sys/class/vtconsole") >= 0)
		STRV_FOREACH (v, vts) {
			_cleanup_free_ char *name = NULL, *bind = NULL;

			if (path_read_string(pc, &name, "/sys/class/vtconsole/%s/name", *v) < 0 ||
			    path_read_string(pc, &bind, "/sys/class/vtconsole/%s/bind", *v) < 0)
				continue;
			if (strstr(name, "frame buffer") && streq(bind, "1"))
				strbuf_printf(sb, "vtcon %s\n", *v);
		}
	for (size_t i = 0; i < ARRAY_SIZE(fb_devices); i++) {
		_cleanup_free_ char *drv = NULL;

		if (path_readlink_basename(pc, &drv, "/sys/bus/platform/devices/%s/driver",
					   fb_devices[i]) >= 0)
			strbuf_printf(sb, "fb %s %s\n", fb_devices[i], drv);
	}
	STRV_FOREACH (d, devs) {
		_cleanup_free_ char *drv = NULL;

		(void)path_readlink_basename(pc, &drv, "/sys/bus/pci/devices/%s/driver", *d);
		strbuf_printf(sb, "pci %s %s\n", *d, drv ? drv : "-");
	}
	return strbuf_str(sb) ? 0 : -ENOMEM;
}

/* The changes of the record, in order; the first failure logged and returned. */
static int take_steps(struct vm_ctx *x, char *const *lines, char *const *devs, unsigned timeout)
{
	struct path_cxt *pc = x->cli->pc;
	_cleanup_strv_free_ char **nodes = NULL;
	long long deadline;
	int r;

	STRV_FOREACH (l, lines)
		if (startswith(*l, "dm ")) {
			log_info("VM '%s': stopping the display manager %s.", x->vm->name, *l + 3);
			r = systemctl_run(pc, NULL, "stop", *l + 3, NULL, NULL);
			if (r < 0)
				return log_error_errno(r, "Failed to stop '%s': %m", *l + 3);
		}
	if (drm_nodes(pc, devs, &nodes) < 0)
		return log_oom();
	deadline = now_ms() + (long long)timeout * 1000;
	for (;;) {
		_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
		unsigned hidden = 0;

		if (!nodes)
			break;
		if (drm_holders(pc, nodes, &sb, &hidden) == 0) {
			if (hidden > 0)
				log_warning(
				    "VM '%s': the open files of %u processes could not be "
				    "read (CAP_SYS_PTRACE?): a holder of the GPU among them "
				    "is not seen.",
				    x->vm->name, hidden);
			break;
		}
		if (now_ms() >= deadline)
			return log_error_errno(-EBUSY,
					       "VM '%s': the GPU is still in use after %u s: %s; "
					       "giving the host its display back",
					       x->vm->name, timeout, strbuf_str(&sb));
		sleep_ms(100);
	}
	STRV_FOREACH (l, lines) {
		_cleanup_strv_free_ char **w = NULL;

		if (split_words(*l, " ", &w) < 0)
			return log_oom();
		if (streq(w[0], "vtcon")) {
			r = path_write_string(pc, "0", "/sys/class/vtconsole/%s/bind", w[1]);
			if (r < 0)
				return log_error_errno(r, "Failed to unbind console %s: %m", w[1]);
		} else if (streq(w[0], "fb")) {
			r = path_write_string(pc, w[1], "/sys/bus/platform/drivers/%s/unbind",
					      w[2]);
			if (r < 0)
				return log_error_errno(r, "Failed to release %s from %s: %m", w[1],
						       w[2]);
		} else if (streq(w[0], "pci")) {
			struct claim_bind_result res;

			r = claim_bind_vfio(pc, w[1], CLAIM_BIND_ROLLBACK, &res);
			if (r < 0)
				return log_error_errno(r, "Failed to bind %s to vfio-pci: %m",
						       w[1]);
			log_info("VM '%s': %s moved from %s to vfio-pci (%s).", x->vm->name, w[1],
				 res.before[0] ? res.before : "no driver", res.acts);
		}
	}
	return 0;
}

int vm_handover_take(struct vm_ctx *x)
{
	struct path_cxt *pc = x->cli->pc;
	const struct vm_options *o = vm_options(x->vm);
	_cleanup_strv_free_ char **devs = NULL, **lines = NULL;
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	_cleanup_free_ char *rec = NULL, *why = NULL;
	int r;

	r = vm_handover_give_back(pc, x->vm->name);
	if (r < 0)
		return r;
	if (r > 0)
		log_warning("VM '%s': gave back the devices an earlier vm run left handed over "
			    "(it did not end cleanly).",
			    x->vm->name);
	if (handover_devices(x, &devs) < 0)
		return log_oom();
	if (!devs)
		return 0;
	r = now_ensure_vfio(x->cli, x->host, &why);
	if (r < 0)
		return log_error_errno(r, "Cannot hand over %s: %s", devs[0],
				       why ? why : "vfio-pci is not loaded");
	r = record_build(x, devs, vm_handover_dm(o), &sb);
	if (r >= 0)
		r = split_words(strbuf_str(&sb), "\n", &lines);
	if (r < 0 || vm_run_file(x->vm->name, HANDOVER_RECORD_SUFFIX, &rec) < 0)
		return log_oom();
	r = path_mkdir_p(pc, VM_RUN_DIR, 0755);
	if (r >= 0)
		r = path_write_atomic(pc, rec, strbuf_str(&sb), strlen(strbuf_str(&sb)), 0600);
	if (r < 0)
		return log_error_errno(r, "Failed to write '%s': %m", rec);
	x->handover = true;
	log_info("VM '%s': handing %s over from the host (the display goes dark; record %s).",
		 x->vm->name, devs[0], rec);
	r = take_steps(x, lines, devs, vm_handover_timeout(o));
	if (r < 0) {
		(void)vm_handover_give_back(pc, x->vm->name);
		x->handover = false;
	}
	return r;
}

/*
 * Bind the frame buffer console again: the recorded one, or, when the unbound driver's
 * frame buffer took fbcon's console with it and it came back under another number, the
 * one whose name says frame buffer now.
 */
static int bind_fb_console(struct path_cxt *pc, const char *vtcon)
{
	_cleanup_strv_free_ char **vts = NULL;
	_cleanup_free_ char *name = NULL;
	int r;

	if (path_read_string(pc, &name, "/sys/class/vtconsole/%s/name", vtcon) >= 0 &&
	    strstr(name, "frame buffer"))
		return path_write_string(pc, "1", "/sys/class/vtconsole/%s/bind", vtcon);
	r = path_list_dir(pc, &vts, "/sys/class/vtconsole");
	if (r < 0)
		return r;
	STRV_FOREACH (v, vts) {
		_cleanup_free_ char *n = NULL;

		if (path_read_string(pc, &n, "/sys/class/vtconsole/%s/name", *v) >= 0 &&
		    strstr(n, "frame buffer"))
			return path_write_string(pc, "1", "/sys/class/vtconsole/%s/bind", *v);
	}
	return -ENOENT;
}

/* One give-back step of a record line; failures into why. */
static void give_back_line(struct path_cxt *pc, char **w, struct strbuf *why, bool *pci_failed)
{
	int r;

	if (streq(w[0], "pci") && w[1] && w[2]) {
		struct claim_release_result res;
		char msg[256] = "";

		r = claim_release_vfio(pc, w[1], streq(w[2], "-") ? "" : w[2], &res, msg,
				       sizeof(msg));
		if (r < 0) {
			strbuf_printf(why, "%s not back on %s: %s; ", w[1], w[2], msg);
			*pci_failed = true;
		}
	} else if (streq(w[0], "fb") && w[1] && w[2]) {
		/* Gone when the GPU's own driver took over the frame buffer, as at boot. */
		if (path_exists(pc, "/sys/bus/platform/devices/%s", w[1]) > 0 &&
		    path_exists(pc, "/sys/bus/platform/devices/%s/driver", w[1]) <= 0)
			(void)path_write_string(pc, w[1], "/sys/bus/platform/drivers/%s/bind",
						w[2]);
	} else if (streq(w[0], "vtcon") && w[1]) {
		r = bind_fb_console(pc, w[1]);
		if (r < 0)
			strbuf_printf(why, "console %s not bound again: %s; ", w[1], strerror(-r));
	} else if (streq(w[0], "dm") && w[1]) {
		r = systemctl_run(pc, NULL, "start", w[1], NULL, NULL);
		if (r < 0)
			strbuf_printf(why, "display manager %s not started: %s; ", w[1],
				      strerror(-r));
	}
}

int vm_handover_give_back(struct path_cxt *pc, const char *name)
{
	_cleanup_free_ char *rec = NULL, *failed = NULL, *text = NULL;
	_cleanup_strv_free_ char **lines = NULL;
	_cleanup_strbuf_ struct strbuf why = STRBUF_INIT;
	static const char *const order[] = {"pci", "fb", "vtcon", "dm"};
	bool pci_failed = false;
	int r;

	if (vm_run_file(name, HANDOVER_RECORD_SUFFIX, &rec) < 0 ||
	    vm_run_file(name, HANDOVER_FAILED_SUFFIX, &failed) < 0)
		return log_oom();
	r = path_read_text(pc, &text, "%s", rec);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return log_error_errno(r, "Failed to read '%s': %m", rec);
	if (split_words(text, "\n", &lines) < 0)
		return log_oom();
	/* The devices first (fbcon binds to their driver's frame buffer), the desktop last. */
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		STRV_FOREACH (l, lines) {
			_cleanup_strv_free_ char **w = NULL;

			if (split_words(*l, " ", &w) < 0)
				return log_oom();
			if (w && w[0] && streq(w[0], order[i]))
				give_back_line(pc, w, &why, &pci_failed);
		}
	if (!strbuf_str(&why))
		return log_oom();
	if (!*strbuf_str(&why)) {
		(void)path_unlink_durable(pc, failed);
		r = path_unlink_durable(pc, rec);
		if (r < 0 && r != -ENOENT)
			log_warning_errno(r, "Failed to remove '%s': %m, ignoring", rec);
		log_info("VM '%s': the host has its display devices back.", name);
		return 1;
	}
	{
		_cleanup_free_ char *msg = NULL;

		if (asprintf(&msg, "VM '%s': the host did not get everything back: %s\n", name,
			     strbuf_str(&why)) < 0)
			return log_oom();
		kmsg(pc, msg);
		(void)path_write_atomic(pc, failed, msg, strlen(msg), 0644);
		log_error("%s(%s; the next vm stop or vm run retries)", msg, rec);
	}
	/* Without a device to retry, the rest was tried once: the record goes. */
	if (!pci_failed)
		(void)path_unlink_durable(pc, rec);
	return -EIO;
}
