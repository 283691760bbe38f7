/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by keys.bpf.c and the key tests that run it (keys_util.c). */
#ifndef ULS_TEST_KEYS_H
#define ULS_TEST_KEYS_H

#define KEYS_NAME_MAX	64	/* ULS_KEY_NAME_MAX, with the NUL */

/*
 * Context of keys_access and keys_count: SYSCALL programs run with
 * BPF_PROG_TEST_RUN in the calling thread. They find a key of that
 * thread's keyed region the way any BPF tool would, from its name and
 * size only: the layout of uls/key_layout.h, walked from header.first.
 */
struct keys_ctx {
	char name[KEYS_NAME_MAX];	/* in: the key's name, NUL-terminated */
	__u32 size;		/* in: the key's size */
	__u32 offset;		/* in: byte of the key's data to access (8-aligned) */
	__u64 value;		/* in: to store; out: loaded before the store */
	__u32 store;		/* in: store .value */
	__s32 found;		/* out: 1 found; 0 no such key; -1 no region
				   or no header; -2 .offset out of the key;
				   -3 a link out of the registered part */
	__u32 data_off;		/* out: the key's data in the region */
	__u32 ndesc;		/* out: descriptors walked */
	__u64 hash;		/* out: the hash the program computed */
};

#endif
