// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Keys: per-thread variables by name, shared by every library of a
 * process (uls.h), laid out as include/uls/key_layout.h says.
 *
 * Growth without moving: each thread that uses a key gets a region of the
 * process's capacity (the module's max_len, at most 16 MiB) mapped whole,
 * and registers only the prefix its keys need. A key's offset is fixed at
 * creation, the same in every thread, so a new key only ever extends the
 * prefix: the thread registers the same address again with a larger
 * length, which the module swaps in atomically (a BPF program sees the
 * old registration or the new one, and the bytes they share are the same
 * pages). Pointers stay valid; BPF's lookups stay one table probe.
 *
 * The key table is written under keys_lock and read without it: a slot is
 * complete before nr_keys counts it (release/acquire).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

static pthread_mutex_t keys_lock = PTHREAD_MUTEX_INITIALIZER;
/* ULS_KEYS_MAX of them, mapped; keyed regions point to them (key_layout.h). */
static struct uls_key_name *slots;
static uint32_t nr_keys;		/* complete slots */
static uint32_t keys_end;		/* end of the last key's data */
static uint32_t capacity;		/* of every thread's region */

/* The calling thread's region: the exported part is uls.h's fast path. */
__thread struct uls__thread_keys uls__keys
	__attribute__((tls_model("initial-exec")));

static __thread struct {
	char *base;		/* the region; NULL until the first key */
	size_t registered;	/* bytes; 0: not registered */
	uint32_t described;	/* keys whose descriptors are written */
	uint32_t last_desc;	/* offset of the last one written, or 0 */
	uint32_t desc_end;	/* where the last one's data ends */
} region;

void uls_keys_lock(void)
{
	pthread_mutex_lock(&keys_lock);
}

void uls_keys_unlock(void)
{
	pthread_mutex_unlock(&keys_lock);
}

static uls_key_t key_err(int err)
{
	return (uls_key_t){ .off = -err, .end = UINT32_MAX };
}

static uint32_t key_align(size_t size)
{
	uint32_t a = 8;

	while (a < size && a < ULS_KEY_ALIGN_MAX)
		a <<= 1;
	return a;
}

/*
 * The module's max_len, without opening /dev/uls: keys are created from
 * constructors, in processes that may never use them, and an open device
 * would hold the module. Its default when it cannot be read (the module
 * not loaded yet): registering says the rest.
 */
static size_t module_max_len(void)
{
	unsigned long v = 0;
	struct uls_info info;
	FILE *f;

	if (uls_fd_opened() && !uls_info(&info))
		return info.max_len;
	f = fopen("/sys/module/uls/parameters/max_len", "re");
	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v ? v : 16 * uls_page_size();
}

