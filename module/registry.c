// SPDX-License-Identifier: GPL-2.0
/*
 * The registry: one entry per registered thread, found by its task in
 * table.c's table, which the kfuncs read locklessly; and the life of each
 * entry, from its registration until it is freed.
 *
 * Whoever takes an entry out of the table retires it: a replacing
 * registration, unregister, the release of its file, or the gone work,
 * for a task that exited or exec'd. Writers serialize on
 * uls_registry_lock, which also protects each file's list of entries and
 * the page accounting. A retired entry is freed only after an
 * RCU-tasks-trace grace period (sleepable BPF programs) and then an RCU
 * grace period (all other BPF programs, and uls_task_gone()), and then
 * from a workqueue, because unmapping and unpinning sleep.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mutex.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include <uapi/linux/uls.h>

#include "uls.h"

DEFINE_MUTEX(uls_registry_lock);
static struct kmem_cache *uls_entry_cache;
static LLIST_HEAD(uls_retired);

/*
 * Entries whose task exited or exec'd: marked gone (room < 0) and queued
 * by uls_task_gone(), once each, for uls_gone_fn() to take out of the
 * table.
 */
static LLIST_HEAD(uls_gone_list);
static void uls_gone_fn(struct work_struct *work);
static DECLARE_WORK(uls_gone_work, uls_gone_fn);

/*
 * Registrations that ended, numbered in order (under uls_registry_lock),
 * and the number up to which all are freed: their memory is out of every
 * BPF program's reach, and its next owner safe from stores meant for the
 * last (ULS_IOC_INFO, ULS_IOC_WAIT_FREED; libuls quarantines its blocks
 * by them).
 */
static u64 uls_retire_seq, uls_freed_seq;
static DECLARE_WAIT_QUEUE_HEAD(uls_freed_wait);

/*
 * Retired entries wait this long for company, then for the grace periods
 * together: one pair of grace periods per batch, not per entry. Each grace
 * period costs every CPU something (RCU Tasks Trace even looks at every
 * CPU's current task), which a thread pool creating and ending threads
 * would otherwise pay per thread.
 */
#define ULS_REAP_DELAY	(HZ / 50)

/*
 * A thread that ends registrations faster than grace periods pass (one
 * that replaces its registration in a loop, on a kernel whose grace
 * periods are slow: PREEMPT_RT under load takes seconds) reaches
 * max_user_retired too. It waits for the reap instead, as long as reaps
 * end within this. Only grace periods that take longer (a sleepable
 * program stalled in a page fault) make it EAGAIN, and then at once for
 * every caller, until a reap ends: uls_reap_stalled_at is the freed
 * sequence number that the last wait in vain saw.
 */
#define ULS_REAP_WAIT	(5 * HZ)
static u64 uls_reap_stalled_at = U64_MAX;

static void uls_entry_free(struct uls_entry *e)
{
	unsigned int nr_pages = e->nr_pages;

	uls_unpin(e);
	kmem_cache_free(uls_entry_cache, e);
	/* Last, so that counts at zero mean everything is released. */
	uls_stat_add(ULS_STAT_PINNED_PAGES, -(long)nr_pages);
	uls_stat_add(ULS_STAT_ENTRIES, -1);
}

static void uls_reap_fn(struct work_struct *work)
{
	struct llist_node *batch;
	struct uls_entry *e, *tmp;
	u64 seq;

	/* Every entry retired up to @seq is in this batch or was before. */
	mutex_lock(&uls_registry_lock);
	seq = uls_retire_seq;
	batch = llist_del_all(&uls_retired);
	mutex_unlock(&uls_registry_lock);
	if (!batch)
		return;
	/*
	 * Sleepable BPF programs read under RCU Tasks Trace, the others and
	 * uls_task_gone() under RCU: once both grace periods have passed,
	 * none of them holds an entry of the batch.
	 */
	synchronize_rcu_tasks_trace();
	synchronize_rcu();

	/*
	 * But the gone work may: an entry marked gone that someone else took
	 * out of the table first is still on its list, or in the batch it is
	 * working through. uls_task_gone() queued the work inside the RCU
	 * read-side section that synchronize_rcu() waited for, so the work
	 * that lets go of every such entry of this batch is queued or
	 * running: one flush waits for it. (The tracepoints themselves need
	 * no waiting here: their probes only call uls_task_gone().)
	 */
	llist_for_each_entry(e, batch, free_node) {
		if (READ_ONCE(e->room) < 0) {
			flush_work(&uls_gone_work);
			break;
		}
	}

	mutex_lock(&uls_registry_lock);
	llist_for_each_entry(e, batch, free_node) {
		if (!list_empty(&e->file_node))
			list_del(&e->file_node);
		uls_account_reaped(e);
	}
	mutex_unlock(&uls_registry_lock);

	llist_for_each_entry_safe(e, tmp, batch, free_node)
		uls_entry_free(e);

	/* Whoever reads @seq (acquire) finds the batch freed. */
	smp_store_release(&uls_freed_seq, seq);
	wake_up_all(&uls_freed_wait);
}

