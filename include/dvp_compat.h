/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dmabuf-vfio-pci: every difference between the kernels we build for
 * (Debian's 6.1 and 6.12) lives here, so the rest of the driver is written
 * once against one API.
 */
#ifndef DVP_COMPAT_H
#define DVP_COMPAT_H

#include <linux/version.h>
#include <linux/vfio.h>

/* iommufd (6.2+) wants the physical-device ops when it is configured. */
#if IS_ENABLED(CONFIG_IOMMUFD)
#define DVP_IOMMUFD_PHYSICAL_OPS				\
	.bind_iommufd	= vfio_iommufd_physical_bind,		\
	.unbind_iommufd	= vfio_iommufd_physical_unbind,		\
	.attach_ioas	= vfio_iommufd_physical_attach_ioas,	\
	.detach_ioas	= vfio_iommufd_physical_detach_ioas,
#else
#define DVP_IOMMUFD_PHYSICAL_OPS
#endif

#endif /* DVP_COMPAT_H */
