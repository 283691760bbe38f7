/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Scheduling hints: what a thread tells a sched_ext scheduler about itself
 * ("latency-critical", "background"), in its own memory, under the key
 * ULS_HINT_KEY. A hint changes with one store: no system call, no bpf().
 * scx_hints (user/scx_hints) reads it at the thread's next scheduling
 * event; any other scheduler may read the same key. Both sides include
 * this file.
 *
 * A thread gets its struct from libuls (uls_hint() in uls.h), which
 * creates the key and registers the thread's storage on first use. A
 * thread that never asks has no hint, and is scheduled as normal.
 *
 * Readers treat garbage as no hint: an unknown @class, or a @nice outside
 * [ULS_HINT_NICE_MIN, ULS_HINT_NICE_MAX], means ULS_HINT_NORMAL with nice
 * 0. A hint is a request, not a right: scx_hints caps what one user's
 * latency-critical threads may take, and a hint's nice can only lower a
 * thread's weight below what its real nice gives (see README "scx_hints").
 */
#ifndef _ULS_HINT_H
#define _ULS_HINT_H

#if !defined(__bpf__) && !defined(__KERNEL__)
#include <linux/types.h>
#endif

/* The key's name and size: a library asking with another size gets EEXIST. */
#define ULS_HINT_KEY	"uls.hint"

enum uls_hint_class {
	ULS_HINT_NORMAL = 0,		/* fair share; what no hint means */
	ULS_HINT_LATENCY_CRITICAL = 1,	/* run first, may preempt others */
	ULS_HINT_BACKGROUND = 2,	/* run when nothing else wants to */
	ULS_HINT_NR_CLASSES,
};

#define ULS_HINT_NICE_MIN	(-20)
#define ULS_HINT_NICE_MAX	19

/*
 * 8 bytes, so that a hint is one aligned word: a writer that sets both
 * fields at once may store them together, and a reader never sees half.
 */
struct uls_hint {
#ifdef __cplusplus
	/* class is a C++ keyword: the same field, named as Xlib's Visual does. */
	__u32 c_class;
#else
	__u32 class;	/* enum uls_hint_class */
#endif
	__s32 nice;	/* like setpriority()'s; 0: the thread's own weight */
};

#endif /* _ULS_HINT_H */
