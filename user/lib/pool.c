// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The memory libuls registers for threads, and its quarantine.
 *
 * uls_area() takes blocks of power-of-two sizes from 64 bytes to a page,
 * carved from pages mapped for the purpose; larger areas get pages of
 * their own. A block is aligned to its size, so it never straddles a page
 * and many threads share one pinned page. Keys take a region per thread,
 * mapped whole (all of one size in a process), of which a thread
 * registers what its keys need.
 *
 * A freed block or region is quarantined: a BPF program that fetched its
 * pointer before the unregistration may still store into it until the
 * module has freed the registration (its grace periods passed), and the
 * next owner must not get those stores. So each freed block is tagged
 * with the module's retired_seq, read after its unregistration, and is
 * handed out again only once freed_seq has reached it; until then a new
 * one is carved or mapped. Tags are read lazily, one ULS_IOC_INFO for all
 * the blocks freed since the last: untagged blocks are the tail of each
 * first-in first-out list. A larger area's pages are unmapped, which is
 * safe at once: the module's pin keeps the old pages, and a new mapping
 * at the address gets new ones.
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define ULS_SEQ_UNKNOWN UINT64_MAX

struct free_block {
	struct free_block *next;
	uint64_t seq;		/* reusable once freed_seq >= seq */
	size_t used;		/* bytes to zero before reuse */
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	struct free_block *head, *tail;
	struct free_block *untagged;	/* first block with no seq yet */
	char *carve;		/* unused rest of the newest page */
	size_t carve_left;
} pool[ULS_POOL_NR];
static uint64_t pool_freed_seq;	/* the module's freed_seq, as last read */
static uint64_t pool_seqs_read_ns;	/* when, CLOCK_MONOTONIC_COARSE */

/*
 * The module frees in batches, 20 ms apart unless someone waits for one
 * (ULS_REAP_DELAY): asking it again within 10 ms would rarely learn more,
 * and a thread pool starting threads in a loop pays for each question
 * with a system call in a new thread, where it is at its dearest.
 */
#define POOL_REREAD_NS 10000000

void uls_pool_lock(void)
{
	pthread_mutex_lock(&pool_lock);
}

void uls_pool_unlock(void)
{
	pthread_mutex_unlock(&pool_lock);
}

static uint64_t coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int size_class(size_t size, size_t *block)
{
	size_t b = ULS_POOL_MIN_BLOCK;
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
	for (int c = 0; c < ULS_POOL_NR; c++) {
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

static void pool_put(int c, struct free_block *f, size_t used)
{
	f->next = NULL;
	f->seq = ULS_SEQ_UNKNOWN;
	f->used = used;
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

static void *map_anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void *uls_block_alloc(size_t size, size_t *block)
{
	size_t ps = uls_page_size();
	void *p = NULL;
	int c;

	if (size > ps) {
		*block = (size + ps - 1) & ~(ps - 1);
		return map_anon(*block);
	}

	c = size_class(size, block);
	pthread_mutex_lock(&pool_lock);
	p = pool_take(c);
	if (!p) {
		if (pool[c].carve_left < *block) {
			void *page = map_anon(ps);

			if (!page)
				goto out;
			pool[c].carve = page;
			pool[c].carve_left = ps;
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

void uls_block_free(void *p, size_t block)
{
	size_t unused;

	if (block > uls_page_size()) {
		munmap(p, block);
		return;
	}
	pool_put(size_class(block, &unused), p, block);
}

/*
 * A keyed region of @size bytes, zeroed. Only its first pages are ever
 * touched: the rest is address space, reserved so that the region grows
 * in place; MAP_NORESERVE keeps it out of the commit charge.
 */
void *uls_region_alloc(size_t size)
{
	struct free_block *f;
	size_t used;

	pthread_mutex_lock(&pool_lock);
	f = pool_take(ULS_POOL_KEYS);
	pthread_mutex_unlock(&pool_lock);
	if (!f)
		return map_anon(size);
	used = f->used;
	memset(f, 0, used);
	return f;
}

/*
 * Quarantine a keyed region whose thread registered (and may have
 * written) its first @used bytes: those are zeroed before its next use.
 */
void uls_region_free(void *p, size_t used)
{
	pool_put(ULS_POOL_KEYS, p, used < sizeof(struct free_block) ?
		 sizeof(struct free_block) : used);
}
