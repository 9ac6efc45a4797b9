/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Windows 11 guests (issue 24), the pure parts: QEMU's firmware descriptors parsed, merged
 * and chosen from on a private root tree; the tpm, secure-boot and os keys; Windows 11's
 * requirements; the QEMU options and libvirt elements; the rule for an existing UEFI
 * variable store.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/config.h"
#include "features/fwdesc.h"
#include "core/qemu-input.h"
#include "features/win11-keys.h"
#include "basic/path.h"
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "tap.h"

static char root[] = "/tmp/gpt-bootcfg-unit-win11.XXXXXX";

static void put(const char *rel, const char *text)
{
	char p[512], cmd[600];
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", p);
	if (system(cmd) != 0)
		printf("# mkdir failed: %s\n", cmd);
	f = fopen(p, "we");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A firmware file of size bytes below the root. */
static void put_size(const char *rel, off_t size)
{
	char p[512];

	put(rel, "");
	snprintf(p, sizeof(p), "%s%s", root, rel);
	if (truncate(p, size) < 0)
		printf("# truncate %s failed\n", p);
}

/* A descriptor text: features (a JSON list body), code and vars, machines, mode line. */
static char *desc(const char *features, const char *code, const char *vars, const char *arch,
		  const char *machines, const char *extra_mapping)
{
	char *s = NULL;

	if (asprintf(&s,
		     "{ \"description\": \"test\", \"interface-types\": [ \"uefi\" ],\n"
		     "  \"mapping\": { \"device\": \"flash\", %s\n"
		     "    \"executable\": { \"filename\": \"%s\", \"format\": \"raw\" },\n"
		     "    \"nvram-template\": { \"filename\": \"%s\", \"format\": \"raw\" } },\n"
		     "  \"targets\": [ { \"architecture\": \"%s\", \"machines\": [ %s ] } ],\n"
		     "  \"features\": [ %s ], \"tags\": [ ] }\n",
		     extra_mapping, code, vars, arch, machines, features) < 0)
		return NULL;
	return s;
}

#define SB_FEATURES "\"acpi-s3\", \"enrolled-keys\", \"requires-smm\", \"secure-boot\""

static int parse(const char *text, const char *machine, struct fw_desc *d)
{
	return fw_desc_parse("/usr/share/qemu/firmware/x.json", text, strlen(text), machine, d);
}

static void test_desc_parse(void)
{
	struct fw_desc d = {0};
	char *t;
	int r;

	t = desc(SB_FEATURES, "/fw/CODE_SB.fd", "/fw/VARS_MS.fd", "x86_64", "\"pc-q35-*\"", "");
	r = parse(t, "pc-q35-7.2", &d);
	is_int(r, 1, "an enrolled Secure Boot descriptor for pc-q35-* is usable on pc-q35-7.2");
	is_str(d.code, "/fw/CODE_SB.fd", "its code");
	is_str(d.vars, "/fw/VARS_MS.fd", "its variable template");
	ok(d.secure_boot && d.enrolled_keys && d.requires_smm, "secure-boot, enrolled-keys, smm");
	fw_desc_done(&d);
	is_int(parse(t, NULL, &d), 1, "machine not known yet: any pc-q35-* matches");
	fw_desc_done(&d);
	free(t);

	t = desc("\"acpi-s3\"", "/fw/CODE.fd", "/fw/VARS.fd", "x86_64",
		 "\"pc-i440fx-*\", \"pc-q35-*\"", "");
	is_int(parse(t, "pc-q35-7.2", &d), 1, "the plain build parses");
	ok(!d.secure_boot && !d.enrolled_keys && !d.requires_smm, "without the features");
	fw_desc_done(&d);
	free(t);

	t = desc(SB_FEATURES, "/fw/C.fd", "/fw/V.fd", "x86_64", "\"pc-i440fx-*\"", "");
	is_int(parse(t, "pc-q35-7.2", &d), 0, "an i440fx-only firmware is not for q35");
	free(t);
	t = desc(SB_FEATURES, "/fw/C.fd", "/fw/V.fd", "x86_64", "\"pc-q35-8.*\"", "");
	is_int(parse(t, "pc-q35-7.2", &d), 0, "pc-q35-8.* is not for pc-q35-7.2");
	free(t);
	t = desc(SB_FEATURES, "/fw/C.fd", "/fw/V.fd", "aarch64", "\"virt-*\"", "");
	is_int(parse(t, "pc-q35-7.2", &d), 0, "another architecture");
	free(t);
	t = desc(SB_FEATURES, "/fw/C.fd", "/fw/V.fd", "x86_64", "\"pc-q35-*\"",
		 "\"mode\": \"stateless\",");
	is_int(parse(t, "pc-q35-7.2", &d), 0, "a stateless mapping has no variable file");
	free(t);
	t = desc(SB_FEATURES, "/fw/C.fd", "/fw/V.fd", "x86_64", "\"pc-q35-*\"",
		 "\"mode\": \"split\",");
	is_int(parse(t, "pc-q35-7.2", &d), 1, "\"split\" said aloud is the default");
	fw_desc_done(&d);
	free(t);

	is_int(parse("{\"interface-types\": [\"bios\"], \"mapping\": {\"device\": \"memory\", "
		     "\"filename\": \"/usr/share/seabios/bios-256k.bin\"}, \"targets\": "
		     "[{\"architecture\": \"x86_64\", \"machines\": [\"pc-q35-*\"]}], "
		     "\"features\": []}",
		     "pc-q35-7.2", &d),
	       0, "SeaBIOS (memory mapping) is not a pflash UEFI");
	is_int(parse("{\"interface-types\": [\"uefi\"], \"mapping\": {\"device\": \"flash\", "
		     "\"executable\": {\"filename\": \"/fw/C.qcow2\", \"format\": \"qcow2\"}, "
		     "\"nvram-template\": {\"filename\": \"/fw/V.qcow2\", \"format\": \"qcow2\"}}, "
		     "\"targets\": [{\"architecture\": \"x86_64\", \"machines\": [\"pc-q35-*\"]}], "
		     "\"features\": [\"secure-boot\"]}",
		     "pc-q35-7.2", &d),
	       0, "qcow2 files are not what the argv maps (format=raw)");
	is_int(parse("{not json", "pc-q35-7.2", &d), -EBADMSG, "not JSON");
	is_int(parse("[1, 2]", "pc-q35-7.2", &d), -EBADMSG, "not an object");
	is_int(parse("{\"interface-types\": [\"uefi\"], \"mapping\": {\"device\": \"flash\"}, "
		     "\"targets\": [{\"architecture\": \"x86_64\", \"machines\": \"pc-q35-*\"}]}",
		     "pc-q35-7.2", &d),
	       -EBADMSG, "machines must be a list");
	t = desc("\"secure-boot\", 7", "/fw/C.fd", "/fw/V.fd", "x86_64", "\"pc-q35-*\"", "");
	is_int(parse(t, "pc-q35-7.2", &d), -EBADMSG, "a feature that is not a string");
	free(t);
}

static void test_desc_load_and_select(struct path_cxt *pc)
{
	struct fw_desc *d = NULL;
	struct fw_choice c = {0};
	char *t, *why = NULL;
	size_t n = 0;

	/* Debian's three, by their priorities, with their files. */
	t = desc(SB_FEATURES, "/usr/share/OVMF/OVMF_CODE_4M.ms.fd",
		 "/usr/share/OVMF/OVMF_VARS_4M.ms.fd", "x86_64", "\"pc-q35-*\"", "");
	put("/usr/share/qemu/firmware/40-edk2-x86_64-secure-enrolled.json", t);
	free(t);
	t = desc("\"requires-smm\", \"secure-boot\"", "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd",
		 "/usr/share/OVMF/OVMF_VARS_4M.fd", "x86_64", "\"pc-q35-*\"", "");
	put("/usr/share/qemu/firmware/50-edk2-x86_64-secure.json", t);
	free(t);
	t = desc("\"acpi-s3\"", "/usr/share/OVMF/OVMF_CODE_4M.fd",
		 "/usr/share/OVMF/OVMF_VARS_4M.fd", "x86_64", "\"pc-i440fx-*\", \"pc-q35-*\"", "");
	put("/usr/share/qemu/firmware/60-edk2-x86_64.json", t);
	free(t);
	put("/usr/share/qemu/firmware/README", "not a descriptor");
	put("/usr/share/qemu/firmware/70-broken.json", "{");

	is_int(fw_desc_load(pc, "pc-q35-7.2", &d, &n), 0, "descriptors load");
	is_int(n, 3, "three usable (README and the broken one skipped)");
	if (n == 3) {
		is_str(d[0].name, "/usr/share/qemu/firmware/40-edk2-x86_64-secure-enrolled.json",
		       "in the order of their names");
		is_str(d[2].code, "/usr/share/OVMF/OVMF_CODE_4M.fd", "the plain one last");
	}

	is_int(fw_select_secure_boot(pc, d, n, NULL, NULL, &c, &why), -ENOENT,
	       "no firmware files yet: nothing to choose");
	ok(why && strstr(why, "apt install ovmf") && strstr(why, "ovmf-code and ovmf-vars"),
	   "the reason names the package and the keys: %s", why ? why : "(none)");
	free(why);
	why = NULL;

	put_size("/usr/share/OVMF/OVMF_CODE_4M.ms.fd", 4 << 20);
	put_size("/usr/share/OVMF/OVMF_VARS_4M.ms.fd", 540672);
	put_size("/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", 4 << 20);
	put_size("/usr/share/OVMF/OVMF_VARS_4M.fd", 540672);
	is_int(fw_select_secure_boot(pc, d, n, NULL, NULL, &c, &why), 0, "a firmware is chosen");
	is_str(c.code, "/usr/share/OVMF/OVMF_CODE_4M.ms.fd", "the enrolled descriptor's code");
	is_str(c.vars, "/usr/share/OVMF/OVMF_VARS_4M.ms.fd", "with Microsoft's keys");
	fw_choice_done(&c);
	is_int(fw_select_secure_boot(pc, d, n, "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", NULL, &c,
				     &why),
	       -ENOENT, "ovmf-code of a build without enrolled keys in any descriptor: refused");
	ok(why && strstr(why, "set both ovmf-code and ovmf-vars"), "which says to set both");
	free(why);
	why = NULL;
	fw_desc_free_array(d, n);

	/* /etc overrides by name: an empty file hides the packaged one, a new one comes first. */
	put("/etc/qemu/firmware/40-edk2-x86_64-secure-enrolled.json", "");
	t = desc(SB_FEATURES, "/opt/fw/SMALL_CODE.fd", "/opt/fw/SMALL_VARS.fd", "x86_64",
		 "\"pc-q35-*\"", "");
	put("/etc/qemu/firmware/10-small.json", t);
	free(t);
	t = desc(SB_FEATURES, "/opt/fw/BIG_CODE.fd", "/opt/fw/BIG_VARS.fd", "x86_64",
		 "\"pc-q35-*\"", "");
	put("/etc/qemu/firmware/20-big.json", t);
	free(t);
	put_size("/opt/fw/SMALL_CODE.fd", 2 << 20);
	put_size("/opt/fw/SMALL_VARS.fd", 128 << 10);
	is_int(fw_desc_load(pc, "pc-q35-7.2", &d, &n), 0, "descriptors with /etc load");
	is_int(n, 4, "the masked one is gone, two new ones");
	if (n == 4)
		is_str(d[0].name, "/etc/qemu/firmware/10-small.json", "/etc's first by name");
	is_int(fw_select_secure_boot(pc, d, n, NULL, NULL, &c, &why), 0, "chosen again");
	is_str(c.code, "/opt/fw/SMALL_CODE.fd", "a 2 MiB build when it is the only one there");
	fw_choice_done(&c);
	put_size("/opt/fw/BIG_CODE.fd", 4 << 20);
	put_size("/opt/fw/BIG_VARS.fd", 540672);
	is_int(fw_select_secure_boot(pc, d, n, NULL, NULL, &c, &why), 0, "chosen with both");
	is_str(c.code, "/opt/fw/BIG_CODE.fd", "a 4 MiB build is preferred over an earlier 2 MiB");
	is_str(c.source, "/etc/qemu/firmware/20-big.json", "the source names the descriptor");
	fw_choice_done(&c);
	is_int(fw_select_secure_boot(pc, d, n, NULL, "/opt/fw/SMALL_VARS.fd", &c, &why), 0,
	       "ovmf-vars narrows the choice");
	is_str(c.code, "/opt/fw/SMALL_CODE.fd", "to the descriptor with that template");
	fw_choice_done(&c);
	fw_desc_free_array(d, n);

	/* No descriptors at all: Debian's names, when they exist. */
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd),
			 "rm -rf '%s/etc/qemu' '%s/usr/share/qemu' '%s/usr/share/OVMF'", root, root,
			 root);
		if (system(cmd) != 0)
			printf("# rm failed\n");
	}
	is_int(fw_desc_load(pc, NULL, &d, &n), 0, "no descriptor directories: fine");
	is_int(n, 0, "and none found");
	is_int(fw_select_secure_boot(pc, d, n, NULL, NULL, &c, &why), -ENOENT,
	       "Debian's fallback needs its files");
	free(why);
	why = NULL;
	put_size("/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", 4 << 20);
	is_int(fw_select_secure_boot(pc, d, n, NULL, NULL, &c, &why), -ENOENT,
	       "nor with the code alone");
	free(why);
	why = NULL;
	put_size("/usr/share/OVMF/OVMF_VARS_4M.ms.fd", 540672);
	is_int(fw_select_secure_boot(pc, d, n, NULL, NULL, &c, &why), 0,
	       "without descriptors: Debian's file names");
	is_str(c.code, FW_DEBIAN_SB_CODE, "OVMF_CODE_4M.secboot.fd");
	is_str(c.vars, FW_DEBIAN_SB_VARS, "OVMF_VARS_4M.ms.fd");
	fw_choice_done(&c);
	fw_desc_free_array(d, n);
}

