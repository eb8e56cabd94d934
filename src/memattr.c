// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-vfio-pci: the CPU memory type of a BAR's mappings.
 *
 * x86 PAT gives a physical page one memory type for all its mappings
 * (aliases of different types are undefined on the CPU), and a PFN
 * mapping takes its type from the memtype reservations, not from the VMA:
 * vmf_insert_pfn() replaces the cache bits of vm_page_prot with the type
 * reserved for the page, uncached (UC-) if there is none. vfio-pci
 * reserves a BAR by mapping all of it in the kernel (its barmap) the first
 * time the BAR is used in a device session; ioremap() there takes UC-,
 * unless a reservation exists already, whose type it then inherits. The
 * barmap lives until the device closes. So a BAR has one type per session,
 * fixed by its claim:
 *
 *  - the claim is the first CPU use of the BAR in the session: the mmap
 *    of a buffer or of the device fd, read()/write() or an ioeventfd on
 *    the BAR. All of them claim here, under dvp->lock, before the core
 *    would claim the BAR itself (unlocked); ioeventfds are ours entirely
 *    (src/ioeventfd.c);
 *  - the mmap of a buffer set to write-combining claims the BAR WC: WC is
 *    reserved over the whole BAR first, so the barmap inherits it; every
 *    other claim is uncached;
 *  - a buffer whose attribute is not the BAR's type can neither be set to
 *    it nor mapped (EBUSY) until the device closes; the core drops the
 *    barmap at close, and dvp_bar_release() the WC reservation after it.
 *
 * The type a claim got is read back from the kernel's own mapping of the
 * BAR, not remembered, so even a claim that escaped the lock (an
 * ioeventfd whose offset another thread changed after we looked) cannot
 * make a WC buffer map UC- unnoticed. WC is only offered on prefetchable
 * BARs (no read side effects, writes may merge) and where PAT exists.
 */
#include <linux/dma-buf.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#ifdef CONFIG_X86_PAT
#include <asm/memtype.h>
#endif

#include "dmabuf_vfio_pci.h"
#include "dvp_compat.h"
#include "dvp.h"

#ifdef CONFIG_X86_PAT
/*
 * The kernel's own ioremap() of an MSI-X table or PBA inside a WC-reserved
 * BAR would inherit WC, and mask-then-read would no longer be ordered.
 */
static bool dvp_bar_has_msix(struct pci_dev *pdev, unsigned int bar)
{
	u32 table, pba;

	if (!pdev->msix_cap ||
	    pci_read_config_dword(pdev, pdev->msix_cap + PCI_MSIX_TABLE,
				  &table) ||
	    pci_read_config_dword(pdev, pdev->msix_cap + PCI_MSIX_PBA, &pba))
		return !!pdev->msix_cap;
	return (table & PCI_MSIX_TABLE_BIR) == bar ||
	       (pba & PCI_MSIX_PBA_BIR) == bar;
}
#endif

static bool dvp_bar_wc_capable(struct pci_dev *pdev, unsigned int bar)
{
#ifdef CONFIG_X86_PAT
	return pat_enabled() &&
	       (pci_resource_flags(pdev, bar) & IORESOURCE_PREFETCH) &&
	       !dvp_bar_has_msix(pdev, bar);
#else
	return false;
#endif
}

/* The type PAT gave the kernel's mapping of a claimed BAR. */
static u32 dvp_bar_memattr(void __iomem *barmap)
{
#ifdef CONFIG_X86_PAT
	unsigned int level;
	pteval_t val;
	pte_t *pte;

	pte = lookup_address((unsigned long)barmap, &level);
	if (!pte)
		return DVP_DMA_BUF_MEMATTR_NC;
	val = pte_val(*pte);
	/* Huge ioremap entries keep the PAT bit elsewhere. */
	if (level != PG_LEVEL_4K)
		val = protval_large_2_4k(val);
	if ((val & _PAGE_CACHE_MASK) ==
	    pgprot_val(pgprot_writecombine(__pgprot(0))))
		return DVP_DMA_BUF_MEMATTR_WC;
#endif
	return DVP_DMA_BUF_MEMATTR_NC;
}

