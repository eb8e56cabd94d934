// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap of an export: the non-linear layout lands at the right BAR offsets
 * (checked in the host file behind ivshmem), a fault maps a whole range at
 * once, every revoke path zaps the mapping so the next access gets SIGBUS,
 * access comes back with decode and never after close, and revoking one
 * buffer leaves the others' page tables alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dvp_harness.h"
#include "dvp_vfio.h"

#define PAGE		4096ULL
#define MEM_BIT		0x2	/* PCI_COMMAND_MEMORY */

FIXTURE(mm) {
	struct dvp_vfio v;
	struct vfio_region_info bar;
};

FIXTURE_SETUP(mm)
{
	dvp_catch_sigbus();
	ASSERT_EQ(0, dvp_vfio_open_id(&self->v, IVSHMEM_VENDOR,
				      IVSHMEM_DEVICE));
	ASSERT_EQ(0, dvp_region(&self->v, IVSHMEM_BAR, &self->bar));
}

FIXTURE_TEARDOWN(mm)
{
	dvp_vfio_close(&self->v);
}

static uint8_t *map_buf(int fd, size_t len, int prot)
{
	return mmap(NULL, len, prot, MAP_SHARED, fd, 0);
}

static void check_layout(struct __test_metadata *_metadata,
			 const struct vfio_region_dma_range *r, unsigned int n,
			 uint8_t *map, uint32_t seed)
{
	EXPECT_EQ(0, dvp_layout_check(r, n, map, seed));
}

TEST_F(mm, reversed_ranges_with_holes)
{
	struct vfio_region_dma_range r[3] = {
		{ 40 * PAGE, 3 * PAGE }, { 10 * PAGE, 2 * PAGE }, { 0, PAGE },
	};
	uint8_t *map;
	int fd;

	fd = dvp_export(self->v.device, IVSHMEM_BAR, O_RDWR, r, 3);
	ASSERT_LE(0, fd);
	map = map_buf(fd, 6 * PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, map);
	check_layout(_metadata, r, 3, map, 0x100);
	munmap(map, 6 * PAGE);
	close(fd);
}

TEST_F(mm, single_page_ranges_scrambled)
{
	struct vfio_region_dma_range r[16];
	uint8_t *map;
	unsigned int i;
	int fd;

	for (i = 0; i < 16; i++)
		r[i] = (struct vfio_region_dma_range){
			((i * 7) % 16) * 2 * PAGE + 64 * PAGE, PAGE };
	fd = dvp_export(self->v.device, IVSHMEM_BAR, O_RDWR, r, 16);
	ASSERT_LE(0, fd);
	map = map_buf(fd, 16 * PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, map);
	check_layout(_metadata, r, 16, map, 0x200);
	munmap(map, 16 * PAGE);
	close(fd);
}

TEST_F(mm, whole_bar_range)
{
	struct vfio_region_dma_range r = { 0, self->bar.size };
	struct vfio_region_dma_range probe[2] = {
		{ PAGE, 2 * PAGE }, { self->bar.size / 2, PAGE },
	};
	uint8_t *map, *sub;
	int fd;

	fd = dvp_export(self->v.device, IVSHMEM_BAR, O_RDWR, &r, 1);
	ASSERT_LE(0, fd);
	map = map_buf(fd, self->bar.size, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, map);
	/* Offsets in a one-range buffer are BAR offsets. */
	sub = map + probe[0].offset;
	check_layout(_metadata, &probe[0], 1, sub, 0x300);
	sub = map + probe[1].offset;
	check_layout(_metadata, &probe[1], 1, sub, 0x310);
	munmap(map, self->bar.size);
	close(fd);
}

static long vm_pte_kb(void)
{
	return dvp_proc_kb("/proc/self/status", "VmPTE");
}

/*
 * A whole-BAR buffer mapped at a 2 MiB-aligned address: on kernels with
 * special huge PFN entries it is mapped with PMDs (one fault and no PTE
 * page per 2 MiB), elsewhere with 4 KiB PTEs (one fault for the range).
 * Userspace gets the alignment by reserving a larger area first; a
 * dma-buf has no get_unmapped_area of its own.
 */
