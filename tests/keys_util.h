/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The key tests' view of a thread's keyed region from BPF (progs/keys.bpf.c,
 * which finds a key by name from uls/key_layout.h alone). Shared by
 * uls_test and the dynamically linked uls_dso_test (tests/dso).
 */
#ifndef ULS_TEST_KEYS_UTIL_H
#define ULS_TEST_KEYS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct keys;

struct keys *t_keys_load(void);
void t_keys_destroy(struct keys *k);

/*
 * In the calling thread, through BPF: load the u64 at byte @offset of key
 * @name (of @size bytes) into *@val, and store @store_val there if @store.
 * 1 if the key was found, 0 if the region has no such key, -ENOENT if the
 * thread has no keyed region, -ERANGE if a link leads out of the
 * registered region, other -errno if the program could not run.
 */
int t_key_bpf_access(struct keys *k, const char *name, __u32 size,
		     __u32 offset, __u64 *val, bool store, __u64 store_val);
static inline int t_key_bpf_load(struct keys *k, const char *name,
				 __u32 size, __u32 offset, __u64 *val)
{
	return t_key_bpf_access(k, name, size, offset, val, false, 0);
}
static inline int t_key_bpf_store(struct keys *k, const char *name,
				  __u32 size, __u32 offset, __u64 val)
{
	__u64 old;

	return t_key_bpf_access(k, name, size, offset, &old, true, val);
}
/* The key's data offset in the region as BPF found it, or -errno. */
long t_key_bpf_offset(struct keys *k, const char *name, __u32 size);
/* Descriptors linked in the calling thread's region, or -errno. */
long t_key_bpf_count(struct keys *k);

#endif
