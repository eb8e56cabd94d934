// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-vfio-pci: CPU mappings of exports, the only CPU mapping path.
 *
 * Every export has its own file and so its own address space: its PTEs
 * hang off its own inode, and revoking one export zaps exactly its
 * mappings (unmap_mapping_range() in src/access.c), forks included. A BAR
 * mmap of the VFIO device fd goes the same way: it becomes a one-range
 * export of the mapped span and the VMA is switched to the export's file,
 * so there is one fault handler and one revoke for everything.
 *
 * The layout is not linear: buffer offset 0 is the start of range 0 and
 * the ranges follow in export order. A fault finds its range by binary
 * search and maps the part of that range the VMA covers in an aligned
 * window around the faulting page, so touching every page costs one fault
 * per window, range and VMA. Faults
 * check the revoked state under the buffer's reservation lock, the lock
 * revoke zaps under, so no PTE survives a revoke.
 *
 * Mappings are uncached or write-combining, as the buffer's attribute and
 * the BAR's memory type allow (src/memattr.c); the mmap claims the BAR for
 * that type. Where the kernel has special huge PFN entries
 * (CONFIG_ARCH_SUPPORTS_HUGE_PFNMAP, 6.12) a fault installs a PMD or PUD
 * entry when the whole block lies in one range and the VMA and the
 * physical and virtual addresses are aligned to it; the 4 KiB path then
 * leaves such blocks to their own huge fault. 6.1 has no special huge
 * entries (GUP-fast would take a huge PFN entry for struct pages), so
 * there everything is 4 KiB.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/huge_mm.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/pfn_t.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#include "dvp_compat.h"
#include "dvp.h"

/* PMD_ORDER only exists where huge entries do. */
#ifdef CONFIG_ARCH_SUPPORTS_HUGE_PFNMAP
#define DVP_PMD_ORDER	PMD_ORDER
#else
#define DVP_PMD_ORDER	0
#endif

/*
 * One fault maps at most this much of a buffer around the faulting page:
 * touching every page of a range costs one fault per window.
 */
#define DVP_FAULT_WINDOW	SZ_4M

/* The range holding buffer offset off; ranges are sorted by start. */
static const struct dvp_range *dvp_find_range(const struct dvp_dmabuf *buf,
					      u64 off)
{
	u32 lo = 0, hi = buf->nr_ranges;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		const struct dvp_range *r = &buf->ranges[mid];

		if (off < r->start)
			hi = mid;
		else if (off - r->start >= r->len)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

static unsigned long dvp_addr(struct vm_area_struct *vma, u64 off)
{
	return vma->vm_start + (off - ((u64)vma->vm_pgoff << PAGE_SHIFT));
}

static vm_fault_t dvp_insert(struct vm_area_struct *vma,
			     const struct dvp_range *r, u64 off)
{
	return vmf_insert_pfn(vma, dvp_addr(vma, off),
			      PHYS_PFN(r->phys + (off - r->start)));
}

/*
 * Could the block of 2^order pages around buffer offset off be one huge
 * entry: inside the VMA and inside range r, virtually and physically
 * aligned alike?
 */
static bool dvp_huge_fits(struct vm_area_struct *vma,
			  const struct dvp_range *r, u64 off,
			  unsigned int order)
{
	u64 size = PAGE_SIZE << order;
	unsigned long addr = dvp_addr(vma, off);
	unsigned long vblk = ALIGN_DOWN(addr, size);
	u64 boff = off - (addr - vblk);

	if (!IS_ENABLED(CONFIG_ARCH_SUPPORTS_HUGE_PFNMAP) || !order)
		return false;
	return vblk >= vma->vm_start && vblk + size <= vma->vm_end &&
	       boff >= r->start && boff + size <= r->start + r->len &&
	       IS_ALIGNED(r->phys + (boff - r->start), size);
}

static bool dvp_same_block(struct vm_area_struct *vma, u64 a, u64 b,
			   unsigned int order)
{
	unsigned long size = PAGE_SIZE << order;

	return ALIGN_DOWN(dvp_addr(vma, a), size) ==
	       ALIGN_DOWN(dvp_addr(vma, b), size);
}

static vm_fault_t dvp_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct dvp_dmabuf *buf = vma->vm_private_data;
	u64 off = (u64)vmf->pgoff << PAGE_SHIFT;
	u64 vma_lo = (u64)vma->vm_pgoff << PAGE_SHIFT;
	u64 vma_hi = vma_lo + (vma->vm_end - vma->vm_start);
	const struct dvp_range *r;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	u64 lo, hi, o;

	dma_resv_lock(buf->dmabuf->resv, NULL);
	if (buf->state != DVP_BUF_LIVE)
		goto out;
	r = dvp_find_range(buf, off);
	if (WARN_ON_ONCE(!r))
		goto out;

	/* The faulting page decides the result; its neighbours are a bonus. */
	ret = dvp_insert(vma, r, off);
	if (ret & VM_FAULT_ERROR)
		goto out;
	/*
	 * The neighbours in the same aligned window of the range, so a fault
	 * does bounded work under the reservation lock and mmap_lock.
	 */
	lo = max3(r->start, vma_lo, ALIGN_DOWN(off, DVP_FAULT_WINDOW));
	hi = min3(r->start + r->len, vma_hi,
		  ALIGN_DOWN(off, DVP_FAULT_WINDOW) + DVP_FAULT_WINDOW);
	for (o = lo; o < hi; o += PAGE_SIZE) {
		if (o == off)
			continue;
		/* Leave other huge-capable blocks to their own huge fault. */
		if (dvp_huge_fits(vma, r, o, DVP_PMD_ORDER) &&
		    !dvp_same_block(vma, o, off, DVP_PMD_ORDER))
			continue;
		if ((dvp_insert(vma, r, o) & VM_FAULT_ERROR) ||
		    fatal_signal_pending(current))
			break;
	}
out:
	dma_resv_unlock(buf->dmabuf->resv);
	return ret;
}