/* A [vm w] section from text: the config, or NULL with the error in *ret_err (may be NULL). */
static struct config *parse_vm(const char *vm_lines, char **ret_err)
{
	struct config *c = NULL;
	char *err = NULL, *text = NULL;

	if (asprintf(&text, "[vm w]\nmemory = 2G\nhugepage-size = none\n%s", vm_lines) < 0)
		return NULL;
	if (config_parse_string("/etc/gpt-bootcfg/gpt-bootcfg.conf", text, strlen(text), &c, &err) <
	    0)
		c = NULL;
	if (ret_err)
		*ret_err = err;
	else
		free(err);
	free(text);
	return c;
}

/* The error a [vm w] with these lines gives (NULL when it parses). */
static char *vm_error(const char *vm_lines)
{
	char *err = NULL;
	struct config *c = parse_vm(vm_lines, &err);

	config_free(c);
	return err;
}

static void test_keys(void)
{
	struct config *c = parse_vm("vcpus = 1\ntpm = yes\nsecure-boot = on\nos = windows11\n", NULL);
	const struct vm_win11 *w = c ? vm_win11(vm_options(c->vms[0])) : NULL;
	char *err;

	if (!ok(w, "tpm, secure-boot and os parse"))
		return;
	ok(w->tpm && w->tpm_line == 5 && w->tpm_col == 7, "tpm = yes at 5:7");
	ok(w->secure_boot && w->sb_line == 6, "secure-boot = on (a boolean)");
	is_int(w->os, VM_OS_WINDOWS11, "os = windows11");
	ok(!w->ovmf_code_set && !w->ovmf_vars_set, "no ovmf-code/ovmf-vars");

	/* Windows 11 with 1 vCPU and 2 GiB: the vCPUs and memory missed. */
	{
		_cleanup_strv_free_ char **warn = calloc(1, sizeof(char *));
		struct vm_win11 bare = {.os = VM_OS_WINDOWS11};

		is_int(vm_win11_requirements(c->vms[0], w, &warn), 0, "requirements checked");
		is_int(strv_length(warn), 2, "vCPUs and memory missed");
		is_str(warn[0], "VM 'w': Windows 11 needs at least 2 vCPUs, this VM has 1 (vcpus)",
		       "the vCPU warning");
		is_str(warn[1],
		       "VM 'w': Windows 11 needs at least 4 GiB of memory, this VM has 2048 MiB "
		       "(memory)",
		       "the memory warning");
		strv_free(warn);
		warn = calloc(1, sizeof(char *));
		vm_win11_requirements(c->vms[0], &bare, &warn);
		is_int(strv_length(warn), 4, "without TPM and Secure Boot: four");
		ok(warn[2] && strstr(warn[2], "set tpm = yes"), "the TPM warning says what to set");
		ok(warn[3] && strstr(warn[3], "set secure-boot = yes"), "so does Secure Boot's");
	}
	{
		_cleanup_strv_free_ char **warn = calloc(1, sizeof(char *));
		struct vm_win11 other = {.os = VM_OS_WINDOWS10};

		vm_win11_requirements(c->vms[0], &other, &warn);
		is_int(strv_length(warn), 0, "os = windows10: no Windows 11 warnings");
		vm_win11_requirements(c->vms[0], NULL, &warn);
		is_int(strv_length(warn), 0, "no keys: none");
	}
	config_free(c);

	c = parse_vm("vcpus = 2\n", NULL);
	ok(c && !vm_win11(vm_options(c->vms[0])), "none of the keys: no state");
	config_free(c);
	c = parse_vm("secure-boot = yes\novmf-code = /opt/C.fd\n", NULL);
	ok(c && vm_win11(vm_options(c->vms[0]))->ovmf_code_set &&
	       !vm_win11(vm_options(c->vms[0]))->ovmf_vars_set,
	   "ovmf-code recorded as set");
	config_free(c);
	for (enum vm_os o = VM_OS_OTHER; o <= VM_OS_LINUX; o++) {
		char line[32];

		snprintf(line, sizeof(line), "os = %s\n", vm_os_to_string(o));
		c = parse_vm(line, NULL);
		ok(c && vm_win11(vm_options(c->vms[0]))->os == o, "os = %s round trip",
		   vm_os_to_string(o));
		config_free(c);
	}

	err = vm_error("tpm = maybe\n");
	is_str(err, "/etc/gpt-bootcfg/gpt-bootcfg.conf:4:7: tpm: expected yes or no, not 'maybe'",
	       "tpm = maybe: FILE:LINE:COL");
	free(err);
	err = vm_error("secure-boot = 2\n");
	is_str(err, "/etc/gpt-bootcfg/gpt-bootcfg.conf:4:15: secure-boot: expected yes or no, not '2'",
	       "secure-boot = 2");
	free(err);
	err = vm_error("os = Windows11\n");
	is_str(err,
	       "/etc/gpt-bootcfg/gpt-bootcfg.conf:4:6: os: expected windows11, windows10, linux or "
	       "other, not 'Windows11'",
	       "os is case-sensitive, its message lists the values");
	free(err);
	err = vm_error("tpm = yes\ntpm = no\n");
	is_str(err, "/etc/gpt-bootcfg/gpt-bootcfg.conf:5:1: 'tpm' is already set on line 4",
	       "tpm twice");
	free(err);
	err = vm_error("firmware = bios\nsecure-boot = yes\n");
	is_str(err,
	       "/etc/gpt-bootcfg/gpt-bootcfg.conf:5:15: secure-boot: needs firmware = ovmf (SeaBIOS "
	       "has no Secure Boot)",
	       "Secure Boot on SeaBIOS: refused at the secure-boot value");
	free(err);
	err = vm_error("firmware = bios\ntpm = yes\n");
	ok(!err, "a TPM on SeaBIOS is fine");
	free(err);

	c = parse_vm("vcpus = 2\nfirmware = bios\nos = windows11\n", NULL);
	if (ok(c, "Windows 11 on SeaBIOS parses")) {
		_cleanup_strv_free_ char **warn = calloc(1, sizeof(char *));

		vm_win11_requirements(c->vms[0], vm_win11(vm_options(c->vms[0])), &warn);
		is_int(strv_length(warn), 3, "memory, TPM, Secure Boot");
		ok(warn[2] && strstr(warn[2], "set secure-boot = yes and firmware = ovmf"),
		   "Windows 11 on SeaBIOS: the warning names firmware = ovmf too");
	}
	config_free(c);
}

