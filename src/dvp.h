/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dmabuf-vfio-pci: private state of one bound device.
 *
 * Everything the driver adds to vfio-pci hangs off struct dvp_device; the
 * core device is embedded first so vfio_alloc_device() and the
 * vfio_pci_core_* helpers see an ordinary vfio-pci device.
 */
#ifndef DVP_H
#define DVP_H

#include <linux/vfio_pci_core.h>

#define DVP_DRIVER_NAME "dmabuf-vfio-pci"

struct dvp_device {
	/* Must stay first: vfio_alloc_device() requires offset 0. */
	struct vfio_pci_core_device core;
};

static inline struct dvp_device *dvp_from_vdev(struct vfio_device *vdev)
{
	return container_of(vdev, struct dvp_device, core.vdev);
}

static inline struct dvp_device *dvp_from_pdev(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);

	return core ? container_of(core, struct dvp_device, core) : NULL;
}

extern const struct pci_error_handlers dvp_err_handlers;

#endif /* DVP_H */
