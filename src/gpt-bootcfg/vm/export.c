/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libvirt domain XML of a [vm NAME] section (vm-export.h). Each part mirrors one part
 * of qemu_cmd_build() (qemucmd.c); the comments name the QEMU option it stands for.
 * Elements appear in the order "virsh dumpxml" shows them, so a define/dumpxml round trip
 * changes little beyond what libvirt adds (addresses, a uuid, a MAC).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "basic/macro.h"
#include "basic/parse-util.h"
#include "basic/path.h"
#include "basic/strbuf.h"
#include "basic/xml.h"
#include "features/gaming.h"
#include "features/table.h"
#include "vm/export.h"

/* qemucmd.c's HIDE_KVM_FLAGS: hv_vendor_id=gptbootcfg. */
#define HV_VENDOR_ID "gptbootcfg"

/* qemucmd.c's hv_spinlocks=0x1fff. */
#define HV_SPINLOCK_RETRIES 8191

/* "vda", ..., "vdz", "vdaa": the names libvirt gives disks on one bus. */
static void disk_target(char *buf, size_t size, const char *prefix, size_t idx)
{
	char letters[8];
	size_t n = 0;

	idx++;
	while (idx > 0 && n < sizeof(letters)) {
		idx--;
		letters[n++] = (char)('a' + idx % 26);
		idx /= 26;
	}
	snprintf(buf, size, "%s", prefix);
	for (size_t i = strlen(buf); n > 0 && i + 1 < size; i++) {
		buf[i] = letters[--n];
		buf[i + 1] = '\0';
	}
}

static void pci_address(struct xml_writer *w, const struct pci_addr *a, bool multifunction)
{
	xml_begin(w, "address");
	xml_attr(w, "type", "pci");
	xml_attrf(w, "domain", "0x%04x", a->domain);
	xml_attrf(w, "bus", "0x%02x", a->bus);
	xml_attrf(w, "slot", "0x%02x", a->dev);
	xml_attrf(w, "function", "0x%x", a->fn);
	if (multifunction)
		xml_attr(w, "multifunction", "on");
	xml_end(w);
}

static void host_address(struct xml_writer *w, const struct pci_addr *a)
{
	xml_begin(w, "address");
	xml_attrf(w, "domain", "0x%04x", a->domain);
	xml_attrf(w, "bus", "0x%02x", a->bus);
	xml_attrf(w, "slot", "0x%02x", a->dev);
	xml_attrf(w, "function", "0x%x", a->fn);
	xml_end(w);
}

/* -m, -overcommit mem-lock=on, memory-backend-* prealloc=on, host-nodes=N,policy=bind. */
static void write_memory(struct xml_writer *w, const struct qemu_cmd_input *in)
{
	const struct vm_config *vm = in->vm;

	xml_begin(w, "memory");
	xml_attr(w, "unit", "KiB");
	xml_textf(w, "%" PRIu64, vm->memory >> 10);
	xml_end(w);
	xml_begin(w, "currentMemory");
	xml_attr(w, "unit", "KiB");
	xml_textf(w, "%" PRIu64, vm->memory >> 10);
	xml_end(w);
	xml_begin(w, "memoryBacking");
	if (vm->hugepage_size) {
		xml_begin(w, "hugepages");
		xml_begin(w, "page");
		xml_attrf(w, "size", "%" PRIu64, vm->hugepage_size >> 10);
		xml_attr(w, "unit", "KiB");
		xml_end(w);
		xml_end(w);
	}
	/* vfio pins guest memory anyway; a swapped-out page would stall the guest. */
	xml_empty(w, "locked");
	xml_empty(w, "allocation", "mode", "immediate");
	xml_end(w);
}