static void test_qemu_and_libvirt(void)
{
	struct config *c = parse_vm("tpm = yes\nsecure-boot = yes\n", NULL);
	struct qemu_cmd_input in = {.vm = c ? c->vms[0] : NULL};
	struct vm_win11 tpm = {.tpm = true}, sb = {.secure_boot = true};
	_cleanup_strv_free_ char **a = NULL, **b = NULL, **none = NULL;
	_cleanup_free_ char *ja = NULL, *jb = NULL;
	struct strbuf sbuf = STRBUF_INIT;
	struct xml_writer w;

	if (!ok(c, "a TPM and Secure Boot VM parses"))
		return;
	is_int(vm_win11_qemu_args(&in, &a), 0, "the feature's arguments");
	ja = strv_join(a, " ");
	is_str(ja,
	       "-chardev socket,id=chrtpm,path=/run/gpt-bootcfg/w.swtpm "
	       "-tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-crb,tpmdev=tpm0",
	       "the chardev on swtpm's socket, the emulator backend, a CRB TPM");
	is_int(vm_win11_tpm_args(&tpm, "/tmp/r", "v", &b), 0, "arguments below a run root");
	jb = strv_join(b, " ");
	is_str(jb,
	       "-chardev socket,id=chrtpm,path=/tmp/r/run/gpt-bootcfg/v.swtpm "
	       "-tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-crb,tpmdev=tpm0",
	       "the socket below the root");
	is_int(vm_win11_tpm_args(&sb, "", "v", &none), 0, "Secure Boot only");
	is_int(strv_length(none), 0, "no arguments of the feature (the firmware's are qemucmd's)");

	xml_init(&w, &sbuf);
	xml_begin(&w, "devices");
	vm_win11_export_libvirt(&w, &in);
	xml_end(&w);
	is_int(xml_finish(&w), 0, "libvirt element written");
	is_str(strbuf_str(&sbuf),
	       "<devices>\n"
	       "  <tpm model='tpm-crb'>\n"
	       "    <backend type='emulator' version='2.0'/>\n"
	       "  </tpm>\n"
	       "</devices>\n",
	       "a tpm-crb with an emulated TPM 2.0");
	strbuf_release(&sbuf);
	config_free(c);
}

