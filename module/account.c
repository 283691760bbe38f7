// SPDX-License-Identifier: GPL-2.0
/*
 * Pinned pages are charged to the process that registered them, the way
 * RDMA's umem does: to mm->pinned_vm (VmPin in /proc/PID/status), within
 * RLIMIT_MEMLOCK unless the caller has CAP_IPC_LOCK, and within a global
 * cap that binds everyone.
 *
 * Each page is charged once per process however many registrations pin
 * it: libuls packs the small areas of many threads into one page, and
 * charging per registration would bill 2000 threads' 64-byte areas (32
 * pages) as 2000 pages. So each mm has a map from page frame to the number
 * of registrations pinning it, and the charge follows its size.
 *
 * The mm is held with mmgrab() (its struct, not its address space) until
 * its last charged page is released, so the charge is returned even after
 * the process has exited or exec'd.
 *
 * Per user, as io_uring does with user->locked_vm, but in a count of its
 * own: RLIMIT_MEMLOCK is per process, and one user's many processes could
 * otherwise take the whole global cap from everyone. A user's pages are
 * the sum of its processes' charges (each process's user is the one that
 * registered first in it), within max_user_pinned_pages unless the caller
 * has CAP_IPC_LOCK. A user also has its registrations that ended but wait
 * for their grace periods: each holds a pin, and a stalled sleepable BPF
 * program stalls every reap, so they are bounded too (max_user_retired).
 *
 * Everything here runs under uls_registry_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "uls.h"

struct uls_user {
	struct user_struct *user;	/* held with get_uid() */
	struct hlist_node node;		/* in uls_users */
	unsigned long nr_charged;	/* pages charged to its processes */
	unsigned long nr_retired;	/* its entries waiting to be freed */
	unsigned int nr_mms;		/* uls_mms charging it */
};

struct uls_mm {
	struct mm_struct *mm;
	struct hlist_node node;		/* in uls_mms */
	struct xarray pages;		/* pfn -> xa_mk_value(nr of pins) */
	unsigned long nr_charged;	/* distinct pages in @pages */
	struct uls_user *uu;		/* whose pages they are too */
};

static DEFINE_HASHTABLE(uls_mms, 6);
static DEFINE_HASHTABLE(uls_users, 6);

/* Global cap on charged pages; set at load to an eighth of RAM. */
unsigned long uls_max_pinned_pages;
/* Cap per user; set at load to a quarter of the global cap. */
unsigned long uls_max_user_pinned_pages;

static struct uls_user *uls_user_get(struct user_struct *user)
{
	struct uls_user *uu;

	hash_for_each_possible(uls_users, uu, node, (unsigned long)user)
		if (uu->user == user)
			goto found;

	uu = kzalloc(sizeof(*uu), GFP_KERNEL_ACCOUNT);
	if (!uu)
		return NULL;
	uu->user = get_uid(user);
	hash_add(uls_users, &uu->node, (unsigned long)user);
found:
	uu->nr_mms++;
	return uu;
}

static void uls_user_put(struct uls_user *uu)
{
	if (--uu->nr_mms)
		return;
	WARN_ON_ONCE(uu->nr_charged || uu->nr_retired);
	hash_del(&uu->node);
	free_uid(uu->user);
	kfree(uu);
}

static struct uls_mm *uls_mm_get(struct mm_struct *mm)
{
	struct uls_mm *um;

	hash_for_each_possible(uls_mms, um, node, (unsigned long)mm)
		if (um->mm == mm)
			return um;

	um = kzalloc(sizeof(*um), GFP_KERNEL_ACCOUNT);
	if (!um)
		return NULL;
	um->uu = uls_user_get(current_user());
	if (!um->uu) {
		kfree(um);
		return NULL;
	}
	mmgrab(mm);
	um->mm = mm;
	xa_init(&um->pages);
	hash_add(uls_mms, &um->node, (unsigned long)mm);
	return um;
}

static void uls_mm_put_if_unused(struct uls_mm *um)
{
	if (um->nr_charged)
		return;
	hash_del(&um->node);
	xa_destroy(&um->pages);
	mmdrop(um->mm);
	uls_user_put(um->uu);
	kfree(um);
}

/*
 * Drop one pin of each of @pages[0 .. @nr) from @um's map; returns how
 * many pages are no longer pinned at all.
 */
