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
 *     neither).
 *
 *   - keys (below): per-thread variables by name, for libraries that
 *     share threads.
 *
 * A thread's registration has one holder: uls_area(), uls_register() or
 * keys. The others get EBUSY in that thread; none takes another's memory.
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

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/uls.h>
#include <uls/key_layout.h>
#include <uls/hint.h>
#include <uls/sched_events.h>
#include <uls/version.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A static libuls (libuls.a) is built with its symbols hidden. */
#ifdef ULS_STATIC_COPY
#define ULS_API __attribute__((visibility("hidden")))
#else
#define ULS_API __attribute__((visibility("default")))
#endif

/*
 * Register [addr, addr + len) for the calling thread, replacing its
 * previous registration if uls_register() made it. The memory must be
 * mapped writable, and @addr a multiple of 8 (ULS_REGION_ALIGN; -EINVAL
 * otherwise). -EBUSY when the registration belongs to uls_area(), keys, or
 * someone else (another copy of libuls, a raw ioctl).
 */
ULS_API int uls_register(void *addr, size_t len);

/*
 * Drop the calling thread's registration; -ENOENT if it has none, -EBUSY
 * if uls_register() did not make it.
 */
ULS_API int uls_unregister(void);

/* The calling thread's registration; -ENOENT if it has none. */
ULS_API int uls_query(void **addr, size_t *len);

/*
 * The calling thread's area of at least @size bytes, registered. The
 * first call fixes the area's size: a later call asking for more than
 * that fails with ENOSPC. Areas are aligned to 64 bytes (a cache line),
 * and to their size rounded up to a power of two, up to a page, so an
 * area of up to a page never spans two pages. EBUSY if the thread's
 * registration belongs to uls_register() or keys.
 *
 * Not async-signal-safe: its first call in a thread allocates under a
 * lock and registers. A signal handler may use an area that its thread
 * got before (a plain load or store), but should not call uls_area().
 */
ULS_API void *uls_area(size_t size);

/*
 * --- Keys: per-thread variables that every library in a process shares --
 *
 * A key is a name and a size, process-wide. Each thread that uses a key
 * gets its own zeroed storage for it, registered with uls, which BPF
 * programs find by the same name (uls_key_get() in uls.bpf.h). Libraries
 * never agree on a layout, and never see each other's bytes:
 *
 *	ULS_DEFINE_KEY(prio_key, "myrt.prio", sizeof(int));
 *	...
 *	int *prio = uls_key_get(prio_key);	// this thread's, or NULL
 *	if (prio)
 *		*prio = 3;			// BPF sees it at once
 *
 * uls_key_get() returns the same address for the thread's whole life,
 * whatever keys are created later, so a library may cache it. Its first
 * call in a thread for a key beyond what the thread registered so far
 * makes one system call; every other call is a few loads, lock-free.
 *
 * Limits: ULS_KEYS_MAX (1024) keys per process; names of 1 to 63 bytes;
 * storage aligned as its size needs (to the next power of two, from 8 to
 * ULS_KEY_ALIGN_MAX, 64 bytes); in all at most the module's max_len per
 * thread (64 KiB by default), descriptors included (16 bytes per key).
 *
 * Ownership: keys take the thread's one registration. uls_area() and
 * uls_register() want it too: whichever comes second in a thread fails
 * with EBUSY, never silently. Copies of libuls in one process (libuls.so
 * and a static libuls.a inside a DSO) share one set of keys: a static copy
 * defers to libuls.so.0 when that is loaded. See README "Keys".
 *
 * fork(): the child's thread keeps the forking thread's storage, a copy
 * at the same addresses, registered again in the child. exec(): nothing
 * survives.
 */
typedef struct {
	int32_t off;	/* of the storage in the region; -errno: no key */
	uint32_t end;	/* off + size; UINT32_MAX when off < 0 */
} uls_key_t;

/*
 * The key for @name and @size: created on the first call, the same key
 * for every later call with the same name and size, from any library.
 *   EINVAL	@name is NULL or empty, or @size is 0
 *   ENAMETOOLONG @name has ULS_KEY_NAME_MAX bytes or more before its NUL
 *   EEXIST	@name is a key already, of another size
 *   E2BIG	@size, or all keys with it, more than a thread may register
 *		(the module's max_len, capped at 16 MiB)
 *   ENOSPC	ULS_KEYS_MAX keys exist
 *   ENOMEM	out of memory
 */
