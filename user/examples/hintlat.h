/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parts of hintlat (the scx_hints demo) that scx_hints's tests share:
 * CPU hogs, a thread that measures its wake-up latency, a thread that
 * flips its hint, and order statistics. A thread's hint, where asked, is
 * set by the thread itself before it starts (uls_hint_set()).
 */
#ifndef HINTLAT_H
#define HINTLAT_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "uls.h"

/* No hint at all: the thread never asks for a key. */
#define HINTLAT_NO_KEY	(-1)

static inline uint64_t hintlat_now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Set the calling thread's class; HINTLAT_NO_KEY leaves it without a key. */
static inline int hintlat_set(int class)
{
	return class == HINTLAT_NO_KEY ? 0 : uls_hint_set(class);
}

struct hintlat_hog {
	pthread_t thread;
	int class;			/* its hint, or HINTLAT_NO_KEY */
	const atomic_bool *stop;
	int err;			/* uls_hint_set()'s */
	uint64_t cpu_ns;		/* the CPU time it had, at the end */
	uint64_t loops;
};

static void *hintlat_hog_run(void *arg)
{
	struct hintlat_hog *h = arg;

	h->err = hintlat_set(h->class);
	while (!atomic_load_explicit(h->stop, memory_order_relaxed))
		h->loops++;
	h->cpu_ns = hintlat_now(CLOCK_THREAD_CPUTIME_ID);
	return NULL;
}

static inline int hintlat_hog_start(struct hintlat_hog *h, int class,
				    const atomic_bool *stop)
{
	memset(h, 0, sizeof(*h));
	h->class = class;
	h->stop = stop;
	return -pthread_create(&h->thread, NULL, hintlat_hog_run, h);
}

/*
 * A thread that sleeps until the next multiple of @period_ns after its
 * start, shifted by @phase_ns, for @duration_ns, and records how late
 * each wake-up ran: time from the timer's expiry
 * (clock_nanosleep(TIMER_ABSTIME) on CLOCK_MONOTONIC) to running again.
 */
struct hintlat_waker {
	pthread_t thread;
	int class;
	uint64_t period_ns, phase_ns, duration_ns;
	uint64_t *lat_ns;		/* the samples */
	size_t n, cap;
	int err;
};

static void *hintlat_waker_run(void *arg)
{
	struct hintlat_waker *w = arg;
	uint64_t start, end;
	struct timespec ts;

	w->err = hintlat_set(w->class);
	if (w->err)
		return NULL;
	start = hintlat_now(CLOCK_MONOTONIC);
	end = start + w->duration_ns;
	for (uint64_t next = start + w->phase_ns + w->period_ns;
	     next < end && w->n < w->cap;
	     next += w->period_ns) {
		ts.tv_sec = next / 1000000000ULL;
		ts.tv_nsec = next % 1000000000ULL;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		w->lat_ns[w->n++] = hintlat_now(CLOCK_MONOTONIC) - next;
		/* A late wake-up must not make the next ones look early. */
		while (next + w->period_ns < hintlat_now(CLOCK_MONOTONIC))
			next += w->period_ns;
	}
	return NULL;
}

static inline int hintlat_waker_start(struct hintlat_waker *w, int class,
				      uint64_t period_ns, uint64_t phase_ns,
				      uint64_t duration_ns)
{
	memset(w, 0, sizeof(*w));
	w->class = class;
	w->period_ns = period_ns;
	w->phase_ns = phase_ns;
	w->duration_ns = duration_ns;
	w->cap = duration_ns / period_ns + 1;
	w->lat_ns = calloc(w->cap, sizeof(*w->lat_ns));
	if (!w->lat_ns)
		return -ENOMEM;
	return -pthread_create(&w->thread, NULL, hintlat_waker_run, w);
}

/*
 * A hog that flips its own hint between background and latency-critical
 * every @period_ns (10 kHz: 100 us): each flip is one store.
 */
struct hintlat_flipper {
	pthread_t thread;
	uint64_t period_ns;
	const atomic_bool *stop;
	uint64_t flips;
	uint64_t cpu_ns;		/* the CPU time it had, at the end */
	int err;
};

static void *hintlat_flipper_run(void *arg)
{
	struct hintlat_flipper *f = arg;
	struct uls_hint *h = uls_hint();
	uint64_t next;

	if (!h) {
		f->err = -errno;
		return NULL;
	}
	h->class = ULS_HINT_BACKGROUND;
	next = hintlat_now(CLOCK_MONOTONIC) + f->period_ns;
	while (!atomic_load_explicit(f->stop, memory_order_relaxed)) {
		if (hintlat_now(CLOCK_MONOTONIC) < next)
			continue;
		/* The hint change: one store, which the scheduler sees next. */
		__atomic_store_n(&h->class, h->class == ULS_HINT_BACKGROUND ?
				 ULS_HINT_LATENCY_CRITICAL : ULS_HINT_BACKGROUND,
				 __ATOMIC_RELAXED);
		f->flips++;
		next += f->period_ns;
	}
	f->cpu_ns = hintlat_now(CLOCK_THREAD_CPUTIME_ID);
	return NULL;
}

static inline int hintlat_flipper_start(struct hintlat_flipper *f,
					uint64_t period_ns,
					const atomic_bool *stop)
{
	memset(f, 0, sizeof(*f));
	f->period_ns = period_ns;
	f->stop = stop;
	return -pthread_create(&f->thread, NULL, hintlat_flipper_run, f);
}

static int hintlat_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The @q quantile (0..1) of the @n samples of @v, which it sorts. */
static inline uint64_t hintlat_quantile(uint64_t *v, size_t n, double q)
{
	size_t i;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), hintlat_cmp_u64);
	i = (size_t)(q * (n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

#endif /* HINTLAT_H */
