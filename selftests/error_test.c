// SPDX-License-Identifier: GPL-2.0-only
/*
 * Revoke paths that need other devices: a hot reset issued through the fd
 * of another device of the same reset set ($DVP_RESET_SET: two ivshmem
 * functions of one slot), which the exporter sees only in reset_prepare;
 * and AER error recovery (e1000e has an AER capability; errors are
 * injected with aer_inject where the kernel has it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dvp_harness.h"
#include "dvp_vfio.h"

#define PAGE	4096ULL

/* Export two pages of bar read-only and map them. */
static uint8_t *export_map(struct __test_metadata *_metadata, int device,
			   unsigned int bar, int *buf)
{
	struct vfio_region_dma_range r = { 0, 2 * PAGE };
	uint8_t *map;

	*buf = dvp_export(device, bar, O_RDONLY, &r, 1);
	EXPECT_LE(0, *buf);
	map = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, *buf, 0);
	EXPECT_NE(MAP_FAILED, map);
	return map;
}

TEST(hot_reset_through_other_device_revokes)
{
	const char *set = getenv("DVP_RESET_SET");
	int other, buf, kmsg, n;
	char a[32], b[32], needle[96];
	struct dvp_vfio v;
	uint8_t *map;

	ASSERT_NE(NULL, set);
	n = sscanf(set, "%31s %31s", a, b);
	ASSERT_EQ(2, n);
	ASSERT_EQ(0, dvp_vfio_open(&v, a));
	ASSERT_EQ(v.group_id, dvp_iommu_group(b));
	other = ioctl(v.group, VFIO_GROUP_GET_DEVICE_FD, b);
	ASSERT_LE(0, other);
	map = export_map(_metadata, v.device, IVSHMEM_BAR, &buf);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, dvp_dyndbg_enable());
	kmsg = dvp_kmsg_open();
	ASSERT_LE(0, kmsg);
	EXPECT_EQ(1, dvp_touch_pages(map, 2 * PAGE));
	EXPECT_EQ(0, dvp_touch_pages(map, 2 * PAGE));

	ASSERT_EQ(0, dvp_hot_reset(other, v.group));

	/* Revoked (PTEs zapped, logged) and restored once the reset was done. */
	snprintf(needle, sizeof(needle), "%s: dma-buf", a);
	EXPECT_EQ(2, dvp_kmsg_count(kmsg, needle));
	EXPECT_LE(1, dvp_touch_pages(map, 2 * PAGE));
	munmap(map, 2 * PAGE);
	close(kmsg);
	close(buf);
	close(other);
	dvp_vfio_close(&v);
}

/* struct aer_error_inj of drivers/pci/pcie/aer_inject.c. */
struct aer_error_inj {
	uint8_t bus;
	uint8_t dev;
	uint8_t fn;
	uint32_t uncor_status;
	uint32_t cor_status;
	uint32_t header_log[4];
	uint32_t domain;
};

#define PCI_ERR_UNC_COMP_TIME	0x00004000	/* non-fatal by default */
#define PCI_ERR_UNC_MALF_TLP	0x00040000	/* fatal by default */
#define PCI_COMMAND_MEMORY	0x2

/* Read one byte of a mapping: 0, or -EFAULT when it raised SIGBUS. */
static int try_read(const uint8_t *p)
{
	uint8_t val;

	dvp_catch_sigbus();
	return dvp_try_read(p, &val);
}

/* Wait up to 20 s for a kernel log record holding needle. */
static bool wait_kmsg(int kmsg, const char *needle)
{
	char rec[1024];
	ssize_t n;
	int i;

	for (i = 0; i < 200; i++) {
		while ((n = read(kmsg, rec, sizeof(rec) - 1)) > 0) {
			rec[n] = '\0';
			if (strstr(rec, needle))
				return true;
		}
		usleep(100000);
	}
	return false;
}

