/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the benchmark's BPF programs and bench.c. */
#ifndef __ULS_BENCH_H
#define __ULS_BENCH_H

/* What the lookup program's loop does once per iteration. */
enum bench_mode {
	BENCH_EMPTY,		/* the loop's own cost, subtracted from the rest */
	BENCH_ULS_GET,		/* bpf_uls_get() */
	BENCH_TASK_STORAGE,	/* bpf_task_storage_get() */
	BENCH_HASH,		/* bpf_map_lookup_elem() on a hash map by pid */
	BENCH_PROBE_READ,	/* bpf_probe_read_user() of the same 8 bytes */
	BENCH_UPTR,		/* bench_uptr.bpf.c: task storage + __uptr */
	BENCH_KEY_GET,		/* uls_key_get(task, name, size), cached */
	BENCH_TLD,		/* bench_tld_*.bpf.c: tld_object_init() +
				   tld_get_data() */
	BENCH_NR_MODES,
};

/*
 * The keys the keyed benchmarks look up by name: one of libuls's keys, of
 * a struct bench_val, for uls_key_get(); and a TLD of 8 bytes, created
 * through uls/tld.h for bench_tld_uls.bpf.c and through upstream's
 * task_local_data.h for bench_tld_upstream.bpf.c.
 */
#define BENCH_KEY_NAME	"uls_bench.key"
#define BENCH_TLD_NAME	"uls_bench.tld"

/* A 64-byte value, as a thread's hints would be. */
struct bench_val {
	__u64 x;
	__u64 pad[7];
};

#endif /* __ULS_BENCH_H */
