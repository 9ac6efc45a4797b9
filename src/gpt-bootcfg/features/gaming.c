/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * [vm] keys for a gaming guest (vm-gamedev.h): Looking Glass, evdev input, USB devices by
 * id. Parsing with FILE:LINE:COL errors, cross-key checks and the QEMU arguments.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "basic/macro.h"
#include "basic/parse-util.h"
#include "basic/strv-util.h"
#include "core/qemu-input.h"
#include "core/vm-options.h"
#include "core/vm-paths.h"
#include "features/gaming.h"
#include "features/users.h"

#define MIB (UINT64_C(1) << 20)
/* Looking Glass' smallest useful buffer and the largest a "resolution" can ask for. */
#define LG_MIN_SIZE MIB
#define LG_MAX_SIZE (UINT64_C(1) << 31)
#define LG_MAX_DIM  8192u
#define MAX_INPUTS  16
/* qemu-xhci has at most 15 ports of each speed. */
#define XHCI_MAX_PORTS 15u

static const char *const grab_toggles[] = {
    /* QEMU 7.2's GrabToggleKeys, in its order. */
    "ctrl-ctrl", "alt-alt", "shift-shift", "meta-meta", "scrolllock", "ctrl-scrolllock",
};

const struct vm_gaming *vm_gaming(const struct vm_options *o)
{
	return o->gaming;
}

static int gaming_get(struct vm_options *o, struct vm_gaming **ret)
{
	if (!o->gaming) {
		o->gaming = calloc(1, sizeof(*o->gaming));
		if (!o->gaming)
			return -ENOMEM;
	}
	*ret = o->gaming;
	return 0;
}

void vm_gaming_free(struct vm_options *o)
{
	struct vm_gaming *g = o->gaming;

	if (!g)
		return;
	free(g->lg_user);
	free(g->lg_file);
	for (size_t i = 0; i < g->n_inputs; i++)
		free(g->inputs[i].path);
	free(g->inputs);
	free(g->grab_toggle);
	free(g->usb);
	free(g);
	o->gaming = NULL;
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

uint64_t vm_lg_size_for(unsigned width, unsigned height)
{
	uint64_t need = (uint64_t)width * height * 4 * 2 + 10 * MIB, p = 1;

	while (p < need) {
		if (p > UINT64_MAX / 2)
			return 0;
		p <<= 1;
	}
	return p;
}

/* "32M", "32MiB", "1G", "1GiB" or bytes; binary units. */
static int parse_lg_size(const char *s, uint64_t *ret)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = {{"", 0},	  {"K", 10}, {"KiB", 10}, {"M", 20},
		     {"MiB", 20}, {"G", 30}, {"GiB", 30}};
	const char *p;
	uint64_t v;
	int r = safe_atou64_prefix(s, 10, &v, &p);

	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (strcasecmp(p, units[i].suffix) == 0) {
			if (v > (UINT64_MAX >> units[i].shift))
				return -ERANGE;
			*ret = v << units[i].shift;
			return 0;
		}
	return -EINVAL;
}

static int parse_looking_glass(const struct config *c, const struct config_entry *e,
			       struct vm_gaming *g, char **ret_error)
{
	uint64_t size;

	g->lg_line = e->line;
	g->lg_col = e->col_value;
	if (streq(e->value, "auto")) {
		g->lg_auto = true;
		return 0;
	}
	if (parse_lg_size(e->value, &size) < 0)
		return config_fail(c, e, 0, ret_error,
				   "looking-glass: expected auto or a size like 32M, not '%s'",
				   e->value);
	if (!is_pow2(size))
		return config_fail(
		    c, e, 0, ret_error,
		    "looking-glass: %s is not a power of two (32M, 64M, 128M, ...; auto "
		    "computes it from resolution)",
		    e->value);
	if (size < LG_MIN_SIZE || size > LG_MAX_SIZE)
		return config_fail(c, e, 0, ret_error, "looking-glass: %s is outside 1M to 2G",
				   e->value);
	g->lg_size = size;
	return 0;
}

