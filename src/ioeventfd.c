// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-vfio-pci: VFIO_DEVICE_IOEVENTFD, from one copy of the request.
 *
 * vfio_pci_core_ioctl() reads the request from user memory itself, so no
 * check of ours could hold: another thread can rewrite the request between
 * our look and the core's. And the core turns the 64-bit offset into a
 * signed BAR index, so an offset with bit 63 set indexes before its BAR
 * arrays and lets the eventfd write kernel memory. Here the request is
 * copied once, checked as the core checks it (and the index as unsigned),
 * and served with the core's semantics: each signal writes data to the
 * BAR, unless memory decode is off, under the core's memory_lock like the
 * core's own ioeventfds.
 *
 * The BAR is claimed under dvp->lock (src/memattr.c). The list has its own
 * lock, never held with dvp->lock: vfio_virqfd_disable() waits for a
 * write that may wait for memory_lock, which a reset holds while it takes
 * dvp->lock.
 */
#include <linux/io.h>
/* The core's 64-bit write: two 32-bit ones where iowrite64 is missing. */
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#include "dvp_compat.h"
#include "dvp.h"

/* The core's own bound on ioeventfds per device. */
#define DVP_IOEVENTFD_MAX	1000

struct dvp_ioeventfd {
	struct list_head node;
	struct dvp_device *dvp;
	struct virqfd *virqfd;
	void __iomem *addr;
	u64 data;
	u64 pos;
	unsigned int bar;
	unsigned int count;
	bool test_mem;
};

/* Bytes land in memory order, as a write() of data would put them. */
#ifdef __LITTLE_ENDIAN
#define dvp_iowrite16	iowrite16
#define dvp_iowrite32	iowrite32
#define dvp_iowrite64	iowrite64
#else
#define dvp_iowrite16	iowrite16be
#define dvp_iowrite32	iowrite32be
#define dvp_iowrite64	iowrite64be
#endif

static void dvp_ioeventfd_write(struct dvp_ioeventfd *ev)
{
	switch (ev->count) {
	case 1:
		iowrite8(ev->data, ev->addr);
		break;
	case 2:
		dvp_iowrite16(ev->data, ev->addr);
		break;
	case 4:
		dvp_iowrite32(ev->data, ev->addr);
		break;
	case 8:
		dvp_iowrite64(ev->data, ev->addr);
		break;
	}
}

/* A memory BAR only while decode is on; the caller holds memory_lock. */
static void dvp_ioeventfd_write_gated(struct dvp_ioeventfd *ev)
{
	if (!ev->test_mem || dvp_memory_enabled(&ev->dvp->core))
		dvp_ioeventfd_write(ev);
}

/* From the eventfd's wake-up, atomic: a contended lock goes to the thread. */
static int dvp_ioeventfd_handler(void *opaque, void *unused)
{
	struct dvp_ioeventfd *ev = opaque;
	struct rw_semaphore *memory_lock = &ev->dvp->core.memory_lock;

	if (ev->test_mem && !down_read_trylock(memory_lock))
		return 1;
	dvp_ioeventfd_write_gated(ev);
	if (ev->test_mem)
		up_read(memory_lock);
	return 0;
}

static void dvp_ioeventfd_thread(void *opaque, void *unused)
{
	struct dvp_ioeventfd *ev = opaque;
	struct rw_semaphore *memory_lock = &ev->dvp->core.memory_lock;

	if (ev->test_mem)
		down_read(memory_lock);
	dvp_ioeventfd_write_gated(ev);
	if (ev->test_mem)
		up_read(memory_lock);
}

/* The core's checks, on our copy; the BAR index is unsigned here. */
static int dvp_ioeventfd_check(struct dvp_device *dvp,
			       const struct vfio_device_ioeventfd *req)
{
	struct vfio_pci_core_device *core = &dvp->core;
	u32 count = req->flags & VFIO_DEVICE_IOEVENTFD_SIZE_MASK;
	u64 index = VFIO_PCI_OFFSET_TO_INDEX(req->offset);
	u64 pos = req->offset & VFIO_PCI_OFFSET_MASK;

	if (req->argsz < offsetofend(struct vfio_device_ioeventfd, fd) ||
	    (req->flags & ~VFIO_DEVICE_IOEVENTFD_SIZE_MASK) ||
	    hweight32(count) != 1 || req->fd < -1)
		return -EINVAL;
	if (index > VFIO_PCI_BAR5_REGION_INDEX ||
	    pos + count > pci_resource_len(core->pdev, index))
		return -EINVAL;
	/* No way around the core's emulation of MSI-X table writes. */
	if (index == core->msix_bar &&
	    !(pos + count <= core->msix_offset ||
	      pos >= core->msix_offset + core->msix_size))
		return -EINVAL;
	return 0;
}

