/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Task local data (TLD) on uls: the user API of the kernel's
 * tools/testing/selftests/bpf/prog_tests/task_local_data.h, with its
 * semantics, as thin wrappers over libuls's keys (uls.h). A TLD program
 * builds against uls by including <uls/tld.h> here and "tld.bpf.h" in
 * its BPF program (installed in uls/bpf/, uls.pc's bpfincludedir),
 * instead of task_local_data.h and .bpf.h, and linking with -luls. It
 * then runs on every kernel uls supports, without UPTR.
 *
 *	TLD_DEFINE_KEY(prio, "priority", sizeof(int));
 *	...
 *	int *p = tld_get_data(map_fd, prio);	// this thread's, or NULL
 *	if (p)
 *		*p = 3;
 *
 * What differs from upstream:
 *
 *   - Limits are uls's: TLD_MAX_DATA_CNT (ULS_KEYS_MAX, 1024) keys, names
 *     shorter than TLD_NAME_LEN (ULS_KEY_NAME_MAX, 64) bytes, and all
 *     keys' data, static or dynamic, in the module's max_len per thread
 *     (E2BIG beyond). There is no separate budget for keys created at run
 *     time: TLD_DYN_DATA_SIZE is accepted and ignored.
 *   - Data is aligned as its size needs, up to 64 bytes (upstream: 8).
 *   - @map_fd is accepted and ignored: uls needs no BPF map.
 *   - Threads need not free anything: libuls releases a thread's storage
 *     when the thread exits. tld_free() does nothing, and
 *     TLD_FREE_DATA_ON_THREAD_EXIT is accepted and ignored. A pointer from
 *     tld_get_data() stays valid until the thread exits.
 *   - The keys are libuls's: uls_key_create() in another library, of the
 *     same name and size, gives the same storage.
 *   - tld_key_t is uls_key_t.
 */
#ifndef __ULS_TLD_H
#define __ULS_TLD_H

#include <uls.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TLD_MAX_DATA_CNT ULS_KEYS_MAX

#ifndef TLD_NAME_LEN
#define TLD_NAME_LEN ULS_KEY_NAME_MAX
#endif

#define TLD_ROUND_MASK(x, y) ((__typeof__(x))((y) - 1))
#define TLD_ROUND_UP(x, y) ((((x) - 1) | TLD_ROUND_MASK(x, y)) + 1)

typedef uls_key_t tld_key_t;

/**
 * TLD_DEFINE_KEY() - Define a TLD and a global variable key associated with
 * the TLD, created before main() starts (or when the DSO is loaded).
 *
 * -EEXIST if @name is a key already, whatever its size (TLD's rule).
 */
#define TLD_DEFINE_KEY(key, name, size)					\
	tld_key_t key = { -EAGAIN, UINT32_MAX };			\
	__attribute__((constructor(101))) static void			\
	__tld_define_key_##key(void)					\
	{								\
		key = uls_key_create_excl((name), (size));		\
	}

/**
 * tld_create_key() - Create a TLD and return a key associated with it.
 *
 * Errors in the key: -EEXIST (any key of that name, TLD's rule; use
 * uls_key_create() to share a key by name and size), -E2BIG, -ENOSPC,
 * -EINVAL, -ENAMETOOLONG, -ENOMEM (uls_key_create()).
 */
__attribute__((unused))
static inline tld_key_t tld_create_key(const char *name, size_t size)
{
	return uls_key_create_excl(name, size);
}

__attribute__((unused))
static inline bool tld_key_is_err(tld_key_t key)
{
	return uls_key_is_err(key);
}

__attribute__((unused))
static inline int tld_key_err_or_zero(tld_key_t key)
{
	return uls_key_err(key);
}

/**
 * tld_get_data() - The calling thread's TLD for @key: zeroed on first use,
 * 8-byte aligned, valid until the thread exits; NULL with errno set if the
 * key is invalid or the thread's storage could not be registered
 * (uls_key_get()).
 */
__attribute__((unused))
static inline void *tld_get_data(int map_fd, tld_key_t key)
{
	(void)map_fd;
	return uls_key_get(key);
}

/* Nothing to do: libuls frees a thread's storage when the thread exits. */
__attribute__((unused))
static inline void tld_free(void)
{
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* __ULS_TLD_H */
