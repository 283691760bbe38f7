// SPDX-License-Identifier: GPL-2.0
/*
 * The monitor view (ULS_IOC_MONITOR): a file whose read-only mapping shows
 * the registrations of one process, or of all, to another process, which
 * then reads them with plain loads: an index at the view's start, then
 * each registration's pinned pages: in a slot of its own if it spans
 * several pages, else in a page of the pages area that shows each memory
 * page once, however many registrations lie in it. Libraries pack many
 * threads' small areas into one page (libuls's uls_area()), and a tool
 * reading all of them then touches a page per 64 threads, not one per
 * thread: each page touched costs a TLB miss.
 *
 * Each monitor has an inode of its own, from a pseudo file system of this
 * module, so that unmap_mapping_range() on it reaches exactly the mappings
 * of that monitor and no one else's (the kernel's shared anonymous inode
 * would zap every other user's too).
 *
 * The registered pages are inserted lazily, on fault, as PFN mappings
 * (VM_PFNMAP): they are another process's anonymous or shmem pages, which
 * vm_insert_page() refuses and a file mapping may not own. A PFN mapping
 * takes no reference, so what keeps it safe is the order of the end of a
 * registration: its slot is emptied and unmapped from every monitor when
 * it is retired (registry.c, under uls_registry_lock), and its pages are
 * unpinned only later, after the grace periods. The fault path inserts a
 * page only under the monitor's lock, which the unmapping holds for
 * writing: once the slot is emptied, no fault can map the old pages again.
 * A slot without a registration maps the zero page, so a reader racing an
 * end reads zeroes, never faults. The index's own pages are vmalloc'ed and
 * freed only when the file is released, after its last mapping is gone.
 *
 * Who may watch: a process only if the caller could ptrace-read it
 * (PTRACE_MODE_READ_FSCREDS). Modules cannot call ptrace_may_access() or
 * the LSM hook behind it (neither is exported, on 6.1 as on 7.2), so the
 * check is the kernel's own, as /proc/PID/maps makes it at open: this
 * opens that file, with the caller's credentials, in a procfs instance of
 * its own (for the caller's pid namespace), where no mount of the
 * caller's can stand in its way. All processes: CAP_SYS_ADMIN, as for
 * ULS_IOC_LIST.
 *
 * All updates of the index happen under uls_registry_lock; while no
 * monitor exists, registration pays one test of uls_nr_monitors.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/pseudo_fs.h>
#include <linux/rwsem.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include <uapi/linux/uls.h>

#include "uls.h"

#define ULS_MON_FS_MAGIC	0x756c736d
#define ULS_MON_NONE		U32_MAX
/* The monitor_max_entries parameter's ceiling (main.c). */

unsigned long uls_monitor_max_entries = ULS_MONITOR_MAX_ENTRIES;
unsigned int uls_nr_monitors;

/*
 * The monitors, under uls_registry_lock: those of all processes on a
 * list, the others hashed by the process image they watch. A
 * registration visits only the monitors that may show it, however many
 * monitors other users open on their own processes.
 */
static LIST_HEAD(uls_monitors_all);
static DEFINE_HASHTABLE(uls_monitors_by_mm, 6);

/* The pseudo file system of the monitors' inodes, mounted while any is. */
static struct vfsmount *uls_mon_mnt;
static int uls_mon_mnt_count;

struct uls_mon_slot {
	struct uls_entry *e;	/* shown here, NULL if free; faults read it */
	s32 tid;		/* the tid hash's key for this slot */
	u32 next_free;		/* the free list, while free */
	u32 page;		/* its page in the pages area, or ULS_MON_NONE */
};

/*
 * A page of the pages area: the memory page it shows, pinned by every
 * registration counted in @refs (each shown in this monitor), so that it
 * cannot be unpinned while it is mapped here.
 */
struct uls_mon_page {
	struct page *page;	/* NULL if free; faults read it */
	u32 refs;		/* registrations shown in it */
	u32 next_free;		/* the free list, while free */
};

