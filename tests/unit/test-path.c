/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fileio.h"
#include "basic/path.h"
#include "basic/pci.h"
#include "tap.h"

static char recorded[4096];

static void recorder(void *userdata, const char *host_path)
{
	(void)userdata;
	snprintf(recorded, sizeof(recorded), "%s", host_path);
}

static void write_file(const char *dir, const char *name, const char *content)
{
	char p[4096];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "we");
	fputs(content, f);
	fclose(f);
}

int main(void)
{
	char tmpl[] = "/tmp/test-path.XXXXXX";
	char *root = mkdtemp(tmpl), buf[PCI_ADDR_STRLEN];
	struct path_cxt *pc = NULL;
	char *s = NULL, **l = NULL, cmd[4200];
	uint64_t u = 0;
	int64_t i = 0;
	struct pci_addr a;

	ok(root != NULL, "temporary root");
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/sys/devices/pci0000:00/0000:00:01.0 %s/sys/bus/pci/devices", root, root);
	ok(system(cmd) == 0, "tree created");
	write_file(root, "sys/devices/pci0000:00/0000:00:01.0/vendor", "0x10de\n");
	write_file(root, "sys/devices/pci0000:00/0000:00:01.0/numa_node", "-1\n");
	write_file(root, "sys/devices/pci0000:00/0000:00:01.0/garbage", "0xzz\n");
	write_file(root, "sys/devices/pci0000:00/0000:00:01.0/count", "12 \n");
	snprintf(cmd, sizeof(cmd), "ln -s ../../../devices/pci0000:00/0000:00:01.0 %s/sys/bus/pci/devices/0000:00:01.0", root);
	ok(system(cmd) == 0, "symlink created");

	is_int(path_cxt_new(root, &pc), 0, "context");
	is_int(path_read_hex(pc, &u, "/sys/bus/pci/devices/%s/vendor", "0000:00:01.0"), 0, "read hex");
	is_int(u, 0x10de, "hex value");
	is_int(path_read_hex(pc, &u, "/sys/bus/pci/devices/0000:00:01.0/garbage"), -EBADMSG, "garbage hex rejected");
	is_int(path_read_s64(pc, &i, "/sys/bus/pci/devices/0000:00:01.0/numa_node"), 0, "signed");
	is_int(i, -1, "numa -1");
	is_int(path_read_u64(pc, &u, "/sys/bus/pci/devices/0000:00:01.0/count"), 0, "u64 trailing space");
	is_int(u, 12, "u64 value");
	is_int(path_read_u64(pc, &u, "/sys/bus/pci/devices/0000:00:01.0/numa_node"), -EBADMSG, "u64 rejects -1");

	/* The readers parse with the safe_ato*() family: strto*()'s leniencies are refused. */
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/sys/num", root);
	ok(system(cmd) == 0, "number directory created");
	write_file(root, "sys/num/plus", "+5\n");
	write_file(root, "sys/num/tab", "\t-1\n");
	write_file(root, "sys/num/hex2", "0x0x10\n");
	write_file(root, "sys/num/hexcase", "0XfF\n");
	write_file(root, "sys/num/max", "18446744073709551615\n");
	write_file(root, "sys/num/over", "18446744073709551616\n");
	write_file(root, "sys/num/smin", "-9223372036854775808\n");
	u = 7;
	i = 7;
	is_int(path_read_u64(pc, &u, "/sys/num/plus"), -EBADMSG, "u64 rejects +5");
	is_int(path_read_s64(pc, &i, "/sys/num/plus"), -EBADMSG, "s64 rejects +5");
	is_int(path_read_u64(pc, &u, "/sys/num/tab"), -EBADMSG, "u64 rejects a leading tab");
	is_int(path_read_s64(pc, &i, "/sys/num/tab"), -EBADMSG, "s64 rejects a leading tab");
	is_int(path_read_hex(pc, &u, "/sys/num/hex2"), -EBADMSG, "hex rejects 0x twice");
	is_int(path_read_u64(pc, &u, "/sys/num/over"), -EBADMSG, "u64 rejects UINT64_MAX + 1");
	is_int(u, 7, "u64 untouched on failure");
	is_int(i, 7, "s64 untouched on failure");
	is_int(path_read_hex(pc, &u, "/sys/num/hexcase"), 0, "hex: 0X and either case");
	is_int(u, 0xff, "hex value 0XfF");
	is_int(path_read_u64(pc, &u, "/sys/num/max"), 0, "u64 UINT64_MAX");
	ok(u == UINT64_MAX, "u64 UINT64_MAX value");
	is_int(path_read_s64(pc, &i, "/sys/num/smin"), 0, "s64 INT64_MIN");
	ok(i == INT64_MIN, "s64 INT64_MIN value");
	is_int(path_read_string(pc, &s, "/nonexistent"), -ENOENT, "missing file");
	is_int(path_read_string(pc, &s, "relative"), -EINVAL, "relative path refused");
	is_int(path_canonicalize(pc, &s, "/sys/bus/pci/devices/0000:00:01.0"), 0, "canonicalize");
	is_str(s, "/sys/devices/pci0000:00/0000:00:01.0", "canonical host path");
	free(s);
	is_int(path_list_dir(pc, &l, "/sys/devices/pci0000:00/0000:00:01.0"), 0, "list dir");
	is_int(strv_length(l), 4, "four entries");
	is_str(l[0], "count", "sorted");
	strv_free(l);
	is_int(path_exists(pc, "/sys/bus/pci/devices/0000:00:01.0/vendor"), 1, "exists");
	is_int(path_exists(pc, "/sys/bus/pci/devices/0000:00:02.0/vendor"), 0, "not exists");

	/* Lookups below an opened directory: one name each, recorded as host paths. */
	{
		int dfd = path_open_dir(pc, "/sys/bus/pci/devices/0000:00:01.0"), fd;
		const char *dir = "/sys/devices/pci0000:00/0000:00:01.0";

		ok(dfd >= 0, "open directory");
		path_cxt_set_recorder(pc, recorder, NULL);
		fd = path_openat(pc, dfd, dir, "vendor", O_RDONLY);
		ok(fd >= 0, "openat one name");
		if (fd >= 0)
			close(fd);
		is_str(recorded, "/sys/devices/pci0000:00/0000:00:01.0/vendor", "openat recorded as host path");
		is_int(path_openat(pc, dfd, dir, "..", O_RDONLY), -EINVAL, "openat refuses ..");
		is_int(path_openat(pc, dfd, dir, "../0000:00:01.0/vendor", O_RDONLY), -EINVAL,
		       "openat refuses a path");
		is_int(path_openat(pc, dfd, dir, "", O_RDONLY), -EINVAL, "openat refuses an empty name");
		is_int(path_openat(pc, dfd, dir, "missing", O_RDONLY), -ENOENT, "openat missing");
		is_int(path_openat(pc, -1, dir, "vendor", O_RDONLY), -EINVAL, "openat without a directory");
		path_cxt_set_recorder(pc, NULL, NULL);
		snprintf(cmd, sizeof(cmd), "ln -s ../../../kernel/iommu_groups/7 %s/sys/devices/pci0000:00/0000:00:01.0/iommu_group", root);
		ok(system(cmd) == 0, "group link created");
		s = NULL;
		is_int(path_readlinkat_basename(pc, dfd, dir, "iommu_group", &s), 0, "readlinkat");
		is_str(s, "7", "readlinkat basename");
		free(s);
		s = NULL;
		is_int(path_readlinkat_basename(pc, dfd, dir, "vendor", &s), -EINVAL, "readlinkat of a file");
		is_int(path_readlinkat_basename(pc, dfd, dir, "a/b", &s), -EINVAL, "readlinkat refuses a path");
		is_int(path_open_dir(pc, "/sys/bus/pci/devices/0000:00:01.0/vendor"), -ENOTDIR,
		       "open_dir of a file");
		close(dfd);
	}

	is_int(path_resolve_link("/sys/bus/pci/devices", "../../../devices/pci0000:00/0000:00:01.0", &s),
	       0, "resolve a relative link");
	is_str(s, "/sys/devices/pci0000:00/0000:00:01.0", "folded lexically");
	free(s);
	is_int(path_resolve_link("/a/b", "/x/./y/../z", &s), 0, "resolve an absolute link");
	is_str(s, "/x/z", "an absolute target ignores the directory");
	free(s);
	is_int(path_resolve_link("/a", "../../..", &s), 0, "resolve above the top");
	is_str(s, "/", ".. stops at /");
	free(s);

	is_int(path_write_atomic(pc, "/etc/gpt-bootcfg/x.conf", "hello\n", 6, 0644), 0, "atomic write");
	is_int(path_read_string(pc, &s, "/etc/gpt-bootcfg/x.conf"), 0, "read back");
	is_str(s, "hello", "content");
	free(s);
	is_int(path_unlink_durable(pc, "/etc/gpt-bootcfg/x.conf"), 0, "unlink");
	is_int(path_exists(pc, "/etc/gpt-bootcfg/x.conf"), 0, "gone");

	is_int(pci_addr_parse("0000:65:00.0", &a), 0, "full address");
	is_str(pci_addr_format(&a, buf), "0000:65:00.0", "format");
	is_int(pci_addr_parse("b4:00.0", &a), 0, "short address");
	is_str(pci_addr_format(&a, buf), "0000:b4:00.0", "short gets domain 0");
	is_int(pci_addr_parse("0000:65:20.0", &a), -EINVAL, "slot 0x20 out of range");
	is_int(pci_addr_parse("0000:65:00.0x", &a), -EINVAL, "trailing garbage");
	is_int(pci_addr_parse("0000:65:00.8", &a), -EINVAL, "function 8");

	/*
	 * Issue 30 #13: a FIFO at a file or attribute we read blocked the open forever. Every
	 * read helper refuses it without waiting; the alarm turns a hang into a failure.
	 */
	snprintf(cmd, sizeof(cmd), "mkfifo %s/sys/devices/pci0000:00/0000:00:01.0/fifo", root);
	ok(system(cmd) == 0, "FIFO created");
	alarm(20);
	is_int(path_read_full(pc, &s, NULL, "/sys/bus/pci/devices/0000:00:01.0/fifo"), -EBADFD,
	       "path_read_full refuses a FIFO");
	is_int(path_read_string(pc, &s, "/sys/bus/pci/devices/0000:00:01.0/fifo"), -EBADFD,
	       "path_read_string refuses a FIFO");
	is_int(path_read_u64(pc, &u, "/sys/bus/pci/devices/0000:00:01.0/fifo"), -EBADFD,
	       "path_read_u64 refuses a FIFO");
	is_int(path_open_regular(pc, 0, "/sys/bus/pci/devices/0000:00:01.0/fifo"), -EBADFD,
	       "path_open_regular refuses a FIFO");
	is_int(path_read_full(pc, &s, NULL, "/sys/bus/pci/devices/0000:00:01.0"), -EISDIR,
	       "path_read_full refuses a directory");
	{
		int dfd = path_open_dir(pc, "/sys/bus/pci/devices/0000:00:01.0");
		int fd;

		ok(dfd >= 0, "attribute directory");
		is_int(path_openat(pc, dfd, "/sys/bus/pci/devices/0000:00:01.0", "fifo",
				   O_RDONLY | O_NOCTTY),
		       -EBADFD, "path_openat for reading refuses a FIFO");
		fd = path_openat(pc, dfd, "/sys/bus/pci/devices/0000:00:01.0", "vendor",
				 O_RDONLY | O_NOCTTY);
		ok(fd >= 0, "path_openat still opens a regular attribute");
		if (fd >= 0)
			close(fd);
		close(dfd);
	}
	alarm(0);

	/* Issue 30 #10: a text file read as a C string refuses a NUL byte. */
	snprintf(cmd, sizeof(cmd), "printf 'a\\000b\\n' >%s/etc/nul.conf && printf 'ab\\n' >%s/etc/ok.conf",
		 root, root);
	ok(system(cmd) == 0, "files with and without a NUL byte");
	is_int(path_read_text(pc, &s, "/etc/nul.conf"), -EBADMSG, "path_read_text refuses a NUL byte");
	is_int(path_read_text(pc, &s, "/etc/ok.conf"), 0, "path_read_text reads a text file");
	is_str(s, "ab\n", "all of it");
	free(s);

	path_cxt_free(pc);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	(void)!system(cmd);
	return done_testing();
}
