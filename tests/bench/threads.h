/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What uls_bench's thread-creation figure and uls_thread_trace (its
 * tracer, make bench-trace) both run: the threads compared, the loop that
 * creates and joins them, and the waits that start each batch from a
 * quiet guest. Static functions: each program takes what it uses.
 */
#ifndef ULS_BENCH_THREADS_H
#define ULS_BENCH_THREADS_H

#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <uls.h>

#include "bench.h"
#include "counters.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * Under TCG the vCPUs take turns on one host thread, and the guest's clock
 * runs meanwhile: whatever else runs in the guest shows in a measurement.
 * So wait, up to 2 s, until this task is the only runnable one.
 */
static void quiesce(void)
{
	char line[128];
	long running = 0;

	for (int i = 0; i < 2000; i++) {
		FILE *f = fopen("/proc/stat", "r");

		running = 0;
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "procs_running %ld", &running) == 1)
				break;
		if (f)
			fclose(f);
		if (running <= 1)
			return;
		usleep(1000);
	}
}

/* Registrations not yet freed, of other processes too, down to @n. */
static int wait_entries_at_most(long n, int timeout_ms)
{
	for (int t = 0; t < timeout_ms; t += 1) {
		if (t_stat("entries") <= n)
			return 0;
		usleep(1000);
	}
	return -1;
}

/* The two threads thread_create_with_area compares. */
static void *thread_plain(void *arg)
{
	return arg;
}

static void *thread_with_area(void *arg)
{
	return uls_area(sizeof(struct bench_val)) ? arg : NULL;
}

/* Where the time goes: the two ioctls alone, on this thread's stack. */
static void *thread_register(void *arg)
{
	struct bench_val v;

	if (uls_register(&v, sizeof(v)) || uls_unregister())
		return NULL;
	return arg;
}

/*
 * pthread_create() + join of @n threads running @fn, one after the other:
 * -1 if all went well, else the number of the thread that failed.
 */
static int thread_batch(void *(*fn)(void *), int n)
{
	for (int i = 0; i < n; i++) {
		pthread_t t;
		void *ret = NULL;

		if (pthread_create(&t, NULL, fn, &ret) ||
		    pthread_join(t, &ret) || ret != &ret)
			return i;
	}
	return -1;
}

#endif /* ULS_BENCH_THREADS_H */
