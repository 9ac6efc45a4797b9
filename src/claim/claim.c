/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gpt-bootcfg-claim: run from the initramfs before udev, it hands the devices of the claim
 * list to vfio-pci before any host driver module can take them. It never makes boot fail;
 * the exit code only tells tests what happened (see usage()).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/utsname.h>

#include "basic/path.h"
#include "basic/pci.h"
#include "basic/time-util.h"
#include "claim/claimlog.h"
#include "claim/klog.h"
#include "claimproto/claim-ops.h"
#include "claimproto/claimlist.h"
#include "claimproto/modload.h"

#define DEFAULT_LIST "/etc/gpt-bootcfg/claim.list"
#define VFIO_DRIVER  "vfio-pci"

enum {
	EXIT_ALL_CLAIMED = 0,
	EXIT_SOME_SKIPPED = 1,
	EXIT_BAD_LIST = 2,
};

struct options {
	const char *root;
	const char *list;
	const char *kver;
	bool dry_run;
	bool to_stderr;
};

struct claim_state {
	struct path_cxt *pc;
	const struct options *opt;
	const struct claim_list *list;
	/* Per list entry: its slot holds the listed device (identity checked, not a bridge). */
	bool *identified;
	bool vfio_tried;
	bool vfio_ready;
};

static void usage(FILE *f)
{
	fputs("Usage: gpt-bootcfg-claim [OPTIONS]\n"
	      "Claim the devices of the claim list for vfio-pci (run from the initramfs).\n\n"
	      "  --list FILE     claim list (default " DEFAULT_LIST ")\n"
	      "  --root DIR      prefix every path with DIR (tests); never loads modules\n"
	      "  --kver VERSION  kernel release for modules.dep (default: uname -r)\n"
	      "  --dry-run       check and report, change nothing\n"
	      "  --stderr        also log to stderr (always logs to /dev/kmsg)\n"
	      "  --help, --version\n\n"
	      "Exit: 0 every listed device is on vfio-pci (or the kill switch gpt_bootcfg=off\n"
	      "is set), 1 some were skipped or not claimed, 2 unusable list or arguments.\n",
	      f);
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"list", required_argument, NULL, 'l'}, {"root", required_argument, NULL, 'r'},
	    {"kver", required_argument, NULL, 'k'}, {"dry-run", no_argument, NULL, 'n'},
	    {"stderr", no_argument, NULL, 'e'},	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},    {},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) >= 0) {
		switch (c) {
		case 'l':
			o->list = optarg;
			break;
		case 'r':
			o->root = optarg;
			break;
		case 'k':
			o->kver = optarg;
			break;
		case 'n':
			o->dry_run = true;
			break;
		case 'e':
			o->to_stderr = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			puts("gpt-bootcfg-claim " VERSION);
			return 0;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "gpt-bootcfg-claim: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (o->list[0] != '/') {
		fprintf(stderr, "gpt-bootcfg-claim: --list needs an absolute path, got '%s'\n",
			o->list);
		return -EINVAL;
	}
	return 1;
}

static void on_list_error(void *userdata, unsigned line, unsigned column, const char *message)
{
	klog(KLOG_ERR, "%s:%u:%u: %s", (const char *)userdata, line, column, message);
}

/* A group member counts as claimed with the device when it is listed and passed identify(). */
static bool member_identified(void *userdata, const char *m)
{
	const struct claim_state *st = userdata;
	const struct claim_entry *le;
	struct pci_addr ma;

	/*
	 * Only a listed member that passed its own identity check will be claimed: one
	 * skipped for a mismatch stays on its host driver, and counting it would hand its
	 * group mate to vfio-pci alone (issue 14).
	 */
	return pci_addr_parse(m, &ma) >= 0 && (le = claim_list_find(st->list, &ma)) &&
	       st->identified[le - st->list->entries];
}

