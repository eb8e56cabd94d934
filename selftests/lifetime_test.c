// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lifetime of an export against the objects around it.
 *
 * A dma-buf outlives its struct file: release runs from the dentry's
 * d_release, and an O_PATH open of /proc/self/fd/N holds the dentry after
 * the last close of N. A revoke must then touch neither the freed file nor
 * whatever file the allocator put in its place.
 *
 * A buffer outlives its device: after close, unbind and removal of a
 * function, a hot reset of the other function of the slot must find a
 * reset set without the removed one, and the old buffer stays dead.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dvp_harness.h"
#include "dvp_vfio.h"

#define PAGE		4096ULL
#define MEM_BIT		0x2	/* PCI_COMMAND_MEMORY */
#define NFILES		256
#define FILE_PAGES	4
#define FILE_SEED	0xf11e
#define COW_SEED	0x1000
#define BUF_SEED	0x2000
#define MODULE_REFCNT	"/sys/module/dmabuf_vfio_pci/refcnt"
#define PCI_DEVICES	"/sys/bus/pci/devices"

/* Module references: each live dma-buf holds one until its release. */
static long module_refcnt(void)
{
	char buf[32] = "";
	long n = -1;
	int fd;

	fd = open(MODULE_REFCNT, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) > 0)
		n = strtol(buf, NULL, 10);
	close(fd);
	return n;
}

/* A revoke and a restore of every export of v, through memory decode. */
static int toggle_decode(const struct dvp_vfio *v, uint16_t cmd)
{
	int ret = dvp_cmd_write(v, cmd & ~MEM_BIT);

	return ret ? ret : dvp_cmd_write(v, cmd);
}

/* NFILES opens of one regular file, each with a private mapping. */
struct cow_set {
	char path[32];
	int fd[NFILES];
	uint8_t *map[NFILES];
};

FIXTURE(stale) {
	struct dvp_vfio v;
	uint16_t cmd;
	int buf;
	int opath;
	uint8_t *map;
	struct cow_set cow;
};

FIXTURE_VARIANT(stale) {
	bool mapped;
};

/* The file is freed at the last close of the fd. */
FIXTURE_VARIANT_ADD(stale, fd_closed) {
	.mapped = false,
};

/* The mapping keeps the file until munmap. */
FIXTURE_VARIANT_ADD(stale, mapping_kept) {
	.mapped = true,
};

FIXTURE_SETUP(stale)
{
	uint8_t content[FILE_PAGES * PAGE];
	cpu_set_t one;
	int i, fd;

	dvp_catch_sigbus();
	self->buf = -1;
	self->opath = -1;
	for (i = 0; i < NFILES; i++)
		self->cow.fd[i] = -1;
	/*
	 * One CPU, so the struct file freed at our close is the next one
	 * the slab hands to our opens.
	 */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(one), &one));

	snprintf(self->cow.path, sizeof(self->cow.path), "/tmp/dvp-cow.XXXXXX");
	fd = mkstemp(self->cow.path);
	ASSERT_LE(0, fd);
	dvp_fill(content, sizeof(content), FILE_SEED, 0);
	ASSERT_EQ((ssize_t)sizeof(content), write(fd, content,
						  sizeof(content)));
	close(fd);
	ASSERT_EQ(0, dvp_vfio_open_id(&self->v, IVSHMEM_VENDOR,
				      IVSHMEM_DEVICE));
	ASSERT_EQ(0, dvp_cmd_read(&self->v, &self->cmd));
	ASSERT_TRUE(self->cmd & MEM_BIT);
}

FIXTURE_TEARDOWN(stale)
{
	int i;

	/* The O_PATH first: while it lives every revoke walks the buffer. */
	if (self->opath >= 0)
		close(self->opath);
	if (self->map)
		munmap(self->map, 2 * PAGE);
	if (self->buf >= 0)
		close(self->buf);
	for (i = 0; i < NFILES; i++) {
		if (self->cow.map[i])
			munmap(self->cow.map[i], FILE_PAGES * PAGE);
		if (self->cow.fd[i] >= 0)
			close(self->cow.fd[i]);
	}
	dvp_cmd_write(&self->v, self->cmd);
	dvp_vfio_close(&self->v);
	unlink(self->cow.path);
}

