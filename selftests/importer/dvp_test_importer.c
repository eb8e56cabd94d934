// SPDX-License-Identifier: GPL-2.0-only
/*
 * dvp_test_importer: a test-only dma-buf importer for dmabuf-vfio-pci.
 *
 * It drives QEMU's edu device as a real DMA master: a dma-buf fd handed in
 * through /dev/dvp_test_importer is attached dynamically for edu, mapped
 * through edu's IOMMU domain, and data is copied between user memory and
 * the buffer with edu's DMA engine (user memory -> bounce buffer -> edu's
 * internal buffer -> dma-buf, or back). The CPU never touches the BAR, so
 * bytes that arrive there prove peer-to-peer DMA through the mapping.
 *
 * move_notify is counted and drops the mapping, as a real importer must;
 * DMA runs with the reservation lock held, so a revoke waits for it. A
 * rogue attachment (DVP_TI_ATTACH_ROGUE) counts move_notify and keeps its
 * mapping, as a buggy importer would. A test can also leave a fence of its
 * own pending on the buffer (DVP_TI_FENCE_ADD) and signal it later, to see
 * how long the exporter waits for it.
 *
 * QEMU's edu facts: 28-bit DMA mask, a 4 KiB internal buffer at 0x40000
 * (QEMU 7.2 aborts on a transfer of the full 4096 bytes), one transfer at a
 * time, registers below.
 */
#include <linux/delay.h>
#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "dvp_test_importer.h"

MODULE_IMPORT_NS(DMA_BUF);

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_COUNT		0x90
#define EDU_DMA_CMD		0x98
#define EDU_DMA_START		BIT(0)
#define EDU_DMA_TO_RAM		BIT(1)	/* edu buffer -> bus address */
#define EDU_BUF_ADDR		0x40000
#define EDU_DMA_MASK_BITS	28
#define EDU_CHUNK		2048
#define EDU_DMA_TIMEOUT		msecs_to_jiffies(5000)

struct ti_edu {
	struct pci_dev *pdev;
	void __iomem *regs;
	void *bounce;
	dma_addr_t bounce_dma;
	struct mutex lock;	/* one transfer at a time */
};

static struct ti_edu *ti_edu;
static DEFINE_MUTEX(ti_edu_lock);	/* guards the ti_edu pointer */

struct ti_ctx {
	struct mutex lock;	/* serialises this file's ioctls */
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;	/* under the dma-buf's reservation lock */
	/* Added by DVP_TI_FENCE_ADD and not yet signaled; our reference. */
	struct dma_fence *fence;
	u64 fence_context;
	u64 fence_seqno;
	struct dvp_ti_stats stats;
};

struct ti_fence {
	struct dma_fence base;	/* first: dma_fence_free() frees the whole */
	spinlock_t lock;
};

static const char *ti_fence_driver_name(struct dma_fence *fence)
{
	return DVP_TI_DRIVER;
}

static const char *ti_fence_timeline_name(struct dma_fence *fence)
{
	return "test";
}

/*
 * The buffer's reservation object may drop the last reference after this
 * file is gone, so each fence holds the module that owns its ops.
 */
static void ti_fence_release(struct dma_fence *fence)
{
	dma_fence_free(fence);
	module_put(THIS_MODULE);
}

static const struct dma_fence_ops ti_fence_ops = {
	.get_driver_name = ti_fence_driver_name,
	.get_timeline_name = ti_fence_timeline_name,
	.release = ti_fence_release,
};

static int ti_fence_add(struct ti_ctx *ctx)
{
	struct dma_resv *resv = ctx->dmabuf->resv;
	struct ti_fence *f;
	int ret;

	if (ctx->fence)
		return -EBUSY;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	__module_get(THIS_MODULE);
	spin_lock_init(&f->lock);
	dma_fence_init(&f->base, &ti_fence_ops, &f->lock, ctx->fence_context,
		       ++ctx->fence_seqno);

	dma_resv_lock(resv, NULL);
	ret = dma_resv_reserve_fences(resv, 1);
	if (!ret)
		dma_resv_add_fence(resv, &f->base, DMA_RESV_USAGE_WRITE);
	dma_resv_unlock(resv);
	if (ret) {
		dma_fence_put(&f->base);
		return ret;
	}
	ctx->fence = &f->base;
	return 0;
}

/* Without the reservation lock: a waiter for the fence may hold it. */
static int ti_fence_signal(struct ti_ctx *ctx)
{
	if (!ctx->fence)
		return -ENOENT;
	dma_fence_signal(ctx->fence);
	dma_fence_put(ctx->fence);
	ctx->fence = NULL;
	return 0;
}

