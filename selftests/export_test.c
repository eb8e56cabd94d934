// SPDX-License-Identifier: GPL-2.0-only
/*
 * The dma-buf export uAPI: mainline's feature 11, its validation and
 * errnos, the new fd's flags, and that a refused request changes nothing.
 * Data movement and revocation are in importer_test.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dvp_harness.h"
#include "dvp_vfio.h"

#define PAGE	4096ULL

FIXTURE(exp) {
	struct dvp_vfio v;
	struct vfio_region_info bar;
};

FIXTURE_SETUP(exp)
{
	ASSERT_EQ(0, dvp_vfio_open_id(&self->v, IVSHMEM_VENDOR,
				      IVSHMEM_DEVICE));
	ASSERT_EQ(0, dvp_region(&self->v, IVSHMEM_BAR, &self->bar));
}

FIXTURE_TEARDOWN(exp)
{
	dvp_vfio_close(&self->v);
}

static int open_fds(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static int export1(struct dvp_vfio *v, unsigned int bar, uint64_t off,
		   uint64_t len, uint32_t open_flags)
{
	struct vfio_region_dma_range r = { .offset = off, .length = len };

	return dvp_export(v->device, bar, open_flags, &r, 1);
}

TEST_F(exp, probe_answers_get_only)
{
	uint32_t f = VFIO_DEVICE_FEATURE_DMA_BUF | VFIO_DEVICE_FEATURE_PROBE;

	EXPECT_EQ(0, dvp_feature(self->v.device,
				 f | VFIO_DEVICE_FEATURE_GET, NULL, 0));
	EXPECT_EQ(-EINVAL, dvp_feature(self->v.device,
				       f | VFIO_DEVICE_FEATURE_SET, NULL, 0));
}

/* Implemented private features answer PROBE; reserved ones ENOTTY. */
TEST_F(exp, private_features_probe)
{
	uint32_t f = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET;

	EXPECT_EQ(0, dvp_feature(self->v.device,
				 f | DVP_DEVICE_FEATURE_DMA_BUF_REVOKE,
				 NULL, 0));
	EXPECT_EQ(-EINVAL, dvp_feature(self->v.device,
				       VFIO_DEVICE_FEATURE_PROBE |
				       VFIO_DEVICE_FEATURE_GET |
				       DVP_DEVICE_FEATURE_DMA_BUF_REVOKE,
				       NULL, 0));
	EXPECT_EQ(0, dvp_feature(self->v.device,
				 f | DVP_DEVICE_FEATURE_DMA_BUF_MEMATTR,
				 NULL, 0));
	EXPECT_EQ(0, dvp_feature(self->v.device,
				 VFIO_DEVICE_FEATURE_PROBE |
				 VFIO_DEVICE_FEATURE_GET |
				 DVP_DEVICE_FEATURE_DMA_BUF_MEMATTR,
				 NULL, 0));
	EXPECT_EQ(-ENOTTY, dvp_feature(self->v.device,
				       f | DVP_DEVICE_FEATURE_DMA_BUF_PAGES,
				       NULL, 0));
}

TEST_F(exp, revoke_one_errnos)
{
	struct dvp_vfio edu;
	int fd, other, pipefd[2];

	fd = export1(&self->v, IVSHMEM_BAR, 0, PAGE, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(pipefd));
	EXPECT_EQ(-EBADF, dvp_revoke_buffer(self->v.device, 1000, 0));
	EXPECT_EQ(-EINVAL, dvp_revoke_buffer(self->v.device, pipefd[0], 0));
	EXPECT_EQ(-EINVAL, dvp_revoke_buffer(self->v.device, fd, 1));
	ASSERT_EQ(0, dvp_vfio_open_id(&edu, EDU_VENDOR, EDU_DEVICE));
	other = export1(&edu, 0, 0, PAGE, O_RDWR);
	ASSERT_LE(0, other);
	EXPECT_EQ(-ENODEV, dvp_revoke_buffer(self->v.device, other, 0));
	EXPECT_EQ(-ENODEV, dvp_revoke_buffer(edu.device, fd, 0));
	EXPECT_EQ(0, dvp_revoke_buffer(self->v.device, fd, 0));
	EXPECT_EQ(-EBADFD, dvp_revoke_buffer(self->v.device, fd, 0));
	close(other);
	dvp_vfio_close(&edu);
	close(pipefd[0]);
	close(pipefd[1]);
	close(fd);
}

TEST_F(exp, set_is_refused)
{
	struct vfio_device_feature_dma_buf req = { .region_index = 2,
						   .nr_ranges = 1 };

	EXPECT_EQ(-EINVAL, dvp_feature(self->v.device,
				       VFIO_DEVICE_FEATURE_SET |
				       VFIO_DEVICE_FEATURE_DMA_BUF,
				       &req, sizeof(req)));
}

