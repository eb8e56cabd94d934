/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * uAPI of dvp_test_pte, the test-only module that reports the cache mode
 * the CPU page tables really hold for a user address of the caller.
 */
#ifndef _UAPI_DVP_TEST_PTE_H
#define _UAPI_DVP_TEST_PTE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define DVP_TP_DEVICE		"/dev/dvp_test_pte"

/* dvp_tp_query.cache */
#define DVP_TP_CACHE_WC		1	/* write-combining */
#define DVP_TP_CACHE_UC_MINUS	2	/* uncached, MTRR may override */
#define DVP_TP_CACHE_OTHER	3

struct dvp_tp_query {
	__u64 addr;	/* in: a user address of the caller */
	__u32 cache;	/* out: DVP_TP_CACHE_* */
	__u32 shift;	/* out: page size of the entry, log2 (12, 21, 30) */
};

/* ENOENT when no present PFN mapping entry covers addr. */
#define DVP_TP_QUERY	_IOWR('p', 1, struct dvp_tp_query)

#endif /* _UAPI_DVP_TEST_PTE_H */
