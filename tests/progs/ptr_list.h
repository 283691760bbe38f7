/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by ptr_list.bpf.c and test_ptr.c: a list of requests that a
 * thread builds in its region with plain pointers, and that a BPF program
 * walks and extends (uls.bpf.h's uls_ptr() and uls_uptr()).
 */
#ifndef ULS_TEST_PTR_LIST_H
#define ULS_TEST_PTR_LIST_H

/* A request. Pointers are the thread's: user addresses. */
struct ptr_req {
	__u64 next;		/* the next request, 0: the last */
	__u32 id;
	__u32 from_bpf;		/* 1 on a request the program appended */
	__u64 arg;		/* the thread's; the count walked, on BPF's */
	__u64 result;		/* the program's answer: arg * 2 + id */
};

/* At the region's start. */
struct ptr_req_list {
	__u64 head;		/* the first request, 0: none */
	__u32 free;		/* offset in the region of the spare room... */
	__u32 end;		/* ...up to here, for the program's requests */
};

/* ptr_walk's outcome (.status) */
enum {
	PTR_WALK_OK,
	PTR_WALK_NO_LIST,	/* no region, or one shorter than the header */
	PTR_WALK_BAD_LINK,	/* .bad: a link uls_ptr() refused */
	PTR_WALK_TOO_LONG,	/* .max requests and more: a cycle? */
	PTR_WALK_FULL,		/* no spare room left to append */
};

/*
 * Context of ptr_walk and ptr_walk_for, SYSCALL programs run with
 * BPF_PROG_TEST_RUN in the calling thread: walk that thread's list,
 * answer each request, and append one with .append's id.
 */
struct ptr_walk_ctx {
	__u32 max;		/* in: at most this many requests (up to 1024
				   for ptr_walk, 16 for ptr_walk_for) */
	__u32 append;		/* in: the id of a request to append, 0: none */
	__u32 walked;		/* out: requests answered */
	__s32 status;		/* out: PTR_WALK_* */
	__u64 sum;		/* out: their args' sum */
	__u64 appended;		/* out: the appended request's user address */
	__u64 bad;		/* out: the link refused */
};

/*
 * Context of ptr_probe: bpf_uls_from_user() at .uaddr for each size of
 * PTR_PROBE_SIZES(), and bpf_uls_user_base(), for the calling thread (or
 * its leader).
 */
struct ptr_probe_ctx {
	__u64 uaddr;		/* in */
	__u64 value;		/* in: to store with .store; out: loaded */
	__u64 base;		/* out: bpf_uls_user_base() */
	__u32 found;		/* out: bit i: PTR_PROBE_SIZES()'s i-th found */
	__u32 store;		/* in: store .value through the 8-byte pointer */
	__u32 leader;		/* in: for current->group_leader */
	__u32 pad;
};

#define PTR_PROBE_SIZES(X) X(8) X(16) X(64) X(4096)
#define PTR_PROBE_BIT_8		(1 << 0)
#define PTR_PROBE_BIT_16	(1 << 1)
#define PTR_PROBE_BIT_64	(1 << 2)
#define PTR_PROBE_BIT_4096	(1 << 3)

/*
 * What ptr_on_exit (tp_btf/sched_process_exit) saw for the thread whose
 * tid is .tid, as it exited: its registration is then gone.
 */
struct ptr_exit_seen {
	__u64 uaddr;		/* in: an address inside its region */
	__u32 tid;		/* in */
	__u32 hits;		/* out: times the program saw it exit */
	__u64 len;		/* out: bpf_uls_len() */
	__u64 base;		/* out: bpf_uls_user_base() */
	__u64 found;		/* out: bpf_uls_from_user() non-NULL */
};

#endif
