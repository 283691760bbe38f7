/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uls internals shared by the files of the module.
 */
#ifndef _ULS_H
#define _ULS_H

#include <linux/list.h>
#include <linux/llist.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

/* pin.c: a user range pinned and mapped in the kernel */
struct uls_pin {
	struct page **pages;
	unsigned int nr_pages;
	void *vaddr;			/* vmap() base, NULL for one page */
};

int uls_pin_range(unsigned long uaddr, u64 len, struct uls_pin *pin,
		  void **kaddr);
void uls_unpin(struct uls_pin *pin);

/* account.c: pinned pages charged to the registering process */
struct uls_mm;

extern unsigned long uls_max_pinned_pages;

int uls_account_charge(const struct uls_pin *pin, struct uls_mm **ump);
void uls_account_uncharge(struct uls_mm *um, const struct uls_pin *pin);
void uls_account_init(void);
void uls_account_exit(void);

/* Per open file of /dev/uls: the entries registered through it. */
struct uls_file {
	struct list_head entries;	/* of uls_entry.file_node */
};

/* uls_entry.flags */
enum {
	ULS_ENTRY_GONE,			/* its task exited or exec'd */
	ULS_ENTRY_EXEC,			/* ... and it was exec */
};

/*
 * One registered region. What a BPF program reads (task, kaddr, len) is
 * written before the entry is published in the registry and never changes
 * afterwards: a new registration is a new entry.
 *
 * Whoever takes an entry out of the registry (replace, unregister, file
 * release, exit or exec) retires it; the others find it gone and leave it.
 */
struct uls_entry {
	struct task_struct *task;	/* owner; the entry holds a reference */
	void *kaddr;			/* kernel address of byte 0 */
	u64 len;
	unsigned long flags;		/* ULS_ENTRY_* bits */

	/*
	 * Registry index: the task's pid when it registered. A thread that
	 * execs from a non-leader takes its leader's pid, so task->pid may
	 * no longer lead here.
	 */
	pid_t pid;
	struct llist_node gone_node;	/* lifecycle.c's queue of the dead */

	unsigned long uaddr;		/* reported by ULS_IOC_QUERY */
	struct uls_pin pin;
	struct uls_mm *um;		/* whom the pages are charged to */

	/* Under uls_registry_lock; emptied by file release or the free. */
	struct list_head file_node;

	struct rcu_head rcu;
	struct work_struct free_work;
};

/* registry.c */
extern struct xarray uls_registry;	/* uls_entry.pid -> struct uls_entry */
extern unsigned long uls_max_len;

int uls_registry_init(void);
void uls_registry_exit(void);
int uls_register_current(struct uls_file *uf, unsigned long uaddr, u64 len);
int uls_unregister_current(void);
int uls_query_current(unsigned long *uaddr, u64 *len);
void uls_release_file(struct uls_file *uf);
void uls_drop_gone(struct uls_entry *e);

/* lifecycle.c: exit and exec */
int uls_lifecycle_init(void);
void uls_lifecycle_exit(void);
void uls_lifecycle_sync(struct uls_entry *e);

/* stats.c: counters for ULS_IOC_INFO and sysfs */
enum uls_stat {
	ULS_STAT_ENTRIES,		/* alive, including those being freed */
	ULS_STAT_PINNED_PAGES,		/* page pins held by entries */
	ULS_STAT_CHARGED_PAGES,		/* distinct pages charged, all mms */
	ULS_STAT_REGISTERED,		/* successful registrations, ever */
	ULS_STAT_UNREGISTERED,
	ULS_STAT_REPLACED,
	ULS_STAT_RELEASED,		/* by closing the file */
	ULS_STAT_EXITED,
	ULS_STAT_EXECED,
	ULS_STAT_FAILED_EINVAL,
	ULS_STAT_FAILED_E2BIG,
	ULS_STAT_FAILED_EOVERFLOW,
	ULS_STAT_FAILED_EFAULT,
	ULS_STAT_FAILED_EPERM,
	ULS_STAT_FAILED_ENOMEM,
	ULS_STAT_FAILED_EOPNOTSUPP,
	ULS_STAT_FAILED_OTHER,
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
 * The entry of @task, or NULL. Callable from any context, including NMI and
 * BPF programs on any hook: no locks, no allocations. The caller must be
 * in an RCU or RCU-tasks-trace read-side section (every BPF program is) to
 * use the result; entries are freed only after both grace periods.
 *
 * @task may come from a pointer walk the verifier could not vouch for (on
 * kernels without KF_RCU), so it is read through uls_task_pid(), and the
 * entry is matched by task pointer: a recycled pid, or a new task at a dead
 * one's address, can never reach another thread's entry, because the entry
 * holds a reference on its task, so that address cannot be reused while
 * the entry exists. The exec'd image of the task itself is the same task
 * pointer: the GONE bit keeps it from its old registration.
 */
static __always_inline struct uls_entry *uls_entry_of(struct task_struct *task)
{
	struct uls_entry *e;
	pid_t pid;

	if (unlikely(!task) || !uls_task_pid(task, &pid) || pid <= 0)
		return NULL;
	e = xa_load(&uls_registry, pid);
	/*
	 * An entry whose task exited or exec'd is dead from that moment on,
	 * though it leaves the registry only when lifecycle.c's work runs.
	 */
	if (!e || e->task != task ||
	    test_bit(ULS_ENTRY_GONE, &e->flags))
		return NULL;
	return e;
}

/* dev.c */
int uls_dev_init(void);
void uls_dev_exit(void);

/* kfuncs/kfuncs.c */
int uls_kfuncs_init(void);

#endif /* _ULS_H */
