/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uls internals shared by the files of the module.
 */
#ifndef _ULS_H
#define _ULS_H

#include <linux/hash.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
/* 7.x rcupdate_trace.h uses SRCU without including it. */
#include <linux/srcu.h>
#include <linux/rcupdate_trace.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

struct uls_entry;

/* pin.c: the registered range pinned and mapped in the kernel */
int uls_pin_range(struct uls_entry *e, unsigned long uaddr, u64 len);
void uls_unpin(struct uls_entry *e);

/* account.c: pinned pages charged to the registering process */
struct uls_mm;

extern unsigned long uls_max_pinned_pages;
extern unsigned long uls_max_user_pinned_pages;

/*
 * Registrations of one user that ended and wait for their grace periods:
 * past this many, the user's next registration waits for a reap, or
 * fails with EAGAIN if none ends soon (uls_reap_wait()), and the reap's
 * delay is cut short. Each holds a page pin, and a page's pin count
 * overflows at about 2 million: a user re-registering one page in a loop
 * while a stalled sleepable program holds up every reap must not get there.
 * The max_user_retired parameter (main.c) sets the bound: this by default,
 * at most half of that count.
 */
#define ULS_MAX_USER_RETIRED		65536
#define ULS_MAX_USER_RETIRED_LIMIT	(1UL << 20)

int uls_account_charge(struct uls_entry *e);
void uls_account_uncharge(struct uls_entry *e);
void uls_account_retired(struct uls_entry *e);
void uls_account_reaped(struct uls_entry *e);
void uls_account_init(void);
void uls_account_exit(void);
struct mm_struct *uls_entry_mm(const struct uls_entry *e);

/* Per open file of /dev/uls: the entries registered through it. */
struct uls_file {
	struct list_head entries;	/* of uls_entry.file_node */
};

/*
 * uls_entry.room once the task is gone: negative, so that the kfuncs'
 * one size check also refuses every request.
 */
enum {
	ULS_ROOM_EXITED = -1,
	ULS_ROOM_EXECED = -2,
};

/*
 * One registered region. What a BPF program reads (task, kaddr, room, and
 * uaddr and image8 for some kfuncs) is written before the entry is
 * published in the table and never changes afterwards, but for room
 * turning negative when the task exits or execs: a new registration is a
 * new entry.
 *
 * Whoever takes an entry out of the table (replace, unregister, file
 * release, exit or exec) retires it; the others find it gone and leave it.
 * 80 bytes: with its share of the table, under 128 per registration.
 */
struct uls_entry {
	/* The lookup reads these three, from one cache line, and no more. */
	struct task_struct *task;	/* owner; referenced while in the table */
	void *kaddr;			/* kernel address of byte 0 */
	s32 room;			/* registered length (at most 1 GiB) */

	u32 nr_pages;			/* pinned for it */
	u64 image8;			/* uls_image_of_current() << 3, at registration */
	union {
		struct page *page;	/* nr_pages == 1: no array to allocate */
		struct page **pages;	/* more, mapped with vmap() */
	};
	unsigned long uaddr;		/* as registered, for queries and BPF */
	struct uls_mm *um;		/* whom the pages are charged to */
	struct llist_node gone_node;	/* on the gone list (registry.c) */

	/* Under uls_registry_lock; emptied by file release or the free. */
	struct list_head file_node;

	struct llist_node free_node;	/* retired: waiting to be freed */
};

static inline struct page **uls_entry_pages(struct uls_entry *e)
{
	return e->nr_pages == 1 ? &e->page : e->pages;
}

/*
 * A process image's id, in ULS_IMAGE_BITS bits and never 0, for
 * bpf_uls_key_get()'s cache rows (kfuncs.c): its low 8 bits choose the
 * image's row (in a cache of up to 256), the 32 above are the tag that a
 * row keeps of the image that wrote it.
 */
#define ULS_IMAGE_BITS		40
/*
 * An entry keeps its image times 8, a row's byte offset in a cache of
 * __u64 rows: the kfunc masks it with the cache's size and adds it, and
 * the hit path has no shift.
 */
#define ULS_IMAGE_ROW_SHIFT	3
u64 uls_image_of_current(void);

/* main.c: the module's parameters and workqueue */
extern unsigned long uls_max_len;
extern unsigned long uls_max_user_retired;
extern struct workqueue_struct *uls_wq;	/* the module's work, unbound */

/* registry.c: the entries and their life, from registration to free */
extern struct mutex uls_registry_lock;

int uls_registry_init(void);
void uls_registry_exit(void);
int uls_register_current(struct uls_file *uf, unsigned long uaddr, u64 len,
			 u32 flags);
int uls_unregister_current(void);
int uls_query_current(unsigned long *uaddr, u64 *len);
void uls_release_file(struct uls_file *uf);
void uls_task_gone(struct task_struct *task, s32 why);
void uls_seqs(u64 *retired, u64 *freed);
int uls_wait_freed(u64 seq);

/*
 * table.c: entries by task. uls_table_word is the table's slot array,
 * aligned to 64 bytes, plus in its low bits the shift that turns a hash
 * into a slot index: one load gives a reader both, consistently.
 */
#define ULS_TABLE_SHIFT_MASK	63UL

extern unsigned long uls_table_word;
extern struct uls_entry uls_empty, uls_tombstone;

