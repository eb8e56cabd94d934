// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-vfio-pci: PCI error and reset hooks.
 *
 * reset_prepare is the one place that sees every reset flavour: the
 * VFIO_DEVICE_RESET ioctl, FLR through config space, a hot reset issued
 * from any device of the same dev_set, and a root-initiated sysfs reset.
 * The PCI core calls it before it clears the command register, and
 * reset_done after it restored the device, so exports are blocked across
 * exactly the window in which the BAR may not answer. It can run with the
 * core's memory_lock held for write by the resetting task; the access
 * code never takes memory_lock.
 *
 * AER recovery resets without reset_prepare: error_detected blocks access
 * and only a successful recovery (resume) gives it back.
 */
#include <linux/pci.h>
#include <linux/vfio_pci_core.h>

#include "dvp.h"

static void dvp_reset_prepare(struct pci_dev *pdev)
{
	pci_dbg(pdev, "reset prepare\n");
	dvp_access_block(dvp_from_pdev(pdev));
}

static void dvp_reset_done(struct pci_dev *pdev)
{
	pci_dbg(pdev, "reset done\n");
	dvp_access_unblock(dvp_from_pdev(pdev));
}

static pci_ers_result_t dvp_error_detected(struct pci_dev *pdev,
					   pci_channel_state_t state)
{
	pci_dbg(pdev, "error detected, channel state %d\n", state);
	dvp_access_set_error(dvp_from_pdev(pdev), true);
	return vfio_pci_core_aer_err_detected(pdev, state);
}

static void dvp_error_resume(struct pci_dev *pdev)
{
	pci_dbg(pdev, "error recovery done\n");
	dvp_access_set_error(dvp_from_pdev(pdev), false);
}

const struct pci_error_handlers dvp_err_handlers = {
	.error_detected	= dvp_error_detected,
	.resume		= dvp_error_resume,
	.reset_prepare	= dvp_reset_prepare,
	.reset_done	= dvp_reset_done,
};