static DECLARE_DELAYED_WORK(uls_reap_work, uls_reap_fn);

/*
 * Free @e once no BPF program can hold its address any more, counted as
 * ended for @why. Under uls_registry_lock; @e must already be out of the
 * table.
 */
static void uls_entry_retire(struct uls_entry *e, enum uls_stat why)
{
	lockdep_assert_held(&uls_registry_lock);
	/* Out of every monitor's view now; unpinned only after the reap. */
	if (unlikely(uls_nr_monitors))
		uls_monitor_retired(e);
	/*
	 * The task reference only keeps the table's key unique: no task can
	 * be allocated at @e->task's address while @e is in the table. Out of
	 * it, a lookup that still reaches @e (it read the slot before the
	 * removal) was given its task before that read, so before the
	 * removal: before this put, and so before any new task could take
	 * the address. Only ULS_IOC_LIST's walk dereferences @e->task, which
	 * the task's own reference keeps for it (uls_table_for_each()); the
	 * pages and @e itself are what the grace periods protect. Let go now, not at the reap: a
	 * thread pool would otherwise hold the task_struct of every thread
	 * that ended in the last 20 ms and more, and each new thread would
	 * take a cold one, from fresh slab pages.
	 */
	put_task_struct(e->task);
	WRITE_ONCE(uls_retire_seq, uls_retire_seq + 1);
	uls_account_retired(e);
	uls_stat_add(why, 1);
	llist_add(&e->free_node, &uls_retired);
	queue_delayed_work(uls_wq, &uls_reap_work, ULS_REAP_DELAY);
}

/* How an entry marked gone ended: its room says which. */
static enum uls_stat uls_gone_why(s32 room)
{
	return room == ULS_ROOM_EXECED ? ULS_STAT_EXECED : ULS_STAT_EXITED;
}

/*
 * How @e ended, which its taker took out of the table for @why: when its
 * task exited or exec'd, if that came first, whoever came to take it.
 */
static enum uls_stat uls_entry_why(const struct uls_entry *e,
				   enum uls_stat why)
{
	s32 room = READ_ONCE(e->room);

	return room < 0 ? uls_gone_why(room) : why;
}

/*
 * Which process image the calling thread runs. Exec keeps the tgid, and
 * the leader's start_time (de_thread() gives the exec'ing thread the old
 * leader's), but increments the exec'ing thread's self_exec_id, which the
 * threads it creates then inherit: the three together tell apart a
 * process and what it execs later, and a pid reused.
 */
u64 uls_image_of_current(void)
{
	u64 h;

	h = (READ_ONCE(current->group_leader)->start_time ^
	     (u32)current->tgid) * GOLDEN_RATIO_64;
	h = (h ^ (h >> 32) ^ current->self_exec_id) * 0xbf58476d1ce4e5b9ULL;
	h >>= 64 - ULS_IMAGE_BITS;
	return h ?: 1;
}

/*
 * Wait until the reap frees another batch, having seen @freed under
 * uls_registry_lock with the caller's user at max_user_retired: some of
 * its registrations wait, so a reap that has not accounted for them yet
 * is running or queued, and stores a freed sequence number past @freed
 * when it ends. 0 once it has; -EAGAIN if it did not within
 * ULS_REAP_WAIT, or the last wait saw no reap end since @freed either;
 * -EINTR for a fatal signal.
 */
