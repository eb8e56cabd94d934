// SPDX-License-Identifier: GPL-2.0-only
/*
 * A real importer moves data through exported BAR ranges, and loses its
 * access on every revoke path. The importer is dvp_test_importer bound to
 * QEMU's edu device: it attaches dynamically, maps the dma-buf through
 * edu's IOMMU domain and copies with edu's DMA engine, so bytes found in
 * the host file behind ivshmem's BAR crossed the bus peer to peer.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dvp_harness.h"
#include "dvp_test_importer.h"
#include "dvp_vfio.h"

#define PAGE		4096ULL
#define MEM_BIT		0x2	/* PCI_COMMAND_MEMORY */

FIXTURE(imp) {
	struct dvp_vfio v;
	struct vfio_region_info bar;
	char edu[32];
	int ti;		/* /dev/dvp_test_importer */
	int buf;	/* the dma-buf */
	uint64_t off[2];	/* BAR offsets of its two pages */
};

static void bind_importer(struct __test_metadata *_metadata, char *edu)
{
	const char *ko = "selftests/importer/dvp_test_importer.ko";

	ASSERT_EQ(0, dvp_load_built_module(ko, "dvp_test_importer"));
	ASSERT_EQ(0, dvp_find_bdf(EDU_VENDOR, EDU_DEVICE, edu, 32));
	ASSERT_EQ(0, dvp_rebind(edu, DVP_TI_DRIVER));
}

/* Two non-adjacent pages in reversed order: buffer page 0 is the later. */
FIXTURE_SETUP(imp)
{
	struct vfio_region_dma_range r[2];
	struct dvp_ti_attach at = { 0 };

	bind_importer(_metadata, self->edu);
	ASSERT_EQ(0, dvp_vfio_open_id(&self->v, IVSHMEM_VENDOR,
				      IVSHMEM_DEVICE));
	ASSERT_EQ(0, dvp_region(&self->v, IVSHMEM_BAR, &self->bar));
	self->off[0] = (1 << 20) + 8 * PAGE;
	self->off[1] = (1 << 20) + 2 * PAGE;
	r[0] = (struct vfio_region_dma_range){ self->off[0], PAGE };
	r[1] = (struct vfio_region_dma_range){ self->off[1], PAGE };
	self->buf = dvp_export(self->v.device, IVSHMEM_BAR, O_RDWR, r, 2);
	ASSERT_LE(0, self->buf);
	self->ti = open(DVP_TI_DEVICE, O_RDWR);
	ASSERT_LE(0, self->ti);
	at.fd = self->buf;
	ASSERT_EQ(0, ioctl(self->ti, DVP_TI_ATTACH, &at));
}

FIXTURE_TEARDOWN(imp)
{
	close(self->ti);
	close(self->buf);
	dvp_vfio_close(&self->v);
	dvp_rebind(self->edu, DVP_DRIVER);
}

static int ti_dma(int ti, uint64_t off, void *data, uint32_t len,
		  uint32_t dir)
{
	struct dvp_ti_dma d = {
		.offset = off, .user_addr = (uintptr_t)data, .len = len,
		.dir = dir,
	};

	return ioctl(ti, DVP_TI_DMA, &d) ? -errno : 0;
}

static struct dvp_ti_stats stats(int ti)
{
	struct dvp_ti_stats s = { 0 };

	ioctl(ti, DVP_TI_STATS, &s);
	return s;
}

/*
 * The importer writes page p of the buffer with the pattern of its BAR
 * offset; the host file is read back to check where it landed.
 */
static int dma_page_in(struct _test_data_imp *self, unsigned int p,
		       uint32_t seed)
{
	uint8_t data[PAGE];

	dvp_fill(data, PAGE, seed, self->off[p]);
	return ti_dma(self->ti, p * PAGE, data, PAGE, DVP_TI_TO_BUF);
}

static long host_check(struct _test_data_imp *self, unsigned int p,
		       uint32_t seed)
{
	uint8_t data[PAGE];

	if (dvp_host_read(self->off[p], data, PAGE))
		return -2;
	return dvp_verify(data, PAGE, seed, self->off[p]);
}

TEST_F(imp, dma_lands_at_reversed_ranges)
{
	struct dvp_ti_stats s;

	ASSERT_EQ(0, dma_page_in(self, 0, 0x1001));
	ASSERT_EQ(0, dma_page_in(self, 1, 0x1002));
	EXPECT_EQ(-1, host_check(self, 0, 0x1001));
	EXPECT_EQ(-1, host_check(self, 1, 0x1002));
	s = stats(self->ti);
	EXPECT_EQ(1, s.maps);
	EXPECT_EQ(2 * PAGE, s.mapped_size);
	EXPECT_EQ(2, s.mapped_nents);
	EXPECT_EQ(0, s.move_notify);
}

