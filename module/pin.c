// SPDX-License-Identifier: GPL-2.0
/*
 * Pinning a range of the calling thread's memory and giving it a kernel
 * address that BPF programs can load from and store to in any context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "uls.h"

/*
 * Pin [uaddr, uaddr + len) of current->mm for writing, long-term: the pages
 * stay in place, and stay the ones BPF writes to, until uls_unpin(), even
 * if the thread unmaps the range. The caller has checked that the range
 * is a non-empty part of user space.
 */
int uls_pin_range(unsigned long uaddr, u64 len, struct uls_pin *pin,
		  void **kaddr)
{
	unsigned long first = uaddr & PAGE_MASK;
	unsigned int nr = (offset_in_page(uaddr) + len + PAGE_SIZE - 1) >>
			  PAGE_SHIFT;
	unsigned int i;
	int pinned, ret;

	pin->pages = kvmalloc_array(nr, sizeof(*pin->pages),
				    GFP_KERNEL_ACCOUNT);
	if (!pin->pages)
		return -ENOMEM;

	pinned = pin_user_pages_fast(first, nr, FOLL_WRITE | FOLL_LONGTERM,
				     pin->pages);
	if (pinned < 0) {
		ret = pinned;
		goto err_free;
	}
	/* A hole, or a page that cannot be written, stops the walk. */
	if (pinned != nr) {
		ret = -EFAULT;
		goto err_unpin;
	}
	pin->nr_pages = nr;

	/*
	 * Both ways below need a permanent kernel address; a highmem page has
	 * none (32-bit only, which uls does not support anyway).
	 */
	for (i = 0; i < nr; i++) {
		if (PageHighMem(pin->pages[i])) {
			ret = -EOPNOTSUPP;
			goto err_unpin;
		}
	}

	if (nr == 1) {
		pin->vaddr = NULL;
		*kaddr = page_address(pin->pages[0]) + offset_in_page(uaddr);
		return 0;
	}

	pin->vaddr = vmap(pin->pages, nr, VM_MAP, PAGE_KERNEL);
	if (!pin->vaddr) {
		ret = -ENOMEM;
		goto err_unpin;
	}
	*kaddr = pin->vaddr + offset_in_page(uaddr);
	return 0;

err_unpin:
	unpin_user_pages(pin->pages, pinned);
err_free:
	kvfree(pin->pages);
	pin->pages = NULL;
	return ret;
}

/*
 * Process context only: vunmap() and dirtying the pages may sleep. The
 * pages are dirtied because BPF programs may have written them behind the
 * page tables' back.
 */
void uls_unpin(struct uls_pin *pin)
{
	might_sleep();
	if (pin->vaddr)
		vunmap(pin->vaddr);
	unpin_user_pages_dirty_lock(pin->pages, pin->nr_pages, true);
	kvfree(pin->pages);
}
