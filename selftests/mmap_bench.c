// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap_bench: what CPU mappings of exports cost. Not a test: it prints
 * figures and fails only when it cannot run. Run it with `make bench`
 * (a 1 GiB ivshmem BAR, and a second ivshmem bound to stock vfio-pci).
 *
 *  1. faults, page-table kB and time to touch every page of a buffer of
 *     N ranges (N = 1, 16, 256, 4096) spread over the BAR with holes, of a
 *     whole-BAR buffer at a 1 GiB-aligned address, of our device-fd BAR
 *     mmap, and of stock vfio-pci's BAR mmap of the second ivshmem;
 *  2. refaults in 999 mapped buffers after revoking the 1000th;
 *  3. cost of export and of a device-wide revoke as buffers grow.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "dvp_vfio.h"

#define PAGE		4096ULL
#define GIB		(1ULL << 30)
#define MEM_BIT		0x2

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long pagetables_kb(void)
{
	return dvp_proc_kb("/proc/meminfo", "PageTables");
}

static void measure(const char *what, int fd, off_t off, size_t len)
{
	long f0, pt0, f1, pt1;
	double t0, t1;
	uint8_t *map;
	size_t o;

	map = dvp_mmap_aligned(fd, off, len, len >= GIB ? GIB : 2 << 20);
	if (map == MAP_FAILED) {
		printf("%-34s mmap failed: %s\n", what, strerror(errno));
		return;
	}
	pt0 = pagetables_kb();
	f0 = dvp_minflt();
	t0 = now();
	for (o = 0; o < len; o += PAGE)
		(void)__atomic_load_n(map + o, __ATOMIC_RELAXED);
	t1 = now();
	f1 = dvp_minflt();
	pt1 = pagetables_kb();
	printf("%-34s %8zu MiB %8ld faults %8ld kB PT %9.1f ms\n", what,
	       len >> 20, f1 - f0, pt1 - pt0, (t1 - t0) * 1e3);
	munmap(map, len);
}

static int export_spread(struct dvp_vfio *v, size_t bar_len, unsigned int n,
			 size_t *len)
{
	struct vfio_region_dma_range *r = calloc(n, sizeof(*r));
	size_t piece = bar_len / (2 * n);
	unsigned int i;
	int fd;

	if (piece < PAGE)
		piece = PAGE;
	/* Every other slot, reversed: a non-linear layout with holes. */
	for (i = 0; i < n; i++) {
		r[i].offset = (uint64_t)(n - 1 - i) * 2 * piece;
		r[i].length = piece;
	}
	fd = dvp_export(v->device, IVSHMEM_BAR, O_RDWR, r, n);
	free(r);
	*len = (size_t)n * piece;
	return fd;
}

static void bench_layouts(struct dvp_vfio *v, size_t bar_len)
{
	static const unsigned int ns[] = { 1, 16, 256, 4096 };
	struct vfio_region_dma_range whole = { 0, bar_len };
	struct vfio_region_info ri;
	char what[64];
	unsigned int i;
	size_t len;
	int fd;

	printf("\n== touching every page\n");
	for (i = 0; i < ARRAY_SIZE(ns); i++) {
		fd = export_spread(v, bar_len, ns[i], &len);
		if (fd < 0) {
			printf("export of %u ranges: %s\n", ns[i],
			       strerror(-fd));
			continue;
		}
		snprintf(what, sizeof(what), "dma-buf, %u ranges", ns[i]);
		measure(what, fd, 0, len);
		close(fd);
	}
	fd = dvp_export(v->device, IVSHMEM_BAR, O_RDWR, &whole, 1);
	if (fd >= 0) {
		measure("dma-buf, whole BAR", fd, 0, bar_len);
		close(fd);
	}
	if (!dvp_region(v, IVSHMEM_BAR, &ri))
		measure("device fd BAR mmap (ours)", v->device, ri.offset,
			ri.size);
}

static void bench_stock(void)
{
	struct vfio_region_info ri;
	struct dvp_vfio v;
	const char *bdf = getenv("DVP_STOCK_BDFS");

	if (!bdf || dvp_vfio_open(&v, bdf)) {
		printf("stock vfio-pci device: not available\n");
		return;
	}
	if (!dvp_region(&v, IVSHMEM_BAR, &ri))
		measure("device fd BAR mmap (vfio-pci)", v.device, ri.offset,
			ri.size);
	dvp_vfio_close(&v);
}

static void bench_many(struct dvp_vfio *v)
{
	static const unsigned int ns[] = { 1, 10, 100, 1000 };
	int fds[1000];
	uint8_t *maps[1000];
	unsigned int i, j;
	uint16_t cmd;
	long f0;
	double t0, t_exp, t_rev;

	printf("\n== many buffers (one page each, mapped and touched)\n");
	dvp_cmd_read(v, &cmd);
	for (j = 0; j < ARRAY_SIZE(ns); j++) {
		unsigned int n = ns[j];

		t0 = now();
		for (i = 0; i < n; i++) {
			struct vfio_region_dma_range r = { i * PAGE, PAGE };

			fds[i] = dvp_export(v->device, IVSHMEM_BAR, O_RDWR,
					    &r, 1);
		}
		t_exp = now() - t0;
		for (i = 0; i < n; i++) {
			maps[i] = mmap(NULL, PAGE, PROT_READ, MAP_SHARED,
				       fds[i], 0);
			(void)__atomic_load_n(maps[i], __ATOMIC_RELAXED);
		}
		t0 = now();
		dvp_cmd_write(v, cmd & ~MEM_BIT);
		t_rev = now() - t0;
		dvp_cmd_write(v, cmd);
		printf("%5u buffers: export %8.1f us each, device-wide revoke %9.1f ms\n",
		       n, t_exp / n * 1e6, t_rev * 1e3);
		if (n == 1000) {
			for (i = 0; i < n; i++)
				(void)__atomic_load_n(maps[i], __ATOMIC_RELAXED);
			dvp_revoke_buffer(v->device, fds[n - 1], 0);
			f0 = dvp_minflt();
			for (i = 0; i < n - 1; i++)
				(void)__atomic_load_n(maps[i], __ATOMIC_RELAXED);
			printf("revoking buffer 1000 of 1000: %ld refaults in the other 999\n",
			       dvp_minflt() - f0);
		}
		for (i = 0; i < n; i++) {
			munmap(maps[i], PAGE);
			close(fds[i]);
		}
	}
}

int main(void)
{
	struct vfio_region_info ri;
	struct dvp_vfio v;
	int ret;

	now();	/* the first vDSO clock read faults its data page in */
	ret = dvp_vfio_open_id(&v, IVSHMEM_VENDOR, IVSHMEM_DEVICE);
	if (ret || dvp_region(&v, IVSHMEM_BAR, &ri)) {
		fprintf(stderr, "mmap_bench: no ivshmem under our driver\n");
		return 1;
	}
	printf("mmap_bench: kernel %s, ivshmem BAR %llu MiB, huge PFN entries %s\n",
	       getenv("DVP_KERNEL") ? getenv("DVP_KERNEL") : "?",
	       (unsigned long long)ri.size >> 20,
	       getenv("DVP_CONFIG_ARCH_SUPPORTS_HUGE_PFNMAP") ?: "?");
	bench_layouts(&v, ri.size);
	bench_stock();
	bench_many(&v);
	dvp_vfio_close(&v);
	return 0;
}
