// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-vfio-pci: who may reach the BAR through an export, and when.
 *
 * Every change of an export's access goes through dvp_buf_set_state(),
 * called by dvp_access_update() (the device's state changed) and by the
 * permanent revokes (close, revoke of one buffer). Revoking an export marks
 * it, tells its importers (move_notify) and zaps its CPU mappings under the
 * buffer's reservation lock, so a concurrent map or fault either finishes
 * first and is undone, or sees the revoked state. Then the revoke waits for
 * the importers' fences, every revoked buffer against one shared deadline,
 * says so when one did not signal, and only then takes down the DMA
 * mappings importers still hold: their fenced work may use them until it
 * is done, nothing after.
 *
 * Access is allowed only while the device is open, no access-taking
 * operation is in flight (dvp->blockers), no AER recovery is pending,
 * memory decode is on both in the virtual config space and in the device
 * (a fatal error's bus reset clears it without telling anyone), and the
 * device is in D0 and not in runtime low power.
 * Every path that turns decode off or puts the device down calls
 * dvp_access_block() before it does so and dvp_access_unblock() after,
 * so no export is usable while the hardware may be unreachable.
 *
 * Lifetime: an export is attached to its device (on dvp->dmabufs, buf->dvp
 * set) from export until the device closes, the buffer is revoked for good
 * or it is released, whichever comes first; detached, it holds nothing of
 * the device, so a buffer kept after close and unbind pins neither the
 * vfio device nor its reset set. Code that starts from a buffer and not
 * from the device (release, mmap) reads the link inside an SRCU read
 * section (dvp_access_with_device()), takes dvp->lock and looks again; close
 * waits for those sections after detaching, so the device outlives every
 * one that saw it attached. The revoke never touches
 * the dma-buf's file, which can be gone while the dma-buf lives: it zaps
 * through the inode the buffer holds from export on.
 *
 * Lock order, outermost first:
 *
 *   dvp_srcu read section (release, mmap: from a buffer to its device)
 *   memory_lock (vfio_pci_core; held by the caller on some reset paths)
 *     dvp->lock
 *       dma_resv of one export
 *         i_mmap_rwsem (unmap_mapping_range)
 *
 *   mmap_lock -> dma_resv            (CPU fault; dma_resv_lockdep() order)
 *   mmap_lock -> dvp->lock           (mmap claims the BAR; a BAR mmap
 *                                     of the device fd creates its export)
 *
 *   dev_set->lock (close) -> dvp->ioeventfd_lock -> the ioeventfd's
 *   write (vfio_virqfd_disable() waits for it) -> memory_lock (read);
 *   never held with dvp->lock, which a reset takes under memory_lock
 *   (src/ioeventfd.c).
 *
 * attach, map, unmap, pin and unpin run under the reservation lock
 * (importers call them so, sometimes from inside move_notify) or without
 * locks, and take nothing. release runs when the dma-buf goes, outside
 * every lock here, and takes dvp->lock to leave the list if still
 * attached; fput() under dvp->lock only defers that release. mmap takes
 * dvp->lock to see whether the buffer is still attached and to claim the
 * BAR (src/memattr.c), as do read, write and ioeventfd of a BAR not yet
 * claimed. reset_prepare/reset_done may run with memory_lock held for
 * write by the resetting task, so nothing here takes memory_lock; only
 * the ioeventfd writes take it, for read, as the core's own do.
 */
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/srcu.h>

#include "dvp_compat.h"
#include "dvp.h"

/* Read sections that reach a device through a buffer's link; see above. */
DEFINE_STATIC_SRCU(dvp_srcu);

/* How long a revoke waits for importers' fences on the buffer. */
#define DVP_REVOKE_FENCE_TIMEOUT	msecs_to_jiffies(1000)

void dvp_access_init(struct dvp_device *dvp)
{
	static atomic64_t last_id;

	dvp->id = atomic64_inc_return(&last_id);
	mutex_init(&dvp->lock);
	INIT_LIST_HEAD(&dvp->dmabufs);
	mutex_init(&dvp->ioeventfd_lock);
	INIT_LIST_HEAD(&dvp->ioeventfds);
}

void dvp_access_destroy(struct dvp_device *dvp)
{
	WARN_ON(!list_empty(&dvp->dmabufs));
	WARN_ON(!list_empty(&dvp->ioeventfds));
	mutex_destroy(&dvp->ioeventfd_lock);
	mutex_destroy(&dvp->lock);
}

/*
 * Memory decode as vfio_pci_core sees it (its __vfio_pci_memory_enabled(),
 * not exported): what gates the core's own BAR accesses. The caller holds
 * memory_lock or copes with a stale answer.
 */
bool dvp_memory_enabled(struct vfio_pci_core_device *core)
{
	struct pci_dev *pdev = core->pdev;

	if ((__force int)READ_ONCE(pdev->current_state) >=
	    (__force int)PCI_D3hot)
		return false;
	return pdev->no_command_memory ||
	       (READ_ONCE(core->vconfig[PCI_COMMAND]) & PCI_COMMAND_MEMORY);
}

/*
 * The core's own test (dvp_memory_enabled()), plus the states in which
 * the core itself refuses BAR access. vconfig is read without
 * memory_lock: every writer that clears decode blocks access first, so a
 * stale "enabled" is never acted upon. The
 * device's own command register is read too: after a fatal error's bus
 * reset it is cleared while vconfig still says "on", until the core
 * restores the BARs at the user's next write of the command register.
 */
bool dvp_access_allowed(struct dvp_device *dvp)
{
	struct vfio_pci_core_device *core = &dvp->core;
	struct pci_dev *pdev = core->pdev;
	u16 cmd;

	lockdep_assert_held(&dvp->lock);

	if (!dvp->open || dvp->blockers || dvp->error)
		return false;
	/* A bit-field the core writes under memory_lock: a plain read. */
	if (core->pm_runtime_engaged || !dvp_memory_enabled(core))
		return false;
	if (pdev->no_command_memory)
		return true;
	/* All ones: the device did not answer (link down). */
	return !pci_read_config_word(pdev, PCI_COMMAND, &cmd) &&
	       !PCI_POSSIBLE_ERROR(cmd) && (cmd & PCI_COMMAND_MEMORY);
}

/*
 * Move one attached export to state. Revoking it tells the importers,
 * zaps its CPU mappings and marks it for dvp_wait_fences(), which takes
 * the importers' DMA mappings down once their fences are done. Closing it
 * marks it even when it was revoked before: their work must be done before
 * the device is reset and handed on.
 */
static void dvp_buf_set_state(struct dvp_dmabuf *buf,
			      enum dvp_buf_state state)
{
	struct dma_buf *dmabuf = buf->dmabuf;
	enum dvp_buf_state old;

	lockdep_assert_held(&buf->dvp->lock);
	dma_resv_lock(dmabuf->resv, NULL);
	old = buf->state;
	WRITE_ONCE(buf->state, state);
	if (old == DVP_BUF_LIVE && state != DVP_BUF_LIVE) {
		dma_buf_move_notify(dmabuf);
		unmap_mapping_range(buf->inode->i_mapping, 0, 0, 1);
		buf->wait_fences = true;
	} else if (old != DVP_BUF_LIVE && state == DVP_BUF_LIVE) {
		/* Importers may map again. */
		dma_buf_move_notify(dmabuf);
	}
	if (state == DVP_BUF_CLOSED)
		buf->wait_fences = true;
	dma_resv_unlock(dmabuf->resv);
	if (old != state)
		pci_dbg(buf->dvp->core.pdev, "dma-buf %lu %s\n",
			buf->inode->i_ino,
			state == DVP_BUF_LIVE ? "restored" : "revoked");
}

/* Have the importers' fences on a buffer signalled by the deadline? */
static bool dvp_fences_done(struct dvp_dmabuf *buf, unsigned long deadline)
{
	struct dma_resv *resv = buf->dmabuf->resv;
	long left = (long)(deadline - jiffies);

	if (left <= 0)
		return dma_resv_test_signaled(resv, DMA_RESV_USAGE_BOOKKEEP);
	return dma_resv_wait_timeout(resv, DMA_RESV_USAGE_BOOKKEEP, false,
				     left) > 0;
}

/*
 * Finish the revokes of an update: wait for the fences of every export
 * marked, against one deadline for all, then take down the DMA mappings
 * their importers still hold. Returns how many fences did not signal in
 * time; each is logged, since that importer may still have been using
 * the BAR until its mapping went.
 */
static unsigned int dvp_wait_fences(struct dvp_device *dvp)
{
	unsigned long deadline = jiffies + DVP_REVOKE_FENCE_TIMEOUT;
	unsigned int timeouts = 0;
	struct dvp_dmabuf *buf;
	bool done;

	lockdep_assert_held(&dvp->lock);
	list_for_each_entry(buf, &dvp->dmabufs, node) {
		if (!buf->wait_fences)
			continue;
		buf->wait_fences = false;
		done = dvp_fences_done(buf, deadline);
		/* Marked buffers stay revoked: dvp->lock is held throughout. */
		dma_resv_lock(buf->dmabuf->resv, NULL);
		dvp_export_unmap_importers(buf);
		dma_resv_unlock(buf->dmabuf->resv);
		if (done)
			continue;
		timeouts++;
		dvp->fence_timeouts++;
		pci_warn(dvp->core.pdev,
			 "dma-buf %lu revoked, importer fence still pending after %u ms (%lu so far)\n",
			 buf->inode->i_ino,
			 jiffies_to_msecs(DVP_REVOKE_FENCE_TIMEOUT),
			 dvp->fence_timeouts);
	}
	return timeouts;
}

/* The one revoke function: bring every export to what the device allows. */
static void dvp_access_update(struct dvp_device *dvp)
{
	enum dvp_buf_state state = dvp_access_allowed(dvp) ? DVP_BUF_LIVE :
							     DVP_BUF_REVOKED;
	struct dvp_dmabuf *buf;

	list_for_each_entry(buf, &dvp->dmabufs, node)
		dvp_buf_set_state(buf, state);
	dvp_wait_fences(dvp);
}

/*
 * Detach a revoked export from its device for good: off the list, so
 * nothing gives it access again, and no link left to the device.
 */
static void dvp_buf_detach(struct dvp_dmabuf *buf)
{
	lockdep_assert_held(&buf->dvp->lock);
	list_del_init(&buf->node);
	WRITE_ONCE(buf->dvp, NULL);
}

/* Attach a new export, revoked unless the device allows access now. */
int dvp_access_attach(struct dvp_device *dvp, struct dvp_dmabuf *buf)
{
	int ret = 0;

	mutex_lock(&dvp->lock);
	if (dvp->open) {
		/* Not published yet: no reservation lock needed. */
		buf->state = dvp_access_allowed(dvp) ? DVP_BUF_LIVE :
						       DVP_BUF_REVOKED;
		WRITE_ONCE(buf->dvp, dvp);
		list_add_tail(&buf->node, &dvp->dmabufs);
	} else {
		ret = -ENODEV;
	}
	mutex_unlock(&dvp->lock);
	return ret;
}

/*
 * Run fn under the dvp->lock of the device a buffer is attached to; its
 * result, or -ENODEV once the buffer is detached.
 */
int dvp_access_with_device(struct dvp_dmabuf *buf,
			   int (*fn)(struct dvp_device *dvp,
				     struct dvp_dmabuf *buf))
{
	struct dvp_device *dvp;
	int idx, ret = -ENODEV;

	idx = srcu_read_lock(&dvp_srcu);
	dvp = READ_ONCE(buf->dvp);
	if (dvp) {
		mutex_lock(&dvp->lock);
		if (buf->dvp == dvp)
			ret = fn(dvp, buf);
		mutex_unlock(&dvp->lock);
	}
	srcu_read_unlock(&dvp_srcu, idx);
	return ret;
}

/* Nothing can reach a buffer being released: no revoke needed. */
static int dvp_buf_release(struct dvp_device *dvp, struct dvp_dmabuf *buf)
{
	dvp_buf_detach(buf);
	return 0;
}

/* The dma-buf goes: leave the device if still attached. */
void dvp_access_release(struct dvp_dmabuf *buf)
{
	dvp_access_with_device(buf, dvp_buf_release);
}

void dvp_access_open(struct dvp_device *dvp)
{
	mutex_lock(&dvp->lock);
	dvp->open = true;
	/* A new session starts from a freshly enabled device. */
	dvp->error = false;
	mutex_unlock(&dvp->lock);
}

/*
 * Close revokes every export for good and detaches it, before
 * vfio_pci_core tears the device down: the exports outlive the device fd,
 * their access and their hold on the device do not.
 */
void dvp_access_close(struct dvp_device *dvp)
{
	struct dvp_dmabuf *buf, *tmp;

	mutex_lock(&dvp->lock);
	dvp->open = false;
	list_for_each_entry(buf, &dvp->dmabufs, node)
		dvp_buf_set_state(buf, DVP_BUF_CLOSED);
	dvp_wait_fences(dvp);
	list_for_each_entry_safe(buf, tmp, &dvp->dmabufs, node)
		dvp_buf_detach(buf);
	mutex_unlock(&dvp->lock);
	/* No release or mmap still holds the device through a buffer. */
	synchronize_srcu(&dvp_srcu);
}

/*
 * Revoke one export for good (the owner reclaiming a buffer it handed
 * out). The caller holds a reference on the dma-buf. -ETIMEDOUT: revoked,
 * but an importer's fence had not signalled when the wait gave up.
 */
int dvp_access_revoke_one(struct dvp_device *dvp, struct dvp_dmabuf *buf)
{
	int ret = -EBADFD;

	mutex_lock(&dvp->lock);
	if (buf->dvp == dvp) {
		dvp_buf_set_state(buf, DVP_BUF_CLOSED);
		ret = dvp_wait_fences(dvp) ? -ETIMEDOUT : 0;
		dvp_buf_detach(buf);
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