/* The same through the witness area, checked again after the guest is gone. */
TEST_F(imp, dma_lands_in_host_file_after_run)
{
	uint64_t w = dvp_witness_off(self->bar.size, DVP_WITNESS_EXPORT);
	struct dvp_ti_attach at = { 0 };
	struct vfio_region_dma_range r[2] = {
		{ w + 8 * PAGE, PAGE }, { w + 2 * PAGE, PAGE },
	};
	uint8_t data[2 * PAGE];
	int ti2;

	at.fd = dvp_export(self->v.device, IVSHMEM_BAR, O_RDWR, r, 2);
	ASSERT_LE(0, at.fd);
	ti2 = open(DVP_TI_DEVICE, O_RDWR);
	ASSERT_LE(0, ti2);
	ASSERT_EQ(0, ioctl(ti2, DVP_TI_ATTACH, &at));
	dvp_fill(data, PAGE, 0x1101, r[0].offset);
	dvp_fill(data + PAGE, PAGE, 0x1102, r[1].offset);
	ASSERT_EQ(0, ti_dma(ti2, 0, data, sizeof(data), DVP_TI_TO_BUF));
	ASSERT_EQ(0, dvp_host_expect(r[0].offset, PAGE, 0x1101));
	ASSERT_EQ(0, dvp_host_expect(r[1].offset, PAGE, 0x1102));
	close(ti2);
	close(at.fd);
}

TEST_F(imp, dma_reads_host_data)
{
	uint8_t in[2 * PAGE], host[PAGE];

	dvp_fill(host, PAGE, 0x2002, 0);
	ASSERT_EQ(0, dvp_host_write(self->off[1], host, PAGE));
	dvp_fill(host, PAGE, 0x2001, 0);
	ASSERT_EQ(0, dvp_host_write(self->off[0], host, PAGE));
	ASSERT_EQ(0, ti_dma(self->ti, 0, in, sizeof(in), DVP_TI_FROM_BUF));
	EXPECT_EQ(-1, dvp_verify(in, PAGE, 0x2001, 0));
	EXPECT_EQ(-1, dvp_verify(in + PAGE, PAGE, 0x2002, 0));
}

TEST(attach_refuses_static_and_non_p2p_importers)
{
	struct vfio_region_dma_range r = { 0, PAGE };
	struct dvp_ti_attach at = { 0 };
	struct dvp_vfio v;
	char edu[32];
	int ti;

	bind_importer(_metadata, edu);
	ASSERT_EQ(0, dvp_vfio_open_id(&v, IVSHMEM_VENDOR, IVSHMEM_DEVICE));
	at.fd = dvp_export(v.device, IVSHMEM_BAR, O_RDWR, &r, 1);
	ASSERT_LE(0, at.fd);
	ti = open(DVP_TI_DEVICE, O_RDWR);
	ASSERT_LE(0, ti);
	at.flags = DVP_TI_ATTACH_STATIC;
	EXPECT_EQ(-1, ioctl(ti, DVP_TI_ATTACH, &at));
	EXPECT_EQ(EOPNOTSUPP, errno);
	at.flags = DVP_TI_ATTACH_NO_P2P;
	EXPECT_EQ(-1, ioctl(ti, DVP_TI_ATTACH, &at));
	EXPECT_EQ(EOPNOTSUPP, errno);
	at.flags = 0;
	EXPECT_EQ(0, ioctl(ti, DVP_TI_ATTACH, &at));
	close(ti);
	close(at.fd);
	dvp_vfio_close(&v);
	dvp_rebind(edu, DVP_DRIVER);
}

/*
 * After a revoke: move_notify was seen, the mapping is gone, maps and DMA
 * fail with ENODEV and the BAR is untouched by the attempt.
 */
static void expect_revoked(struct __test_metadata *_metadata,
			   struct _test_data_imp *self, uint64_t notified_before)
{
	struct dvp_ti_stats s = stats(self->ti);

	EXPECT_LT(notified_before, s.move_notify);
	EXPECT_EQ(0, s.mapped_size);
	EXPECT_EQ(-1, ioctl(self->ti, DVP_TI_MAP));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-ENODEV, dma_page_in(self, 0, 0x3bad));
	EXPECT_NE(-1, host_check(self, 0, 0x3bad));
}

/* Access is back: a new map works and DMA lands. */
static void expect_restored(struct __test_metadata *_metadata,
			    struct _test_data_imp *self, uint32_t seed)
{
	uint64_t maps = stats(self->ti).maps;

	EXPECT_EQ(0, dma_page_in(self, 0, seed));
	EXPECT_EQ(-1, host_check(self, 0, seed));
	EXPECT_EQ(maps + 1, stats(self->ti).maps);
}