/*
 * Open the file NFILES times, so one of the struct files likely takes the
 * slot of the freed dma-buf file, and give each a private COW page.
 */
static void open_cow_files(struct __test_metadata *_metadata,
			   struct cow_set *cow)
{
	int i;

	for (i = 0; i < NFILES; i++) {
		cow->fd[i] = open(cow->path, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, cow->fd[i]);
		cow->map[i] = mmap(NULL, FILE_PAGES * PAGE,
				   PROT_READ | PROT_WRITE, MAP_PRIVATE,
				   cow->fd[i], 0);
		ASSERT_NE(MAP_FAILED, cow->map[i]);
		dvp_fill(cow->map[i] + (i % FILE_PAGES) * PAGE, PAGE,
			 COW_SEED + i, 0);
	}
}

/* Private pages that no longer hold what was written into them. */
static int lost_cow_pages(const struct cow_set *cow, int *reverted)
{
	int i, lost = 0;
	uint8_t *p;

	*reverted = 0;
	for (i = 0; i < NFILES; i++) {
		p = cow->map[i] + (i % FILE_PAGES) * PAGE;
		if (dvp_verify(p, PAGE, COW_SEED + i, 0) < 0)
			continue;
		lost++;
		/* Zapped and faulted in again from the page cache. */
		if (dvp_verify(p, PAGE, FILE_SEED, (i % FILE_PAGES) * PAGE) < 0)
			(*reverted)++;
	}
	return lost;
}

TEST_F(stale, revoke_spares_other_files)
{
	struct vfio_region_dma_range r = { 512 * PAGE, 2 * PAGE };
	uint8_t content[FILE_PAGES * PAGE], val;
	int i, fd, lost, reverted;
	char proc[64];
	long base;

	base = module_refcnt();
	ASSERT_LT(0, base);
	self->buf = dvp_export(self->v.device, IVSHMEM_BAR, O_RDWR, &r, 1);
	ASSERT_LE(0, self->buf);
	if (variant->mapped) {
		self->map = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
				 MAP_SHARED, self->buf, 0);
		ASSERT_NE(MAP_FAILED, self->map);
		dvp_fill(self->map, 2 * PAGE, BUF_SEED, 0);
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", self->buf);
	self->opath = open(proc, O_PATH | O_CLOEXEC);
	ASSERT_LE(0, self->opath);
	close(self->buf);
	self->buf = -1;
	/* The dentry alone keeps the dma-buf. */
	EXPECT_EQ(base + 1, module_refcnt());

	if (variant->mapped) {
		/* The buffer's own mapping is still revoked and restored. */
		ASSERT_EQ(0, dvp_cmd_write(&self->v, self->cmd & ~MEM_BIT));
		EXPECT_EQ(-EFAULT, dvp_try_read(self->map, &val));
		EXPECT_EQ(-EFAULT, dvp_try_read(self->map + PAGE, &val));
		ASSERT_EQ(0, dvp_cmd_write(&self->v, self->cmd));
		ASSERT_EQ(0, dvp_try_read(self->map, &val));
		EXPECT_EQ(-1, dvp_verify(self->map, 2 * PAGE, BUF_SEED, 0));
		/* Now the file goes, as in fd_closed. */
		munmap(self->map, 2 * PAGE);
		self->map = NULL;
		EXPECT_EQ(base + 1, module_refcnt());
	}

	/*
	 * 6.1 frees a struct file after an RCU grace period (6.12 at once):
	 * wait for one, so the opens below can reuse it.
	 */
	syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
	usleep(200000);
	open_cow_files(_metadata, &self->cow);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, toggle_decode(&self->v, self->cmd));

	lost = lost_cow_pages(&self->cow, &reverted);
	if (lost)
		TH_LOG("%d of %d private COW pages lost (%d back to the file's content)",
		       lost, NFILES, reverted);
	EXPECT_EQ(0, lost);
	fd = open(self->cow.path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)sizeof(content), pread(fd, content,
						  sizeof(content), 0));
	close(fd);
	EXPECT_EQ(-1, dvp_verify(content, sizeof(content), FILE_SEED, 0));

	/* The last reference goes with the dentry: the buffer is released. */
	close(self->opath);
	self->opath = -1;
	EXPECT_EQ(base, module_refcnt());
}

