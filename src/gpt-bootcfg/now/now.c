/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * apply --now / revert --now: the boot claim's steps (claim-ops.h) on the running system,
 * behind the runtime rules of now-rules.c, with a record of what was moved in this boot.
 */
#include <stdio.h>

#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/strv-util.h"
#include "claimproto/claim-ops.h"
#include "claimproto/modload.h"
#include "core/proc-nodes.h"
#include "core/verbs.h"
#include "now/now.h"

static const char *const verdict_names[] = {
    [NOW_CLAIMED] = "claimed", [NOW_ALREADY] = "already", [NOW_REBOOT] = "reboot",
    [NOW_REFUSED] = "refused", [NOW_FAILED] = "failed",
};

static const char *const verdict_text[] = {
    [NOW_CLAIMED] = "claimed now",   [NOW_ALREADY] = "already on vfio-pci",
    [NOW_REBOOT] = "needs a reboot", [NOW_REFUSED] = "refused now",
    [NOW_FAILED] = "failed",
};

/* The boot this record belongs to: the kernel's boot_id, "-" where there is none. */
static int boot_id(struct path_cxt *pc, char **ret)
{
	int r = path_read_string(pc, ret, NOW_BOOT_ID_PATH);

	if (r == -ENOENT) {
		*ret = strdup("-");
		return *ret ? 0 : -ENOMEM;
	}
	return r;
}

