// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_uls_key_get() with a cache that may be NULL: a map value looked up
 * and passed unchecked. Kernels that refuse a maybe-NULL pointer for a
 * KF_RCU kfunc refuse the program; where the verifier lets it through
 * (6.1), the kfunc must test the cache for NULL itself (module/compat.h).
 * test_keys_bpf.c loads it on its own.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "uls.bpf.h"
#include "key_lookup.h"

char LICENSE[] SEC("license") = "GPL";

struct key_cache {
	__u64 rows[ULS_KEY_CACHE_ROWS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct key_cache);
} caches SEC(".maps");

/* keys.a through caches' element .store: 0, the cache; 1, NULL. */
SEC("syscall")
int keys_null_cache(struct keys_ctx *c)
{
	__u32 i = c->store;
	struct key_cache *cache = bpf_map_lookup_elem(&caches, &i);
	__u64 *a = bpf_uls_key_get(bpf_get_current_task_btf(), cache,
				   sizeof(*cache), uls_key_hash("keys.a"), 8);

	c->found = a ? KEYS_A : 0;
	if (a)
		c->a = *a;
	return 0;
}