TEST_F(imp, memory_decode_off_revokes_until_on)
{
	uint16_t cmd;

	ASSERT_EQ(0, dma_page_in(self, 0, 0x4001));
	ASSERT_EQ(0, dvp_cmd_read(&self->v, &cmd));
	ASSERT_TRUE(cmd & MEM_BIT);
	ASSERT_EQ(0, dvp_cmd_write(&self->v, cmd & ~MEM_BIT));
	expect_revoked(_metadata, self, 0);
	ASSERT_EQ(0, dvp_cmd_write(&self->v, cmd));
	expect_restored(_metadata, self, 0x4002);
}

/*
 * A COMMAND write that keeps decode on revokes only for the write (the
 * driver cannot trust a look at the user's data, see src/triggers.c):
 * one revoke and one restore per write, and access is back after it.
 */
TEST_F(imp, bus_master_toggle_revokes_only_for_the_write)
{
	uint16_t cmd;

	ASSERT_EQ(0, dma_page_in(self, 0, 0x4101));
	ASSERT_EQ(0, dvp_cmd_read(&self->v, &cmd));
	ASSERT_EQ(0, dvp_cmd_write(&self->v, cmd ^ 0x4));
	ASSERT_EQ(0, dvp_cmd_write(&self->v, cmd));
	EXPECT_EQ(4, stats(self->ti).move_notify);
	EXPECT_EQ(0, stats(self->ti).mapped_size);
	expect_restored(_metadata, self, 0x4102);
}

/* A reset revokes for its duration: the mapping is gone afterwards. */
TEST_F(imp, device_reset_revokes)
{
	ASSERT_EQ(0, dma_page_in(self, 0, 0x5001));
	ASSERT_EQ(0, ioctl(self->v.device, VFIO_DEVICE_RESET));
	EXPECT_LE(2, stats(self->ti).move_notify);
	EXPECT_EQ(0, stats(self->ti).mapped_size);
	expect_restored(_metadata, self, 0x5002);
}

TEST_F(imp, sysfs_reset_revokes)
{
	char path[128];
	FILE *f;

	ASSERT_EQ(0, dma_page_in(self, 0, 0x5101));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset",
		 self->v.bdf);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fputs("1", f);
	ASSERT_EQ(0, fclose(f));
	EXPECT_LE(2, stats(self->ti).move_notify);
	EXPECT_EQ(0, stats(self->ti).mapped_size);
	expect_restored(_metadata, self, 0x5102);
}

TEST_F(imp, hot_reset_revokes)
{
	ASSERT_EQ(0, dma_page_in(self, 0, 0x5201));
	ASSERT_EQ(0, dvp_hot_reset(self->v.device, self->v.group));
	EXPECT_LE(2, stats(self->ti).move_notify);
	EXPECT_EQ(0, stats(self->ti).mapped_size);
	expect_restored(_metadata, self, 0x5202);
}

TEST_F(imp, low_power_revokes_until_exit)
{
	ASSERT_EQ(0, dma_page_in(self, 0, 0x6001));
	ASSERT_EQ(0, dvp_feature(self->v.device, VFIO_DEVICE_FEATURE_SET |
				 VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
				 NULL, 0));
	expect_revoked(_metadata, self, 0);
	ASSERT_EQ(0, dvp_feature(self->v.device, VFIO_DEVICE_FEATURE_SET |
				 VFIO_DEVICE_FEATURE_LOW_POWER_EXIT,
				 NULL, 0));
	expect_restored(_metadata, self, 0x6002);
}

/* Close revokes for good: reopening and decode on give nothing back. */
TEST_F(imp, close_revokes_for_good)
{
	uint16_t cmd;

	ASSERT_EQ(0, dma_page_in(self, 0, 0x7001));
	dvp_vfio_close(&self->v);
	expect_revoked(_metadata, self, 0);
	ASSERT_EQ(0, dvp_vfio_open_id(&self->v, IVSHMEM_VENDOR,
				      IVSHMEM_DEVICE));
	ASSERT_EQ(0, dvp_cmd_read(&self->v, &cmd));
	ASSERT_EQ(0, dvp_cmd_write(&self->v, cmd | MEM_BIT));
	EXPECT_EQ(-1, ioctl(self->ti, DVP_TI_MAP));
	EXPECT_EQ(ENODEV, errno);
}

/* Mainline's kref underflow: decode off, then close. Must stay quiet. */
TEST_F(imp, decode_off_then_close)
{
	struct dvp_ti_attach at = { 0 };
	uint16_t cmd;
	int ti2;

	ASSERT_EQ(0, dvp_cmd_read(&self->v, &cmd));
	ASSERT_EQ(0, dvp_cmd_write(&self->v, cmd & ~MEM_BIT));
	dvp_vfio_close(&self->v);
	expect_revoked(_metadata, self, 0);
	ti2 = open(DVP_TI_DEVICE, O_RDWR);
	ASSERT_LE(0, ti2);
	at.fd = self->buf;
	EXPECT_EQ(-1, ioctl(ti2, DVP_TI_ATTACH, &at));
	EXPECT_EQ(ENODEV, errno);
	close(ti2);
}

