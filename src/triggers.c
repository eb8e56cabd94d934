// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-vfio-pci: the vfio_device_ops through which userspace can take
 * BAR access away without passing reset_prepare.
 *
 * Resets of every flavour are seen in reset_prepare (src/reset.c). What
 * remains is config space (clearing memory decode, PM_CTRL to D3hot) and
 * runtime low power; each of these blocks export access before the core
 * acts and re-evaluates it after. Config writes that cannot take access
 * away, such as setting bus mastering, revoke nothing.
 */
#include <linux/pci.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#include "dmabuf_vfio_pci.h"
#include "dvp.h"

/* The byte the write puts at config offset reg, if it writes one. */
static bool dvp_written_byte(const char __user *buf, size_t count, u64 pos,
			     u64 reg, u8 *val)
{
	if (reg < pos || reg - pos >= count)
		return false;
	/* Unreadable data: assume the worst, the core fails the write. */
	if (get_user(*val, (const u8 __user *)buf + (reg - pos)))
		*val = 0xff;
	return true;
}

/*
 * Does this config write touch a register that gates BAR access, and may
 * it take access away? Decode off, or a power state of D3hot.
 */
static bool dvp_config_write_gates(struct pci_dev *pdev,
				   const char __user *buf, size_t count,
				   u64 pos, bool *revokes)
{
	bool touches = false;
	u8 val;

	*revokes = false;
	if (dvp_written_byte(buf, count, pos, PCI_COMMAND, &val)) {
		touches = true;
		if (!(val & PCI_COMMAND_MEMORY))
			*revokes = true;
	}
	if (pdev->pm_cap &&
	    dvp_written_byte(buf, count, pos, pdev->pm_cap + PCI_PM_CTRL,
			     &val)) {
		touches = true;
		if ((val & PCI_PM_CTRL_STATE_MASK) == (__force u8)PCI_D3hot)
			*revokes = true;
	}
	return touches;
}

ssize_t dvp_write(struct vfio_device *vdev, const char __user *buf,
		  size_t count, loff_t *ppos)
{
	struct dvp_device *dvp = dvp_from_vdev(vdev);
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	bool touches, revokes;
	ssize_t ret;

	if (VFIO_PCI_OFFSET_TO_INDEX(*ppos) != VFIO_PCI_CONFIG_REGION_INDEX)
		return vfio_pci_core_write(vdev, buf, count, ppos);

	touches = dvp_config_write_gates(dvp->core.pdev, buf, count, pos,
					 &revokes);
	if (revokes)
		dvp_access_block(dvp);
	ret = vfio_pci_core_write(vdev, buf, count, ppos);
	if (revokes)
		dvp_access_unblock(dvp);
	else if (touches)
		dvp_access_refresh(dvp);
	return ret;
}

static bool dvp_feature_is_set(u32 flags)
{
	return (flags & (VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PROBE)) ==
		VFIO_DEVICE_FEATURE_SET;
}

int dvp_device_feature(struct vfio_device *vdev, u32 flags,
		       void __user *arg, size_t argsz)
{
	struct dvp_device *dvp = dvp_from_vdev(vdev);
	int ret;

	switch (flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_DMA_BUF:
		return dvp_feature_dma_buf(dvp, flags, arg, argsz);
	case DVP_DEVICE_FEATURE_DMA_BUF_REVOKE:
		return dvp_feature_revoke(dvp, flags, arg, argsz);
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY:
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP:
		if (!dvp_feature_is_set(flags))
			break;
		dvp_access_block(dvp);
		ret = vfio_pci_core_ioctl_feature(vdev, flags, arg, argsz);
		dvp_access_unblock(dvp);
		return ret;
	case VFIO_DEVICE_FEATURE_LOW_POWER_EXIT:
		ret = vfio_pci_core_ioctl_feature(vdev, flags, arg, argsz);
		if (dvp_feature_is_set(flags))
			dvp_access_refresh(dvp);
		return ret;
	}
	return vfio_pci_core_ioctl_feature(vdev, flags, arg, argsz);
}
