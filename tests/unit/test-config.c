/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/config.h"
#include "basic/fileio.h"
#include "tap.h"

/* Parse text; on success return 0 and free; on failure compare the message. */
static void expect_error_n(const char *text, size_t n, const char *want, const char *what)
{
	struct config *c = NULL;
	char *err = NULL;
	int r = config_parse_string("/etc/t.conf", text, n, &c, &err);

	is_int(r, -EINVAL, "%s: rejected", what);
	is_str(err, want, "%s: message", what);
	ok(c == NULL, "%s: no config returned", what);
	free(err);
	config_free(c);
}

static void expect_error(const char *text, const char *want, const char *what)
{
	expect_error_n(text, strlen(text), want, what);
}

static void test_good(void)
{
	static const char text[] = "# comment\n"
				   "; another\n"
				   "[host]\n"
				   "isolate-cpus = yes\n"
				   "acs-override=no\n"
				   "  allow-unsafe-interrupts = off  \r\n"
				   "cmdline = \"console=ttyS0,115200 quiet\"\n"
				   "\n"
				   "[device gpu]\n"
				   "address = 65:00.0\n"
				   "id = 10de:1c03\n"
				   "subsystem = 1462:3285\n"
				   "class = 030000\n"
				   "override = group-shared, boot-vga\n"
				   "[ device  gpu-audio ]   # trailing comment\n"
				   "address = 0000:65:00.1\n";
	struct config *c = NULL;
	char *err = NULL;
	const struct device_config *d;
	const struct config_entry *e;

	is_int(config_parse_string("/etc/t.conf", text, sizeof(text) - 1, &c, &err), 0, "good config");
	if (!c) {
		printf("# %s\n", err);
		free(err);
		return;
	}
	is_int(c->n_sections, 3, "three sections");
	is_int(c->n_devices, 2, "two devices");
	ok(c->host.isolate_cpus, "isolate-cpus");
	ok(!c->host.acs_override, "acs-override");
	ok(!c->host.allow_unsafe_interrupts, "allow-unsafe-interrupts (CRLF line)");
	is_int(strv_length(c->host.extra_cmdline), 2, "cmdline split");
	is_str(c->host.extra_cmdline[0], "console=ttyS0,115200", "quoted value keeps commas");
	d = config_find_device(c, "gpu");
	ok(d != NULL, "device gpu");
	if (d) {
		is_str(d->address, "0000:65:00.0", "short address canonical");
		ok(d->has_id && d->vendor == 0x10de && d->device == 0x1c03, "id");
		ok(d->has_subsystem && d->subsystem_vendor == 0x1462, "subsystem");
		ok(d->has_class && d->class == 0x030000, "class");
		is_int(strv_length(d->allow), 2, "two overrides");
		is_str(d->allow[1], "boot-vga", "override list");
		e = config_section_get(d->section, "id");
		ok(e && e->line == 11 && e->col_key == 1 && e->col_value == 6, "positions of id");
	}
	d = config_find_device(c, "gpu-audio");
	ok(d && streq(d->address, "0000:65:00.1"), "spaced section header");
	ok(config_find_device(c, "nope") == NULL, "absent device");
	e = config_section_get(&c->sections[0], "allow-unsafe-interrupts");
	ok(e && e->col_key == 3, "indented key column");
	config_free(c);
}

