// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-vfio-pci: export of BAR ranges as dma-bufs (feature 11).
 *
 * The uAPI, its validation order and its errnos are mainline's (6.19+), so
 * userspace cannot tell the two apart. The ranges are resolved to CPU
 * physical addresses once, at export; importers get them mapped for their
 * own device with dma_map_resource(), which goes through their IOMMU.
 *
 * The exporter is dynamic (it has pin/unpin): a static exporter would have
 * its first mapping cached by the dma-buf core and handed out again after
 * a revoke. Only importers that accept peer-to-peer addresses and listen
 * to move_notify may attach, since the mapping has no struct pages and is
 * taken away on reset and close.
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "dmabuf_vfio_pci.h"
#include "dvp_compat.h"
#include "dvp.h"

MODULE_IMPORT_NS(DMA_BUF);

/* An sg entry's length is an unsigned int; keep segments page-aligned. */
#define DVP_MAX_SEGMENT		ALIGN_DOWN((u64)UINT_MAX, PAGE_SIZE)
/* The most sg entries one map of a buffer may need; more gives -E2BIG. */
#define DVP_MAX_SEGMENTS	(2 * DVP_DMA_BUF_MAX_RANGES)

/* Open flags a dma-buf fd can carry; anything else is refused. */
#define DVP_OPEN_FLAGS		(O_ACCMODE | O_CLOEXEC | O_NONBLOCK)

static void dvp_unmap_segments(struct device *dev, struct sg_table *sgt,
			       unsigned int count, enum dma_data_direction dir)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sg(sgt->sgl, sg, count, i)
		dma_unmap_resource(dev, sg_dma_address(sg), sg_dma_len(sg),
				   dir, DMA_ATTR_SKIP_CPU_SYNC);
}

/*
 * The exporter's view of one attachment: the mappings it handed out, so
 * a revoke can take them down itself, and the pins, to tell the dma-buf
 * core's own pin around a map from an importer's explicit one. Under the
 * reservation lock.
 */
struct dvp_attachment {
	struct list_head maps;
	unsigned int pins;
};

struct dvp_map {
	struct sg_table sgt;
	struct list_head node;
	enum dma_data_direction dir;
	/* A revoke unmapped it already; the importer's unmap only frees. */
	bool torn_down;
};

static int dvp_dmabuf_attach(struct dma_buf *dmabuf,
			     struct dma_buf_attachment *attach)
{
	struct dvp_dmabuf *buf = dmabuf->priv;
	struct dvp_attachment *a;

	if (!attach->peer2peer || !dma_buf_attachment_is_dynamic(attach))
		return -EOPNOTSUPP;
	if (READ_ONCE(buf->state) != DVP_BUF_LIVE)
		return -ENODEV;
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	INIT_LIST_HEAD(&a->maps);
	attach->priv = a;
	return 0;
}

/* Unmap a mapping's DMA addresses unless a revoke did; true if it did now. */
static bool dvp_map_tear_down(struct device *dev, struct dvp_map *map)
{
	if (map->torn_down)
		return false;
	dvp_unmap_segments(dev, &map->sgt, map->sgt.nents, map->dir);
	map->torn_down = true;
	return true;
}

static void dvp_map_free(struct device *dev, struct dvp_map *map)
{
	dvp_map_tear_down(dev, map);
	list_del(&map->node);
	sg_free_table(&map->sgt);
	kfree(map);
}

static void dvp_dmabuf_detach(struct dma_buf *dmabuf,
			      struct dma_buf_attachment *attach)
{
	struct dvp_attachment *a = attach->priv;
	struct dvp_map *map, *tmp;

	/* An importer that detaches still mapped: off the list, unreachable. */
	list_for_each_entry_safe(map, tmp, &a->maps, node)
		dvp_map_free(attach->dev, map);
	kfree(a);
}

/*
 * Pinning is refused: a pinned importer ignores move_notify and would keep
 * the BAR through reset and close. With CONFIG_DMABUF_MOVE_NOTIFY=n the
 * dma-buf core pins a dynamic exporter itself right before every map, so
 * pin must succeed there when the attachment has neither a pin nor a
 * mapping; an importer's explicit pin looks the same, but then makes its
 * own map's pin, and with it the map, fail. So there, one mapping per
 * attachment at a time, and never one while pinned.
 */
