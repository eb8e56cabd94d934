/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel version differences of the test-only modules, in one place.
 */
#ifndef DVP_TEST_COMPAT_H
#define DVP_TEST_COMPAT_H

#include <linux/mm.h>
#include <linux/version.h>

struct tp_entry {
	pteval_t val;	/* flags in the 4 KiB entry format */
	u32 shift;
};

/*
 * tp_lookup() - the page table entry of a PFN mapping at addr, for a
 * caller holding mmap_lock: 0, or -ENOENT when there is none.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
/* Called with the entry found and locked, so the upper levels stay. */
static u32 tp_shift(struct mm_struct *mm, unsigned long addr)
{
	pud_t *pud = pud_offset(p4d_offset(pgd_offset(mm, addr), addr), addr);

	if (pud_leaf(READ_ONCE(*pud)))
		return PUD_SHIFT;
	if (pmd_leaf(READ_ONCE(*pmd_offset(pud, addr))))
		return PMD_SHIFT;
	return PAGE_SHIFT;
}

static int tp_lookup(struct vm_area_struct *vma, unsigned long addr,
		     struct tp_entry *e)
{
	struct follow_pfnmap_args args = { .vma = vma, .address = addr };
	int ret = follow_pfnmap_start(&args);

	if (ret)
		return -ENOENT;
	e->val = pgprot_val(args.pgprot);
	e->shift = tp_shift(vma->vm_mm, addr);
	if (e->shift > PAGE_SHIFT)
		e->val = protval_large_2_4k(e->val);
	follow_pfnmap_end(&args);
	return 0;
}
#else
/* 6.1 maps PFNs at 4 KiB only, and follow_pte() sees only those. */
static int tp_lookup(struct vm_area_struct *vma, unsigned long addr,
		     struct tp_entry *e)
{
	spinlock_t *ptl;	/* taken by follow_pte() */
	pte_t *ptep;

	if (!(vma->vm_flags & (VM_IO | VM_PFNMAP)) ||
	    follow_pte(vma->vm_mm, addr, &ptep, &ptl))
		return -ENOENT;
	__acquire(ptl);
	e->val = pte_flags(*ptep);
	e->shift = PAGE_SHIFT;
	pte_unmap_unlock(ptep, ptl);
	return 0;
}
#endif

#endif /* DVP_TEST_COMPAT_H */
