// SPDX-License-Identifier: GPL-2.0-only
/*
 * DVP_DEVICE_FEATURE_DMA_BUF_MEMATTR: the memory type a buffer's mapping
 * really gets is read back from the page tables (dvp_test_pte) and from
 * PAT's own list of reservations; bytes written through a write-combining
 * mapping are found in the host file behind the ivshmem BAR. A BAR has one
 * type per device session, fixed by its first CPU use (the claim).
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dvp_harness.h"
#include "dvp_test_pte.h"
#include "dvp_vfio.h"

#define PAGE		4096ULL
#define MIB		(1ULL << 20)
#define MEM_BIT		0x2	/* PCI_COMMAND_MEMORY */
#define WC		DVP_DMA_BUF_MEMATTR_WC
#define NC		DVP_DMA_BUF_MEMATTR_NC

struct phys_range {
	uint64_t start, end;
};

FIXTURE(ma) {
	struct dvp_vfio v;
	struct phys_range phys;		/* the ivshmem BAR */
	int tp;				/* /dev/dvp_test_pte */
};

FIXTURE_SETUP(ma)
{
	ASSERT_EQ(0, dvp_load_built_module("selftests/importer/dvp_test_pte.ko",
					   "dvp_test_pte"));
	self->tp = open(DVP_TP_DEVICE, O_RDWR);
	ASSERT_LE(0, self->tp);
	ASSERT_EQ(0, dvp_vfio_open_id(&self->v, IVSHMEM_VENDOR,
				      IVSHMEM_DEVICE));
	ASSERT_EQ(0, dvp_bar_phys(self->v.bdf, IVSHMEM_BAR, &self->phys.start,
				  &self->phys.end));
	if (!dvp_config_y("X86_PAT")) {
		int fd = dvp_export(self->v.device, IVSHMEM_BAR, O_RDWR,
				    &(struct vfio_region_dma_range){ 0, PAGE },
				    1);

		ASSERT_LE(0, fd);
		EXPECT_EQ(-EOPNOTSUPP, dvp_set_memattr(self->v.device, fd, WC));
		close(fd);
		SKIP(return, "no x86 PAT: write-combining is refused");
	}
	/* A new session: nothing holds a memory type for the BAR yet. */
	ASSERT_EQ(0, dvp_pat_count(self->phys.start, self->phys.end,
				   "uncached-minus"));
	ASSERT_EQ(0, dvp_pat_count(self->phys.start, self->phys.end,
				   "write-combining"));
}

FIXTURE_TEARDOWN(ma)
{
	dvp_vfio_close(&self->v);
	close(self->tp);
}

/* DVP_TP_CACHE_* of the entry mapping p, or -errno (-ENOENT: none). */
static int pte_cache(int tp, const void *p, uint32_t *shift)
{
	struct dvp_tp_query q = { .addr = (uintptr_t)p };

	if (ioctl(tp, DVP_TP_QUERY, &q))
		return -errno;
	if (shift)
		*shift = q.shift;
	return q.cache;
}

/* PAT's reservations with this type that overlap the BAR. */
static int pat_of(const struct phys_range *bar, const char *type)
{
	return dvp_pat_count(bar->start, bar->end, type);
}

/*
 * End the device session (closing the device leaves nothing reserved for
 * the BAR, of either type) and start a new one.
 */
static void new_session(struct __test_metadata *_metadata,
			struct dvp_vfio *v, const struct phys_range *bar)
{
	dvp_vfio_close(v);
	ASSERT_EQ(0, pat_of(bar, "uncached-minus"));
	ASSERT_EQ(0, pat_of(bar, "write-combining"));
	ASSERT_EQ(0, dvp_vfio_open_id(v, IVSHMEM_VENDOR, IVSHMEM_DEVICE));
}

static int export_at(struct dvp_vfio *v, uint64_t off, uint64_t len)
{
	struct vfio_region_dma_range r = { off, len };

	return dvp_export(v->device, IVSHMEM_BAR, O_RDWR, &r, 1);
}

