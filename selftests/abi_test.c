// SPDX-License-Identifier: GPL-2.0-only
/*
 * The uAPI structs are fixed-size and padding-free: their sizes and field
 * offsets are what Documentation/uapi.rst says, on every ABI we build for.
 */
#include <assert.h>
#include <stddef.h>

#include "dvp_harness.h"
#include "dvp_test_importer.h"
#include "dvp_test_pte.h"
#include "dvp_vfio.h"

#define CHECK_LAYOUT(type, size)					\
	static_assert(sizeof(type) == (size), #type " size changed")

CHECK_LAYOUT(struct vfio_region_dma_range, 16);
CHECK_LAYOUT(struct vfio_device_feature_dma_buf, 16);
CHECK_LAYOUT(struct dvp_dma_buf_revoke, 8);
CHECK_LAYOUT(struct dvp_dma_buf_memattr, 12);
CHECK_LAYOUT(struct dvp_ti_attach, 8);
CHECK_LAYOUT(struct dvp_ti_dma, 24);
CHECK_LAYOUT(struct dvp_ti_stats, 40);
CHECK_LAYOUT(struct dvp_tp_query, 16);

TEST(export_layout_is_mainlines)
{
	EXPECT_EQ(0, offsetof(struct vfio_device_feature_dma_buf, region_index));
	EXPECT_EQ(4, offsetof(struct vfio_device_feature_dma_buf, open_flags));
	EXPECT_EQ(8, offsetof(struct vfio_device_feature_dma_buf, flags));
	EXPECT_EQ(12, offsetof(struct vfio_device_feature_dma_buf, nr_ranges));
	EXPECT_EQ(16, offsetof(struct vfio_device_feature_dma_buf, dma_ranges));
	EXPECT_EQ(0, offsetof(struct vfio_region_dma_range, offset));
	EXPECT_EQ(8, offsetof(struct vfio_region_dma_range, length));
	EXPECT_EQ(11, VFIO_DEVICE_FEATURE_DMA_BUF);
}

TEST(private_features_are_out_of_mainlines_range)
{
	EXPECT_EQ(0, DVP_DEVICE_FEATURE_BASE & ~VFIO_DEVICE_FEATURE_MASK);
	EXPECT_LT(0x1000, DVP_DEVICE_FEATURE_BASE);
	EXPECT_EQ(0, offsetof(struct dvp_dma_buf_revoke, dmabuf_fd));
	EXPECT_EQ(4, offsetof(struct dvp_dma_buf_revoke, flags));
	EXPECT_EQ(0, offsetof(struct dvp_dma_buf_memattr, dmabuf_fd));
	EXPECT_EQ(4, offsetof(struct dvp_dma_buf_memattr, memattr));
	EXPECT_EQ(8, offsetof(struct dvp_dma_buf_memattr, flags));
	/* Matt Evans' mainline proposal uses the same two values. */
	EXPECT_EQ(0, DVP_DMA_BUF_MEMATTR_NC);
	EXPECT_EQ(1, DVP_DMA_BUF_MEMATTR_WC);
}

TEST_HARNESS_MAIN