static int dvp_dmabuf_pin(struct dma_buf_attachment *attach)
{
	struct dvp_dmabuf *buf = attach->dmabuf->priv;
	struct dvp_attachment *a = attach->priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY))
		return -EOPNOTSUPP;
	if (buf->state != DVP_BUF_LIVE)
		return -ENODEV;
	if (a->pins || !list_empty(&a->maps))
		return -EOPNOTSUPP;
	a->pins++;
	return 0;
}

static void dvp_dmabuf_unpin(struct dma_buf_attachment *attach)
{
	struct dvp_attachment *a = attach->priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (!WARN_ON(!a->pins))
		a->pins--;
}

static u64 dvp_nr_segments(const struct dvp_dmabuf *buf)
{
	u64 n = 0;
	u32 i;

	for (i = 0; i < buf->nr_ranges; i++)
		n += DIV_ROUND_UP(buf->ranges[i].len, DVP_MAX_SEGMENT);
	return n;
}

static int dvp_map_segments(struct dma_buf_attachment *attach,
			    struct dvp_map *map)
{
	struct dvp_dmabuf *buf = attach->dmabuf->priv;
	struct scatterlist *sg = map->sgt.sgl;
	unsigned int i, done = 0;
	int ret;

	for (i = 0; i < buf->nr_ranges; i++) {
		const struct dvp_range *r = &buf->ranges[i];
		u64 off, len;

		for (off = 0; off < r->len; off += len) {
			dma_addr_t addr;

			len = min_t(u64, r->len - off, DVP_MAX_SEGMENT);
			addr = dma_map_resource(attach->dev, r->phys + off, len,
						map->dir, DMA_ATTR_SKIP_CPU_SYNC);
			ret = dma_mapping_error(attach->dev, addr);
			if (ret) {
				dvp_unmap_segments(attach->dev, &map->sgt,
						   done, map->dir);
				return ret;
			}
			/* No struct page: importers use the DMA address only. */
			sg_set_page(sg, NULL, len, 0);
			sg_dma_address(sg) = addr;
			sg_dma_len(sg) = len;
			sg = sg_next(sg);
			done++;
		}
	}
	return 0;
}

static struct sg_table *dvp_dmabuf_map(struct dma_buf_attachment *attach,
				       enum dma_data_direction dir)
{
	struct dvp_dmabuf *buf = attach->dmabuf->priv;
	struct dvp_attachment *a = attach->priv;
	struct dvp_map *map;
	int ret;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (buf->state != DVP_BUF_LIVE)
		return ERR_PTR(-ENODEV);

	map = kzalloc(sizeof(*map), GFP_KERNEL);
	if (!map)
		return ERR_PTR(-ENOMEM);
	map->dir = dir;
	ret = sg_alloc_table(&map->sgt, dvp_nr_segments(buf), GFP_KERNEL);
	if (ret)
		goto err_free;
	ret = dvp_map_segments(attach, map);
	if (ret)
		goto err_table;
	list_add_tail(&map->node, &a->maps);
	return &map->sgt;

err_table:
	sg_free_table(&map->sgt);
err_free:
	kfree(map);
	return ERR_PTR(ret);
}

static void dvp_dmabuf_unmap(struct dma_buf_attachment *attach,
			     struct sg_table *sgt, enum dma_data_direction dir)
{
	dma_resv_assert_held(attach->dmabuf->resv);
	dvp_map_free(attach->dev, container_of(sgt, struct dvp_map, sgt));
}

/*
 * On revoke, once the importers' fences are done (or the wait gave up):
 * take down every DMA mapping an importer still holds, so one that
 * ignores move_notify faults in its IOMMU instead of reaching the BAR.
 * The IOTLB is flushed here rather than whenever a lazy IOMMU domain
 * would. Without an IOMMU a DMA address is the bus address and nothing
 * can be taken back (Documentation/design.rst).
 */
void dvp_export_unmap_importers(struct dvp_dmabuf *buf)
{
	struct dma_buf_attachment *attach;
	struct dvp_map *map;

	dma_resv_assert_held(buf->dmabuf->resv);
	list_for_each_entry(attach, &buf->dmabuf->attachments, node) {
		struct dvp_attachment *a = attach->priv;
		struct iommu_domain *domain;
		bool unmapped = false;

		list_for_each_entry(map, &a->maps, node)
			unmapped |= dvp_map_tear_down(attach->dev, map);
		domain = unmapped ? iommu_get_domain_for_dev(attach->dev) : NULL;
		if (domain)
			iommu_flush_iotlb_all(domain);
	}
}

