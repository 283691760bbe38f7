// SPDX-License-Identifier: GPL-2.0
/*
 * Accounting: pinned pages are charged to the registering process once
 * per distinct page (VmPin), against RLIMIT_MEMLOCK, and given back when
 * the last registration pinning them is freed, even after the process is
 * gone. And the counters in /sys/class/misc/uls/stats/.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uls.h>

#include "helpers.h"
#include "test.h"

static int wait_vm_pin(long kb)
{
	for (int waited = 0; waited < 10000; waited += 10) {
		if (vm_pin_kb() == kb)
			return 0;
		msleep(10);
	}
	fprintf(stderr, "VmPin %ld kB, want %ld kB\n", vm_pin_kb(), kb);
	return -ETIMEDOUT;
}

#define NR_AREAS 64

static pthread_barrier_t areas_ready, areas_done;

static void *take_area(void *arg)
{
	*(void **)arg = uls_area(64);
	pthread_barrier_wait(&areas_ready);
	pthread_barrier_wait(&areas_done);
	return NULL;
}

/*
 * 64 threads with 64-byte areas from libuls share one page: one page is
 * charged, so a memlock limit of one page is enough for all of them.
 */
static void areas_child(void *arg)
{
	long page = getpagesize(), vmpin = vm_pin_kb();
	long charged = uls_stat("charged_pages");
	void *areas[NR_AREAS];
	pthread_t t[NR_AREAS];
	__u64 entries, pinned;

	if (!ASSERT_OK(limit_memlock(page), "memlock limit: one page"))
		return;
	pthread_barrier_init(&areas_ready, NULL, NR_AREAS + 1);
	pthread_barrier_init(&areas_done, NULL, NR_AREAS + 1);
	for (int i = 0; i < NR_AREAS; i++)
		pthread_create(&t[i], NULL, take_area, &areas[i]);
	pthread_barrier_wait(&areas_ready);
	for (int i = 0; i < NR_AREAS; i++)
		ASSERT_OK_PTR(areas[i], "uls_area(64) within the limit");
	ASSERT_EQ(vm_pin_kb(), vmpin + page / 1024, "VmPin: one page");
	ASSERT_EQ(uls_stat("charged_pages"), charged + 1, "stats/charged_pages");
	if (ASSERT_OK(uls_counts(&entries, &pinned), "counts")) {
		ASSERT_EQ(entries, NR_AREAS, "entries");
		ASSERT_EQ(pinned, NR_AREAS, "one pin per registration");
	}
	printf("PAGES pinned_per_64_threads %ld\n",
	       (vm_pin_kb() - vmpin) * 1024 / page);
	pthread_barrier_wait(&areas_done);
	for (int i = 0; i < NR_AREAS; i++)
		pthread_join(t[i], NULL);
	ASSERT_OK(wait_vm_pin(vmpin), "VmPin back once the threads exit");
	ASSERT_OK(wait_stat("charged_pages", charged, 10000),
		  "charged_pages back");
}

ULS_TEST(charge_once_per_page)
{
	if (ASSERT_OK(settle(), "settle"))
		ASSERT_EQ(in_child(areas_child, NULL), 0, "child");
}

struct overlap {
	int fd;
	char *buf;
	long off_pages, nr_pages;
	int err;
	pthread_barrier_t go;		/* the thread and the test */
};

static void *register_overlap(void *arg)
{
	struct overlap *o = arg;
	long page = getpagesize();

	o->err = raw_register(o->fd, o->buf + o->off_pages * page,
			      o->nr_pages * page);
	pthread_barrier_wait(&o->go);	/* registered */
	pthread_barrier_wait(&o->go);	/* told to unregister */
	raw_unregister(o->fd);
	pthread_barrier_wait(&o->go);	/* unregistered */
	return NULL;
}

static void overlap_start(struct overlap *o, pthread_t *t)
{
	pthread_barrier_init(&o->go, NULL, 2);
	pthread_create(t, NULL, register_overlap, o);
	pthread_barrier_wait(&o->go);
	ASSERT_OK(o->err, "register");
}

static void overlap_stop(struct overlap *o, pthread_t t)
{
	pthread_barrier_wait(&o->go);
	pthread_barrier_wait(&o->go);
	pthread_join(t, NULL);
}

