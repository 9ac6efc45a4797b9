/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <stdio.h>

#include "basic/json.h"
#include "basic/log.h"
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "conf/config.h"
#include "core/placement-config.h"
#include "core/verbs.h"
#include "features/bridge.h"
#include "features/reset.h"
#include "features/win11-host.h"
#include "planner/guardrails.h"
#include "planner/kmodres.h"
#include "shared/host.h"
#include "shared/platform.h"

#define ANSI_GREEN  "\033[32m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_RED    "\033[31m"
#define ANSI_RESET  "\033[0m"

static const char *status_color(enum check_status s)
{
	switch (s) {
	case CHECK_PASS:
		return ANSI_GREEN;
	case CHECK_WARN:
		return ANSI_YELLOW;
	case CHECK_FAIL:
		return ANSI_RED;
	case CHECK_SKIP:
		return "";
	}
	return "";
}

static int check_amd_reset(struct cli *cli, const struct host *h, const struct config *conf,
			   struct check_report *rep)
{
	_cleanup_kmodres_ struct kmodres *k = NULL;
	_cleanup_strv_free_ char **vendor_reset = NULL, **warnings = NULL;
	int r;

	r = kmodres_new(cli->pc, &k);
	if (r < 0 && r != -ENOENT)
		return r;
	if (k) {
		r = kmodres_kernels_with(k, "vendor-reset", &vendor_reset);
		if (r < 0)
			return r;
	}
	r = reset_amd_warnings(h, conf, k ? kmodres_kernels(k) : NULL, vendor_reset, &warnings);
	STRV_FOREACH (w, warnings)
		if (r >= 0)
			r = check_report_add(rep, "amd-reset", CHECK_WARN,
					     "docs/config.md, reset-method: vendor-reset, or stop "
					     "the VM only from the guest",
					     "%s", *w);
	return r;
}

int verb_check(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	_cleanup_host_ struct host *h = NULL;
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	struct check_report rep = {};
	bool json = false, failed;
	int c, r;

	while ((c = getopt_long(argc, argv, "jh", options, NULL)) >= 0) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			printf("Usage: gpt-bootcfg [--root DIR] check [--json]\n\n"
			       "Check the platform for passthrough. Exits 1 when a check fails.\n");
			return EXIT_OK;
		default:
			return EXIT_ERROR;
		}
	}
	if (verb_extra_operand(argc, argv))
		return EXIT_ERROR;

	r = host_load(cli->pc, &h);
	if (r < 0) {
		log_error("Failed to read the host: %s", host_last_error());
		return EXIT_ERROR;
	}
	/* Names make the guardrails' findings readable; without pci.ids the class stands in. */
	(void)host_load_names(h);
	r = platform_check(h, &rep);
	if (r < 0) {
		log_error("Failed to check the platform: %s", platform_last_error());
		return EXIT_ERROR;
	}

	/* The VMs' bridges, when there is a configuration (check needs none). */
	{
		_cleanup_free_ char *err = NULL;
		struct config *conf = NULL;

		r = config_load(cli->pc, cli->config, &conf, &err);
		if (r >= 0) {
			/* Explicit pins against the topology; a CPU that is not online is an error.
			 */
			_cleanup_strv_free_ char **cpu_warnings = NULL;
			struct guardrails gr = {};

			r = config_place_cpus(conf, h, &cpu_warnings, &err);
			if (r < 0) {
				config_free(conf);
				check_report_done(&rep);
				if (err)
					log_error("%s", err);
				else
					log_oom();
				return EXIT_ERROR;
			}
			STRV_FOREACH (w, cpu_warnings)
				if (r >= 0)
					r = check_report_add(
					    &rep, "cpu-placement", CHECK_WARN,
					    "vcpu-pins = auto places whole cores on "
					    "the device's node (docs/vm.md)",
					    "%s", *w);
			/* What plan refuses (planner/guardrails.h), as failed checks. */
			if (r >= 0)
				r = plan_guardrails(cli->pc, h, conf, &gr);
			{
				/* Each kind of refusal, its check id and what fixes it. */
				const struct {
					const char *id, *fix;
					char **msgs;
				} fails[] = {
				    {"vm-files", "create the file, or fix the path", gr.files},
				    {"vm-memory",
				     "lower the VMs' memory or autostart fewer of them", gr.memory},
				    {"isolate-cpus", "pin the vCPUs to online CPUs", gr.cpus},
				    {"cmdline-blacklist",
				     "remove the module from the blacklist, or pass the device to "
				     "a VM",
				     gr.cmdline},
				    {"reset-method",
				     "name a method the device's reset_method lists, or remove "
				     "the key",
				     gr.reset},
				};

				for (size_t k = 0; k < ARRAY_SIZE(fails); k++)
					STRV_FOREACH (m, fails[k].msgs)
						if (r >= 0)
							r = check_report_add(
							    &rep, fails[k].id, CHECK_FAIL,
							    fails[k].fix, "%s", *m);
			}
			STRV_FOREACH (m, gr.skips)
				if (r >= 0)
					r = check_report_add(&rep, "guardrail", CHECK_SKIP, NULL,
							     "%s", *m);
			guardrails_done(&gr);
			/* The AMD reset bug: plan's warning (features/reset.h), as a warn line. */
			if (r >= 0)
				r = check_amd_reset(cli, h, conf, &rep);
			if (r >= 0)
				r = bridge_check(cli->pc, conf, &rep);
			/* Their TPM (swtpm), Secure Boot firmware, Windows 11's requirements. */
			for (size_t i = 0; r >= 0 && i < conf->n_vms; i++)
				r = vm_win11_check(cli->pc, conf->vms[i],
						   vm_win11(vm_options(conf->vms[i])), &rep);
			config_free(conf);
			if (r < 0) {
				check_report_done(&rep);
				log_error_errno(
				    r, "Failed to check the VMs' bridges and firmware: %m");
				return EXIT_ERROR;
			}
		} else if (r != -ENOENT)
			log_warning("Not checking the VMs' bridges: %s", err ? err : strerror(-r));
	}

	if (json) {
		struct json_writer w;

		json_init(&w, &sb);
		json_object_begin(&w, NULL);
		json_array_begin(&w, "checks");
		for (size_t i = 0; i < rep.n; i++) {
			json_object_begin(&w, NULL);
			json_string(&w, "id", rep.results[i].id);
			json_string(&w, "status", check_status_to_string(rep.results[i].status));
			json_string(&w, "detail", rep.results[i].detail);
			json_string(&w, "remedy", rep.results[i].remedy);
			json_object_end(&w);
		}
		json_array_end(&w);
		json_object_end(&w);
	} else {
		for (size_t i = 0; i < rep.n; i++) {
			const struct check_result *res = &rep.results[i];

			strbuf_printf(&sb, "%s%s%s  %-20s %s\n",
				      cli->color ? status_color(res->status) : "",
				      check_status_to_string(res->status),
				      cli->color ? ANSI_RESET : "", res->id, res->detail);
			if (res->remedy)
				strbuf_printf(&sb, "      %-20s -> %s\n", "", res->remedy);
		}
	}
	failed = check_report_failed(&rep);
	check_report_done(&rep);
	if (!strbuf_str(&sb))
		return log_oom(), EXIT_ERROR;
	fputs(strbuf_str(&sb), stdout);
	if (fflush(stdout) != 0) {
		log_error_errno(-errno, "Failed to write the report: %m");
		return EXIT_ERROR;
	}
	return failed ? EXIT_PROBLEMS : EXIT_OK;
}
