// SPDX-License-Identifier: GPL-2.0
/*
 * Pinning a range of the calling thread's memory and giving it a kernel
 * address that BPF programs can load from and store to in any context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/backing-dev.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "uls.h"

/*
 * What uls pins for good: anonymous memory, shmem (MAP_SHARED anonymous,
 * memfd, tmpfs), hugetlbfs and private file mappings (FOLL_WRITE gives the
 * thread its own anonymous copy). Not a shared mapping of a file that
 * needs writeback or write notification: the file system expects to see
 * each write to a page coming, which BPF's stores through the kernel
 * mapping bypass, so writeback could find the page dirty behind its back.
 * GUP refuses such pins from 6.5 on; earlier kernels pin them, so uls
 * checks itself, on every kernel for the same errno. VM_IO and VM_PFNMAP
 * ranges have no pages to pin: EFAULT, as GUP says.
 */
static int uls_check_vmas(struct mm_struct *mm, unsigned long start,
			  unsigned long end)
{
	struct vm_area_struct *vma;
	unsigned long addr;

	for (addr = start; addr < end; addr = vma->vm_end) {
		vma = find_vma(mm, addr);
		if (!vma || vma->vm_start > addr)
			return -EFAULT;
		/* As GUP would say, before the writeback check could. */
		if (!(vma->vm_flags & VM_WRITE) ||
		    vma->vm_flags & (VM_IO | VM_PFNMAP))
			return -EFAULT;
		if (!(vma->vm_flags & VM_SHARED) || !vma->vm_file)
			continue;
		if ((vma->vm_ops && (vma->vm_ops->page_mkwrite ||
				     vma->vm_ops->pfn_mkwrite)) ||
		    mapping_can_writeback(vma->vm_file->f_mapping))
			return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * The common case, private anonymous memory (and private file mappings,
 * which FOLL_WRITE turns anonymous), needs no look at the VMAs: what GUP
 * pins for writing and finds anonymous is what uls_check_vmas() accepts.
 * So try GUP-fast first, without the mmap lock, and keep the pins if every
 * page is anonymous; otherwise (shmem, files, holes, errors) let go and
 * take the checked path, which decides, and gives the errno.
 */
static long uls_pin_anon_fast(unsigned long first, unsigned int nr,
			      struct page **pages)
{
	long pinned = pin_user_pages_fast(first, nr,
					  FOLL_WRITE | FOLL_LONGTERM, pages);
	long i;

	for (i = 0; i < pinned; i++)
		if (!PageAnon(pages[i]))
			break;
	if (pinned == nr && i == nr)
		return nr;
	if (pinned > 0)
		unpin_user_pages(pages, pinned);
	return 0;
}

/*
 * Pin [uaddr, uaddr + len) of current->mm for writing, long-term, for @e:
 * the pages stay in place, and stay the ones BPF writes to, until
 * uls_unpin(), even if the thread unmaps the range. The caller has checked
 * that the range is a non-empty part of user space. Where the VMAs are
 * checked, the pages are pinned under the same mmap lock, so the check
 * holds for what is pinned. Sets e->nr_pages, e->page(s) and e->kaddr.
 */
int uls_pin_range(struct uls_entry *e, unsigned long uaddr, u64 len)
{
	struct mm_struct *mm = current->mm;
	unsigned long first = uaddr & PAGE_MASK;
	unsigned int nr = (offset_in_page(uaddr) + len + PAGE_SIZE - 1) >>
			  PAGE_SHIFT;
	struct page **pages;
	unsigned int i;
	long pinned;
	void *vaddr;
	int ret;

	e->nr_pages = nr;
	if (nr > 1) {
		e->pages = kvmalloc_array(nr, sizeof(*e->pages),
					  GFP_KERNEL_ACCOUNT);
		if (!e->pages)
			return -ENOMEM;
	}
	pages = uls_entry_pages(e);

	pinned = uls_pin_anon_fast(first, nr, pages);
	if (pinned)
		goto pinned;

	if (mmap_read_lock_killable(mm)) {
		ret = -EINTR;
		goto err_free;
	}
	ret = uls_check_vmas(mm, first, first + ((unsigned long)nr << PAGE_SHIFT));
	pinned = ret ?: uls_pin_user_pages(first, nr,
					   FOLL_WRITE | FOLL_LONGTERM, pages);
	mmap_read_unlock(mm);
	if (ret)
		goto err_free;
pinned:
	if (pinned < 0) {
		ret = pinned;
		pinned = 0;
		goto err_unpin;
	}
	/* A page that cannot be written stops the walk. */
	if (pinned != nr) {
		ret = -EFAULT;
		goto err_unpin;
	}

	/*
	 * Both ways below need a permanent kernel address; a highmem page has
	 * none (32-bit only, which uls does not support anyway).
	 */
	for (i = 0; i < nr; i++) {
		if (PageHighMem(pages[i])) {
			ret = -EOPNOTSUPP;
			goto err_unpin;
		}
	}

	if (nr == 1) {
		e->kaddr = page_address(pages[0]) + offset_in_page(uaddr);
		return 0;
	}

	vaddr = vmap(pages, nr, VM_MAP, PAGE_KERNEL);
	if (!vaddr) {
		ret = -ENOMEM;
		goto err_unpin;
	}
	e->kaddr = vaddr + offset_in_page(uaddr);
	return 0;

err_unpin:
	unpin_user_pages(pages, pinned);
err_free:
	if (nr > 1)
		kvfree(e->pages);
	e->nr_pages = 0;
	return ret;
}

/*
 * Process context only: vunmap() and dirtying the pages may sleep. The
 * pages are dirtied because BPF programs may have written them behind the
 * page tables' back.
 */
void uls_unpin(struct uls_entry *e)
{
	might_sleep();
	if (!e->nr_pages)
		return;
	if (e->nr_pages > 1)
		vunmap((void *)((unsigned long)e->kaddr & PAGE_MASK));
	unpin_user_pages_dirty_lock(uls_entry_pages(e), e->nr_pages, true);
	if (e->nr_pages > 1)
		kvfree(e->pages);
}
