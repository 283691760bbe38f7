// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The adaptive mutex of uls.h: a futex mutex (Drepper's "Futexes are
 * tricky", mutex 3, as glibc's default mutex is) whose waiters spin only
 * while the owner runs, as the scheduler-event feed says.
 *
 * Spinning pays off while the owner is on a CPU: it will unlock soon, and
 * a spinner takes the mutex without the two system calls and the context
 * switches that sleeping costs. Once the owner is switched out, spinning
 * only burns a CPU that the owner (or someone) could use, and the waiter
 * sleeps at once. A blind adaptive mutex (PTHREAD_MUTEX_ADAPTIVE_NP)
 * cannot tell the two apart.
 *
 * Correctness is the futex word's alone: @owner is a hint, read without
 * any lock, and may be stale, NULL or someone else's by the time it is
 * read. Keyed regions are never unmapped (pool.c), so an owner's struct
 * is always readable, if no longer meaningful.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* The owner has no event struct: its waiters sleep at once. */
#define NO_EVENTS ((const volatile struct uls_sched_events *)1)

/*
 * This thread's event struct, or NO_EVENTS: looked up on its first lock,
 * and kept, as it never moves. Across fork() the child's thread has its
 * struct at the same address (keys.c registers it again).
 */
static __thread const volatile struct uls_sched_events *self_events
	__attribute__((tls_model("initial-exec")));

static const volatile struct uls_sched_events *mutex_self(void)
{
	const volatile struct uls_sched_events *ev = self_events;

	if (__builtin_expect(ev != NULL, 1))
		return ev;
	ev = uls_sched_events();
	if (!ev)
		ev = NO_EVENTS;
	self_events = ev;
	return ev;
}

static void futex_wait(uint32_t *word, uint32_t val)
{
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static bool mutex_acquired(uls_mutex_t *m,
			   const volatile struct uls_sched_events *self)
{
	__atomic_store_n(&m->owner, self, __ATOMIC_RELAXED);
	return true;
}

/*
 * Whether a waiter should go on spinning for @m: its owner is on a CPU by
 * a live feed's word, or not known yet (NULL: taken or released just now,
 * the owner not yet published).
 */
static bool owner_runs(uls_mutex_t *m)
{
	const volatile struct uls_sched_events *ev;

	ev = __atomic_load_n(&m->owner, __ATOMIC_RELAXED);
	if (!ev)
		return true;
	if (ev == NO_EVENTS)
		return false;
	return ev->feed && ev->on_cpu;
}

/* How many spins between two looks at the clock. */
#define SPINS_PER_CLOCK 64

static bool mutex_spin(uls_mutex_t *m,
		       const volatile struct uls_sched_events *self)
{
	uint64_t start = 0;

	for (unsigned int i = 1;; i++) {
		uint32_t s = __atomic_load_n(&m->state, __ATOMIC_RELAXED);

		if (s == 0 && __atomic_compare_exchange_n(&m->state, &s, 1, false,
							  __ATOMIC_ACQUIRE,
							  __ATOMIC_RELAXED))
			return mutex_acquired(m, self);
		if (!owner_runs(m))
			return false;
		__builtin_ia32_pause();
		if (i % SPINS_PER_CLOCK == 0) {
			uint64_t t = now_ns();

			if (!start)
				start = t;
			else if (t - start > ULS_MUTEX_SPIN_NS)
				return false;
		}
	}
}

void uls_mutex_init(uls_mutex_t *m)
{
	*m = (uls_mutex_t)ULS_MUTEX_INITIALIZER;
}

int uls_mutex_trylock(uls_mutex_t *m)
{
	const volatile struct uls_sched_events *self = mutex_self();
	uint32_t s = 0;

	if (!__atomic_compare_exchange_n(&m->state, &s, 1, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return -EBUSY;
	mutex_acquired(m, self);
	return 0;
}

void uls_mutex_lock(uls_mutex_t *m)
{
	const volatile struct uls_sched_events *self = mutex_self();
	uint32_t s = 0;

	if (__builtin_expect(__atomic_compare_exchange_n(&m->state, &s, 1, false,
							 __ATOMIC_ACQUIRE,
							 __ATOMIC_RELAXED), 1)) {
		mutex_acquired(m, self);
		return;
	}
	if (mutex_spin(m, self))
		return;
	/*
	 * Sleep. Whoever takes the mutex here marks it 2, "maybe waited
	 * on", so that its unlock wakes the next sleeper; a spinner that
	 * took it with 1 meanwhile gets it marked 2 by the sleeper it
	 * woke, which then sleeps again.
	 */
	while (__atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE) != 0)
		futex_wait(&m->state, 2);
	mutex_acquired(m, self);
}

void uls_mutex_unlock(uls_mutex_t *m)
{
	__atomic_store_n(&m->owner, NULL, __ATOMIC_RELAXED);
	if (__atomic_exchange_n(&m->state, 0, __ATOMIC_RELEASE) == 2)
		futex_wake(&m->state);
}