/* An export made while decode is off starts revoked. */
TEST_F(imp, export_while_decode_off_starts_revoked)
{
	struct vfio_region_dma_range r = { self->off[0], PAGE };
	struct dvp_ti_attach at = { 0 };
	uint16_t cmd;
	int ti2;

	ASSERT_EQ(0, dvp_cmd_read(&self->v, &cmd));
	ASSERT_EQ(0, dvp_cmd_write(&self->v, cmd & ~MEM_BIT));
	at.fd = dvp_export(self->v.device, IVSHMEM_BAR, O_RDWR, &r, 1);
	ASSERT_LE(0, at.fd);
	ti2 = open(DVP_TI_DEVICE, O_RDWR);
	ASSERT_LE(0, ti2);
	EXPECT_EQ(-1, ioctl(ti2, DVP_TI_ATTACH, &at));
	EXPECT_EQ(ENODEV, errno);
	ASSERT_EQ(0, dvp_cmd_write(&self->v, cmd));
	EXPECT_EQ(0, ioctl(ti2, DVP_TI_ATTACH, &at));
	EXPECT_EQ(0, ioctl(ti2, DVP_TI_MAP));
	close(ti2);
	close(at.fd);
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, x;
	struct iovec iov = { .iov_base = &x, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -errno;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -EBADMSG;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* Another process gets the buffer over a unix socket and moves data. */
TEST_F(imp, buffer_works_in_another_process)
{
	int sv[2], status;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct dvp_ti_attach at = { 0 };
		uint8_t data[PAGE];
		int ti;

		at.fd = recv_fd(sv[1]);
		ti = open(DVP_TI_DEVICE, O_RDWR);
		if (at.fd < 0 || ti < 0 || ioctl(ti, DVP_TI_ATTACH, &at))
			_exit(1);
		dvp_fill(data, PAGE, 0x8001, self->off[1]);
		_exit(ti_dma(ti, PAGE, data, PAGE, DVP_TI_TO_BUF) ? 2 : 0);
	}
	ASSERT_EQ(0, send_fd(sv[0], self->buf));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(-1, host_check(self, 1, 0x8001));
	close(sv[0]);
	close(sv[1]);
}

/*
 * The buffer outlives the process and the device fd that made it; the
 * device is closed with that process, so the buffer is revoked.
 */
TEST(buffer_outlives_exporting_process)
{
	struct dvp_ti_attach at = { 0 };
	int sv[2], status, ti;
	struct stat st;
	char edu[32];
	pid_t pid;

	bind_importer(_metadata, edu);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct vfio_region_dma_range r = { 0, 2 * PAGE };
		struct dvp_vfio v;
		int fd;

		if (dvp_vfio_open_id(&v, IVSHMEM_VENDOR, IVSHMEM_DEVICE))
			_exit(1);
		fd = dvp_export(v.device, IVSHMEM_BAR, O_RDWR, &r, 1);
		_exit(fd < 0 || send_fd(sv[1], fd) ? 2 : 0);
	}
	at.fd = recv_fd(sv[0]);
	ASSERT_LE(0, at.fd);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, fstat(at.fd, &st));
	EXPECT_EQ((off_t)(2 * PAGE), lseek(at.fd, 0, SEEK_END));
	ti = open(DVP_TI_DEVICE, O_RDWR);
	ASSERT_LE(0, ti);
	EXPECT_EQ(-1, ioctl(ti, DVP_TI_ATTACH, &at));
	EXPECT_EQ(ENODEV, errno);
	close(ti);
	close(at.fd);
	close(sv[0]);
	close(sv[1]);
	dvp_rebind(edu, DVP_DRIVER);
}

/*
 * Resets and power states that ivshmem cannot do, on the NVMe controller's
 * CMB: FLR through config space and PM_CTRL to D3hot. The data path is
 * checked by DMA in, then a CPU read through the VFIO BAR mmap.
 */
FIXTURE(cmb) {
	struct dvp_vfio v;
	char edu[32];
	int ti;
	int buf;
	uint8_t *bar;
	size_t bar_len;
};

