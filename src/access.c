// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-vfio-pci: who may reach the BAR through an export, and when.
 *
 * Every change of an export's access goes through dvp_access_update():
 * it computes from the device's state whether BAR access is allowed now
 * and brings every export to that state. Revoking an export marks it
 * revoked, tells its importers (move_notify) and zaps its CPU mappings
 * under the buffer's reservation lock, so a concurrent map or fault either
 * finishes first and is undone, or sees the revoked state.
 *
 * Access is allowed only while the device is open, no access-taking
 * operation is in flight (dvp->blockers), no AER recovery is pending,
 * memory decode is on in the virtual config space, and the device is in D0
 * and not in runtime low power.
 * Every path that turns decode off or puts the device down calls
 * dvp_access_block() before it does so and dvp_access_unblock() after,
 * so no export is usable while the hardware may be unreachable. Close
 * revokes for good: closed exports leave the list and are never updated.
 *
 * Lock order, outermost first:
 *
 *   memory_lock (vfio_pci_core; held by the caller on some reset paths)
 *     dvp->lock
 *       dma_resv of one export
 *         i_mmap_rwsem (unmap_mapping_range)
 *
 *   mmap_lock -> dma_resv            (CPU fault; dma_resv_lockdep() order)
 *   mmap_lock -> dvp->lock           (mmap claims the BAR; a BAR mmap
 *                                     of the device fd creates its export)
 *
 * attach, map, unmap, pin and unpin run under the reservation lock
 * (importers call them so, sometimes from inside move_notify) or without
 * locks, and take nothing. release runs from the last fput of the buffer,
 * outside every lock here, and takes dvp->lock to leave the list; fput()
 * under dvp->lock only defers that release. mmap takes dvp->lock to see
 * whether the device closed and to claim the BAR (src/memattr.c), as do
 * read, write and ioeventfd of a BAR not yet claimed.
 * reset_prepare/reset_done may run with memory_lock held for write by the
 * resetting task, so nothing here takes memory_lock.
 */
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pci.h>

#include "dvp_compat.h"
#include "dvp.h"

/* How long a revoke waits for importers' fences on the buffer. */
#define DVP_REVOKE_FENCE_TIMEOUT	msecs_to_jiffies(1000)

void dvp_access_init(struct dvp_device *dvp)
{
	mutex_init(&dvp->lock);
	INIT_LIST_HEAD(&dvp->dmabufs);
}

void dvp_access_destroy(struct dvp_device *dvp)
{
	WARN_ON(!list_empty(&dvp->dmabufs));
	mutex_destroy(&dvp->lock);
}

/*
 * Mirrors vfio_pci_core's own __vfio_pci_memory_enabled(), which is not
 * exported, plus the states in which the core itself refuses BAR access.
 * vconfig is read without memory_lock: every writer that clears decode
 * blocks access first, so a stale "enabled" is never acted upon.
 */
bool dvp_access_allowed(struct dvp_device *dvp)
{
	struct vfio_pci_core_device *core = &dvp->core;
	struct pci_dev *pdev = core->pdev;

	lockdep_assert_held(&dvp->lock);

	if (!dvp->open || dvp->blockers || dvp->error)
		return false;
	if (core->pm_runtime_engaged ||
	    (__force int)READ_ONCE(pdev->current_state) >=
	    (__force int)PCI_D3hot)
		return false;
	if (pdev->no_command_memory)
		return true;
	return READ_ONCE(core->vconfig[PCI_COMMAND]) & PCI_COMMAND_MEMORY;
}

static void dvp_dmabuf_set_revoked(struct dvp_dmabuf *buf, bool revoked)
{
	struct dma_buf *dmabuf = buf->dmabuf;

	dma_resv_lock(dmabuf->resv, NULL);
	if (buf->revoked == revoked) {
		dma_resv_unlock(dmabuf->resv);
		return;
	}
	buf->revoked = revoked;
	/* On revoke importers unmap; on restore they may map again. */
	dma_buf_move_notify(dmabuf);
	if (revoked)
		unmap_mapping_range(dmabuf->file->f_mapping, 0, 0, 1);
	dma_resv_unlock(dmabuf->resv);

	if (revoked)
		dma_resv_wait_timeout(dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP,
				      false, DVP_REVOKE_FENCE_TIMEOUT);
	pci_dbg(buf->dvp->core.pdev, "dma-buf %lu %s\n",
		file_inode(dmabuf->file)->i_ino,
		revoked ? "revoked" : "restored");
}

/* The one revoke function: bring every export to what the device allows. */
static void dvp_access_update(struct dvp_device *dvp)
{
	bool revoked = !dvp_access_allowed(dvp);
	struct dvp_dmabuf *buf;

	list_for_each_entry(buf, &dvp->dmabufs, node) {
		/* A buffer being released has no users left to revoke. */
		if (!dvp_get_file_active(buf->dmabuf))
			continue;
		dvp_dmabuf_set_revoked(buf, revoked);
		fput(buf->dmabuf->file);
	}
}

void dvp_access_open(struct dvp_device *dvp)
{
	mutex_lock(&dvp->lock);
	dvp->open = true;
	mutex_unlock(&dvp->lock);
}

/* Off the list, so nothing can give the buffer access again; no new mmaps. */
static void dvp_dmabuf_close(struct dvp_dmabuf *buf)
{
	dma_resv_lock(buf->dmabuf->resv, NULL);
	buf->closed = true;
	dma_resv_unlock(buf->dmabuf->resv);
	list_del_init(&buf->node);
}

/*
 * Close revokes every export for good, before vfio_pci_core tears the
 * device down: the exports outlive the device fd, their access does not.
 */
void dvp_access_close(struct dvp_device *dvp)
{
	struct dvp_dmabuf *buf, *tmp;

	mutex_lock(&dvp->lock);
	dvp->open = false;
	dvp_access_update(dvp);
	list_for_each_entry_safe(buf, tmp, &dvp->dmabufs, node)
		dvp_dmabuf_close(buf);
	mutex_unlock(&dvp->lock);
}

/*
 * Revoke one export for good (the owner reclaiming a buffer it handed
 * out). The caller holds a reference on the dma-buf.
 */
int dvp_access_revoke_one(struct dvp_device *dvp, struct dvp_dmabuf *buf)
{
	int ret = 0;

	mutex_lock(&dvp->lock);
	if (list_empty(&buf->node)) {
		ret = -EBADFD;
	} else {
		dvp_dmabuf_set_revoked(buf, true);
		dvp_dmabuf_close(buf);
	}
	mutex_unlock(&dvp->lock);
	return ret;
}

void dvp_access_block(struct dvp_device *dvp)
{
	mutex_lock(&dvp->lock);
	dvp->blockers++;
	dvp_access_update(dvp);
	mutex_unlock(&dvp->lock);
}

void dvp_access_unblock(struct dvp_device *dvp)
{
	mutex_lock(&dvp->lock);
	if (!WARN_ON(!dvp->blockers))
		dvp->blockers--;
	dvp_access_update(dvp);
	mutex_unlock(&dvp->lock);
}

/* After a change that may give access back (decode on, D0, ...). */
void dvp_access_refresh(struct dvp_device *dvp)
{
	mutex_lock(&dvp->lock);
	dvp_access_update(dvp);
	mutex_unlock(&dvp->lock);
}

void dvp_access_set_error(struct dvp_device *dvp, bool error)
{
	mutex_lock(&dvp->lock);
	dvp->error = error;
	dvp_access_update(dvp);
	mutex_unlock(&dvp->lock);
}