static uint8_t *map_touch(int fd, size_t len)
{
	uint8_t *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			    fd, 0);

	if (map != MAP_FAILED)
		dvp_touch_pages(map, len);
	return map;
}

TEST_F(ma, default_is_uncached)
{
	uint8_t *map;
	int fd;

	fd = export_at(&self->v, 4 * MIB, 16 * PAGE);
	ASSERT_LE(0, fd);
	map = map_touch(fd, 16 * PAGE);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(DVP_TP_CACHE_UC_MINUS, pte_cache(self->tp, map, NULL));
	EXPECT_EQ(DVP_TP_CACHE_UC_MINUS,
		  pte_cache(self->tp, map + 15 * PAGE, NULL));
	EXPECT_LE(1, pat_of(&self->phys, "uncached-minus"));
	EXPECT_EQ(0, pat_of(&self->phys, "write-combining"));
	munmap(map, 16 * PAGE);
	close(fd);
}

/* Two ranges, reversed and apart: WC PTEs in both, bytes in the BAR. */
TEST_F(ma, write_combining_reaches_the_bar)
{
	struct vfio_region_dma_range r[2] = {
		{ 8 * MIB + 4 * PAGE, 4 * PAGE }, { 6 * MIB, 2 * PAGE },
	};
	uint8_t *map;
	int fd;

	fd = dvp_export(self->v.device, IVSHMEM_BAR, O_RDWR, r, 2);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, dvp_set_memattr(self->v.device, fd, WC));
	map = map_touch(fd, 6 * PAGE);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(DVP_TP_CACHE_WC, pte_cache(self->tp, map, NULL));
	EXPECT_EQ(DVP_TP_CACHE_WC, pte_cache(self->tp, map + 5 * PAGE, NULL));
	EXPECT_LE(1, pat_of(&self->phys, "write-combining"));
	EXPECT_EQ(0, pat_of(&self->phys, "uncached-minus"));
	EXPECT_EQ(0, dvp_layout_check(r, 2, map, 0x900));
	munmap(map, 6 * PAGE);
	close(fd);
}

/*
 * The first mapping claimed the BAR WC: an uncached buffer cannot be set
 * or mapped, a WC one can; the device fd's own BAR mmap and read() follow
 * the BAR's type.
 */
TEST_F(ma, wc_claim_sets_the_bar_type)
{
	uint8_t *a, *b, *bar, got[8];
	struct vfio_region_info ri;
	size_t bar_len;
	int fa, fb;

	fa = export_at(&self->v, 1 * MIB, PAGE);
	fb = export_at(&self->v, 2 * MIB, PAGE);
	ASSERT_LE(0, fa);
	ASSERT_LE(0, fb);
	ASSERT_EQ(0, dvp_set_memattr(self->v.device, fa, WC));
	a = map_touch(fa, PAGE);
	ASSERT_NE(MAP_FAILED, a);
	EXPECT_EQ(DVP_TP_CACHE_WC, pte_cache(self->tp, a, NULL));

	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fb, 0));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-EBUSY, dvp_set_memattr(self->v.device, fb, NC));
	ASSERT_EQ(0, dvp_set_memattr(self->v.device, fb, WC));
	b = map_touch(fb, PAGE);
	ASSERT_NE(MAP_FAILED, b);
	EXPECT_EQ(DVP_TP_CACHE_WC, pte_cache(self->tp, b, NULL));

	bar = dvp_bar_mmap(&self->v, IVSHMEM_BAR, &bar_len);
	ASSERT_NE(MAP_FAILED, bar);
	dvp_touch_pages(bar + 3 * MIB, PAGE);
	EXPECT_EQ(DVP_TP_CACHE_WC, pte_cache(self->tp, bar + 3 * MIB, NULL));

	/* read() goes through the core's kernel mapping, now WC too. */
	memcpy(a, "wc-bytes", 8);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	ASSERT_EQ(0, dvp_region(&self->v, IVSHMEM_BAR, &ri));
	ASSERT_EQ(8, pread(self->v.device, got, 8, ri.offset + 1 * MIB));
	EXPECT_EQ(0, memcmp(got, "wc-bytes", 8));
	EXPECT_EQ(0, pat_of(&self->phys, "uncached-minus"));

	munmap(bar, bar_len);
	munmap(b, PAGE);
	munmap(a, PAGE);
	close(fb);
	close(fa);
}