FIXTURE_SETUP(cmb)
{
	struct vfio_region_dma_range r = { .offset = 4 * PAGE, .length = PAGE };
	struct dvp_ti_attach at = { 0 };

	bind_importer(_metadata, self->edu);
	ASSERT_EQ(0, dvp_vfio_open_id(&self->v, NVME_VENDOR, NVME_DEVICE));
	self->bar = dvp_bar_mmap(&self->v, NVME_CMB_BAR, &self->bar_len);
	ASSERT_NE(MAP_FAILED, self->bar);
	self->buf = dvp_export(self->v.device, NVME_CMB_BAR, O_RDWR, &r, 1);
	ASSERT_LE(0, self->buf);
	self->ti = open(DVP_TI_DEVICE, O_RDWR);
	ASSERT_LE(0, self->ti);
	at.fd = self->buf;
	ASSERT_EQ(0, ioctl(self->ti, DVP_TI_ATTACH, &at));
}

FIXTURE_TEARDOWN(cmb)
{
	close(self->ti);
	close(self->buf);
	munmap(self->bar, self->bar_len);
	dvp_vfio_close(&self->v);
	dvp_rebind(self->edu, DVP_DRIVER);
}

/* DMA a pattern into the CMB page and read it through the BAR mmap. */
static int cmb_roundtrip(struct _test_data_cmb *self, uint32_t seed)
{
	uint8_t data[512];
	int ret;

	dvp_fill(data, sizeof(data), seed, 0);
	ret = ti_dma(self->ti, 0, data, sizeof(data), DVP_TI_TO_BUF);
	if (ret)
		return ret;
	return dvp_verify(self->bar + 4 * PAGE, sizeof(data), seed, 0) == -1 ?
		0 : -EIO;
}

static void cmb_expect_revoked(struct __test_metadata *_metadata,
			       struct _test_data_cmb *self)
{
	EXPECT_LE(1, stats(self->ti).move_notify);
	EXPECT_EQ(0, stats(self->ti).mapped_size);
	EXPECT_EQ(-1, ioctl(self->ti, DVP_TI_MAP));
	EXPECT_EQ(ENODEV, errno);
}

TEST_F(cmb, flr_through_config_space_revokes)
{
	unsigned int exp = dvp_find_cap(&self->v, 0x10);	/* PCIe */
	uint16_t devctl;

	ASSERT_NE(0, exp);
	ASSERT_EQ(0, cmb_roundtrip(self, 0x9001));
	ASSERT_EQ(0, dvp_cfg_read(&self->v, exp + 8, &devctl, 2));
	devctl |= 0x8000;	/* PCI_EXP_DEVCTL_BCR_FLR */
	ASSERT_EQ(0, dvp_cfg_write(&self->v, exp + 8, &devctl, 2));
	EXPECT_LE(2, stats(self->ti).move_notify);
	EXPECT_EQ(0, stats(self->ti).mapped_size);
	EXPECT_EQ(0, cmb_roundtrip(self, 0x9002));
}

TEST_F(cmb, d3hot_through_pm_ctrl_revokes_until_d0)
{
	unsigned int pm = dvp_find_cap(&self->v, 0x01);		/* PM */
	uint16_t ctrl;

	ASSERT_NE(0, pm);
	ASSERT_EQ(0, cmb_roundtrip(self, 0x9101));
	ASSERT_EQ(0, dvp_cfg_read(&self->v, pm + 4, &ctrl, 2));
	ctrl = (ctrl & ~3) | 3;		/* D3hot */
	ASSERT_EQ(0, dvp_cfg_write(&self->v, pm + 4, &ctrl, 2));
	cmb_expect_revoked(_metadata, self);
	ctrl &= ~3;			/* D0 */
	ASSERT_EQ(0, dvp_cfg_write(&self->v, pm + 4, &ctrl, 2));
	EXPECT_EQ(0, cmb_roundtrip(self, 0x9102));
}

/*
 * An importer that pins explicitly never gets a mapping: a pinned mapping
 * could not be revoked. With CONFIG_DMABUF_MOVE_NOTIFY the exporter
 * refuses the pin itself. Without it the dma-buf core pins around every
 * map, so the pin cannot be told apart when it comes and may succeed; the
 * maps that follow it fail until the unpin.
 */
TEST_F(imp, explicit_pin_gets_no_mapping)
{
	uint8_t host[PAGE];
	int err;

	err = ioctl(self->ti, DVP_TI_PIN) ? errno : 0;
	if (dvp_config_y("DMABUF_MOVE_NOTIFY")) {
		EXPECT_EQ(EOPNOTSUPP, err);
		EXPECT_EQ(0, ioctl(self->ti, DVP_TI_MAP));
		return;
	}
	if (err) {
		EXPECT_EQ(EOPNOTSUPP, err);
		return;
	}
	dvp_fill(host, PAGE, 0x3a01, self->off[0]);
	ASSERT_EQ(0, dvp_host_write(self->off[0], host, PAGE));
	EXPECT_EQ(-1, ioctl(self->ti, DVP_TI_MAP));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-EOPNOTSUPP, dma_page_in(self, 0, 0x3a02));
	EXPECT_EQ(-1, host_check(self, 0, 0x3a01));
	EXPECT_EQ(0, stats(self->ti).mapped_size);
	ASSERT_EQ(0, ioctl(self->ti, DVP_TI_UNPIN));
	EXPECT_EQ(0, ioctl(self->ti, DVP_TI_MAP));
	EXPECT_EQ(0, dma_page_in(self, 0, 0x3a03));
	EXPECT_EQ(-1, host_check(self, 0, 0x3a03));
}

