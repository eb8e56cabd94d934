/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test helpers: find the guest's test devices and open them through the
 * legacy VFIO container/group API (type1), so each test file holds only
 * its test.
 */
#ifndef DVP_VFIO_H
#define DVP_VFIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/vfio.h>

#include "dmabuf_vfio_pci.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define IVSHMEM_VENDOR	0x1af4
#define IVSHMEM_DEVICE	0x1110
#define IVSHMEM_BAR	2	/* the shared-memory BAR */
/* QEMU's NVMe controller: PCIe, FLR, PM, and a memory BAR (its CMB). */
#define NVME_VENDOR	0x1b36
#define NVME_DEVICE	0x0010
#define NVME_CMB_BAR	2
/* QEMU's pci-testdev: function 1 of e1000e's slot, with an I/O BAR. */
#define TESTDEV_VENDOR	0x1b36
#define TESTDEV_DEVICE	0x0005
/* Intel 82574L (QEMU e1000e): AER capability, a 128 KiB memory BAR 0. */
#define E1000E_VENDOR	0x8086
#define E1000E_DEVICE	0x10d3

#define DVP_DRIVER	"dmabuf-vfio-pci"

struct dvp_vfio {
	int container;
	int group;
	int device;
	int group_id;
	char bdf[32];
	struct vfio_device_info info;
};

/* Find the first PCI device with this ID; 0 or -ENODEV. */
int dvp_find_bdf(uint16_t vendor, uint16_t device, char *bdf, size_t len);
/* Name of the driver bound to bdf ("" when none); 0 or -errno. */
int dvp_bound_driver(const char *bdf, char *drv, size_t len);
/* IOMMU group number of bdf, or -errno. */
int dvp_iommu_group(const char *bdf);

/* Open bdf through a fresh type1 container; 0 or -errno. */
int dvp_vfio_open(struct dvp_vfio *v, const char *bdf);
/* Same, for the first device with this ID. */
int dvp_vfio_open_id(struct dvp_vfio *v, uint16_t vendor, uint16_t device);
void dvp_vfio_close(struct dvp_vfio *v);

int dvp_region(const struct dvp_vfio *v, unsigned int index,
	       struct vfio_region_info *ri);
/* Read/write config space through the config region; 0 or -errno. */
int dvp_cfg_read(const struct dvp_vfio *v, unsigned int off, void *buf,
		 size_t len);
int dvp_cfg_write(const struct dvp_vfio *v, unsigned int off,
		  const void *buf, size_t len);
/* mmap a whole BAR through the device fd; MAP_FAILED on error. */
void *dvp_bar_mmap(const struct dvp_vfio *v, unsigned int bar, size_t *len);

/* Bind bdf to driver through driver_override ("" unbinds only). */
int dvp_rebind(const char *bdf, const char *driver);
/* Load a module from a .ko path unless a module of that name is loaded. */
int dvp_load_module(const char *path, const char *name);
/* Bind every test device without a driver to ours again. */
int dvp_rebind_test_devices(void);

/* VFIO_DEVICE_FEATURE with a payload; returns the ioctl's value or -errno. */
int dvp_feature(int device, uint32_t flags, const void *payload,
		size_t size);
/* Export ranges of bar as a dma-buf; the fd or -errno. */
int dvp_export(int device, unsigned int bar, uint32_t open_flags,
	       const struct vfio_region_dma_range *ranges, unsigned int nr);
/* DVP_DEVICE_FEATURE_DMA_BUF_REVOKE of one buffer; 0 or -errno. */
int dvp_revoke_buffer(int device, int dmabuf_fd, uint32_t flags);
/*
 * map is a mapping of a buffer of ranges r[0..n) of the ivshmem BAR. Write
 * each range's part with the pattern of its BAR offsets and find it in the
 * host file, then write the host file and read it back through map.
 * Returns 0, 1 (the host file missed a write), 2 (map missed the host's
 * write) or -errno.
 */
int dvp_layout_check(const struct vfio_region_dma_range *r, unsigned int n,
		     uint8_t *map, uint32_t seed);
/*
 * mmap len bytes of fd from off, shared and writable, at an address
 * aligned to align (a dma-buf has no get_unmapped_area to ask for one);
 * munmap(map, len) undoes it. MAP_FAILED on error.
 */
