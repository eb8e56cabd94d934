// SPDX-License-Identifier: GPL-2.0-only
/*
 * make demo: show data going through a device bound to dmabuf-vfio-pci.
 * It opens ivshmem through VFIO, writes a message through the BAR mmap of
 * the device fd and reads it back from the host file behind the BAR.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "dvp_vfio.h"

int main(void)
{
	static const char msg[] = "hello from the guest, through dmabuf-vfio-pci";
	char back[sizeof(msg)] = "";
	struct dvp_vfio v;
	char drv[64] = "";
	size_t len;
	char *bar;
	int ret;

	ret = dvp_vfio_open_id(&v, IVSHMEM_VENDOR, IVSHMEM_DEVICE);
	if (ret) {
		fprintf(stderr, "demo: cannot open ivshmem: %s\n", strerror(-ret));
		return 1;
	}
	dvp_bound_driver(v.bdf, drv, sizeof(drv));
	printf("demo: %s is bound to %s, VFIO group %d\n", v.bdf, drv,
	       v.group_id);

	bar = dvp_bar_mmap(&v, IVSHMEM_BAR, &len);
	if (bar == MAP_FAILED) {
		perror("demo: mmap BAR2");
		return 1;
	}
	printf("demo: BAR%d mmapped, %zu MiB\n", IVSHMEM_BAR, len >> 20);
	memcpy(bar, msg, sizeof(msg));
	printf("demo: wrote \"%s\" at BAR offset 0\n", msg);

	ret = dvp_host_read(0, back, sizeof(back));
	printf("demo: the host file behind the BAR reads \"%s\"\n",
	       ret ? "(unreadable)" : back);
	munmap(bar, len);
	dvp_vfio_close(&v);
	return memcmp(msg, back, sizeof(msg)) ? 1 : 0;
}
