/* SPDX-License-Identifier: GPL-2.0 */
/* What keyread.bpf.c records of each thread it sees, for keyread.c. */
#ifndef KEYREAD_H
#define KEYREAD_H

#define KEYREAD_MAX 64		/* bytes of a key's value it copies at most */

struct keyread_seen {
	__u32 found;		/* 1: the thread has storage for the key */
	__u32 size;
	__u8 data[KEYREAD_MAX];
};

#endif