struct uls_monitor {
	union {
		struct list_head all_node;	/* in uls_monitors_all */
		struct hlist_node mm_node;	/* in uls_monitors_by_mm */
	};
	/*
	 * The process image watched, held with mmgrab() so that its address
	 * is no other's while the monitor compares it; NULL: all.
	 */
	struct mm_struct *mm;
	struct pid_namespace *ns;	/* whose pids the index shows */
	struct inode *inode;
	/* slots[].e, pages[].page and the mapped bitmaps against faults */
	struct rw_semaphore lock;

	void *view;			/* the index: header, entries, hash */
	size_t view_bytes;
	struct uls_monitor_header *hdr;
	struct uls_monitor_entry *entries;
	u32 *tid_hash;			/* user-visible: tid -> slot + 1 */
	u32 *ptr_hash;			/* kernel only: entry -> slot + 1 */
	u32 *page_hash;			/* kernel only: page -> index + 1 */
	struct uls_mon_slot *slots;
	struct uls_mon_page *pages;	/* nr_slots: one per live slot at most */
	unsigned long *mapped;		/* slots that may have page tables */
	unsigned long *pages_mapped;	/* pages[] that may have them */
	size_t kernel_bytes;		/* all of the above, counted */

	u32 nr_slots, hash_bits, free_head, page_free_head;
	u64 regions_offset, pages_offset, stride, view_size, gen;
};

/* --- the two hashes: open addressing, linear probing ------------------- */

typedef u32 (*uls_mon_bucket_fn)(const struct uls_monitor *m, u32 slot);

static u32 uls_mon_tid_bucket(const struct uls_monitor *m, u32 slot)
{
	return uls_monitor_hash(m->slots[slot].tid, m->hash_bits);
}

static u32 uls_mon_ptr_bucket(const struct uls_monitor *m, u32 slot)
{
	return hash_ptr(m->slots[slot].e, m->hash_bits);
}

static u32 uls_mon_page_bucket(const struct uls_monitor *m, u32 i)
{
	return hash_ptr(m->pages[i].page, m->hash_bits);
}

/*
 * Put @slot (or a page's index) in @t. In the tid hash a slot of the same tid gives up its
 * bucket: the newer registration of a tid is the one found (an exited
 * thread's entry may linger until the gone work retires it, while its tid
 * is given to a new thread).
 */
static void uls_mon_hash_add(struct uls_monitor *m, u32 *t,
			     uls_mon_bucket_fn bucket, bool by_tid, u32 slot)
{
	u32 mask = (1U << m->hash_bits) - 1;
	u32 i, v;

	for (i = bucket(m, slot); (v = t[i]); i = (i + 1) & mask)
		if (by_tid && m->slots[v - 1].tid == m->slots[slot].tid)
			break;
	WRITE_ONCE(t[i], slot + 1);
}

/*
 * Take @slot out of @t, if there, and move the buckets after it back so
 * that no search stops short (Knuth's algorithm R): no tombstones, so
 * searches stay short however many registrations come and go.
 */
static void uls_mon_hash_del(struct uls_monitor *m, u32 *t,
			     uls_mon_bucket_fn bucket, u32 slot)
{
	u32 mask = (1U << m->hash_bits) - 1;
	u32 i, j, k;

	for (i = bucket(m, slot); t[i] != slot + 1; i = (i + 1) & mask)
		if (!t[i])
			return;
	for (j = i;;) {
		j = (j + 1) & mask;
		if (!t[j])
			break;
		k = bucket(m, t[j] - 1);
		/* Can t[j] move to i: is k outside (i, j], cyclically? */
		if (i < j ? (k <= i || k > j) : (k <= i && k > j)) {
			WRITE_ONCE(t[i], t[j]);
			i = j;
		}
	}
	WRITE_ONCE(t[i], 0);
}

