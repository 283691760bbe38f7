/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ULS_KEYS_H
#define ULS_KEYS_H

/*
 * Context of keys_rw (keys.bpf.c), a SYSCALL program run in the calling
 * thread: it looks up the thread's keys by name, reports what they held
 * and adds .value to each it found.
 */
struct keys_ctx {
	__u64 value;	/* in: added to the first u64 of each key found */
	__u64 a, b, c;	/* out: the first u64 of keys.a, keys.b, keys.c */
	__u32 found;	/* out: KEYS_* of the lookups that were not NULL */
	__u32 store;	/* in: add .value */
};

#define KEYS_A		1	/* "keys.a", 8 bytes */
#define KEYS_B		2	/* "keys.b", 64 bytes */
#define KEYS_C		4	/* "keys.c", 8 bytes */
#define KEYS_A_16	8	/* "keys.a" asked for 16 bytes */
#define KEYS_ABSENT	16	/* "keys.absent", never created */

/* The ioctl command the LSM program counts (sent to /dev/null). */
#define KEYS_LSM_IOCTL_CMD	0x75C6

#endif
