/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "basic/pci.h"
#include "basic/time-util.h"
#include "claimproto/claim-ops.h"

int claim_check_identity(struct path_cxt *pc, const struct claim_entry *e, char *why,
			 size_t why_size)
{
	static const struct {
		const char *attr;
		int width;
	} attrs[] = {
	    {"vendor", 4},	     {"device", 4}, {"subsystem_vendor", 4},
	    {"subsystem_device", 4}, {"class", 6},
	};
	const uint64_t want[] = {e->vendor, e->device, e->subvendor, e->subdevice, e->class};
	char a[PCI_ADDR_STRLEN];
	int r;

	pci_addr_format(&e->addr, a);
	r = path_exists(pc, "/sys/bus/pci/devices/%s", a);
	if (r <= 0) {
		snprintf(why, why_size, "device not present");
		return -ENODEV;
	}
	for (size_t i = 0; i < ARRAY_SIZE(attrs); i++) {
		uint64_t v;

		r = path_read_hex(pc, &v, "/sys/bus/pci/devices/%s/%s", a, attrs[i].attr);
		if (r < 0) {
			snprintf(why, why_size, "cannot read %s: %s", attrs[i].attr, strerror(-r));
			return r;
		}
		if (v != want[i]) {
			snprintf(why, why_size,
				 "identity mismatch: %s is %0*" PRIx64 ", list says %0*" PRIx64,
				 attrs[i].attr, attrs[i].width, v, attrs[i].width, want[i]);
			return -ESTALE;
		}
	}
	return 0;
}

/* The driver a device is bound to into buf ("" for none). */
static void read_driver(struct path_cxt *pc, const char *a, char *buf, size_t size)
{
	_cleanup_free_ char *drv = NULL;

	buf[0] = '\0';
	if (path_readlink_basename(pc, &drv, "/sys/bus/pci/devices/%s/driver", a) >= 0)
		snprintf(buf, size, "%s", drv);
}

int claim_check_group(struct path_cxt *pc, const char *a, claim_member_fn will_claim,
		      void *userdata, const char *not_claimed, char *why, size_t why_size)
{
	_cleanup_free_ char *group = NULL;
	_cleanup_strv_free_ char **members = NULL;
	int r;

	r = path_readlink_basename(pc, &group, "/sys/bus/pci/devices/%s/iommu_group", a);
	if (r < 0) {
		snprintf(why, why_size,
			 "no IOMMU group (IOMMU off? intel_iommu=on / amd_iommu=on)");
		return r == -ENOENT ? r : -ENOENT;
	}
	r = path_list_dir(pc, &members, "/sys/kernel/iommu_groups/%s/devices", group);
	if (r < 0) {
		snprintf(why, why_size, "cannot list IOMMU group %s: %s", group, strerror(-r));
		return r;
	}
	STRV_FOREACH (m, members) {
		char drv[64];
		uint64_t class = 0;

		if (streq(*m, a))
			continue;
		if (will_claim && will_claim(userdata, *m))
			continue;
		read_driver(pc, *m, drv, sizeof(drv));
		if (streq(drv, CLAIM_VFIO_DRIVER))
			continue;
		if (path_read_hex(pc, &class, "/sys/bus/pci/devices/%s/class", *m) >= 0 &&
		    pci_class_is_bridge((uint32_t) class))
			continue;
		snprintf(why, why_size, "IOMMU group %s also holds %s (driver %s), %s", group, *m,
			 drv[0] ? drv : "none", not_claimed);
		return -EPERM;
	}
	return 0;
}

static size_t acts_add(struct claim_bind_result *res, size_t al, const char *fmt, ...)
    _printf_(3, 4);
static size_t acts_add(struct claim_bind_result *res, size_t al, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (al >= sizeof(res->acts))
		return al;
	va_start(ap, fmt);
	n = vsnprintf(res->acts + al, sizeof(res->acts) - al, fmt, ap);
	va_end(ap);
	return n < 0 ? al : al + (size_t)n;
}

/*
 * Put a device back on the driver it was on: the override cleared first (or vfio-pci
 * would take it again), off whatever holds it now, then drivers_probe (the kernel's own
 * match, as at boot), then the driver's bind file if the probe found nothing.
 */