static u32 uls_mon_slot_of(const struct uls_monitor *m,
			   const struct uls_entry *e)
{
	u32 mask = (1U << m->hash_bits) - 1;
	u32 i, v;

	for (i = hash_ptr(e, m->hash_bits); (v = m->ptr_hash[i]);
	     i = (i + 1) & mask)
		if (m->slots[v - 1].e == e)
			return v - 1;
	return ULS_MON_NONE;
}

static u32 uls_mon_page_of(const struct uls_monitor *m, struct page *page)
{
	u32 mask = (1U << m->hash_bits) - 1;
	u32 i, v;

	for (i = hash_ptr(page, m->hash_bits); (v = m->page_hash[i]);
	     i = (i + 1) & mask)
		if (m->pages[v - 1].page == page)
			return v - 1;
	return ULS_MON_NONE;
}

/*
 * Readers retry while a sequence count is odd, or if it changed: the
 * write side of a seqcount, in memory user space maps. Only the registry's
 * lock holder writes.
 */
static void uls_mon_seq_begin(u32 *seq)
{
	WRITE_ONCE(*seq, *seq + 1);
	/* The count is odd before any field changes (the reader's rmb). */
	smp_wmb();
}

static void uls_mon_seq_end(u32 *seq)
{
	/* Every field is written before the count is even again. */
	smp_wmb();
	WRITE_ONCE(*seq, *seq + 1);
}

/* --- updates, under uls_registry_lock --------------------------------- */

static loff_t uls_mon_slot_offset(const struct uls_monitor *m, u32 slot)
{
	return m->regions_offset + (u64)slot * m->stride;
}

/* Remove the slot's page table entries: a fault maps it anew. */
static void uls_mon_zap(struct uls_monitor *m, u32 slot)
{
	if (test_and_clear_bit(slot, m->mapped))
		unmap_mapping_range(m->inode->i_mapping,
				    uls_mon_slot_offset(m, slot), m->stride, 1);
}

static loff_t uls_mon_page_offset(const struct uls_monitor *m, u32 i)
{
	return m->pages_offset + ((u64)i << PAGE_SHIFT);
}

static void uls_mon_zap_page(struct uls_monitor *m, u32 i)
{
	if (test_and_clear_bit(i, m->pages_mapped))
		unmap_mapping_range(m->inode->i_mapping,
				    uls_mon_page_offset(m, i), PAGE_SIZE, 1);
}

/*
 * The pages area's page that shows @page, taken for one more
 * registration: the one that shows it already, or a free one. Under
 * m->lock for writing if @published. There is always a free one: each
 * live slot holds one page at most, and there are as many as slots.
 */
static u32 uls_mon_page_get(struct uls_monitor *m, struct page *page,
			    bool published)
{
	u32 i = uls_mon_page_of(m, page);

	if (i != ULS_MON_NONE) {
		m->pages[i].refs++;
		return i;
	}
	i = m->page_free_head;
	if (WARN_ON_ONCE(i == ULS_MON_NONE))
		return i;
	m->page_free_head = m->pages[i].next_free;
	/* Zero pages a reader faulted in while it was free. */
	if (published)
		uls_mon_zap_page(m, i);
	m->pages[i].page = page;
	m->pages[i].refs = 1;
	uls_mon_hash_add(m, m->page_hash, uls_mon_page_bucket, false, i);
	return i;
}

/*
 * One registration less shows in page @i; the last one unmaps it, before
 * its pages can be unpinned. Under m->lock for writing.
 */
static void uls_mon_page_put(struct uls_monitor *m, u32 i)
{
	if (--m->pages[i].refs)
		return;
	uls_mon_hash_del(m, m->page_hash, uls_mon_page_bucket, i);
	m->pages[i].page = NULL;
	uls_mon_zap_page(m, i);
	m->pages[i].next_free = m->page_free_head;
	m->page_free_head = i;
}

/*
 * Show @e, whose room is @room, in @m if @m watches it. @published: @m can
 * be mapped, so faults may race; a monitor being built has no mapping yet,
 * and is filled under RCU, where its lock may not be taken.
 */