static void test_errors(void)
{
	char longline[5000];

	expect_error("[frob]\n", "/etc/t.conf:1:2: unknown section type 'frob' (expected host, device or vm)",
		     "bad section type");
	expect_error("[device gpu\n", "/etc/t.conf:1:1: section header without closing ']'",
		     "unclosed section");
	expect_error("\n[device]\n", "/etc/t.conf:2:1: [device] needs a name: [device NAME]",
		     "device without name");
	expect_error("[host x]\n", "/etc/t.conf:1:7: [host] takes no name", "host with name");
	expect_error("[device g/u]\n",
		     "/etc/t.conf:1:9: invalid name (use up to 64 letters, digits, '-', '_', '.')",
		     "bad name");
	expect_error("[host]\n[host]\n", "/etc/t.conf:2:1: duplicate [host] section (first at line 1)",
		     "duplicate host");
	expect_error("[device a]\naddress=65:00.0\n[device a]\naddress=66:00.0\n",
		     "/etc/t.conf:3:1: duplicate section [device a] (first at line 1)",
		     "duplicate device section");
	expect_error("[device a]\naddress=65:00.0\n[device b]\naddress = 0000:65:00.0\n",
		     "/etc/t.conf:3:1: duplicate device 0000:65:00.0: already configured as "
		     "[device a] at line 1",
		     "duplicate device address");
	expect_error("[device a]\naddress = 65:0.0x\n",
		     "/etc/t.conf:2:11: invalid PCI address '65:0.0x' (expected DDDD:BB:DD.F, "
		     "e.g. 0000:65:00.0)",
		     "bad address");
	expect_error("[device a]\n  colour = red\naddress=65:00.0\n",
		     "/etc/t.conf:2:3: unknown key 'colour' in [device a] (see gpt-bootcfg.conf(5))",
		     "unknown device key");
	expect_error("[host]\nfoo = 1\n",
		     "/etc/t.conf:2:1: unknown key 'foo' in [host] (see gpt-bootcfg.conf(5))",
		     "unknown host key");
	expect_error("[device a]\nid = 10de:1c03\n", "/etc/t.conf:1:1: [device a] has no 'address'",
		     "missing address");
	expect_error("address = 1\n",
		     "/etc/t.conf:1:1: key outside of a section (start with [host], [device NAME] "
		     "or [vm NAME])",
		     "key before section");
	expect_error("[host]\njust words\n", "/etc/t.conf:2:1: expected 'key = value'", "no equals");
	expect_error("[host]\nisolate-cpus = maybe\n",
		     "/etc/t.conf:2:16: isolate-cpus: expected yes or no, not 'maybe'", "bad bool");
	expect_error("[host]\nisolate-cpus = yes\nisolate-cpus = no\n",
		     "/etc/t.conf:3:1: duplicate key 'isolate-cpus' (first at line 2)", "duplicate key");
	expect_error("[host]\ncmdline = quiet selinux=0\n",
		     "/etc/t.conf:2:11: cmdline: 'selinux=0' is not needed for passthrough and is "
		     "refused",
		     "selinux=0 refused");
	expect_error("[device a]\naddress=65:00.0\noverride = frob\n",
		     "/etc/t.conf:3:12: override: unknown reason 'frob'", "unknown override");
	expect_error("[device a]\naddress=65:00.0\noverride = not-found\n",
		     "/etc/t.conf:3:12: override: 'not-found' cannot be overridden",
		     "non-overridable reason");
	expect_error("[host]\ncmdline = \"quiet\n", "/etc/t.conf:2:11: unterminated quoted value",
		     "unterminated quote");
	expect_error("[host]\nKey = 1\n",
		     "/etc/t.conf:2:1: invalid character in key (use a-z, 0-9, '-', '_')",
		     "uppercase key");
	expect_error("[device a]\naddress=65:00.0\nid = 10de\n",
		     "/etc/t.conf:3:6: invalid id '10de' (expected VENDOR:DEVICE, e.g. 10de:1c03)",
		     "bad id");
	expect_error_n("[host]\n\0x\n", 10, "/etc/t.conf:2: file contains a NUL byte (not a text file?)",
		     "NUL byte");

	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	expect_error(longline, "/etc/t.conf:1:4097: line too long (at most 4096 bytes)", "long line");
}

/* Every prefix of a valid file must parse or fail cleanly: a cheap fuzz under ASan. */
static void test_prefixes(void)
{
	static const char text[] = "[host]\nisolate-cpus = yes\n[device gpu]\naddress = 65:00.0\n"
				   "id = 10de:1c03\noverride = \"boot-vga\"\n[device x]\naddress=1:2.3\n";
	int bad = 0;

	for (size_t n = 0; n <= sizeof(text) - 1; n++) {
		struct config *c = NULL;
		char *err = NULL;
		int r = config_parse_string("/t", text, n, &c, &err);

		if ((r < 0) != (c == NULL) || (r == -EINVAL && !err))
			bad++;
		free(err);
		config_free(c);
	}
	is_int(bad, 0, "every prefix parses or fails with a message");
}

