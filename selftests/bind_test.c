// SPDX-License-Identifier: GPL-2.0-only
/*
 * The driver binds QEMU's edu and ivshmem devices through driver_override
 * and hands out ordinary vfio-pci device fds: group node, device info,
 * regions and config space all look as they do under vfio-pci.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dvp_harness.h"
#include "dvp_vfio.h"

FIXTURE(dev) {
	struct dvp_vfio v;
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
}

FIXTURE_TEARDOWN(dev)
{
	dvp_vfio_close(&self->v);
}

TEST_F(dev, bound_to_our_driver)
{
	char drv[64];

	ASSERT_EQ(0, dvp_bound_driver(self->v.bdf, drv, sizeof(drv)));
	EXPECT_STREQ(DVP_DRIVER, drv);
}

TEST_F(dev, group_node_exists)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/vfio/%d", self->v.group_id);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST_F(dev, device_info_is_vfio_pci)
{
	EXPECT_TRUE(self->v.info.flags & VFIO_DEVICE_FLAGS_PCI);
	/* Both sit behind a pcie-root-port, so a bus reset is possible. */
	EXPECT_TRUE(self->v.info.flags & VFIO_DEVICE_FLAGS_RESET);
	EXPECT_GE(self->v.info.num_regions, VFIO_PCI_CONFIG_REGION_INDEX + 1);
	EXPECT_GE(self->v.info.num_irqs, VFIO_PCI_MSIX_IRQ_INDEX + 1);
}

TEST_F(dev, config_space_matches_sysfs)
{
	unsigned long vendor, device;
	uint16_t id[2];

	ASSERT_EQ(0, dvp_sysfs_ulong(self->v.bdf, "vendor", &vendor));
	ASSERT_EQ(0, dvp_sysfs_ulong(self->v.bdf, "device", &device));
	ASSERT_EQ(0, dvp_cfg_read(&self->v, 0, id, sizeof(id)));
	EXPECT_EQ(vendor, id[0]);
	EXPECT_EQ(device, id[1]);
	EXPECT_EQ(variant->vendor, id[0]);
}

/* A BAR region's size is the device's, and it can be mmapped. */
TEST_F(dev, bar_regions_match_resources)
{
	struct vfio_region_info ri;
	unsigned int bar = variant->vendor == EDU_VENDOR ? 0 : IVSHMEM_BAR;
	unsigned long long start, end, flags;
	char path[128];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource",
		 self->v.bdf);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	for (i = 0; i <= (int)bar; i++)
		ASSERT_EQ(3, fscanf(f, "%llx %llx %llx", &start, &end, &flags));
	fclose(f);

	ASSERT_EQ(0, dvp_region(&self->v, bar, &ri));
	EXPECT_EQ(end - start + 1, ri.size);
	EXPECT_TRUE(ri.flags & VFIO_REGION_INFO_FLAG_MMAP);
	EXPECT_TRUE(ri.flags & VFIO_REGION_INFO_FLAG_READ);
	EXPECT_TRUE(ri.flags & VFIO_REGION_INFO_FLAG_WRITE);
}

/* The group is exclusive: a second container cannot take it. */
TEST_F(dev, group_is_exclusive)
{
	struct dvp_vfio second;

	EXPECT_EQ(-EBUSY, dvp_vfio_open(&second, self->v.bdf));
}

/* Read a module parameter's value and mode; 0 or -errno. */
static int param(const char *name, char *val, mode_t *mode)
{
	char path[128];
	struct stat st;
	FILE *f;
	int ret;

	snprintf(path, sizeof(path),
		 "/sys/module/dmabuf_vfio_pci/parameters/%s", name);
	if (stat(path, &st))
		return -errno;
	*mode = st.st_mode & 0777;
	f = fopen(path, "r");
	if (!f)
		return -errno;
	ret = fscanf(f, "%7s", val) == 1 ? 0 : -EIO;
	fclose(f);
	return ret;
}

/*
 * vfio-pci's opt-ins, off by default: VF creation (enable_sriov, may be
 * changed at run time) and binding of denylisted devices
 * (disable_denylist, load time only). What they gate cannot be shown
 * here: QEMU 7.2 offers no denylisted device, and no SR-IOV device that
 * binds without an NVMe subsystem set-up; the checks are in src/main.c.
 */
TEST(vfio_pci_opt_ins_are_off)
{
	char val[8];
	mode_t mode;

	ASSERT_EQ(0, param("enable_sriov", val, &mode));
	EXPECT_STREQ("N", val);
	EXPECT_EQ(0644, mode);
	ASSERT_EQ(0, param("disable_denylist", val, &mode));
	EXPECT_STREQ("N", val);
	EXPECT_EQ(0444, mode);
}

TEST_HARNESS_MAIN