/* An uncached claim refuses WC and the refused buffer stays as it was. */
TEST_F(ma, uncached_claim_refuses_wc)
{
	uint8_t *a, *b;
	int fa, fb;

	fa = export_at(&self->v, 1 * MIB, PAGE);
	fb = export_at(&self->v, 2 * MIB, PAGE);
	ASSERT_LE(0, fa);
	ASSERT_LE(0, fb);
	a = map_touch(fa, PAGE);
	ASSERT_NE(MAP_FAILED, a);
	EXPECT_EQ(-EBUSY, dvp_set_memattr(self->v.device, fb, WC));
	b = map_touch(fb, PAGE);
	ASSERT_NE(MAP_FAILED, b);
	EXPECT_EQ(DVP_TP_CACHE_UC_MINUS, pte_cache(self->tp, b, NULL));
	EXPECT_EQ(0, pat_of(&self->phys, "write-combining"));
	munmap(b, PAGE);
	munmap(a, PAGE);
	close(fb);
	close(fa);
}

/* One first use of the BAR through the device fd; 0 or -errno. */
static int first_use(struct dvp_vfio *v, unsigned int kind, uint64_t at)
{
	struct vfio_device_ioeventfd ev = {
		.argsz = sizeof(ev), .flags = VFIO_DEVICE_IOEVENTFD_32,
		.offset = at, .data = 0x5a5a5a5a,
	};
	uint32_t val = 0;
	int ret;

	switch (kind) {
	case 0:
		return pread(v->device, &val, 4, at) == 4 ? 0 : -errno;
	case 1:
		return pwrite(v->device, &val, 4, at) == 4 ? 0 : -errno;
	default:
		ev.fd = eventfd(0, 0);
		if (ev.fd < 0)
			return -errno;
		ret = ioctl(v->device, VFIO_DEVICE_IOEVENTFD, &ev) ? -errno : 0;
		close(ev.fd);
		return ret;
	}
}

/*
 * read(), write() and an ioeventfd on the BAR claim it uncached, as
 * vfio-pci's own first use would; WC is refused for the session.
 */
TEST_F(ma, device_fd_use_claims_uncached)
{
	struct vfio_region_info ri;
	unsigned int kind;
	int fd;

	for (kind = 0; kind < 3; kind++) {
		ASSERT_EQ(0, dvp_region(&self->v, IVSHMEM_BAR, &ri));
		ASSERT_EQ(0, first_use(&self->v, kind, ri.offset + 3 * MIB));
		EXPECT_LE(1, pat_of(&self->phys, "uncached-minus"));
		fd = export_at(&self->v, 0, PAGE);
		ASSERT_LE(0, fd);
		EXPECT_EQ(-EBUSY, dvp_set_memattr(self->v.device, fd, WC));
		close(fd);
		new_session(_metadata, &self->v, &self->phys);
	}
}

