/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * libuls: register memory of the calling thread with the uls module, so
 * that BPF programs can read and write it with bpf_uls_get().
 *
 * Two ways to use it:
 *
 *   - uls_area(size): the thread's own area, allocated, zeroed and
 *     registered on the first call and cached; later calls return the same
 *     pointer. Areas of many threads are packed into shared pages, and the
 *     area is unregistered and recycled when its thread exits.
 *
 *	struct hints { uint64_t in_gc; uint64_t preempted; };
 *	struct hints *h = uls_area(sizeof(*h));
 *	if (!h)
 *		err(1, "uls_area: %s", uls_strerror(-errno));
 *	h->in_gc = 1;			// seen by BPF at once, no syscall
 *
 *   - uls_register(addr, len): register memory you manage yourself. A
 *     thread has one registration at a time: registering again replaces it
 *     atomically (a BPF program sees the old or the new region, never
 *     neither), including an area from uls_area().
 *
 * Every function acts on the calling thread only and is thread-safe. The
 * process opens /dev/uls once, close-on-exec, on first use.
 *
 * Errors: functions returning int return 0 or a negative errno; those
 * returning a pointer return NULL and set errno. uls_strerror() explains
 * an errno in uls's terms.
 *
 * fork(): the child starts with no registration (registrations belong to
 * threads, and the child's thread is new). uls_area() in the child
 * registers the child's copy of the area again on its first call.
 *
 * Lifetime: a registration lasts until the thread replaces or drops it,
 * exits or execs, or until the process closes /dev/uls. The memory must
 * stay mapped until then; if it is unmapped, the kernel keeps the pages
 * (and BPF keeps writing them) until the registration ends. Pinned pages
 * count against RLIMIT_MEMLOCK, each page once per process.
 *
 * Reusing the memory: a BPF program that fetched the pointer just before
 * a registration ended may still store into it afterwards, until the
 * module has freed the registration (tens of milliseconds; as long as a
 * sleepable program sleeps). So before memory you registered is reused
 * (freed, handed to other code, or a thread's stack or TLS given to the
 * next thread), call uls_unregister(), then uls_wait_freed(). Thread exit
 * is not enough: the kernel wakes pthread_join() before the module sees
 * the exit, and a new thread may get the dead one's stack and TLS while
 * BPF still writes into them. uls_area() does all this by itself.
 */
#ifndef _ULS_USER_H
#define _ULS_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/uls.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ULS_API __attribute__((visibility("default")))

/*
 * Register [addr, addr + len) for the calling thread, replacing its
 * previous registration. The memory must be mapped writable, and @addr
 * a multiple of 8 (ULS_REGION_ALIGN; -EINVAL otherwise).
 */
ULS_API int uls_register(void *addr, size_t len);

/* Drop the calling thread's registration; -ENOENT if it has none. */
ULS_API int uls_unregister(void);

/* The calling thread's registration; -ENOENT if it has none. */
ULS_API int uls_query(void **addr, size_t *len);

/*
 * The calling thread's area of at least @size bytes, registered. The
 * first call fixes the area's size: a later call asking for more than
 * that fails with ENOSPC. Areas are aligned to 64 bytes (a cache line),
 * and to their size rounded up to a power of two, up to a page, so an
 * area of up to a page never spans two pages.
 *
 * Not async-signal-safe: its first call in a thread allocates under a
 * lock and registers. A signal handler may use an area that its thread
 * got before (a plain load or store), but should not call uls_area().
 */
ULS_API void *uls_area(size_t size);

/* What the module offers: ABI version, features, limits, counters. */
ULS_API int uls_info(struct uls_info *info);

/*
 * Wait until every registration that ended before this call, anyone's, is
 * freed: no BPF program can store into its memory any more. Killable
 * (-EINTR); -EOPNOTSUPP from a module without ULS_FEAT_FREED_SEQ.
 */
ULS_API int uls_wait_freed(void);

/*
 * True when the uls module is loaded with its kfuncs, so that BPF programs
 * calling them will load.
 */
ULS_API bool uls_module_loaded(void);

/* The process's /dev/uls descriptor (opened on first use), or -errno. */
ULS_API int uls_fd(void);

/* A message for a negative (or positive) errno returned by libuls. */
ULS_API const char *uls_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* _ULS_USER_H */