static void dvp_bar_unreserve(struct dvp_device *dvp, unsigned int bar)
{
	struct pci_dev *pdev = dvp->core.pdev;

	arch_io_free_memtype_wc(pci_resource_start(pdev, bar),
				pci_resource_len(pdev, bar));
	__clear_bit(bar, &dvp->wc_reserved);
}

/*
 * Claim a BAR for a CPU mapping with attribute memattr (or whatever type
 * the BAR has, for DVP_MEMATTR_BAR). Returns the attribute the mapping
 * gets, or -EBUSY if the BAR has the other type in this session.
 */
int dvp_bar_claim(struct dvp_device *dvp, unsigned int bar, u32 memattr)
{
	struct vfio_pci_core_device *core = &dvp->core;
	struct pci_dev *pdev = core->pdev;
	u32 have;
	int ret;

	lockdep_assert_held(&dvp->lock);
	if (!dvp->open)
		return -ENODEV;

	if (!READ_ONCE(core->barmap[bar])) {
		/* Our WC reservation only ever lives alongside a barmap. */
		bool reserve = memattr == DVP_DMA_BUF_MEMATTR_WC;

		if (reserve) {
			ret = arch_io_reserve_memtype_wc(pci_resource_start(pdev, bar),
							 pci_resource_len(pdev, bar));
			if (ret)
				return ret;
			__set_bit(bar, &dvp->wc_reserved);
		}
		ret = dvp_setup_barmap(core, bar);
		if (ret) {
			if (reserve)
				dvp_bar_unreserve(dvp, bar);
			return ret;
		}
	}

	have = dvp_bar_memattr(core->barmap[bar]);
	if (memattr != DVP_MEMATTR_BAR && memattr != have)
		return -EBUSY;
	return have;
}

/*
 * The core's read()/write() and ioeventfd claim a BAR on first use without
 * a lock of ours; claim memory BARs here first, uncached unless a WC
 * buffer claimed them, so that every claim is serialised under dvp->lock.
 * Only an access of count bytes at offset that the core would go on to
 * make claims: a refused request changes nothing.
 */
static int dvp_bar_claim_at(struct dvp_device *dvp, u64 offset, u64 count)
{
	u64 index = VFIO_PCI_OFFSET_TO_INDEX(offset);
	u64 pos = offset & VFIO_PCI_OFFSET_MASK;
	struct pci_dev *pdev = dvp->core.pdev;
	int ret;

	if (index >= VFIO_PCI_ROM_REGION_INDEX ||
	    !(pci_resource_flags(pdev, index) & IORESOURCE_MEM) ||
	    !pci_resource_start(pdev, index) ||
	    pos >= pci_resource_len(pdev, index) ||
	    count > pci_resource_len(pdev, index) - pos)
		return 0;
	/*
	 * Claimed BARs stay claimed until close, which cannot run while the
	 * caller holds the device fd: no lock (a revoke may hold it long).
	 */
	if (READ_ONCE(dvp->core.barmap[index]))
		return 0;
	mutex_lock(&dvp->lock);
	ret = dvp_bar_claim(dvp, index, DVP_MEMATTR_BAR);
	mutex_unlock(&dvp->lock);
	return ret < 0 ? ret : 0;
}

/*
 * read() and write() clip count to the BAR's end, and claim the BAR even
 * for a count of 0: one byte must fit.
 */
ssize_t dvp_read(struct vfio_device *vdev, char __user *buf, size_t count,
		 loff_t *ppos)
{
	int ret = dvp_bar_claim_at(dvp_from_vdev(vdev), *ppos, 1);

	return ret ? ret : vfio_pci_core_read(vdev, buf, count, ppos);
}