static void ti_unmap_locked(struct ti_ctx *ctx)
{
	dma_resv_assert_held(ctx->dmabuf->resv);
	if (!ctx->sgt)
		return;
	dma_buf_unmap_attachment(ctx->attach, ctx->sgt, DMA_BIDIRECTIONAL);
	ctx->sgt = NULL;
	ctx->stats.mapped_size = 0;
	ctx->stats.mapped_nents = 0;
}

static void ti_move_notify(struct dma_buf_attachment *attach)
{
	struct ti_ctx *ctx = attach->importer_priv;

	ctx->stats.move_notify++;
	ti_unmap_locked(ctx);
}

static const struct dma_buf_attach_ops ti_p2p_ops = {
	.allow_peer2peer = true,
	.move_notify = ti_move_notify,
};

static const struct dma_buf_attach_ops ti_no_p2p_ops = {
	.allow_peer2peer = false,
	.move_notify = ti_move_notify,
};

/* A rogue importer hears move_notify and keeps its mapping anyway. */
static void ti_rogue_move_notify(struct dma_buf_attachment *attach)
{
	struct ti_ctx *ctx = attach->importer_priv;

	dma_resv_assert_held(ctx->dmabuf->resv);
	ctx->stats.move_notify++;
}

static const struct dma_buf_attach_ops ti_rogue_ops = {
	.allow_peer2peer = true,
	.move_notify = ti_rogue_move_notify,
};

static const struct dma_buf_attach_ops *ti_attach_ops(u32 flags)
{
	if (flags & DVP_TI_ATTACH_ROGUE)
		return &ti_rogue_ops;
	if (flags & DVP_TI_ATTACH_NO_P2P)
		return &ti_no_p2p_ops;
	return &ti_p2p_ops;
}

static int ti_map_locked(struct ti_ctx *ctx)
{
	struct scatterlist *sg;
	struct sg_table *sgt;
	unsigned int i;

	dma_resv_assert_held(ctx->dmabuf->resv);
	/* A rogue importer gets here with its old mapping after a revoke. */
	if (ctx->sgt)
		return 0;
	sgt = dma_buf_map_attachment(ctx->attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt)) {
		ctx->stats.map_failures++;
		return PTR_ERR(sgt);
	}
	ctx->sgt = sgt;
	ctx->stats.maps++;
	for_each_sgtable_dma_sg(sgt, sg, i)
		ctx->stats.mapped_size += sg_dma_len(sg);
	ctx->stats.mapped_nents = sgt->nents;
	return 0;
}

/* The bus address of buffer offset off and how many bytes follow it. */
static int ti_lookup(struct ti_ctx *ctx, u64 off, dma_addr_t *addr, u64 *avail)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(ctx->sgt, sg, i) {
		if (off < sg_dma_len(sg)) {
			*addr = sg_dma_address(sg) + off;
			*avail = sg_dma_len(sg) - off;
			return 0;
		}
		off -= sg_dma_len(sg);
	}
	return -EINVAL;
}

static int edu_dma(struct ti_edu *edu, dma_addr_t src, dma_addr_t dst,
		   u32 len, u32 cmd)
{
	unsigned long timeout = jiffies + EDU_DMA_TIMEOUT;

	writeq(src, edu->regs + EDU_DMA_SRC);
	writeq(dst, edu->regs + EDU_DMA_DST);
	writeq(len, edu->regs + EDU_DMA_COUNT);
	writeq(cmd | EDU_DMA_START, edu->regs + EDU_DMA_CMD);
	while (readq(edu->regs + EDU_DMA_CMD) & EDU_DMA_START) {
		if (time_after(jiffies, timeout))
			return -ETIMEDOUT;
		usleep_range(1000, 2000);
	}
	return 0;
}

/* One chunk between the bounce buffer and bus address addr. */
static int edu_copy(struct ti_edu *edu, dma_addr_t addr, u32 len, u32 dir)
{
	int ret;

	if (dir == DVP_TI_TO_BUF) {
		ret = edu_dma(edu, edu->bounce_dma, EDU_BUF_ADDR, len, 0);
		if (!ret)
			ret = edu_dma(edu, EDU_BUF_ADDR, addr, len,
				      EDU_DMA_TO_RAM);
	} else {
		ret = edu_dma(edu, addr, EDU_BUF_ADDR, len, 0);
		if (!ret)
			ret = edu_dma(edu, EDU_BUF_ADDR, edu->bounce_dma, len,
				      EDU_DMA_TO_RAM);
	}
	return ret;
}