TEST_F(mm, whole_bar_huge_where_possible)
{
	struct vfio_region_dma_range r = { 0, self->bar.size };
	struct vfio_region_dma_range probe = { 3 * (1 << 20) - PAGE, 2 * PAGE };
	size_t len = self->bar.size, huge = 2 << 20;
	uint8_t *map, val;
	long pte0, faults;
	uint16_t cmd;
	int fd;

	fd = dvp_export(self->v.device, IVSHMEM_BAR, O_RDWR, &r, 1);
	ASSERT_LE(0, fd);
	map = dvp_mmap_aligned(fd, 0, len, huge);
	ASSERT_NE(MAP_FAILED, map);
	pte0 = vm_pte_kb();
	faults = dvp_touch_pages(map, len);
	TH_LOG("%ld faults, %ld kB of PTEs for %zu MiB", faults,
	       vm_pte_kb() - pte0, len >> 20);
	if (dvp_config_y("ARCH_SUPPORTS_HUGE_PFNMAP")) {
		EXPECT_GE((long)(len / huge), faults);
		EXPECT_GT(16, vm_pte_kb() - pte0);
	} else {
		/* One fault per 4 MiB window of the range. */
		EXPECT_EQ((long)(len / (4 << 20)), faults);
		EXPECT_LE((long)(len / PAGE * 8 / 1024), vm_pte_kb() - pte0);
	}
	/* Bytes across a 2 MiB boundary land where they belong. */
	check_layout(_metadata, &probe, 1, map + probe.offset, 0x320);
	/* Huge entries are zapped by a revoke like any other. */
	ASSERT_EQ(0, dvp_cmd_read(&self->v, &cmd));
	ASSERT_EQ(0, dvp_cmd_write(&self->v, cmd & ~MEM_BIT));
	EXPECT_EQ(-EFAULT, dvp_try_read(map + len / 2, &val));
	ASSERT_EQ(0, dvp_cmd_write(&self->v, cmd));
	EXPECT_EQ(0, dvp_try_read(map + len / 2, &val));
	munmap(map, len);
	close(fd);
}

/* A mapping at an offset into the buffer sees the right pieces. */
TEST_F(mm, mapping_at_an_offset)
{
	struct vfio_region_dma_range r[2] = {
		{ 20 * PAGE, 2 * PAGE }, { 4 * PAGE, 2 * PAGE },
	};
	uint8_t *map, *whole;
	int fd;

	fd = dvp_export(self->v.device, IVSHMEM_BAR, O_RDWR, r, 2);
	ASSERT_LE(0, fd);
	whole = map_buf(fd, 4 * PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, whole);
	dvp_fill(whole, 4 * PAGE, 0x400, 0);
	map = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, PAGE);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(-1, dvp_verify(map, 2 * PAGE, 0x400, PAGE));
	munmap(map, 2 * PAGE);
	munmap(whole, 4 * PAGE);
	close(fd);
}

TEST_F(mm, one_fault_per_range)
{
	struct vfio_region_dma_range r[8];
	size_t len = 8 * 16 * PAGE;
	uint8_t *map, *map2;
	unsigned int i;
	int fd;

	for (i = 0; i < 8; i++)
		r[i] = (struct vfio_region_dma_range){
			(7 - i) * 32 * PAGE + 128 * PAGE, 16 * PAGE };
	fd = dvp_export(self->v.device, IVSHMEM_BAR, O_RDWR, r, 8);
	ASSERT_LE(0, fd);
	map = map_buf(fd, len, PROT_READ);
	map2 = map_buf(fd, len, PROT_READ);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_NE(MAP_FAILED, map2);
	dvp_touch_pages(map + len, 0);	/* warm up getrusage */
	EXPECT_EQ(8, dvp_touch_pages(map, len));
	EXPECT_EQ(0, dvp_touch_pages(map, len));
	EXPECT_EQ(8, dvp_touch_pages(map2, len));
	munmap(map, len);
	munmap(map2, len);
	close(fd);
}