static int inject(const char *bdf, uint32_t uncor_status)
{
	struct aer_error_inj inj = { .uncor_status = uncor_status };
	unsigned int domain, bus, dev, fn;
	int fd, ret = 0;

	if (sscanf(bdf, "%x:%x:%x.%x", &domain, &bus, &dev, &fn) != 4)
		return -EINVAL;
	inj.domain = domain;
	inj.bus = bus;
	inj.dev = dev;
	inj.fn = fn;
	fd = open("/dev/aer_inject", O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, &inj, sizeof(inj)) != sizeof(inj))
		ret = -errno;
	close(fd);
	return ret;
}

/* Scan the kernel log for up to 20 s until recovery of bdf is done. */
static void wait_recovery(int kmsg, const char *bdf, int *revoked, int *done)
{
	char needle[96], rec[1024];
	ssize_t n;
	int i;

	snprintf(needle, sizeof(needle), "%s: dma-buf", bdf);
	for (i = 0; i < 200 && !*done; i++) {
		usleep(100000);
		while ((n = read(kmsg, rec, sizeof(rec) - 1)) > 0) {
			rec[n] = '\0';
			if (strstr(rec, needle) && strstr(rec, "revoked"))
				(*revoked)++;
			if (strstr(rec, "error recovery done"))
				*done = 1;
		}
	}
}

/*
 * Open e1000e and, through its group, pci-testdev, the other function
 * under the same root port, so that it stays runtime-active: recovery
 * walks the bus holding pci_bus_sem and would runtime-resume it, and
 * vfio_pci_core's runtime resume takes memory_lock, which a hot reset
 * holds while it takes pci_bus_sem (a lock inversion in vfio-pci-core and
 * the PCI core that lockdep reports; not this driver's locks). Returns
 * pci-testdev's fd or -errno.
 */
static int open_e1000e_and_sibling(struct dvp_vfio *v)
{
	char bdf[32];
	int ret;

	ret = dvp_vfio_open_id(v, E1000E_VENDOR, E1000E_DEVICE);
	if (!ret)
		ret = dvp_find_bdf(TESTDEV_VENDOR, TESTDEV_DEVICE, bdf,
				   sizeof(bdf));
	if (!ret)
		ret = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	return ret < 0 ? -errno : ret;
}

TEST(aer_error_revokes_until_recovered)
{
	int buf, kmsg, other, done = 0, revoked = 0;
	struct dvp_vfio v;
	uint8_t *map;

	if (access("/dev/aer_inject", W_OK))
		SKIP(return, "this kernel has no aer_inject");
	other = open_e1000e_and_sibling(&v);
	ASSERT_LE(0, other);
	/* e1000e's BAR 0 is registers: the export is only read. */
	map = export_map(_metadata, v.device, 0, &buf);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, dvp_dyndbg_enable());
	kmsg = dvp_kmsg_open();
	ASSERT_LE(0, kmsg);
	EXPECT_EQ(1, dvp_touch_pages(map, 2 * PAGE));

	ASSERT_EQ(0, inject(v.bdf, PCI_ERR_UNC_COMP_TIME));
	/* Recovery runs in the AER interrupt thread. */
	wait_recovery(kmsg, v.bdf, &revoked, &done);
	EXPECT_TRUE(done);
	EXPECT_EQ(1, revoked);
	EXPECT_LE(1, dvp_touch_pages(map, 2 * PAGE));
	munmap(map, 2 * PAGE);
	close(kmsg);
	close(buf);
	close(other);
	dvp_vfio_close(&v);
}

/* Export e1000e's BAR 0, check the mapping works, start reading the log. */
static uint8_t *export_map_watch(struct __test_metadata *_metadata,
				 struct dvp_vfio *v, int *buf, int *kmsg)
{
	uint8_t *map = export_map(_metadata, v->device, 0, buf);

	*kmsg = dvp_kmsg_open();
	if (map == MAP_FAILED || *kmsg < 0)
		return MAP_FAILED;
	EXPECT_EQ(0, try_read(map));
	return map;
}

