// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-vfio-pci: the vfio_device_ops through which userspace can take
 * BAR access away without passing reset_prepare.
 *
 * Resets of every flavour are seen in reset_prepare (src/reset.c). What
 * remains is config space (clearing memory decode, PM_CTRL to D3hot) and
 * runtime low power; each of these blocks export access before the core
 * acts and re-evaluates it after.
 *
 * A config write blocks whenever it touches the command register's low
 * byte or PM_CTRL, whatever value it carries: the data is user memory that
 * vfio_pci_core_write() copies again after any look of ours, so another
 * thread could turn "decode stays on" into "decode off" in between. The
 * price is a move_notify pair for writes that keep decode on, such as
 * toggling bus mastering; access comes back as soon as the write is done.
 */
#include <linux/pci.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#include "dmabuf_vfio_pci.h"
#include "dvp.h"

static bool dvp_write_covers(size_t count, u64 pos, u64 reg)
{
	return reg >= pos && reg - pos < count;
}

/* Does this config write touch a register that gates BAR access? */
static bool dvp_config_write_gates(struct pci_dev *pdev, size_t count,
				   u64 pos)
{
	return dvp_write_covers(count, pos, PCI_COMMAND) ||
	       (pdev->pm_cap &&
		dvp_write_covers(count, pos, pdev->pm_cap + PCI_PM_CTRL));
}

ssize_t dvp_write(struct vfio_device *vdev, const char __user *buf,
		  size_t count, loff_t *ppos)
{
	struct dvp_device *dvp = dvp_from_vdev(vdev);
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	ssize_t ret;

	if (VFIO_PCI_OFFSET_TO_INDEX(*ppos) != VFIO_PCI_CONFIG_REGION_INDEX)
		return dvp_write_bar(vdev, buf, count, ppos);
	if (!dvp_config_write_gates(dvp->core.pdev, count, pos))
		return vfio_pci_core_write(vdev, buf, count, ppos);

	dvp_access_block(dvp);
	ret = vfio_pci_core_write(vdev, buf, count, ppos);
	dvp_access_unblock(dvp);
	return ret;
}

/*
 * ioeventfds are served here, not by the core (src/ioeventfd.c); a
 * successful function reset leaves a device usable that AER recovery left
 * failed.
 */
long dvp_ioctl(struct vfio_device *vdev, unsigned int cmd, unsigned long arg)
{
	struct dvp_device *dvp = dvp_from_vdev(vdev);
	long ret;

	if (cmd == VFIO_DEVICE_IOEVENTFD)
		return dvp_ioctl_ioeventfd(dvp, (void __user *)arg);
	ret = vfio_pci_core_ioctl(vdev, cmd, arg);
	if (cmd == VFIO_DEVICE_RESET && !ret)
		dvp_access_set_error(dvp, false);
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
	case DVP_DEVICE_FEATURE_DMA_BUF_MEMATTR:
		return dvp_feature_memattr(dvp, flags, arg, argsz);
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
