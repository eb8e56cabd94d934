// SPDX-License-Identifier: GPL-2.0-only
/* Test helpers: see dvp_vfio.h. */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "dvp_vfio.h"

#define PCI_DEVICES "/sys/bus/pci/devices"

static int read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

int dvp_sysfs_ulong(const char *bdf, const char *attr, unsigned long *val)
{
	char path[PATH_MAX], buf[64];
	int ret;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", bdf, attr);
	ret = read_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	*val = strtoul(buf, NULL, 0);
	return 0;
}

static bool has_id(const char *bdf, uint16_t vendor, uint16_t device)
{
	unsigned long v, d;

	return !dvp_sysfs_ulong(bdf, "vendor", &v) &&
	       !dvp_sysfs_ulong(bdf, "device", &d) && v == vendor && d == device;
}

/* The lowest BDF with this ID: sysfs lists devices in no useful order. */
int dvp_find_bdf(uint16_t vendor, uint16_t device, char *bdf, size_t len)
{
	char best[256] = "";
	struct dirent *de;
	DIR *dir;

	dir = opendir(PCI_DEVICES);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || !has_id(de->d_name, vendor, device))
			continue;
		if (!*best || strcmp(de->d_name, best) < 0)
			snprintf(best, sizeof(best), "%s", de->d_name);
	}
	closedir(dir);
	if (!*best)
		return -ENODEV;
	snprintf(bdf, len, "%s", best);
	return 0;
}

static int link_name(const char *bdf, const char *what, char *out, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", bdf, what);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(out, len, "%s", base ? base + 1 : target);
	return 0;
}

int dvp_bound_driver(const char *bdf, char *drv, size_t len)
{
	int ret = link_name(bdf, "driver", drv, len);

	if (ret == -ENOENT) {
		drv[0] = '\0';
		return 0;
	}
	return ret;
}

int dvp_iommu_group(const char *bdf)
{
	char name[64];
	int ret;

	ret = link_name(bdf, "iommu_group", name, sizeof(name));
	return ret ? ret : atoi(name);
}

int dvp_vfio_open(struct dvp_vfio *v, const char *bdf)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int ret;

	memset(v, 0, sizeof(*v));
	v->container = -1;
	v->group = -1;
	v->device = -1;
	snprintf(v->bdf, sizeof(v->bdf), "%s", bdf);
	v->group_id = dvp_iommu_group(bdf);
	if (v->group_id < 0)
		return v->group_id;

	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (v->container < 0)
		goto err;
	if (ioctl(v->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		errno = EINVAL;
		goto err;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", v->group_id);
	v->group = open(path, O_RDWR | O_CLOEXEC);
	if (v->group < 0)
		goto err;
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &status))
		goto err;
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		errno = EBUSY;
		goto err;
	}
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container))
		goto err;
	if (ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		goto err;
	v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (v->device < 0)
		goto err;
	v->info.argsz = sizeof(v->info);
	if (ioctl(v->device, VFIO_DEVICE_GET_INFO, &v->info))
		goto err;
	return 0;
err:
	ret = -errno;
	dvp_vfio_close(v);
	return ret;
}

int dvp_vfio_open_id(struct dvp_vfio *v, uint16_t vendor, uint16_t device)
{
	char bdf[32];
	int ret;

	ret = dvp_find_bdf(vendor, device, bdf, sizeof(bdf));
	return ret ? ret : dvp_vfio_open(v, bdf);
}

void dvp_vfio_close(struct dvp_vfio *v)
{
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	v->device = -1;
	v->group = -1;
	v->container = -1;
}

int dvp_region(const struct dvp_vfio *v, unsigned int index,
	       struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	return ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, ri) ? -errno : 0;
}

static int cfg_rw(const struct dvp_vfio *v, unsigned int off, void *buf,
		  size_t len, int write)
{
	struct vfio_region_info ri;
	ssize_t n;
	int ret;

	ret = dvp_region(v, VFIO_PCI_CONFIG_REGION_INDEX, &ri);
	if (ret)
		return ret;
	if (write)
		n = pwrite(v->device, buf, len, ri.offset + off);
	else
		n = pread(v->device, buf, len, ri.offset + off);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int dvp_cfg_read(const struct dvp_vfio *v, unsigned int off, void *buf,
		 size_t len)
{
	return cfg_rw(v, off, buf, len, 0);
}

int dvp_cfg_write(const struct dvp_vfio *v, unsigned int off,
		  const void *buf, size_t len)
{
	return cfg_rw(v, off, (void *)buf, len, 1);
}

void *dvp_bar_mmap(const struct dvp_vfio *v, unsigned int bar, size_t *len)
{
	struct vfio_region_info ri;

	if (dvp_region(v, bar, &ri))
		return MAP_FAILED;
	*len = ri.size;
	return mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    v->device, ri.offset);
}