static int dvp_ioeventfd_add(struct dvp_device *dvp,
			     const struct vfio_device_ioeventfd *req,
			     unsigned int bar, unsigned int count)
{
	struct vfio_pci_core_device *core = &dvp->core;
	struct dvp_ioeventfd *ev;
	int ret;

	if (dvp->nr_ioeventfds >= DVP_IOEVENTFD_MAX)
		return -ENOSPC;
	ev = kzalloc(sizeof(*ev), GFP_KERNEL_ACCOUNT);
	if (!ev)
		return -ENOMEM;
	ev->dvp = dvp;
	ev->pos = req->offset & VFIO_PCI_OFFSET_MASK;
	ev->addr = core->barmap[bar] + ev->pos;
	ev->data = req->data;
	ev->bar = bar;
	ev->count = count;
	ev->test_mem = pci_resource_flags(core->pdev, bar) & IORESOURCE_MEM;
	ret = vfio_virqfd_enable(ev, dvp_ioeventfd_handler,
				 dvp_ioeventfd_thread, NULL, &ev->virqfd,
				 req->fd);
	if (ret) {
		kfree(ev);
		return ret;
	}
	list_add(&ev->node, &dvp->ioeventfds);
	dvp->nr_ioeventfds++;
	return 0;
}

static void dvp_ioeventfd_del(struct dvp_device *dvp, struct dvp_ioeventfd *ev)
{
	vfio_virqfd_disable(&ev->virqfd);
	list_del(&ev->node);
	dvp->nr_ioeventfds--;
	kfree(ev);
}

long dvp_ioctl_ioeventfd(struct dvp_device *dvp, void __user *arg)
{
	struct vfio_device_ioeventfd req;
	struct dvp_ioeventfd *ev;
	unsigned int bar, count;
	u64 pos;
	int ret;

	if (copy_from_user(&req, arg,
			   offsetofend(struct vfio_device_ioeventfd, fd)))
		return -EFAULT;
	ret = dvp_ioeventfd_check(dvp, &req);
	if (ret)
		return ret;
	bar = VFIO_PCI_OFFSET_TO_INDEX(req.offset);
	pos = req.offset & VFIO_PCI_OFFSET_MASK;
	count = req.flags & VFIO_DEVICE_IOEVENTFD_SIZE_MASK;

	/* Only an ioeventfd to add claims the BAR; none lives unclaimed. */
	if (req.fd >= 0) {
		ret = dvp_bar_claim_ioeventfd(dvp, bar);
		if (ret)
			return ret;
	}

	mutex_lock(&dvp->ioeventfd_lock);
	list_for_each_entry(ev, &dvp->ioeventfds, node) {
		if (ev->pos != pos || ev->bar != bar || ev->data != req.data ||
		    ev->count != count)
			continue;
		if (req.fd == -1) {
			dvp_ioeventfd_del(dvp, ev);
			ret = 0;
		} else {
			ret = -EEXIST;
		}
		goto out;
	}
	ret = req.fd < 0 ? -ENODEV : dvp_ioeventfd_add(dvp, &req, bar, count);
out:
	mutex_unlock(&dvp->ioeventfd_lock);
	return ret;
}

/* At close, before the core unmaps the BARs. */
void dvp_ioeventfds_release(struct dvp_device *dvp)
{
	struct dvp_ioeventfd *ev, *tmp;

	mutex_lock(&dvp->ioeventfd_lock);
	list_for_each_entry_safe(ev, tmp, &dvp->ioeventfds, node)
		dvp_ioeventfd_del(dvp, ev);
	mutex_unlock(&dvp->ioeventfd_lock);
}