/*
 * A fault maps at most an aligned 4 MiB window of its range, so one
 * fault's work under mmap_lock is bounded: a 16 MiB range whose physical
 * start is not 2 MiB aligned (4 KiB entries on every kernel) costs one
 * fault per window.
 */
TEST_F(mm, fault_work_is_bounded)
{
	struct vfio_region_dma_range r = { PAGE, 16 << 20 };
	uint8_t *map;
	int fd;

	fd = dvp_export(self->v.device, IVSHMEM_BAR, O_RDONLY, &r, 1);
	ASSERT_LE(0, fd);
	map = map_buf(fd, r.length, PROT_READ);
	ASSERT_NE(MAP_FAILED, map);
	dvp_touch_pages(map + r.length, 0);	/* warm up getrusage */
	EXPECT_EQ(4, dvp_touch_pages(map, r.length));
	EXPECT_EQ(0, dvp_touch_pages(map, r.length));
	munmap(map, r.length);
	close(fd);
}

TEST_F(mm, refusals)
{
	struct vfio_region_dma_range r = { 0, 4 * PAGE };
	uint8_t *map;
	int rw, ro;

	rw = dvp_export(self->v.device, IVSHMEM_BAR, O_RDWR, &r, 1);
	ro = dvp_export(self->v.device, IVSHMEM_BAR, O_RDONLY, &r, 1);
	ASSERT_LE(0, rw);
	ASSERT_LE(0, ro);

	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, rw, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				   MAP_SHARED, ro, 0));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE, PROT_READ, MAP_SHARED, rw,
				   4 * PAGE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 5 * PAGE, PROT_READ, MAP_SHARED, rw,
				   0));
	EXPECT_EQ(EINVAL, errno);

	/* Read-only stays read-only, and no mapping grows. */
	map = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, ro, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(-1, mprotect(map, PAGE, PROT_READ | PROT_WRITE));
	EXPECT_EQ(MAP_FAILED, mremap(map, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE));
	munmap(map, 2 * PAGE);
	close(ro);
	close(rw);
}

/* munmap of a middle page, mprotect and madvise act as on any PFN map. */
TEST_F(mm, partial_munmap_mprotect_madvise)
{
	struct vfio_region_dma_range r[2] = {
		{ 900 * PAGE, 2 * PAGE }, { 800 * PAGE, 2 * PAGE },
	};
	uint8_t *map, val;
	int fd;

	fd = dvp_export(self->v.device, IVSHMEM_BAR, O_RDWR, r, 2);
	ASSERT_LE(0, fd);
	map = map_buf(fd, 4 * PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, map);
	dvp_fill(map, 4 * PAGE, 0x700, 0);
	ASSERT_EQ(0, munmap(map + PAGE, PAGE));
	EXPECT_EQ(-1, dvp_verify(map, PAGE, 0x700, 0));
	EXPECT_EQ(-1, dvp_verify(map + 2 * PAGE, 2 * PAGE, 0x700, 2 * PAGE));
	/* The split-off VMA still faults in from the right range. */
	EXPECT_EQ(0, madvise(map + 2 * PAGE, 2 * PAGE, MADV_NORMAL));
	EXPECT_EQ(-1, madvise(map, PAGE, MADV_DONTNEED));
	ASSERT_EQ(0, mprotect(map + 3 * PAGE, PAGE, PROT_READ));
	EXPECT_EQ(0, dvp_try_read(map + 3 * PAGE, &val));
	EXPECT_EQ(dvp_pattern(0x700, 3 * PAGE), val);
	munmap(map, PAGE);
	munmap(map + 2 * PAGE, 2 * PAGE);
	close(fd);
}

/* The revoke paths: SIGBUS while revoked, data intact after. */
FIXTURE(rev) {
	struct dvp_vfio v;
	int fd;
	uint8_t *map;
	uint16_t cmd;
};

