// SPDX-License-Identifier: GPL-2.0-only
/*
 * make demo: show data going through a device bound to dmabuf-vfio-pci.
 * It exports two pages of ivshmem's BAR as one dma-buf (in reversed
 * order), writes through an mmap of the dma-buf, reads the bytes back from
 * the host file behind the BAR, then turns memory decode off and shows the
 * mapping is revoked, and back on.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dvp_vfio.h"

#define PAGE	4096

static sigjmp_buf jb;

static void on_sigbus(int sig)
{
	siglongjmp(jb, 1);
}

static const char *probe(const char *p)
{
	if (sigsetjmp(jb, 1))
		return "SIGBUS: revoked";
	return __atomic_load_n(p, __ATOMIC_RELAXED) ? "readable" : "readable (zero)";
}

int main(void)
{
	static const char a[] = "first page of the dma-buf", b[] = "second page";
	struct vfio_region_dma_range r[2] = {
		{ 16 * PAGE, PAGE }, { 4 * PAGE, PAGE },
	};
	char back[64] = "", drv[64] = "";
	struct dvp_vfio v;
	uint16_t cmd;
	char *map;
	int fd;

	signal(SIGBUS, on_sigbus);
	if (dvp_vfio_open_id(&v, IVSHMEM_VENDOR, IVSHMEM_DEVICE)) {
		fprintf(stderr, "demo: cannot open ivshmem through VFIO\n");
		return 1;
	}
	dvp_bound_driver(v.bdf, drv, sizeof(drv));
	printf("demo: %s is bound to %s, VFIO group %d\n", v.bdf, drv,
	       v.group_id);

	fd = dvp_export(v.device, IVSHMEM_BAR, O_RDWR | O_CLOEXEC, r, 2);
	if (fd < 0) {
		fprintf(stderr, "demo: export failed: %s\n", strerror(-fd));
		return 1;
	}
	printf("demo: exported BAR%d pages 16 and 4 as dma-buf fd %d\n",
	       IVSHMEM_BAR, fd);
	map = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		perror("demo: mmap");
		return 1;
	}
	memcpy(map, a, sizeof(a));
	memcpy(map + PAGE, b, sizeof(b));
	printf("demo: wrote \"%s\" and \"%s\" through the dma-buf mmap\n", a, b);
	dvp_host_read(16 * PAGE, back, sizeof(a));
	printf("demo: host file at BAR offset 0x%x: \"%s\"\n", 16 * PAGE, back);
	dvp_host_read(4 * PAGE, back, sizeof(b));
	printf("demo: host file at BAR offset 0x%x: \"%s\"\n", 4 * PAGE, back);

	dvp_cmd_read(&v, &cmd);
	dvp_cmd_write(&v, cmd & ~0x2);
	printf("demo: memory decode off -> mapping %s\n", probe(map));
	dvp_cmd_write(&v, cmd);
	printf("demo: memory decode on  -> mapping %s\n", probe(map));

	munmap(map, 2 * PAGE);
	close(fd);
	dvp_vfio_close(&v);
	return memcmp(back, b, sizeof(b)) ? 1 : 0;
}