TEST_F(exp, zero_ranges_einval)
{
	EXPECT_EQ(-EINVAL, dvp_export(self->v.device, IVSHMEM_BAR, 0, NULL, 0));
}

TEST_F(exp, nonzero_flags_einval)
{
	struct {
		struct vfio_device_feature_dma_buf h;
		struct vfio_region_dma_range r;
	} req = {
		.h = { .region_index = IVSHMEM_BAR, .flags = 1,
		       .nr_ranges = 1 },
		.r = { .offset = 0, .length = PAGE },
	};

	EXPECT_EQ(-EINVAL, dvp_feature(self->v.device,
				       VFIO_DEVICE_FEATURE_GET |
				       VFIO_DEVICE_FEATURE_DMA_BUF,
				       &req, sizeof(req)));
}

TEST_F(exp, region_not_a_bar_enodev)
{
	EXPECT_EQ(-ENODEV, export1(&self->v, VFIO_PCI_ROM_REGION_INDEX, 0,
				   PAGE, 0));
	EXPECT_EQ(-ENODEV, export1(&self->v, VFIO_PCI_CONFIG_REGION_INDEX, 0,
				   PAGE, 0));
	EXPECT_EQ(-ENODEV, export1(&self->v, 100, 0, PAGE, 0));
}

/*
 * The other E2BIG, a buffer whose map would need more than 131072 sg
 * entries, takes overlapping ranges of several GiB each: no BAR here is
 * that large, so that cap is reviewed rather than tested.
 */
TEST_F(exp, too_many_ranges_e2big)
{
	struct vfio_region_dma_range *r;
	unsigned int n = DVP_DMA_BUF_MAX_RANGES + 1;

	r = calloc(n, sizeof(*r));
	ASSERT_NE(NULL, r);
	EXPECT_EQ(-E2BIG, dvp_export(self->v.device, IVSHMEM_BAR, 0, r, n));
	free(r);
}

/* argsz must cover every range the header announces. */
TEST_F(exp, argsz_short_of_ranges_einval)
{
	struct {
		struct vfio_device_feature_dma_buf h;
		struct vfio_region_dma_range r[2];
	} req = {
		.h = { .region_index = IVSHMEM_BAR, .nr_ranges = 3 },
		.r = { { 0, PAGE }, { PAGE, PAGE } },
	};

	EXPECT_EQ(-EINVAL, dvp_feature(self->v.device,
				       VFIO_DEVICE_FEATURE_GET |
				       VFIO_DEVICE_FEATURE_DMA_BUF,
				       &req, sizeof(req)));
}

TEST_F(exp, bad_ranges)
{
	EXPECT_EQ(-EINVAL, export1(&self->v, IVSHMEM_BAR, 0, 0, 0));
	EXPECT_EQ(-EINVAL, export1(&self->v, IVSHMEM_BAR, 100, PAGE, 0));
	EXPECT_EQ(-EINVAL, export1(&self->v, IVSHMEM_BAR, 0, PAGE + 1, 0));
	/* Past the end of the BAR, by a page and entirely. */
	EXPECT_EQ(-EINVAL, export1(&self->v, IVSHMEM_BAR,
				   self->bar.size - PAGE, 2 * PAGE, 0));
	EXPECT_EQ(-EINVAL, export1(&self->v, IVSHMEM_BAR, self->bar.size,
				   PAGE, 0));
	/* offset + length wraps around. */
	EXPECT_EQ(-EOVERFLOW, export1(&self->v, IVSHMEM_BAR, -PAGE, PAGE, 0));
}

TEST_F(exp, total_length_overflow_einval)
{
	struct vfio_region_dma_range r[2] = {
		{ .offset = 0, .length = 1ULL << 63 },
		{ .offset = 0, .length = 1ULL << 63 },
	};

	EXPECT_EQ(-EINVAL, dvp_export(self->v.device, IVSHMEM_BAR, 0, r, 2));
}

/* ivshmem-plain has no BAR 4; its BAR 0 is a 256-byte register block. */
TEST_F(exp, unusable_bars_einval)
{
	EXPECT_EQ(-EINVAL, export1(&self->v, 4, 0, PAGE, 0));
	EXPECT_EQ(-EINVAL, export1(&self->v, 5, 0, PAGE, 0));
	EXPECT_EQ(-EINVAL, export1(&self->v, 0, 0, PAGE, 0));
}