/* vm run pins after QMP's query-cpus-fast; libvirt pins the same threads itself. */
static int write_cpus(struct xml_writer *w, const struct qemu_cmd_input *in, size_t n_iothreads)
{
	const struct vm_config *vm = in->vm;
	int node = qemu_cmd_numa_node(in);

	xml_begin(w, "vcpu");
	xml_attr(w, "placement", "static");
	xml_textf(w, "%u", vm->vcpus);
	xml_end(w);
	if (n_iothreads)
		xml_element_uint(w, "iothreads", n_iothreads);
	if (vm->vcpu_pins.n || vm->emulator_cpus.n) {
		xml_begin(w, "cputune");
		for (size_t i = 0; i < vm->vcpu_pins.n; i++) {
			xml_begin(w, "vcpupin");
			xml_attrf(w, "vcpu", "%zu", i);
			xml_attrf(w, "cpuset", "%u", vm->vcpu_pins.cpus[i]);
			xml_end(w);
		}
		if (vm->emulator_cpus.n) {
			_cleanup_free_ char *s = NULL;
			int r = cpulist_format(vm->emulator_cpus.cpus, vm->emulator_cpus.n, &s);

			if (r < 0)
				return r;
			xml_empty(w, "emulatorpin", "cpuset", s);
		}
		xml_end(w);
	}
	if (node >= 0) {
		xml_begin(w, "numatune");
		xml_begin(w, "memory");
		xml_attr(w, "mode", "strict");
		xml_attrf(w, "nodeset", "%d", node);
		xml_end(w);
		xml_end(w);
	}
	return 0;
}

/*
 * -machine: the pinned versioned type (vm-state.h); the pflash drives: OVMF's code
 * read-only, a per-VM copy of the variables.
 */
static void write_os(struct xml_writer *w, const struct qemu_cmd_input *in)
{
	const struct vm_options *o = vm_options(in->vm);

	xml_begin(w, "os");
	xml_begin(w, "type");
	xml_attr(w, "arch", "x86_64");
	xml_attr(w, "machine", in->machine ? in->machine : o->machine ? o->machine : "q35");
	xml_text(w, "hvm");
	xml_end(w);
	if (o->firmware == VM_FIRMWARE_OVMF) {
		_cleanup_free_ char *nvram = NULL;

		xml_begin(w, "loader");
		xml_attr(w, "readonly", "yes");
		xml_attr(w, "type", "pflash");
		xml_text(w, o->ovmf_code);
		xml_end(w);
		if (asprintf(&nvram, VM_EXPORT_NVRAM_DIR "/%s_VARS.fd", in->vm->name) < 0) {
			w->err = w->err ?: -ENOMEM;
			return;
		}
		xml_begin(w, "nvram");
		xml_attr(w, "template", o->ovmf_vars);
		xml_text(w, nvram);
		xml_end(w);
	}
	xml_end(w);
}

static void state_on(struct xml_writer *w, const char *name)
{
	xml_empty(w, name, "state", "on");
}

/* HYPERV_FLAGS and HIDE_KVM_FLAGS of qemucmd.c; vmport=off. */
static void write_features(struct xml_writer *w, const struct vm_options *o)
{
	static const char *const hv[] = {"relaxed", "vapic"};
	static const char *const hv2[] = {"vpindex",	 "runtime",  "synic", "stimer",
					  "frequencies", "tlbflush", "ipi"};

	xml_begin(w, "features");
	xml_empty(w, "acpi");
	xml_empty(w, "apic");
	if (o->hyperv || o->kvm_hidden) {
		xml_begin(w, "hyperv");
		xml_attr(w, "mode", "custom");
		if (o->hyperv) {
			for (size_t i = 0; i < ARRAY_SIZE(hv); i++)
				state_on(w, hv[i]);
			xml_begin(w, "spinlocks");
			xml_attr(w, "state", "on");
			xml_attrf(w, "retries", "%u", HV_SPINLOCK_RETRIES);
			xml_end(w);
			for (size_t i = 0; i < ARRAY_SIZE(hv2); i++)
				state_on(w, hv2[i]);
		}
		if (o->kvm_hidden) {
			xml_empty(w, "vendor_id", "state", "on", "value", HV_VENDOR_ID);
		}
		xml_end(w);
	}
	if (o->kvm_hidden) {
		xml_begin(w, "kvm");
		xml_empty(w, "hidden", "state", "on");
		xml_end(w);
	}
	xml_empty(w, "vmport", "state", "off");
	xml_end(w);
}