/* Make sure vfio-pci is registered, loading it (and its dependencies) once if needed. */
static bool ensure_vfio(struct claim_state *st)
{
	_cleanup_strv_free_ char **order = NULL, **type1 = NULL;
	_cleanup_free_ char *failed = NULL;
	_cleanup_strbuf_ struct strbuf names = STRBUF_INIT;
	bool load = !st->opt->dry_run && path_cxt_is_host(st->pc);
	double t0;
	int r;

	if (st->vfio_tried)
		return st->vfio_ready;
	st->vfio_tried = true;

	if (path_exists(st->pc, "/sys/bus/pci/drivers/%s", VFIO_DRIVER) > 0) {
		st->vfio_ready = true;
		return true;
	}
	t0 = now_ms_exact();
	r = modload_resolve(st->pc, st->opt->kver, VFIO_DRIVER, &order);
	if (r < 0) {
		klog(KLOG_ERR,
		     "vfio-pci is not registered and not in /lib/modules/%s/modules.dep: %s",
		     st->opt->kver, strerror(-r));
		return false;
	}
	r = modload_load(st->pc, st->opt->kver, order, load, &names, &failed);
	if (r < 0) {
		klog(KLOG_ERR, "loading module %s failed: %s", strna(failed), strerror(-r));
		return false;
	}
	/* QEMU's VFIO container needs the type1 IOMMU backend; absent is not fatal. */
	if (modload_resolve(st->pc, st->opt->kver, "vfio_iommu_type1", &type1) >= 0 &&
	    modload_load(st->pc, st->opt->kver, type1, load, &names, NULL) < 0)
		klog(KLOG_WARNING, "loading vfio_iommu_type1 failed, ignoring");

	if (!load) {
		klog(KLOG_INFO, "would load %s, not loading under %s", strbuf_str(&names),
		     st->opt->dry_run ? "--dry-run" : "--root");
		st->vfio_ready = st->opt->dry_run;
		return st->vfio_ready;
	}
	klog(KLOG_INFO, "loaded %s in %.1f ms", strbuf_str(&names), now_ms_exact() - t0);
	st->vfio_ready = path_exists(st->pc, "/sys/bus/pci/drivers/%s", VFIO_DRIVER) > 0;
	if (!st->vfio_ready)
		klog(KLOG_ERR, "vfio-pci still not registered after loading it");
	return st->vfio_ready;
}

/*
 * Whether the entry may be claimed at all, before any group is judged: the slot holds the
 * listed device, and it is not a bridge (class 06xx). A bridge on vfio-pci takes its
 * whole secondary bus away from pcieport (hotplug, AER, power management), and the
 * generator never lists one: such an entry is a hand-written or corrupted list.
 */
static bool identify(struct claim_state *st, const struct claim_entry *e)
{
	char a[PCI_ADDR_STRLEN], why[256];

	pci_addr_format(&e->addr, a);
	if (pci_class_is_bridge(e->class)) {
		claim_log_device(KLOG_WARNING, CLAIM_RESULT_SKIPPED, a,
				 "skipped: class %06x is a bridge; bridges are never claimed",
				 e->class);
		return false;
	}
	if (claim_check_identity(st->pc, e, why, sizeof(why)) < 0) {
		claim_log_device(KLOG_WARNING, CLAIM_RESULT_SKIPPED, a, "skipped: %s", why);
		return false;
	}
	return true;
}

/*
 * The entry's reset method (issue 30), written just before vfio-pci takes the device (or
 * on a device already on it), so that every reset vfio-pci and the VM do uses it. A
 * refused write (a kernel before 5.15 has no reset_method; a method the device does not
 * offer) costs the method, never the claim: the kernel's own order stays. What was done
 * goes into act ("reset_method bus 0.02 ms, ") or fail ("; reset_method 'bus' not set
 * (...)") for the device's log line.
 */
static void set_reset_method(struct claim_state *st, const struct claim_entry *e, const char *a,
			     char *act, size_t act_size, char *fail, size_t fail_size)
{
	double t = now_ms_exact();
	int r;

	if (!e->reset_method[0])
		return;
	r = claim_set_reset_method(st->pc, a, e->reset_method);
	if (r < 0) {
		klog(KLOG_WARNING,
		     "%s: writing reset_method '%s' failed: %s; claiming it with the kernel's "
		     "reset order",
		     a, e->reset_method, strerror(-r));
		snprintf(fail, fail_size, "; reset_method '%s' not set (%s)", e->reset_method,
			 strerror(-r));
	} else {
		snprintf(act, act_size, "reset_method %s %.2f ms, ", e->reset_method,
			 now_ms_exact() - t);
	}
}

