// SPDX-License-Identifier: GPL-2.0
/*
 * key_get_vs_tld, upstream's side: mainline's task local data, its BPF half
 * as the kernel's selftests ship it (upstream/task_local_data.bpf.h,
 * vendored unchanged; see upstream/README). It needs UPTR (6.13+) and
 * loads only where the kernel has it: bench.c skips key_get_vs_tld
 * elsewhere.
 *
 * What the header takes from the selftests' build and a newer libbpf than
 * Debian 12's 1.1 is defined here, as libbpf 1.5 and the kernel define it:
 * likely(), __uptr, bpf_for() with its kfuncs, and __PAGE_SIZE (x86_64's).
 * vmlinux.h is the oldest kernel's, without struct bpf_iter_num, or a newer
 * one, with it: its own is renamed out of the way either way.
 */
#define bpf_iter_num bpf_iter_num___vmlinux
#include "vmlinux.h"
#undef bpf_iter_num
#include <bpf/bpf_helpers.h>

#ifndef likely
#define likely(x)	(__builtin_expect(!!(x), 1))
#endif
#ifndef __uptr
#define __uptr __attribute__((btf_type_tag("uptr")))
#endif
#ifndef __PAGE_SIZE
#define __PAGE_SIZE 4096
#endif

#ifndef bpf_for
struct bpf_iter_num {
	__u64 __opaque[1];
} __attribute__((aligned(8)));

extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __weak __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __weak __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __weak __ksym;

/* libbpf's (LGPL-2.1 OR BSD-2-Clause). */
#define bpf_for(i, start, end) for (						\
	struct bpf_iter_num ___it __attribute__((aligned(8),			\
						 cleanup(bpf_iter_num_destroy))),\
			    *___p __attribute__((unused)) = (			\
				bpf_iter_num_new(&___it, (start), (end)),	\
				(void)bpf_iter_num_destroy, (void *)0);		\
	({									\
		int *___t = bpf_iter_num_next(&___it);				\
		(___t && ((i) = *___t, (i) >= (start) && (i) < (end)));		\
	});									\
)
#endif

#include "upstream/task_local_data.bpf.h"

#include "bench_tld.bpf.h"