static int ti_dma(struct ti_ctx *ctx, struct dvp_ti_dma *req, u8 *data)
{
	struct ti_edu *edu;
	u64 done = 0;
	int ret;

	mutex_lock(&ti_edu_lock);
	edu = ti_edu;
	if (!edu) {
		mutex_unlock(&ti_edu_lock);
		return -ENODEV;
	}
	mutex_lock(&edu->lock);
	/* Held across the transfer: a revoke waits until edu is done. */
	dma_resv_lock(ctx->dmabuf->resv, NULL);
	ret = ti_map_locked(ctx);
	while (!ret && done < req->len) {
		dma_addr_t addr;
		u64 avail;
		u32 len;

		ret = ti_lookup(ctx, req->offset + done, &addr, &avail);
		if (ret)
			break;
		len = min3((u64)EDU_CHUNK, avail, (u64)req->len - done);
		if (req->dir == DVP_TI_TO_BUF)
			memcpy(edu->bounce, data + done, len);
		ret = edu_copy(edu, addr, len, req->dir);
		if (!ret && req->dir == DVP_TI_FROM_BUF)
			memcpy(data + done, edu->bounce, len);
		done += len;
	}
	dma_resv_unlock(ctx->dmabuf->resv);
	mutex_unlock(&edu->lock);
	mutex_unlock(&ti_edu_lock);
	return ret;
}

static long ti_ioctl_dma(struct ti_ctx *ctx, void __user *arg)
{
	void __user *udata;
	struct dvp_ti_dma req;
	u8 *data;
	int ret;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (!req.len || req.len > DVP_TI_DMA_MAX ||
	    (req.dir != DVP_TI_TO_BUF && req.dir != DVP_TI_FROM_BUF))
		return -EINVAL;
	if (req.offset >= ctx->dmabuf->size ||
	    req.len > ctx->dmabuf->size - req.offset)
		return -EINVAL;
	udata = u64_to_user_ptr(req.user_addr);

	/* User memory is copied outside the reservation lock. */
	data = kvmalloc(req.len, GFP_KERNEL);
	if (!data)
		return -ENOMEM;
	ret = -EFAULT;
	if (req.dir == DVP_TI_TO_BUF && copy_from_user(data, udata, req.len))
		goto out;
	ret = ti_dma(ctx, &req, data);
	if (!ret && req.dir == DVP_TI_FROM_BUF &&
	    copy_to_user(udata, data, req.len))
		ret = -EFAULT;
out:
	kvfree(data);
	return ret;
}

static void ti_detach(struct ti_ctx *ctx)
{
	if (!ctx->attach)
		return;
	ti_fence_signal(ctx);
	dma_resv_lock(ctx->dmabuf->resv, NULL);
	ti_unmap_locked(ctx);
	if (ctx->stats.pinned)
		dma_buf_unpin(ctx->attach);
	ctx->stats.pinned = 0;
	dma_resv_unlock(ctx->dmabuf->resv);
	dma_buf_detach(ctx->dmabuf, ctx->attach);
	dma_buf_put(ctx->dmabuf);
	ctx->attach = NULL;
	ctx->dmabuf = NULL;
}

static long ti_ioctl_attach(struct ti_ctx *ctx, void __user *arg)
{
	struct dma_buf_attachment *attach;
	struct dvp_ti_attach req;
	struct dma_buf *dmabuf;
	struct device *dev;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (req.flags & ~(DVP_TI_ATTACH_STATIC | DVP_TI_ATTACH_NO_P2P |
			  DVP_TI_ATTACH_ROGUE))
		return -EINVAL;
	/* A rogue importer is a dynamic P2P one that ignores move_notify. */
	if ((req.flags & DVP_TI_ATTACH_ROGUE) &&
	    (req.flags & (DVP_TI_ATTACH_STATIC | DVP_TI_ATTACH_NO_P2P)))
		return -EINVAL;
	if (ctx->attach)
		return -EBUSY;

	mutex_lock(&ti_edu_lock);
	dev = ti_edu ? get_device(&ti_edu->pdev->dev) : NULL;
	mutex_unlock(&ti_edu_lock);
	if (!dev)
		return -ENODEV;

	dmabuf = dma_buf_get(req.fd);
	if (IS_ERR(dmabuf)) {
		put_device(dev);
		return PTR_ERR(dmabuf);
	}
	if (req.flags & DVP_TI_ATTACH_STATIC)
		attach = dma_buf_attach(dmabuf, dev);
	else
		attach = dma_buf_dynamic_attach(dmabuf, dev,
						ti_attach_ops(req.flags), ctx);
	put_device(dev);
	if (IS_ERR(attach)) {
		dma_buf_put(dmabuf);
		return PTR_ERR(attach);
	}
	memset(&ctx->stats, 0, sizeof(ctx->stats));
	ctx->dmabuf = dmabuf;
	ctx->attach = attach;
	return 0;
}

