/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "basic/json.h"
#include "basic/log.h"
#include "basic/strbuf.h"
#include "claimproto/claimlist.h"
#include "core/verbs.h"
#include "features/bridge.h"
#include "now/now.h"
#include "trial/trial.h"
#include "write/gen.h"
#include "write/initrdcheck.h"

static void help(void)
{
	printf("Usage: gpt-bootcfg [--root DIR] status [--json]\n\n"
	       "Compare the running host with the configuration: each device's driver and\n"
	       "whether the initramfs claimed it, the kernel parameters in effect, the\n"
	       "hugepages reserved, and whether each initramfs GRUB boots holds the claim\n"
	       "(FAIL otherwise). Exits 1 on any gap or failure.\n");
}

enum boot_claim {
	BOOT_CLAIM_UNKNOWN, /* no log, or the log does not mention the device */
	BOOT_CLAIM_YES,
	BOOT_CLAIM_NO,
};

/* What the claim log (claimlist.h) says about an address; *ret_msg gets its message. */
static enum boot_claim claim_log_lookup(const char *log, size_t size, const struct pci_addr *a,
					char **ret_msg)
{
	enum claim_result r;

	if (claim_log_find(log, size, a, &r, ret_msg) <= 0)
		return BOOT_CLAIM_UNKNOWN;
	return claim_result_on_vfio(r) ? BOOT_CLAIM_YES : BOOT_CLAIM_NO;
}

/* Whether the exact parameter is on the command line. */
static bool cmdline_has(const char *cmdline, const char *param)
{
	size_t n = strlen(param);

	for (const char *p = cmdline; p && *p;) {
		p += strspn(p, " \t");
		size_t w = strcspn(p, " \t");

		if (w == n && strncmp(p, param, n) == 0)
			return true;
		p += w;
	}
	return false;
}

/*
 * One hugepage pool against what the plan reserves at boot. The 1 GiB line is always
 * shown (the usual setup); the 2 MiB one only when a VM uses 2 MiB pages. Returns whether
 * the pool is big enough.
 */
static bool hugepage_pool(const struct host *h, struct json_writer *w, struct strbuf *out,
			  bool json, const char *key, const char *label, uint64_t size,
			  uint64_t needed, bool always)
{
	const struct host_hugepages *hp;
	const struct hugepage_count *pool =
	    host_hugepages(h, &hp) >= 0 ? host_hugepage_count(hp, size, -1) : NULL;
	uint64_t allocated = pool ? pool->nr : 0;
	bool have = pool != NULL;

	if (json) {
		json_object_begin(w, key);
		json_uint(w, "needed", needed);
		if (have)
			json_uint(w, "allocated", allocated);
		else
			json_null(w, "allocated");
		json_object_end(w);
	} else if (always || needed > 0) {
		strbuf_printf(out, "%s hugepages: %" PRIu64 " needed, ", label, needed);
		if (have)
			strbuf_printf(out, "%" PRIu64 " allocated\n", allocated);
		else
			strbuf_printf(out, "none allocated (no %s page pool)\n", label);
	}
	return needed == 0 || (have && allocated >= needed);
}

/*
 * Which way this boot came (host.h): the boot loader systemd-boot's variables name (none:
 * GRUB or another loader), the entry, and which generator built the running kernel's image;
 * then what apply works with.
 */
static void booted_path(const struct host *h, const struct initrd_check *images,
			struct json_writer *w, struct strbuf *out)
{
	const struct host_boot *b = &h->boot;
	const char *gen = NULL;

	for (size_t i = 0; i < images->n; i++)
		if (streq_ptr(images->images[i].kernel, h->kernel_release) &&
		    images->images[i].compression)
			gen = initramfs_gen_to_string(images->images[i].generator);
	if (w) {
		json_object_begin(w, "boot");
		json_string(w, "loader_info", b->loader_info);
		json_string(w, "entry", b->loader_entry);
		json_string(w, "booted_initramfs", gen);
		json_string(w, "initramfs", initramfs_gen_to_string(b->initramfs));
		json_string(w, "bootloader", boot_loader_to_string(b->loader));
		json_object_end(w);
		return;
	}
	strbuf_puts(out, "\nBoot path:\n");
	if (b->loader_info)
		strbuf_printf(out, "  this boot: %s (LoaderInfo), entry %s\n", b->loader_info,
			      b->loader_entry ? b->loader_entry : "(no LoaderEntrySelected)");
	else
		strbuf_puts(out, "  this boot: not started by systemd-boot (no LoaderInfo EFI "
				 "variable): GRUB or another loader\n");
	if (gen)
		strbuf_printf(out, "  the running kernel's image (%s) was built by %s\n",
			      strna(h->kernel_release), gen);
	strbuf_printf(out, "  apply works with: %s and %s\n", initramfs_gen_to_string(b->initramfs),
		      boot_loader_to_string(b->loader));
}