ULS_API uls_key_t uls_key_create(const char *name, size_t size);

/* The same, but EEXIST for any name already a key (TLD's rule). */
ULS_API uls_key_t uls_key_create_excl(const char *name, size_t size);

static inline bool uls_key_is_err(uls_key_t key)
{
	return key.off < 0;
}

/* 0, or the negative errno of a failed uls_key_create(). */
static inline int uls_key_err(uls_key_t key)
{
	return key.off < 0 ? key.off : 0;
}

/*
 * Defines the global uls_key_t @var, created from a constructor before
 * main() (or when the DSO is loaded). Check it with uls_key_err().
 */
#define ULS_DEFINE_KEY(var, name, size)					\
	uls_key_t var = { -EAGAIN, UINT32_MAX };			\
	__attribute__((constructor(101))) static void			\
	uls__define_key_##var(void)					\
	{								\
		var = uls_key_create((name), (size));			\
	}

/*
 * This thread's keyed region, as the fast path of uls_key_get() reads it:
 * written by libuls only. Not an API.
 *
 * ready: how many bytes of the region hold keys ready (described and
 * registered), as (bytes << 32 | 0xffffffff), and 0 before the first
 * key; so that one unsigned compare with the key's (end << 32 | off)
 * tells whether the key lies within, whatever its offset.
 */
struct uls__thread_keys {
	uint64_t ready;
	char *base;
};

extern __thread struct uls__thread_keys uls__keys
	__attribute__((tls_model("initial-exec"))) ULS_API;

/* @key as the fast path has it: (end << 32 | (uint32_t)off). */
ULS_API void *uls__key_get_slow(uint64_t key);

/*
 * This thread's storage for @key: zeroed on first use, registered, and at
 * the same address until the thread ends. NULL with errno set: the
 * errno of a failed key, or EBUSY (the thread's registration belongs to
 * uls_area() or uls_register()), or any errno of uls_register().
 * Not async-signal-safe on a thread's first use of a key; a plain load
 * afterwards.
 */
static inline void *uls_key_get(uls_key_t key)
{
	uint64_t k;

	/* The key in one load, as (end << 32 | off), which orders as end. */
	__builtin_memcpy(&k, &key, sizeof(k));
	__asm__("" : "+r"(k));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	k = k << 32 | k >> 32;
#endif
	if (__builtin_expect(k <= uls__keys.ready, 1))
		return uls__keys.base + (int32_t)k;
	return uls__key_get_slow(k);
}

/*
 * Scheduler events (include/uls/sched_events.h): the calling thread's
 * struct, which the feed (`ulsctl events enable`) keeps up to date. The
 * first call in a thread creates the key ULS_SCHED_EVENTS_KEY and
 * registers the thread's storage for it (a system call); later calls are
 * a few loads. The struct stays at the same address for the thread's
 * whole life. NULL with errno as uls_key_get() sets it.
 */
ULS_API const volatile struct uls_sched_events *uls_sched_events(void);

/*
 * Copy @ev into @out, all fields of one moment (the seq protocol of
 * sched_events.h). 0, or -EAGAIN if the feed kept writing it (it writes
 * for a few hundred nanoseconds per event; this tries many times).
 */
ULS_API int uls_sched_events_read(const volatile struct uls_sched_events *ev,
				  struct uls_sched_events *out);

/* Whether the feed wrote @ev (a copy): false while the feed is off. */
static inline bool uls_sched_events_live(const struct uls_sched_events *ev)
{
	return ev->feed != 0;
}

/*
 * Scheduling hints (include/uls/hint.h): the calling thread's struct
 * uls_hint, which a sched_ext scheduler such as scx_hints reads at the
 * thread's next scheduling event. The first call in a thread creates the
 * key ULS_HINT_KEY and registers the thread's storage for it (a system
 * call); the struct then stays at the same address for the thread's
 * whole life, so a thread may keep the pointer and change its hint with
 * one store. NULL with errno as uls_key_get() sets it.
 */
