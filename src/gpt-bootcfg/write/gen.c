/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "basic/json.h"
#include "basic/log.h"
#include "basic/spawn-util.h"
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "core/kcmdline.h"
#include "core/placement-config.h"
#include "features/table.h"
#include "planner/guardrails.h"
#include "write/diff.h"
#include "write/gen.h"

int gen_load_config(struct cli *cli, struct config **ret)
{
	_cleanup_free_ char *err = NULL;
	int r;

	r = config_load(cli->pc, cli->config, ret, &err);
	if (r == -ENOENT) {
		log_error(
		    "No configuration at %s; write one with 'gpt-bootcfg init --gpu ADDRESS'.",
		    cli->config);
		return EXIT_ERROR;
	}
	if (r < 0) {
		if (err)
			log_error("%s", err);
		else
			log_error_errno(r, "Failed to read '%s': %m", cli->config);
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

int gen_check_guardrails(struct cli *cli, const struct gen *g)
{
	struct guardrails gr = {};
	bool refuse;
	int r;

	r = plan_guardrails(cli->pc, g->host, g->config, &gr);
	if (r < 0)
		return log_error_errno(r, "Failed to check the configuration against the host: %m"),
		       EXIT_ERROR;
	STRV_FOREACH (e, gr.files)
		log_error("%s", *e);
	STRV_FOREACH (e, gr.memory)
		log_error("%s", *e);
	STRV_FOREACH (e, gr.cpus)
		log_error("%s", *e);
	STRV_FOREACH (e, gr.cmdline)
		log_error("%s", *e);
	STRV_FOREACH (e, gr.reset)
		log_error("%s", *e);
	refuse = guardrails_refuse(&gr);
	guardrails_done(&gr);
	return refuse ? EXIT_ERROR : EXIT_OK;
}

int gen_load(struct cli *cli, char *const *allow, struct gen *g)
{
	struct plan_options o = {.allow = allow};
	_cleanup_strv_free_ char **cpu_warnings = NULL;
	_cleanup_free_ char *err = NULL;
	int r;

	*g = (struct gen){};
	r = gen_load_config(cli, &g->config);
	if (r != EXIT_OK)
		return r;

	r = host_load(cli->pc, &g->host);
	if (r < 0) {
		log_error_errno(r, "Failed to read the host below '%s': %s", cli->root,
				host_last_error());
		return EXIT_ERROR;
	}

	/* Names make refusals readable; without pci.ids the class code stands in. */
	(void)host_load_names(g->host);

	/* vcpu-pins = auto before anything reads the pins (isolcpus, hugepages' node). */
	r = config_place_cpus(g->config, g->host, &cpu_warnings, &err);
	if (r < 0) {
		if (err)
			log_error("%s", err);
		else
			log_oom();
		return EXIT_ERROR;
	}

	r = kmodres_new(cli->pc, &g->kmod);
	if (r < 0 && r != -ENOENT) {
		log_error_errno(r, "Failed to open the kernel module index below '%s': %m",
				cli->root);
		return EXIT_ERROR;
	}

	r = plan_build(g->host, g->config, g->kmod, &o, &g->plan);
	if (r < 0) {
		log_error_errno(r, "Failed to plan: %m");
		return EXIT_ERROR;
	}

	r = plan_add_cpu_placement(g->config, cpu_warnings, g->plan);
	if (r < 0)
		return log_oom();

	FOREACH_FEATURE (f) {
		if (!(*f)->plan_findings)
			continue;
		r = (*f)->plan_findings(cli->pc, g->config, &g->plan->params.warnings,
					&g->plan->notes);
		if (r < 0) {
			log_error_errno(r, "Failed to check the VMs' %s: %m", (*f)->what);
			return EXIT_ERROR;
		}
	}

	r = managed_compute(cli->pc, g->config, g->plan, g->host->boot.loader, &g->files, &err);
	if (r < 0) {
		if (err)
			log_error("%s", err);
		else
			log_error_errno(r, "Failed to read the managed files: %m");
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

int plan_add_cpu_placement(const struct config *c, char *const *warnings, struct plan *p)
{
	STRV_FOREACH (w, warnings)
		if (strv_add(&p->params.warnings, *w) < 0)
			return -ENOMEM;
	if (c->host.isolate_dynamic &&
	    strv_add(&p->notes, "isolate-cpus = dynamic: no isolcpus at boot; vm run keeps the "
				"host's slices (AllowedCPUs), IRQs and workqueues off each VM's "
				"vcpu-pins while it runs") < 0)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_vms; i++)
		STRV_FOREACH (why, c->vms[i]->placement_why)
			if (strv_addf(&p->notes, "[vm %s] CPU placement: %s", c->vms[i]->name,
				      *why) < 0)
				return -ENOMEM;
	return 0;
}

void gen_done(struct gen *g)
{
	managed_set_done(&g->files);
	plan_free(g->plan);
	kmodres_free(g->kmod);
	host_free(g->host);
	config_free(g->config);
	*g = (struct gen){};
}

int gen_parse_allow(const char *arg, char ***allow)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *save = NULL;

	if (!copy)
		return log_oom();
	for (char *w = strtok_r(copy, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
		int reason = refusal_reason_from_string(w);

		if (reason < 0) {
			log_error("--allow: unknown reason '%s'.", w);
			return -EINVAL;
		}
		if (!refusal_reason_overridable(reason)) {
			log_error("--allow: '%s' cannot be overridden.", w);
			return -EINVAL;
		}
		if (strv_add_unique(allow, w) < 0)
			return log_oom();
	}
	return 0;
}

static const struct plan_device *plan_device_of(const struct plan *p, const struct pci_device *d)
{
	for (size_t i = 0; i < p->n_devices; i++)
		if (p->devices[i].dev == d)
			return &p->devices[i];
	return NULL;
}

static void print_json(const struct gen *g, struct strbuf *out)
{
	const struct plan *p = g->plan;
	struct json_writer w;

	json_init(&w, out);
	json_object_begin(&w, NULL);
	json_array_begin(&w, "claim");
	for (size_t i = 0; i < p->n_claims; i++)
		json_string(&w, NULL, p->claims[i]->address);
	json_array_end(&w);
	json_array_begin(&w, "refused");
	for (size_t i = 0; i < p->n_refusals; i++) {
		const struct plan_refusal *r = &p->refusals[i];

		json_object_begin(&w, NULL);
		if (r->address[0])
			json_string(&w, "address", r->address);
		else
			json_null(&w, "address");
		json_string(&w, "device", r->device);
		json_string(&w, "reason", refusal_reason_to_string(r->reason));
		json_string(&w, "detail", r->detail);
		json_bool(&w, "overridden", r->overridden);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_array_begin(&w, "cmdline");
	for (size_t i = 0; i < p->params.n; i++)
		json_string(&w, NULL, p->params.items[i].param);
	{
		char gen[64];

		snprintf(gen, sizeof(gen), "gpt_bootcfg.generation=%" PRIu64, g->files.generation);
		json_string(&w, NULL, gen);
	}
	json_array_end(&w);
	json_array_begin(&w, "parameters");
	for (size_t i = 0; i < p->params.n; i++) {
		json_object_begin(&w, NULL);
		json_string(&w, "param", p->params.items[i].param);
		json_string(&w, "why", p->params.items[i].why);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_uint(&w, "generation", g->files.generation);
	json_uint(&w, "hugepages_1g", p->hugepages);
	json_uint(&w, "hugepages_2m", p->hugepages_2m);
	json_array_begin(&w, "softdep");
	STRV_FOREACH (m, p->softdeps)
		json_string(&w, NULL, *m);
	json_array_end(&w);
	json_array_begin(&w, "blacklist");
	STRV_FOREACH (m, p->blacklist)
		json_string(&w, NULL, *m);
	json_array_end(&w);
	json_string(&w, "initramfs", initramfs_gen_to_string(g->host->boot.initramfs));
	json_string(&w, "initramfs_why", g->host->boot.initramfs_why);
	json_string(&w, "bootloader", boot_loader_to_string(g->host->boot.loader));
	json_string(&w, "bootloader_why", g->host->boot.loader_why);
	json_array_begin(&w, "files");
	for (size_t i = 0; i < g->files.n; i++) {
		const struct managed_file *f = &g->files.files[i];

		json_object_begin(&w, NULL);
		json_string(&w, "path", f->path);
		json_string(&w, "action", managed_action_to_string(f->action));
		if (f->backup)
			json_string(&w, "backup", f->backup);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_array_begin(&w, "warnings");
	STRV_FOREACH (s, p->params.warnings)
		json_string(&w, NULL, *s);
	json_array_end(&w);
	json_array_begin(&w, "notes");
	STRV_FOREACH (s, p->notes)
		json_string(&w, NULL, *s);
	json_array_end(&w);
	json_object_end(&w);
	strbuf_putc(out, '\n');
}

/* Which initramfs generator and boot loader apply works with, and why (host.h). */
static void print_boot(const struct host_boot *b, struct strbuf *out)
{
	strbuf_puts(out, "\nBoot:\n");
	strbuf_printf(out, "  initramfs: %s\n      %s\n", initramfs_gen_to_string(b->initramfs),
		      b->initramfs_why);
	strbuf_printf(out, "  boot loader: %s", boot_loader_to_string(b->loader));
	if (b->loader == BOOT_LOADER_SYSTEMD_BOOT && b->esp)
		strbuf_printf(out, " (entries on %s, parameters in " KERNEL_CMDLINE_PATH ")",
			      b->esp);
	strbuf_printf(out, "\n      %s\n", b->loader_why);
}

static void print_text(const struct gen *g, bool diffs, struct strbuf *out)
{
	const struct plan *p = g->plan;

	strbuf_puts(out, "Devices to claim for vfio-pci at boot:\n");
	if (p->n_claims == 0)
		strbuf_puts(out, "  (none)\n");
	for (size_t i = 0; i < p->n_claims; i++) {
		const struct pci_device *d = p->claims[i];
		const struct plan_device *pd = plan_device_of(p, d);

		strbuf_printf(out, "  %s  [device %s]  %04x:%04x class %06x", d->address,
			      pd ? pd->cfg->name : "?", d->vendor, d->device, d->class);
		if (d->iommu_group >= 0)
			strbuf_printf(out, "  IOMMU group %d", d->iommu_group);
		strbuf_printf(out, "  now: %s\n", d->driver ? d->driver : "no driver");
		if (pd && pd->drivers && pd->drivers[0]) {
			_cleanup_free_ char *l = strv_join(pd->drivers, ", ");

			strbuf_printf(out, "      held back: %s\n", l ? l : "?");
		}
		if (pd && pd->disks)
			strbuf_printf(out, "      gives the VM: %s\n", pd->disks);
	}

	if (p->n_refusals > 0) {
		strbuf_puts(out, "\nRefused:\n");
		for (size_t i = 0; i < p->n_refusals; i++) {
			const struct plan_refusal *r = &p->refusals[i];

			strbuf_printf(out, "  %s%s", r->address[0] ? r->address : "host",
				      r->overridden ? " (overridden)" : "");
			if (r->device)
				strbuf_printf(out, " [device %s]", r->device);
			strbuf_printf(out, " %s: %s\n", refusal_reason_to_string(r->reason),
				      r->detail);
		}
	}

	strbuf_puts(out, "\nKernel parameters:\n");
	for (size_t i = 0; i < p->params.n; i++)
		strbuf_printf(out, "  %s\n      %s\n", p->params.items[i].param,
			      p->params.items[i].why);
	strbuf_printf(out,
		      "  gpt_bootcfg.generation=%" PRIu64 "\n"
		      "      ties this boot entry to the claim list; older entries claim nothing\n",
		      g->files.generation);

	strbuf_puts(out, "\nDrivers (modprobe.d):\n");
	if (!p->softdeps || !p->softdeps[0])
		strbuf_puts(out, "  (none)\n");
	STRV_FOREACH (m, p->softdeps)
		strbuf_printf(out, "  softdep %s pre: vfio-pci\n", *m);
	STRV_FOREACH (m, p->blacklist)
		strbuf_printf(out, "  blacklist %s\n", *m);

	print_boot(&g->host->boot, out);

	if ((p->params.warnings && p->params.warnings[0]) || (p->notes && p->notes[0])) {
		strbuf_puts(out, "\n");
		STRV_FOREACH (s, p->params.warnings)
			strbuf_printf(out, "Warning: %s\n", *s);
		STRV_FOREACH (s, p->notes)
			strbuf_printf(out, "Note: %s\n", *s);
	}

	strbuf_printf(out, "\nFiles (generation %" PRIu64 "):\n", g->files.generation);
	for (size_t i = 0; i < g->files.n; i++) {
		const struct managed_file *f = &g->files.files[i];
		const struct feature_ops *ft;

		strbuf_printf(out, "  %-9s %s", managed_action_to_string(f->action), f->path);
		if (f->is_link && f->content)
			strbuf_printf(out, " -> %s", f->content);
		if (f->shared && f->content && (ft = feature_by_managed_path(f->path)) &&
		    ft->block_begin && strstr(f->content, ft->block_begin))
			strbuf_puts(out,
				    " (gpt-bootcfg's block of lines; the rest stays as it is)");
		if (f->shared && streq(f->path, KERNEL_CMDLINE_PATH))
			strbuf_puts(out, " (gpt-bootcfg's line, " KCMDLINE_MARK
					 "...; the rest stays as it is)");
		if (f->backup)
			strbuf_printf(out, " (%s file kept as %s)",
				      f->state == MANAGED_STATE_EDITED ? "hand-edited" : "existing",
				      f->backup);
		strbuf_putc(out, '\n');
	}
	if (!diffs)
		return;
	for (size_t i = 0; i < g->files.n; i++) {
		const struct managed_file *f = &g->files.files[i];
		_cleanup_free_ char *a = NULL, *b = NULL;

		if (f->action == MANAGED_UNCHANGED || f->is_link)
			continue;
		if (asprintf(&a, "a%s", f->path) < 0 || asprintf(&b, "b%s", f->path) < 0) {
			out->err = -ENOMEM;
			return;
		}
		strbuf_putc(out, '\n');
		diff_unified(out, f->current, f->content, a, b);
	}
}

int gen_print_plan(const struct gen *g, bool json, bool diffs)
{
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;

	if (json)
		print_json(g, &out);
	else
		print_text(g, diffs, &out);
	if (!strbuf_str(&out))
		return log_oom();
	fputs(out.buf, stdout);
	fflush(stdout);
	return 0;
}