static int parse_resolution(const struct config *c, const struct config_entry *e,
			    struct vm_gaming *g, char **ret_error)
{
	const char *v = e->value, *x = strchr(v, 'x');
	_cleanup_free_ char *w = NULL;
	unsigned width, height;

	if (!x)
		return config_fail(c, e, 0, ret_error,
				   "resolution: expected WIDTHxHEIGHT like 2560x1440, not '%s'", v);
	w = strndup(v, (size_t)(x - v));
	if (!w)
		return -ENOMEM;
	if (parse_uint(w, LG_MAX_DIM, &width) < 0 || width == 0)
		return config_fail(c, e, 0, ret_error,
				   "resolution: width '%s' is not a number from 1 to %u", w,
				   LG_MAX_DIM);
	if (parse_uint(x + 1, LG_MAX_DIM, &height) < 0 || height == 0)
		return config_fail(c, e, x + 1 - v, ret_error,
				   "resolution: height '%s' is not a number from 1 to %u", x + 1,
				   LG_MAX_DIM);
	g->lg_width = width;
	g->lg_height = height;
	return 0;
}

/* The name of a kvmfr device: /dev/kvmfrN (the module numbers them from 0). */
bool vm_lg_path_kvmfr(const char *path, unsigned *ret_index)
{
	const char *n = startswith(path, "/dev/kvmfr");
	unsigned idx;

	if (!n || parse_uint(n, 255, &idx) < 0)
		return false;
	if (ret_index)
		*ret_index = idx;
	return true;
}

const char *vm_lg_path(const struct vm_gaming *g, bool kvmfr0)
{
	if (g->lg_file)
		return g->lg_file;
	return kvmfr0 ? VM_LG_KVMFR_PATH : VM_LG_SHM_PATH;
}

/*
 * looking-glass-file: a file name in /dev/shm (what the client's -f takes, after the
 * directory), or a kvmfr device. No slash, no comma (QEMU's option separator), no dot
 * first: one plain file directly in /dev/shm.
 */