TEST_F(exp, unknown_open_flags_einval)
{
	EXPECT_EQ(-EINVAL, export1(&self->v, IVSHMEM_BAR, 0, PAGE, O_CREAT));
	EXPECT_EQ(-EINVAL, export1(&self->v, IVSHMEM_BAR, 0, PAGE, O_ACCMODE));
}

/* A refused request leaves no fd behind and the next one works. */
TEST_F(exp, refusal_changes_nothing)
{
	int before = open_fds(), fd;

	EXPECT_EQ(-EINVAL, export1(&self->v, IVSHMEM_BAR, 100, PAGE, 0));
	EXPECT_EQ(-EOVERFLOW, export1(&self->v, IVSHMEM_BAR, -PAGE, PAGE, 0));
	EXPECT_EQ(before, open_fds());
	fd = export1(&self->v, IVSHMEM_BAR, 0, PAGE, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(before + 1, open_fds());
	close(fd);
}

TEST_F(exp, fd_is_our_dma_buf_of_the_right_size)
{
	struct vfio_region_dma_range r[3] = {
		{ .offset = 5 * PAGE, .length = 2 * PAGE },
		{ .offset = 0, .length = PAGE },
		{ .offset = self->bar.size - 4 * PAGE, .length = 4 * PAGE },
	};
	char path[64], info[1024];
	ssize_t n;
	int fd, fi;

	fd = dvp_export(self->v.device, IVSHMEM_BAR, O_RDWR, r, 3);
	ASSERT_LE(0, fd);
	EXPECT_EQ((off_t)(7 * PAGE), lseek(fd, 0, SEEK_END));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	fi = open(path, O_RDONLY);
	ASSERT_LE(0, fi);
	n = read(fi, info, sizeof(info) - 1);
	ASSERT_LT(0, n);
	info[n] = '\0';
	EXPECT_NE(NULL, strstr(info, "exp_name:\tdmabuf_vfio_pci"));
	close(fi);
	close(fd);
}

TEST_F(exp, open_flags_are_honoured)
{
	int fd;

	fd = export1(&self->v, IVSHMEM_BAR, 0, PAGE, O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(O_RDONLY, fcntl(fd, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);

	fd = export1(&self->v, IVSHMEM_BAR, 0, PAGE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(O_RDWR, fcntl(fd, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

/* pci-testdev's I/O BAR cannot be exported. */
TEST(io_bar_einval)
{
	unsigned long long start, end, flags;
	struct dvp_vfio v;
	int bar, io = -1;
	char path[128];
	FILE *f;

	ASSERT_EQ(0, dvp_vfio_open_id(&v, TESTDEV_VENDOR, TESTDEV_DEVICE));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", v.bdf);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	for (bar = 0; bar < 6; bar++) {
		ASSERT_EQ(3, fscanf(f, "%llx %llx %llx", &start, &end, &flags));
		if ((flags & 0x100) && io < 0)	/* IORESOURCE_IO */
			io = bar;
	}
	fclose(f);
	ASSERT_LE(0, io);
	EXPECT_EQ(-EINVAL, export1(&v, io, 0, PAGE, O_RDWR));
	dvp_vfio_close(&v);
}

/* Ranges of any memory BAR work, edu's register BAR too. */
TEST(edu_bar0_exports)
{
	struct dvp_vfio v;
	int fd;

	ASSERT_EQ(0, dvp_vfio_open_id(&v, EDU_VENDOR, EDU_DEVICE));
	fd = export1(&v, 0, 4 * PAGE, 2 * PAGE, O_RDWR);
	EXPECT_LE(0, fd);
	close(fd);
	dvp_vfio_close(&v);
}

/*
 * A live buffer pins the module even after the device fd is gone; once the
 * buffer is closed the module unloads (and is loaded back for the tests
 * that follow).
 */
TEST(module_pinned_while_buffer_lives)
{
	struct dvp_vfio v;
	int fd;

	ASSERT_EQ(0, dvp_vfio_open_id(&v, IVSHMEM_VENDOR, IVSHMEM_DEVICE));
	fd = export1(&v, IVSHMEM_BAR, 0, PAGE, O_RDWR);
	ASSERT_LE(0, fd);
	dvp_vfio_close(&v);

	EXPECT_EQ(-1, syscall(SYS_delete_module, "dmabuf_vfio_pci",
			      O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	close(fd);
	ASSERT_EQ(0, syscall(SYS_delete_module, "dmabuf_vfio_pci",
			     O_NONBLOCK));
	EXPECT_NE(0, access("/sys/module/dmabuf_vfio_pci", F_OK));

	ASSERT_EQ(0, dvp_load_built_module("dmabuf-vfio-pci.ko",
					   "dmabuf_vfio_pci"));
	ASSERT_EQ(0, dvp_rebind_test_devices());
}

TEST_HARNESS_MAIN
