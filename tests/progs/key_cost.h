/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ULS_KEY_COST_H
#define ULS_KEY_COST_H

/*
 * Context of cost_lookup (key_cost.bpf.c), a SYSCALL program run in the
 * calling thread: uls_key_get() of COST_KEY, 8 bytes, in that thread.
 */
struct cost_ctx {
	__u64 val;	/* out: the key's u64, if found */
	__u32 found;	/* out: 1 if uls_key_get() was not NULL */
	__u32 __pad;
};

#define COST_KEY	"cost.a"

#endif
