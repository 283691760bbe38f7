// SPDX-License-Identifier: GPL-2.0
/*
 * keyread's BPF half: at each switch away from a thread of the target
 * process, the first time per thread, the key's value as the kfunc
 * bpf_uls_key_get() finds it. The key's name and size come at run time
 * (rodata, constants once loaded), so it calls the kfunc itself rather
 * than through uls_key_get(), whose name must be a string literal.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <uls.bpf.h>

#include "keyread.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid;
const volatile __u64 key_hash;		/* uls_key_hash() of the name */
const volatile __u32 key_size;		/* 1..KEYREAD_MAX */

/* bpf_uls_key_get()'s cache, a row per process image. */
static __u64 key_cache[64];

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct keyread_seen);
} seen SEC(".maps");

SEC("tp_btf/sched_switch")
int BPF_PROG(keyread_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	struct keyread_seen s = {};
	__u32 tid = prev->pid;
	__u64 *p;

	if (prev->tgid != target_tgid || bpf_map_lookup_elem(&seen, &tid))
		return 0;
	s.size = key_size;
	p = bpf_uls_key_get(prev, key_cache, sizeof(key_cache), key_hash, key_size);
	if (p) {
		s.found = 1;
		bpf_probe_read_kernel(s.data, key_size, p);
	}
	bpf_map_update_elem(&seen, &tid, &s, BPF_NOEXIST);
	return 0;
}