static void uls_mon_add(struct uls_monitor *m, struct uls_entry *e, s32 room,
			bool published)
{
	struct uls_monitor_entry *me;
	u64 offset = 0;
	bool fits;
	pid_t tid, pid;
	u32 s, pg = ULS_MON_NONE;

	if (m->mm && uls_entry_mm(e) != m->mm)
		return;
	/* 0: outside the monitor's pid namespace, or already reaped. */
	tid = task_pid_nr_ns(e->task, m->ns);
	pid = task_tgid_nr_ns(e->task, m->ns);
	if (!tid || !pid)
		return;
	s = m->free_head;
	if (s == ULS_MON_NONE) {
		WRITE_ONCE(m->hdr->lost, m->hdr->lost + 1);
		return;
	}
	m->free_head = m->slots[s].next_free;
	/* Registrations made before max_len grew may not fit a slot. */
	fits = (u64)e->nr_pages << PAGE_SHIFT <= m->stride;

	if (published) {
		down_write(&m->lock);
		/* Zero pages a reader faulted in while the slot was free. */
		uls_mon_zap(m, s);
	}
	m->slots[s].e = e;
	if (e->nr_pages == 1)
		pg = uls_mon_page_get(m, e->page, published);
	if (published)
		up_write(&m->lock);
	m->slots[s].page = pg;
	if (pg != ULS_MON_NONE)
		offset = uls_mon_page_offset(m, pg);
	else if (fits)
		offset = uls_mon_slot_offset(m, s);
	m->slots[s].tid = tid;
	uls_mon_hash_add(m, m->ptr_hash, uls_mon_ptr_bucket, false, s);

	me = &m->entries[s];
	uls_mon_seq_begin(&me->seq);
	me->flags = ULS_MONITOR_ENTRY_LIVE |
		    (fits ? 0 : ULS_MONITOR_ENTRY_NODATA);
	me->pid = pid;
	me->tid = tid;
	me->gen = ++m->gen;
	me->offset = offset ? offset + offset_in_page(e->uaddr) : 0;
	me->len = room;
	me->addr = e->uaddr;
	/* Lockless, as ULS_IOC_LIST reads it (dev.c). */
	strscpy_pad(me->comm, e->task->comm, sizeof(me->comm));
	uls_mon_seq_end(&me->seq);

	uls_mon_seq_begin(&m->hdr->seq);
	uls_mon_hash_add(m, m->tid_hash, uls_mon_tid_bucket, true, s);
	uls_mon_seq_end(&m->hdr->seq);
	WRITE_ONCE(m->hdr->nr_live, m->hdr->nr_live + 1);
	WRITE_ONCE(m->hdr->updates, m->hdr->updates + 1);
}

static void uls_mon_del(struct uls_monitor *m, struct uls_entry *e)
{
	struct uls_monitor_entry *me;
	u32 s = uls_mon_slot_of(m, e);

	if (s == ULS_MON_NONE)
		return;
	uls_mon_hash_del(m, m->ptr_hash, uls_mon_ptr_bucket, s);

	/* Readers see the entry change before its pages go. */
	me = &m->entries[s];
	uls_mon_seq_begin(&me->seq);
	me->flags = 0;
	me->pid = 0;
	me->tid = 0;
	me->gen = 0;
	me->offset = 0;
	me->len = 0;
	me->addr = 0;
	memset(me->comm, 0, sizeof(me->comm));
	uls_mon_seq_end(&me->seq);

	uls_mon_seq_begin(&m->hdr->seq);
	uls_mon_hash_del(m, m->tid_hash, uls_mon_tid_bucket, s);
	uls_mon_seq_end(&m->hdr->seq);
	/* The header's counts change with the index, as in uls_mon_add(). */
	WRITE_ONCE(m->hdr->nr_live, m->hdr->nr_live - 1);
	WRITE_ONCE(m->hdr->updates, m->hdr->updates + 1);

	/*
	 * No fault maps the pages from here on, and none that did keeps
	 * them: the pages stay pinned until well after this (registry.c).
	 */
	down_write(&m->lock);
	m->slots[s].e = NULL;
	uls_mon_zap(m, s);
	if (m->slots[s].page != ULS_MON_NONE)
		uls_mon_page_put(m, m->slots[s].page);
	up_write(&m->lock);
	m->slots[s].page = ULS_MON_NONE;

	m->slots[s].next_free = m->free_head;
	m->free_head = s;
}