int uls_table_insert(struct uls_entry *e, struct uls_entry **old);
bool uls_table_remove(struct uls_entry *e);
unsigned long uls_table_slots(void);
void uls_table_for_each(void (*fn)(struct uls_entry *e, s32 room, void *arg),
			void *arg);
void uls_table_exit(void);
#ifdef ULS_DEBUG
bool uls_table_selftest(void);
bool uls_keys_selftest(void);	/* kfuncs.c */
#endif

static __always_inline unsigned long uls_table_hash(const void *task,
						    unsigned int shift)
{
	return ((unsigned long)task * (unsigned long)GOLDEN_RATIO_64) >> shift;
}

/*
 * The entry of @task, live or gone, else &uls_empty (gone too): callers
 * check room, as they must anyway, and nothing else. Callable from any context,
 * including NMI and BPF programs on any hook: no locks, no calls, no
 * allocations, and @task is never dereferenced, so any value is safe
 * (6.1 lets programs pass task pointers walked through memory). The
 * caller must be in an RCU or RCU-tasks-trace read-side section (every
 * BPF program is) to use the result; entries and tables are freed only
 * after both grace periods. The table always has an empty slot, which
 * ends every search.
 */
static __always_inline struct uls_entry *uls_table_find(const struct task_struct *task)
{
	unsigned long w = READ_ONCE(uls_table_word);
	struct uls_entry **slots = (struct uls_entry **)(w & ~ULS_TABLE_SHIFT_MASK);
	unsigned int shift = w & ULS_TABLE_SHIFT_MASK;
	unsigned long i = uls_table_hash(task, shift);
	struct uls_entry *e = READ_ONCE(slots[i]);

	/*
	 * BPF programs, the probes and queries read under RCU or RCU Tasks
	 * Trace; writers hold the lock that keeps the table as it is.
	 * Compiled out without lockdep: the kfuncs' path stays as it is.
	 */
	RCU_LOCKDEP_WARN(!rcu_read_lock_any_held() && !rcu_read_lock_trace_held() &&
			 !lockdep_is_held(&uls_registry_lock),
			 "uls: table lookup outside RCU and the registry lock");

	/* Most searches end at the first slot: keep the rest out of line. */
	while (unlikely(e->task != task) && e != &uls_empty) {
		i = (i + 1) & (~0UL >> shift);
		e = READ_ONCE(slots[i]);
	}
	return e;
}

/*
 * The entry in the first slot that uls_table_find() looks at for @task,
 * which may be another task's or &uls_empty: for a caller that does the
 * rest of the search out of line.
 */
static __always_inline struct uls_entry *uls_table_first(const struct task_struct *task)
{
	unsigned long w = READ_ONCE(uls_table_word);
	struct uls_entry **slots = (struct uls_entry **)(w & ~ULS_TABLE_SHIFT_MASK);

	RCU_LOCKDEP_WARN(!rcu_read_lock_any_held() && !rcu_read_lock_trace_held() &&
			 !lockdep_is_held(&uls_registry_lock),
			 "uls: table lookup outside RCU and the registry lock");
	return READ_ONCE(slots[uls_table_hash(task, w & ULS_TABLE_SHIFT_MASK)]);
}

/*
 * The live entry of @task, or NULL. An entry whose task exited or exec'd
 * is dead from that moment on, though it leaves the table only when
 * registry.c's gone work runs.
 */
static __always_inline struct uls_entry *uls_entry_of(const struct task_struct *task)
{
	struct uls_entry *e = uls_table_find(task);

	return READ_ONCE(e->room) >= 0 ? e : NULL;
}

/* lifecycle.c: the exit and exec hooks, which call uls_task_gone() */
int uls_lifecycle_init(void);
void uls_lifecycle_exit(void);

/* stats.c: counters for ULS_IOC_INFO and sysfs, listed in stats.h */
enum uls_stat {
#define ULS_STAT(NAME, ...)		ULS_STAT_##NAME,
#define ULS_STAT_FAILED(ERRNO, ...)	ULS_STAT(FAILED_##ERRNO)
#include "stats.h"
	ULS_STAT_NR,
};

extern atomic_long_t uls_stats[ULS_STAT_NR];
extern const struct attribute_group *uls_stats_groups[];

static inline void uls_stat_add(enum uls_stat s, long n)
{
	atomic_long_add(n, &uls_stats[s]);
}

static inline long uls_stat_read(enum uls_stat s)
{
	return atomic_long_read(&uls_stats[s]);
}

void uls_stat_failed(int err);

/*
 * monitor.c: the monitor view. Registration tells it of each entry that
 * comes and goes, under uls_registry_lock, only while a monitor exists:
 * uls_nr_monitors is read under that lock.
 */
#define ULS_MONITOR_MAX_ENTRIES		16384
#define ULS_MONITOR_MAX_ENTRIES_LIMIT	(1UL << 20)

struct uls_monitor_args;
extern unsigned long uls_monitor_max_entries;
extern unsigned int uls_nr_monitors;

int uls_monitor_open(struct uls_monitor_args __user *uarg);
void uls_monitor_registered(struct uls_entry *e);
void uls_monitor_retired(struct uls_entry *e);

/* dev.c */
int uls_dev_init(void);
void uls_dev_exit(void);

/* kfuncs/kfuncs.c */
int uls_kfuncs_init(void);

#endif /* _ULS_H */
