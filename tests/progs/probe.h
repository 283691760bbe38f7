/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by probe.bpf.c and the tests that run it. */
#ifndef ULS_PROBE_H
#define ULS_PROBE_H

/*
 * Context of the SYSCALL programs in probe.bpf.c. They run through
 * BPF_PROG_TEST_RUN in the calling thread, and act on that thread's
 * region (or, with .leader set, on its thread group leader's).
 */
struct probe_ctx {
	__u64 offset;		/* for the _at programs */
	__u64 value;		/* in: value to store; out: value loaded */
	__u64 len;		/* out: bpf_uls_len() */
	__u64 sizes_ok;		/* out: bit i set if probe_sizes[i] fits */
	__s32 found;		/* out: the kfunc returned non-NULL */
	__u32 store;		/* in: store .value after loading */
	__u32 leader;		/* in: act on current->group_leader */
	__u32 pad;
};

/* The sizes probe_sizes() asks bpf_uls_get() for, in this order. */
#define PROBE_SIZES(X) X(1) X(8) X(64) X(100) X(101) X(4095) X(4096) \
	X(4097) X(8192) X(65536) X(65537)
#define PROBE_NR_SIZES 11

#endif