/* @e was just registered: show it in every monitor that watches it. */
void uls_monitor_registered(struct uls_entry *e)
{
	struct mm_struct *mm = uls_entry_mm(e);
	struct uls_monitor *m;

	lockdep_assert_held(&uls_registry_lock);
	list_for_each_entry(m, &uls_monitors_all, all_node)
		uls_mon_add(m, e, e->room, true);
	hash_for_each_possible(uls_monitors_by_mm, m, mm_node, (unsigned long)mm)
		uls_mon_add(m, e, e->room, true);
}

/*
 * @e left the table: out of every monitor, its pages unmapped, before
 * the reap unpins them.
 */
void uls_monitor_retired(struct uls_entry *e)
{
	struct mm_struct *mm = uls_entry_mm(e);
	struct uls_monitor *m;

	lockdep_assert_held(&uls_registry_lock);
	list_for_each_entry(m, &uls_monitors_all, all_node)
		uls_mon_del(m, e);
	hash_for_each_possible(uls_monitors_by_mm, m, mm_node, (unsigned long)mm)
		uls_mon_del(m, e);
}

/* --- the file and its mappings ------------------------------------------ */

static vm_fault_t uls_mon_fault(struct vm_fault *vmf)
{
	struct uls_monitor *m = vmf->vma->vm_file->private_data;
	u64 off = (u64)vmf->pgoff << PAGE_SHIFT, in_slot;
	struct uls_entry *e;
	struct page *page;
	unsigned long pfn;
	vm_fault_t ret;
	u32 s, pg;

	if (off >= m->view_size)
		return VM_FAULT_SIGBUS;
	if (off < m->regions_offset)
		return vmf_insert_pfn(vmf->vma, vmf->address,
				      vmalloc_to_pfn(m->view + off));
	if (off >= m->pages_offset) {
		pg = (off - m->pages_offset) >> PAGE_SHIFT;
		down_read(&m->lock);
		page = m->pages[pg].page ?: ZERO_PAGE(vmf->address);
		set_bit(pg, m->pages_mapped);
		ret = vmf_insert_pfn(vmf->vma, vmf->address, page_to_pfn(page));
		up_read(&m->lock);
		return ret;
	}

	s = div64_u64_rem(off - m->regions_offset, m->stride, &in_slot);
	pg = in_slot >> PAGE_SHIFT;
	down_read(&m->lock);
	e = m->slots[s].e;
	if (e && pg < e->nr_pages && (u64)e->nr_pages << PAGE_SHIFT <= m->stride)
		pfn = page_to_pfn(uls_entry_pages(e)[pg]);
	else
		pfn = page_to_pfn(ZERO_PAGE(vmf->address));
	/* Set under the lock: the next change of the slot zaps it. */
	set_bit(s, m->mapped);
	ret = vmf_insert_pfn(vmf->vma, vmf->address, pfn);
	up_read(&m->lock);
	return ret;
}

static const struct vm_operations_struct uls_mon_vm_ops = {
	.fault = uls_mon_fault,
};

static int uls_mon_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct uls_monitor *m = file->private_data;
	unsigned long pages = m->view_size >> PAGE_SHIFT;

	/* Read-only, now and later: MAP_PRIVATE cannot copy either. */
	if (vma->vm_flags & VM_WRITE)
		return -EACCES;
	if (vma->vm_pgoff >= pages || vma_pages(vma) > pages - vma->vm_pgoff)
		return -EINVAL;
	/*
	 * No struct page is mapped as such (VM_PFNMAP), so nothing can pin
	 * the view's pages through it (GUP refuses); VM_DONTDUMP keeps
	 * another process's memory out of this one's core dumps.
	 */
	vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vm_flags_clear(vma, VM_MAYWRITE);
	vma->vm_ops = &uls_mon_vm_ops;
	return 0;
}