static unsigned long uls_mm_unref(struct uls_mm *um, struct page **pages,
				  unsigned int nr)
{
	unsigned long freed = 0;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		unsigned long pfn = page_to_pfn(pages[i]);
		unsigned long n = xa_to_value(xa_load(&um->pages, pfn));

		if (WARN_ON_ONCE(!n))
			continue;
		if (n > 1) {
			xa_store(&um->pages, pfn, xa_mk_value(n - 1), 0);
		} else {
			xa_erase(&um->pages, pfn);
			freed++;
		}
	}
	return freed;
}

static void uls_uncharge_pages(struct uls_mm *um, unsigned long nr)
{
	um->nr_charged -= nr;
	um->uu->nr_charged -= nr;
	atomic64_sub(nr, &um->mm->pinned_vm);
	uls_stat_add(ULS_STAT_CHARGED_PAGES, -(long)nr);
}

/*
 * Charge the pages of @e to the current process and its user, which e->um
 * then names. Fails with EPERM where its memlock limit is 0 (as mlock()
 * would); with ENOMEM past that limit, the user's cap or the global cap;
 * and with EAGAIN while the user has max_user_retired registrations
 * waiting to be freed.
 */
int uls_account_charge(struct uls_entry *e)
{
	unsigned long added = 0, limit;
	struct uls_mm *um;
	unsigned int i;
	bool over;
	int ret;

	if (!can_do_mlock())
		return -EPERM;
	um = uls_mm_get(current->mm);
	if (!um)
		return -ENOMEM;
	if (um->uu->nr_retired >= READ_ONCE(uls_max_user_retired)) {
		uls_mm_put_if_unused(um);
		return -EAGAIN;
	}

	/* Count the pages this process has not pinned yet. */
	for (i = 0; i < e->nr_pages; i++) {
		unsigned long pfn = page_to_pfn(uls_entry_pages(e)[i]);
		unsigned long n = xa_to_value(xa_load(&um->pages, pfn));

		ret = xa_err(xa_store(&um->pages, pfn, xa_mk_value(n + 1),
				      GFP_KERNEL_ACCOUNT));
		if (ret)
			goto err_unref;
		if (!n)
			added++;
	}
	e->um = um;
	if (!added)
		return 0;
	um->nr_charged += added;
	um->uu->nr_charged += added;

	limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	over = atomic64_add_return(added, &current->mm->pinned_vm) > limit;
	over |= um->uu->nr_charged > READ_ONCE(uls_max_user_pinned_pages);
	if (over && !capable(CAP_IPC_LOCK)) {
		ret = -ENOMEM;
		goto err_uncharge;
	}
	if (atomic_long_add_return(added, &uls_stats[ULS_STAT_CHARGED_PAGES]) >
	    READ_ONCE(uls_max_pinned_pages)) {
		atomic_long_sub(added, &uls_stats[ULS_STAT_CHARGED_PAGES]);
		ret = -ENOMEM;
		goto err_uncharge;
	}
	return 0;

err_uncharge:
	um->nr_charged -= added;
	um->uu->nr_charged -= added;
	atomic64_sub(added, &current->mm->pinned_vm);
	uls_mm_unref(um, uls_entry_pages(e), e->nr_pages);
	uls_mm_put_if_unused(um);
	return ret;
err_unref:
	/* The pages before @i were counted in; the rest were not. */
	added -= uls_mm_unref(um, uls_entry_pages(e), i);
	WARN_ON_ONCE(added);
	uls_mm_put_if_unused(um);
	return ret;
}

void uls_account_uncharge(struct uls_entry *e)
{
	struct uls_mm *um = e->um;

	uls_uncharge_pages(um, uls_mm_unref(um, uls_entry_pages(e),
					    e->nr_pages));
	uls_mm_put_if_unused(um);
}

/* @e ended: its pin is held until uls_account_reaped(). */
void uls_account_retired(struct uls_entry *e)
{
	e->um->uu->nr_retired++;
}

/* @e's grace periods passed: uncharge it, and it no longer waits. */
void uls_account_reaped(struct uls_entry *e)
{
	e->um->uu->nr_retired--;
	uls_account_uncharge(e);
}

void uls_account_init(void)
{
	if (!uls_max_pinned_pages)
		uls_max_pinned_pages = totalram_pages() / 8;
	if (!uls_max_user_pinned_pages)
		uls_max_user_pinned_pages = uls_max_pinned_pages / 4;
}

void uls_account_exit(void)
{
	WARN_ON(!hash_empty(uls_mms));
	WARN_ON(!hash_empty(uls_users));
}

/* The process image @e was registered in: the mm its pages are charged to. */
struct mm_struct *uls_entry_mm(const struct uls_entry *e)
{
	return e->um->mm;
}