/* Returns true when the device ends on vfio-pci (or would, with --dry-run). */
static bool claim_one(struct claim_state *st, const struct claim_entry *e)
{
	_cleanup_free_ char *drv = NULL;
	struct claim_bind_result res;
	char a[PCI_ADDR_STRLEN], why[256];
	char reset_act[PCI_RESET_METHODS_MAX + 32] = "",
					       reset_fail[PCI_RESET_METHODS_MAX + 96] = "";
	double t0 = now_ms_exact();
	int r;

	pci_addr_format(&e->addr, a);

	if (!st->identified[e - st->list->entries])
		return false;
	/*
	 * vfio hands out whole IOMMU groups: a group member that stays on a host driver would
	 * make the group unusable for the VM (or share DMA with the host), so refuse early.
	 */
	if (claim_check_group(st->pc, a, member_identified, st, "which is not in the list", why,
			      sizeof(why)) < 0) {
		claim_log_device(KLOG_WARNING, CLAIM_RESULT_SKIPPED, a, "skipped: %s", why);
		return false;
	}
	(void)path_readlink_basename(st->pc, &drv, "/sys/bus/pci/devices/%s/driver", a);
	if (drv && streq(drv, VFIO_DRIVER)) {
		set_reset_method(st, e, a, reset_act, sizeof(reset_act), reset_fail,
				 sizeof(reset_fail));
		claim_log_device(KLOG_INFO, CLAIM_RESULT_ALREADY, a,
				 "already on vfio-pci%s%.*s%s%s", reset_act[0] ? " (" : "",
				 reset_act[0] ? (int)strlen(reset_act) - 2 : 0, reset_act,
				 reset_act[0] ? ")" : "", reset_fail);
		return true;
	}
	if (st->opt->dry_run) {
		if (e->reset_method[0])
			klog(KLOG_INFO, "%s: would write reset_method '%s' (--dry-run)", a,
			     e->reset_method);
		klog(KLOG_INFO, "%s: would claim for vfio-pci%s%s (--dry-run)", a,
		     drv ? ", unbinding " : "", drv ? drv : "");
		return ensure_vfio(st);
	}
	if (!ensure_vfio(st)) {
		claim_log_device(KLOG_WARNING, CLAIM_RESULT_SKIPPED, a,
				 "skipped: vfio-pci is not available");
		return false;
	}
	set_reset_method(st, e, a, reset_act, sizeof(reset_act), reset_fail, sizeof(reset_fail));

	r = claim_bind_vfio(st->pc, a, 0, &res);
	switch (res.failed) {
	case CLAIM_STEP_NONE:
		break;
	case CLAIM_STEP_OVERRIDE:
		claim_log_device(KLOG_ERR, CLAIM_RESULT_FAILED, a,
				 "writing driver_override failed: %s", strerror(-r));
		return false;
	case CLAIM_STEP_UNBIND:
		claim_log_device(KLOG_ERR, CLAIM_RESULT_FAILED, a, "unbinding %s failed: %s",
				 res.before, strerror(-r));
		return false;
	case CLAIM_STEP_PROBE:
		claim_log_device(KLOG_ERR, CLAIM_RESULT_FAILED, a, "drivers_probe failed: %s",
				 strerror(-r));
		return false;
	case CLAIM_STEP_VERIFY:
		claim_log_device(
		    KLOG_WARNING, CLAIM_RESULT_FAILED, a, "not claimed (driver is %s): %s%s%s",
		    res.after[0] ? res.after : "none", reset_act, res.acts, reset_fail);
		return false;
	}
	claim_log_device(KLOG_INFO, CLAIM_RESULT_CLAIMED, a,
			 "claimed for vfio-pci in %.2f ms (%s%s)%s%s", now_ms_exact() - t0,
			 reset_act, res.acts, reset_fail,
			 reset_fail[0] ? ", claimed anyway with the kernel's reset order" : "");
	return true;
}