#ifdef CONFIG_ARCH_SUPPORTS_HUGE_PFNMAP
static vm_fault_t dvp_vm_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct dvp_dmabuf *buf = vma->vm_private_data;
	u64 off = (u64)vmf->pgoff << PAGE_SHIFT;
	vm_fault_t ret = VM_FAULT_FALLBACK;
	const struct dvp_range *r;
	pfn_t pfn;

	if (!order)
		return dvp_vm_fault(vmf);

	dma_resv_lock(buf->dmabuf->resv, NULL);
	if (buf->state != DVP_BUF_LIVE) {
		ret = VM_FAULT_SIGBUS;
		goto out;
	}
	r = dvp_find_range(buf, off);
	if (!r || !dvp_huge_fits(vma, r, off, order))
		goto out;
	/* The block starts where the aligned virtual block does. */
	off -= vmf->address & ((PAGE_SIZE << order) - 1);
	pfn = __pfn_to_pfn_t(PHYS_PFN(r->phys + (off - r->start)), PFN_DEV);
	if (order == PMD_ORDER)
		ret = vmf_insert_pfn_pmd(vmf, pfn, false);
#ifdef CONFIG_ARCH_SUPPORTS_PUD_PFNMAP
	else if (order == PUD_ORDER)
		ret = vmf_insert_pfn_pud(vmf, pfn, false);
#endif
out:
	dma_resv_unlock(buf->dmabuf->resv);
	return ret;
}
#endif

static const struct vm_operations_struct dvp_vm_ops = {
	.fault = dvp_vm_fault,
#ifdef CONFIG_ARCH_SUPPORTS_HUGE_PFNMAP
	.huge_fault = dvp_vm_huge_fault,
#endif
};

static int dvp_buf_claim(struct dvp_device *dvp, struct dvp_dmabuf *buf)
{
	return dvp_bar_claim(dvp, buf->bar, buf->memattr);
}

/*
 * The dma-buf core checked that the VMA lies inside the buffer; mmap() of
 * a read-only fd with PROT_WRITE was refused by the VFS, but an importer
 * forwarding dma_buf_mmap() is checked here.
 */
int dvp_dmabuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct dvp_dmabuf *buf = dmabuf->priv;
	bool writable = dmabuf->file->f_mode & FMODE_WRITE;
	int memattr;

	/* A private mapping of MMIO would be a COW PFNMAP: never. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if ((vma->vm_flags & VM_WRITE) && !writable)
		return -EACCES;

	/* A detached buffer (device closed, revoked for good) maps nothing. */
	memattr = dvp_access_with_device(buf, dvp_buf_claim);
	if (memattr < 0)
		return memattr;

	if (!writable)
		dvp_vm_flags_clear(vma, VM_MAYWRITE);
	dvp_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	if (memattr == DVP_DMA_BUF_MEMATTR_WC)
		vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
	else
		vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vma->vm_private_data = buf;
	vma->vm_ops = &dvp_vm_ops;
	return 0;
}

/*
 * mmap of a BAR through the VFIO device fd: a one-range export of the
 * mapped span, with the VMA moved onto the export's file. The export holds
 * the device fd so the device stays open while mapped, as under vfio-pci.
 * BARs smaller than a page (mapped with a reserved dummy tail by the core)
 * and non-BAR regions stay with vfio_pci_core_mmap().
 */
int dvp_mmap(struct vfio_device *vdev, struct vm_area_struct *vma)
{
	struct dvp_device *dvp = dvp_from_vdev(vdev);
	struct vfio_pci_core_device *core = &dvp->core;
	unsigned int index = vma->vm_pgoff >>
			     (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT);
	struct vfio_region_dma_range range;
	struct dvp_dmabuf *buf;
	u64 end;
	int ret;

	if (index >= VFIO_PCI_ROM_REGION_INDEX ||
	    !core->bar_mmap_supported[index] ||
	    pci_resource_len(core->pdev, index) < PAGE_SIZE)
		return vfio_pci_core_mmap(vdev, vma);
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;

	range.offset = (u64)(vma->vm_pgoff &
		       ((1UL << (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT)) - 1))
		       << PAGE_SHIFT;
	range.length = vma->vm_end - vma->vm_start;
	if (check_add_overflow(range.offset, range.length, &end) ||
	    end > pci_resource_len(core->pdev, index))
		return -EINVAL;

	buf = dvp_export_create(dvp, index, &range, 1, O_RDWR);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	/* vfio-pci users never chose an attribute: the BAR's type it is. */
	buf->memattr = DVP_MEMATTR_BAR;
	ret = dvp_dmabuf_mmap(buf->dmabuf, vma);
	if (!ret) {
		buf->devfile = get_file(vma->vm_file);
		vma_set_file(vma, buf->dmabuf->file);
		vma->vm_pgoff = 0;
	}
	/* On success the VMA holds the only reference. */
	dma_buf_put(buf->dmabuf);
	return ret;
}
