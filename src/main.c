// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-vfio-pci: a vfio-pci variant driver that exports BAR ranges as
 * dma-bufs.
 *
 * The device model is plain vfio-pci: config space, BAR regions and their
 * mmap, interrupts and reset all come from vfio_pci_core. This file only
 * creates the device, binds it (through driver_override, never by ID) and
 * lists which vfio_device_ops are ours; each wrapped op handles its own
 * addition and then calls the vfio_pci_core_* function.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#include "dvp_compat.h"
#include "dvp.h"

/* vfio-pci's own opt-ins, with its names and meaning. */
static bool enable_sriov;
module_param(enable_sriov, bool, 0644);
MODULE_PARM_DESC(enable_sriov, "Let userspace create VFs of a bound PF (sriov_numvfs), as vfio-pci's enable_sriov.");

static bool disable_denylist;
module_param(disable_denylist, bool, 0444);
MODULE_PARM_DESC(disable_denylist, "Bind devices on vfio-pci's denylist (known errata that untrusted users can exploit), as vfio-pci's disable_denylist.");

/* vfio-pci's denylist: devices whose errata make user access unsafe. */
static bool dvp_denylisted(struct pci_dev *pdev)
{
	if (pdev->vendor != PCI_VENDOR_ID_INTEL)
		return false;
	switch (pdev->device) {
	case PCI_DEVICE_ID_INTEL_QAT_C3XXX:
	case PCI_DEVICE_ID_INTEL_QAT_C3XXX_VF:
	case PCI_DEVICE_ID_INTEL_QAT_C62X:
	case PCI_DEVICE_ID_INTEL_QAT_C62X_VF:
	case PCI_DEVICE_ID_INTEL_QAT_DH895XCC:
	case PCI_DEVICE_ID_INTEL_QAT_DH895XCC_VF:
	case PCI_DEVICE_ID_INTEL_DSA_SPR0:
	case PCI_DEVICE_ID_INTEL_IAX_SPR0:
		break;
	default:
		return false;
	}
	if (disable_denylist) {
		pci_warn(pdev, "on vfio-pci's denylist, bound because disable_denylist is set\n");
		return false;
	}
	pci_warn(pdev, "on vfio-pci's denylist, not bound (module parameter disable_denylist overrides)\n");
	return true;
}

static int dvp_init_dev(struct vfio_device *vdev)
{
	dvp_access_init(dvp_from_vdev(vdev));
	return vfio_pci_core_init_dev(vdev);
}

/* Runs when the last reference goes, which may be an export's. */
static void dvp_release_dev(struct vfio_device *vdev)
{
	dvp_access_destroy(dvp_from_vdev(vdev));
	vfio_pci_core_release_dev(vdev);
}

static int dvp_open_device(struct vfio_device *vdev)
{
	struct vfio_pci_core_device *core = &dvp_from_vdev(vdev)->core;
	int ret;

	ret = vfio_pci_core_enable(core);
	if (ret)
		return ret;

	vfio_pci_core_finish_enable(core);
	dvp_access_open(dvp_from_vdev(vdev));
	return 0;
}

/* Exports outlive the device fd; their access ends here, for good. */
static void dvp_close_device(struct vfio_device *vdev)
{
	dvp_ioeventfds_release(dvp_from_vdev(vdev));
	dvp_access_close(dvp_from_vdev(vdev));
	vfio_pci_core_close_device(vdev);
	dvp_bar_release(dvp_from_vdev(vdev));
}

static const struct vfio_device_ops dvp_ops = {
	.name		= DVP_DRIVER_NAME,
	.init		= dvp_init_dev,
	.release	= dvp_release_dev,
	DVP_IOMMUFD_PHYSICAL_OPS
	.open_device	= dvp_open_device,
	.close_device	= dvp_close_device,
	.ioctl		= dvp_ioctl,
	.device_feature	= dvp_device_feature,
	.read		= dvp_read,
	.write		= dvp_write,
	.mmap		= dvp_mmap,
	.request	= vfio_pci_core_request,
	.match		= vfio_pci_core_match,
};

static int dvp_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct dvp_device *dvp;
	int ret;

	if (dvp_denylisted(pdev))
		return -EINVAL;
	dvp = vfio_alloc_device(dvp_device, core.vdev, &pdev->dev, &dvp_ops);
	if (IS_ERR(dvp))
		return PTR_ERR(dvp);

	/* vfio_pci_core_register_device() checks that drvdata is ours. */
	dev_set_drvdata(&pdev->dev, &dvp->core);
	ret = vfio_pci_core_register_device(&dvp->core);
	if (ret) {
		vfio_put_device(&dvp->core.vdev);
		return ret;
	}
	return 0;
}

static void dvp_remove(struct pci_dev *pdev)
{
	struct dvp_device *dvp = dvp_from_pdev(pdev);

	vfio_pci_core_unregister_device(&dvp->core);
	vfio_put_device(&dvp->core.vdev);
}

static int dvp_sriov_configure(struct pci_dev *pdev, int nr_virtfn)
{
	if (!enable_sriov)
		return -ENOENT;
	return vfio_pci_core_sriov_configure(&dvp_from_pdev(pdev)->core,
					     nr_virtfn);
}

/* Any device, but only when userspace names us in driver_override. */
static const struct pci_device_id dvp_pci_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{}
};
MODULE_DEVICE_TABLE(pci, dvp_pci_table);

static struct pci_driver dvp_pci_driver = {
	.name			= DVP_DRIVER_NAME,
	.id_table		= dvp_pci_table,
	.probe			= dvp_probe,
	.remove			= dvp_remove,
	.sriov_configure	= dvp_sriov_configure,
	.err_handler		= &dvp_err_handlers,
	.driver_managed_dma	= true,
};
module_pci_driver(dvp_pci_driver);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-pci variant driver exporting BAR ranges as dma-bufs");