/*
 * -cpu and -smp; -rtc base=...,driftfix=slew (the rtc timer's catchup policy),
 * kvm-pit.lost_tick_policy=delay, hpet=off; hv_time is Hyper-V's clock source, a timer in
 * libvirt's terms.
 */
static void write_cpu_clock(struct xml_writer *w, const struct qemu_cmd_input *in)
{
	const struct vm_config *vm = in->vm;
	const struct vm_options *o = vm_options(vm);
	bool host = streq(o->cpu_model, "host");

	xml_begin(w, "cpu");
	xml_attr(w, "mode", host ? "host-passthrough" : "custom");
	if (host) {
		xml_attr(w, "check", "none");
	} else {
		xml_attr(w, "match", "exact");
		xml_attr(w, "check", "none");
		xml_begin(w, "model");
		xml_attr(w, "fallback", "forbid");
		xml_text(w, o->cpu_model);
		xml_end(w);
	}
	xml_begin(w, "topology");
	xml_attrf(w, "sockets", "%u", vm->sockets);
	xml_attr(w, "dies", "1");
	xml_attrf(w, "cores", "%u", vm->cores);
	xml_attrf(w, "threads", "%u", vm->threads);
	xml_end(w);
	xml_end(w);

	xml_begin(w, "clock");
	xml_attr(w, "offset", o->rtc_localtime ? "localtime" : "utc");
	xml_empty(w, "timer", "name", "rtc", "tickpolicy", "catchup");
	xml_empty(w, "timer", "name", "pit", "tickpolicy", "delay");
	xml_empty(w, "timer", "name", "hpet", "present", "no");
	if (o->hyperv) {
		xml_empty(w, "timer", "name", "hypervclock", "present", "yes");
	}
	xml_end(w);
	xml_element(w, "on_poweroff", "destroy");
	xml_element(w, "on_reboot", "restart");
	xml_element(w, "on_crash", "destroy");
	/* -global ICH9-LPC.disable_s3=1 / disable_s4=1. */
	xml_begin(w, "pm");
	xml_empty(w, "suspend-to-mem", "enabled", "no");
	xml_empty(w, "suspend-to-disk", "enabled", "no");
	xml_end(w);
}

/* The pcie-root-port controllers of the passthrough slots: index N is "rpN". */
static void write_root_ports(struct xml_writer *w, unsigned n_ports)
{
	xml_empty(w, "controller", "type", "pci", "index", "0", "model", "pcie-root");
	for (unsigned i = 1; i <= n_ports; i++) {
		xml_begin(w, "controller");
		xml_attr(w, "type", "pci");
		xml_attrf(w, "index", "%u", i);
		xml_attr(w, "model", "pcie-root-port");
		xml_begin(w, "target");
		xml_attrf(w, "chassis", "%u", i);
		xml_end(w);
		xml_end(w);
	}
}

/*
 * managed='no': the claim binary bound the device to vfio-pci in the initramfs, before any
 * host driver saw it. libvirt's managed='yes' would unbind and rebind it around every start
 * and stop, handing it back to the host driver when the VM stops.
 */
static void write_boot(struct xml_writer *w, unsigned order);