/* Two threads pin pages 0-1 and 1-2: three pages charged, not four. */
ULS_TEST(charge_overlapping_regions)
{
	long page = getpagesize(), vmpin = vm_pin_kb();
	char *buf = map_pages(3);
	int fd = dev_open();
	struct overlap a = { .fd = fd, .buf = buf, .off_pages = 0, .nr_pages = 2 };
	struct overlap b = { .fd = fd, .buf = buf, .off_pages = 1, .nr_pages = 2 };
	pthread_t ta, tb;

	if (!ASSERT_GE(fd, 0, "open") || !ASSERT_OK(settle(), "settle"))
		return;
	memset(buf, 1, 3 * page);
	overlap_start(&a, &ta);
	ASSERT_EQ(vm_pin_kb(), vmpin + 2 * page / 1024, "A: two pages");
	overlap_start(&b, &tb);
	ASSERT_EQ(vm_pin_kb(), vmpin + 3 * page / 1024, "A and B: three pages");
	overlap_stop(&a, ta);
	ASSERT_OK(wait_vm_pin(vmpin + 2 * page / 1024),
		  "A gone: B's two pages stay charged");
	overlap_stop(&b, tb);
	ASSERT_OK(wait_vm_pin(vmpin), "nothing charged");
	close(fd);
}

static void register_and_die(void *arg)
{
	long page = getpagesize();
	char *buf = map_pages(3);
	int fd = dev_open();

	memset(buf, 1, 3 * page);
	if (!ASSERT_OK(raw_register(fd, buf, 3 * page), "register"))
		return;
	ASSERT_EQ(uls_stat("charged_pages"), *(long *)arg + 3, "charged");
	/* Exit with the registration alive: exit and close free it. */
}

ULS_TEST(charge_returned_after_exit)
{
	long charged;

	if (!ASSERT_OK(settle(), "settle"))
		return;
	charged = uls_stat("charged_pages");
	ASSERT_EQ(in_child(register_and_die, &charged), 0, "child");
	ASSERT_OK(wait_stat("charged_pages", charged, 10000),
		  "the dead process's charge returned");
	ASSERT_OK(settle(), "freed");
}

ULS_TEST(stats_counters)
{
	static const char *const names[] = {
		"entries", "pinned_pages", "charged_pages", "registered",
		"unregistered", "replaced", "released", "exited", "execed",
		"failed_einval", "failed_e2big", "failed_eoverflow",
		"failed_efault", "failed_eperm", "failed_enomem",
		"failed_eopnotsupp", "failed_other",
	};
	long reg = uls_stat("registered"), unreg = uls_stat("unregistered");
	long repl = uls_stat("replaced"), einval = uls_stat("failed_einval");
	long efault = uls_stat("failed_efault");
	long e2big = uls_stat("failed_e2big");
	char *buf = map_pages(1);
	int fd = dev_open();

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ASSERT_GE(uls_stat(names[i]), 0, names[i]);
	if (!ASSERT_GE(fd, 0, "open"))
		return;
	ASSERT_OK(raw_register(fd, buf, 64), "register");
	ASSERT_OK(raw_register(fd, buf + 64, 64), "replace");
	ASSERT_OK(raw_unregister(fd), "unregister");
	ASSERT_ERRNO(raw_register(fd, buf, 0), EINVAL, "len 0");
	ASSERT_ERRNO(raw_register(fd, NULL, 64), EFAULT, "NULL");
	ASSERT_ERRNO(raw_register(fd, buf, 1 << 30), E2BIG, "1 GiB");
	ASSERT_EQ(uls_stat("registered"), reg + 2, "registered");
	ASSERT_EQ(uls_stat("replaced"), repl + 1, "replaced");
	ASSERT_EQ(uls_stat("unregistered"), unreg + 1, "unregistered");
	ASSERT_EQ(uls_stat("failed_einval"), einval + 1, "failed_einval");
	ASSERT_EQ(uls_stat("failed_efault"), efault + 1, "failed_efault");
	ASSERT_EQ(uls_stat("failed_e2big"), e2big + 1, "failed_e2big");
	close(fd);
	ASSERT_OK(settle(), "freed");
	ASSERT_EQ(uls_stat("entries"), 0, "stats/entries at 0");
	ASSERT_EQ(uls_stat("pinned_pages"), 0, "stats/pinned_pages at 0");
}