/* A pin of an attachment that holds a mapping is refused on every kernel. */
TEST_F(imp, pin_of_mapped_attachment_refused)
{
	ASSERT_EQ(0, ioctl(self->ti, DVP_TI_MAP));
	EXPECT_EQ(-1, ioctl(self->ti, DVP_TI_PIN));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(0, stats(self->ti).pinned);
	EXPECT_EQ(0, dma_page_in(self, 0, 0x3b01));
	EXPECT_EQ(-1, host_check(self, 0, 0x3b01));
}

/* Bytes of buf that hold the pattern: about 1 in 256 by chance. */
static size_t pattern_bytes(const uint8_t *buf, size_t len, uint32_t seed,
			    uint64_t base)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += buf[i] == dvp_pattern(seed, base + i);
	return n;
}

/*
 * An importer that ignores move_notify keeps its sg_table and DMAs through
 * it after the buffer is revoked for good. The revoke feature leaves the
 * BAR itself live (decode stays on), so only the exporter taking the
 * importer's IOMMU mapping away keeps that DMA out: the host file keeps
 * what was there, and a read brings back none of it.
 */
TEST_F(imp, rogue_importer_loses_bar_on_revoke)
{
	struct dvp_ti_attach at = {
		.fd = self->buf, .flags = DVP_TI_ATTACH_ROGUE,
	};
	uint8_t host[PAGE], in[PAGE];
	struct dvp_ti_stats s;
	int ret;

	ASSERT_EQ(0, ioctl(self->ti, DVP_TI_DETACH));
	ASSERT_EQ(0, ioctl(self->ti, DVP_TI_ATTACH, &at));
	ASSERT_EQ(0, dma_page_in(self, 0, 0x3c01));
	ASSERT_EQ(-1, host_check(self, 0, 0x3c01));
	ASSERT_EQ(0, dvp_revoke_buffer(self->v.device, self->buf, 0));
	s = stats(self->ti);
	EXPECT_EQ(1, s.move_notify);
	EXPECT_EQ(1, s.maps);
	EXPECT_EQ(2 * PAGE, s.mapped_size);	/* it kept its mapping */

	/*
	 * Right away: the exporter flushed the IOTLB itself, a lazy IOMMU
	 * domain would only do so within 10 ms.
	 */
	ret = dma_page_in(self, 0, 0x3c02);
	TH_LOG("rogue DMA to the revoked buffer: %d", ret);
	EXPECT_EQ(-1, host_check(self, 0, 0x3c01));

	dvp_fill(host, PAGE, 0x3c03, self->off[0]);
	ASSERT_EQ(0, dvp_host_write(self->off[0], host, PAGE));
	memset(in, 0, sizeof(in));
	ret = ti_dma(self->ti, 0, in, PAGE, DVP_TI_FROM_BUF);
	TH_LOG("rogue DMA from the revoked buffer: %d", ret);
	EXPECT_GT(PAGE / 16, pattern_bytes(in, PAGE, 0x3c03, self->off[0]));
	EXPECT_EQ(1, stats(self->ti).maps);	/* never mapped again */
}

/*
 * Fences: a revoke notifies every buffer it takes and then waits for the
 * importers' fences on all of them under one bound of 1 s. A fence still
 * pending then is logged and the buffers stay revoked; the one-buffer
 * REVOKE feature returns ETIMEDOUT. Close waits the same way for every
 * buffer of the device, even one revoked before.
 */
#define FENCE_WARNING	"fence still pending"

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

struct signaler {
	pthread_t thread;
	int ti;
	unsigned int delay_ms;
	int err;
};

static void *signal_later(void *arg)
{
	struct signaler *sig = arg;

	usleep(sig->delay_ms * 1000);
	sig->err = ioctl(sig->ti, DVP_TI_FENCE_SIGNAL) ? errno : 0;
	return NULL;
}

struct revoker {
	pthread_t thread;
	int device;
	int buf;
	int ret;
};

static void *revoke_now(void *arg)
{
	struct revoker *r = arg;

	r->ret = dvp_revoke_buffer(r->device, r->buf, 0);
	return NULL;
}

