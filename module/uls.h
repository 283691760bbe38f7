/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uls internals shared by the files of the module.
 */
#ifndef _ULS_H
#define _ULS_H

#include <linux/list.h>
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

/* Per open file of /dev/uls: the entries registered through it. */
struct uls_file {
	struct list_head entries;	/* of uls_entry.file_node */
};

/*
 * One registered region. What a BPF program reads (task, kaddr, len) is
 * written before the entry is published in the registry and never changes
 * afterwards: a new registration is a new entry.
 */
struct uls_entry {
	struct task_struct *task;	/* owner; the entry holds a reference */
	void *kaddr;			/* kernel address of byte 0 */
	u64 len;

	unsigned long uaddr;		/* reported by ULS_IOC_QUERY */
	struct uls_pin pin;

	struct uls_file *owner;
	struct list_head file_node;	/* under uls_registry_lock */

	struct rcu_head rcu;
	struct work_struct free_work;
};

/* registry.c */
extern struct xarray uls_registry;	/* task->pid -> struct uls_entry */
extern unsigned long uls_max_len;

int uls_registry_init(void);
void uls_registry_exit(void);
int uls_register_current(struct uls_file *uf, unsigned long uaddr, u64 len);
int uls_unregister_current(void);
int uls_query_current(unsigned long *uaddr, u64 *len);
void uls_release_file(struct uls_file *uf);
void uls_stats(u64 *nr_entries, u64 *nr_pinned_pages);

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
 * the entry exists.
 */
static __always_inline struct uls_entry *uls_entry_of(struct task_struct *task)
{
	struct uls_entry *e;
	pid_t pid;

	if (unlikely(!task) || !uls_task_pid(task, &pid) || pid <= 0)
		return NULL;
	e = xa_load(&uls_registry, pid);
	if (!e || e->task != task)
		return NULL;
	return e;
}

/* dev.c */
int uls_dev_init(void);
void uls_dev_exit(void);

/* kfuncs/kfuncs.c */
int uls_kfuncs_init(void);

#endif /* _ULS_H */