static int uls_reap_wait(u64 freed)
{
	long left;

	if (freed == READ_ONCE(uls_reap_stalled_at))
		return -EAGAIN;
	mod_delayed_work(uls_wq, &uls_reap_work, 0);
	left = wait_event_killable_timeout(uls_freed_wait,
					   READ_ONCE(uls_freed_seq) != freed,
					   ULS_REAP_WAIT);
	if (left < 0)
		return -EINTR;
	if (!left) {
		WRITE_ONCE(uls_reap_stalled_at, freed);
		return -EAGAIN;
	}
	return 0;
}

int uls_register_current(struct uls_file *uf, unsigned long uaddr, u64 len,
			 u32 flags)
{
	struct uls_entry *e, *old, *cur;
	int ret;

	e = kmem_cache_zalloc(uls_entry_cache, GFP_KERNEL);
	if (!e)
		return -ENOMEM;

	ret = uls_pin_range(e, uaddr, len);
	if (ret)
		goto err_free;
	e->room = len;
	e->uaddr = uaddr;
	e->image8 = uls_image_of_current() << ULS_IMAGE_ROW_SHIFT;
	e->task = get_task_struct(current);
	INIT_LIST_HEAD(&e->file_node);

retry:
	mutex_lock(&uls_registry_lock);
	/*
	 * Only this thread registers for itself, so what it finds here stays
	 * until the insert (or leaves, if a file is released meanwhile).
	 */
	if (flags & ULS_REGISTER_EXCL) {
		cur = uls_entry_of(current);
		if (cur && cur->uaddr != uaddr) {
			ret = -EBUSY;
			goto err_unlock;
		}
	}
	ret = uls_account_charge(e);
	if (ret == -EAGAIN) {
		/* Too many wait to be freed: wait for the reap. */
		u64 freed = READ_ONCE(uls_freed_seq);

		mutex_unlock(&uls_registry_lock);
		ret = uls_reap_wait(freed);
		if (!ret)
			goto retry;
		goto err_put;
	}
	if (ret)
		goto err_unlock;
	ret = uls_table_insert(e, &old);
	if (ret)
		goto err_uncharge;
	list_add(&e->file_node, &uf->entries);
	uls_stat_add(ULS_STAT_ENTRIES, 1);
	uls_stat_add(ULS_STAT_PINNED_PAGES, e->nr_pages);
	uls_stat_add(ULS_STAT_REGISTERED, 1);
	/*
	 * The thread's previous registration, or the one its old image made
	 * before an exec that the gone work has not taken out yet, is now
	 * unreachable; readers that already hold it keep it alive until the
	 * grace periods end.
	 */
	if (old)
		uls_entry_retire(old, uls_entry_why(old, ULS_STAT_REPLACED));
	if (unlikely(uls_nr_monitors))
		uls_monitor_registered(e);
	mutex_unlock(&uls_registry_lock);
	return 0;

err_uncharge:
	uls_account_uncharge(e);
err_unlock:
	mutex_unlock(&uls_registry_lock);
err_put:
	put_task_struct(e->task);
	uls_unpin(e);
err_free:
	kmem_cache_free(uls_entry_cache, e);
	return ret;
}

int uls_unregister_current(void)
{
	struct uls_entry *e;
	int ret = -ENOENT;

	mutex_lock(&uls_registry_lock);
	e = uls_entry_of(current);
	if (e && uls_table_remove(e)) {
		uls_entry_retire(e, uls_entry_why(e, ULS_STAT_UNREGISTERED));
		ret = 0;
	}
	mutex_unlock(&uls_registry_lock);
	return ret;
}

int uls_query_current(unsigned long *uaddr, u64 *len)
{
	struct uls_entry *e;
	int ret = -ENOENT;

	rcu_read_lock();
	e = uls_entry_of(current);
	if (e) {
		*uaddr = e->uaddr;
		*len = e->room;
		ret = 0;
	}
	rcu_read_unlock();
	return ret;
}

void uls_seqs(u64 *retired, u64 *freed)
{
	*retired = READ_ONCE(uls_retire_seq);
	/* Pairs with the release in uls_reap_fn(). */
	*freed = smp_load_acquire(&uls_freed_seq);
}

/*
 * Wait until every registration that ended up to @seq (a retire number
 * ULS_IOC_INFO reported) is freed. Killable; the batching delay is cut
 * short, the grace periods are not.
 */
