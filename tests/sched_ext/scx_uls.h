/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by scx_uls.bpf.c and scx_uls.c. */
#ifndef SCX_ULS_H
#define SCX_ULS_H

/*
 * What the scheduler writes into a registered thread's region each time
 * it puts the thread on a CPU (ops.running).
 */
struct scx_uls_hint {
	__u64 runs;		/* times ops.running ran for the thread */
	__s32 cpu;		/* the CPU it last started running on */
	__u32 magic;		/* SCX_ULS_MAGIC once the scheduler wrote */
};

#define SCX_ULS_MAGIC 0x5c4eda7aU

/* The key a keyed thread's hint is under (uls_key_get()). */
#define SCX_ULS_KEY "scx_uls.hint"

#endif /* SCX_ULS_H */
