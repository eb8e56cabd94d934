// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-vfio-pci: PCI error and reset hooks.
 *
 * reset_prepare is the one place that sees every reset flavour: the
 * VFIO_DEVICE_RESET ioctl, FLR through config space, a hot reset issued
 * from any device of the same dev_set, and a root-initiated sysfs reset.
 * It can run with the core's memory_lock already held for write by the
 * resetting task, so nothing here may take memory_lock.
 */
#include <linux/pci.h>
#include <linux/vfio_pci_core.h>

#include "dvp.h"

static void dvp_reset_prepare(struct pci_dev *pdev)
{
	pci_dbg(pdev, "reset prepare\n");
}

static void dvp_reset_done(struct pci_dev *pdev)
{
	pci_dbg(pdev, "reset done\n");
}

static pci_ers_result_t dvp_error_detected(struct pci_dev *pdev,
					   pci_channel_state_t state)
{
	pci_dbg(pdev, "error detected, channel state %d\n", state);
	return vfio_pci_core_aer_err_detected(pdev, state);
}

const struct pci_error_handlers dvp_err_handlers = {
	.error_detected	= dvp_error_detected,
	.reset_prepare	= dvp_reset_prepare,
	.reset_done	= dvp_reset_done,
};