FIXTURE_SETUP(rev)
{
	struct vfio_region_dma_range r[2] = {
		{ 300 * PAGE, PAGE }, { 200 * PAGE, PAGE },
	};

	dvp_catch_sigbus();
	ASSERT_EQ(0, dvp_vfio_open_id(&self->v, IVSHMEM_VENDOR,
				      IVSHMEM_DEVICE));
	self->fd = dvp_export(self->v.device, IVSHMEM_BAR, O_RDWR, r, 2);
	ASSERT_LE(0, self->fd);
	self->map = map_buf(self->fd, 2 * PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, self->map);
	dvp_fill(self->map, 2 * PAGE, 0x500, 0);
	ASSERT_EQ(0, dvp_cmd_read(&self->v, &self->cmd));
}

FIXTURE_TEARDOWN(rev)
{
	munmap(self->map, 2 * PAGE);
	close(self->fd);
	dvp_vfio_close(&self->v);
}

static void expect_sigbus(struct __test_metadata *_metadata, uint8_t *map)
{
	uint8_t val;

	EXPECT_EQ(-EFAULT, dvp_try_read(map, &val));
	EXPECT_EQ(-EFAULT, dvp_try_write(map + PAGE, 1));
}

static void expect_access(struct __test_metadata *_metadata, uint8_t *map)
{
	uint8_t val;

	ASSERT_EQ(0, dvp_try_read(map, &val));
	EXPECT_EQ(-1, dvp_verify(map, 2 * PAGE, 0x500, 0));
}

TEST_F(rev, decode_off_sigbus_until_on)
{
	ASSERT_EQ(0, dvp_cmd_write(&self->v, self->cmd & ~MEM_BIT));
	expect_sigbus(_metadata, self->map);
	ASSERT_EQ(0, dvp_cmd_write(&self->v, self->cmd));
	expect_access(_metadata, self->map);
}

/* A reset zaps: the next touch faults again (and then works). */
TEST_F(rev, reset_zaps)
{
	expect_access(_metadata, self->map);
	EXPECT_EQ(0, dvp_touch_pages(self->map, 2 * PAGE));
	ASSERT_EQ(0, ioctl(self->v.device, VFIO_DEVICE_RESET));
	EXPECT_LE(1, dvp_touch_pages(self->map, 2 * PAGE));
	expect_access(_metadata, self->map);
}

TEST_F(rev, low_power_sigbus_until_exit)
{
	ASSERT_EQ(0, dvp_feature(self->v.device, VFIO_DEVICE_FEATURE_SET |
				 VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
				 NULL, 0));
	expect_sigbus(_metadata, self->map);
	ASSERT_EQ(0, dvp_feature(self->v.device, VFIO_DEVICE_FEATURE_SET |
				 VFIO_DEVICE_FEATURE_LOW_POWER_EXIT,
				 NULL, 0));
	expect_access(_metadata, self->map);
}

TEST_F(rev, close_sigbus_for_good)
{
	dvp_vfio_close(&self->v);
	expect_sigbus(_metadata, self->map);
	ASSERT_EQ(0, dvp_vfio_open_id(&self->v, IVSHMEM_VENDOR,
				      IVSHMEM_DEVICE));
	ASSERT_EQ(0, dvp_cmd_write(&self->v, self->cmd | MEM_BIT));
	expect_sigbus(_metadata, self->map);
	EXPECT_EQ(MAP_FAILED, map_buf(self->fd, PAGE, PROT_READ));
	EXPECT_EQ(ENODEV, errno);
}