int uls_wait_freed(u64 seq)
{
	if (seq > READ_ONCE(uls_retire_seq))
		return -EINVAL;
	/* Both pair with the release in uls_reap_fn(). */
	if (smp_load_acquire(&uls_freed_seq) >= seq)
		return 0;
	mod_delayed_work(uls_wq, &uls_reap_work, 0);
	return wait_event_killable(uls_freed_wait,
				   /* as above */
				   smp_load_acquire(&uls_freed_seq) >= seq);
}

/*
 * The file is going away: so do the entries registered through it. Those
 * already retired by someone else only leave the list, which the file
 * takes with it.
 */
void uls_release_file(struct uls_file *uf)
{
	struct uls_entry *e, *tmp;

	mutex_lock(&uls_registry_lock);
	list_for_each_entry_safe(e, tmp, &uf->entries, file_node) {
		list_del_init(&e->file_node);
		if (!uls_table_remove(e))
			continue;
		uls_entry_retire(e, uls_entry_why(e, ULS_STAT_RELEASED));
	}
	mutex_unlock(&uls_registry_lock);
}

/*
 * The task of each entry on the gone list exited or exec'd: take those
 * still in the table out. uls_reap_fn() frees none of them before this is
 * done with it, whoever retired it.
 */
static void uls_gone_fn(struct work_struct *work)
{
	struct llist_node *batch = llist_del_all(&uls_gone_list);
	struct uls_entry *e, *tmp;

	llist_for_each_entry_safe(e, tmp, batch, gone_node) {
		mutex_lock(&uls_registry_lock);
		if (uls_table_remove(e))
			uls_entry_retire(e, uls_gone_why(READ_ONCE(e->room)));
		mutex_unlock(&uls_registry_lock);
	}
}

/*
 * @task exited (@why is ULS_ROOM_EXITED) or exec'd (ULS_ROOM_EXECED):
 * lifecycle.c's tracepoint probes say so. Its entry, if it has one, is
 * dead to every lookup from here on. A probe may not sleep, and the
 * registry's writers hold a mutex: so only mark the entry, lock-free, and
 * queue it for the gone work.
 *
 * Entries are found by task, so a thread that gets a dead one's pid
 * meanwhile has nothing to do with its entry; the exec'd image of the task
 * itself can register again, and replaces it.
 *
 * Tracepoint probes ran with preemption disabled until 7.0. Since commit
 * a46023d5616e ("tracing: Guard __DECLARE_TRACE() use of __DO_TRACE_CALL()
 * with SRCU-fast") they run under SRCU-fast, preemptibly, which is no RCU
 * read-side section: the reap's synchronize_rcu() would not wait for a
 * probe holding an entry, or a slot array it is searching. So this takes
 * rcu_read_lock() itself, on every kernel, around everything it does with
 * them: that makes it one of the readers the reap and the table's frees
 * wait for, and no other wait for the probes is needed before a free.
 */
void uls_task_gone(struct task_struct *task, s32 why)
{
	struct uls_entry *e;
	s32 room;

	rcu_read_lock();
	e = uls_table_find(task);
	/*
	 * Dead to lookups from here on, and queued once: the first end (exec,
	 * then perhaps exit) is the one that counts. Not registered (the
	 * empty slot's stand-in), or gone already: room is negative.
	 */
	room = READ_ONCE(e->room);
	do {
		if (room < 0)
			goto out;
	} while (!try_cmpxchg(&e->room, &room, why));
	llist_add(&e->gone_node, &uls_gone_list);
	queue_work(uls_wq, &uls_gone_work);
out:
	rcu_read_unlock();
}

int uls_registry_init(void)
{
	/* Charged to the registering task's memory cgroup, like the pins. */
	uls_entry_cache = KMEM_CACHE(uls_entry, SLAB_ACCOUNT);
	return uls_entry_cache ? 0 : -ENOMEM;
}

/*
 * Every file is closed by now (each holds a module reference), so every
 * entry is out of the table; and main.c took the exit and exec probes
 * down first, so nothing queues the gone work again. Let it finish, then
 * free every retired entry, now.
 */
void uls_registry_exit(void)
{
	flush_work(&uls_gone_work);
	flush_delayed_work(&uls_reap_work);
	kmem_cache_destroy(uls_entry_cache);
}
