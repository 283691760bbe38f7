// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libuls: the device, the raw calls, and per-thread areas packed into
 * shared pages.
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

#include "uls.h"

/* --- the device ---------------------------------------------------------- */

static pthread_mutex_t dev_lock = PTHREAD_MUTEX_INITIALIZER;
static int dev_fd = -1;

int uls_fd(void)
{
	int fd = __atomic_load_n(&dev_fd, __ATOMIC_ACQUIRE);

	if (fd >= 0)
		return fd;
	pthread_mutex_lock(&dev_lock);
	fd = dev_fd;
	if (fd < 0) {
		fd = open(ULS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			/* No device node: the module is not loaded. */
			fd = errno == ENOENT ? -ENODEV : -errno;
		else
			__atomic_store_n(&dev_fd, fd, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&dev_lock);
	return fd;
}

static int uls_ioctl(unsigned long cmd, void *arg)
{
	int fd = uls_fd();

	if (fd < 0)
		return fd;
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* --- the calling thread's area ------------------------------------------ */

/*
 * What this thread got from uls_area(). "registered" goes false when the
 * thread replaces or drops the area's registration itself, and in the
 * child after fork().
 */
static __thread struct {
	void *area;
	size_t size;		/* the block's size, >= what was asked */
	bool registered;
} self;

int uls_register(void *addr, size_t len)
{
	struct uls_region r = { .addr = (uintptr_t)addr, .len = len };
	int err = uls_ioctl(ULS_IOC_REGISTER, &r);

	/* Registering the area itself, by hand, counts as registering it. */
	if (!err)
		self.registered = self.area && addr == self.area;
	return err;
}

int uls_unregister(void)
{
	int err = uls_ioctl(ULS_IOC_UNREGISTER, NULL);

	if (!err)
		self.registered = false;
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

bool uls_module_loaded(void)
{
	return access("/sys/kernel/btf/uls", F_OK) == 0;
}

/*
 * The pool: blocks of power-of-two sizes from 64 bytes to a page, carved
 * from pages mapped for the purpose; larger areas get pages of their own.
 * A block is aligned to its size, so it never straddles a page and many
 * threads share one pinned page.
 *
 * A freed block is quarantined: a BPF program that fetched the area's
 * pointer before the unregistration may still store into it until the
 * module has freed the registration (its grace periods passed), and the
 * next owner must not get those stores. So each freed block is tagged
 * with the module's retired_seq, read after its unregistration, and is
 * handed out again only once freed_seq has reached it; until then a new
 * block is carved. Tags are read lazily, one ULS_IOC_INFO for all the
 * blocks freed since the last: untagged blocks are the tail of each
 * first-in first-out list. A larger area's pages are unmapped, which is
 * safe at once: the module's pin keeps the old pages, and a new mapping
 * at the address gets new ones.
 */
#define ULS_MIN_BLOCK 64
#define ULS_NR_CLASSES 7	/* 64 .. 4096 */
#define ULS_SEQ_UNKNOWN UINT64_MAX

struct free_block {
	struct free_block *next;
	uint64_t seq;		/* reusable once freed_seq >= seq */
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	struct free_block *head, *tail;
	struct free_block *untagged;	/* first block with no seq yet */
	char *carve;		/* unused rest of the newest page */
	size_t carve_left;
} pool[ULS_NR_CLASSES];
static uint64_t pool_freed_seq;	/* the module's freed_seq, as last read */
static uint64_t pool_seqs_read_ns;	/* when, CLOCK_MONOTONIC_COARSE */

/*
 * The module frees in batches, every 20 ms at most: asking it again within
 * a millisecond would rarely learn more, and a thread pool starting
 * threads in a loop would pay a system call for each.
 */
#define POOL_REREAD_NS 1000000

static uint64_t coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static size_t page_size(void)
{
	static size_t ps;

	if (!ps)
		ps = sysconf(_SC_PAGESIZE);
	return ps;
}

static int size_class(size_t size, size_t *block)
{
	size_t b = ULS_MIN_BLOCK;
	int c = 0;

	while (b < size) {
		b <<= 1;
		c++;
	}
	*block = b;
	return c;
}

/*
 * Under pool_lock: tag every untagged block with the module's retired_seq
 * (all of them were unregistered before this call), and learn freed_seq.
 * A module without the numbers (or none at all: nothing was registered)
 * makes every block reusable at once.
 */
static void pool_read_seqs(void)
{
	struct uls_info info;
	uint64_t seq = 0;

	if (uls_info(&info) || !(info.features & ULS_FEAT_FREED_SEQ))
		pool_freed_seq = ULS_SEQ_UNKNOWN - 1;
	else {
		seq = info.retired_seq;
		pool_freed_seq = info.freed_seq;
	}
	pool_seqs_read_ns = coarse_ns();
	for (int c = 0; c < ULS_NR_CLASSES; c++) {
		for (struct free_block *f = pool[c].untagged; f; f = f->next)
			f->seq = seq;
		pool[c].untagged = NULL;
	}
}

/* Under pool_lock: the oldest free block of class @c, if it is reusable. */
static struct free_block *pool_take(int c)
{
	struct free_block *f = pool[c].head;

	if (!f)
		return NULL;
	if (f->seq > pool_freed_seq) {
		/* An untagged block must be tagged before it can be taken. */
		if (f->seq != ULS_SEQ_UNKNOWN &&
		    coarse_ns() - pool_seqs_read_ns < POOL_REREAD_NS)
			return NULL;
		pool_read_seqs();
		if (f->seq > pool_freed_seq)
			return NULL;
	}
	pool[c].head = f->next;
	if (!pool[c].head)
		pool[c].tail = NULL;
	return f;
}

static void *block_alloc(size_t size, size_t *block)
{
	void *p = NULL;
	int c;

	if (size > page_size()) {
		*block = (size + page_size() - 1) & ~(page_size() - 1);
		p = mmap(NULL, *block, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return p == MAP_FAILED ? NULL : p;
	}

	c = size_class(size, block);
	pthread_mutex_lock(&pool_lock);
	p = pool_take(c);
	if (!p) {
		if (pool[c].carve_left < *block) {
			void *page = mmap(NULL, page_size(),
					  PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (page == MAP_FAILED)
				goto out;
			pool[c].carve = page;
			pool[c].carve_left = page_size();
		}
		p = pool[c].carve;
		pool[c].carve += *block;
		pool[c].carve_left -= *block;
	}
out:
	pthread_mutex_unlock(&pool_lock);
	if (p)
		memset(p, 0, *block);
	return p;
}

static void block_free(void *p, size_t block)
{
	struct free_block *f = p;
	size_t unused;
	int c;

	if (block > page_size()) {
		munmap(p, block);
		return;
	}
	c = size_class(block, &unused);
	f->next = NULL;
	f->seq = ULS_SEQ_UNKNOWN;
	pthread_mutex_lock(&pool_lock);
	if (pool[c].tail)
		pool[c].tail->next = f;
	else
		pool[c].head = f;
	pool[c].tail = f;
	if (!pool[c].untagged)
		pool[c].untagged = f;
	pthread_mutex_unlock(&pool_lock);
}

static pthread_key_t area_key;
static pthread_once_t area_once = PTHREAD_ONCE_INIT;

/*
 * Thread exit: unregister, then free the block into quarantine, so that
 * its next owner gets it only once BPF can no longer store into it.
 */
static void area_release(void *unused)
{
	if (self.registered)
		uls_unregister();
	block_free(self.area, self.size);
	self.area = NULL;
	self.registered = false;
}

/*
 * Keep the pool consistent across fork(): no other thread may hold its lock
 * while this one forks. In the child, the forking thread's area is not
 * registered (the child's thread is a new one).
 */
static void atfork_prepare(void)
{
	pthread_mutex_lock(&pool_lock);
	pthread_mutex_lock(&dev_lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&dev_lock);
	pthread_mutex_unlock(&pool_lock);
}

static void atfork_child(void)
{
	pthread_mutex_unlock(&dev_lock);
	pthread_mutex_unlock(&pool_lock);
	self.registered = false;
}

static void area_init(void)
{
	pthread_key_create(&area_key, area_release);
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

void *uls_area(size_t size)
{
	int err;

	if (!size) {
		errno = EINVAL;
		return NULL;
	}
	pthread_once(&area_once, area_init);
	if (self.area && size > self.size) {
		errno = ENOSPC;
		return NULL;
	}
	if (!self.area) {
		self.area = block_alloc(size, &self.size);
		if (!self.area) {
			errno = ENOMEM;
			return NULL;
		}
		pthread_setspecific(area_key, self.area);
	}
	if (!self.registered) {
		err = uls_register(self.area, self.size);
		if (err) {
			errno = -err;
			return NULL;
		}
		self.registered = true;
	}
	return self.area;
}

/* --- errors ---------------------------------------------------------------- */

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
		return "invalid argument: zero length, unknown flags or non-zero reserved fields";
	case E2BIG:
		return "region larger than the module's max_len";
	case EOVERFLOW:
		return "address range wraps around";
	case EFAULT:
		return "range not mapped writable in this process";
	case EPERM:
		return "RLIMIT_MEMLOCK is 0 (or the caller is a kernel thread)";
	case EOPNOTSUPP:
		return "range is a shared mapping of a file that needs writeback";
	case ENOENT:
		return "this thread has no registration";
	case ENOSPC:
		return "this thread's area is smaller than requested";
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