/*
 * An importer may finish its fenced work through its mapping after
 * move_notify, while the revoke waits for the fence; the exporter takes
 * the mapping down only after that (an importer that keeps the mapping
 * plays one that unmaps lazily).
 */
TEST_F(imp, fenced_work_finishes_before_the_mapping_goes)
{
	struct dvp_ti_attach at = {
		.fd = self->buf, .flags = DVP_TI_ATTACH_ROGUE,
	};
	struct revoker r = { .device = self->v.device, .buf = self->buf };
	int i;

	ASSERT_EQ(0, ioctl(self->ti, DVP_TI_DETACH));
	ASSERT_EQ(0, ioctl(self->ti, DVP_TI_ATTACH, &at));
	ASSERT_EQ(0, ioctl(self->ti, DVP_TI_MAP));
	ASSERT_EQ(0, ioctl(self->ti, DVP_TI_FENCE_ADD));
	ASSERT_EQ(0, pthread_create(&r.thread, NULL, revoke_now, &r));
	for (i = 0; i < 500 && !stats(self->ti).move_notify; i++)
		usleep(1000);
	EXPECT_EQ(1, stats(self->ti).move_notify);
	/* The work the fence stands for still lands. */
	EXPECT_EQ(0, dma_page_in(self, 0, 0x3d01));
	EXPECT_EQ(-1, host_check(self, 0, 0x3d01));
	ASSERT_EQ(0, ioctl(self->ti, DVP_TI_FENCE_SIGNAL));
	ASSERT_EQ(0, pthread_join(r.thread, NULL));
	EXPECT_EQ(0, r.ret);
	/* Nothing after it does. */
	dma_page_in(self, 0, 0x3d02);
	EXPECT_EQ(-1, host_check(self, 0, 0x3d01));
}

/* Revoke the buffer for good; *ms: how long after t0 it returned. */
static int revoke_timed(struct _test_data_imp *self,
			const struct timespec *t0, long *ms)
{
	int ret = dvp_revoke_buffer(self->v.device, self->buf, 0);

	*ms = ms_since(t0);
	return ret;
}

TEST_F(imp, revoke_waits_for_fence)
{
	struct signaler sig = { .ti = self->ti, .delay_ms = 300 };
	struct timespec t0;
	int kmsg, ret;
	long ms;

	kmsg = dvp_kmsg_open();
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, ioctl(self->ti, DVP_TI_FENCE_ADD));
	EXPECT_EQ(-1, ioctl(self->ti, DVP_TI_FENCE_ADD));
	EXPECT_EQ(EBUSY, errno);
	/* From before the thread starts: the signal comes 300 ms after t0. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, pthread_create(&sig.thread, NULL, signal_later, &sig));
	ret = revoke_timed(self, &t0, &ms);
	ASSERT_EQ(0, pthread_join(sig.thread, NULL));
	TH_LOG("revoke returned %d after %ld ms", ret, ms);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(0, sig.err);
	EXPECT_LE(250, ms);
	EXPECT_GT(1000, ms);
	EXPECT_EQ(0, dvp_kmsg_count(kmsg, FENCE_WARNING));
	EXPECT_EQ(-1, ioctl(self->ti, DVP_TI_FENCE_SIGNAL));
	EXPECT_EQ(ENOENT, errno);
	close(kmsg);
}

TEST_F(imp, revoke_times_out_on_pending_fence)
{
	struct timespec t0;
	int kmsg, ret;
	long ms;

	kmsg = dvp_kmsg_open();
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, ioctl(self->ti, DVP_TI_FENCE_ADD));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = revoke_timed(self, &t0, &ms);
	TH_LOG("revoke returned %d after %ld ms", ret, ms);
	EXPECT_EQ(-ETIMEDOUT, ret);
	EXPECT_LE(900, ms);
	EXPECT_GT(10000, ms);
	EXPECT_EQ(1, dvp_kmsg_count(kmsg, FENCE_WARNING));
	/* Revoked for good all the same. */
	EXPECT_EQ(-EBADFD, dvp_revoke_buffer(self->v.device, self->buf, 0));
	EXPECT_EQ(-1, ioctl(self->ti, DVP_TI_MAP));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(0, ioctl(self->ti, DVP_TI_FENCE_SIGNAL));
	close(kmsg);
}