/*
 * $DVP_RESET_SET: two ivshmem functions of one slot, so one reset set.
 * A buffer of function A is kept, with a mapping, across close, unbind
 * and removal of A; then B is reset.
 */
FIXTURE(removed) {
	char a[32];
	char b[32];
	struct dvp_vfio va;
	struct dvp_vfio vb;
	int buf;
	uint8_t *map;
};

/* Nothing open: dvp_vfio_close() of it closes nothing. */
static void vfio_none(struct dvp_vfio *v)
{
	v->device = -1;
	v->group = -1;
	v->container = -1;
}

FIXTURE_SETUP(removed)
{
	const char *set = getenv("DVP_RESET_SET");
	char drv[64];
	int n;

	dvp_catch_sigbus();
	self->buf = -1;
	vfio_none(&self->va);
	vfio_none(&self->vb);
	ASSERT_NE(NULL, set);
	n = sscanf(set, "%31s %31s", self->a, self->b);
	ASSERT_EQ(2, n);
	ASSERT_EQ(0, dvp_bound_driver(self->a, drv, sizeof(drv)));
	ASSERT_STREQ(DVP_DRIVER, drv);
	ASSERT_EQ(0, dvp_bound_driver(self->b, drv, sizeof(drv)));
	ASSERT_STREQ(DVP_DRIVER, drv);
}

/* Put A back as the other tests expect it, whatever happened above. */
FIXTURE_TEARDOWN(removed)
{
	char path[128], drv[64] = "";

	if (self->map)
		munmap(self->map, 2 * PAGE);
	if (self->buf >= 0)
		close(self->buf);
	dvp_vfio_close(&self->vb);
	dvp_vfio_close(&self->va);
	snprintf(path, sizeof(path), PCI_DEVICES "/%s", self->a);
	if (access(path, F_OK))
		EXPECT_EQ(0, dvp_write_str("/sys/bus/pci/rescan", "1"));
	EXPECT_EQ(0, dvp_rebind(self->a, DVP_DRIVER));
	EXPECT_EQ(0, dvp_bound_driver(self->a, drv, sizeof(drv)));
	EXPECT_STREQ(DVP_DRIVER, drv);
}

TEST_F(removed, sibling_hot_reset_after_remove)
{
	struct vfio_region_dma_range r = { 0, 2 * PAGE };
	char path[128];
	uint8_t val;
	void *again;
	int ret;

	ASSERT_EQ(0, dvp_vfio_open(&self->va, self->a));
	if (self->va.group_id != dvp_iommu_group(self->b))
		TH_LOG("%s and %s are in different IOMMU groups",
		       self->a, self->b);
	self->buf = dvp_export(self->va.device, IVSHMEM_BAR, O_RDWR, &r, 1);
	ASSERT_LE(0, self->buf);
	self->map = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->buf, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	dvp_fill(self->map, 2 * PAGE, BUF_SEED, 0);
	EXPECT_EQ(-1, dvp_verify(self->map, 2 * PAGE, BUF_SEED, 0));

	dvp_vfio_close(&self->va);
	ASSERT_EQ(0, dvp_rebind(self->a, ""));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/remove", self->a);
	ASSERT_EQ(0, dvp_write_str(path, "1"));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s", self->a);
	ASSERT_NE(0, access(path, F_OK));

	/* The group now holds B alone, if A and B shared it. */
	ASSERT_EQ(0, dvp_vfio_open(&self->vb, self->b));
	ret = dvp_hot_reset(self->vb.device, self->vb.group);
	if (ret)
		TH_LOG("hot reset through %s: %s", self->b, strerror(-ret));
	EXPECT_EQ(0, ret);

	/* The old buffer stays dead. */
	EXPECT_EQ(-EFAULT, dvp_try_read(self->map, &val));
	again = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, self->buf, 0);
	EXPECT_EQ(MAP_FAILED, again);
	if (again != MAP_FAILED)
		munmap(again, PAGE);
	ret = dvp_revoke_buffer(self->vb.device, self->buf, 0);
	if (ret != -ENODEV && ret != -EBADFD)
		TH_LOG("revoke through %s: %d", self->b, ret);
	EXPECT_TRUE(ret == -ENODEV || ret == -EBADFD);
}

TEST_HARNESS_MAIN