/* A child's mapping is zapped with the parent's. */
TEST_F(rev, fork_child_is_revoked_too)
{
	int go[2], done[2], status;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		uint8_t val;
		int ok = dvp_try_read(self->map, &val) == 0 &&
			 dvp_verify(self->map, 2 * PAGE, 0x500, 0) == -1;

		if (write(done[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(3);
		_exit(!ok ? 1 : dvp_try_read(self->map, &val) == -EFAULT ? 0 : 2);
	}
	ASSERT_EQ(1, read(done[0], &c, 1));
	ASSERT_EQ(0, dvp_cmd_write(&self->v, self->cmd & ~MEM_BIT));
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, dvp_cmd_write(&self->v, self->cmd));
}

/* BAR mmaps of the device fd take the same path and are revoked too. */
TEST_F(rev, device_fd_bar_mmap_is_revoked)
{
	uint8_t *bar, val;
	size_t len;

	bar = dvp_bar_mmap(&self->v, IVSHMEM_BAR, &len);
	ASSERT_NE(MAP_FAILED, bar);
	EXPECT_EQ(-1, dvp_verify(bar + 300 * PAGE, PAGE, 0x500, 0));
	ASSERT_EQ(0, dvp_cmd_write(&self->v, self->cmd & ~MEM_BIT));
	EXPECT_EQ(-EFAULT, dvp_try_read(bar, &val));
	ASSERT_EQ(0, dvp_cmd_write(&self->v, self->cmd));
	EXPECT_EQ(0, dvp_try_read(bar, &val));
	munmap(bar, len);
}

/* A BAR mmap keeps the device open, as under vfio-pci. */
TEST_F(rev, device_fd_bar_mmap_keeps_device_open)
{
	uint8_t *bar, val;
	size_t len;

	bar = dvp_bar_mmap(&self->v, IVSHMEM_BAR, &len);
	ASSERT_NE(MAP_FAILED, bar);
	dvp_vfio_close(&self->v);
	EXPECT_EQ(0, dvp_try_read(bar, &val));
	expect_access(_metadata, self->map);
	munmap(bar, len);
	/* Now the device is closed for good. */
	expect_sigbus(_metadata, self->map);
}

/* Revoking one buffer zaps its PTEs only: no refaults in the others. */
TEST_F(mm, revoke_one_keeps_others_mapped)
{
	uint8_t *map[4], val;
	int fd[4], i;

	for (i = 0; i < 4; i++) {
		struct vfio_region_dma_range r = { (500 + 8 * i) * PAGE,
						   4 * PAGE };

		fd[i] = dvp_export(self->v.device, IVSHMEM_BAR, O_RDWR, &r, 1);
		ASSERT_LE(0, fd[i]);
		map[i] = map_buf(fd[i], 4 * PAGE, PROT_READ);
		ASSERT_NE(MAP_FAILED, map[i]);
		EXPECT_EQ(1, dvp_touch_pages(map[i], 4 * PAGE));
	}
	ASSERT_EQ(0, dvp_revoke_buffer(self->v.device, fd[3], 0));
	EXPECT_EQ(-EFAULT, dvp_try_read(map[3], &val));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, dvp_touch_pages(map[i], 4 * PAGE));
	for (i = 0; i < 4; i++) {
		munmap(map[i], 4 * PAGE);
		close(fd[i]);
	}
}

/* D3hot through PM_CTRL and FLR, on the NVMe controller's CMB. */
TEST(cmb_d3hot_and_flr)
{
	struct vfio_region_dma_range r = { 0, 2 * PAGE };
	unsigned int pm, exp;
	uint16_t ctrl, devctl;
	struct dvp_vfio v;
	uint8_t *map, val;
	int fd;

	dvp_catch_sigbus();
	ASSERT_EQ(0, dvp_vfio_open_id(&v, NVME_VENDOR, NVME_DEVICE));
	pm = dvp_find_cap(&v, 0x01);
	exp = dvp_find_cap(&v, 0x10);
	ASSERT_NE(0, pm);
	ASSERT_NE(0, exp);
	fd = dvp_export(v.device, NVME_CMB_BAR, O_RDWR, &r, 1);
	ASSERT_LE(0, fd);
	map = map_buf(fd, 2 * PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, map);
	dvp_fill(map, 256, 0x600, 0);
	EXPECT_EQ(-1, dvp_verify(map, 256, 0x600, 0));

	ASSERT_EQ(0, dvp_cfg_read(&v, pm + 4, &ctrl, 2));
	ctrl |= 3;
	ASSERT_EQ(0, dvp_cfg_write(&v, pm + 4, &ctrl, 2));
	EXPECT_EQ(-EFAULT, dvp_try_read(map, &val));
	ctrl &= ~3;
	ASSERT_EQ(0, dvp_cfg_write(&v, pm + 4, &ctrl, 2));
	EXPECT_EQ(0, dvp_try_read(map, &val));

	EXPECT_EQ(0, dvp_touch_pages(map, 2 * PAGE));
	ASSERT_EQ(0, dvp_cfg_read(&v, exp + 8, &devctl, 2));
	devctl |= 0x8000;	/* FLR */
	ASSERT_EQ(0, dvp_cfg_write(&v, exp + 8, &devctl, 2));
	EXPECT_LE(1, dvp_touch_pages(map, 2 * PAGE));
	munmap(map, 2 * PAGE);
	close(fd);
	dvp_vfio_close(&v);
}