static void write_hostdevs(struct xml_writer *w, const struct qemu_cmd_input *in,
			   const struct qemu_pt_place *pl, const struct qemu_boot_order *bo)
{
	const struct vm_options *o = vm_options(in->vm);

	for (size_t i = 0; i < in->n_pt; i++) {
		const struct qemu_passthrough *p = &in->pt[i];
		const struct vm_device_options *dopt = qemu_find_device_options(o, p->device);
		const char *bar = NULL, *file = NULL;
		struct pci_addr guest = {.bus = (uint8_t)pl[i].port, .fn = (uint8_t)pl[i].fn};

		STRV_FOREACH (opt, dopt ? dopt->options : NULL) {
			const char *v;

			if ((v = startswith(*opt, "rombar=")))
				bar = streq(v, "0") ? "off" : "on";
			else if ((v = startswith(*opt, "romfile=")))
				file = v;
		}
		xml_begin(w, "hostdev");
		xml_attr(w, "mode", "subsystem");
		xml_attr(w, "type", "pci");
		xml_attr(w, "managed", "no");
		xml_empty(w, "driver", "name", "vfio");
		xml_begin(w, "source");
		host_address(w, &p->addr);
		xml_end(w);
		write_boot(w, bo->pt[i]);
		if (bar || file) {
			xml_begin(w, "rom");
			if (bar)
				xml_attr(w, "bar", bar);
			if (file)
				xml_attr(w, "file", file);
			xml_end(w);
		}
		/* "ua-" marks a user alias: QEMU's id, as hostdevN in the QEMU command. */
		xml_begin(w, "alias");
		xml_attrf(w, "name", "ua-hostdev%zu", i);
		xml_end(w);
		pci_address(w, &guest, pl[i].multifunction);
		xml_end(w);
	}
}

/* bootindex=N (qemu_boot_order()); nothing for a device that is not booted. */
static void write_boot(struct xml_writer *w, unsigned order)
{
	if (!order)
		return;
	xml_begin(w, "boot");
	xml_attrf(w, "order", "%u", order);
	xml_end(w);
}

/*
 * Disks and CD-ROMs with the QEMU command's boot order. libvirt 9.0 has no emulated NVMe
 * disk (bus='nvme' came later): those go through <qemu:commandline> with the QEMU
 * command's own -drive/-device (write_commandline() below).
 */
static void write_disks(struct xml_writer *w, const struct qemu_cmd_input *in,
			const struct qemu_boot_order *bo, unsigned *iothread)
{
	const struct vm_options *o = vm_options(in->vm);
	size_t n_virtio = 0, n_cd = 0;
	char target[16];

	for (size_t i = 0; i < o->n_disks; i++) {
		const struct vm_disk *d = &o->disks[i];

		if (d->bus == VM_DISK_NVME)
			continue;
		xml_begin(w, "disk");
		xml_attr(w, "type",
			 d->nvme_host			? "nvme"
			 : startswith(d->path, "/dev/") ? "block"
							: "file");
		xml_attr(w, "device", "disk");
		xml_begin(w, "driver");
		xml_attr(w, "name", "qemu");
		xml_attr(w, "type", d->format);
		if (!d->nvme_host) {
			xml_attr(w, "cache", d->cache);
			xml_attr(w, "io", d->aio);
		}
		xml_attrf(w, "queues", "%u", in->vm->vcpus);
		xml_attrf(w, "iothread", "%u", ++*iothread);
		xml_end(w);
		if (d->nvme_host) {
			struct pci_addr a;

			/* QEMU's userspace NVMe driver on the controller vfio-pci holds. */
			xml_begin(w, "source");
			xml_attr(w, "type", "pci");
			xml_attr(w, "managed", "no");
			xml_attrf(w, "namespace", "%u", d->nvme_namespace);
			if (pci_addr_parse(d->nvme_addr, &a) < 0)
				w->err = w->err ?: -EINVAL;
			host_address(w, &a);
			xml_end(w);
		} else {
			xml_empty(w, "source", startswith(d->path, "/dev/") ? "dev" : "file",
				  d->path);
		}
		disk_target(target, sizeof(target), "vd", n_virtio++);
		xml_empty(w, "target", "dev", target, "bus", "virtio");
		write_boot(w, bo->disks[i]);
		xml_end(w);
	}
	STRV_FOREACH (cd, o->cdroms) {
		xml_begin(w, "disk");
		xml_attr(w, "type", "file");
		xml_attr(w, "device", "cdrom");
		xml_empty(w, "driver", "name", "qemu", "type", "raw");
		xml_empty(w, "source", "file", *cd);
		/* q35's AHCI controller: ide.N in the QEMU command is unit N of controller 0. */
		disk_target(target, sizeof(target), "sd", n_cd);
		xml_empty(w, "target", "dev", target, "bus", "sata");
		xml_empty(w, "readonly");
		write_boot(w, bo->cdroms[n_cd]);
		xml_begin(w, "address");
		xml_attr(w, "type", "drive");
		xml_attr(w, "controller", "0");
		xml_attr(w, "bus", "0");
		xml_attr(w, "target", "0");
		xml_attrf(w, "unit", "%zu", n_cd);
		xml_end(w);
		xml_end(w);
		n_cd++;
	}
}

