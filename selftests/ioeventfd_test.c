// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO_DEVICE_IOEVENTFD, served by the driver from one copy of the
 * request: each signal of the eventfd writes the data to the BAR (found in
 * the host file behind ivshmem's BAR2), not while memory decode is off,
 * never after close; every request vfio-pci refuses is refused, and so is
 * an offset whose BAR index vfio-pci-core would read as negative, even
 * when another thread rewrites the request during the call.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dvp_harness.h"
#include "dvp_vfio.h"

#define MIB		(1ULL << 20)
#define MEM_BIT		0x2	/* PCI_COMMAND_MEMORY */
#define AT		(5 * MIB)	/* BAR offset the tests write */
#define BAD_OFFSET	((1ULL << 63) | AT)

FIXTURE(iev) {
	struct dvp_vfio v;
	struct vfio_region_info ri;
	int efd;
};

FIXTURE_SETUP(iev)
{
	ASSERT_EQ(0, dvp_vfio_open_id(&self->v, IVSHMEM_VENDOR,
				      IVSHMEM_DEVICE));
	ASSERT_EQ(0, dvp_region(&self->v, IVSHMEM_BAR, &self->ri));
	self->efd = eventfd(0, 0);
	ASSERT_LE(0, self->efd);
}

FIXTURE_TEARDOWN(iev)
{
	close(self->efd);
	dvp_vfio_close(&self->v);
}

static int ioeventfd(int device, uint64_t offset, uint32_t size,
		     uint64_t data, int fd)
{
	struct vfio_device_ioeventfd ev = {
		.argsz = sizeof(ev), .flags = size, .offset = offset,
		.data = data, .fd = fd,
	};

	return ioctl(device, VFIO_DEVICE_IOEVENTFD, &ev) ? -errno : 0;
}

static void signal_efd(int efd)
{
	uint64_t one = 1;

	if (write(efd, &one, sizeof(one)) != sizeof(one))
		abort();
}

/* Does the host file hold the len bytes of data at BAR offset off, within 1 s? */
static bool lands(uint64_t off, uint64_t data, size_t len)
{
	uint8_t got[8];
	int i;

	for (i = 0; i < 100; i++) {
		if (!dvp_host_read(off, got, len) && !memcmp(got, &data, len))
			return true;
		usleep(10000);
	}
	return false;
}

static void host_clear(uint64_t off)
{
	uint64_t zero = 0;

	dvp_host_write(off, &zero, sizeof(zero));
}

TEST_F(iev, every_size_lands)
{
	static const uint32_t sizes[] = {
		VFIO_DEVICE_IOEVENTFD_8, VFIO_DEVICE_IOEVENTFD_16,
		VFIO_DEVICE_IOEVENTFD_32, VFIO_DEVICE_IOEVENTFD_64,
	};
	uint64_t data = 0x1122334455667788ULL;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint64_t off = AT + i * 64;
		size_t len = sizes[i];

		host_clear(off);
		ASSERT_EQ(0, ioeventfd(self->v.device, self->ri.offset + off,
				       sizes[i], data, self->efd));
		signal_efd(self->efd);
		EXPECT_TRUE(lands(off, data, len));
		EXPECT_EQ(0, ioeventfd(self->v.device, self->ri.offset + off,
				       sizes[i], data, -1));
	}
}

/*
 * What the user sees: nothing reaches the device while decode is off
 * (QEMU drops BAR writes then as well, so this half checks the whole
 * path, not the driver's gate alone), and writes resume once it is on.
 */
TEST_F(iev, decode_off_drops_the_write)
{
	uint64_t off = AT + 4096;
	uint16_t cmd;

	host_clear(off);
	ASSERT_EQ(0, ioeventfd(self->v.device, self->ri.offset + off,
			       VFIO_DEVICE_IOEVENTFD_32, 0xa5a5a5a5,
			       self->efd));
	ASSERT_EQ(0, dvp_cmd_read(&self->v, &cmd));
	ASSERT_EQ(0, dvp_cmd_write(&self->v, cmd & ~MEM_BIT));
	signal_efd(self->efd);
	EXPECT_FALSE(lands(off, 0xa5a5a5a5, 4));
	ASSERT_EQ(0, dvp_cmd_write(&self->v, cmd));
	signal_efd(self->efd);
	EXPECT_TRUE(lands(off, 0xa5a5a5a5, 4));
}

/* Close takes the device's ioeventfds down: a later signal writes nothing. */
TEST_F(iev, close_ends_them)
{
	uint64_t off = AT + 8192;

	host_clear(off);
	ASSERT_EQ(0, ioeventfd(self->v.device, self->ri.offset + off,
			       VFIO_DEVICE_IOEVENTFD_32, 0x5a5a5a5a,
			       self->efd));
	dvp_vfio_close(&self->v);
	signal_efd(self->efd);
	EXPECT_FALSE(lands(off, 0x5a5a5a5a, 4));
	ASSERT_EQ(0, dvp_vfio_open_id(&self->v, IVSHMEM_VENDOR,
				      IVSHMEM_DEVICE));
	/* The new session starts without it. */
	EXPECT_EQ(-ENODEV, ioeventfd(self->v.device, self->ri.offset + off,
				     VFIO_DEVICE_IOEVENTFD_32, 0x5a5a5a5a,
				     -1));
}