int verb_status(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	_cleanup_strbuf_ struct strbuf text = STRBUF_INIT, jbuf = STRBUF_INIT;
	_cleanup_free_ char *log = NULL;
	_cleanup_strv_free_ char **runtime = NULL;
	size_t log_size = 0;
	struct json_writer w;
	bool json = false, ok = true, have_log, images_ok;
	struct initrd_check images;
	struct gen g;
	char genparam[64];
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			help();
			return EXIT_OK;
		default:
			return EXIT_ERROR;
		}
	}
	if (verb_extra_operand(argc, argv))
		return EXIT_ERROR;

	r = gen_load(cli, NULL, &g);
	if (r != EXIT_OK) {
		gen_done(&g);
		return r;
	}
	/* Written by the claim binary in the initramfs (claimlist.h, docs/boot-claim.md): a
	 * report only status reads, not a fact of the host model. */
	have_log = path_read_full(cli->pc, &log, &log_size, CLAIM_LOG_PATH) >= 0;
	/* Devices apply --now moved in this boot (now.h); unreadable: none, said once. */
	r = now_record_load(cli->pc, &runtime);
	if (r < 0)
		log_warning_errno(r, "Failed to read '%s', ignoring: %m", NOW_RECORD_PATH);

	/* Both are built; one is printed. */
	struct strbuf *out = json ? &jbuf : &text;
	json_init(&w, &jbuf);
	json_object_begin(&w, NULL);
	json_array_begin(&w, "devices");
	if (!json)
		strbuf_puts(out, "Devices:\n");
	for (size_t i = 0; i < g.plan->n_devices; i++) {
		const struct plan_device *pd = &g.plan->devices[i];
		_cleanup_free_ char *msg = NULL;
		enum boot_claim bc = claim_log_lookup(log, log_size, &pd->cfg->addr, &msg);
		const char *drv = pd->dev ? pd->dev->driver : NULL;
		/* handover = yes: the host's at boot, vfio-pci's while a VM runs (issue 27). */
		bool dev_ok = pd->dev && (streq_ptr(drv, "vfio-pci") || pd->handover);
		const char *rt_from = NULL;
		bool rt = dev_ok && now_record_find(runtime, pd->cfg->address, &rt_from);

		ok &= dev_ok;
		if (json) {
			json_object_begin(&w, NULL);
			json_string(&w, "device", pd->cfg->name);
			json_string(&w, "address", pd->cfg->address);
			json_bool(&w, "present", pd->dev != NULL);
			json_string(&w, "driver", drv);
			if (bc == BOOT_CLAIM_UNKNOWN)
				json_null(&w, "claimed_at_boot");
			else
				json_bool(&w, "claimed_at_boot", bc == BOOT_CLAIM_YES);
			json_string(&w, "claim_log", msg);
			json_bool(&w, "claimed_at_runtime", rt);
			json_bool(&w, "ok", dev_ok);
			json_object_end(&w);
			continue;
		}
		strbuf_printf(out, "  %-4s %s [device %s]  driver: %s  claimed at boot: %s\n",
			      dev_ok ? "ok" : "GAP", pd->cfg->address, pd->cfg->name,
			      !pd->dev ? "(device not found)"
			      : drv    ? drv
				       : "none",
			      bc == BOOT_CLAIM_YES  ? "yes"
			      : bc == BOOT_CLAIM_NO ? "no"
			      : have_log	    ? "not in the claim log"
						    : "unknown (no " CLAIM_LOG_PATH ")");
		if (pd->handover)
			strbuf_puts(out, "       handover: not claimed at boot; vm run hands it to "
					 "the VM and back\n");
		if (msg && bc == BOOT_CLAIM_NO)
			strbuf_printf(out, "       claim log: %s\n", msg);
		if (rt)
			strbuf_printf(out,
				      "       claimed at runtime by apply --now (from %s); the "
				      "next boot claims it in the initramfs\n",
				      rt_from[0] ? rt_from : "no driver");
	}
	json_array_end(&w);

	snprintf(genparam, sizeof(genparam), "gpt_bootcfg.generation=%" PRIu64,
		 g.files.prev_generation);
	json_array_begin(&w, "cmdline");
	if (!json)
		strbuf_puts(out, "\nKernel parameters (planned vs /proc/cmdline):\n");
	for (size_t i = 0; i <= g.plan->params.n; i++) {
		const char *param = i < g.plan->params.n ? g.plan->params.items[i].param : genparam;
		bool in = cmdline_has(g.host->cmdline, param);

		ok &= in;
		if (json) {
			json_object_begin(&w, NULL);
			json_string(&w, "param", param);
			json_bool(&w, "in_effect", in);
			json_object_end(&w);
		} else {
			strbuf_printf(out, "  %-4s %s%s\n", in ? "ok" : "GAP", param,
				      in ? "" : " (not in effect)");
		}
	}
	json_array_end(&w);

	if (!json)
		strbuf_puts(out, "\n");
	ok &= hugepage_pool(g.host, &w, out, json, "hugepages_1g", "1 GiB", UINT64_C(1) << 30,
			    g.plan->hugepages, true);
	ok &= hugepage_pool(g.host, &w, out, json, "hugepages_2m", "2 MiB", UINT64_C(2) << 20,
			    g.plan->hugepages_2m, false);
	r = bridge_status(cli->pc, g.config, json, &w, out, &ok);
	if (r < 0) {
		log_error_errno(r, "Failed to check the VMs' bridges: %m");
		gen_done(&g);
		return EXIT_ERROR;
	}
	if (json) {
		json_uint(&w, "generation_applied", g.files.prev_generation);
		json_bool(&w, "apply_pending", managed_set_changes(&g.files));
	} else {
		if (g.files.prev_generation == 0)
			strbuf_puts(out, "\nNot applied yet: run 'gpt-bootcfg apply'.\n");
		else if (managed_set_changes(&g.files))
			strbuf_puts(out, "\nThe configuration changed since the last apply: run "
					 "'gpt-bootcfg plan' and 'gpt-bootcfg apply'.\n");
	}
	if (managed_set_changes(&g.files))
		ok = false;

	/* The images the next boot loads must hold what the claim needs (initrdcheck.h). */
	r = initrd_check(cli->pc, &images);
	if (r < 0) {
		log_error_errno(r, "Failed to check the initramfs images below '%s': %m",
				cli->root);
		gen_done(&g);
		return EXIT_ERROR;
	}
	images_ok = initrd_check_ok(&images);
	booted_path(g.host, &images, json ? &w : NULL, out);
	if (json) {
		initrd_check_json(&images, &w, "initramfs");
	} else {
		strbuf_putc(out, '\n');
		initrd_check_text(&images, out);
	}
	initrd_check_done(&images);

	/* The trial boot (trial.h): pending, confirmed, or failed and why. */
	{
		_cleanup_(trial_freep) struct trial *t = NULL;
		_cleanup_free_ char *terr = NULL;

		bool shown;

		r = trial_load(cli->pc, &t, &terr);
		if (r < 0)
			log_warning("Failed to read the trial state, ignoring: %s",
				    terr ? terr : strerror(-r));
		/* An apply --no-trial is no trial: nothing to say about it. */
		shown =
		    r >= 0 && t->state != TRIAL_NONE && !(t->state == TRIAL_CONFIRMED && t->direct);
		if (json && shown)
			trial_json(t, &w, "trial");
		else if (json)
			json_null(&w, "trial");
		else if (shown) {
			strbuf_putc(out, '\n');
			trial_describe(t, out);
		}
		if (r >= 0 && t->state == TRIAL_FAILED)
			ok = false;
	}
	if (json) {
		json_bool(&w, "ok", ok && images_ok);
		json_object_end(&w);
		strbuf_putc(out, '\n');
	} else {
		strbuf_printf(out, "\n%s\n",
			      ok && images_ok ? "Everything is in place."
			      : images_ok     ? "There are gaps (GAP)."
			      : ok	      ? "The initramfs would not claim the devices (FAIL)."
				   : "There are gaps (GAP), and the initramfs would not claim the "
				     "devices (FAIL).");
	}

	if (!strbuf_str(out)) {
		gen_done(&g);
		return log_oom(), EXIT_ERROR;
	}
	fputs(out->buf, stdout);
	gen_done(&g);
	return ok && images_ok ? EXIT_OK : EXIT_PROBLEMS;
}
