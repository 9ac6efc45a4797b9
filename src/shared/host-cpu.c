/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host model's CPU, memory and kernel facts (/proc/cpuinfo, meminfo, cmdline, ...). */
#include <ctype.h>
#include <stdio.h>

#include "basic/cpulist.h"
#include "basic/parse-util.h"
#include "basic/proc-cmdline.h"
#include "basic/strv-util.h"
#include "shared/host-internal.h"

int host_load_cpu(struct host *h)
{
	_cleanup_free_ char *text = NULL, *possible = NULL;
	char *line, *save = NULL;
	unsigned processors = 0;
	int r;

	r = path_read_full(h->pc, &text, NULL, "/proc/cpuinfo");
	if (r < 0 && r != -ENOENT)
		return host_fail_errno(h->pc, r, "/proc/cpuinfo");
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');
		char *key_end, *v;

		if (!colon)
			continue;
		key_end = colon;
		while (key_end > line && (key_end[-1] == ' ' || key_end[-1] == '\t'))
			key_end--;
		*key_end = '\0';
		v = colon + 1;
		v += strspn(v, " \t");
		if (streq(line, "processor"))
			processors++;
		else if (streq(line, "vendor_id") && !h->cpu_vendor) {
			h->cpu_vendor = strdup(v);
			if (!h->cpu_vendor)
				return -ENOMEM;
		} else if (streq(line, "flags") && !h->cpu_flags) {
			r = split_words(v, " \t", &h->cpu_flags);
			if (r < 0)
				return r;
		}
	}
	if (!h->cpu_flags) {
		h->cpu_flags = host_strv_new_empty();
		if (!h->cpu_flags)
			return -ENOMEM;
	}
	h->n_cpus = processors;

	/* Snapshots of hosts without CPU hotplug may only have "possible". */
	h->cpus_online_path = "/sys/devices/system/cpu/online";
	r = path_read_string(h->pc, &h->cpus_online, "%s", h->cpus_online_path);
	if (r == -ENOENT) {
		h->cpus_online_path = "/sys/devices/system/cpu/possible";
		r = path_read_string(h->pc, &h->cpus_online, "%s", h->cpus_online_path);
	}
	if (r == -ENOENT)
		h->cpus_online_path = NULL;
	else if (r < 0)
		return host_fail_errno(h->pc, r, h->cpus_online_path);

	r = path_read_string(h->pc, &possible, "/sys/devices/system/cpu/possible");
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return host_fail_errno(h->pc, r, "/sys/devices/system/cpu/possible");
	r = cpulist_count(possible);
	if (r < 0)
		return host_fail(h->pc, r, "/sys/devices/system/cpu/possible", "not a CPU list");
	h->n_cpus = (unsigned)r;
	return 0;
}

/* MemTotal from /proc/meminfo; stays 0 (unknown) when the file or the line is missing. */
static int load_mem_total(struct host *h)
{
	_cleanup_free_ char *text = NULL;
	const char *l, *end;
	uint64_t kb;
	int r;

	r = path_read_full(h->pc, &text, NULL, "/proc/meminfo");
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return host_fail_errno(h->pc, r, "/proc/meminfo");
	l = startswith(text, "MemTotal:");
	if (!l) {
		l = strstr(text, "\nMemTotal:");
		l = l ? l + strlen("\nMemTotal:") : NULL;
	}
	if (!l)
		return 0;
	l += strspn(l, " \t");
	if (safe_atou64_prefix(l, 10, &kb, &end) < 0 || !startswith(end, " kB") ||
	    kb > UINT64_MAX / 1024)
		return host_fail(h->pc, -EBADMSG, "/proc/meminfo", "MemTotal is not a size in kB");
	h->mem_total = kb * 1024;
	return 0;
}

int host_read_cmdline(struct path_cxt *pc, char **ret)
{
	_cleanup_free_ char *s = NULL;
	size_t l;
	int r;

	r = path_read_full(pc, &s, NULL, "/proc/cmdline");
	if (r < 0)
		return r;
	l = strlen(s);
	while (l > 0 && isspace((unsigned char)s[l - 1]))
		s[--l] = '\0';
	*ret = TAKE_PTR(s);
	return 0;
}

int host_load_kernel(struct host *h)
{
	_cleanup_free_ char *route = NULL;
	char *line, *save = NULL;
	int r;

	r = load_mem_total(h);
	if (r < 0)
		return r;

	r = host_read_cmdline(h->pc, &h->cmdline);
	if (r < 0 && r != -ENOENT)
		return host_fail_errno(h->pc, r, "/proc/cmdline");

	r = path_read_string(h->pc, &h->kernel_release, "/proc/sys/kernel/osrelease");
	if (r < 0 && r != -ENOENT)
		return host_fail_errno(h->pc, r, "/proc/sys/kernel/osrelease");
	if (h->kernel_release && (!*h->kernel_release || strchr(h->kernel_release, '/') ||
				  strchr(h->kernel_release, ' ')))
		/* It becomes a path component under /lib/modules: refuse anything odd. */
		return host_fail(h->pc, -EBADMSG, "/proc/sys/kernel/osrelease",
				 "not a kernel release");

	r = path_read_full(h->pc, &route, NULL, "/proc/net/route");
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return host_fail_errno(h->pc, r, "/proc/net/route");
	for (line = strtok_r(route, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char iface[64], dest[16], gw[16], flags_hex[16], mask[16];
		uint64_t flags;

		/* Iface Destination Gateway Flags RefCnt Use Metric Mask ...; Flags is hex. */
		if (sscanf(line, "%63s %15s %15s %15s %*u %*u %*u %15s", iface, dest, gw, flags_hex,
			   mask) != 5 ||
		    host_parse_hex(flags_hex, &flags) < 0)
			continue;
		if (streq(dest, "00000000") && streq(mask, "00000000") && (flags & 0x1)) {
			h->default_route_dev = strdup(iface);
			return h->default_route_dev ? 0 : -ENOMEM;
		}
	}
	return 0;
}

bool host_has_cpu_flag(const struct host *h, const char *flag)
{
	STRV_FOREACH (f, h->cpu_flags)
		if (streq(*f, flag))
			return true;
	return false;
}

int host_cmdline_get(const struct host *h, const char *key, char **ret_value)
{
	return proc_cmdline_get(h->cmdline, key, ret_value);
}

bool host_cpu_is_amd(const struct host *h)
{
	return streq_ptr(h->cpu_vendor, "AuthenticAMD") || streq_ptr(h->cpu_vendor, "HygonGenuine");
}

bool host_kernel_has_node_hugepages(const struct host *h)
{
	const char *s = h->kernel_release, *end;
	uint64_t major, minor;

	/* "5.14.0-284.el9.x86_64": MAJOR.MINOR, then anything. */
	if (!s || safe_atou64_prefix(s, 10, &major, &end) < 0 || *end != '.' ||
	    safe_atou64_prefix(end + 1, 10, &minor, NULL) < 0)
		return false;
	return major > 5 || (major == 5 && minor >= 14);
}