static void uls_mon_free(struct uls_monitor *m)
{
	uls_stat_add(ULS_STAT_MONITOR_BYTES, -(long)m->kernel_bytes);
	vfree(m->view);
	kvfree(m->slots);
	kvfree(m->pages);
	kvfree(m->ptr_hash);
	kvfree(m->page_hash);
	bitmap_free(m->mapped);
	bitmap_free(m->pages_mapped);
	if (m->mm)
		mmdrop(m->mm);
	if (m->ns)
		put_pid_ns(m->ns);
	kfree(m);
}

/*
 * The last reference to the file is gone, so is every mapping of it (each
 * holds one): nothing can fault, and the index may go.
 */
static int uls_mon_release(struct inode *inode, struct file *file)
{
	struct uls_monitor *m = file->private_data;

	mutex_lock(&uls_registry_lock);
	if (m->mm)
		hash_del(&m->mm_node);
	else
		list_del(&m->all_node);
	uls_nr_monitors--;
	mutex_unlock(&uls_registry_lock);
	uls_mon_free(m);
	uls_stat_add(ULS_STAT_MONITORS, -1);
	simple_release_fs(&uls_mon_mnt, &uls_mon_mnt_count);
	return 0;
}

static const struct file_operations uls_mon_fops = {
	.owner = THIS_MODULE,
	.mmap = uls_mon_mmap,
	.release = uls_mon_release,
	.llseek = noop_llseek,
};

static int uls_mon_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, ULS_MON_FS_MAGIC) ? 0 : -ENOMEM;
}

/* Never registered: only this module mounts it (simple_pin_fs()). */
static struct file_system_type uls_mon_fs_type = {
	.name = "uls_monitor",
	.owner = THIS_MODULE,
	.init_fs_context = uls_mon_init_fs_context,
	.kill_sb = kill_anon_super,
};

/* --- opening ------------------------------------------------------------ */

/*
 * Whether the caller may read the memory of the process of @nr (a pid in
 * its pid namespace): what opening /proc/@nr/maps checks,
 * mm_access(PTRACE_MODE_READ_FSCREDS), LSMs included. The procfs instance
 * is this call's own, for the caller's pid namespace, without hidepid.
 */
static int uls_mon_may_read(pid_t nr)
{
	struct file_system_type *proc = get_fs_type("proc");
	struct vfsmount *mnt;
	struct file *f;
	char name[24];

	/* No procfs, no way to ask: fail closed. */
	if (!proc)
		return -EPERM;
	mnt = kern_mount(proc);
	/* get_fs_type()'s reference: kern_mount() took its own. */
	module_put(proc->owner);
	if (IS_ERR(mnt))
		return PTR_ERR(mnt);
	snprintf(name, sizeof(name), "%d/maps", nr);
	f = file_open_root_mnt(mnt, name, O_RDONLY, 0);
	kern_unmount(mnt);
	if (IS_ERR(f))
		return PTR_ERR(f) == -ENOENT ? -ESRCH :
		       PTR_ERR(f) == -EACCES ? -EPERM : PTR_ERR(f);
	fput(f);
	return 0;
}

/*
 * The process image of @nr, if the caller may read it: its mm, grabbed.
 * Checked by number, then held by struct: the mm before and after the
 * check must be the same (an exec in between makes a new one, which the
 * check may not have seen), and so the pid's task must still be there.
 */
static struct mm_struct *uls_mon_target(pid_t nr)
{
	struct mm_struct *mm = NULL, *now;
	struct task_struct *task;
	struct pid *pid;
	int ret = -ESRCH;

	pid = find_get_pid(nr);
	task = get_pid_task(pid, PIDTYPE_PID);
	if (!task)
		goto out_pid;
	if (task->flags & PF_KTHREAD) {
		ret = -EINVAL;
		goto out_task;
	}
	mm = get_task_mm(task);
	if (!mm)
		goto out_task;
	mmgrab(mm);
	mmput(mm);