void dvp_fill(void *buf, size_t len, uint32_t seed, uint64_t base)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = dvp_pattern(seed, base + i);
}

long dvp_verify(const void *buf, size_t len, uint32_t seed, uint64_t base)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != dvp_pattern(seed, base + i))
			return (long)i;
	return -1;
}

static int host_file(int flags)
{
	const char *path = getenv("DVP_IVSHMEM_FILE");

	if (!path)
		return -ENOENT;
	return open(path, flags | O_CLOEXEC);
}

static int host_rw(uint64_t off, void *buf, size_t len, int write)
{
	size_t done = 0;
	ssize_t n;
	int fd;

	fd = host_file(write ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return fd == -ENOENT ? fd : -errno;
	while (done < len) {
		if (write)
			n = pwrite(fd, (char *)buf + done, len - done, off + done);
		else
			n = pread(fd, (char *)buf + done, len - done, off + done);
		if (n <= 0)
			break;
		done += n;
	}
	close(fd);
	return done == len ? 0 : -EIO;
}

int dvp_host_read(uint64_t off, void *buf, size_t len)
{
	return host_rw(off, buf, len, 0);
}

int dvp_host_write(uint64_t off, const void *buf, size_t len)
{
	return host_rw(off, (void *)buf, len, 1);
}

int dvp_host_expect(uint64_t off, size_t len, uint32_t seed)
{
	const char *dir = getenv("DVP_OUT");
	char path[PATH_MAX];
	FILE *f;

	if (!dir)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/host-expect", dir);
	f = fopen(path, "a");
	if (!f)
		return -errno;
	fprintf(f, "%llu %zu %u\n", (unsigned long long)off, len, seed);
	return fclose(f) ? -errno : 0;
}

int dvp_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	lseek(fd, 0, SEEK_END);
	return fd;
}

int dvp_kmsg_count(int fd, const char *needle)
{
	char rec[2048];
	int count = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten records */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		if (strstr(rec, needle))
			count++;
	}
	return count;
}

int dvp_dyndbg_enable(void)
{
	static const char cmd[] = "module dmabuf_vfio_pci +p";
	static const char * const paths[] = {
		"/proc/dynamic_debug/control",
		"/sys/kernel/debug/dynamic_debug/control",
	};
	unsigned int i;
	int fd, ret = -ENOENT;

	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		fd = open(paths[i], O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ret = write(fd, cmd, sizeof(cmd) - 1) < 0 ? -errno : 0;
		close(fd);
		if (!ret)
			break;
	}
	return ret;
}

int dvp_write_str(const char *path, const char *val)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

int dvp_rebind(const char *bdf, const char *driver)
{
	char path[PATH_MAX], cur[64];
	int ret;

	ret = dvp_bound_driver(bdf, cur, sizeof(cur));
	if (ret)
		return ret;
	if (*driver && !strcmp(cur, driver))
		return 0;
	if (*cur) {
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver/unbind",
			 bdf);
		ret = dvp_write_str(path, bdf);
		if (ret)
			return ret;
	}
	if (!*driver)
		return 0;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
	ret = dvp_write_str(path, driver);
	if (ret)
		return ret;
	ret = dvp_write_str("/sys/bus/pci/drivers_probe", bdf);
	if (ret)
		return ret;
	ret = dvp_bound_driver(bdf, cur, sizeof(cur));
	if (ret)
		return ret;
	return strcmp(cur, driver) ? -ENODEV : 0;
}

