// SPDX-License-Identifier: GPL-2.0
/*
 * uls: user-local storage. The module's parameters, and its entry points,
 * which bring its parts up and down in one visible order.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/sysfs.h>

#include <uapi/linux/uls.h>
#include <uls/version.h>

#include "uls.h"

/*
 * Largest region one thread may register. Beyond the memory it pins, a
 * region costs vmalloc space for its kernel mapping; the hard ceiling
 * follows io_uring's for registered buffers.
 */
unsigned long uls_max_len = 16 * PAGE_SIZE;
unsigned long uls_max_user_retired = ULS_MAX_USER_RETIRED;

/*
 * Every parameter is a limit from 1 to a ceiling, read without a lock
 * where it is enforced: one setter checks the range of each.
 */
struct uls_limit_param {
	unsigned long *value;
	unsigned long ceiling;
};

static int uls_limit_set(const char *val, const struct kernel_param *kp)
{
	const struct uls_limit_param *p = kp->arg;
	unsigned long v;
	int ret;

	ret = kstrtoul(val, 0, &v);
	if (ret)
		return ret;
	if (!v || v > p->ceiling)
		return -EINVAL;
	WRITE_ONCE(*p->value, v);
	return 0;
}

static int uls_limit_get(char *buf, const struct kernel_param *kp)
{
	const struct uls_limit_param *p = kp->arg;

	return sysfs_emit(buf, "%lu\n", READ_ONCE(*p->value));
}

static const struct kernel_param_ops uls_limit_ops = {
	.set = uls_limit_set,
	.get = uls_limit_get,
};

#define ULS_LIMIT_PARAM(name, var, max, desc)				\
	static struct uls_limit_param uls_param_##name = {		\
		.value = &(var),					\
		.ceiling = (max),					\
	};								\
	module_param_cb(name, &uls_limit_ops, &uls_param_##name, 0644);\
	MODULE_PARM_DESC(name, desc)

ULS_LIMIT_PARAM(max_len, uls_max_len, SZ_1G,
		"Largest region a thread may register, in bytes (1 .. 1 GiB, default 16 pages)");
ULS_LIMIT_PARAM(max_pinned_pages, uls_max_pinned_pages, ULONG_MAX,
		"Most pages all processes together may have pinned (default: an eighth of RAM)");
ULS_LIMIT_PARAM(max_user_pinned_pages, uls_max_user_pinned_pages, ULONG_MAX,
		"Most pages the processes of one user may have pinned, unless they have CAP_IPC_LOCK (default: a quarter of max_pinned_pages)");
ULS_LIMIT_PARAM(max_user_retired, uls_max_user_retired,
		ULS_MAX_USER_RETIRED_LIMIT,
		"Most registrations of one user that ended and wait to be freed; past that, a registration waits for them, and fails with EAGAIN if none is freed in 5 s (1 .. 1048576, default 65536)");

ULS_LIMIT_PARAM(monitor_max_entries, uls_monitor_max_entries,
		ULS_MONITOR_MAX_ENTRIES_LIMIT,
		"Most registrations one monitor view shows, and its default (1 .. 1048576, default 16384)");

/* The registry's work (the gone and reap work items), unbound. */
struct workqueue_struct *uls_wq;

/*
 * Each part of the module is brought up once the parts it uses are, and
 * taken down, on failure or at exit, in the reverse order.
 */
static int __init uls_init(void)
{
	int ret;

	/* Limits that the module's parameters left at 0 get their default. */
	uls_account_init();

	uls_wq = alloc_workqueue("uls", WQ_UNBOUND, 0);
	if (!uls_wq) {
		ret = -ENOMEM;
		goto err_account;
	}

	/* The table (table.c) starts out empty, statically. */
#ifdef ULS_DEBUG
	/*
	 * A debug build (make ULS_DEBUG=y) first tests it against a model,
	 * and the keyed lookup on broken regions.
	 */
	if (!uls_table_selftest() || !uls_keys_selftest()) {
		ret = -ENOTRECOVERABLE;
		goto err_table;
	}
#endif

	ret = uls_registry_init();
	if (ret)
		goto err_table;

	/*
	 * The kfuncs first: a module built without BTF is refused here,
	 * before user space can see a device that BPF could never reach.
	 * Nothing unregisters them: the kernel drops them with the
	 * module's BTF when the module goes.
	 */
	ret = uls_kfuncs_init();
	if (ret)
		goto err_registry;

	/* Exit and exec must be seen before anyone can register. */
	ret = uls_lifecycle_init();
	if (ret)
		goto err_registry;

	/* /dev/uls, and its counters in sysfs (stats.c). */
	ret = uls_dev_init();
	if (ret)
		goto err_lifecycle;

	pr_info("user-local storage ready, ABI %d\n", ULS_ABI_VERSION);
	return 0;

err_lifecycle:
	uls_lifecycle_exit();
err_registry:
	uls_registry_exit();
err_table:
	uls_table_exit();
	destroy_workqueue(uls_wq);
err_account:
	uls_account_exit();
	return ret;
}

static void __exit uls_exit(void)
{
	/* No new file, so no new registration; open files hold the module. */
	uls_dev_exit();
	/* No probe calls uls_task_gone() any more. */
	uls_lifecycle_exit();
	/* Every entry retired, and freed after its grace periods. */
	uls_registry_exit();
	/* Nothing looks in the table any more: free it. */
	uls_table_exit();
	/* The registry's work is done. */
	destroy_workqueue(uls_wq);
	/* Every page uncharged. */
	uls_account_exit();
}

module_init(uls_init);
module_exit(uls_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("uls developers");
MODULE_DESCRIPTION("User-local storage: per-thread user memory that BPF programs read and write directly");
MODULE_VERSION(ULS_VERSION);