/* A use of the BAR that the core refuses claims nothing. */
TEST_F(ma, refused_device_fd_uses_claim_nothing)
{
	struct vfio_region_info ri;
	struct vfio_device_ioeventfd ev = {
		.argsz = sizeof(ev), .data = 0x5a5a5a5a,
	};
	uint32_t val;
	int fd;

	ASSERT_EQ(0, dvp_region(&self->v, IVSHMEM_BAR, &ri));
	EXPECT_EQ(-1, pread(self->v.device, &val, 4, ri.offset + ri.size));
	ev.fd = eventfd(0, 0);
	ASSERT_LE(0, ev.fd);
	/* Two sizes at once, then one that runs past the BAR's end. */
	ev.flags = VFIO_DEVICE_IOEVENTFD_32 | VFIO_DEVICE_IOEVENTFD_16;
	ev.offset = ri.offset + 3 * MIB;
	EXPECT_EQ(-1, ioctl(self->v.device, VFIO_DEVICE_IOEVENTFD, &ev));
	EXPECT_EQ(EINVAL, errno);
	ev.flags = VFIO_DEVICE_IOEVENTFD_64;
	ev.offset = ri.offset + ri.size - 4;
	EXPECT_EQ(-1, ioctl(self->v.device, VFIO_DEVICE_IOEVENTFD, &ev));
	EXPECT_EQ(EINVAL, errno);
	/* Removing an ioeventfd that does not exist. */
	ev.flags = VFIO_DEVICE_IOEVENTFD_32;
	ev.offset = ri.offset + 3 * MIB;
	fd = ev.fd;
	ev.fd = -1;
	EXPECT_EQ(-1, ioctl(self->v.device, VFIO_DEVICE_IOEVENTFD, &ev));
	EXPECT_EQ(ENODEV, errno);
	ev.fd = fd;
	/* An offset the core would turn into a negative BAR index. */
	ev.flags = VFIO_DEVICE_IOEVENTFD_32;
	ev.offset = (1ULL << 63) | (3 * MIB);
	EXPECT_EQ(-1, ioctl(self->v.device, VFIO_DEVICE_IOEVENTFD, &ev));
	EXPECT_EQ(EINVAL, errno);
	close(ev.fd);
	EXPECT_EQ(0, pat_of(&self->phys, "uncached-minus"));
	fd = export_at(&self->v, 0, PAGE);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, dvp_set_memattr(self->v.device, fd, WC));
	close(fd);
}

TEST_F(ma, errnos)
{
	struct dvp_dma_buf_memattr m = { .memattr = WC };
	struct dvp_vfio edu;
	int fd, other, pipefd[2];

	fd = export_at(&self->v, 0, PAGE);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(pipefd));
	EXPECT_EQ(-EBADF, dvp_set_memattr(self->v.device, 1000, WC));
	EXPECT_EQ(-EINVAL, dvp_set_memattr(self->v.device, pipefd[0], WC));
	m.dmabuf_fd = fd;
	EXPECT_EQ(-EINVAL, dvp_feature(self->v.device,
				       VFIO_DEVICE_FEATURE_SET |
				       DVP_DEVICE_FEATURE_DMA_BUF_MEMATTR,
				       &m, offsetof(typeof(m), flags) - 1));
	EXPECT_EQ(-ENOENT, dvp_set_memattr(self->v.device, fd, 2));
	EXPECT_EQ(-ENOENT, dvp_set_memattr(self->v.device, fd, UINT32_MAX));
	m.flags = 1;
	EXPECT_EQ(-EINVAL, dvp_feature(self->v.device,
				       VFIO_DEVICE_FEATURE_SET |
				       DVP_DEVICE_FEATURE_DMA_BUF_MEMATTR,
				       &m, sizeof(m)));
	m.flags = 0;

	/*
	 * edu's BAR 0 is not prefetchable: no write-combining there. WC is
	 * also refused on a BAR holding the MSI-X table or PBA, which no
	 * prefetchable BAR of QEMU's devices here does: that refusal is
	 * dvp_bar_has_msix(), reviewed rather than tested.
	 */
	ASSERT_EQ(0, dvp_vfio_open_id(&edu, EDU_VENDOR, EDU_DEVICE));
	other = dvp_export(edu.device, 0, O_RDWR,
			   &(struct vfio_region_dma_range){ 0, PAGE }, 1);
	ASSERT_LE(0, other);
	EXPECT_EQ(-ENODEV, dvp_set_memattr(self->v.device, other, NC));
	EXPECT_EQ(-ENODEV, dvp_set_memattr(edu.device, fd, WC));
	EXPECT_EQ(-EOPNOTSUPP, dvp_set_memattr(edu.device, other, WC));
	EXPECT_EQ(0, dvp_set_memattr(edu.device, other, NC));
	close(other);
	dvp_vfio_close(&edu);

	ASSERT_EQ(0, dvp_revoke_buffer(self->v.device, fd, 0));
	EXPECT_EQ(-EBADFD, dvp_set_memattr(self->v.device, fd, WC));
	/* No failed call claimed the BAR. */
	EXPECT_EQ(0, pat_of(&self->phys, "uncached-minus"));
	EXPECT_EQ(0, pat_of(&self->phys, "write-combining"));
	close(pipefd[0]);
	close(pipefd[1]);
	close(fd);
}

