// SPDX-License-Identifier: GPL-2.0
/*
 * The lookup table with many threads: each one finds its own region from
 * BPF while the table grows through several resizes, after half of them
 * unregistered (tombstones), after those registered again (tombstones
 * reused), and the table shrinks back once they are all gone.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helpers.h"
#include "test.h"

#define NR_THREADS	2000

struct table_test {
	struct t_ctx c;
	__u64 *buf;
	pthread_barrier_t step;
	atomic_int wrong[4];	/* per check: threads that saw the wrong thing */
	atomic_int failed_register;
};

static __u64 magic(long i)
{
	return 0x7ab1e00000000ULL + i;
}

/* Check @i's view from BPF: its own value, or nothing once unregistered. */
static void check(struct table_test *t, long i, int step, bool registered)
{
	__u64 v = 0;
	int found = t_probe_load_u64(t->c.probe, &v);

	if (registered ? found != 1 || v != magic(i) : found != 0)
		atomic_fetch_add(&t->wrong[step], 1);
}

struct worker {
	struct table_test *t;
	long i;
};

static void *worker(void *arg)
{
	struct worker *w = arg;
	struct table_test *t = w->t;
	long i = w->i;
	bool odd = i & 1;
	__u64 *mine = &t->buf[i * 8];

	*mine = magic(i);
	if (t_ioc_register(t->c.fd, mine, 64))
		atomic_fetch_add(&t->failed_register, 1);
	pthread_barrier_wait(&t->step);		/* all registered */
	check(t, i, 0, true);
	pthread_barrier_wait(&t->step);
	if (odd && t_ioc_unregister(t->c.fd))
		atomic_fetch_add(&t->failed_register, 1);
	pthread_barrier_wait(&t->step);		/* half unregistered */
	check(t, i, 1, !odd);
	pthread_barrier_wait(&t->step);
	if (odd && t_ioc_register(t->c.fd, mine, 64))
		atomic_fetch_add(&t->failed_register, 1);
	pthread_barrier_wait(&t->step);		/* all registered again */
	check(t, i, 2, true);
	pthread_barrier_wait(&t->step);		/* the test reads the counters */
	pthread_barrier_wait(&t->step);
	return NULL;
}

/* Thousands of threads: about 115 s on 6.1's debug kernel, alone. */
ULS_TEST_TIMEOUT(table_many_threads, 360)
{
	static struct worker w[NR_THREADS];
	static pthread_t th[NR_THREADS];
	struct table_test t = {};
	pthread_attr_t attr;
	long started = 0, min_slots = t_table_min_slots();

	if (!t_setup(&t.c, T_PROBE) ||
	    !ASSERT_GT(min_slots, 0, "the table's size at load"))
		goto out;
	printf("the table holds %ld slots at least\n", min_slots);
	ASSERT_EQ(t_stat("table_slots"), min_slots, "table at its least");
	t.buf = t_map_pages(NR_THREADS * 64 / getpagesize() + 1);
	if (!ASSERT_OK_PTR(t.buf, "buffer"))
		goto out;

	pthread_barrier_init(&t.step, NULL, NR_THREADS + 1);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (; started < NR_THREADS; started++) {
		w[started] = (struct worker){ &t, started };
		if (pthread_create(&th[started], &attr, worker, &w[started]))
			break;
	}
	pthread_attr_destroy(&attr);
	if (!ASSERT_EQ(started, NR_THREADS, "threads started")) {
		/* The barrier can never fill: end here, the runner reaps. */
		_exit(1);
	}

	for (int s = 0; s < 6; s++)
		pthread_barrier_wait(&t.step);
	ASSERT_EQ(atomic_load(&t.failed_register), 0, "(un)registrations");
	ASSERT_EQ(atomic_load(&t.wrong[0]), 0, "each finds its own, grown");
	ASSERT_EQ(atomic_load(&t.wrong[1]), 0,
		  "half unregistered: the rest still found, those not");
	ASSERT_EQ(atomic_load(&t.wrong[2]), 0, "registered again: all found");
	/* Counted until freed: the unregistered ones go after a moment. */
	ASSERT_OK(t_wait_stat("entries", NR_THREADS, 10000), "entries");
	ASSERT_GE(t_stat("table_slots"), NR_THREADS * 4 / 3,
		  "table grew to keep a quarter free");
	pthread_barrier_wait(&t.step);
	for (long i = 0; i < NR_THREADS; i++)
		pthread_join(th[i], NULL);

	ASSERT_OK(t_settle(), "every entry freed after the threads exit");
	ASSERT_OK(t_wait_stat("table_slots", min_slots, 10000),
		  "the table shrank back");
out:
	t_teardown(&t.c);
}
