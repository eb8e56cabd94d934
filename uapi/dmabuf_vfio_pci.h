/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * dmabuf-vfio-pci userspace ABI.
 *
 * Export of BAR ranges as dma-bufs uses mainline's feature number and
 * structure (Linux 6.19+), so a program written for a mainline kernel runs
 * unchanged on an older kernel with this driver. The driver's own
 * extensions use private feature numbers (DVP_DEVICE_FEATURE_BASE and up),
 * far from mainline's range; each answers VFIO_DEVICE_FEATURE_PROBE.
 *
 * Documentation/uapi.rst describes every field and errno.
 */
#ifndef _UAPI_DMABUF_VFIO_PCI_H
#define _UAPI_DMABUF_VFIO_PCI_H

#include <linux/types.h>
#include <linux/vfio.h>

#ifndef VFIO_DEVICE_FEATURE_DMA_BUF
/*
 * VFIO_DEVICE_FEATURE_GET with this feature returns a new dma-buf fd for
 * nr_ranges page-aligned ranges of BAR region_index, concatenated in the
 * order given. open_flags are the new fd's O_ACCMODE, O_CLOEXEC and
 * O_NONBLOCK; flags must be 0. The return value is the fd.
 */
#define VFIO_DEVICE_FEATURE_DMA_BUF 11

struct vfio_region_dma_range {
	__u64 offset;
	__u64 length;
};

struct vfio_device_feature_dma_buf {
	__u32 region_index;
	__u32 open_flags;
	__u32 flags;
	__u32 nr_ranges;
	struct vfio_region_dma_range dma_ranges[];
};
#endif

/* The most ranges one dma-buf may have; more gives -E2BIG. */
#define DVP_DMA_BUF_MAX_RANGES		65536

/*
 * Private features of this driver: DVP_DEVICE_FEATURE_BASE + n, inside
 * VFIO_DEVICE_FEATURE_MASK, far from mainline's numbers. Reserved:
 *
 *   + 1  DMA_BUF_REVOKE   SET: revoke one exported buffer for good
 *   + 2  DMA_BUF_MEMATTR  SET: memory attribute of a buffer's CPU mappings
 *   + 3  DMA_BUF_PAGES    GET: export backed by ZONE_DEVICE struct pages
 *
 * A reserved number that this build does not implement answers PROBE
 * with ENOTTY, like any unknown feature. Implemented: DMA_BUF_REVOKE,
 * DMA_BUF_MEMATTR.
 */
#define DVP_DEVICE_FEATURE_BASE		0xdb00
#define DVP_DEVICE_FEATURE_DMA_BUF_REVOKE	(DVP_DEVICE_FEATURE_BASE + 1)
#define DVP_DEVICE_FEATURE_DMA_BUF_MEMATTR	(DVP_DEVICE_FEATURE_BASE + 2)
#define DVP_DEVICE_FEATURE_DMA_BUF_PAGES	(DVP_DEVICE_FEATURE_BASE + 3)

/*
 * DVP_DEVICE_FEATURE_DMA_BUF_REVOKE, SET: revoke one buffer of this
 * device for good, as closing the device would. Its importers get
 * move_notify and its CPU mappings fault with SIGBUS from then on; the fd
 * stays valid, and the buffer no longer holds anything of the device.
 * Errors: EBADF (not an fd), EINVAL (not a dma-buf of this driver, or
 * flags not 0), ENODEV (a buffer of another device), EBADFD (already
 * revoked for good), ETIMEDOUT (revoked for good, but an importer's fence
 * had not signalled within the revoke's 1 s bound: its work may still
 * have been reaching the BAR).
 */
struct dvp_dma_buf_revoke {
	__s32 dmabuf_fd;
	__u32 flags;	/* must be 0 */
};

/*
 * DVP_DEVICE_FEATURE_DMA_BUF_MEMATTR, SET: the CPU memory attribute of
 * this buffer's future mmaps; mappings that exist keep theirs. A new
 * buffer is DVP_DMA_BUF_MEMATTR_NC. GET: memattr returns the buffer's
 * attribute.
 *
 * x86 gives one physical page one memory type for all its mappings, and
 * vfio-pci maps a whole BAR in the kernel once it is first used in a
 * device session. So the first CPU use of a BAR in a session (an mmap of
 * a buffer or of the device fd, read()/write() or an ioeventfd on the BAR)
 * fixes its memory type until the device is closed: write-combining if
 * that use was the mmap of a buffer set to WC, uncached otherwise. mmap of
 * the device fd takes the BAR's type. Errors: EBADF (not an fd), EINVAL
 * (not a dma-buf of this driver, flags not 0), ENODEV (a buffer of
 * another device), and for SET: EBADFD (revoked for good), ENOENT
 * (unknown memattr), EOPNOTSUPP (WC on a BAR that is not prefetchable,
 * that holds the MSI-X table or PBA, or without x86 PAT), EBUSY (the BAR
 * already has the other type in this session; mmap of such a buffer
 * fails the same way).
 */
#define DVP_DMA_BUF_MEMATTR_NC		0	/* uncached (UC-), the default */
#define DVP_DMA_BUF_MEMATTR_WC		1	/* write-combining */

struct dvp_dma_buf_memattr {
	__s32 dmabuf_fd;
	__u32 memattr;	/* DVP_DMA_BUF_MEMATTR_* */
	__u32 flags;	/* must be 0 */
};

#endif /* _UAPI_DMABUF_VFIO_PCI_H */