/* GET reads back what SET chose; a refused SET changes nothing. */
TEST_F(ma, get_reads_back)
{
	struct dvp_dma_buf_memattr m = { 0 };
	uint32_t got = UINT32_MAX;
	int fd;

	fd = export_at(&self->v, 0, PAGE);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, dvp_get_memattr(self->v.device, fd, &got));
	EXPECT_EQ(NC, got);
	ASSERT_EQ(0, dvp_set_memattr(self->v.device, fd, WC));
	EXPECT_EQ(0, dvp_get_memattr(self->v.device, fd, &got));
	EXPECT_EQ(WC, got);
	EXPECT_EQ(-ENOENT, dvp_set_memattr(self->v.device, fd, 7));
	EXPECT_EQ(0, dvp_get_memattr(self->v.device, fd, &got));
	EXPECT_EQ(WC, got);
	EXPECT_EQ(-EBADF, dvp_get_memattr(self->v.device, -1, &got));
	/* A caller from before flags existed passes 8 bytes. */
	m.dmabuf_fd = fd;
	m.memattr = NC;
	EXPECT_EQ(0, dvp_feature(self->v.device, VFIO_DEVICE_FEATURE_SET |
				 DVP_DEVICE_FEATURE_DMA_BUF_MEMATTR,
				 &m, offsetof(typeof(m), flags)));
	EXPECT_EQ(0, dvp_get_memattr(self->v.device, fd, &got));
	EXPECT_EQ(NC, got);
	EXPECT_EQ(0, dvp_feature(self->v.device, VFIO_DEVICE_FEATURE_PROBE |
				 VFIO_DEVICE_FEATURE_GET |
				 DVP_DEVICE_FEATURE_DMA_BUF_MEMATTR, NULL, 0));
	close(fd);
}

/*
 * Close ends the session: the claim and this driver's WC reservation go,
 * the next session chooses again, and old buffers stay dead.
 */
TEST_F(ma, close_ends_the_session)
{
	uint8_t *old, *map;
	int fold, fd;

	fold = export_at(&self->v, 1 * MIB, PAGE);
	ASSERT_LE(0, fold);
	old = map_touch(fold, PAGE);
	ASSERT_NE(MAP_FAILED, old);
	EXPECT_EQ(DVP_TP_CACHE_UC_MINUS, pte_cache(self->tp, old, NULL));
	new_session(_metadata, &self->v, &self->phys);
	EXPECT_EQ(-ENOENT, pte_cache(self->tp, old, NULL));
	EXPECT_EQ(-EBADFD, dvp_set_memattr(self->v.device, fold, WC));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fold, 0));
	EXPECT_EQ(ENODEV, errno);
	fd = export_at(&self->v, 1 * MIB, PAGE);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, dvp_set_memattr(self->v.device, fd, WC));
	map = map_touch(fd, PAGE);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(DVP_TP_CACHE_WC, pte_cache(self->tp, map, NULL));
	new_session(_metadata, &self->v, &self->phys);
	EXPECT_EQ(-ENOENT, pte_cache(self->tp, map, NULL));
	munmap(map, PAGE);
	munmap(old, PAGE);
	close(fd);
	close(fold);
}

/* Revoke zaps a WC mapping; it faults back in WC when decode returns. */
TEST_F(ma, wc_after_revoke_and_restore)
{
	uint16_t cmd;
	uint8_t *map;
	int fd;

	fd = export_at(&self->v, 5 * MIB, 4 * PAGE);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, dvp_set_memattr(self->v.device, fd, WC));
	map = map_touch(fd, 4 * PAGE);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, dvp_cmd_read(&self->v, &cmd));
	ASSERT_EQ(0, dvp_cmd_write(&self->v, cmd & ~MEM_BIT));
	EXPECT_EQ(-ENOENT, pte_cache(self->tp, map, NULL));
	ASSERT_EQ(0, dvp_cmd_write(&self->v, cmd | MEM_BIT));
	dvp_touch_pages(map, 4 * PAGE);
	EXPECT_EQ(DVP_TP_CACHE_WC, pte_cache(self->tp, map + 3 * PAGE, NULL));
	munmap(map, 4 * PAGE);
	close(fd);
}

