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
 * search and maps the whole part of that range the VMA covers, so
 * touching every page costs at most one fault per range and VMA. Faults
 * check the revoked state under the buffer's reservation lock, the lock
 * revoke zaps under, so no PTE survives a revoke.
 *
 * Mappings are 4 KiB PTEs, uncached. 6.1 has no special huge entries: a
 * huge PFNMAP entry there would be walked by GUP-fast as struct pages.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#include "dvp_compat.h"
#include "dvp.h"

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

static vm_fault_t dvp_insert(struct vm_area_struct *vma,
			     const struct dvp_range *r, u64 off)
{
	unsigned long addr = vma->vm_start +
		(off - ((u64)vma->vm_pgoff << PAGE_SHIFT));

	return vmf_insert_pfn(vma, addr, PHYS_PFN(r->phys + (off - r->start)));
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
	if (buf->revoked)
		goto out;
	r = dvp_find_range(buf, off);
	if (WARN_ON_ONCE(!r))
		goto out;

	/* The faulting page decides the result; its neighbours are a bonus. */
	ret = dvp_insert(vma, r, off);
	if (ret & VM_FAULT_ERROR)
		goto out;
	lo = max(r->start, vma_lo);
	hi = min(r->start + r->len, vma_hi);
	for (o = lo; o < hi; o += PAGE_SIZE)
		if (o != off && (dvp_insert(vma, r, o) & VM_FAULT_ERROR))
			break;
out:
	dma_resv_unlock(buf->dmabuf->resv);
	return ret;
}

static const struct vm_operations_struct dvp_vm_ops = {
	.fault = dvp_vm_fault,
};

/*
 * The dma-buf core checked that the VMA lies inside the buffer; mmap() of
 * a read-only fd with PROT_WRITE was refused by the VFS, but an importer
 * forwarding dma_buf_mmap() is checked here.
 */
int dvp_dmabuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct dvp_dmabuf *buf = dmabuf->priv;
	bool writable = dmabuf->file->f_mode & FMODE_WRITE;
	bool closed;

	/* A private mapping of MMIO would be a COW PFNMAP: never. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if ((vma->vm_flags & VM_WRITE) && !writable)
		return -EACCES;

	dma_resv_lock(dmabuf->resv, NULL);
	closed = buf->closed;
	dma_resv_unlock(dmabuf->resv);
	if (closed)
		return -ENODEV;

	if (!writable)
		dvp_vm_flags_clear(vma, VM_MAYWRITE);
	dvp_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
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