static int restore_driver(struct path_cxt *pc, const char *a, const char *want, char *now,
			  size_t now_size)
{
	int r;

	r = path_write_string(pc, "\n", "/sys/bus/pci/devices/%s/driver_override", a);
	if (r < 0)
		return r;
	read_driver(pc, a, now, now_size);
	if (want && streq(now, want))
		return 0;
	if (now[0]) {
		r = path_write_string(pc, a, "/sys/bus/pci/devices/%s/driver/unbind", a);
		if (r < 0)
			return r;
	}
	if (want && !want[0]) {
		read_driver(pc, a, now, now_size);
		return now[0] ? -EBUSY : 0;
	}
	r = path_write_string(pc, a, "/sys/bus/pci/drivers_probe");
	if (r < 0)
		return r;
	read_driver(pc, a, now, now_size);
	if (!now[0] && want && path_exists(pc, "/sys/bus/pci/drivers/%s", want) > 0) {
		r = path_write_string(pc, a, "/sys/bus/pci/drivers/%s/bind", want);
		if (r < 0)
			return r;
		read_driver(pc, a, now, now_size);
	}
	if (want ? !streq(now, want) : (!now[0] || streq(now, CLAIM_VFIO_DRIVER)))
		return -EIO;
	return 0;
}

int claim_set_reset_method(struct path_cxt *pc, const char *a, const char *methods)
{
	return path_write_string(pc, methods, "/sys/bus/pci/devices/%s/reset_method", a);
}

static int bind_failed(struct path_cxt *pc, const char *a, unsigned flags,
		       struct claim_bind_result *res, enum claim_step step, int error)
{
	res->failed = step;
	res->error = error;
	if (flags & CLAIM_BIND_ROLLBACK) {
		res->rolled_back = true;
		res->rollback_error = restore_driver(pc, a, res->before, res->rollback_driver,
						     sizeof(res->rollback_driver));
	}
	return error < 0 ? error : -EIO;
}

int claim_bind_vfio(struct path_cxt *pc, const char *a, unsigned flags,
		    struct claim_bind_result *res)
{
	size_t al = 0;
	double t;
	int r;

	*res = (struct claim_bind_result){};
	read_driver(pc, a, res->before, sizeof(res->before));

	t = now_ms_exact();
	r = path_write_string(pc, CLAIM_VFIO_DRIVER, "/sys/bus/pci/devices/%s/driver_override", a);
	if (r < 0)
		return bind_failed(pc, a, flags, res, CLAIM_STEP_OVERRIDE, r);
	al = acts_add(res, al, "override %.2f ms", now_ms_exact() - t);

	if (res->before[0]) {
		t = now_ms_exact();
		r = path_write_string(pc, a, "/sys/bus/pci/devices/%s/driver/unbind", a);
		if (r < 0)
			return bind_failed(pc, a, flags, res, CLAIM_STEP_UNBIND, r);
		al = acts_add(res, al, ", unbind %s %.2f ms", res->before, now_ms_exact() - t);
	}

	t = now_ms_exact();
	r = path_write_string(pc, a, "/sys/bus/pci/drivers_probe");
	if (r < 0)
		return bind_failed(pc, a, flags, res, CLAIM_STEP_PROBE, r);
	(void)acts_add(res, al, ", probe %.2f ms", now_ms_exact() - t);

	/*
	 * PCI probing is synchronous in the write to drivers_probe, so one look is enough; a
	 * fixture cannot react to writes at all, so there is nothing to wait for.
	 */
	read_driver(pc, a, res->after, sizeof(res->after));
	if (!streq(res->after, CLAIM_VFIO_DRIVER))
		return bind_failed(pc, a, flags, res, CLAIM_STEP_VERIFY, 0);
	return 0;
}

int claim_release_vfio(struct path_cxt *pc, const char *a, const char *host_driver,
		       struct claim_release_result *res, char *why, size_t why_size)
{
	int r;

	*res = (struct claim_release_result){};
	r = restore_driver(pc, a, host_driver, res->after, sizeof(res->after));
	if (r == -EIO)
		snprintf(why, why_size, "driver is %s afterwards, expected %s",
			 res->after[0] ? res->after : "none",
			 !host_driver	  ? "a host driver"
			 : host_driver[0] ? host_driver
					  : "none");
	else if (r < 0)
		snprintf(why, why_size, "%s", strerror(-r));
	return r;
}
