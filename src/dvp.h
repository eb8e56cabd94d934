/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dmabuf-vfio-pci: private state of one bound device and of its exports.
 *
 * Everything the driver adds to vfio-pci hangs off struct dvp_device; the
 * core device is embedded first so vfio_alloc_device() and the
 * vfio_pci_core_* helpers see an ordinary vfio-pci device. The locks and
 * their order are described in src/access.c, which owns them.
 */
#ifndef DVP_H
#define DVP_H

#include <linux/dma-buf.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/vfio_pci_core.h>

#include "dmabuf_vfio_pci.h"

#define DVP_DRIVER_NAME "dmabuf-vfio-pci"

struct dvp_device {
	/* Must stay first: vfio_alloc_device() requires offset 0. */
	struct vfio_pci_core_device core;
	/* Protects the fields below and each export's list membership. */
	struct mutex lock;
	/* Exports attached to this device session; see src/access.c. */
	struct list_head dmabufs;
	/* Operations in flight that take BAR access away (resets, ...). */
	unsigned int blockers;
	/* Between AER error_detected and resume, a new session or a reset. */
	bool error;
	/* Between open_device and close_device: vconfig is valid. */
	bool open;
	/* BARs whose write-combining memory type this session reserved. */
	unsigned long wc_reserved;
	/* Unique while the module is loaded, unlike the address. */
	u64 id;
	/* Revokes whose importer fences did not signal in time. */
	unsigned long fence_timeouts;
	/* The ioeventfds of this session (src/ioeventfd.c), and their lock. */
	struct mutex ioeventfd_lock;
	struct list_head ioeventfds;
	unsigned int nr_ioeventfds;
};

/*
 * Where an export stands. LIVE and REVOKED exports are attached to their
 * device (on dvp->dmabufs, buf->dvp set); CLOSED is revoked for good and
 * detached, and never changes again.
 */
enum dvp_buf_state {
	DVP_BUF_LIVE,
	DVP_BUF_REVOKED,
	DVP_BUF_CLOSED,
};

/* One physically contiguous piece of an export, in export order. */
struct dvp_range {
	phys_addr_t phys;	/* CPU physical address in the BAR */
	u64 len;
	u64 start;		/* offset of this piece inside the dma-buf */
};

struct dvp_dmabuf {
	struct dma_buf *dmabuf;
	/*
	 * The buffer's inode (a reference of ours) and address space: the
	 * dma-buf's file can be freed while the dma-buf lives on (its dentry
	 * held by an O_PATH open), so the file is never used to revoke.
	 */
	struct inode *inode;
	/* dvp->id of the exporting device, which may be gone. */
	u64 owner_id;
	/*
	 * The device while attached, NULL once detached: written under
	 * dvp->lock, read under it or in dvp_srcu (src/access.c).
	 */
	struct dvp_device *dvp;
	/* In dvp->dmabufs while attached. */
	struct list_head node;
	/* Written under dvp->lock and the reservation lock; read under either. */
	enum dvp_buf_state state;
	/* Revoked by the update in progress: wait for its fences. dvp->lock. */
	bool wait_fences;
	/* For a BAR mmap of the device fd: that fd, kept open by the VMA. */
	struct file *devfile;
	unsigned int bar;
	/* Attribute of future mmaps (DVP_DMA_BUF_MEMATTR_*); dvp->lock. */
	u32 memattr;
	u32 nr_ranges;
	size_t size;
	struct dvp_range ranges[] __counted_by(nr_ranges);
};

static inline struct dvp_device *dvp_from_vdev(struct vfio_device *vdev)
{
	return container_of(vdev, struct dvp_device, core.vdev);
}

static inline struct dvp_device *dvp_from_pdev(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);

	return core ? container_of(core, struct dvp_device, core) : NULL;
}

/* access.c: the one place that grants and revokes BAR access. */
void dvp_access_init(struct dvp_device *dvp);
void dvp_access_destroy(struct dvp_device *dvp);
void dvp_access_open(struct dvp_device *dvp);
void dvp_access_close(struct dvp_device *dvp);
void dvp_access_block(struct dvp_device *dvp);
void dvp_access_unblock(struct dvp_device *dvp);
void dvp_access_refresh(struct dvp_device *dvp);
void dvp_access_set_error(struct dvp_device *dvp, bool error);
bool dvp_access_allowed(struct dvp_device *dvp);
bool dvp_memory_enabled(struct vfio_pci_core_device *core);
int dvp_access_attach(struct dvp_device *dvp, struct dvp_dmabuf *buf);
int dvp_access_revoke_one(struct dvp_device *dvp, struct dvp_dmabuf *buf);
int dvp_access_with_device(struct dvp_dmabuf *buf,
			   int (*fn)(struct dvp_device *dvp,
				     struct dvp_dmabuf *buf));
void dvp_access_release(struct dvp_dmabuf *buf);

/* export.c */
int dvp_feature_dma_buf(struct dvp_device *dvp, u32 flags,
			void __user *arg, size_t argsz);
int dvp_feature_revoke(struct dvp_device *dvp, u32 flags,
		       void __user *arg, size_t argsz);
int dvp_feature_payload(u32 flags, void __user *arg, size_t argsz, u32 ops,
			void *req, size_t minsz, size_t size);
struct dma_buf *dvp_dmabuf_get(struct dvp_device *dvp, int fd);
void dvp_export_unmap_importers(struct dvp_dmabuf *buf);
struct dvp_dmabuf *dvp_export_create(struct dvp_device *dvp, unsigned int bar,
				     const struct vfio_region_dma_range *ranges,
				     u32 nr_ranges, u32 open_flags);

/* For a BAR mmap of the device fd: whatever type the BAR has. */
#define DVP_MEMATTR_BAR		U32_MAX

/* memattr.c: memory type of a BAR's CPU mappings, fixed at its claim. */
int dvp_feature_memattr(struct dvp_device *dvp, u32 flags,
			void __user *arg, size_t argsz);
int dvp_bar_claim(struct dvp_device *dvp, unsigned int bar, u32 memattr);
void dvp_bar_release(struct dvp_device *dvp);
ssize_t dvp_read(struct vfio_device *vdev, char __user *buf, size_t count,
		 loff_t *ppos);
ssize_t dvp_write_bar(struct vfio_device *vdev, const char __user *buf,
		      size_t count, loff_t *ppos);
int dvp_bar_claim_ioeventfd(struct dvp_device *dvp, unsigned int bar);

/* ioeventfd.c: VFIO_DEVICE_IOEVENTFD from one copy of the request. */
long dvp_ioctl_ioeventfd(struct dvp_device *dvp, void __user *arg);
void dvp_ioeventfds_release(struct dvp_device *dvp);

/* mmap.c: the one CPU mapping path, for exports and BAR mmaps alike. */
int dvp_dmabuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma);
int dvp_mmap(struct vfio_device *vdev, struct vm_area_struct *vma);

/* triggers.c: the vfio_device_ops that can take BAR access away. */
ssize_t dvp_write(struct vfio_device *vdev, const char __user *buf,
		  size_t count, loff_t *ppos);
long dvp_ioctl(struct vfio_device *vdev, unsigned int cmd, unsigned long arg);
int dvp_device_feature(struct vfio_device *vdev, u32 flags,
		       void __user *arg, size_t argsz);

extern const struct pci_error_handlers dvp_err_handlers;

#endif /* DVP_H */
