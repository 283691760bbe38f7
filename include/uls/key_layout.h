/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The layout of a thread's keyed region: what libuls writes into the
 * memory a thread registers for its keys, and what BPF programs read to
 * find a key by name. Both sides include this file; nothing else about the
 * region is shared.
 *
 * A process's keys have fixed offsets, the same in every thread: a key is
 * placed at creation after the last one and never moves or goes. A
 * thread's region is the prefix of that layout that it has registered,
 * and it only grows, in place (libuls reserves the address space up to
 * the process's capacity when the thread first uses a key):
 *
 *	0	struct uls_keys_header
 *	...	struct uls_key_desc, then the key's data, for each key in
 *		order of creation; the data aligned as the key needs, up to
 *		ULS_KEY_ALIGN_MAX bytes, the descriptor right before it
 *
 * Each thread writes the descriptors into its own region before it
 * registers the part that holds them, so a BPF program that sees a
 * descriptor sees it whole. The module's bpf_uls_key_get() finds a key
 * by walking the descriptors from header.first, comparing name hashes;
 * the calling program's cache keeps the descriptor's offset, and each
 * later lookup checks the descriptor at that offset again.
 */
#ifndef _ULS_KEY_LAYOUT_H
#define _ULS_KEY_LAYOUT_H

#if !defined(__bpf__) && !defined(__KERNEL__)
#include <linux/types.h>
#endif

#define ULS_KEYS_MAGIC		0x3179656b736c75ULL	/* "ulskey1" */
#define ULS_KEYS_VERSION	1

#define ULS_KEYS_MAX		1024	/* keys per process */
#define ULS_KEY_NAME_MAX	64	/* bytes with the NUL: names of 1..63 */
#define ULS_KEY_ALIGN_MAX	64	/* a cache line */
/*
 * Bytes of a keyed region that hold descriptors and data: a reader may
 * ignore anything past them (BPF's key cache keeps them in 32 bits, in units of 8 bytes).
 */
#define ULS_KEYS_CAPACITY_MAX	(16u << 20)

/*
 * At offset 0 of every keyed region. @names lets a tool that reads the
 * region from outside (ulsctl list, as root) name its keys, which the
 * region knows only by hash: the address, in the owner's address space,
 * of the process's ULS_KEYS_MAX name slots. A slot whose hash is 0 is
 * unused; a slot's name is written before its hash is, so a hash read
 * means the name is there. 0: the writer keeps no names.
 */
struct uls_keys_header {
	__u64 magic;		/* ULS_KEYS_MAGIC */
	__u32 version;		/* ULS_KEYS_VERSION */
	__u32 first;		/* offset of the first descriptor; 0: none */
	__u64 names;		/* user address of struct uls_key_name[] */
	__u64 __reserved[5];
};

struct uls_key_name {
	__u64 hash;		/* uls_key_hash(name); 0: unused */
	__u32 off;		/* of the key's data in every region */
	__u32 size;
	char name[ULS_KEY_NAME_MAX];	/* NUL-terminated */
};

/*
 * Right before each key's data. @next links the descriptors in this
 * thread's region: 0 when the key is the last one the region holds (the
 * thread sets it when its region grows to hold more).
 */
struct uls_key_desc {
	__u64 hash;		/* uls_key_hash() of the key's name */
	__u32 size;		/* the key's size in bytes */
	__u32 next;		/* offset of the next descriptor, or 0 */
};

/*
 * 64-bit FNV-1a of a key's name, never 0 (0 marks an unused descriptor).
 * Names are compared by this hash alone: two distinct names in one process
 * collide with a probability of about 2^-50 even with all 1024 keys used.
 * For a string literal, clang computes it at compile time, in BPF programs
 * too.
 */
static inline __attribute__((always_inline)) __u64
uls_key_hash(const char *name)
{
	__u64 h = 0xcbf29ce484222325ULL;
	int i;

#ifdef __clang__
#pragma unroll
#endif
	for (i = 0; i < ULS_KEY_NAME_MAX; i++) {
		if (!name[i])
			break;
		h = (h ^ (unsigned char)name[i]) * 0x100000001b3ULL;
	}
	return h ? h : 1;
}

#endif /* _ULS_KEY_LAYOUT_H */