static const char *net_model(const char *qemu_model)
{
	/* libvirt's names for the QEMU devices network-model allows. */
	if (streq(qemu_model, "virtio-net-pci"))
		return "virtio";
	return qemu_model; /* e1000e, e1000 */
}

static void write_network(struct xml_writer *w, const struct vm_options *o,
			  const struct qemu_boot_order *bo)
{
	if (o->network == VM_NET_NONE)
		return;
	xml_begin(w, "interface");
	switch (o->network) {
	case VM_NET_BRIDGE:
		xml_attr(w, "type", "bridge");
		break;
	case VM_NET_TAP:
		xml_attr(w, "type", "ethernet");
		break;
	default:
		xml_attr(w, "type", "user");
		break;
	}
	if (o->mac) {
		xml_empty(w, "mac", "address", o->mac);
	}
	if (o->network == VM_NET_BRIDGE) {
		xml_empty(w, "source", "bridge", o->net_ifname);
	} else if (o->network == VM_NET_TAP) {
		/* An existing tap, as script=no: libvirt neither creates nor configures it. */
		xml_empty(w, "target", "dev", o->net_ifname, "managed", "no");
	}
	xml_empty(w, "model", "type", net_model(o->net_model));
	write_boot(w, bo->network);
	xml_end(w);
}

/*
 * -spice, the vdagent and streaming ports, the display of "display" (none: the GPU is the
 * only one), the sound card of audio = spice, usb-redir channels.
 */
static void write_spice(struct xml_writer *w, const struct vm_options *o, const char *password)
{
	if (o->spice != VM_SPICE_NONE) {
		xml_begin(w, "graphics");
		xml_attr(w, "type", "spice");
		if (o->spice == VM_SPICE_UNIX) {
			/* libvirt's own socket in the domain's private directory (mode 0700). */
			xml_attr(w, "autoport", "no");
			xml_empty(w, "listen", "type", "socket");
		} else {
			xml_attrf(w, "port", "%u", o->spice_port);
			xml_attr(w, "autoport", "no");
			xml_attr(w, "listen", "127.0.0.1");
			/* Without it libvirt would disable ticketing: anyone local could connect.
			 */
			if (password)
				xml_attr(w, "passwd", password);
			else
				w->err = w->err ?: -EINVAL;
			xml_empty(w, "listen", "type", "address", "address", "127.0.0.1");
		}
		xml_end(w);
		xml_begin(w, "channel");
		xml_attr(w, "type", "spicevmc");
		xml_empty(w, "target", "type", "virtio", "name", "com.redhat.spice.0");
		xml_end(w);
		xml_begin(w, "channel");
		xml_attr(w, "type", "spiceport");
		xml_empty(w, "source", "channel", "org.spice-space.stream.0");
		xml_empty(w, "target", "type", "virtio", "name", "org.spice-space.stream.0");
		xml_end(w);
		if (o->audio == VM_AUDIO_SPICE) {
			xml_begin(w, "sound");
			xml_attr(w, "model", "ich9");
			xml_empty(w, "codec", "type", "duplex");
			xml_empty(w, "audio", "id", "1");
			xml_end(w);
			xml_empty(w, "audio", "id", "1", "type", "spice");
		}
	}
	/* With display = none the GPU is the display; libvirt would otherwise add a VGA. */
	xml_begin(w, "video");
	xml_begin(w, "model");
	xml_attr(w, "type",
		 o->display == VM_DISPLAY_VIRTIO_VGA ? "virtio"
		 : o->display == VM_DISPLAY_QXL_VGA  ? "qxl"
						     : "none");
	xml_end(w);
	xml_end(w);
	/* -nodefaults: libvirt adds a USB controller and a balloon unless told not to. */
	xml_empty(w, "controller", "type", "usb", "index", "0", "model",
		  (o->spice != VM_SPICE_NONE && o->usb_redirect) ||
			  (vm_gaming(o) && vm_gaming(o)->n_usb)
		      ? "qemu-xhci"
		      : "none");
	if (o->spice != VM_SPICE_NONE)
		for (unsigned i = 0; i < o->usb_redirect; i++)
			xml_empty(w, "redirdev", "bus", "usb", "type", "spicevmc");
	xml_empty(w, "memballoon", "model", "none");
}

