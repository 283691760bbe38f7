/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The uls kfuncs, declared once for both sides: the module compiles its
 * definitions against these prototypes, and BPF programs get them as weak
 * __ksym externs. libbpf refuses an extern whose BTF prototype differs from
 * the kernel's, so the two must never be written separately.
 *
 * BPF programs include this through bpf/uls.bpf.h, after vmlinux.h.
 */
#ifndef _ULS_KFUNCS_H
#define _ULS_KFUNCS_H

#ifdef __KERNEL__
#include <linux/types.h>
struct task_struct;
#define __uls_kfunc_decl
#else
#define __uls_kfunc_decl __ksym __weak
#endif

/*
 * The kfunc API level. It is an enum so that it lands in the module's BTF,
 * where a BPF program can test for it with CO-RE (uls_loaded() in
 * uls.bpf.h): libbpf turns the test into a constant when it loads the
 * program, and the verifier drops the calls it guards when the module is
 * absent. A later API adds a value here.
 */
enum uls_kfunc_api {
	ULS_KFUNC_API_V1 = 1,	/* bpf_uls_get, bpf_uls_get_at, bpf_uls_len */
	ULS_KFUNC_API_V2 = 2,	/* bpf_uls_key_get */
	ULS_KFUNC_API_V3 = 3,	/* bpf_uls_from_user, bpf_uls_user_base */
};

/*
 * bpf_uls_get - the first @rdwr_buf_size bytes of @task's region
 *
 * Returns NULL when @task has no registration or registered fewer than
 * @rdwr_buf_size bytes. @rdwr_buf_size must be a constant known to the
 * verifier, which then lets the program read and write exactly that many
 * bytes. The name of the parameter is what the verifier keys on.
 */
extern u64 *bpf_uls_get(struct task_struct *task, u32 rdwr_buf_size) __uls_kfunc_decl;

/*
 * bpf_uls_get_at - @rdwr_buf_size bytes at byte @offset of @task's region
 *
 * @offset may be a runtime value; NULL when @offset + @rdwr_buf_size runs
 * past the end of the region.
 */
extern u64 *bpf_uls_get_at(struct task_struct *task, u32 offset,
			   u32 rdwr_buf_size) __uls_kfunc_decl;

/* bpf_uls_len - length in bytes of @task's region, 0 when it has none */
extern u64 bpf_uls_len(struct task_struct *task) __uls_kfunc_decl;

/*
 * bpf_uls_key_get - @rdwr_buf_size bytes of @task's storage for a key
 *
 * @hash: uls_key_hash() of the key's name (uls/key_layout.h)
 * @cache, @cache__sz: the calling program's cache, __u64 rows zeroed at
 * first, written by the kfunc (a row per process image, the last offset
 * found for it); a @cache__sz below 8 for none (and a NULL @cache where
 * the verifier allows it: 6.1). The cache is only a hint: the
 * descriptor's check makes the result right whatever a row holds.
 * @rdwr_buf_size: a constant, as for bpf_uls_get(); a u64, though the
 * verifier refuses more than U32_MAX, so that the kfunc takes the
 * register as it is, with no zero extension. libbpf and the verifier
 * take integers of any size for each other in a kfunc's prototype:
 * programs built when this was a u32 load as they did.
 *
 * NULL when @task has no keyed region, no storage for the key in it, or
 * a key smaller than @rdwr_buf_size. Use uls_key_get() (uls.bpf.h).
 */
extern u64 *bpf_uls_key_get(struct task_struct *task, void *cache,
			    u32 cache__sz, u64 hash,
			    u64 rdwr_buf_size) __uls_kfunc_decl;

/*
 * bpf_uls_from_user - @rdwr_buf_size bytes at user address @uaddr of @task
 *
 * The kernel's view of a pointer that @task's thread stored in its region:
 * @uaddr is an address in the thread's address space, and the result
 * points at the same bytes, which the program may read and write. NULL
 * unless @uaddr is a multiple of 8 and [@uaddr, @uaddr + @rdwr_buf_size)
 * lies entirely inside @task's registration; NULL too when @task has
 * none, or it ended. @uaddr may be a runtime value; @rdwr_buf_size must
 * be a constant, as for bpf_uls_get(). The alignment makes atomics
 * through the result safe (as through bpf_uls_get()'s): for bytes at an
 * address not a multiple of 8, use bpf_uls_get_at() with the address
 * less bpf_uls_user_base().
 */
extern u64 *bpf_uls_from_user(struct task_struct *task, u64 uaddr,
			      u32 rdwr_buf_size) __uls_kfunc_decl;

/*
 * bpf_uls_user_base - the user address of the first byte of @task's
 * region, 0 when it has none: base + offset is the pointer that the
 * thread follows to byte offset of its region.
 */
extern u64 bpf_uls_user_base(struct task_struct *task) __uls_kfunc_decl;

#endif /* _ULS_KFUNCS_H */