	ret = uls_mon_may_read(nr);
	if (ret)
		goto out_mm;
	now = get_task_mm(task);
	if (now)
		mmput(now);
	if (now != mm || !pid_has_task(pid, PIDTYPE_PID)) {
		/* It exec'd or exited meanwhile: it is not the one checked. */
		ret = now ? -EAGAIN : -ESRCH;
		goto out_mm;
	}
	put_task_struct(task);
	put_pid(pid);
	return mm;

out_mm:
	mmdrop(mm);
out_task:
	put_task_struct(task);
out_pid:
	put_pid(pid);
	return ERR_PTR(ret);
}

static struct uls_monitor *uls_mon_alloc(u32 nr_slots)
{
	struct uls_monitor *m;
	u64 entries_off, hash_off, index_bytes;
	u32 hash_size, i;

	m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m)
		return NULL;
	init_rwsem(&m->lock);
	m->nr_slots = nr_slots;
	hash_size = roundup_pow_of_two(max(2 * nr_slots, 16U));
	m->hash_bits = ilog2(hash_size);

	entries_off = ALIGN(sizeof(struct uls_monitor_header), 64);
	hash_off = entries_off + (u64)nr_slots * sizeof(struct uls_monitor_entry);
	index_bytes = PAGE_ALIGN(hash_off + (u64)hash_size * sizeof(u32));
	/* Room for the largest region at any offset within its first page. */
	m->stride = (DIV_ROUND_UP(READ_ONCE(uls_max_len), PAGE_SIZE) + 1) <<
		    PAGE_SHIFT;
	m->regions_offset = index_bytes;
	m->pages_offset = index_bytes + (u64)nr_slots * m->stride;
	m->view_size = m->pages_offset + ((u64)nr_slots << PAGE_SHIFT);

	/* Charged to the opener's memory cgroup, all of it. */
	m->view_bytes = index_bytes;
	m->view = __vmalloc(index_bytes, GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	m->slots = kvcalloc(nr_slots, sizeof(*m->slots), GFP_KERNEL_ACCOUNT);
	m->pages = kvcalloc(nr_slots, sizeof(*m->pages), GFP_KERNEL_ACCOUNT);
	m->ptr_hash = kvcalloc(hash_size, sizeof(u32), GFP_KERNEL_ACCOUNT);
	m->page_hash = kvcalloc(hash_size, sizeof(u32), GFP_KERNEL_ACCOUNT);
	m->mapped = bitmap_zalloc(nr_slots, GFP_KERNEL_ACCOUNT);
	m->pages_mapped = bitmap_zalloc(nr_slots, GFP_KERNEL_ACCOUNT);
	if (!m->view || !m->slots || !m->pages || !m->ptr_hash ||
	    !m->page_hash || !m->mapped || !m->pages_mapped) {
		/* Nothing counted yet: kernel_bytes is 0. */
		uls_mon_free(m);
		return NULL;
	}
	m->kernel_bytes = sizeof(*m) + index_bytes +
			  nr_slots * (sizeof(*m->slots) + sizeof(*m->pages)) +
			  2 * hash_size * sizeof(u32) +
			  2 * BITS_TO_LONGS(nr_slots) * sizeof(long);
	uls_stat_add(ULS_STAT_MONITOR_BYTES, m->kernel_bytes);

	m->hdr = m->view;
	m->entries = m->view + entries_off;
	m->tid_hash = m->view + hash_off;
	for (i = 0; i < nr_slots; i++) {
		m->slots[i].next_free = i + 1 < nr_slots ? i + 1 : ULS_MON_NONE;
		m->slots[i].page = ULS_MON_NONE;
		m->pages[i].next_free = m->slots[i].next_free;
	}
	m->free_head = 0;
	m->page_free_head = 0;

	*m->hdr = (struct uls_monitor_header){
		.magic = ULS_MONITOR_MAGIC,
		.version = ULS_MONITOR_VERSION,
		.header_size = sizeof(struct uls_monitor_header),
		.entry_size = sizeof(struct uls_monitor_entry),
		.nr_slots = nr_slots,
		.hash_size = hash_size,
		.hash_bits = m->hash_bits,
		.entries_offset = entries_off,
		.hash_offset = hash_off,
		.regions_offset = m->regions_offset,
		.slot_stride = m->stride,
		.view_size = m->view_size,
		.pages_offset = m->pages_offset,
	};
	return m;
}