ssize_t dvp_write_bar(struct vfio_device *vdev, const char __user *buf,
		      size_t count, loff_t *ppos)
{
	int ret = dvp_bar_claim_at(dvp_from_vdev(vdev), *ppos, 1);

	return ret ? ret : vfio_pci_core_write(vdev, buf, count, ppos);
}

/*
 * Claim the BAR of a checked ioeventfd (src/ioeventfd.c): a memory BAR
 * as any first use, an I/O BAR just gets its kernel mapping.
 */
int dvp_bar_claim_ioeventfd(struct dvp_device *dvp, unsigned int bar)
{
	int ret;

	mutex_lock(&dvp->lock);
	if (pci_resource_flags(dvp->core.pdev, bar) & IORESOURCE_MEM)
		ret = dvp_bar_claim(dvp, bar, DVP_MEMATTR_BAR);
	else
		ret = dvp->open ? dvp_setup_barmap(&dvp->core, bar) : -ENODEV;
	mutex_unlock(&dvp->lock);
	return ret < 0 ? ret : 0;
}

/* After vfio_pci_core unmapped the BARs at close. */
void dvp_bar_release(struct dvp_device *dvp)
{
	unsigned int bar;

	mutex_lock(&dvp->lock);
	for_each_set_bit(bar, &dvp->wc_reserved, PCI_STD_NUM_BARS)
		dvp_bar_unreserve(dvp, bar);
	mutex_unlock(&dvp->lock);
}

static int dvp_memattr_check(struct dvp_device *dvp, struct dvp_dmabuf *buf,
			     u32 memattr)
{
	struct vfio_pci_core_device *core = &dvp->core;
	void __iomem *barmap;

	lockdep_assert_held(&dvp->lock);
	if (memattr != DVP_DMA_BUF_MEMATTR_NC &&
	    memattr != DVP_DMA_BUF_MEMATTR_WC)
		return -ENOENT;
	if (buf->state == DVP_BUF_CLOSED)
		return -EBADFD;
	if (memattr == DVP_DMA_BUF_MEMATTR_WC &&
	    !dvp_bar_wc_capable(core->pdev, buf->bar))
		return -EOPNOTSUPP;
	/* A claim in flight in the core is caught again at mmap. */
	barmap = READ_ONCE(core->barmap[buf->bar]);
	if (barmap && dvp_bar_memattr(barmap) != memattr)
		return -EBUSY;
	return 0;
}

/* SET: the attribute of a buffer's future mmaps; GET: read it back. */
int dvp_feature_memattr(struct dvp_device *dvp, u32 flags,
			void __user *arg, size_t argsz)
{
	struct dvp_dma_buf_memattr req;
	struct dma_buf *dmabuf;
	struct dvp_dmabuf *buf;
	int ret;

	/* Callers from before flags existed pass 8 bytes: flags is 0. */
	ret = dvp_feature_payload(flags, arg, argsz, VFIO_DEVICE_FEATURE_SET |
				  VFIO_DEVICE_FEATURE_GET, &req,
				  offsetofend(struct dvp_dma_buf_memattr, memattr),
				  sizeof(req));
	if (ret != 1)
		return ret;
	if (req.flags)
		return -EINVAL;

	dmabuf = dvp_dmabuf_get(dvp, req.dmabuf_fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	buf = dmabuf->priv;

	ret = 0;
	mutex_lock(&dvp->lock);
	if (flags & VFIO_DEVICE_FEATURE_GET) {
		req.memattr = buf->memattr == DVP_MEMATTR_BAR ?
			      DVP_DMA_BUF_MEMATTR_NC : buf->memattr;
	} else {
		ret = dvp_memattr_check(dvp, buf, req.memattr);
		if (!ret)
			buf->memattr = req.memattr;
	}
	mutex_unlock(&dvp->lock);
	dma_buf_put(dmabuf);
	if (!ret && (flags & VFIO_DEVICE_FEATURE_GET) &&
	    copy_to_user(arg, &req, min(argsz, sizeof(req))))
		ret = -EFAULT;
	return ret;
}