ULS_API struct uls_hint *uls_hint(void);

/*
 * Set this thread's class, or its nice-like value (a hint can only lower
 * the thread's weight). 0; -EINVAL for a value out of range (nothing is
 * stored); or uls_hint()'s error, negated. After the thread's first call,
 * one store.
 */
ULS_API int uls_hint_set(enum uls_hint_class hint_class);
ULS_API int uls_hint_set_nice(int nice);

/*
 * An adaptive mutex, futex-based, driven by the scheduler-event feed: a
 * thread that finds the mutex held spins while the owner is on a CPU,
 * and sleeps in the kernel as soon as the owner is switched out, or
 * after ULS_MUTEX_SPIN_NS in any case. While the feed is off, or where
 * the owner has no event struct, it sleeps at once, as a default
 * pthread_mutex_t does.
 *
 * The feed only decides whether to spin: mutual exclusion rests on the
 * futex word alone, so a wrong or stale event struct (its owner gone,
 * its memory someone else's) can cost time, never correctness.
 *
 * Rules, as for a default (non-robust, non-recursive) pthread mutex:
 * unlock only from the owning thread; no recursion (it deadlocks). A
 * mutex is plain memory, zero when unlocked (ULS_MUTEX_INITIALIZER), and
 * private to its process: it holds an address in the owner's. Lock and
 * unlock are async-signal-unsafe. A thread's
 * first lock registers its event struct (uls_sched_events()); if that
 * fails the thread still locks, and its waiters do not spin.
 */
typedef struct uls_mutex {
	uint32_t state;		/* 0 free, 1 held, 2 held and maybe waited on */
	uint32_t __pad;
	/* The owner's event struct; NULL while it is being published. */
	const volatile struct uls_sched_events *owner;
} uls_mutex_t;

#define ULS_MUTEX_INITIALIZER	{ 0, 0, 0 }
/* The longest a waiter spins before it sleeps, whatever the feed says. */
#define ULS_MUTEX_SPIN_NS	50000

ULS_API void uls_mutex_init(uls_mutex_t *m);
ULS_API void uls_mutex_lock(uls_mutex_t *m);
/* 0 once held, -EBUSY if another thread holds it. */
ULS_API int uls_mutex_trylock(uls_mutex_t *m);
ULS_API void uls_mutex_unlock(uls_mutex_t *m);

/* What the module offers: ABI version, features, limits, counters. */
ULS_API int uls_info(struct uls_info *info);

/*
 * Wait until every registration that ended before this call, anyone's, is
 * freed: no BPF program can store into its memory any more. Killable
 * (-EINTR); -EOPNOTSUPP from a module without ULS_FEAT_FREED_SEQ.
 */
ULS_API int uls_wait_freed(void);

/*
 * Every live registration of every thread whose pid the caller's pid
 * namespace can see, anyone's (struct uls_list_entry, linux/uls.h): for
 * tools such as `ulsctl list`. A snapshot: a registration may end or
 * begin while it is taken. @count: in, the room in @entries (NULL: 0);
 * out, how many were filled. @total, if not NULL: how many there were in
 * all, more than *@count when @entries was too small, in which case ask
 * again with more room (@entries may be NULL with a room of 0, to learn
 * only @total). 0, or:
 *   EPERM	the caller lacks CAP_SYS_ADMIN
 *   EOPNOTSUPP	the module predates it (no ULS_FEAT_LIST)
 *   EFAULT	@entries is not writable for *@count entries
 *   ENOMEM	the module found no memory for the snapshot
 */
ULS_API int uls_list(struct uls_list_entry *entries, unsigned int *count,
		     unsigned int *total);

/*
 * The monitor view (ULS_IOC_MONITOR): another process's registrations,
 * or every process's, read-only and without a syscall per look, for tools
 * such as `ulsctl top`. The caller must be able to ptrace-read the
 * process; all processes need CAP_SYS_ADMIN.
 */
struct uls_monitor;

