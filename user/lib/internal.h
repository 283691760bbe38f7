/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * libuls internals shared by its files. Nothing here is exported: the
 * shared library and the static one build with hidden visibility, and only
 * ULS_API names leave them.
 */
#ifndef _ULS_INTERNAL_H
#define _ULS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uls.h"

/*
 * Who holds the calling thread's one registration, as this copy of libuls
 * made it. Only one of them may: the others get EBUSY (uls.h).
 */
enum uls_holder {
	ULS_HELD_NONE,
	ULS_HELD_AREA,		/* uls_area() */
	ULS_HELD_KEYS,		/* keys.c */
	ULS_HELD_MANUAL,	/* uls_register() */
};

extern __thread enum uls_holder uls_held;

/* In a loop that waits for another CPU: let the sibling hyperthread run. */
static inline void uls_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/* libuls.c */
int uls_ioctl(unsigned long cmd, void *arg);
/* True once this copy has opened /dev/uls. */
bool uls_fd_opened(void);
/*
 * Register [addr, addr + len) for the calling thread, not in another
 * holder's place: EBUSY if the thread has a registration at another
 * address (ULS_REGISTER_EXCL, or a query where the module lacks it).
 */
int uls_register_excl(void *addr, size_t len);
/* Drop the calling thread's registration, whoever made it. */
int uls_unregister_raw(void);
size_t uls_page_size(void);
/* Arrange for uls_thread_exit() to run when the calling thread exits. */
void uls_arm_thread_exit(void *cookie);

/* pool.c: blocks of memory to register, quarantined after use */
enum {
	ULS_POOL_MIN_BLOCK = 64,
	ULS_POOL_PAGE_CLASSES = 7,		/* 64 .. 4096 bytes */
	ULS_POOL_KEYS = ULS_POOL_PAGE_CLASSES,	/* keyed regions */
	ULS_POOL_NR = ULS_POOL_KEYS + 1,
};

void *uls_block_alloc(size_t size, size_t *block);
void uls_block_free(void *p, size_t block);
/* Keyed regions: reserved whole, all of one size per process. */
void *uls_region_alloc(size_t size);
void uls_region_free(void *p, size_t used);
void uls_pool_lock(void);
void uls_pool_unlock(void);

/* area.c and keys.c: what they do at thread exit and across fork() */
void uls_area_thread_exit(void);
void uls_area_forked(void);
void uls_keys_thread_exit(void);
void uls_keys_forked(void);
void uls_keys_lock(void);
void uls_keys_unlock(void);

/*
 * owner.c: a static copy of libuls defers to libuls.so.0 when that is
 * loaded in the process, so that all copies share one set of keys and
 * one holder per thread. libuls.so.0 exports its entry points in this
 * table; a copy calls through it only for what has state.
 */
struct uls_owner {
	size_t size;		/* sizeof(struct uls_owner) of the owner */
	int (*fd)(void);
	int (*reg)(void *addr, size_t len);
	int (*unreg)(void);
	void *(*area)(size_t size);
	uls_key_t (*key_create)(const char *name, size_t size, bool excl);
	void *(*key_get_slow)(uint64_t key);	/* as uls.h's */
	struct uls__thread_keys (*thread_keys)(void);
};

extern const struct uls_owner uls_owner_table;

/* The owner to defer to, or NULL: this copy is the owner. */
const struct uls_owner *uls_owner(void);

uls_key_t uls_key_create_flags(const char *name, size_t size, bool excl);
struct uls__thread_keys uls_keys_of_thread(void);
/*
 * A key that libuls creates on first use, read and written whole by
 * threads racing to create it: one aligned word, so that the atomics are
 * plain loads and stores (uls_key_t alone is 4-byte aligned, for which
 * a compiler may call libatomic).
 */
union uls_key_cache {
	uls_key_t key;
	uint64_t word;
};

#define ULS_KEY_CACHE_INIT { .key = { -EAGAIN, UINT32_MAX } }

/*
 * This thread's storage for the key @name of @size, the key created on
 * the first call and kept in *@cache (ULS_KEY_CACHE_INIT before): the
 * libuls calls that own a key of their own (sched events, hints).
 */
void *uls__key_get_lazy(union uls_key_cache *cache, const char *name, size_t size);

#endif /* _ULS_INTERNAL_H */
