// SPDX-License-Identifier: GPL-2.0-only
/*
 * BAR mmap through the VFIO device fd reaches the device: bytes written
 * through the mapping are found at the same offsets of the host file that
 * backs ivshmem's BAR2, and bytes written to that file are read back
 * through the mapping.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dvp_harness.h"
#include "dvp_vfio.h"

#define SAMPLE	(64 * 1024)

FIXTURE(bar) {
	struct dvp_vfio v;
	uint8_t *map;
	size_t len;
};

FIXTURE_SETUP(bar)
{
	ASSERT_EQ(0, dvp_vfio_open_id(&self->v, IVSHMEM_VENDOR,
				      IVSHMEM_DEVICE));
	self->map = dvp_bar_mmap(&self->v, IVSHMEM_BAR, &self->len);
	ASSERT_NE(MAP_FAILED, self->map);
	ASSERT_GE(self->len, 4 * SAMPLE);
}

FIXTURE_TEARDOWN(bar)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, self->len);
	dvp_vfio_close(&self->v);
}

TEST_F(bar, guest_writes_reach_host_file)
{
	const uint64_t offs[] = {
		0, self->len / 2,
		dvp_witness_off(self->len, DVP_WITNESS_BAR_MMAP),
		dvp_witness_off(self->len, DVP_WITNESS_BAR_MMAP_2),
	};
	uint8_t *buf = malloc(SAMPLE);
	unsigned int i;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < ARRAY_SIZE(offs); i++)
		dvp_fill(self->map + offs[i], SAMPLE, 0xb0 + i, offs[i]);
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		ASSERT_EQ(0, dvp_host_read(offs[i], buf, SAMPLE));
		EXPECT_EQ(-1, dvp_verify(buf, SAMPLE, 0xb0 + i, offs[i]));
		if (offs[i] >= self->len - DVP_WITNESS_SIZE)
			ASSERT_EQ(0, dvp_host_expect(offs[i], SAMPLE, 0xb0 + i));
	}
	free(buf);
}

TEST_F(bar, host_file_writes_reach_mapping)
{
	uint64_t off = 2 * SAMPLE;
	uint8_t *buf = malloc(SAMPLE);

	ASSERT_NE(NULL, buf);
	dvp_fill(buf, SAMPLE, 0x5eed, off);
	ASSERT_EQ(0, dvp_host_write(off, buf, SAMPLE));
	EXPECT_EQ(-1, dvp_verify(self->map + off, SAMPLE, 0x5eed, off));
	free(buf);
}

/* The whole BAR (but the witness area) round-trips, not only samples. */
TEST_F(bar, whole_bar_round_trip)
{
	size_t len = self->len - DVP_WITNESS_SIZE;
	uint8_t *buf = malloc(len);

	ASSERT_NE(NULL, buf);
	dvp_fill(self->map, len, 0xa11, 0);
	ASSERT_EQ(0, dvp_host_read(0, buf, len));
	EXPECT_EQ(-1, dvp_verify(buf, len, 0xa11, 0));
	free(buf);
}

TEST_HARNESS_MAIN