/*
 * Faults race with revokes: worker threads read the mapping without pause
 * while the main thread turns decode off and on. After every revoke the
 * main thread's own access must fault; every read that succeeds sees the
 * right bytes.
 */
struct racer {
	const uint8_t *map;
	int stop;	/* __atomic */
	long ok, faulted, bad;
};

static void *race_reader(void *arg)
{
	struct racer *rc = arg;
	uint8_t val;
	size_t o = 0;

	while (!__atomic_load_n(&rc->stop, __ATOMIC_RELAXED)) {
		if (dvp_try_read(rc->map + o, &val))
			__atomic_fetch_add(&rc->faulted, 1, __ATOMIC_RELAXED);
		else if (val != dvp_pattern(0x500, o))
			__atomic_fetch_add(&rc->bad, 1, __ATOMIC_RELAXED);
		else
			__atomic_fetch_add(&rc->ok, 1, __ATOMIC_RELAXED);
		o = (o + 61) % (2 * PAGE);
	}
	return NULL;
}

TEST_F(rev, faults_race_with_decode_toggles)
{
	struct racer rc = { .map = self->map };
	pthread_t t[2];
	uint8_t val;
	int i, held = 0;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, race_reader, &rc));
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, dvp_cmd_write(&self->v, self->cmd & ~MEM_BIT));
		held += dvp_try_read(self->map + 17, &val) == 0;
		ASSERT_EQ(0, dvp_cmd_write(&self->v, self->cmd));
	}
	__atomic_store_n(&rc.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	TH_LOG("reads: %ld ok, %ld faulted", rc.ok, rc.faulted);
	EXPECT_EQ(0, held);
	EXPECT_EQ(0, rc.bad);
	expect_access(_metadata, self->map);
}

/*
 * Faults race with the last close of the device: a reader thread keeps
 * faulting while the device fd closes; once close returned no read may
 * succeed.
 */
TEST_F(rev, faults_race_with_close)
{
	struct racer rc = { .map = self->map };
	pthread_t t;
	long ok_after;
	uint8_t val;

	ASSERT_EQ(0, pthread_create(&t, NULL, race_reader, &rc));
	usleep(20000);
	dvp_vfio_close(&self->v);
	/* Let a read that loaded before the zap finish counting. */
	usleep(10000);
	ok_after = __atomic_load_n(&rc.ok, __ATOMIC_RELAXED);
	usleep(50000);
	EXPECT_EQ(ok_after, __atomic_load_n(&rc.ok, __ATOMIC_RELAXED));
	__atomic_store_n(&rc.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	TH_LOG("reads: %ld ok, %ld faulted", rc.ok, rc.faulted);
	EXPECT_EQ(0, rc.bad);
	EXPECT_EQ(-EFAULT, dvp_try_read(self->map, &val));
}

TEST_F(rev, faults_race_with_resets)
{
	struct racer rc = { .map = self->map };
	pthread_t t[2];
	int i;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, race_reader, &rc));
	for (i = 0; i < 20; i++)
		ASSERT_EQ(0, ioctl(self->v.device, VFIO_DEVICE_RESET));
	__atomic_store_n(&rc.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	TH_LOG("reads: %ld ok, %ld faulted", rc.ok, rc.faulted);
	EXPECT_EQ(0, rc.bad);
	expect_access(_metadata, self->map);
}

TEST_HARNESS_MAIN
