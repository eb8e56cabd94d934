/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dmabuf-vfio-pci: every difference between the kernels we build for
 * (Debian's 6.1 and 6.12) lives here, so the rest of the driver is written
 * once against one API.
 */
#ifndef DVP_COMPAT_H
#define DVP_COMPAT_H

#include <linux/dma-buf.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/version.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

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

/*
 * Request the BAR and map it into core->barmap, as the core does before it
 * lets userspace mmap a BAR. 6.1 keeps that helper static; later kernels
 * export it.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
static inline int dvp_setup_barmap(struct vfio_pci_core_device *core, int bar)
{
	return vfio_pci_core_setup_barmap(core, bar);
}
#else
static inline int dvp_setup_barmap(struct vfio_pci_core_device *core, int bar)
{
	struct pci_dev *pdev = core->pdev;
	void __iomem *io;
	int ret;

	if (core->barmap[bar])
		return 0;
	ret = pci_request_selected_regions(pdev, 1 << bar, "vfio");
	if (ret)
		return ret;
	io = pci_iomap(pdev, bar, 0);
	if (!io) {
		pci_release_selected_regions(pdev, 1 << bar);
		return -ENOMEM;
	}
	core->barmap[bar] = io;
	return 0;
}
#endif

/* vm_flags became read-only behind accessors in 6.3. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define dvp_vm_flags_set(vma, flags)	vm_flags_set(vma, flags)
#define dvp_vm_flags_clear(vma, flags)	vm_flags_clear(vma, flags)
#else
#define dvp_vm_flags_set(vma, flags)	((vma)->vm_flags |= (flags))
#define dvp_vm_flags_clear(vma, flags)	((vma)->vm_flags &= ~(flags))
#endif

#endif /* DVP_COMPAT_H */