static void test_vars_rule(void)
{
	_cleanup_free_ char *sb = NULL, *plain = NULL, *why = NULL;

	is_int(vm_vars_origin_text(true, "/usr/share/OVMF/OVMF_VARS_4M.ms.fd", &sb), 0, "origin");
	is_int(vm_vars_origin_text(false, "/usr/share/OVMF/OVMF_VARS_4M.fd", &plain), 0, "plain");
	ok(strstr(sb, "\nsecure-boot yes\ntemplate /usr/share/OVMF/OVMF_VARS_4M.ms.fd\n") != NULL,
	   "the record names Secure Boot and the template");
	is_int(vm_vars_verdict(true, false, NULL), VM_VARS_CREATE, "no store: made");
	is_int(vm_vars_verdict(false, false, sb), VM_VARS_CREATE, "no store, stale record: made");
	is_int(vm_vars_verdict(true, true, sb), VM_VARS_KEEP, "SB store, SB wanted: kept");
	is_int(vm_vars_verdict(false, true, plain), VM_VARS_KEEP, "plain store, plain: kept");
	is_int(vm_vars_verdict(false, true, NULL), VM_VARS_KEEP, "an old store without record");
	is_int(vm_vars_verdict(true, true, plain), VM_VARS_REFUSE_SB_ON,
	       "plain store, Secure Boot switched on: refused");
	is_int(vm_vars_verdict(true, true, NULL), VM_VARS_REFUSE_SB_ON,
	       "a store from before this feature had no keys: refused");
	is_int(vm_vars_verdict(false, true, sb), VM_VARS_WARN_SB_OFF,
	       "SB store, Secure Boot switched off: a warning");
	is_int(vm_vars_verdict(true, true, "template /x\nsecure-boot yesno\n"),
	       VM_VARS_REFUSE_SB_ON, "only a whole line counts");
	is_int(vm_vars_refusal("win11", &why), 0, "refusal text");
	ok(strstr(why, "mv /var/lib/gpt-bootcfg/win11/OVMF_VARS.fd "
		       "/var/lib/gpt-bootcfg/win11/OVMF_VARS.fd.old") != NULL,
	   "the refusal gives the command that moves the store aside: %s", why);
}

int main(void)
{
	struct path_cxt *pc = NULL;
	char cmd[128];

	if (!mkdtemp(root) || path_cxt_new(root, &pc) < 0) {
		printf("Bail out! cannot make a root\n");
		return 1;
	}
	test_desc_parse();
	test_desc_load_and_select(pc);
	test_keys();
	test_qemu_and_libvirt();
	test_vars_rule();
	path_cxt_free(pc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		printf("# cleanup failed\n");
	return done_testing();
}