void *dvp_mmap_aligned(int fd, off_t off, size_t len, size_t align);
/* dvp_load_module() of a .ko below this kernel's build ($DVP_BUILD). */
int dvp_load_built_module(const char *rel_path, const char *name);
/* The "key: N kB" line of a /proc file such as /proc/meminfo; or -1. */
long dvp_proc_kb(const char *path, const char *key);
/* Is CONFIG_<option>=y in the guest kernel (vm-run's DVP_CONFIG_*)? */
bool dvp_config_y(const char *option);
/* DVP_DEVICE_FEATURE_DMA_BUF_MEMATTR of one buffer; 0 or -errno. */
int dvp_set_memattr(int device, int dmabuf_fd, uint32_t memattr);
/* Its GET: the buffer's attribute into *memattr; 0 or -errno. */
int dvp_get_memattr(int device, int dmabuf_fd, uint32_t *memattr);
/* CPU physical [start, end) of a BAR, from sysfs; 0 or -errno. */
int dvp_bar_phys(const char *bdf, unsigned int bar, uint64_t *start,
		 uint64_t *end);
/*
 * PAT's memtype reservations overlapping [start, end) whose type is type
 * ("write-combining", "uncached-minus"), from debugfs; or -errno.
 */
int dvp_pat_count(uint64_t start, uint64_t end, const char *type);
/* VFIO_DEVICE_PCI_HOT_RESET through device, with one group fd; 0 or -errno. */
int dvp_hot_reset(int device, int group);
/* Touch every page of [p, p + len); returns the minor faults it took. */
long dvp_touch_pages(const void *p, size_t len);
/* Minor faults of the calling thread so far. */
long dvp_minflt(void);
/* Read or write the virtual PCI_COMMAND register. */
int dvp_cmd_read(const struct dvp_vfio *v, uint16_t *cmd);
int dvp_cmd_write(const struct dvp_vfio *v, uint16_t cmd);
/* Config-space offset of capability id, or 0 when absent. */
unsigned int dvp_find_cap(const struct dvp_vfio *v, uint8_t id);

/* Write a string to a (sysfs) file; 0 or -errno. */
int dvp_write_str(const char *path, const char *val);

/*
 * Accesses that may raise SIGBUS (a revoked mapping): dvp_catch_sigbus()
 * installs the handler once per process; then each returns 0, or -EFAULT
 * when the access raised SIGBUS.
 */
void dvp_catch_sigbus(void);
int dvp_try_read(const uint8_t *p, uint8_t *val);
int dvp_try_write(uint8_t *p, uint8_t val);

/* Read a sysfs attribute of bdf as an unsigned number; 0 or -errno. */
int dvp_sysfs_ulong(const char *bdf, const char *attr, unsigned long *val);

/*
 * Kernel log watching: dvp_kmsg_open() starts at the end of the log;
 * dvp_kmsg_count() counts the records since then that contain needle.
 */
int dvp_kmsg_open(void);
int dvp_kmsg_count(int fd, const char *needle);
/* Turn on our module's pr_debug/pci_dbg lines; 0 or -errno. */
int dvp_dyndbg_enable(void);

/* Deterministic test pattern: the byte at offset off for seed. */
static inline uint8_t dvp_pattern(uint32_t seed, uint64_t off)
{
	uint64_t x = (off >> 3) * 0x9e3779b97f4a7c15ULL + seed;

	x ^= x >> 29;
	return (uint8_t)(x >> (8 * (off & 7)));
}

void dvp_fill(void *buf, size_t len, uint32_t seed, uint64_t base);
/* Index of the first byte of buf that differs from the pattern, or -1. */
long dvp_verify(const void *buf, size_t len, uint32_t seed, uint64_t base);

/*
 * The ivshmem BAR is backed by a host file that the guest sees over 9p
 * ($DVP_IVSHMEM_FILE): reading it proves that bytes reached the device
 * memory, not a cache of ours. Returns 0 or -errno.
 */
int dvp_host_read(uint64_t off, void *buf, size_t len);
int dvp_host_write(uint64_t off, const void *buf, size_t len);
/*
 * The top of the ivshmem BAR is kept for writes that vm-run checks in the
 * host file after the guest is gone: tests that write elsewhere leave it
 * alone, and each witnessing test owns one 64 KiB slot.
 */
#define DVP_WITNESS_SIZE	(1ULL << 20)
#define DVP_WITNESS_SLOT	(64ULL << 10)
enum dvp_witness_slot {
	DVP_WITNESS_BAR_MMAP,
	DVP_WITNESS_BAR_MMAP_2,
	DVP_WITNESS_EXPORT,
	DVP_WITNESS_NR
};

static inline uint64_t dvp_witness_off(size_t bar_len, unsigned int slot)
{
	return bar_len - DVP_WITNESS_SIZE + slot * DVP_WITNESS_SLOT;
}

/*
 * Ask vm-run to check, after the guest is gone, that the host file holds
 * the pattern at [off, off + len).
 */
int dvp_host_expect(uint64_t off, size_t len, uint32_t seed);

#endif /* DVP_VFIO_H */