static void dvp_dmabuf_release(struct dma_buf *dmabuf)
{
	struct dvp_dmabuf *buf = dmabuf->priv;

	dvp_access_release(buf);
	/* A BAR mmap of the device fd kept that fd open, as vfio-pci does. */
	if (buf->devfile)
		fput(buf->devfile);
	iput(buf->inode);
	kvfree(buf);
}

static const struct dma_buf_ops dvp_dmabuf_ops = {
	.attach		= dvp_dmabuf_attach,
	.detach		= dvp_dmabuf_detach,
	.pin		= dvp_dmabuf_pin,
	.unpin		= dvp_dmabuf_unpin,
	.map_dma_buf	= dvp_dmabuf_map,
	.unmap_dma_buf	= dvp_dmabuf_unmap,
	.release	= dvp_dmabuf_release,
	.mmap		= dvp_dmabuf_mmap,
};

/*
 * Check the ranges against the BAR and resolve them; the order of the
 * checks, and so the errno of a request with several faults, is
 * mainline's.
 */
static int dvp_resolve_ranges(struct dvp_device *dvp, unsigned int bar,
			      const struct vfio_region_dma_range *in,
			      struct dvp_dmabuf *buf)
{
	struct pci_dev *pdev = dvp->core.pdev;
	phys_addr_t bar_start = pci_resource_start(pdev, bar);
	phys_addr_t bar_end = bar_start + pci_resource_len(pdev, bar);
	size_t total = 0;
	u32 i;

	for (i = 0; i < buf->nr_ranges; i++) {
		if (!in[i].length || !PAGE_ALIGNED(in[i].offset) ||
		    !PAGE_ALIGNED(in[i].length))
			return -EINVAL;
		if (check_add_overflow(total, (size_t)in[i].length, &total))
			return -EINVAL;
	}

	/* Only memory BARs that vfio-pci itself would let userspace mmap. */
	if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM) ||
	    !pci_resource_len(pdev, bar) || !dvp->core.bar_mmap_supported[bar])
		return -EINVAL;

	for (i = 0; i < buf->nr_ranges; i++) {
		struct dvp_range *r = &buf->ranges[i];
		phys_addr_t end;

		if (check_add_overflow(bar_start, (phys_addr_t)in[i].offset,
				       &r->phys) ||
		    check_add_overflow(r->phys, (phys_addr_t)in[i].length, &end))
			return -EOVERFLOW;
		if (end > bar_end)
			return -EINVAL;
		r->len = in[i].length;
		r->start = i ? r[-1].start + r[-1].len : 0;
	}
	buf->size = total;
	return 0;
}