static void test_file(void)
{
	char tmpl[] = "/tmp/test-config.XXXXXX";
	char *root = mkdtemp(tmpl), p[4200];
	struct path_cxt *pc = NULL;
	struct config *c = NULL;
	char *err = NULL;
	static const char text[] = "[device gpu]\naddress = 0000:65:00.0\n";

	ok(root != NULL, "temporary root");
	is_int(path_cxt_new(root, &pc), 0, "context");
	is_int(path_write_atomic(pc, "/etc/gpt-bootcfg/gpt-bootcfg.conf", text, sizeof(text) - 1, 0644),
	       0, "config written");
	is_int(config_load(pc, "/etc/gpt-bootcfg/gpt-bootcfg.conf", &c, &err), 0, "loads");
	ok(c && c->n_devices == 1, "one device");
	config_free(c);
	c = NULL;

	snprintf(p, sizeof(p), "%s/etc/gpt-bootcfg/gpt-bootcfg.conf", root);
	ok(chmod(p, 0666) == 0, "chmod 0666");
	is_int(config_load(pc, "/etc/gpt-bootcfg/gpt-bootcfg.conf", &c, &err), -EPERM,
	       "world-writable refused");
	is_str(err,
	       "/etc/gpt-bootcfg/gpt-bootcfg.conf: mode 0666 is world-writable; refusing a file "
	       "that drives root services (chmod go-w /etc/gpt-bootcfg/gpt-bootcfg.conf)",
	       "world-writable message");
	free(err);
	err = NULL;
	ok(chmod(p, 0620) == 0, "chmod 0620");
	is_int(config_load(pc, "/etc/gpt-bootcfg/gpt-bootcfg.conf", &c, &err), -EPERM,
	       "group-writable refused");
	free(err);
	err = NULL;
	ok(chmod(p, 0644) == 0 && chown(p, 1000, 0) == 0, "chown 1000");
	is_int(config_load(pc, "/etc/gpt-bootcfg/gpt-bootcfg.conf", &c, &err), -EPERM,
	       "not root-owned refused");
	ok(err && strstr(err, "owned by uid 1000, not root"), "owner message: %s", err);
	free(err);
	err = NULL;
	is_int(config_load(pc, "/etc/gpt-bootcfg/missing.conf", &c, &err), -ENOENT, "missing file");

	path_cxt_free(pc);
	snprintf(p, sizeof(p), "rm -rf %s", root);
	(void)!system(p);
}

static void test_vm(void)
{
	static const char text[] = "[device gpu]\naddress = 65:00.0\n"
				   "[vm win]\ndevices = gpu\nmemory = 16G\nautostart = yes\n";
	struct config *c = NULL;
	char *err = NULL;

	is_int(config_parse_string("/etc/t.conf", text, sizeof(text) - 1, &c, &err), 0,
	       "[vm] section handed to vm_config_parse");
	ok(c && c->n_vms == 1 && config_find_vm(c, "win"), "vm found by name");
	ok(c && c->n_vms == 1 && c->vms[0]->autostart && c->vms[0]->memory == (16ull << 30),
	   "vm keys parsed");
	config_free(c);
	free(err);
	c = NULL;
	err = NULL;
	is_int(config_parse_string("/etc/t.conf", "[vm win]\ndevices = nope\n", 24, &c, &err),
	       -EINVAL, "vm with unknown device rejected");
	ok(err && strncmp(err, "/etc/t.conf:2:", 14) == 0, "vm error has FILE:LINE: %s", err);
	free(err);
	config_free(c);
}

int main(void)
{
	test_good();
	test_vm();
	test_errors();
	test_prefixes();
	test_file();
	return done_testing();
}
