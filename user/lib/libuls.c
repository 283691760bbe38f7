// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libuls: the device, the raw calls, who holds each thread's registration,
 * and what happens to it at thread exit and across fork().
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* --- the device ---------------------------------------------------------- */

static pthread_mutex_t dev_lock = PTHREAD_MUTEX_INITIALIZER;
static int dev_fd = -1;

/* The module's ULS_FEAT_* bits, read when the device is opened. */
static uint64_t dev_features;

int uls_fd(void)
{
	const struct uls_owner *o;
	int fd = __atomic_load_n(&dev_fd, __ATOMIC_ACQUIRE);

	if (fd >= 0)
		return fd;
	o = uls_owner();
	if (o)
		return o->fd();
	pthread_mutex_lock(&dev_lock);
	fd = dev_fd;
	if (fd < 0) {
		fd = open(ULS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			/* No device node: the module is not loaded. */
			fd = errno == ENOENT ? -ENODEV : -errno;
		else {
			struct uls_info info;

			if (!ioctl(fd, ULS_IOC_INFO, &info))
				dev_features = info.features;
			__atomic_store_n(&dev_fd, fd, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&dev_lock);
	return fd;
}

bool uls_fd_opened(void)
{
	return __atomic_load_n(&dev_fd, __ATOMIC_ACQUIRE) >= 0;
}

int uls_ioctl(unsigned long cmd, void *arg)
{
	int fd = uls_fd();

	if (fd < 0)
		return fd;
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

size_t uls_page_size(void)
{
	static size_t ps;

	if (!ps)
		ps = sysconf(_SC_PAGESIZE);
	return ps;
}

/* --- who holds the thread's registration ---------------------------------- */

__thread enum uls_holder uls_held;

int uls_register_excl(void *addr, size_t len)
{
	struct uls_region r = {
		.addr = (uintptr_t)addr,
		.len = len,
		.flags = ULS_REGISTER_EXCL,
	};
	int fd = uls_fd();

	if (fd < 0)
		return fd;
	if (!(dev_features & ULS_FEAT_EXCL)) {
		void *cur;

		/* An older module: ask first. Only this thread registers. */
		if (!uls_query(&cur, NULL) && cur != addr)
			return -EBUSY;
		r.flags = 0;
	}
	return ioctl(fd, ULS_IOC_REGISTER, &r) ? -errno : 0;
}

int uls_unregister_raw(void)
{
	return uls_ioctl(ULS_IOC_UNREGISTER, NULL);
}

/*
 * By hand: the caller's memory, in no other holder's place. Its own
 * previous registration it replaces, as the kernel does.
 */
int uls_register(void *addr, size_t len)
{
	const struct uls_owner *o = uls_owner();
	struct uls_region r = { .addr = (uintptr_t)addr, .len = len };
	int err;

	if (o)
		return o->reg(addr, len);
	switch (uls_held) {
	case ULS_HELD_AREA:
	case ULS_HELD_KEYS:
		return -EBUSY;
	case ULS_HELD_MANUAL:
		err = uls_ioctl(ULS_IOC_REGISTER, &r);
		break;
	default:
		err = uls_register_excl(addr, len);
	}
	if (!err)
		uls_held = ULS_HELD_MANUAL;
	return err;
}

int uls_unregister(void)
{
	const struct uls_owner *o = uls_owner();
	int err;

	if (o)
		return o->unreg();
	switch (uls_held) {
	case ULS_HELD_AREA:
	case ULS_HELD_KEYS:
		return -EBUSY;
	case ULS_HELD_MANUAL:
		break;
	default:
		/* Another copy's, or a raw ioctl's: not ours to drop. */
		err = uls_query(NULL, NULL);
		return err ? err : -EBUSY;
	}
	err = uls_unregister_raw();
	if (!err || err == -ENOENT)
		uls_held = ULS_HELD_NONE;
	return err;
}

int uls_query(void **addr, size_t *len)
{
	struct uls_region r;
	int err = uls_ioctl(ULS_IOC_QUERY, &r);

	if (err)
		return err;
	if (addr)
		*addr = (void *)(uintptr_t)r.addr;
	if (len)
		*len = r.len;
	return 0;
}

int uls_info(struct uls_info *info)
{
	return uls_ioctl(ULS_IOC_INFO, info);
}

int uls_wait_freed(void)
{
	struct uls_info info;
	int err = uls_info(&info);

	if (err)
		return err;
	if (!(info.features & ULS_FEAT_FREED_SEQ))
		return -EOPNOTSUPP;
	return uls_ioctl(ULS_IOC_WAIT_FREED, &info.retired_seq);
}

int uls_list(struct uls_list_entry *entries, unsigned int *count,
	     unsigned int *total)
{
	struct uls_list l = {
		.entries = (uintptr_t)entries,
		.count = count ? *count : 0,
	};
	int err = uls_ioctl(ULS_IOC_LIST, &l);

	/* A module older than ULS_FEAT_LIST knows no such request. */
	if (err == -ENOTTY)
		return -EOPNOTSUPP;
	if (err)
		return err;
	if (count)
		*count = l.count;
	if (total)
		*total = l.total;
	return 0;
}

bool uls_module_loaded(void)
{
	return access("/sys/kernel/btf/uls", F_OK) == 0;
}

/* --- thread exit and fork() ------------------------------------------------ */

static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

/*
 * Thread exit: the area or the keyed region is unregistered and
 * quarantined (pool.c). A destructor that runs after this one and uses
 * uls_area() or a key again gets new memory, and this runs again.
 */
static void thread_exit(void *unused)
{
	uls_area_thread_exit();
	uls_keys_thread_exit();
}

/*
 * Keep the pool, the keys and the device consistent across fork(): no
 * other thread may hold their locks while this one forks. In the child
 * the thread is a new one, with no registration: the area is registered
 * again on its next use, the keyed region at once, since libraries keep
 * pointers into it and may never ask again.
 */
static void atfork_prepare(void)
{
	uls_keys_lock();
	uls_pool_lock();
	pthread_mutex_lock(&dev_lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&dev_lock);
	uls_pool_unlock();
	uls_keys_unlock();
}

static void atfork_child(void)
{
	pthread_mutex_unlock(&dev_lock);
	uls_pool_unlock();
	uls_keys_unlock();
	uls_area_forked();
	uls_keys_forked();
}

static void exit_init(void)
{
	pthread_key_create(&exit_key, thread_exit);
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

void uls_arm_thread_exit(void *cookie)
{
	pthread_once(&exit_once, exit_init);
	pthread_setspecific(exit_key, cookie);
}

/* --- errors ---------------------------------------------------------------- */

const char *uls_version(void)
{
	return ULS_VERSION;
}

const char *uls_strerror(int err)
{
	static __thread char buf[64];

	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return "success";
	case ENODEV:
		return "the uls module is not loaded (no " ULS_DEVICE_PATH ")";
	case EINVAL:
		return "invalid argument: zero length or size, empty key name, address not 8-byte aligned, unknown flags or non-zero reserved fields";
	case E2BIG:
		return "region (or a thread's keys) larger than the module's max_len";
	case EOVERFLOW:
		return "address range wraps around";
	case EFAULT:
		return "range not mapped writable in this process";
	case EPERM:
		return "RLIMIT_MEMLOCK is 0 (or the caller is a kernel thread); for uls_list(), the caller lacks CAP_SYS_ADMIN";
	case EOPNOTSUPP:
		return "range is a shared mapping of a file that needs writeback; or, for uls_list() or uls_wait_freed(), the uls module is too old";
	case ENOENT:
		return "this thread has no registration";
	case ENOSPC:
		return "this thread's area is smaller than requested, or the process has ULS_KEYS_MAX keys";
	case EBUSY:
		return "this thread's registration belongs to another user of uls (keys, uls_area(), uls_register() or another copy of libuls)";
	case EEXIST:
		return "a key of this name exists with another size";
	case ENAMETOOLONG:
		return "key name of ULS_KEY_NAME_MAX bytes or more";
	case ENOTTY:
		return "the uls module does not know this request (version mismatch)";
	case ENOMEM:
		return "over RLIMIT_MEMLOCK, or the module's max_user_pinned_pages or max_pinned_pages, or out of memory";
	case EAGAIN:
		return "too many of this user's ended registrations still wait to be freed; try again later";
	}
	snprintf(buf, sizeof(buf), "%s", strerror(err));
	return buf;
}