/* Generation binding: a list with "generation N" claims only on the boot entry for N. */
static bool generation_allows(const struct claim_list *l, const struct claim_cmdline *c)
{
	if (!l->has_generation)
		return true;
	if (!c->has_generation) {
		klog(KLOG_NOTICE,
		     "claiming nothing: no generation on the command line, list is "
		     "generation %" PRIu64,
		     l->generation);
		return false;
	}
	if (!c->generation_valid) {
		klog(KLOG_NOTICE,
		     "claiming nothing: invalid gpt_bootcfg.generation= on the command "
		     "line, list is generation %" PRIu64,
		     l->generation);
		return false;
	}
	if (c->generation != l->generation) {
		klog(KLOG_NOTICE,
		     "claiming nothing: entry boots generation %" PRIu64
		     ", list is generation %" PRIu64,
		     c->generation, l->generation);
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	struct options opt = {.list = DEFAULT_LIST};
	_cleanup_(claim_list_done) struct claim_list list = CLAIM_LIST_INIT;
	_cleanup_path_cxt_ struct path_cxt *pc = NULL;
	_cleanup_free_ char *cmdline = NULL, *buf = NULL;
	_cleanup_free_ bool *identified = NULL;
	struct claim_state st = {0};
	struct claim_cmdline cl;
	struct utsname u;
	unsigned claimed = 0;
	size_t size = 0;
	double t0;
	int r;

	r = parse_args(argc, argv, &opt);
	if (r <= 0)
		return r < 0 ? EXIT_BAD_LIST : 0;
	if (!opt.kver) {
		if (uname(&u) < 0) {
			fprintf(stderr, "gpt-bootcfg-claim: uname: %s\n", strerror(errno));
			return EXIT_BAD_LIST;
		}
		opt.kver = u.release;
	}
	r = path_cxt_new(opt.root, &pc);
	if (r < 0) {
		fprintf(stderr, "gpt-bootcfg-claim: %s\n", strerror(-r));
		return EXIT_BAD_LIST;
	}
	klog_open(pc, opt.to_stderr);
	t0 = now_ms_exact();

	r = path_read_full(pc, &cmdline, NULL, "/proc/cmdline");
	if (r < 0)
		klog(KLOG_WARNING, "cannot read /proc/cmdline: %s, ignoring", strerror(-r));
	claim_cmdline_parse(cmdline ? cmdline : "", &cl);
	if (cl.off) {
		klog(KLOG_NOTICE, "gpt_bootcfg=off on the kernel command line: claiming nothing");
		klog_close();
		return EXIT_ALL_CLAIMED;
	}

	r = path_read_full(pc, &buf, &size, "%s", opt.list);
	if (r < 0) {
		klog(KLOG_ERR, "cannot read claim list '%s': %s", opt.list, strerror(-r));
		klog_close();
		return EXIT_BAD_LIST;
	}
	r = claim_list_parse(buf, size, &list, on_list_error, (void *)opt.list);
	if (r < 0) {
		klog(KLOG_ERR, "claim list '%s' rejected: %s; claiming nothing", opt.list,
		     r == -EBADMSG ? "malformed" : strerror(-r));
		klog_close();
		return EXIT_BAD_LIST;
	}
	if (!generation_allows(&list, &cl)) {
		klog_close();
		return list.n_entries > 0 ? EXIT_SOME_SKIPPED : EXIT_ALL_CLAIMED;
	}

	identified = calloc(list.n_entries + 1, sizeof(bool));
	if (!identified) {
		klog(KLOG_ERR, "out of memory; claiming nothing");
		klog_close();
		return EXIT_BAD_LIST;
	}
	st = (struct claim_state){.pc = pc, .opt = &opt, .list = &list, .identified = identified};
	/* Every identity first: a group is complete only with members that will be claimed. */
	for (size_t i = 0; i < list.n_entries; i++)
		identified[i] = identify(&st, &list.entries[i]);
	for (size_t i = 0; i < list.n_entries; i++)
		if (claim_one(&st, &list.entries[i]))
			claimed++;

	klog(KLOG_INFO, "%u of %zu device%s on vfio-pci%s in %.1f ms", claimed, list.n_entries,
	     list.n_entries == 1 ? "" : "s", opt.dry_run ? " (dry run)" : "", now_ms_exact() - t0);
	/* A dry run claimed nothing: "status" must not read it as the boot's claim. */
	if (!opt.dry_run)
		claim_log_write(pc);
	klog_close();
	return claimed == list.n_entries ? EXIT_ALL_CLAIMED : EXIT_SOME_SKIPPED;
}
