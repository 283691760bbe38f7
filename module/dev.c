// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/uls: the ioctl interface. Any user may open it; every command but
 * ULS_IOC_LIST and ULS_IOC_MONITOR acts on the calling thread only, so
 * nothing here lets one thread reach another's registration. ULS_IOC_LIST
 * only reports them, to CAP_SYS_ADMIN: their addresses would defeat other
 * processes' ASLR. ULS_IOC_MONITOR shows a process's to whoever could
 * read its memory anyway (monitor.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <uapi/linux/uls.h>

#include "uls.h"

static int uls_open(struct inode *inode, struct file *file)
{
	struct uls_file *uf;

	uf = kzalloc(sizeof(*uf), GFP_KERNEL_ACCOUNT);
	if (!uf)
		return -ENOMEM;
	INIT_LIST_HEAD(&uf->entries);
	file->private_data = uf;
	return 0;
}

static int uls_release(struct inode *inode, struct file *file)
{
	struct uls_file *uf = file->private_data;

	uls_release_file(uf);
	kfree(uf);
	return 0;
}

static int uls_check_region(const struct uls_region *r)
{
	u64 end;

	if (r->flags & ~ULS_REGISTER_FLAGS_ALL || r->__reserved0 ||
	    r->__reserved[0] || r->__reserved[1])
		return -EINVAL;
	if (!r->len || !IS_ALIGNED(r->addr, ULS_REGION_ALIGN))
		return -EINVAL;
	if (r->len > READ_ONCE(uls_max_len))
		return -E2BIG;
	if (check_add_overflow(r->addr, r->len, &end))
		return -EOVERFLOW;
	/* Only a user thread with its own memory has something to pin. */
	if (current->flags & (PF_KTHREAD | PF_IO_WORKER) || !current->mm)
		return -EPERM;
	if (!access_ok(u64_to_user_ptr(r->addr), r->len))
		return -EFAULT;
	return 0;
}

static int uls_ioctl_register(struct file *file, void __user *arg)
{
	struct uls_region r;
	int ret;

	ret = copy_from_user(&r, arg, sizeof(r)) ? -EFAULT : 0;
	ret = ret ?: uls_check_region(&r);
	ret = ret ?: uls_register_current(file->private_data, r.addr, r.len,
					  r.flags);
	if (ret)
		uls_stat_failed(ret);
	return ret;
}

static int uls_ioctl_query(void __user *arg)
{
	struct uls_region r = {};
	unsigned long uaddr;
	int ret;

	ret = uls_query_current(&uaddr, &r.len);
	if (ret)
		return ret;
	r.addr = uaddr;
	return copy_to_user(arg, &r, sizeof(r)) ? -EFAULT : 0;
}

static int uls_ioctl_info(void __user *arg)
{
	struct uls_info info = {
		.abi_version = ULS_ABI_VERSION,
		.features = ULS_FEAT_MULTI_PAGE | ULS_FEAT_GET_AT |
			    ULS_FEAT_EXIT_EXEC | ULS_FEAT_CHARGED |
			    ULS_FEAT_FREED_SEQ | ULS_FEAT_EXCL |
			    ULS_FEAT_KEY_GET | ULS_FEAT_LIST |
			    ULS_FEAT_MONITOR,
		.max_len = READ_ONCE(uls_max_len),
		.page_size = PAGE_SIZE,
	};

	info.nr_entries = uls_stat_read(ULS_STAT_ENTRIES);
	info.nr_pinned_pages = uls_stat_read(ULS_STAT_PINNED_PAGES);
	info.nr_charged_pages = uls_stat_read(ULS_STAT_CHARGED_PAGES);
	info.max_pinned_pages = READ_ONCE(uls_max_pinned_pages);
	uls_seqs(&info.retired_seq, &info.freed_seq);
	return copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

static int uls_ioctl_wait_freed(u64 __user *arg)
{
	u64 seq;

	if (get_user(seq, arg))
		return -EFAULT;
	return uls_wait_freed(seq);
}

/* ULS_IOC_LIST's snapshot, filled under RCU and copied out after. */
struct uls_list_walk {
	struct pid_namespace *ns;	/* the caller's */
	struct uls_list_entry *out;
	u32 room;			/* entries @out holds */
	u32 filled;
	u32 total;
};

/* uls_table_for_each()'s callback: no sleeping, no sleeping locks. */
static void uls_list_one(struct uls_entry *e, s32 room, void *arg)
{
	struct uls_list_walk *w = arg;
	struct task_struct *task = e->task;
	struct uls_list_entry *le;
	pid_t pid, tid;

	/* 0: outside the caller's namespace, or the task already reaped. */
	tid = task_pid_nr_ns(task, w->ns);
	pid = task_tgid_nr_ns(task, w->ns);
	if (!tid || !pid)
		return;
	w->total++;
	if (w->filled == w->room)
		return;
	le = &w->out[w->filled++];
	le->pid = pid;
	le->tid = tid;
	le->addr = e->uaddr;
	le->len = room;
	le->nr_pages = e->nr_pages;
	le->__reserved0 = 0;
	/*
	 * Lockless, as 7.2's get_task_comm() is (6.1's and 6.12's take the
	 * task lock, a sleeping lock on PREEMPT_RT): a rename meanwhile may
	 * give a mix of both names, never an unterminated one.
	 */
	strscpy_pad(le->comm, task->comm, sizeof(le->comm));
}

static int uls_ioctl_list(struct uls_list __user *arg)
{
	struct uls_list_walk w = {};
	struct uls_list l;
	int ret = 0;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&l, arg, sizeof(l)))
		return -EFAULT;
	if (l.flags || l.__reserved[0] || l.__reserved[1] || l.__reserved[2])
		return -EINVAL;

	/*
	 * No more than the table has slots now: a huge count does not make
	 * a huge buffer. Should the table grow meanwhile, what does not fit
	 * is counted in total, for the caller to ask again.
	 */
	w.room = min_t(unsigned long, l.count, uls_table_slots());
	if (w.room) {
		w.out = kvmalloc_array(w.room, sizeof(*w.out),
				       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!w.out)
			return -ENOMEM;
	}
	w.ns = task_active_pid_ns(current);
	uls_table_for_each(uls_list_one, &w);

	if (w.filled && copy_to_user(u64_to_user_ptr(l.entries), w.out,
				     array_size(w.filled, sizeof(*w.out))))
		ret = -EFAULT;
	kvfree(w.out);
	if (ret)
		return ret;
	l.count = w.filled;
	l.total = w.total;
	return copy_to_user(arg, &l, sizeof(l)) ? -EFAULT : 0;
}

static long uls_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case ULS_IOC_REGISTER:
		return uls_ioctl_register(file, uarg);
	case ULS_IOC_UNREGISTER:
		return uls_unregister_current();
	case ULS_IOC_QUERY:
		return uls_ioctl_query(uarg);
	case ULS_IOC_INFO:
		return uls_ioctl_info(uarg);
	case ULS_IOC_WAIT_FREED:
		return uls_ioctl_wait_freed(uarg);
	case ULS_IOC_LIST:
		return uls_ioctl_list(uarg);
	case ULS_IOC_MONITOR:
		return uls_monitor_open(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations uls_fops = {
	.owner = THIS_MODULE,
	.open = uls_open,
	.release = uls_release,
	.unlocked_ioctl = uls_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice uls_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "uls",
	.fops = &uls_fops,
	.mode = 0666,
	.groups = uls_stats_groups,
};

int uls_dev_init(void)
{
	return misc_register(&uls_misc);
}

void uls_dev_exit(void)
{
	misc_deregister(&uls_misc);
}