TEST_F(iev, errnos)
{
	struct vfio_device_ioeventfd ev = {
		.argsz = offsetof(struct vfio_device_ioeventfd, fd) + 3,
		.flags = VFIO_DEVICE_IOEVENTFD_32, .offset = self->ri.offset + AT,
		.fd = self->efd,
	};
	int d = self->v.device;
	uint64_t at = self->ri.offset + AT;

	EXPECT_EQ(-1, ioctl(d, VFIO_DEVICE_IOEVENTFD, &ev));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, ioeventfd(d, at, 3, 0, self->efd));
	EXPECT_EQ(-EINVAL, ioeventfd(d, at, 0, 0, self->efd));
	EXPECT_EQ(-EINVAL, ioeventfd(d, at, 1 << 4, 0, self->efd));
	EXPECT_EQ(-EINVAL, ioeventfd(d, at, VFIO_DEVICE_IOEVENTFD_32, 0, -2));
	EXPECT_EQ(-EINVAL, ioeventfd(d, self->ri.offset + self->ri.size - 2,
				     VFIO_DEVICE_IOEVENTFD_32, 0, self->efd));
	/* Config space and ROM are not BARs; nor is a huge index. */
	EXPECT_EQ(-EINVAL, ioeventfd(d, 7ULL << 40, VFIO_DEVICE_IOEVENTFD_32,
				     0, self->efd));
	EXPECT_EQ(-EINVAL, ioeventfd(d, BAD_OFFSET, VFIO_DEVICE_IOEVENTFD_32,
				     0, self->efd));
	EXPECT_EQ(-EINVAL, ioeventfd(d, ~0ULL, VFIO_DEVICE_IOEVENTFD_8, 0,
				     self->efd));
	EXPECT_EQ(-ENODEV, ioeventfd(d, at, VFIO_DEVICE_IOEVENTFD_32, 1, -1));
	ASSERT_EQ(0, ioeventfd(d, at, VFIO_DEVICE_IOEVENTFD_32, 1, self->efd));
	EXPECT_EQ(-EEXIST, ioeventfd(d, at, VFIO_DEVICE_IOEVENTFD_32, 1,
				     self->efd));
	/* Another datum at the same place is another ioeventfd. */
	EXPECT_EQ(0, ioeventfd(d, at, VFIO_DEVICE_IOEVENTFD_32, 2, self->efd));
	EXPECT_EQ(0, ioeventfd(d, at, VFIO_DEVICE_IOEVENTFD_32, 1, -1));
	EXPECT_EQ(0, ioeventfd(d, at, VFIO_DEVICE_IOEVENTFD_32, 2, -1));
	EXPECT_EQ(-ENODEV, ioeventfd(d, at, VFIO_DEVICE_IOEVENTFD_32, 1, -1));
	EXPECT_EQ(-EBADF, ioeventfd(d, at, VFIO_DEVICE_IOEVENTFD_32, 1, 1000));
}

struct flipper {
	struct vfio_device_ioeventfd *ev;
	uint64_t good;
	int stop;
};

static void *flip(void *arg)
{
	struct flipper *f = arg;
	unsigned int i = 0;

	while (!__atomic_load_n(&f->stop, __ATOMIC_RELAXED)) {
		__atomic_store_n(&f->ev->offset, (i & 1) ? BAD_OFFSET : f->good,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&f->ev->argsz, (i & 2) ? 0 : sizeof(*f->ev),
				 __ATOMIC_RELAXED);
		i++;
	}
	return NULL;
}

/*
 * Another thread rewrites the request during the ioctl: whatever it
 * registers is the good offset, whose writes land in the BAR.
 */
TEST_F(iev, rewritten_request_never_escapes)
{
	struct vfio_device_ioeventfd ev = {
		.argsz = sizeof(ev), .flags = VFIO_DEVICE_IOEVENTFD_32,
		.data = 0x600dd00d, .fd = self->efd,
	};
	struct flipper f = { .ev = &ev, .good = self->ri.offset + AT + 12288 };
	int i, ok = 0, refused = 0;
	pthread_t t;

	host_clear(AT + 12288);
	ev.offset = f.good;
	ASSERT_EQ(0, pthread_create(&t, NULL, flip, &f));
	for (i = 0; i < 400; i++) {
		if (ioctl(self->v.device, VFIO_DEVICE_IOEVENTFD, &ev)) {
			refused++;
			continue;
		}
		ok++;
		signal_efd(self->efd);
		/* The signal wrote the BAR, so this one was the good offset. */
		EXPECT_TRUE(lands(AT + 12288, 0x600dd00d, 4));
		host_clear(AT + 12288);
		EXPECT_EQ(0, ioeventfd(self->v.device, f.good,
				       VFIO_DEVICE_IOEVENTFD_32, 0x600dd00d,
				       -1));
	}
	__atomic_store_n(&f.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	TH_LOG("%d registered, %d refused", ok, refused);
	EXPECT_LT(0, refused);
}

TEST_HARNESS_MAIN
