// SPDX-License-Identifier: GPL-2.0-only
/*
 * dvp_test_pte: a test-only module that reads the caller's page table
 * entry for an address of a VM_PFNMAP mapping and reports its cache mode,
 * so a test can prove which memory type a mapping really got: on x86 the
 * type in a PFN entry comes from PAT's reservations, whatever the driver
 * put into vm_page_prot.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include "dvp_test_compat.h"
#include "dvp_test_pte.h"

static u32 tp_cache(pteval_t val)
{
	val &= _PAGE_CACHE_MASK;
	if (val == pgprot_val(pgprot_writecombine(__pgprot(0))))
		return DVP_TP_CACHE_WC;
	if (val == pgprot_val(pgprot_noncached(__pgprot(0))))
		return DVP_TP_CACHE_UC_MINUS;
	return DVP_TP_CACHE_OTHER;
}

static long tp_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct dvp_tp_query q;
	struct vm_area_struct *vma;
	struct tp_entry e;
	int ret = -ENOENT;

	if (cmd != DVP_TP_QUERY)
		return -ENOTTY;
	if (copy_from_user(&q, (void __user *)arg, sizeof(q)))
		return -EFAULT;

	mmap_read_lock(current->mm);
	vma = vma_lookup(current->mm, q.addr);
	if (vma)
		ret = tp_lookup(vma, q.addr, &e);
	mmap_read_unlock(current->mm);
	if (ret)
		return ret;

	q.cache = tp_cache(e.val);
	q.shift = e.shift;
	return copy_to_user((void __user *)arg, &q, sizeof(q)) ? -EFAULT : 0;
}

static const struct file_operations tp_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= tp_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice tp_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "dvp_test_pte",
	.fops	= &tp_fops,
};

module_misc_device(tp_misc);
MODULE_DESCRIPTION("dmabuf-vfio-pci test helper: cache mode of a user PTE");
MODULE_LICENSE("GPL");