/* Huge entries (6.12) carry the type too; 6.1 maps 4 KiB. */
TEST_F(ma, wc_whole_bar_aligned)
{
	size_t huge = 2 * MIB, len = self->phys.end - self->phys.start;
	uint32_t shift = 0;
	uint8_t *map;
	int fd;

	fd = export_at(&self->v, 0, len);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, dvp_set_memattr(self->v.device, fd, WC));
	map = dvp_mmap_aligned(fd, 0, len, huge);
	ASSERT_NE(MAP_FAILED, map);
	dvp_touch_pages(map + 10 * MIB, PAGE);
	EXPECT_EQ(DVP_TP_CACHE_WC, pte_cache(self->tp, map + 10 * MIB, &shift));
	EXPECT_EQ(dvp_config_y("ARCH_SUPPORTS_HUGE_PFNMAP") ? 21U : 12U,
		  shift);
	munmap(map, len);
	close(fd);
}

struct claim_race {
	struct dvp_vfio *v;
	uint64_t bar_off;	/* the BAR region's offset in the device fd */
	pthread_barrier_t go;
	unsigned int delay_us;	/* the reader's head start or handicap */
	int read_ret;
};

static void *race_read(void *arg)
{
	struct claim_race *c = arg;
	uint8_t got[4];

	pthread_barrier_wait(&c->go);
	usleep(c->delay_us);
	c->read_ret = pread(c->v->device, got, 4, c->bar_off) == 4 ? 0 : -errno;
	return NULL;
}

/*
 * A WC mmap racing a first read() of the BAR: whichever claims first
 * wins. The mmap gets WC entries with no uncached reservation left, or
 * EBUSY with an uncached BAR; never a WC buffer mapped UC- behind its
 * back, and the read always works.
 */
TEST_F(ma, wc_mmap_races_core_claim)
{
	unsigned int i, wc = 0, busy = 0;
	struct vfio_region_info ri;
	struct claim_race c;
	pthread_t t;
	uint8_t *map;
	int fd;

	ASSERT_EQ(0, dvp_region(&self->v, IVSHMEM_BAR, &ri));
	for (i = 0; i < 12; i++) {
		c = (struct claim_race){ .v = &self->v, .bar_off = ri.offset };
		/* Sweep the start offset so both orders and the tie occur. */
		c.delay_us = (i % 4) * 500;
		pthread_barrier_init(&c.go, NULL, 2);
		fd = export_at(&self->v, 7 * MIB, PAGE);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, dvp_set_memattr(self->v.device, fd, WC));
		ASSERT_EQ(0, pthread_create(&t, NULL, race_read, &c));
		pthread_barrier_wait(&c.go);
		usleep(i % 2 ? 1000 : 0);
		map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, 0);
		pthread_join(t, NULL);
		pthread_barrier_destroy(&c.go);
		if (map == MAP_FAILED) {
			EXPECT_EQ(EBUSY, errno);
			EXPECT_LE(1, pat_of(&self->phys, "uncached-minus"));
			EXPECT_EQ(0, pat_of(&self->phys, "write-combining"));
			busy++;
		} else {
			dvp_touch_pages(map, PAGE);
			EXPECT_EQ(DVP_TP_CACHE_WC,
				  pte_cache(self->tp, map, NULL));
			EXPECT_EQ(0, pat_of(&self->phys, "uncached-minus"));
			munmap(map, PAGE);
			wc++;
		}
		EXPECT_EQ(0, c.read_ret);
		close(fd);
		new_session(_metadata, &self->v, &self->phys);
	}
	TH_LOG("%u WC mappings, %u EBUSY", wc, busy);
}

TEST_HARNESS_MAIN