int dvp_load_module(const char *path, const char *name)
{
	char sys[PATH_MAX];
	int fd, ret;

	snprintf(sys, sizeof(sys), "/sys/module/%s", name);
	if (!access(sys, F_OK))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

int dvp_rebind_test_devices(void)
{
	static const uint16_t ids[][2] = {
		{ EDU_VENDOR, EDU_DEVICE }, { IVSHMEM_VENDOR, IVSHMEM_DEVICE },
		{ NVME_VENDOR, NVME_DEVICE }, { TESTDEV_VENDOR, TESTDEV_DEVICE },
		{ E1000E_VENDOR, E1000E_DEVICE },
	};
	const char *stock = getenv("DVP_STOCK_BDFS");
	struct dirent *de;
	unsigned int i;
	int ret = 0;
	DIR *dir;

	dir = opendir(PCI_DEVICES);
	if (!dir)
		return -errno;
	while (!ret && (de = readdir(dir))) {
		if (stock && strstr(stock, de->d_name))
			continue;
		for (i = 0; i < ARRAY_SIZE(ids); i++)
			if (has_id(de->d_name, ids[i][0], ids[i][1]))
				ret = dvp_rebind(de->d_name, DVP_DRIVER);
	}
	closedir(dir);
	return ret;
}

int dvp_feature(int device, uint32_t flags, const void *payload, size_t size)
{
	struct vfio_device_feature *f;
	int ret;

	f = calloc(1, sizeof(*f) + size);
	if (!f)
		return -ENOMEM;
	f->argsz = sizeof(*f) + size;
	f->flags = flags;
	if (size)
		memcpy(f->data, payload, size);
	ret = ioctl(device, VFIO_DEVICE_FEATURE, f);
	if (ret < 0)
		ret = -errno;
	free(f);
	return ret;
}

int dvp_export(int device, unsigned int bar, uint32_t open_flags,
	       const struct vfio_region_dma_range *ranges, unsigned int nr)
{
	size_t size = sizeof(struct vfio_device_feature_dma_buf) +
		      nr * sizeof(*ranges);
	struct vfio_device_feature_dma_buf *req;
	int ret;

	req = calloc(1, size);
	if (!req)
		return -ENOMEM;
	req->region_index = bar;
	req->open_flags = open_flags;
	req->nr_ranges = nr;
	memcpy(req->dma_ranges, ranges, nr * sizeof(*ranges));
	ret = dvp_feature(device, VFIO_DEVICE_FEATURE_GET |
			  VFIO_DEVICE_FEATURE_DMA_BUF, req, size);
	free(req);
	return ret;
}

int dvp_cmd_read(const struct dvp_vfio *v, uint16_t *cmd)
{
	return dvp_cfg_read(v, 4, cmd, sizeof(*cmd));
}

int dvp_cmd_write(const struct dvp_vfio *v, uint16_t cmd)
{
	return dvp_cfg_write(v, 4, &cmd, sizeof(cmd));
}

unsigned int dvp_find_cap(const struct dvp_vfio *v, uint8_t id)
{
	uint8_t pos = 0, hdr[2];
	int guard = 48;

	if (dvp_cfg_read(v, 0x34, &pos, 1))
		return 0;
	while (pos && guard--) {
		if (dvp_cfg_read(v, pos & ~3, hdr, sizeof(hdr)))
			return 0;
		if (hdr[0] == id)
			return pos & ~3;
		pos = hdr[1];
	}
	return 0;
}

int dvp_revoke_buffer(int device, int dmabuf_fd, uint32_t flags)
{
	struct dvp_dma_buf_revoke r = { .dmabuf_fd = dmabuf_fd, .flags = flags };

	return dvp_feature(device, VFIO_DEVICE_FEATURE_SET |
			   DVP_DEVICE_FEATURE_DMA_BUF_REVOKE, &r, sizeof(r));
}

int dvp_layout_check(const struct vfio_region_dma_range *r, unsigned int n,
		     uint8_t *map, uint32_t seed)
{
	uint64_t at = 0;
	unsigned int i;
	uint8_t *tmp;
	int ret = 0;

	for (i = 0; i < n; at += r[i].length, i++)
		dvp_fill(map + at, r[i].length, seed, r[i].offset);
	/* Drain write-combining buffers before looking from the host. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (i = 0; i < n && !ret; i++) {
		tmp = malloc(r[i].length);
		if (!tmp)
			return -ENOMEM;
		ret = dvp_host_read(r[i].offset, tmp, r[i].length);
		if (!ret && dvp_verify(tmp, r[i].length, seed, r[i].offset) >= 0)
			ret = 1;
		dvp_fill(tmp, r[i].length, seed + 1, r[i].offset);
		if (!ret)
			ret = dvp_host_write(r[i].offset, tmp, r[i].length);
		free(tmp);
	}
	for (at = 0, i = 0; i < n && !ret; at += r[i].length, i++)
		if (dvp_verify(map + at, r[i].length, seed + 1,
			       r[i].offset) >= 0)
			ret = 2;
	return ret;
}

void *dvp_mmap_aligned(int fd, off_t off, size_t len, size_t align)
{
	uint8_t *area, *at;

	area = mmap(NULL, len + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (area == MAP_FAILED)
		return area;
	at = (uint8_t *)(((uintptr_t)area + align - 1) & ~(align - 1));
	if (at != area)
		munmap(area, at - area);
	munmap(at + len, area + len + align - (at + len));
	return mmap(at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		    fd, off);
}

int dvp_load_built_module(const char *rel_path, const char *name)
{
	const char *build = getenv("DVP_BUILD");
	char ko[PATH_MAX];

	if (!build)
		return -ENOENT;
	snprintf(ko, sizeof(ko), "%s/%s", build, rel_path);
	return dvp_load_module(ko, name);
}

long dvp_proc_kb(const char *path, const char *key)
{
	char line[256], fmt[80];
	long kb = -1;
	FILE *f = fopen(path, "r");

	snprintf(fmt, sizeof(fmt), "%s: %%ld kB", key);
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

bool dvp_config_y(const char *option)
{
	char name[128];
	const char *v;

	snprintf(name, sizeof(name), "DVP_CONFIG_%s", option);
	v = getenv(name);
	return v && !strcmp(v, "y");
}

int dvp_set_memattr(int device, int dmabuf_fd, uint32_t memattr)
{
	struct dvp_dma_buf_memattr m = { .dmabuf_fd = dmabuf_fd,
					 .memattr = memattr };

	return dvp_feature(device, VFIO_DEVICE_FEATURE_SET |
			   DVP_DEVICE_FEATURE_DMA_BUF_MEMATTR, &m, sizeof(m));
}

int dvp_get_memattr(int device, int dmabuf_fd, uint32_t *memattr)
{
	struct {
		struct vfio_device_feature f;
		struct dvp_dma_buf_memattr m;
	} arg = {
		.f.argsz = sizeof(arg),
		.f.flags = VFIO_DEVICE_FEATURE_GET |
			   DVP_DEVICE_FEATURE_DMA_BUF_MEMATTR,
		.m.dmabuf_fd = dmabuf_fd,
		.m.memattr = UINT32_MAX,
	};

	if (ioctl(device, VFIO_DEVICE_FEATURE, &arg))
		return -errno;
	*memattr = arg.m.memattr;
	return 0;
}

int dvp_bar_phys(const char *bdf, unsigned int bar, uint64_t *start,
		 uint64_t *end)
{
	char path[PATH_MAX], line[128];
	unsigned long long s, e, flags;
	unsigned int i = 0;
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/resource", bdf);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (i++ != bar)
			continue;
		if (sscanf(line, "%llx %llx %llx", &s, &e, &flags) == 3 && e) {
			*start = s;
			*end = e + 1;
			ret = 0;
		}
		break;
	}
	fclose(f);
	return ret;
}

int dvp_pat_count(uint64_t start, uint64_t end, const char *type)
{
	FILE *f = fopen("/sys/kernel/debug/x86/pat_memtype_list", "r");
	unsigned long long s, e;
	char line[256], t[64];
	int n = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "PAT: [mem %llx-%llx] %63s", &s, &e, t) == 3 &&
		    s < end && e > start && !strcmp(t, type))
			n++;
	fclose(f);
	return n;
}

int dvp_hot_reset(int device, int group)
{
	struct vfio_pci_hot_reset *hr;
	int32_t fd = group;
	int ret;

	hr = calloc(1, sizeof(*hr) + sizeof(fd));
	if (!hr)
		return -ENOMEM;
	hr->argsz = sizeof(*hr) + sizeof(fd);
	hr->count = 1;
	memcpy(hr->group_fds, &fd, sizeof(fd));
	ret = ioctl(device, VFIO_DEVICE_PCI_HOT_RESET, hr) ? -errno : 0;
	free(hr);
	return ret;
}

long dvp_minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_minflt;
}

long dvp_touch_pages(const void *p, size_t len)
{
	const uint8_t *b = p;
	long before = dvp_minflt();
	size_t o;

	for (o = 0; o < len; o += 4096)
		(void)__atomic_load_n(b + o, __ATOMIC_RELAXED);
	return dvp_minflt() - before;
}

/* The jump buffer of this thread's access in progress (a sigjmp_buf). */
static __thread void *fault_jmp;

static void on_sigbus(int sig)
{
	if (fault_jmp)
		siglongjmp(*(sigjmp_buf *)fault_jmp, 1);
	_exit(99);
}

void dvp_catch_sigbus(void)
{
	struct sigaction sa = { .sa_handler = on_sigbus };

	sigaction(SIGBUS, &sa, NULL);
}

int dvp_try_read(const uint8_t *p, uint8_t *val)
{
	sigjmp_buf jb;

	fault_jmp = &jb;
	if (sigsetjmp(jb, 1)) {
		fault_jmp = NULL;
		return -EFAULT;
	}
	*val = __atomic_load_n(p, __ATOMIC_RELAXED);
	fault_jmp = NULL;
	return 0;
}

int dvp_try_write(uint8_t *p, uint8_t val)
{
	sigjmp_buf jb;

	fault_jmp = &jb;
	if (sigsetjmp(jb, 1)) {
		fault_jmp = NULL;
		return -EFAULT;
	}
	__atomic_store_n(p, val, __ATOMIC_RELAXED);
	fault_jmp = NULL;
	return 0;
}
