/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pure parts of the boot stack (issue 26): our line in /etc/kernel/cmdline
 * (core/kcmdline.h: set and strip give back the admin's bytes exactly, newline or not),
 * systemd-boot's type 1 entries and their boot counters (shared/bootentry.h), and which
 * generator built an image (shared/initramfs.h). Trees and real images:
 * tests/integration/test-bootstack.sh, tests/integration/test-initramfs-dracut.sh.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "core/kcmdline.h"
#include "shared/bootentry.h"
#include "shared/initramfs.h"
#include "tap.h"

/* set then strip: the admin's bytes come back, and the line is where it is expected. */
static void round_trip(const char *admin, const char *want_set, const char *what)
{
	char *set = NULL, *back = NULL, *again = NULL, *line = NULL;
	bool found = false;

	is_int(kcmdline_block_set(admin, "gpt_bootcfg.generation=3 iommu=pt", &set), 0, "%s: set",
	       what);
	is_str(set, want_set, "%s: our line added", what);
	is_int(kcmdline_block_get(set, &line), 1, "%s: our line found", what);
	is_str(line, "gpt_bootcfg.generation=3 iommu=pt", "%s: our line read back", what);
	is_int(kcmdline_block_strip(set, &back, &found), 0, "%s: strip", what);
	ok(found, "%s: strip found the line", what);
	is_str(back, admin, "%s: the admin's bytes again", what);
	free(line);
	line = NULL;
	is_int(kcmdline_block_set(set, "gpt_bootcfg.generation=4 iommu=pt hugepages=8", &again), 0,
	       "%s: set again", what);
	free(back);
	back = NULL;
	is_int(kcmdline_block_strip(again, &back, &found), 0, "%s: strip the new line", what);
	is_str(back, admin, "%s: still the admin's bytes after a replaced line", what);
	free(set);
	free(back);
	free(again);
}

static void test_kcmdline(void)
{
	char *s = NULL, *back = NULL;
	bool found = true;
	char *const params[] = {"intel_iommu=on", "iommu=pt", NULL};

	is_int(kcmdline_line(7, params, &s), 0, "kcmdline_line");
	is_str(s, "gpt_bootcfg.generation=7 intel_iommu=on iommu=pt", "the mark, then the params");
	free(s);
	round_trip("root=UUID=x ro quiet\n",
		   "root=UUID=x ro quiet\ngpt_bootcfg.generation=3 iommu=pt\n",
		   "a file ending in a newline");
	round_trip("root=UUID=x ro quiet",
		   "root=UUID=x ro quiet\ngpt_bootcfg.generation=3 iommu=pt",
		   "a file without its last newline");
	round_trip("", "gpt_bootcfg.generation=3 iommu=pt\n", "an empty file");
	round_trip("root=/dev/sda1\n\nquiet\n",
		   "root=/dev/sda1\n\nquiet\ngpt_bootcfg.generation=3 iommu=pt\n", "several lines");
	/* A line the admin added after ours stays, and ours goes with its own newline. */
	is_int(kcmdline_block_strip("a\ngpt_bootcfg.generation=3 x\nb\n", &back, &found), 0,
	       "strip from the middle");
	is_str(back, "a\nb\n", "the admin's lines around ours stay");
	free(back);
	is_int(kcmdline_block_strip("a b c\n", &back, &found), 0, "strip without a line");
	ok(!found, "nothing found");
	is_str(back, "a b c\n", "unchanged");
	free(back);
	/* The mark counts only at the start of a line: the admin's own words are theirs. */
	is_int(kcmdline_block_get("root=x gpt_bootcfg.generation=3\n", &s), 0,
	       "the mark inside the admin's line is not our line");
	is_int(kcmdline_block_set("a\n", "bad\nline", &s), -EINVAL, "a line with a newline");
}

static void test_entries(void)
{
	struct boot_entry e;
	char *k;

	is_int(boot_entry_parse("abc-6.1.0-57-amd64.conf",
				"# comment\n"
				"title      Debian GNU/Linux 12 (bookworm)\n"
				"version    6.1.0-57-amd64\n"
				"machine-id abc\n"
				"sort-key   debian\n"
				"options    root=UUID=x ro\n"
				"options    quiet\n"
				"linux      /abc/6.1.0-57-amd64/linux\n"
				"initrd     /abc/6.1.0-57-amd64/microcode\n"
				"initrd     /abc/6.1.0-57-amd64/initrd.img-6.1.0-57-amd64\n"
				"unknown-key kept out\n",
				&e),
	       0, "parse kernel-install's entry");
	is_str(e.id, "abc-6.1.0-57-amd64.conf", "id without a counter is the name");
	is_int(e.tries_left, -1, "no counter");
	is_str(e.title, "Debian GNU/Linux 12 (bookworm)", "title");
	is_str(e.options, "root=UUID=x ro quiet", "options lines joined");
	is_str(e.linux_path, "/abc/6.1.0-57-amd64/linux", "linux");
	is_int(strv_length(e.initrds), 2, "two initrd lines");
	is_str(e.initrds[1], "/abc/6.1.0-57-amd64/initrd.img-6.1.0-57-amd64", "in order");
	k = boot_entry_kernel(&e);
	is_str(k, "6.1.0-57-amd64", "kernel from version");
	free(k);
	free(e.version);
	e.version = NULL;
	k = boot_entry_kernel(&e);
	is_str(k, "6.1.0-57-amd64", "kernel from the linux path without a version");
	free(k);
	boot_entry_done(&e);

	is_int(boot_entry_parse("gpt-bootcfg-trial+0-1.conf", "linux /x\n", &e), 0, "counted");
	is_str(e.id, "gpt-bootcfg-trial.conf", "the counter is not part of the id");
	is_int(e.tries_left, 0, "no tries left");
	is_int(e.tries_done, 1, "one done");
	boot_entry_done(&e);
	is_int(boot_entry_parse("gpt-bootcfg-trial+1.conf", "", &e), 0, "counted, none done");
	is_str(e.id, "gpt-bootcfg-trial.conf", "id");
	is_int(e.tries_left, 1, "one try left");
	is_int(e.tries_done, 0, "none done");
	boot_entry_done(&e);
	is_int(boot_entry_parse("c++.conf", "", &e), 0, "a plus that is no counter");
	is_str(e.id, "c++.conf", "the name stays");
	boot_entry_done(&e);
	is_int(boot_entry_parse("not-an-entry", "", &e), -EINVAL, "a name without .conf");
}

static void cpio_entry(struct strbuf *sb, const char *name, unsigned mode, const char *data)
{
	size_t namesize = strlen(name) + 1, size = strlen(data);

	strbuf_printf(sb, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X", 0, mode,
		      0, 0, 1, 0, size, 0, 0, 0, 0, namesize, 0);
	strbuf_putn(sb, name, namesize);
	while (sb->len % 4)
		strbuf_putc(sb, '\0');
	strbuf_putn(sb, data, size);
	while (sb->len % 4)
		strbuf_putc(sb, '\0');
}

static enum initramfs_gen generator_of(const char *const *dirs, const char *link_lib)
{
	struct strbuf sb = STRBUF_INIT;
	struct initramfs *img = NULL;
	enum initramfs_gen g = INITRAMFS_GEN_UNKNOWN;

	if (link_lib)
		cpio_entry(&sb, "lib", S_IFLNK | 0777, link_lib);
	for (const char *const *d = dirs; *d; d++)
		cpio_entry(&sb, *d, S_IFDIR | 0755, "");
	cpio_entry(&sb, "etc", S_IFDIR | 0755, "");
	cpio_entry(&sb, "TRAILER!!!", 0, "");
	if (initramfs_parse(sb.buf, sb.len, NULL, 0, &img, NULL) >= 0)
		g = initramfs_generator(img);
	initramfs_free(img);
	strbuf_release(&sb);
	return g;
}

static void test_generator(void)
{
	static const char *const dracut[] = {"usr", "usr/lib", "usr/lib/dracut", NULL};
	static const char *const dracut_unmerged[] = {"lib", "lib/dracut", NULL};
	static const char *const itools[] = {"scripts", "scripts/init-top", NULL};
	static const char *const neither[] = {"usr", NULL};

	is_int(generator_of(dracut, "usr/lib"), INITRAMFS_GEN_DRACUT,
	       "merged /usr: /lib/dracut behind lib -> usr/lib is dracut's");
	is_int(generator_of(dracut_unmerged, NULL), INITRAMFS_GEN_DRACUT, "/lib/dracut");
	is_int(generator_of(itools, NULL), INITRAMFS_GEN_TOOLS, "/scripts is initramfs-tools'");
	is_int(generator_of(neither, NULL), INITRAMFS_GEN_UNKNOWN, "neither");
	is_str(initramfs_gen_to_string(INITRAMFS_GEN_DRACUT), "dracut", "name");
	is_str(initramfs_gen_to_string(INITRAMFS_GEN_TOOLS), "initramfs-tools", "name");
}

int main(void)
{
	test_kcmdline();
	test_entries();
	test_generator();
	return done_testing();
}
