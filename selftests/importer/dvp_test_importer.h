/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * uAPI of dvp_test_importer, the test-only dma-buf importer that moves
 * data with QEMU's edu DMA engine. Shared by the module and the tests.
 */
#ifndef _UAPI_DVP_TEST_IMPORTER_H
#define _UAPI_DVP_TEST_IMPORTER_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define DVP_TI_DEVICE		"/dev/dvp_test_importer"
#define DVP_TI_DRIVER		"dvp_test_importer"

/* Attach as a static importer (no move_notify): must be refused. */
#define DVP_TI_ATTACH_STATIC	_BITUL(0)
/* Attach as a dynamic importer that cannot take P2P addresses. */
#define DVP_TI_ATTACH_NO_P2P	_BITUL(1)
/*
 * Attach as a rogue dynamic P2P importer: it counts move_notify but keeps
 * its mapping, and DMA goes on through that old mapping until detach.
 */
#define DVP_TI_ATTACH_ROGUE	_BITUL(2)

struct dvp_ti_attach {
	__s32 fd;	/* the dma-buf */
	__u32 flags;	/* DVP_TI_ATTACH_* */
};

#define DVP_TI_TO_BUF		1	/* user memory -> edu -> dma-buf */
#define DVP_TI_FROM_BUF		2	/* dma-buf -> edu -> user memory */

struct dvp_ti_dma {
	__u64 offset;	/* in the dma-buf */
	__u64 user_addr;
	__u32 len;	/* at most DVP_TI_DMA_MAX */
	__u32 dir;	/* DVP_TI_TO_BUF or DVP_TI_FROM_BUF */
};

#define DVP_TI_DMA_MAX		(64 << 10)

struct dvp_ti_stats {
	__u64 move_notify;	/* calls since attach */
	__u64 maps;		/* successful maps since attach */
	__u64 map_failures;
	__u64 mapped_size;	/* bytes in the current mapping, 0 if none */
	__u32 mapped_nents;
	__u32 pinned;
};

#define DVP_TI_ATTACH	_IOW('d', 1, struct dvp_ti_attach)
#define DVP_TI_DETACH	_IO('d', 2)
/* Map now if not mapped; returns the exporter's errno. */
#define DVP_TI_MAP	_IO('d', 3)
/* Map if needed and copy with edu's DMA engine; no CPU access to the BAR. */
#define DVP_TI_DMA	_IOW('d', 4, struct dvp_ti_dma)
#define DVP_TI_STATS	_IOR('d', 5, struct dvp_ti_stats)
/* dma_buf_pin()/dma_buf_unpin() on the attachment. */
#define DVP_TI_PIN	_IO('d', 6)
#define DVP_TI_UNPIN	_IO('d', 7)
/*
 * Add one unsignaled write fence of this file to the attached buffer's
 * reservation object; EBUSY while one is pending. Detach signals it.
 */
#define DVP_TI_FENCE_ADD	_IO('d', 8)
/* Signal the pending fence and drop it; ENOENT when there is none. */
#define DVP_TI_FENCE_SIGNAL	_IO('d', 9)

#endif /* _UAPI_DVP_TEST_IMPORTER_H */
