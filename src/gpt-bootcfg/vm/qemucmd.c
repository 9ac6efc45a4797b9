/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "basic/macro.h"
#include "basic/path.h"
#include "basic/strbuf.h"
#include "basic/strv-util.h"
#include "core/numa.h"
#include "features/gaming.h"
#include "features/table.h"
#include "vm/qemucmd.h"

/* NVIDIA's consumer driver refused to start when it saw KVM (code 43) before R465. */
#define HIDE_KVM_FLAGS "kvm=off,hv_vendor_id=gptbootcfg"

struct argv_builder {
	char **argv;
	size_t n, alloc;
	int err;
};

_printf_(2, 3) static void add(struct argv_builder *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (b->err)
		return;
	if (b->n + 2 > b->alloc) {
		size_t na = b->alloc ? b->alloc * 2 : 64;
		char **nv = realloc(b->argv, na * sizeof(char *));

		if (!nv) {
			b->err = -ENOMEM;
			return;
		}
		b->argv = nv;
		b->alloc = na;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		b->err = -ENOMEM;
	va_end(ap);
	if (b->err)
		return;
	b->argv[b->n++] = s;
	b->argv[b->n] = NULL;
}

#define add2(b, opt, ...)                                                                          \
	do {                                                                                       \
		add(b, "%s", opt);                                                                 \
		add(b, __VA_ARGS__);                                                               \
	} while (0)

static int pt_node(size_t i, const void *userdata)
{
	const struct qemu_cmd_input *in = userdata;

	return in->pt[i].numa_node;
}

int qemu_cmd_numa_node(const struct qemu_cmd_input *in)
{
	/* The planner reserves the boot-time pages on the node of the same rule. */
	return vm_numa_node(vm_options(in->vm)->numa_node, in->n_pt, pt_node, in);
}

static const char *R(const struct qemu_cmd_input *in)
{
	return in->path_root ? in->path_root : "";
}

static const char *standin_for_class(uint32_t class)
{
	switch (class >> 8) {
	case 0x0300:
	case 0x0302:
	case 0x0380:
		return "bochs-display";
	case 0x0403:
		return "ich9-intel-hda";
	case 0x0c03:
		return "qemu-xhci";
	case 0x0108:
		return "nvme,serial=standin";
	default:
		break;
	}
	if (pci_class_is_network(class))
		return "e1000e";
	return "pci-testdev";
}

const struct vm_device_options *qemu_find_device_options(const struct vm_options *o,
							 const char *name)
{
	for (size_t i = 0; i < o->n_devopts; i++)
		if (streq_ptr(o->devopts[i].device, name))
			return &o->devopts[i];
	return NULL;
}

static void add_cpu(struct argv_builder *b, const struct qemu_cmd_input *in, bool tcg)
{
	const struct vm_options *o = vm_options(in->vm);
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

	if (tcg) {
		/* "host" and the Hyper-V/KVM flags need KVM; "max" is TCG's closest model. */
		add2(b, "-cpu", "max");
		return;
	}
	strbuf_puts(&sb, o->cpu_model);
	if (o->kvm_hidden)
		strbuf_puts(&sb, "," HIDE_KVM_FLAGS);
	if (o->hyperv)
		strbuf_puts(&sb, "," HYPERV_FLAGS);
	add2(b, "-cpu", "%s", strbuf_str(&sb) ? strbuf_str(&sb) : "");
	if (sb.err)
		b->err = sb.err;
}

static void add_memory(struct argv_builder *b, const struct qemu_cmd_input *in)
{
	const struct vm_config *vm = in->vm;
	const struct vm_options *o = vm_options(vm);
	uint64_t mib = vm->memory >> 20;
	int node = qemu_cmd_numa_node(in);
	_cleanup_free_ char *bind = NULL;

	add2(b, "-m", "%" PRIu64 "M", mib);
	/* Locked memory: vfio pins it anyway, and a swapped-out page would stall the guest. */
	add2(b, "-overcommit", "mem-lock=on");
	if (node >= 0 && asprintf(&bind, ",host-nodes=%d,policy=bind", node) < 0) {
		b->err = -ENOMEM;
		return;
	}
	if (vm->hugepage_size || in->mem_path)
		add2(b, "-object",
		     "memory-backend-file,id=mem0,size=%" PRIu64 "M,mem-path=%s%s,prealloc=on,"
		     "share=off%s",
		     mib, in->mem_path ? "" : R(in),
		     in->mem_path ? in->mem_path : o->hugepage_mount, bind ? bind : "");
	else
		add2(b, "-object", "memory-backend-ram,id=mem0,size=%" PRIu64 "M,prealloc=on%s",
		     mib, bind ? bind : "");
}

/*
 * One pcie-root-port per host slot; all functions of one slot go on the same port with
 * their own function numbers, function 0 carrying multifunction=on. Drivers (NVIDIA's
 * among them) expect the GPU's audio function beside the GPU, as on the host: split over
 * two ports, the guide's Windows guest stopped booting once the NVIDIA driver was in.
 */
int qemu_place_passthrough(const struct qemu_cmd_input *in, struct qemu_pt_place **ret,
			   unsigned *ret_ports)
{
	_cleanup_free_ struct qemu_pt_place *pl = calloc(in->n_pt ? in->n_pt : 1, sizeof(*pl));
	_cleanup_free_ bool *done = calloc(in->n_pt ? in->n_pt : 1, sizeof(bool));
	unsigned port = 0;

	if (!pl || !done)
		return -ENOMEM;
	for (size_t i = 0; i < in->n_pt; i++) {
		size_t slot[8], n = 0;
		bool has_fn0 = false;

		if (done[i])
			continue;
		for (size_t j = i; j < in->n_pt && n < ARRAY_SIZE(slot); j++)
			if (!done[j] && pci_addr_same_slot(&in->pt[i].addr, &in->pt[j].addr)) {
				slot[n++] = j;
				done[j] = true;
			}
		/* Functions in ascending order, as the guest enumerates them. */
		for (size_t x = 1; x < n; x++)
			for (size_t y = x;
			     y > 0 && in->pt[slot[y - 1]].addr.fn > in->pt[slot[y]].addr.fn; y--) {
				size_t t = slot[y];

				slot[y] = slot[y - 1];
				slot[y - 1] = t;
			}
		for (size_t x = 0; x < n; x++)
			has_fn0 = has_fn0 || in->pt[slot[x]].addr.fn == 0;
		port++;
		for (size_t x = 0; x < n; x++) {
			struct qemu_pt_place *p = &pl[slot[x]];

			p->port = port;
			/* Without function 0 the guest would not scan the slot: renumber from 0. */
			p->fn = has_fn0 ? in->pt[slot[x]].addr.fn : (unsigned)x;
			p->multifunction = p->fn == 0 && n > 1;
		}
	}
	*ret = TAKE_PTR(pl);
	*ret_ports = port;
	return 0;
}

static void add_passthrough(struct argv_builder *b, const struct qemu_cmd_input *in,
			    const struct qemu_boot_order *bo, unsigned *chassis)
{
	const struct vm_options *o = vm_options(in->vm);
	_cleanup_free_ struct qemu_pt_place *pl = NULL;
	unsigned n_ports = 0;
	int r;

	r = qemu_place_passthrough(in, &pl, &n_ports);
	if (r < 0) {
		b->err = r;
		return;
	}
	for (unsigned port = 1; port <= n_ports; port++) {
		unsigned id = (*chassis)++;

		add2(b, "-device", "pcie-root-port,id=rp%u,chassis=%u", id, id);
		/* The port's functions in ascending order, as the guest enumerates them. */
		for (unsigned fn = 0; fn < 8; fn++)
			for (size_t i = 0; i < in->n_pt; i++) {
				const struct qemu_passthrough *p = &in->pt[i];
				const struct vm_device_options *dopt;
				_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

				if (pl[i].port != port || pl[i].fn != fn)
					continue;
				dopt = qemu_find_device_options(o, p->device);
				if (in->standins)
					strbuf_printf(&sb, "%s", standin_for_class(p->class));
				else
					strbuf_printf(&sb, "vfio-pci,host=%s", p->address);
				strbuf_printf(&sb, ",id=hostdev%zu,bus=rp%u,addr=00.%u", i, id, fn);
				if (pl[i].multifunction)
					strbuf_puts(&sb, ",multifunction=on");
				if (dopt && !in->standins)
					STRV_FOREACH (opt, dopt->options) {
						const char *rom = startswith(*opt, "romfile=");

						if (rom)
							strbuf_printf(&sb, ",romfile=%s%s", R(in),
								      rom);
						else
							strbuf_printf(&sb, ",%s", *opt);
					}
				/* A stand-in boots in the place of the device it stands for. */
				if (bo->pt[i])
					strbuf_printf(&sb, ",bootindex=%u", bo->pt[i]);
				if (sb.err) {
					b->err = sb.err;
					return;
				}
				add2(b, "-device", "%s", strbuf_str(&sb));
			}
	}
}

/* ",bootindex=N" in buf, or "" for a device the firmware is not to boot. */
static const char *bootindex(char buf[static 24], unsigned idx)
{
	buf[0] = '\0';
	if (idx)
		snprintf(buf, 24, ",bootindex=%u", idx);
	return buf;
}

static void add_disks(struct argv_builder *b, const struct qemu_cmd_input *in,
		      const struct qemu_boot_order *bo)
{
	const struct vm_config *vm = in->vm;
	const struct vm_options *o = vm_options(vm);
	char bi[24];
	size_t i = 0;

	for (i = 0; i < o->n_disks; i++) {
		const struct vm_disk *d = &o->disks[i];

		if (d->nvme_host)
			/* QEMU's userspace NVMe driver talks to the vfio-bound controller directly.
			 */
			add2(b, "-drive", "file=nvme://%s/%u,if=none,id=disk%zu,format=raw",
			     d->nvme_addr, d->nvme_namespace, i);
		else
			add2(b, "-drive", "file=%s%s,if=none,id=disk%zu,format=%s,cache=%s,aio=%s",
			     R(in), d->path, i, d->format, d->cache, d->aio);
		if (d->bus == VM_DISK_NVME) {
			add2(b, "-device",
			     "nvme,drive=disk%zu,serial=gpt-bootcfg-%zu,max_ioqpairs=%u%s", i, i,
			     vm->vcpus, bootindex(bi, bo->disks[i]));
		} else {
			/* Its own iothread keeps disk I/O off the main loop and the vCPUs. */
			add2(b, "-object", "iothread,id=iothread-disk%zu", i);
			add2(b, "-device",
			     "virtio-blk-pci,drive=disk%zu,iothread=iothread-disk%zu,"
			     "num-queues=%u%s",
			     i, i, vm->vcpus, bootindex(bi, bo->disks[i]));
		}
	}
	i = 0;
	STRV_FOREACH (cd, o->cdroms) {
		add2(b, "-drive", "file=%s%s,if=none,id=cdrom%zu,media=cdrom,readonly=on", R(in),
		     *cd, i);
		/* q35's built-in AHCI controller has six ports, ide.0 to ide.5. */
		add2(b, "-device", "ide-cd,drive=cdrom%zu,bus=ide.%zu%s", i, i,
		     bootindex(bi, bo->cdroms[i]));
		i++;
	}
}

static void add_network(struct argv_builder *b, const struct qemu_cmd_input *in,
			const struct qemu_boot_order *bo)
{
	const struct vm_options *o = vm_options(in->vm);
	const char *vhost = in->vhost_net ? ",vhost=on" : "";
	_cleanup_free_ char *mac = NULL;
	char bi[24];

	if (o->mac && asprintf(&mac, ",mac=%s", o->mac) < 0) {
		b->err = -ENOMEM;
		return;
	}
	switch (o->network) {
	case VM_NET_NONE:
		return;
	case VM_NET_USER:
		add2(b, "-netdev", "user,id=net0");
		break;
	case VM_NET_BRIDGE:
		/*
		 * A tap that qemu-bridge-helper creates and puts on the bridge: "-netdev bridge"
		 * is the same helper but takes no vhost option.
		 */
		add2(b, "-netdev", "tap,id=net0,br=%s,helper=" VM_BRIDGE_HELPER "%s", o->net_ifname,
		     vhost);
		break;
	case VM_NET_TAP:
		add2(b, "-netdev", "tap,id=net0,ifname=%s,script=no,downscript=no%s", o->net_ifname,
		     vhost);
		break;
	}
	add2(b, "-device", "%s,netdev=net0%s%s", o->net_model, mac ? mac : "",
	     bootindex(bi, bo->network));
}

static void add_spice(struct argv_builder *b, const struct qemu_cmd_input *in)
{
	const struct vm_config *vm = in->vm;
	const struct vm_options *o = vm_options(vm);

	if (o->spice == VM_SPICE_NONE)
		return;
	if (o->spice == VM_SPICE_UNIX) {
		/* The socket is created 0600 (vm run's umask): its mode is the access control. */
		add2(b, "-spice", "unix=on,addr=%s" VM_RUN_DIR "/%s.spice,disable-ticketing=on",
		     R(in), vm->name);
	} else {
		add2(b, "-object", "secret,id=spice-password,file=%s%s", R(in),
		     o->spice_password_file);
		add2(b, "-spice", "port=%u,addr=127.0.0.1,password-secret=spice-password",
		     o->spice_port);
	}
	/* What the client shows; "none" leaves the passed-through GPU the only display. */
	if (o->display == VM_DISPLAY_VIRTIO_VGA)
		add2(b, "-device", "virtio-vga,id=video0");
	else if (o->display == VM_DISPLAY_QXL_VGA)
		add2(b, "-device", "qxl-vga,id=video0");
	add2(b, "-device", "virtio-serial-pci,id=vserial0");
	/* The agent: clipboard, client-sized resolution, mouse mode. */
	add2(b, "-chardev", "spicevmc,id=vdagent,name=vdagent");
	add2(b, "-device", "virtserialport,bus=vserial0.0,chardev=vdagent,name=com.redhat.spice.0");
	/* spice-streaming-agent in the guest sends its encoded screen through this port. */
	add2(b, "-chardev", "spiceport,id=spicestream,name=org.spice-space.stream.0");
	add2(b, "-device",
	     "virtserialport,bus=vserial0.0,chardev=spicestream,"
	     "name=org.spice-space.stream.0");
	if (o->audio == VM_AUDIO_SPICE) {
		add2(b, "-audiodev", "spice,id=audio0");
		add2(b, "-device", "ich9-intel-hda,id=sound0");
		/* Line out and microphone in, both through the SPICE client. */
		add2(b, "-device", "hda-duplex,bus=sound0.0,audiodev=audio0");
	}
	if (o->usb_redirect) {
		char ports[32];

		/* usb-devices (vm-gamedev.c) share this controller. */
		add2(b, "-device", "qemu-xhci,id=usbredir%s", vm_gaming_xhci_ports(o, ports));
		for (unsigned i = 0; i < o->usb_redirect; i++) {
			add2(b, "-chardev", "spicevmc,id=usbredir%u,name=usbredir", i);
			add2(b, "-device", "usb-redir,chardev=usbredir%u,bus=usbredir.0", i);
		}
	}
}

/* Each feature's arguments, in table order (features/table.h). */
static void add_features(struct argv_builder *b, const struct qemu_cmd_input *in)
{
	FOREACH_FEATURE (f) {
		_cleanup_strv_free_ char **l = NULL;
		int r;

		if (b->err || !(*f)->qemu_args)
			continue;
		r = (*f)->qemu_args(in, &l);
		if (r < 0) {
			b->err = r;
			return;
		}
		STRV_FOREACH (a, l)
			add(b, "%s", *a);
	}
}

int qemu_cmd_build(const struct qemu_cmd_input *in, char ***ret_argv)
{
	const struct vm_config *vm = in->vm;
	const struct vm_options *o = vm_options(vm);
	struct argv_builder b = {0};
	bool tcg = in->accel && streq(in->accel, "tcg");
	struct qemu_boot_order bo;
	unsigned chassis = 1;
	int r;

	r = qemu_boot_order(in, &bo);
	if (r < 0)
		return r;

	add(&b, "%s", in->qemu ? in->qemu : "qemu-system-x86_64");
	add2(&b, "-name", "%s,debug-threads=on", vm->name);
	add(&b, "-nodefaults");
	add(&b, "-no-user-config");
	add2(&b, "-display", "none");
	/*
	 * A versioned machine type (vm-state.h) keeps the guest's hardware when QEMU is
	 * upgraded. No HPET: Windows then uses the Hyper-V or TSC clock, as libvirt sets it.
	 */
	add2(&b, "-machine", "%s,accel=%s,vmport=off,hpet=off,memory-backend=mem0",
	     in->machine  ? in->machine
	     : o->machine ? o->machine
			  : "q35",
	     in->accel ? in->accel : "kvm");
	add_cpu(&b, in, tcg);
	add2(&b, "-smp", "%u,sockets=%u,cores=%u,threads=%u", vm->vcpus, vm->sockets, vm->cores,
	     vm->threads);
	add_memory(&b, in);
	if (in->uuid || o->uuid)
		add2(&b, "-uuid", "%s", in->uuid ? in->uuid : o->uuid);
	/*
	 * Timer ticks a descheduled guest missed are delivered late rather than dropped or
	 * squeezed in, and the RTC catches up by slewing: Windows' clock stays right.
	 */
	add2(&b, "-rtc", "base=%s,driftfix=slew", o->rtc_localtime ? "localtime" : "utc");
	add2(&b, "-global", "kvm-pit.lost_tick_policy=delay");
	/* Windows guests with passed-through GPUs often fail to resume from S3/S4. */
	add2(&b, "-global", "ICH9-LPC.disable_s3=1");
	add2(&b, "-global", "ICH9-LPC.disable_s4=1");
	if (in->qmp_by_fd) {
		add2(&b, "-chardev", "socket,id=qmp,fd=%d,server=on,wait=off", in->qmp_fd);
		add2(&b, "-mon", "chardev=qmp,mode=control");
	} else {
		add2(&b, "-qmp", "unix:%s" VM_RUN_DIR "/%s.qmp,server=on,wait=off", R(in),
		     vm->name);
	}
	add2(&b, "-pidfile", "%s" VM_RUN_DIR "/%s.pid", R(in), vm->name);
	/* QEMU's own messages in the journal get the time they happened, not when read. */
	add2(&b, "-msg", "timestamp=on");
	/*
	 * QEMU never changes its user itself (vm run starts it as the unprivileged user, see
	 * vm-user.h), so set*id stays denied; a bridge needs qemu-bridge-helper spawned.
	 */
	add2(&b, "-sandbox", "on,obsolete=deny,elevateprivileges=deny%s",
	     o->network == VM_NET_BRIDGE ? "" : ",spawn=deny");
	if (o->firmware == VM_FIRMWARE_OVMF) {
		add2(&b, "-drive", "if=pflash,format=raw,readonly=on,file=%s%s", R(in),
		     o->ovmf_code);
		add2(&b, "-drive", "if=pflash,format=raw,file=%s" VM_STATE_DIR "/%s/OVMF_VARS.fd",
		     R(in), vm->name);
	}
	add_passthrough(&b, in, &bo, &chassis);
	add_disks(&b, in, &bo);
	add_network(&b, in, &bo);
	add_spice(&b, in);
	add_features(&b, in);
	STRV_FOREACH (a, o->extra_args)
		add(&b, "%s", *a);

	qemu_boot_order_done(&bo);
	if (b.err) {
		strv_free(b.argv);
		return b.err;
	}
	*ret_argv = b.argv;
	return 0;
}