static int parse_lg_file(const struct config *c, const struct config_entry *e, struct vm_gaming *g,
			 char **ret_error)
{
	const char *v = e->value;
	char *p;

	if (startswith(v, "/dev/kvmfr")) {
		if (!vm_lg_path_kvmfr(v, NULL) || (v[10] == '0' && v[11]))
			return config_fail(
			    c, e, 0, ret_error,
			    "looking-glass-file: '%s' is not a kvmfr device (/dev/kvmfr0, "
			    "/dev/kvmfr1, ...)",
			    v);
		p = strdup(v);
	} else {
		if (!*v || strlen(v) > 64 || v[0] == '.' ||
		    strspn(v,
			   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
			strlen(v))
			return config_fail(
			    c, e, 0, ret_error,
			    "looking-glass-file: '%s' is not a file name for /dev/shm "
			    "(letters, digits, '-', '_', '.'; at most 64) or a /dev/kvmfrN "
			    "device",
			    v);
		if (asprintf(&p, "/dev/shm/%s", v) < 0)
			p = NULL;
	}
	if (!p)
		return -ENOMEM;
	free(g->lg_file);
	g->lg_file = p;
	g->lg_file_line = e->line;
	g->lg_file_col = e->col_value;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && streq(s + n - m, suffix);
}

/* The stable names udev gives input devices; eventN is numbered in probe order. */
static const char *const input_dirs[] = {"/dev/input/by-id/", "/dev/input/by-path/"};

static int parse_input(const struct config *c, const struct config_entry *e, struct vm_gaming *g,
		       char **ret_error)
{
	const char *v = e->value;

	for (size_t off = 0;;) {
		_cleanup_free_ char *p = NULL;
		const char *name = NULL, *ev;
		struct vm_input *ni;
		size_t len;

		off += strspn(v + off, WHITESPACE);
		if (!v[off])
			break;
		len = strcspn(v + off, WHITESPACE);
		p = strndup(v + off, len);
		if (!p)
			return -ENOMEM;
		ev = startswith(p, "/dev/input/event");
		if (ev && *ev && strspn(ev, "0123456789") == strlen(ev))
			return config_fail(c, e, off, ret_error,
					   "input: '%s': the number changes between boots; use its "
					   "/dev/input/by-id/ (or by-path/) name",
					   p);
		for (size_t i = 0; i < ARRAY_SIZE(input_dirs) && !name; i++)
			name = startswith(p, input_dirs[i]);
		if (!name || !*name || strchr(name, '/') || streq(name, ".") || streq(name, ".."))
			return config_fail(
			    c, e, off, ret_error,
			    "input: '%s' is not a /dev/input/by-id/ or /dev/input/by-path/ "
			    "device",
			    p);
		/* A comma would start another QEMU property; nothing else is special. */
		for (const char *q = name; *q; q++)
			if (*q == ',' || iscntrl((unsigned char)*q))
				return config_fail(
				    c, e, off, ret_error,
				    "input: '%s' contains a comma or control character", p);
		if (!strstr(name, "-event"))
			return config_fail(
			    c, e, off, ret_error,
			    "input: '%s' is not an evdev node (its name has no '-event'; "
			    "the by-id names without it are the legacy mouse/joystick nodes)",
			    p);
		for (size_t i = 0; i < g->n_inputs; i++)
			if (streq(g->inputs[i].path, p))
				return config_fail(c, e, off, ret_error,
						   "input: '%s' is listed twice", p);
		if (g->n_inputs == MAX_INPUTS)
			return config_fail(c, e, off, ret_error, "input: more than %d devices",
					   MAX_INPUTS);
		ni = realloc(g->inputs, (g->n_inputs + 1) * sizeof(*ni));
		if (!ni)
			return -ENOMEM;
		g->inputs = ni;
		ni[g->n_inputs++] = (struct vm_input){
		    .keyboard = ends_with(name, "-event-kbd"),
		    .line = e->line,
		    .col = e->col_value + (unsigned)off,
		    .path = TAKE_PTR(p),
		};
		off += len;
	}
	if (!g->n_inputs)
		return config_fail(c, e, 0, ret_error,
				   "input: expected /dev/input/by-id/... paths");
	return 0;
}

/* Four hex digits at s, no fifth: one half of a USB id. */
static bool hex4(const char *s, uint16_t *ret)
{
	const char *end;
	uint64_t v;

	if (safe_atou64_prefix(s, 16, &v, &end) < 0 || end != s + 4)
		return false;
	*ret = (uint16_t)v;
	return true;
}

static int parse_usb_devices(const struct config *c, const struct config_entry *e,
			     struct vm_gaming *g, char **ret_error)
{
	const char *v = e->value;

	for (size_t off = 0;;) {
		struct vm_usb_id id = {0}, *nu;
		const char *w;
		size_t len;

		off += strspn(v + off, WHITESPACE);
		w = v + off;
		if (!*w)
			break;
		len = strcspn(w, WHITESPACE);
		/* VVVV:PPPP as lsusb prints it. */
		if (len != 9 || w[4] != ':' || !hex4(w, &id.vendor) || !hex4(w + 5, &id.product))
			return config_fail(
			    c, e, off, ret_error,
			    "usb-devices: '%.*s' is not a USB id like 046d:c52b (lsusb "
			    "shows them)",
			    (int)len, w);
		id.line = e->line;
		id.col = e->col_value + (unsigned)off;
		if (id.vendor == 0)
			return config_fail(c, e, off, ret_error,
					   "usb-devices: vendor id 0000 matches any device");
		for (size_t i = 0; i < g->n_usb; i++)
			if (g->usb[i].vendor == id.vendor && g->usb[i].product == id.product)
				return config_fail(c, e, off, ret_error,
						   "usb-devices: '%.*s' is listed twice", (int)len,
						   w);
		if (g->n_usb == XHCI_MAX_PORTS)
			return config_fail(c, e, off, ret_error,
					   "usb-devices: more than %u devices", XHCI_MAX_PORTS);
		nu = realloc(g->usb, (g->n_usb + 1) * sizeof(*nu));
		if (!nu)
			return -ENOMEM;
		g->usb = nu;
		nu[g->n_usb++] = id;
		off += len;
	}
	if (!g->n_usb)
		return config_fail(c, e, 0, ret_error,
				   "usb-devices: expected USB ids like 046d:c52b");
	return 0;
}

int vm_gaming_parse_key(const struct config *c, const struct config_entry *e, struct vm_options *o,
			char **ret_error)
{
	const char *k = e->key;
	struct vm_gaming *g;
	int r;

	if (!streq(k, "looking-glass") && !streq(k, "looking-glass-user") &&
	    !streq(k, "looking-glass-file") && !streq(k, "resolution") && !streq(k, "input") &&
	    !streq(k, "input-grab-toggle") && !streq(k, "usb-devices"))
		return 0;
	r = gaming_get(o, &g);
	if (r < 0)
		return r;

	if (streq(k, "looking-glass"))
		r = parse_looking_glass(c, e, g, ret_error);
	else if (streq(k, "resolution"))
		r = parse_resolution(c, e, g, ret_error);
	else if (streq(k, "looking-glass-file"))
		r = parse_lg_file(c, e, g, ret_error);
	else if (streq(k, "looking-glass-user")) {
		if (!user_name_valid(e->value))
			return config_fail(c, e, 0, ret_error,
					   "looking-glass-user: invalid user name '%s'", e->value);
		free(g->lg_user);
		g->lg_user = strdup(e->value);
		if (!g->lg_user)
			return -ENOMEM;
		g->lg_user_line = e->line;
		g->lg_user_col = e->col_value;
	} else if (streq(k, "input"))
		r = parse_input(c, e, g, ret_error);
	else if (streq(k, "input-grab-toggle")) {
		bool found = false;

		for (size_t i = 0; i < ARRAY_SIZE(grab_toggles); i++)
			found = found || streq(e->value, grab_toggles[i]);
		if (!found)
			return config_fail(
			    c, e, 0, ret_error,
			    "input-grab-toggle: expected ctrl-ctrl, alt-alt, shift-shift, "
			    "meta-meta, scrolllock or ctrl-scrolllock, not '%s'",
			    e->value);
		free(g->grab_toggle);
		g->grab_toggle = strdup(e->value);
		if (!g->grab_toggle)
			return -ENOMEM;
	} else
		r = parse_usb_devices(c, e, g, ret_error);
	return r < 0 ? r : 1;
}

static const struct config_entry *gm_find(const struct config_section *s, const char *key)
{
	for (size_t i = 0; i < s->n_entries; i++)
		if (streq(s->entries[i].key, key))
			return &s->entries[i];
	return NULL;
}

int vm_gaming_check(const struct config *c, const struct config_section *s, struct vm_options *o,
		    char **ret_error)
{
	struct vm_gaming *g = o->gaming;
	const struct config_entry *lg = gm_find(s, "looking-glass"), *e;

	if (!g)
		return 0;
	e = gm_find(s, "resolution");
	if (e && !(lg && g->lg_auto))
		return config_fail(c, e, 0, ret_error,
				   "resolution: only used with looking-glass = auto");
	e = gm_find(s, "looking-glass-user");
	if (e && !lg)
		return config_fail(c, e, 0, ret_error,
				   "looking-glass-user: only used with looking-glass");
	e = gm_find(s, "looking-glass-file");
	if (e && !lg)
		return config_fail(c, e, 0, ret_error,
				   "looking-glass-file: only used with looking-glass");
	if (lg && !g->lg_user)
		return config_fail(
		    c, lg, 0, ret_error,
		    "looking-glass: needs looking-glass-user = NAME (the user who runs the "
		    "client; the shared memory is theirs)");
	if (lg && g->lg_auto) {
		if (!g->lg_width) {
			g->lg_width = VM_LG_DEFAULT_WIDTH;
			g->lg_height = VM_LG_DEFAULT_HEIGHT;
		}
		g->lg_size = vm_lg_size_for(g->lg_width, g->lg_height);
	}
	e = gm_find(s, "input-grab-toggle");
	if (e && !g->n_inputs)
		return config_fail(c, e, 0, ret_error, "input-grab-toggle: only used with input");
	if (g->n_inputs && !g->grab_toggle) {
		g->grab_toggle = strdup("ctrl-ctrl");
		if (!g->grab_toggle)
			return -ENOMEM;
	}
	e = gm_find(s, "usb-devices");
	if (e && g->n_usb + o->usb_redirect > XHCI_MAX_PORTS)
		return config_fail(
		    c, e, 0, ret_error,
		    "usb-devices: %zu devices and %u usb-redirect channels are more than "
		    "the %u ports of the xHCI controller",
		    g->n_usb, o->usb_redirect, XHCI_MAX_PORTS);
	return 0;
}

/* The paths the VM's memory may be: its own file, or either default (host-dependent). */
static bool lg_same(const struct vm_gaming *a, const struct vm_gaming *b)
{
	if (a->lg_file && b->lg_file)
		return streq(a->lg_file, b->lg_file);
	if (!a->lg_file && !b->lg_file)
		return true;
	return streq(a->lg_file ? a->lg_file : b->lg_file, VM_LG_SHM_PATH) ||
	       streq(a->lg_file ? a->lg_file : b->lg_file, VM_LG_KVMFR_PATH);
}

/* "user =" as configured, the default when unset: whom the udev rule hands devices to. */
static const char *usb_owner(const struct vm_config *vm)
{
	const char *u = vm_options(vm)->user;

	return u ? u : VM_USER_DEFAULT;
}

/*
 * One USB id in two VMs whose QEMU users differ: apply would write two udev rules for the
 * same device with different owners, and the last one read wins (issue 30). Refused at
 * the second VM's usb-devices entry. A VM of root gets no rule, so it conflicts with none.
 */
static int check_usb_owners(const struct config *c, const struct vm_config *const *prev,
			    size_t n_prev, const struct vm_config *vm, char **ret_error)
{
	const struct vm_gaming *g = vm_gaming(vm_options(vm));

	if (!g || streq(usb_owner(vm), "root"))
		return 0;
	for (size_t i = 0; i < n_prev; i++) {
		const struct vm_gaming *o = vm_gaming(vm_options(prev[i]));

		if (!o || streq(usb_owner(prev[i]), "root") ||
		    streq(usb_owner(prev[i]), usb_owner(vm)))
			continue;
		for (size_t j = 0; j < g->n_usb; j++)
			for (size_t k = 0; k < o->n_usb; k++) {
				if (g->usb[j].vendor != o->usb[k].vendor ||
				    g->usb[j].product != o->usb[k].product)
					continue;
				*ret_error = config_error(
				    c, g->usb[j].line, g->usb[j].col,
				    "usb-devices: %04x:%04x is in VM '%s' too, whose QEMU runs as "
				    "%s, not %s: a USB device has one owner (its udev rule); give "
				    "both VMs the same user =, or the device to one of them",
				    g->usb[j].vendor, g->usb[j].product, prev[i]->name,
				    usb_owner(prev[i]), usb_owner(vm));
				return *ret_error ? -EINVAL : -ENOMEM;
			}
	}
	return 0;
}

int vm_gaming_check_shared(const struct config *c, const struct vm_config *const *prev,
			   size_t n_prev, const struct vm_config *vm, char **ret_error)
{
	const struct vm_gaming *g = vm_gaming(vm_options(vm));
	int r;

	r = check_usb_owners(c, prev, n_prev, vm, ret_error);
	if (r < 0)
		return r;
	if (!g || !g->lg_size)
		return 0;
	for (size_t i = 0; i < n_prev; i++) {
		const struct vm_gaming *o = vm_gaming(vm_options(prev[i]));
		unsigned line = g->lg_file ? g->lg_file_line : g->lg_line;
		unsigned col = g->lg_file ? g->lg_file_col : g->lg_col;

		if (!o || !o->lg_size || !lg_same(g, o))
			continue;
		*ret_error = config_error(
		    c, line, col,
		    "looking-glass: VM '%s' would use the same shared memory (%s) as VM '%s', "
		    "and overwrite its frames; give each VM its own looking-glass-file (a name "
		    "in /dev/shm, or /dev/kvmfrN)",
		    vm->name,
		    g->lg_file	 ? g->lg_file
		    : o->lg_file ? o->lg_file
				 : VM_LG_SHM_PATH " or " VM_LG_KVMFR_PATH,
		    prev[i]->name);
		return *ret_error ? -EINVAL : -ENOMEM;
	}
	return 0;
}

const char *vm_gaming_xhci_ports(const struct vm_options *o, char buf[static 32])
{
	const struct vm_gaming *g = o->gaming;
	unsigned n = (g ? (unsigned)g->n_usb : 0) + o->usb_redirect;

	buf[0] = '\0';
	/* Each device takes a port of its speed; QEMU's default is four of each. */
	if (n > 4)
		snprintf(buf, 32, ",p2=%u,p3=%u", n, n);
	return buf;
}

_printf_(2, 3) static void add_arg(char ***l, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	if (!*l)
		return; /* an earlier failure */
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0 || strv_consume(l, s) < 0) {
		strv_free(*l);
		*l = NULL;
	}
}