/* Two buffers with a fence each: one bound for both, not one each. */
TEST_F(imp, decode_off_waits_for_all_fences_at_once)
{
	struct vfio_region_dma_range r = { (1 << 20) + 16 * PAGE, PAGE };
	struct dvp_ti_attach at = { 0 };
	struct timespec t0;
	int kmsg, ti2;
	uint16_t cmd;
	long ms;

	at.fd = dvp_export(self->v.device, IVSHMEM_BAR, O_RDWR, &r, 1);
	ASSERT_LE(0, at.fd);
	ti2 = open(DVP_TI_DEVICE, O_RDWR);
	ASSERT_LE(0, ti2);
	ASSERT_EQ(0, ioctl(ti2, DVP_TI_ATTACH, &at));
	ASSERT_EQ(0, dvp_cmd_read(&self->v, &cmd));
	ASSERT_TRUE(cmd & MEM_BIT);
	kmsg = dvp_kmsg_open();
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, ioctl(self->ti, DVP_TI_FENCE_ADD));
	ASSERT_EQ(0, ioctl(ti2, DVP_TI_FENCE_ADD));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(0, dvp_cmd_write(&self->v, cmd & ~MEM_BIT));
	ms = ms_since(&t0);
	TH_LOG("decode off took %ld ms", ms);
	EXPECT_LE(900, ms);
	EXPECT_GT(1800, ms);
	EXPECT_EQ(2, dvp_kmsg_count(kmsg, FENCE_WARNING));
	EXPECT_EQ(1, stats(self->ti).move_notify);
	EXPECT_EQ(1, stats(ti2).move_notify);
	EXPECT_EQ(0, ioctl(self->ti, DVP_TI_FENCE_SIGNAL));
	EXPECT_EQ(0, ioctl(ti2, DVP_TI_FENCE_SIGNAL));
	ASSERT_EQ(0, dvp_cmd_write(&self->v, cmd));
	EXPECT_EQ(0, ioctl(self->ti, DVP_TI_MAP));
	EXPECT_EQ(0, ioctl(ti2, DVP_TI_MAP));
	close(kmsg);
	close(ti2);
	close(at.fd);
}

static long importer_refcnt(void)
{
	FILE *f = fopen("/sys/module/" DVP_TI_DRIVER "/refcnt", "r");
	long n = -1;

	if (f && fscanf(f, "%ld", &n) != 1)
		n = -1;
	if (f)
		fclose(f);
	return n;
}

/*
 * The test importer's own uAPI: a rogue attachment is a P2P one, detach
 * signals a pending fence, and no fence outlives the buffer (each holds
 * a module reference until its release).
 */
TEST_F(imp, importer_own_uapi)
{
	struct dvp_ti_attach at = {
		.fd = self->buf,
		.flags = DVP_TI_ATTACH_ROGUE | DVP_TI_ATTACH_NO_P2P,
	};
	long refs = importer_refcnt();

	ASSERT_LT(0, refs);
	ASSERT_EQ(0, ioctl(self->ti, DVP_TI_DETACH));
	EXPECT_EQ(-1, ioctl(self->ti, DVP_TI_ATTACH, &at));
	EXPECT_EQ(EINVAL, errno);
	at.flags = 0;
	ASSERT_EQ(0, ioctl(self->ti, DVP_TI_ATTACH, &at));
	EXPECT_EQ(-1, ioctl(self->ti, DVP_TI_FENCE_SIGNAL));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, ioctl(self->ti, DVP_TI_FENCE_ADD));
	EXPECT_EQ(refs + 1, importer_refcnt());
	ASSERT_EQ(0, ioctl(self->ti, DVP_TI_DETACH));
	EXPECT_EQ(-1, ioctl(self->ti, DVP_TI_FENCE_SIGNAL));
	EXPECT_EQ(ENOTCONN, errno);
	/* Signaled, so a revoke does not wait for it. */
	EXPECT_EQ(0, dvp_revoke_buffer(self->v.device, self->buf, 0));
	close(self->buf);
	self->buf = -1;
	EXPECT_EQ(refs, importer_refcnt());
}

/* Close waits for fences of every buffer, even one revoked before it. */
TEST_F(imp, close_waits_for_fence_of_revoked_buffer)
{
	struct timespec t0;
	uint16_t cmd;
	int kmsg;
	long ms;

	ASSERT_EQ(0, dvp_cmd_read(&self->v, &cmd));
	ASSERT_EQ(0, dvp_cmd_write(&self->v, cmd & ~MEM_BIT));
	ASSERT_EQ(-1, ioctl(self->ti, DVP_TI_MAP));
	ASSERT_EQ(ENODEV, errno);
	ASSERT_EQ(0, ioctl(self->ti, DVP_TI_FENCE_ADD));
	kmsg = dvp_kmsg_open();
	ASSERT_LE(0, kmsg);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	dvp_vfio_close(&self->v);
	ms = ms_since(&t0);
	TH_LOG("close took %ld ms", ms);
	EXPECT_LE(900, ms);
	EXPECT_GT(10000, ms);
	EXPECT_EQ(1, dvp_kmsg_count(kmsg, FENCE_WARNING));
	EXPECT_EQ(0, ioctl(self->ti, DVP_TI_FENCE_SIGNAL));
	close(kmsg);
}

TEST_HARNESS_MAIN
