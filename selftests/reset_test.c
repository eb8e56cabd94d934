// SPDX-License-Identifier: GPL-2.0-only
/*
 * Resets work as under vfio-pci, and every flavour passes through the
 * driver's reset_prepare/reset_done hooks (seen in the kernel log through
 * dynamic debug), which is where revocation hangs.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dvp_harness.h"
#include "dvp_vfio.h"

#define EDU_IDENT	0x00
#define EDU_LIVENESS	0x04
#define EDU_IDENT_VAL	0x010000ed

FIXTURE(dev) {
	struct dvp_vfio v;
	int kmsg;
};

FIXTURE_VARIANT(dev) {
	uint16_t vendor;
	uint16_t device;
};

FIXTURE_VARIANT_ADD(dev, edu) {
	.vendor = EDU_VENDOR,
	.device = EDU_DEVICE,
};

FIXTURE_VARIANT_ADD(dev, ivshmem) {
	.vendor = IVSHMEM_VENDOR,
	.device = IVSHMEM_DEVICE,
};

FIXTURE_SETUP(dev)
{
	ASSERT_EQ(0, dvp_vfio_open_id(&self->v, variant->vendor,
				      variant->device));
	ASSERT_EQ(0, dvp_dyndbg_enable());
	self->kmsg = dvp_kmsg_open();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN(dev)
{
	close(self->kmsg);
	dvp_vfio_close(&self->v);
}

static int hook_count(int kmsg, const char *bdf, const char *what)
{
	char needle[96];

	snprintf(needle, sizeof(needle), "%s: %s", bdf, what);
	return dvp_kmsg_count(kmsg, needle);
}

TEST_F(dev, device_reset_runs_hooks)
{
	ASSERT_EQ(0, ioctl(self->v.device, VFIO_DEVICE_RESET));
	EXPECT_EQ(1, hook_count(self->kmsg, self->v.bdf, "reset prepare"));
}

TEST_F(dev, config_space_survives_reset)
{
	uint16_t before[2], after[2];

	ASSERT_EQ(0, dvp_cfg_read(&self->v, 0, before, sizeof(before)));
	ASSERT_EQ(0, ioctl(self->v.device, VFIO_DEVICE_RESET));
	ASSERT_EQ(0, dvp_cfg_read(&self->v, 0, after, sizeof(after)));
	EXPECT_EQ(variant->vendor, after[0]);
	EXPECT_EQ(variant->device, after[1]);
	EXPECT_EQ(before[1], after[1]);
}

/* A root-initiated sysfs reset is another flavour reset_prepare sees. */
TEST_F(dev, sysfs_reset_runs_hooks)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset",
		 self->v.bdf);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	EXPECT_EQ(1, fputs("1", f) >= 0);
	EXPECT_EQ(0, fclose(f));
	EXPECT_EQ(1, hook_count(self->kmsg, self->v.bdf, "reset prepare"));
}

/* edu answers its registers before and after a reset. */
TEST(edu_registers_after_reset)
{
	uint32_t val = 0x12345678, got;
	struct vfio_region_info ri;
	struct dvp_vfio v;

	ASSERT_EQ(0, dvp_vfio_open_id(&v, EDU_VENDOR, EDU_DEVICE));
	ASSERT_EQ(0, dvp_region(&v, 0, &ri));
	ASSERT_EQ(4, pread(v.device, &got, 4, ri.offset + EDU_IDENT));
	EXPECT_EQ(EDU_IDENT_VAL, got);
	ASSERT_EQ(0, ioctl(v.device, VFIO_DEVICE_RESET));
	ASSERT_EQ(4, pread(v.device, &got, 4, ri.offset + EDU_IDENT));
	EXPECT_EQ(EDU_IDENT_VAL, got);
	ASSERT_EQ(4, pwrite(v.device, &val, 4, ri.offset + EDU_LIVENESS));
	ASSERT_EQ(4, pread(v.device, &got, 4, ri.offset + EDU_LIVENESS));
	EXPECT_EQ(~val, got);
	dvp_vfio_close(&v);
}

TEST_HARNESS_MAIN