/* uls_table_for_each()'s callback, for a monitor not yet published. */
static void uls_mon_fill_one(struct uls_entry *e, s32 room, void *arg)
{
	uls_mon_add(arg, e, room, false);
}

/* A file for @m, with its own inode; the module is held until its release. */
static struct file *uls_mon_file(struct uls_monitor *m)
{
	struct inode *inode;
	struct file *file;
	int ret;

	ret = simple_pin_fs(&uls_mon_fs_type, &uls_mon_mnt, &uls_mon_mnt_count);
	if (ret)
		return ERR_PTR(ret);
	inode = alloc_anon_inode(uls_mon_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		file = ERR_CAST(inode);
		goto err_fs;
	}
	/* __fput() drops it (fops_put()); alloc_file_pseudo() takes none. */
	__module_get(THIS_MODULE);
	file = alloc_file_pseudo(inode, uls_mon_mnt, "uls-monitor", O_RDONLY,
				 &uls_mon_fops);
	if (IS_ERR(file)) {
		module_put(THIS_MODULE);
		iput(inode);
		goto err_fs;
	}
	file->private_data = m;
	m->inode = inode;
	return file;

err_fs:
	simple_release_fs(&uls_mon_mnt, &uls_mon_mnt_count);
	return file;
}

int uls_monitor_open(struct uls_monitor_args __user *uarg)
{
	struct uls_monitor_args a;
	struct mm_struct *mm = NULL;
	unsigned long max = READ_ONCE(uls_monitor_max_entries);
	struct uls_monitor *m;
	struct file *file;
	int fd;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.flags & ~ULS_MONITOR_FLAGS_ALL || a.__reserved0 ||
	    memchr_inv(a.__reserved, 0, sizeof(a.__reserved)))
		return -EINVAL;
	if (a.flags & ULS_MONITOR_ALL) {
		if (a.pid)
			return -EINVAL;
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
	} else if (a.pid <= 0) {
		return -EINVAL;
	}
	if (a.nr_slots > max)
		return -E2BIG;

	if (!(a.flags & ULS_MONITOR_ALL)) {
		mm = uls_mon_target(a.pid);
		if (IS_ERR(mm))
			return PTR_ERR(mm);
	}
	m = uls_mon_alloc(a.nr_slots ?: max);
	if (!m) {
		if (mm)
			mmdrop(mm);
		return -ENOMEM;
	}
	m->mm = mm;
	m->ns = get_pid_ns(task_active_pid_ns(current));

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		uls_mon_free(m);
		return fd;
	}
	file = uls_mon_file(m);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		uls_mon_free(m);
		return PTR_ERR(file);
	}
	uls_stat_add(ULS_STAT_MONITORS, 1);

	/* What is registered now, then every change, under the same lock. */
	mutex_lock(&uls_registry_lock);
	uls_table_for_each(uls_mon_fill_one, m);
	if (m->mm)
		hash_add(uls_monitors_by_mm, &m->mm_node, (unsigned long)m->mm);
	else
		list_add(&m->all_node, &uls_monitors_all);
	uls_nr_monitors++;
	mutex_unlock(&uls_registry_lock);

	a.nr_slots = m->nr_slots;
	a.view_size = m->view_size;
	if (copy_to_user(uarg, &a, sizeof(a))) {
		/* The release takes it all down again. */
		fput(file);
		put_unused_fd(fd);
		return -EFAULT;
	}
	fd_install(fd, file);
	return fd;
}