static int dvp_check_request(const struct vfio_device_feature_dma_buf *req,
			     size_t argsz)
{
	if (!req->nr_ranges || req->flags)
		return -EINVAL;
	if (req->region_index >= VFIO_PCI_ROM_REGION_INDEX)
		return -ENODEV;
	if (req->nr_ranges > DVP_DMA_BUF_MAX_RANGES)
		return -E2BIG;
	if (argsz < struct_size(req, dma_ranges, req->nr_ranges))
		return -EINVAL;
	if ((req->open_flags & ~DVP_OPEN_FLAGS) ||
	    (req->open_flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	return 0;
}

/*
 * Create an export of ranges of a BAR. The caller validated the request
 * header; the ranges are checked here. Returns the buffer with one
 * dma-buf reference, or an ERR_PTR.
 */
struct dvp_dmabuf *dvp_export_create(struct dvp_device *dvp, unsigned int bar,
				     const struct vfio_region_dma_range *ranges,
				     u32 nr_ranges, u32 open_flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct dvp_dmabuf *buf;
	int ret;

	buf = kvzalloc(struct_size(buf, ranges, nr_ranges), GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	buf->nr_ranges = nr_ranges;
	buf->bar = bar;
	buf->memattr = DVP_DMA_BUF_MEMATTR_NC;
	buf->owner_id = dvp->id;
	INIT_LIST_HEAD(&buf->node);
	ret = dvp_resolve_ranges(dvp, bar, ranges, buf);
	if (ret)
		goto out_buf;
	/* Overlapping ranges of a huge BAR: bound what one map allocates. */
	if (dvp_nr_segments(buf) > DVP_MAX_SEGMENTS) {
		ret = -E2BIG;
		goto out_buf;
	}

	exp_info.ops = &dvp_dmabuf_ops;
	exp_info.size = buf->size;
	exp_info.flags = open_flags;
	exp_info.priv = buf;
	buf->dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(buf->dmabuf)) {
		ret = PTR_ERR(buf->dmabuf);
		goto out_buf;
	}
	buf->inode = file_inode(buf->dmabuf->file);
	ihold(buf->inode);

	/* From here on dma_buf_put() frees buf through release. */
	ret = dvp_access_attach(dvp, buf);
	if (ret) {
		dma_buf_put(buf->dmabuf);
		return ERR_PTR(ret);
	}
	return buf;

out_buf:
	kvfree(buf);
	return ERR_PTR(ret);
}

int dvp_feature_dma_buf(struct dvp_device *dvp, u32 flags,
			void __user *arg, size_t argsz)
{
	struct vfio_device_feature_dma_buf __user *uarg = arg;
	struct vfio_device_feature_dma_buf req;
	struct vfio_region_dma_range *ranges;
	struct dvp_dmabuf *buf;
	int ret;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_GET,
				 sizeof(req));
	if (ret != 1)
		return ret;
	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	ret = dvp_check_request(&req, argsz);
	if (ret)
		return ret;

	ranges = vmemdup_user(uarg->dma_ranges,
			      array_size(req.nr_ranges, sizeof(*ranges)));
	if (IS_ERR(ranges))
		return PTR_ERR(ranges);
	buf = dvp_export_create(dvp, req.region_index, ranges, req.nr_ranges,
				req.open_flags);
	kvfree(ranges);
	if (IS_ERR(buf))
		return PTR_ERR(buf);

	ret = dma_buf_fd(buf->dmabuf, req.open_flags);
	if (ret < 0)
		dma_buf_put(buf->dmabuf);
	return ret;
}

/*
 * The start of every private feature that names a buffer: check the
 * flags against ops (GET, SET) and argsz against minsz, copy what the
 * caller gave of the fixed-size payload and zero the rest (fields added
 * later default to 0). 1 when there is work, 0 for PROBE, or -errno.
 */
int dvp_feature_payload(u32 flags, void __user *arg, size_t argsz, u32 ops,
			void *req, size_t minsz, size_t size)
{
	int ret = vfio_check_feature(flags, argsz, ops, minsz);

	if (ret != 1)
		return ret;
	memset(req, 0, size);
	return copy_from_user(req, arg, min(argsz, size)) ? -EFAULT : 1;
}

/* A reference on the dma-buf behind fd, if it is an export of dvp. */
struct dma_buf *dvp_dmabuf_get(struct dvp_device *dvp, int fd)
{
	struct dma_buf *dmabuf = dma_buf_get(fd);
	struct dvp_dmabuf *buf;
	int ret;

	if (IS_ERR(dmabuf))
		return dmabuf;
	buf = dmabuf->priv;
	if (dmabuf->ops != &dvp_dmabuf_ops)
		ret = -EINVAL;
	else if (buf->owner_id != dvp->id)
		ret = -ENODEV;
	else
		return dmabuf;
	dma_buf_put(dmabuf);
	return ERR_PTR(ret);
}

int dvp_feature_revoke(struct dvp_device *dvp, u32 flags,
		       void __user *arg, size_t argsz)
{
	struct dvp_dma_buf_revoke req;
	struct dma_buf *dmabuf;
	int ret;

	ret = dvp_feature_payload(flags, arg, argsz, VFIO_DEVICE_FEATURE_SET,
				  &req, sizeof(req), sizeof(req));
	if (ret != 1)
		return ret;
	if (req.flags)
		return -EINVAL;

	dmabuf = dvp_dmabuf_get(dvp, req.dmabuf_fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	ret = dvp_access_revoke_one(dvp, dmabuf->priv);
	dma_buf_put(dmabuf);
	return ret;
}