int vm_gaming_args(const struct qemu_cmd_input *in, char ***ret)
{
	const struct vm_options *o = vm_options(in->vm);
	const struct vm_gaming *g = o->gaming;
	const char *root = in->path_root ? in->path_root : "";
	char **l = calloc(1, sizeof(char *));
	char ports[32];

	if (!l)
		return -ENOMEM;
	if (g && g->lg_size) {
		/*
		 * ivshmem-plain: shared memory without interrupts, which Looking Glass polls.
		 * The runner created the /dev/shm file (vm-shm.h); QEMU only maps it.
		 */
		add_arg(&l, "-object");
		add_arg(&l,
			"memory-backend-file,id=looking-glass,share=on,mem-path=%s%s,size=%" PRIu64
			"M",
			root, vm_lg_path(g, in->lg_kvmfr), g->lg_size / MIB);
		add_arg(&l, "-device");
		add_arg(&l, "ivshmem-plain,id=looking-glass0,memdev=looking-glass");
	}
	for (size_t i = 0; g && i < g->n_inputs; i++) {
		const struct vm_input *d = &g->inputs[i];

		add_arg(&l, "-object");
		/* The keyboard grabs every input-linux device on the toggle, and repeats keys. */
		if (d->keyboard)
			add_arg(&l,
				"input-linux,id=input%zu,evdev=%s%s,grab_all=on,repeat=on,"
				"grab-toggle=%s",
				i, root, d->path, g->grab_toggle);
		else
			add_arg(&l, "input-linux,id=input%zu,evdev=%s%s", i, root, d->path);
	}
	if (g && g->n_usb) {
		const char *bus = "usbredir";

		/* The SPICE controller when there is one (qemucmd.c), else one of its own. */
		if (!(o->spice != VM_SPICE_NONE && o->usb_redirect)) {
			bus = "usb";
			add_arg(&l, "-device");
			add_arg(&l, "qemu-xhci,id=usb%s", vm_gaming_xhci_ports(o, ports));
		}
		for (size_t i = 0; i < g->n_usb; i++) {
			add_arg(&l, "-device");
			/* Matched by id whenever it is plugged in, on any host port. */
			add_arg(&l,
				"usb-host,id=usbhost%zu,bus=%s.0,vendorid=0x%04x,productid=0x%04x",
				i, bus, g->usb[i].vendor, g->usb[i].product);
		}
	}
	if (!l)
		return -ENOMEM;
	*ret = l;
	return 0;
}