int now_record_load(struct path_cxt *pc, char ***ret)
{
	_cleanup_free_ char *buf = NULL, *id = NULL;
	_cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
	bool this_boot = false;
	int r;

	if (!l)
		return -ENOMEM;
	r = path_read_full(pc, &buf, NULL, NOW_RECORD_PATH);
	if (r == -ENOENT) {
		*ret = TAKE_PTR(l);
		return 0;
	}
	if (r < 0)
		return r;
	r = boot_id(pc, &id);
	if (r < 0)
		return r;
	for (char *line = buf, *next; line && *line; line = next) {
		char addr[PCI_ADDR_STRLEN], drv[64] = "", *e = NULL;
		struct pci_addr a;
		const char *v;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		if ((v = startswith(line, "boot "))) {
			this_boot = streq(v, id);
			continue;
		}
		/* "ADDRESS DRIVER", DRIVER "-" for none; anything else is not ours to trust. */
		if (sscanf(line, "%15s %63s", addr, drv) != 2 || pci_addr_parse(addr, &a) < 0)
			return -EBADMSG;
		if (!this_boot)
			continue;
		if (asprintf(&e, "%s\t%s", addr, streq(drv, "-") ? "" : drv) < 0)
			return -ENOMEM;
		if (strv_consume(&l, e) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(l);
	return 0;
}

bool now_record_find(char *const *record, const char *address, const char **ret_driver)
{
	size_t n = strlen(address);

	STRV_FOREACH (e, record)
		if (strncmp(*e, address, n) == 0 && (*e)[n] == '\t') {
			if (ret_driver)
				*ret_driver = *e + n + 1;
			return true;
		}
	return false;
}

/* Write the record atomically; an empty one is removed. */
static int record_save(struct path_cxt *pc, char *const *record)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	_cleanup_free_ char *id = NULL;
	int r;

	if (!record || !record[0]) {
		r = path_unlink_durable(pc, NOW_RECORD_PATH);
		return r == -ENOENT ? 0 : r;
	}
	r = boot_id(pc, &id);
	if (r < 0)
		return r;
	strbuf_printf(&sb,
		      "# gpt-bootcfg: devices apply --now moved to vfio-pci, and the driver "
		      "each was on.\n# Valid for this boot only; revert --now gives them "
		      "back.\nboot %s\n",
		      id);
	STRV_FOREACH (e, record) {
		size_t n = strcspn(*e, "\t");
		const char *drv = (*e)[n] ? *e + n + 1 : "";

		strbuf_printf(&sb, "%.*s %s\n", (int)n, *e, drv[0] ? drv : "-");
	}
	if (!strbuf_str(&sb))
		return -ENOMEM;
	return path_write_atomic(pc, NOW_RECORD_PATH, sb.buf, sb.len, 0644);
}

/* Drop the record's last entry (the one just added for a bind that was rolled back). */
static void record_pop(char **record)
{
	size_t n = strv_length(record);

	if (n > 0) {
		free(record[n - 1]);
		record[n - 1] = NULL;
	}
}

/* Drop address's entry from the record (a device given back in this run). */
static void record_remove(char **record, const char *address)
{
	size_t n = strlen(address), j = 0;

	for (size_t i = 0; record && record[i]; i++) {
		if (strncmp(record[i], address, n) == 0 && record[i][n] == '\t') {
			free(record[i]);
			continue;
		}
		record[j++] = record[i];
	}
	if (record)
		record[j] = NULL;
}

/*
 * A bind in group failed (issue 30, item 6): a group goes whole or not at all, so its
 * members bound in this run go back to their drivers and those not tried yet are not.
 */
static int group_rollback(struct cli *cli, const struct gen *g, struct now_result *res,
			  const bool *bound, size_t failed, char **record)
{
	int group = g->plan->claims[failed]->iommu_group;
	const char *addr = res->devices[failed].address;

	if (group < 0)
		return 0;
	for (size_t j = 0; j < res->n; j++) {
		struct now_device *md = &res->devices[j];
		struct claim_release_result rr = {};
		char why[256];
		int r;

		if (j == failed || g->plan->claims[j]->iommu_group != group)
			continue;
		if (md->verdict == NOW_CLAIMED && !bound[j]) {
			md->verdict = NOW_REFUSED;
			free(md->reason);
			if (asprintf(&md->reason, "not tried: %s of its IOMMU group did not bind",
				     addr) < 0)
				return -ENOMEM;
			continue;
		}
		if (!bound[j] || md->verdict != NOW_CLAIMED)
			continue;
		r = claim_release_vfio(cli->pc, md->address, md->before, &rr, why, sizeof(why));
		md->verdict = NOW_FAILED;
		md->rollback_failed = r < 0;
		free(md->reason);
		if (r < 0)
			r = asprintf(&md->reason,
				     "%s of its IOMMU group did not bind; rollback FAILED, the "
				     "device is on %s (%s)",
				     addr, rr.after[0] ? rr.after : "no driver", why);
		else
			r = asprintf(&md->reason,
				     "%s of its IOMMU group did not bind; rolled back to %s", addr,
				     md->before[0] ? md->before : "no driver");
		if (r < 0)
			return -ENOMEM;
		log_warning("%s: %s", md->address, md->reason);
		if (!md->rollback_failed)
			record_remove(record, md->address);
	}
	return 0;
}

int now_ensure_vfio(struct cli *cli, const struct host *h, char **ret_why)
{
	_cleanup_strv_free_ char **order = NULL, **type1 = NULL;
	_cleanup_strbuf_ struct strbuf names = STRBUF_INIT;
	_cleanup_free_ char *failed = NULL;
	int r;

	bool have = path_exists(cli->pc, "/sys/bus/pci/drivers/" CLAIM_VFIO_DRIVER) > 0;

	/*
	 * vfio-pci may be there without the type1 backend QEMU's container needs (loaded by
	 * a softdep, by hand): load that too, as the boot claim does.
	 */
	if (have && (!path_cxt_is_host(cli->pc) ||
		     path_exists(cli->pc, "/sys/module/vfio_iommu_type1") > 0))
		return 0;
	if (!have && !path_cxt_is_host(cli->pc)) {
		*ret_why = strdup("vfio-pci is not registered (no module is loaded under --root)");
		return -ENOENT;
	}
	r = have ? 0 : modload_resolve(cli->pc, h->kernel_release, CLAIM_VFIO_DRIVER, &order);
	if (r >= 0 && !have)
		r = modload_load(cli->pc, h->kernel_release, order, true, &names, &failed);
	if (r < 0) {
		if (asprintf(ret_why, "vfio-pci is not registered and loading %s failed: %s",
			     failed ? failed : "it", strerror(-r)) < 0)
			*ret_why = NULL;
		return r;
	}
	/* QEMU's VFIO container needs the type1 backend, as at boot. */
	if (modload_resolve(cli->pc, h->kernel_release, "vfio_iommu_type1", &type1) >= 0)
		(void)modload_load(cli->pc, h->kernel_release, type1, true, &names, NULL);
	if (strbuf_str(&names))
		log_info("Loaded %s.", names.buf);
	if (path_exists(cli->pc, "/sys/bus/pci/drivers/" CLAIM_VFIO_DRIVER) <= 0) {
		*ret_why = strdup("vfio-pci is still not registered after loading it");
		return -ENOENT;
	}
	return 0;
}

struct claim_ctx {
	struct now_result *res;
	bool *eligible;
};

/* A listed group mate counts when it passed its own checks (it is claimed in this run). */
static bool member_eligible(void *userdata, const char *m)
{
	const struct claim_ctx *c = userdata;

	for (size_t i = 0; i < c->res->n; i++)
		if (streq(c->res->devices[i].address, m))
			return c->eligible[i];
	return false;
}

static const char *device_name(const struct gen *g, const char *address)
{
	for (size_t i = 0; i < g->plan->n_devices; i++)
		if (g->plan->devices[i].dev && streq(g->plan->devices[i].dev->address, address))
			return g->plan->devices[i].cfg->name;
	return "?";
}

int now_claim(struct cli *cli, const struct gen *g, struct now_result *ret)
{
	_cleanup_strv_free_ char **open_nodes = NULL, **record = NULL;
	_cleanup_free_ bool *eligible = NULL, *bound = NULL;
	_cleanup_free_ char *vfio_why = NULL;
	struct now_result res = {};
	struct claim_ctx ctx;
	int r, vfio = 1;

	res.devices = calloc(g->plan->n_claims + 1, sizeof(*res.devices));
	eligible = calloc(g->plan->n_claims + 1, sizeof(bool));
	bound = calloc(g->plan->n_claims + 1, sizeof(bool));
	if (!res.devices || !eligible || !bound) {
		free(res.devices);
		return log_oom();
	}
	res.n = g->plan->n_claims;
	ctx = (struct claim_ctx){.res = &res, .eligible = eligible};

	r = now_record_load(cli->pc, &record);
	if (r < 0) {
		log_error_errno(r, "Failed to read '%s': %m", NOW_RECORD_PATH);
		goto fail;
	}
	r = proc_open_nodes(cli->pc, &open_nodes, NULL);
	if (r < 0) {
		log_error_errno(r, "Failed to list the open files below /proc: %m");
		goto fail;
	}

	/* First every device's own verdict: a group goes only with all its listed members. */
	for (size_t i = 0; i < res.n; i++) {
		const struct pci_device *d = g->plan->claims[i];
		struct now_device *nd = &res.devices[i];
		struct claim_entry e = plan_claim_entry(d);
		char why[256];

		snprintf(nd->address, sizeof(nd->address), "%s", d->address);
		nd->name = device_name(g, d->address);
		snprintf(nd->before, sizeof(nd->before), "%s", d->driver ? d->driver : "");
		if (pci_class_is_bridge(d->class)) {
			nd->verdict = NOW_REFUSED;
			r = asprintf(&nd->reason,
				     "class %06x is a bridge; bridges are never claimed", d->class);
		} else if (claim_check_identity(cli->pc, &e, why, sizeof(why)) < 0) {
			nd->verdict = NOW_REFUSED;
			r = (nd->reason = strdup(why)) ? 0 : -ENOMEM;
		} else if (streq_ptr(d->driver, CLAIM_VFIO_DRIVER)) {
			nd->verdict = NOW_ALREADY;
			r = 0;
		} else
			r = now_rules_check(g->host, d, open_nodes, &nd->verdict, &nd->reason);
		if (r < 0) {
			log_error_errno(r, "Failed to check %s: %m", d->address);
			goto fail;
		}
		eligible[i] = nd->verdict == NOW_CLAIMED || nd->verdict == NOW_ALREADY;
	}

	for (size_t i = 0; i < res.n; i++) {
		struct now_device *nd = &res.devices[i];
		struct claim_bind_result br;
		char why[256];
		bool added;

		if (nd->verdict != NOW_CLAIMED)
			continue;
		r = claim_check_group(cli->pc, nd->address, member_eligible, &ctx,
				      "which cannot be claimed now", why, sizeof(why));
		if (r < 0) {
			/* A mate that only waits for the reboot takes the device along with it. */
			nd->verdict = NOW_REFUSED;
			for (size_t j = 0; j < res.n; j++)
				if (res.devices[j].verdict == NOW_REBOOT &&
				    g->plan->claims[j]->iommu_group ==
					g->plan->claims[i]->iommu_group)
					nd->verdict = NOW_REBOOT;
			if (!(nd->reason = strdup(why)))
				goto oom;
			continue;
		}
		if (vfio > 0)
			vfio = now_ensure_vfio(cli, g->host, &vfio_why);
		if (vfio < 0) {
			nd->verdict = NOW_REFUSED;
			if (!(nd->reason =
				  strdup(vfio_why ? vfio_why : "vfio-pci is not available")))
				goto oom;
			continue;
		}

		/*
		 * Recorded first (issue 30, item 7), as the governors are: a kill between the
		 * bind and the record must not leave a device on vfio-pci that revert --now
		 * does not know. An entry for a device that is not on vfio-pci is forgotten
		 * by revert --now.
		 */
		added = false;
		if (!now_record_find(record, nd->address, NULL)) {
			_cleanup_free_ char *entry = NULL;

			if (asprintf(&entry, "%s\t%s", nd->address, nd->before) < 0 ||
			    strv_consume(&record, TAKE_PTR(entry)) < 0)
				goto oom;
			added = true;
		}
		r = record_save(cli->pc, record);
		if (r < 0) {
			log_error_errno(r, "Failed to write '%s' before claiming %s: %m",
					NOW_RECORD_PATH, nd->address);
			/* None is tried: revert --now could not give them back. */
			for (size_t j = i; j < res.n; j++)
				if (res.devices[j].verdict == NOW_CLAIMED) {
					res.devices[j].verdict = NOW_REFUSED;
					free(res.devices[j].reason);
					res.devices[j].reason =
					    strdup("not tried: the record of runtime "
						   "claims cannot be written");
				}
			*ret = res;
			return r;
		}

		log_debug("%s: claiming for vfio-pci (from %s).", nd->address,
			  nd->before[0] ? nd->before : "no driver");
		r = claim_bind_vfio(cli->pc, nd->address, CLAIM_BIND_ROLLBACK, &br);
		if (r < 0) {
			nd->verdict = NOW_FAILED;
			nd->rollback_failed = br.rollback_error < 0;
			/* Back on its driver: nothing for revert --now to give back. */
			if (added && !nd->rollback_failed) {
				record_pop(record);
				r = record_save(cli->pc, record);
				if (r < 0)
					log_warning_errno(r, "Failed to update '%s': %m",
							  NOW_RECORD_PATH);
			}
			if (asprintf(&nd->reason, "%s (driver %s after it); %s %s",
				     br.failed == CLAIM_STEP_VERIFY ? "vfio-pci did not bind"
				     : br.failed == CLAIM_STEP_OVERRIDE
					 ? "writing driver_override failed"
				     : br.failed == CLAIM_STEP_UNBIND ? "unbinding failed"
								      : "drivers_probe failed",
				     br.after[0] ? br.after : "none",
				     nd->rollback_failed ? "rollback FAILED, the device is on"
							 : "rolled back to",
				     br.rollback_driver[0] ? br.rollback_driver : "no driver") < 0)
				goto oom;
			log_warning("%s: %s", nd->address, nd->reason);
			if (group_rollback(cli, g, &res, bound, i, record) < 0)
				goto oom;
			r = record_save(cli->pc, record);
			if (r < 0)
				log_warning_errno(r, "Failed to update '%s': %m", NOW_RECORD_PATH);
			continue;
		}
		bound[i] = true;
		/* The durations go to the log (stderr), the table stays the same for each run. */
		log_info("%s: claimed for vfio-pci (%s).", nd->address, br.acts);
		if (asprintf(&nd->reason, "from %s", nd->before[0] ? nd->before : "no driver") < 0)
			goto oom;
	}
	*ret = res;
	return 0;
oom:
	r = log_oom();
fail:
	now_result_done(&res);
	return r;
}

void now_print(const struct now_result *r, struct strbuf *out)
{
	unsigned now = 0, later = 0;

	strbuf_puts(out, "\nOn the running system (--now):\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct now_device *d = &r->devices[i];

		strbuf_printf(out, "  %-19s %s [device %s]%s%s\n", verdict_text[d->verdict],
			      d->address, d->name, d->reason ? ": " : "",
			      d->reason ? d->reason : "");
		if (d->verdict == NOW_CLAIMED || d->verdict == NOW_ALREADY)
			now++;
		else
			later++;
	}
	if (r->n == 0)
		strbuf_puts(out, "  (no device to claim)\n");
	strbuf_printf(out, "%u of %zu device%s on vfio-pci now.", now, r->n, r->n == 1 ? "" : "s");
	if (later)
		strbuf_printf(out,
			      " The next boot claims the other%s (the initramfs runs before "
			      "anything can use them).",
			      later == 1 ? "" : "s");
	strbuf_putc(out, '\n');
}

void now_json(const struct now_result *r, struct json_writer *w, const char *key)
{
	bool all = true;

	json_object_begin(w, key);
	json_array_begin(w, "devices");
	for (size_t i = 0; i < r->n; i++) {
		const struct now_device *d = &r->devices[i];

		all &= d->verdict == NOW_CLAIMED || d->verdict == NOW_ALREADY;
		json_object_begin(w, NULL);
		json_string(w, "address", d->address);
		json_string(w, "device", d->name);
		json_string(w, "result", verdict_names[d->verdict]);
		json_string(w, "reason", d->verdict == NOW_CLAIMED ? NULL : d->reason);
		json_string(w, "driver_before", d->before[0] ? d->before : NULL);
		json_object_end(w);
	}
	json_array_end(w);
	json_bool(w, "all_claimed", all);
	json_object_end(w);
}

int now_exit_status(const struct now_result *r)
{
	int st = EXIT_OK;

	for (size_t i = 0; i < r->n; i++)
		if (r->devices[i].verdict == NOW_FAILED)
			st = r->devices[i].rollback_failed ? EXIT_ERROR
			     : st == EXIT_OK		   ? EXIT_PROBLEMS
							   : st;
	return st;
}

void now_result_done(struct now_result *r)
{
	for (size_t i = 0; r->devices && i < r->n; i++)
		free(r->devices[i].reason);
	free(r->devices);
	*r = (struct now_result){};
}

/* The first process holding the device's VFIO group (/dev/vfio/N): a running VM. */
static int vfio_holder(struct path_cxt *pc, const char *address, char *const *open_nodes,
		       char **ret)
{
	_cleanup_free_ char *group = NULL, *node = NULL;
	size_t n;

	if (path_readlink_basename(pc, &group, "/sys/bus/pci/devices/%s/iommu_group", address) < 0)
		return 0;
	if (asprintf(&node, "/dev/vfio/%s\t", group) < 0)
		return -ENOMEM;
	n = strlen(node);
	STRV_FOREACH (o, open_nodes)
		if (strncmp(*o, node, n) == 0) {
			const char *pid = *o + n;
			size_t plen = strcspn(pid, "\t");
			const char *comm = pid[plen] ? pid + plen + 1 : "?";

			return asprintf(ret, "/dev/vfio/%s is open by %s (pid %.*s)", group, comm,
					(int)plen, pid) < 0
				   ? -ENOMEM
				   : 1;
		}
	return 0;
}

int now_release(struct cli *cli, bool dry_run)
{
	_cleanup_strv_free_ char **record = NULL, **open_nodes = NULL, **kept = NULL;
	int r, st = EXIT_OK;

	r = now_record_load(cli->pc, &record);
	if (r < 0)
		return log_error_errno(r, "Failed to read '%s': %m", NOW_RECORD_PATH), EXIT_ERROR;
	if (!record[0]) {
		printf("No device was claimed by apply --now in this boot.\n");
		/* A record of an earlier boot says nothing any more. */
		if (!dry_run) {
			r = record_save(cli->pc, NULL);
			if (r < 0)
				return log_error_errno(r, "Failed to remove '%s': %m",
						       NOW_RECORD_PATH),
				       EXIT_ERROR;
		}
		return EXIT_OK;
	}
	r = proc_open_nodes(cli->pc, &open_nodes, NULL);
	if (r < 0)
		return log_error_errno(r, "Failed to list the open files below /proc: %m"),
		       EXIT_ERROR;
	kept = calloc(1, sizeof(char *));
	if (!kept)
		return log_oom(), EXIT_ERROR;

	STRV_FOREACH (e, record) {
		char addr[PCI_ADDR_STRLEN], why[256];
		_cleanup_free_ char *drv = NULL, *holder = NULL;
		const char *host = strchr(*e, '\t') + 1;
		struct claim_release_result rr;

		snprintf(addr, sizeof(addr), "%.*s", (int)strcspn(*e, "\t"), *e);
		(void)path_readlink_basename(cli->pc, &drv, "/sys/bus/pci/devices/%s/driver", addr);
		if (!streq_ptr(drv, CLAIM_VFIO_DRIVER)) {
			printf("%s%s is on %s already, not vfio-pci: nothing to give back.\n",
			       dry_run ? "Would forget: " : "", addr, drv ? drv : "no driver");
			continue;
		}
		r = vfio_holder(cli->pc, addr, open_nodes, &holder);
		if (r < 0)
			return log_oom(), EXIT_ERROR;
		if (r > 0) {
			log_error("%s stays on vfio-pci: %s (stop the VM first).", addr, holder);
			if (strv_add(&kept, *e) < 0)
				return log_oom(), EXIT_ERROR;
			st = EXIT_PROBLEMS;
			continue;
		}
		if (dry_run) {
			printf("Would give %s back to %s.\n", addr, host[0] ? host : "no driver");
			continue;
		}
		r = claim_release_vfio(cli->pc, addr, host, &rr, why, sizeof(why));
		if (r < 0) {
			log_error("Failed to give %s back to %s: %s.", addr,
				  host[0] ? host : "no driver", why);
			/* Not on vfio-pci any more: the record has nothing to give back. */
			if (streq(rr.after, CLAIM_VFIO_DRIVER) && strv_add(&kept, *e) < 0)
				return log_oom(), EXIT_ERROR;
			st = EXIT_ERROR;
			continue;
		}
		printf("Gave %s back to %s.\n", addr, host[0] ? host : "no driver");
	}
	if (dry_run)
		return st;
	r = record_save(cli->pc, kept);
	if (r < 0)
		return log_error_errno(r, "Failed to update '%s': %m", NOW_RECORD_PATH), EXIT_ERROR;
	return st;
}