/*
 * A recovery that fails (pci-testdev, the slot's other function, has no
 * driver to vote) never calls resume: the exports stay revoked, but only
 * until the device is usable again, here a new session.
 */
TEST(aer_failed_recovery_ends_with_the_session)
{
	char bdf[32], drv[64];
	struct dvp_vfio v;
	uint8_t *map;
	int buf, kmsg;

	if (access("/dev/aer_inject", W_OK))
		SKIP(return, "this kernel has no aer_inject");
	ASSERT_EQ(0, dvp_find_bdf(TESTDEV_VENDOR, TESTDEV_DEVICE, bdf,
				  sizeof(bdf)));
	ASSERT_EQ(0, dvp_rebind(bdf, ""));
	ASSERT_EQ(0, dvp_vfio_open_id(&v, E1000E_VENDOR, E1000E_DEVICE));
	map = export_map_watch(_metadata, &v, &buf, &kmsg);
	ASSERT_NE(MAP_FAILED, map);

	ASSERT_EQ(0, inject(v.bdf, PCI_ERR_UNC_COMP_TIME));
	EXPECT_TRUE(wait_kmsg(kmsg, "recovery failed"));
	EXPECT_EQ(-EFAULT, try_read(map));
	munmap(map, 2 * PAGE);
	close(buf);

	/* The next session starts clean: its exports work. */
	dvp_vfio_close(&v);
	ASSERT_EQ(0, dvp_vfio_open_id(&v, E1000E_VENDOR, E1000E_DEVICE));
	map = export_map(_metadata, v.device, 0, &buf);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(0, try_read(map));
	munmap(map, 2 * PAGE);
	close(buf);
	close(kmsg);
	dvp_vfio_close(&v);
	EXPECT_EQ(0, dvp_rebind(bdf, DVP_DRIVER));
	EXPECT_EQ(0, dvp_bound_driver(bdf, drv, sizeof(drv)));
	EXPECT_STREQ(DVP_DRIVER, drv);
}

/*
 * A fatal error's recovery resets the link, which clears the device's
 * BARs and command register behind vfio-pci's back (QEMU's root port
 * link does not come back in time, so recovery fails here too). A
 * successful VFIO_DEVICE_RESET ends the error, but its restore brings
 * back the cleared config space: the exports must stay revoked until the
 * user's next write of the command register lets the core restore the
 * BARs.
 */
TEST(aer_fatal_error_waits_for_restore)
{
	int buf, kmsg, other;
	struct dvp_vfio v;
	uint8_t *map;
	uint16_t cmd;

	if (access("/dev/aer_inject", W_OK))
		SKIP(return, "this kernel has no aer_inject");
	other = open_e1000e_and_sibling(&v);
	ASSERT_LE(0, other);
	map = export_map_watch(_metadata, &v, &buf, &kmsg);
	ASSERT_NE(MAP_FAILED, map);

	ASSERT_EQ(0, inject(v.bdf, PCI_ERR_UNC_MALF_TLP));
	EXPECT_TRUE(wait_kmsg(kmsg, "AER: device recovery"));
	EXPECT_EQ(-EFAULT, try_read(map));
	ASSERT_EQ(0, ioctl(v.device, VFIO_DEVICE_RESET));
	EXPECT_EQ(-EFAULT, try_read(map));
	/*
	 * The device's decode is off (what the read shows) while vfio-pci's
	 * virtual register still says "on"; the core restores the BARs when
	 * the user enables memory again.
	 */
	ASSERT_EQ(0, dvp_cmd_read(&v, &cmd));
	EXPECT_EQ(0, cmd & PCI_COMMAND_MEMORY);
	ASSERT_EQ(0, dvp_cmd_write(&v, cmd | PCI_COMMAND_MEMORY));
	EXPECT_EQ(0, try_read(map));
	munmap(map, 2 * PAGE);
	close(kmsg);
	close(buf);
	close(other);
	dvp_vfio_close(&v);
}

TEST_HARNESS_MAIN