static void qemu_arg(struct xml_writer *w, const char *fmt, ...) _printf_(2, 3);
static void qemu_arg(struct xml_writer *w, const char *fmt, ...)
{
	va_list ap;

	xml_begin(w, "qemu:arg");
	va_start(ap, fmt);
	xml_vattrf(w, "value", fmt, ap);
	va_end(ap);
	xml_end(w);
}

static bool has_commandline(const struct vm_options *o)
{
	for (size_t i = 0; i < o->n_disks; i++)
		if (o->disks[i].bus == VM_DISK_NVME)
			return true;
	return o->extra_args && o->extra_args[0];
}

/* What libvirt 9.0 cannot say: emulated NVMe disks and extra-args, verbatim. */
static void write_commandline(struct xml_writer *w, const struct qemu_cmd_input *in,
			      const struct qemu_boot_order *bo)
{
	const struct vm_config *vm = in->vm;
	const struct vm_options *o = vm_options(vm);

	if (!has_commandline(o))
		return;
	xml_begin(w, "qemu:commandline");
	for (size_t i = 0; i < o->n_disks; i++) {
		const struct vm_disk *d = &o->disks[i];

		if (d->bus != VM_DISK_NVME)
			continue;
		qemu_arg(w, "-drive");
		if (d->nvme_host)
			qemu_arg(w, "file=nvme://%s/%u,if=none,id=disk%zu,format=raw", d->nvme_addr,
				 d->nvme_namespace, i);
		else
			qemu_arg(w, "file=%s,if=none,id=disk%zu,format=%s,cache=%s,aio=%s", d->path,
				 i, d->format, d->cache, d->aio);
		qemu_arg(w, "-device");
		if (bo->disks[i])
			qemu_arg(w,
				 "nvme,drive=disk%zu,serial=gpt-bootcfg-%zu,max_ioqpairs=%u,"
				 "bootindex=%u",
				 i, i, vm->vcpus, bo->disks[i]);
		else
			qemu_arg(w, "nvme,drive=disk%zu,serial=gpt-bootcfg-%zu,max_ioqpairs=%u", i,
				 i, vm->vcpus);
	}
	STRV_FOREACH (a, o->extra_args)
		qemu_arg(w, "%s", *a);
	xml_end(w);
}

/*
 * One device-options property as libvirt's typed <qemu:property>: on/off are bool, numbers
 * (the PCI ids as 0xHHHH) unsigned, the rest (display=auto, x-msix-relocation=bar2) string.
 */
static void override_property(struct xml_writer *w, const char *name, const char *value)
{
	const char *hex = startswith(value, "0x");
	uint64_t u;

	xml_begin(w, "qemu:property");
	xml_attr(w, "name", name);
	if (streq(value, "on") || streq(value, "off")) {
		xml_attr(w, "type", "bool");
		xml_attr(w, "value", streq(value, "on") ? "true" : "false");
	} else if (hex ? safe_atox64(hex, &u) >= 0 : safe_atou64(value, &u) >= 0) {
		xml_attr(w, "type", "unsigned");
		xml_attrf(w, "value", "%" PRIu64, u);
	} else {
		xml_attr(w, "type", "string");
		xml_attr(w, "value", value);
	}
	xml_end(w);
}

