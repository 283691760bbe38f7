// SPDX-License-Identifier: GPL-2.0
/*
 * Replace and unregister while BPF programs on other CPUs keep loading and
 * storing through the registration: a program sees the old region or the
 * new one, never freed memory, and never writes anywhere else.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "test.h"
#include "churn.skel.h"
#include "progs/churn.h"

#define NR_BUFS 4
#define NR_WORKERS 3
#define CHURN_SECONDS 4
#define CHURN_MIN 100

static atomic_bool stop;

static void *churn_worker(void *arg)
{
	long id = (long)arg;
	int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char *page = t_map_pages(1);

	while (!atomic_load(&stop)) {
		if (id == 0) {
			/* Make the sleepable program's copy fault. */
			madvise(page, getpagesize(), MADV_DONTNEED);
			ioctl(nullfd, CHURN_IOCTL_CMD, page);
		} else {
			getppid();
		}
		sched_yield();
	}
	close(nullfd);
	return NULL;
}

ULS_TEST_TIMEOUT(replace_unregister_race, 120)
{
	long page = getpagesize();
	/* Each buffer: a guard page, then the region's two pages. */
	char *bufs = t_map_pages(NR_BUFS * 3);
	size_t off[NR_BUFS] = { 0, 8, 4088, 2048 };
	__u64 e0, p0, registrations = 0, unregistrations = 0;
	long waiting = 0;
	pthread_t workers[NR_WORKERS];
	struct churn *skel = NULL;
	struct t_ctx c;
	double deadline;
	int nw = 0;

	t_fill_pattern(bufs, NR_BUFS * 3 * page, 3);
	if (!t_setup(&c, 0) || !ASSERT_OK(t_counts(&e0, &p0), "counts"))
		goto out;
	skel = churn__open();
	if (!ASSERT_OK_PTR(skel, "open churn.bpf.o"))
		goto out;
	skel->bss->watch_tgid = getpid();
	if (!ASSERT_OK(churn__load(skel), "load") ||
	    !ASSERT_OK(churn__attach(skel), "attach"))
		goto out;
	for (nw = 0; nw < NR_WORKERS; nw++)
		pthread_create(&workers[nw], NULL, churn_worker, (void *)(long)nw);

	/*
	 * CHURN_SECONDS, and on a slow kernel (the debug tier) as long as it
	 * takes to make CHURN_MIN registrations, up to a minute.
	 */
	deadline = time(NULL) + CHURN_SECONDS;
	for (unsigned int i = 0; time(NULL) < deadline ||
	     (registrations <= CHURN_MIN && time(NULL) < deadline + 60); i++) {
		char *region = bufs + (i % NR_BUFS) * 3 * page + page +
			       off[i % NR_BUFS];

		if (i % 5 == 4) {
			if (!ASSERT_OK(t_ioc_unregister(c.fd), "unregister"))
				break;
			unregistrations++;
		} else {
			if (!ASSERT_OK(t_ioc_register(c.fd, region, page + 16),
				       "register"))
				break;
			registrations++;
		}
		if (i % 16 == 0)
			sched_yield();
		if (i % 1024 == 0) {
			long e = t_stat("entries");

			waiting = e > waiting ? e : waiting;
		}
	}
	atomic_store(&stop, true);
	while (nw--)
		pthread_join(workers[nw], NULL);
	t_ioc_unregister(c.fd);

	printf("%llu registrations, %llu unregistrations, at most %ld entries, %llu BPF stores, %llu NULL lookups, %llu sleepable runs\n",
	       (unsigned long long)registrations,
	       (unsigned long long)unregistrations, waiting,
	       (unsigned long long)skel->bss->hits,
	       (unsigned long long)skel->bss->nulls,
	       (unsigned long long)skel->bss->sleepable_hits);
	ASSERT_GT(registrations, CHURN_MIN, "registrations made");
	ASSERT_GT(skel->bss->hits, 0, "BPF stored through the registrations");
	ASSERT_GT(skel->bss->nulls, 0, "BPF saw the unregistered windows");
	ASSERT_GT(skel->bss->sleepable_hits, 0, "the sleepable program stored too");

	/* Stores land only in the 16 bytes the programs asked for. */
	for (int b = 0; b < NR_BUFS; b++) {
		size_t base = b * 3 * page, head = page + off[b];
		char *buf = bufs + base;
		__u64 mark;

		memcpy(&mark, buf + head, 8);
		ASSERT_EQ(mark, CHURN_MARK, "each buffer was stored into");
		ASSERT_EQ(t_check_pattern_at(buf, head, base, 3) +
			  t_check_pattern_at(buf + head + 16, 3 * page - head - 16,
					   base + head + 16, 3),
			  0, "no store outside the requested bytes");
	}
	t_teardown(&c);
	ASSERT_OK(t_wait_counts(e0, p0, 10000), "every entry and page freed");
out:
	atomic_store(&stop, true);
	while (nw-- > 0)
		pthread_join(workers[nw], NULL);
	churn__destroy(skel);
	t_teardown(&c);
}