/* Under keys_lock: map the table, and learn the capacity, once. */
static int keys_init(void)
{
	size_t ps = uls_page_size(), cap;
	void *p;

	if (slots)
		return 0;
	p = mmap(NULL, ULS_KEYS_MAX * sizeof(*slots), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	cap = module_max_len();
	if (cap > ULS_KEYS_CAPACITY_MAX)
		cap = ULS_KEYS_CAPACITY_MAX;
	capacity = cap & ~(ps - 1);
	keys_end = sizeof(struct uls_keys_header);
	__atomic_store_n(&slots, p, __ATOMIC_RELEASE);
	return 0;
}

uls_key_t uls_key_create_flags(const char *name, size_t size, bool excl)
{
	const struct uls_owner *o = uls_owner();
	size_t len;
	uint64_t hash, off;
	uls_key_t key;
	uint32_t i;
	int err;

	if (o)
		return o->key_create(name, size, excl);
	if (!name || !*name || !size)
		return key_err(EINVAL);
	len = strnlen(name, ULS_KEY_NAME_MAX);
	if (len == ULS_KEY_NAME_MAX)
		return key_err(ENAMETOOLONG);
	if (size > ULS_KEYS_CAPACITY_MAX)
		return key_err(E2BIG);
	hash = uls_key_hash(name);

	pthread_mutex_lock(&keys_lock);
	err = keys_init();
	if (err) {
		key = key_err(-err);
		goto out;
	}
	for (i = 0; i < nr_keys; i++) {
		if (slots[i].hash != hash || strcmp(slots[i].name, name))
			continue;
		if (excl || slots[i].size != size)
			key = key_err(EEXIST);
		else
			key = (uls_key_t){ slots[i].off, slots[i].off + size };
		goto out;
	}
	if (nr_keys == ULS_KEYS_MAX) {
		key = key_err(ENOSPC);
		goto out;
	}
	/* The descriptor right before the data, the data aligned. */
	off = keys_end + sizeof(struct uls_key_desc);
	off = (off + key_align(size) - 1) & ~(uint64_t)(key_align(size) - 1);
	if (off + size > capacity) {
		key = key_err(E2BIG);
		goto out;
	}
	slots[i].off = off;
	slots[i].size = size;
	memcpy(slots[i].name, name, len + 1);
	/* Last: a reader from outside takes a hash as "the name is there". */
	__atomic_store_n(&slots[i].hash, hash, __ATOMIC_RELEASE);
	keys_end = off + size;
	__atomic_store_n(&nr_keys, i + 1, __ATOMIC_RELEASE);
	key = (uls_key_t){ off, off + size };
out:
	pthread_mutex_unlock(&keys_lock);
	return key;
}

uls_key_t uls_key_create(const char *name, size_t size)
{
	return uls_key_create_flags(name, size, false);
}

uls_key_t uls_key_create_excl(const char *name, size_t size)
{
	return uls_key_create_flags(name, size, true);
}

void *uls__key_get_lazy(union uls_key_cache *cache, const char *name, size_t size)
{
	union uls_key_cache c;

	/* Created once per copy of libuls: every copy gets the same key. */
	c.word = __atomic_load_n(&cache->word, __ATOMIC_ACQUIRE);
	if (__builtin_expect(c.key.off == -EAGAIN, 0)) {
		c.key = uls_key_create(name, size);
		if (uls_key_is_err(c.key)) {
			errno = -uls_key_err(c.key);
			return NULL;
		}
		__atomic_store_n(&cache->word, c.word, __ATOMIC_RELEASE);
	}
	return uls_key_get(c.key);
}

/*
 * Write the descriptors of the keys that lie whole within the first @len
 * bytes of this thread's region and are not described yet, linking each
 * to the last. Lock-free: slots below nr_keys never change.
 */
static void describe(char *base, size_t len)
{
	uint32_t n = __atomic_load_n(&nr_keys, __ATOMIC_ACQUIRE);
	struct uls_keys_header *h = (void *)base;

	for (; region.described < n; region.described++) {
		const struct uls_key_name *s = &slots[region.described];
		uint32_t d = s->off - sizeof(struct uls_key_desc);
		struct uls_key_desc *desc = (void *)(base + d);

		if (s->off + s->size > len)
			break;
		desc->hash = s->hash;
		desc->size = s->size;
		desc->next = 0;
		/* Complete before a walk can reach it (BPF reads with loads). */
		if (region.last_desc)
			__atomic_store_n(&((struct uls_key_desc *)
					   (base + region.last_desc))->next,
					 d, __ATOMIC_RELEASE);
		else
			__atomic_store_n(&h->first, d, __ATOMIC_RELEASE);
		region.last_desc = d;
		region.desc_end = s->off + s->size;
	}
}

/* What uls_key_get()'s fast path reads (uls.h): how far keys are ready. */
static void publish(void)
{
	uls__keys.base = region.base;
	uls__keys.ready = region.desc_end ?
		(uint64_t)region.desc_end << 32 | UINT32_MAX : 0;
}

/*
 * Register the first @len bytes of this thread's region: the same address
 * as before, so the module replaces the registration in place, and never
 * another holder's (EBUSY).
 */
static int region_register(size_t len)
{
	int err = uls_register_excl(region.base, len);

	if (!err) {
		region.registered = len;
		uls_held = ULS_HELD_KEYS;
	}
	return err;
}

static int region_create(void)
{
	struct uls_keys_header *h;
	char *base;

	if (uls_held != ULS_HELD_NONE)
		return -EBUSY;
	base = uls_region_alloc(capacity);
	if (!base)
		return -ENOMEM;
	h = (void *)base;
	h->magic = ULS_KEYS_MAGIC;
	h->version = ULS_KEYS_VERSION;
	h->names = (uintptr_t)slots;
	region.base = base;
	region.registered = 0;
	region.described = 0;
	region.last_desc = 0;
	region.desc_end = 0;
	uls_arm_thread_exit(base);
	return 0;
}

void *uls__key_get_slow(uint64_t k)
{
	const struct uls_owner *o = uls_owner();
	uls_key_t key = { (int32_t)k, (uint32_t)(k >> 32) };
	size_t ps = uls_page_size(), want;
	int err;

	if (o) {
		void *p = o->key_get_slow(k);

		/* Mirror the owner's view, for this copy's fast path. */
		uls__keys = o->thread_keys();
		return p;
	}
	if (key.off < 0) {
		errno = -key.off;
		return NULL;
	}
	if (!region.base) {
		err = region_create();
		if (err)
			goto err;
	}
	/* (Descriptors past the registration: an earlier growth failed.) */
	if (key.end > region.registered ||
	    region.desc_end > region.registered) {
		/* Every key that exists now, in whole pages: one call. */
		uint32_t end = __atomic_load_n(&keys_end, __ATOMIC_RELAXED);

		want = ((end > key.end ? end : key.end) + ps - 1) & ~(ps - 1);
		if (want > capacity)
			want = capacity;
		describe(region.base, want);
		err = region_register(want);
		if (err)
			goto err;
	}
	describe(region.base, region.registered);
	publish();
	return region.base + key.off;

err:
	errno = -err;
	return NULL;
}

struct uls__thread_keys uls_keys_of_thread(void)
{
	return uls__keys;
}


/*
 * Thread exit: unregister the region and quarantine it (pool.c), or free
 * one that never got registered.
 */
void uls_keys_thread_exit(void)
{
	char *base = region.base;
	size_t used = region.registered;

	if (!base)
		return;
	if (region.registered) {
		uls_unregister_raw();
		uls_held = ULS_HELD_NONE;
	}
	/* All it wrote, and all BPF could: zeroed before its next use. */
	if (used < region.desc_end)
		used = region.desc_end;
	if (used < sizeof(struct uls_keys_header))
		used = sizeof(struct uls_keys_header);
	uls_region_free(base, used);
	region.base = NULL;
	uls__keys.ready = 0;
	region.registered = 0;
}

/*
 * The child of fork(): its thread has the forking thread's region, copied
 * at the same address, and no registration. Register it again now, for
 * the pointers that libraries keep; if that fails, the next slow call
 * tries again.
 */
void uls_keys_forked(void)
{
	size_t len = region.registered;

	if (!len)
		return;
	uls_held = ULS_HELD_NONE;
	region.registered = 0;
	if (region_register(len))
		uls__keys.ready = 0;
}