/* vfio-pci properties libvirt has no element for (x-vga, x-no-kvm-intx, ...). */
static void write_override(struct xml_writer *w, const struct qemu_cmd_input *in)
{
	const struct vm_options *o = vm_options(in->vm);
	bool any = false;

	for (size_t i = 0; i < in->n_pt; i++) {
		const struct vm_device_options *dopt =
		    qemu_find_device_options(o, in->pt[i].device);
		bool open = false;

		STRV_FOREACH (opt, dopt ? dopt->options : NULL) {
			const char *eq = strchr(*opt, '=');
			_cleanup_free_ char *k = NULL;

			if (!eq || startswith(*opt, "rombar=") || startswith(*opt, "romfile="))
				continue;
			k = strndup(*opt, (size_t)(eq - *opt));
			if (!k) {
				w->err = w->err ?: -ENOMEM;
				return;
			}
			if (!any) {
				xml_begin(w, "qemu:override");
				any = true;
			}
			if (!open) {
				xml_begin(w, "qemu:device");
				xml_attrf(w, "alias", "ua-hostdev%zu", i);
				xml_begin(w, "qemu:frontend");
				open = true;
			}
			override_property(w, k, eq + 1);
		}
		if (open) {
			xml_end(w); /* frontend */
			xml_end(w); /* device */
		}
	}
	if (any)
		xml_end(w);
}

int vm_export_libvirt(const struct qemu_cmd_input *in, const char *spice_password, char **ret)
{
	const struct vm_config *vm = in->vm;
	const struct vm_options *o = vm_options(vm);
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	_cleanup_free_ struct qemu_pt_place *pl = NULL;
	_cleanup_(qemu_boot_order_done) struct qemu_boot_order bo = {0};
	unsigned n_ports = 0, iothread = 0;
	size_t n_iothreads = 0;
	struct xml_writer w;
	int r;

	r = qemu_place_passthrough(in, &pl, &n_ports);
	if (r < 0)
		return r;
	r = qemu_boot_order(in, &bo);
	if (r < 0)
		return r;
	for (size_t i = 0; i < o->n_disks; i++)
		if (o->disks[i].bus == VM_DISK_VIRTIO)
			n_iothreads++;

	xml_init(&w, &sb);
	xml_begin(&w, "domain");
	xml_attr(&w, "type", "kvm");
	xml_attr(&w, "xmlns:qemu", "http://libvirt.org/schemas/domain/qemu/1.0");
	xml_element(&w, "name", vm->name);
	/* -uuid: the SMBIOS UUID "vm run" pinned (vm-state.h); libvirt makes one up otherwise. */
	if (in->uuid || o->uuid)
		xml_element(&w, "uuid", in->uuid ? in->uuid : o->uuid);
	xml_begin(&w, "description");
	xml_text(&w, "[vm ");
	xml_text(&w, vm->name);
	xml_text(&w, "] of gpt-bootcfg (gpt-bootcfg vm export --libvirt). Its PCI devices are "
		     "bound to vfio-pci in the initramfs by gpt-bootcfg: keep them managed=no.");
	xml_end(&w);
	write_memory(&w, in);
	r = write_cpus(&w, in, n_iothreads);
	if (r < 0)
		return r;
	write_os(&w, in);
	write_features(&w, o);
	write_cpu_clock(&w, in);

	xml_begin(&w, "devices");
	xml_element(&w, "emulator", VM_EXPORT_EMULATOR);
	write_disks(&w, in, &bo, &iothread);
	write_root_ports(&w, n_ports);
	write_network(&w, o, &bo);
	write_spice(&w, o, spice_password);
	FOREACH_FEATURE (f)
		if ((*f)->export_libvirt)
			(*f)->export_libvirt(&w, in);
	write_hostdevs(&w, in, pl, &bo);
	xml_end(&w);

	write_commandline(&w, in, &bo);
	write_override(&w, in);
	xml_end(&w);

	r = xml_finish(&w);
	if (r < 0)
		return r;
	return strbuf_steal(&sb, ret);
}