/* One registration, as uls_monitor_find() and uls_monitor_next() saw it. */
struct uls_monitor_thread {
	pid_t pid, tid;		/* in the caller's pid namespace */
	uint64_t gen;		/* new with each registration */
	uint64_t addr;		/* its user address in the owner */
	size_t len;		/* registered bytes */
	char comm[16];		/* the owner's, at registration */
	bool has_data;		/* false: larger than the view shows */
	/* libuls's: which entry, in which version, where its bytes are. */
	uint32_t slot, seq;
	uint64_t offset;
};

/*
 * Open a monitor of process @pid (a pid or tid in the caller's pid
 * namespace), or of all processes with @pid 0. NULL with errno: EPERM
 * (may not read it; all: no CAP_SYS_ADMIN), ESRCH, EINVAL (a kernel
 * thread), EOPNOTSUPP (the module predates ULS_FEAT_MONITOR), ENODEV,
 * ENOMEM, EMFILE.
 */
ULS_API struct uls_monitor *uls_monitor_open(pid_t pid);
/*
 * The same for the process of @pidfd (pidfd_open(2), clone(CLONE_PIDFD)):
 * the monitor is of that process, not of one that took its pid. NULL
 * with errno as above, or EBADF (not a pidfd), ESRCH (it was reaped).
 */
ULS_API struct uls_monitor *uls_monitor_open_pidfd(int pidfd);
ULS_API void uls_monitor_close(struct uls_monitor *m);

/* The newest registration of thread @tid: 0, or -ENOENT. O(1). */
ULS_API int uls_monitor_find(struct uls_monitor *m, pid_t tid,
			     struct uls_monitor_thread *t);
/*
 * The next registration from *@cursor on (start at 0): 0 and *@cursor
 * moved past it, or -ENOENT at the end.
 */
ULS_API int uls_monitor_next(struct uls_monitor *m, unsigned int *cursor,
			     struct uls_monitor_thread *t);
/* Changes so far: unchanged since the last look means nothing new. */
ULS_API uint64_t uls_monitor_updates(const struct uls_monitor *m);

/*
 * Copy @len bytes at @off of @t's region: 0, or -ESTALE if the
 * registration ended or was replaced (find it again), -ERANGE past its
 * length, -EOPNOTSUPP if the view does not show its bytes.
 */
ULS_API int uls_monitor_read(struct uls_monitor *m,
			     const struct uls_monitor_thread *t, size_t off,
			     void *buf, size_t len);
/*
 * Copy the first @len bytes of key @name in @t's keyed region: 0,
 * -ENOENT (no such key of at least @len bytes, or not a keyed region),
 * or -ESTALE as above. The owner may be writing the key meanwhile.
 */
ULS_API int uls_monitor_read_key(struct uls_monitor *m,
				 const struct uls_monitor_thread *t,
				 const char *name, void *buf, size_t len);
/*
 * @len bytes at @off of each registration's region, from *@cursor on
 * (start at 0), into @buf, @len bytes apart, up to @max of them, each read
 * with its entry while neither changed; and, if @t is not NULL, each one's
 * description in @t[i], as uls_monitor_next() gives it. Registrations
 * shorter than @off + @len, or whose bytes the view does not show, are
 * skipped. Returns how many were read (0 at the end), *@cursor moved past
 * them; -EINVAL if @max is negative. For a tool that reads the same field
 * of every thread: one call, and one sequence check per thread.
 */
ULS_API long uls_monitor_read_many(struct uls_monitor *m, unsigned int *cursor,
				   size_t off, void *buf, size_t len,
				   struct uls_monitor_thread *t, long max);

/*
 * True when the uls module is loaded with its kfuncs, so that BPF programs
 * calling them will load.
 */
ULS_API bool uls_module_loaded(void);

/* The process's /dev/uls descriptor (opened on first use), or -errno. */
ULS_API int uls_fd(void);

/* A message for a negative (or positive) errno returned by libuls. */
ULS_API const char *uls_strerror(int err);

/*
 * The version of the libuls that runs, "MAJOR.MINOR.PATCH": ULS_VERSION
 * is the one a program was built against.
 */
ULS_API const char *uls_version(void);

#ifdef __cplusplus
}
#endif

#endif /* _ULS_USER_H */