static long ti_ioctl_locked(struct ti_ctx *ctx, unsigned int cmd,
			    void __user *arg)
{
	long ret;

	if (cmd == DVP_TI_ATTACH)
		return ti_ioctl_attach(ctx, arg);
	if (!ctx->attach)
		return -ENOTCONN;

	switch (cmd) {
	case DVP_TI_DETACH:
		ti_detach(ctx);
		return 0;
	case DVP_TI_DMA:
		return ti_ioctl_dma(ctx, arg);
	case DVP_TI_FENCE_ADD:
		return ti_fence_add(ctx);
	case DVP_TI_FENCE_SIGNAL:
		return ti_fence_signal(ctx);
	case DVP_TI_STATS: {
		struct dvp_ti_stats stats;

		/* No user copy under the reservation lock: mmap_lock nests outside it. */
		dma_resv_lock(ctx->dmabuf->resv, NULL);
		stats = ctx->stats;
		dma_resv_unlock(ctx->dmabuf->resv);
		return copy_to_user(arg, &stats, sizeof(stats)) ? -EFAULT : 0;
	}
	case DVP_TI_MAP:
	case DVP_TI_PIN:
	case DVP_TI_UNPIN:
		break;
	default:
		return -ENOTTY;
	}

	dma_resv_lock(ctx->dmabuf->resv, NULL);
	if (cmd == DVP_TI_MAP) {
		ret = ti_map_locked(ctx);
	} else if (cmd == DVP_TI_PIN) {
		ret = ctx->stats.pinned ? -EBUSY : dma_buf_pin(ctx->attach);
		if (!ret)
			ctx->stats.pinned = 1;
	} else {
		ret = ctx->stats.pinned ? 0 : -EINVAL;
		if (!ret)
			dma_buf_unpin(ctx->attach);
		ctx->stats.pinned = 0;
	}
	dma_resv_unlock(ctx->dmabuf->resv);
	return ret;
}

static long ti_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ti_ctx *ctx = file->private_data;
	long ret;

	mutex_lock(&ctx->lock);
	ret = ti_ioctl_locked(ctx, cmd, (void __user *)arg);
	mutex_unlock(&ctx->lock);
	return ret;
}

static int ti_open(struct inode *inode, struct file *file)
{
	struct ti_ctx *ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return -ENOMEM;
	mutex_init(&ctx->lock);
	ctx->fence_context = dma_fence_context_alloc(1);
	file->private_data = ctx;
	return 0;
}

static int ti_release(struct inode *inode, struct file *file)
{
	struct ti_ctx *ctx = file->private_data;

	ti_detach(ctx);
	mutex_destroy(&ctx->lock);
	kfree(ctx);
	return 0;
}

static const struct file_operations ti_fops = {
	.owner		= THIS_MODULE,
	.open		= ti_open,
	.release	= ti_release,
	.unlocked_ioctl	= ti_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice ti_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "dvp_test_importer",
	.fops	= &ti_fops,
};

static int ti_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct ti_edu *edu;
	int ret;

	edu = devm_kzalloc(&pdev->dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(0), DVP_TI_DRIVER);
	if (ret)
		return ret;
	ret = dma_set_mask_and_coherent(&pdev->dev,
					DMA_BIT_MASK(EDU_DMA_MASK_BITS));
	if (ret)
		return ret;
	edu->bounce = dmam_alloc_coherent(&pdev->dev, EDU_CHUNK,
					  &edu->bounce_dma, GFP_KERNEL);
	if (!edu->bounce)
		return -ENOMEM;
	edu->regs = pcim_iomap_table(pdev)[0];
	edu->pdev = pdev;
	mutex_init(&edu->lock);
	pci_set_master(pdev);

	mutex_lock(&ti_edu_lock);
	if (ti_edu)
		ret = -EBUSY;
	else
		ti_edu = edu;
	mutex_unlock(&ti_edu_lock);
	if (ret)
		return ret;
	pci_set_drvdata(pdev, edu);
	return 0;
}

static void ti_remove(struct pci_dev *pdev)
{
	mutex_lock(&ti_edu_lock);
	ti_edu = NULL;
	mutex_unlock(&ti_edu_lock);
	pci_clear_master(pdev);
}

/* Binds edu only when userspace names this driver in driver_override. */
static const struct pci_device_id ti_ids[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(EDU_VENDOR, EDU_DEVICE) },
	{}
};

static struct pci_driver ti_driver = {
	.name		= DVP_TI_DRIVER,
	.id_table	= ti_ids,
	.probe		= ti_probe,
	.remove		= ti_remove,
};

static int __init ti_init(void)
{
	int ret = misc_register(&ti_misc);

	if (ret)
		return ret;
	ret = pci_register_driver(&ti_driver);
	if (ret)
		misc_deregister(&ti_misc);
	return ret;
}

static void __exit ti_exit(void)
{
	pci_unregister_driver(&ti_driver);
	misc_deregister(&ti_misc);
}

module_init(ti_init);
module_exit(ti_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test-only dma-buf importer driving QEMU's edu DMA engine");
