// SPDX-License-Identifier: GPL-2.0
/*
 * switchcount: threads get uls areas, a BPF program on sched_switch counts
 * each thread's context switches into its own area, and each thread
 * prints what it sees there, without a single syscall to ask.
 *
 * usage: switchcount [threads] [milliseconds]
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "uls.h"
#include "switchcount.h"
#include "switchcount.skel.h"

static int run_ms = 1000;
static pthread_barrier_t start, done;
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Thread i sleeps a lot when i is even and computes when i is odd. */
static void *worker(void *arg)
{
	long i = (long)arg;
	volatile struct switchcount_area *sc = uls_area(sizeof(*sc));
	volatile uint64_t sink = 0;
	double end;

	if (!sc) {
		fprintf(stderr, "thread %ld: uls_area: %s\n", i, uls_strerror(errno));
		pthread_barrier_wait(&start);
		pthread_barrier_wait(&done);
		return (void *)1;
	}
	sc->magic = SWITCHCOUNT_MAGIC;
	pthread_barrier_wait(&start);

	end = now_ms() + run_ms;
	while (now_ms() < end) {
		if (i % 2 == 0)
			usleep(2000);
		else
			for (int k = 0; k < 100000; k++)
				sink += k;
	}

	pthread_barrier_wait(&done);	/* print together, counts settled */
	pthread_mutex_lock(&print_lock);
	printf("  thread %ld (tid %5ld, %-8s) area %p: in %4llu  out %4llu  preempted %4llu  migrated %3llu\n",
	       i, (long)syscall(SYS_gettid), i % 2 ? "computes" : "sleeps",
	       (void *)sc, (unsigned long long)sc->switched_in,
	       (unsigned long long)sc->switched_out,
	       (unsigned long long)sc->preempted,
	       (unsigned long long)sc->migrated);
	pthread_mutex_unlock(&print_lock);
	/* Every thread ran, so BPF must have seen it switched in. */
	return sc->switched_in ? NULL : (void *)1;
}

int main(int argc, char **argv)
{
	long nthreads = argc > 1 ? atol(argv[1]) : 4;
	struct switchcount *skel = NULL;
	struct uls_info info;
	pthread_t *th = NULL;
	int err = 1;

	if (argc > 2)
		run_ms = atoi(argv[2]);
	if (nthreads < 1 || nthreads > 1024 || run_ms < 1) {
		fprintf(stderr, "usage: %s [threads 1..1024] [milliseconds]\n", argv[0]);
		return 2;
	}
	if (!uls_module_loaded()) {
		fprintf(stderr, "switchcount: the uls module is not loaded\n");
		return 1;
	}

	skel = switchcount__open_and_load();
	if (!skel) {
		fprintf(stderr, "switchcount: loading the BPF program failed\n");
		goto cleanup;
	}
	if (switchcount__attach(skel)) {
		fprintf(stderr, "switchcount: attaching to sched_switch failed\n");
		goto cleanup;
	}
	printf("switchcount: %ld threads for %d ms; BPF counts each one's switches in its own uls area\n",
	       nthreads, run_ms);

	th = calloc(nthreads, sizeof(*th));
	pthread_barrier_init(&start, NULL, nthreads + 1);
	pthread_barrier_init(&done, NULL, nthreads);
	for (long i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	pthread_barrier_wait(&start);
	if (!uls_info(&info))
		printf("  registered threads system-wide: %llu, page pins held: %llu\n",
		       (unsigned long long)info.nr_entries,
		       (unsigned long long)info.nr_pinned_pages);
	err = 0;
	for (long i = 0; i < nthreads; i++) {
		void *ret;

		pthread_join(th[i], &ret);
		if (ret) {
			fprintf(stderr, "switchcount: thread %ld saw no switches\n", i);
			err = 1;
		}
	}

cleanup:
	free(th);
	switchcount__destroy(skel);
	return err;
}
