// SPDX-License-Identifier: GPL-2.0
/*
 * Accounting: pinned pages are charged to the registering process once
 * per distinct page (VmPin), against RLIMIT_MEMLOCK, and given back when
 * the last registration pinning them is freed, even after the process is
 * gone; per user, against max_user_pinned_pages. And the counters in
 * /sys/class/misc/uls/stats/.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uls.h>

#include "helpers.h"
#include "test.h"
#include "stall.skel.h"
#include "progs/stall.h"

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
	long page = getpagesize(), vmpin = t_vm_pin_kb();
	long charged = t_stat("charged_pages");
	void *areas[NR_AREAS];
	pthread_t t[NR_AREAS];
	__u64 entries, pinned;

	if (!ASSERT_OK(t_limit_memlock(page), "memlock limit: one page"))
		return;
	pthread_barrier_init(&areas_ready, NULL, NR_AREAS + 1);
	pthread_barrier_init(&areas_done, NULL, NR_AREAS + 1);
	for (int i = 0; i < NR_AREAS; i++)
		pthread_create(&t[i], NULL, take_area, &areas[i]);
	pthread_barrier_wait(&areas_ready);
	for (int i = 0; i < NR_AREAS; i++)
		ASSERT_OK_PTR(areas[i], "uls_area(64) within the limit");
	ASSERT_EQ(t_vm_pin_kb(), vmpin + page / 1024, "VmPin: one page");
	ASSERT_EQ(t_stat("charged_pages"), charged + 1, "stats/charged_pages");
	if (ASSERT_OK(t_counts(&entries, &pinned), "counts")) {
		ASSERT_EQ(entries, NR_AREAS, "entries");
		ASSERT_EQ(pinned, NR_AREAS, "one pin per registration");
	}
	printf("PAGES pinned_per_64_threads %ld\n",
	       (t_vm_pin_kb() - vmpin) * 1024 / page);
	pthread_barrier_wait(&areas_done);
	for (int i = 0; i < NR_AREAS; i++)
		pthread_join(t[i], NULL);
	t_wait_until(t_vm_pin_kb() == vmpin, 10000);
	ASSERT_EQ(t_vm_pin_kb(), vmpin, "VmPin back once the threads exit");
	ASSERT_OK(t_wait_stat("charged_pages", charged, 10000),
		  "charged_pages back");
}

ULS_TEST(charge_once_per_page)
{
	if (ASSERT_OK(t_settle(), "settle"))
		t_in_child(areas_child, NULL);
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

	o->err = t_ioc_register(o->fd, o->buf + o->off_pages * page,
			      o->nr_pages * page);
	pthread_barrier_wait(&o->go);	/* registered */
	pthread_barrier_wait(&o->go);	/* told to unregister */
	t_ioc_unregister(o->fd);
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
	long page = getpagesize(), vmpin = t_vm_pin_kb();
	char *buf = t_map_pages(3);
	struct overlap a = { .buf = buf, .off_pages = 0, .nr_pages = 2 };
	struct overlap b = { .buf = buf, .off_pages = 1, .nr_pages = 2 };
	pthread_t ta, tb;
	struct t_ctx c;

	if (!t_setup(&c, 0))
		goto out;
	a.fd = b.fd = c.fd;
	memset(buf, 1, 3 * page);
	overlap_start(&a, &ta);
	ASSERT_EQ(t_vm_pin_kb(), vmpin + 2 * page / 1024, "A: two pages");
	overlap_start(&b, &tb);
	ASSERT_EQ(t_vm_pin_kb(), vmpin + 3 * page / 1024, "A and B: three pages");
	overlap_stop(&a, ta);
	t_wait_until(t_vm_pin_kb() == vmpin + 2 * page / 1024, 10000);
	ASSERT_EQ(t_vm_pin_kb(), vmpin + 2 * page / 1024,
		  "A gone: B's two pages stay charged");
	overlap_stop(&b, tb);
	t_wait_until(t_vm_pin_kb() == vmpin, 10000);
	ASSERT_EQ(t_vm_pin_kb(), vmpin, "nothing charged");
out:
	t_teardown(&c);
}

static void register_and_die(void *arg)
{
	long page = getpagesize();
	char *buf = t_map_pages(3);
	int fd = t_dev_open();

	memset(buf, 1, 3 * page);
	if (!ASSERT_OK(t_ioc_register(fd, buf, 3 * page), "register"))
		return;
	ASSERT_EQ(t_stat("charged_pages"), *(long *)arg + 3, "charged");
	/* Exit with the registration alive: exit and close free it. */
}

ULS_TEST(charge_returned_after_exit)
{
	long charged;

	if (!ASSERT_OK(t_settle(), "settle"))
		return;
	charged = t_stat("charged_pages");
	t_in_child(register_and_die, &charged);
	ASSERT_OK(t_wait_stat("charged_pages", charged, 10000),
		  "the dead process's charge returned");
	ASSERT_OK(t_settle(), "freed");
}

ULS_TEST(stats_counters)
{
	static const char *const names[] = {
		"entries", "pinned_pages", "charged_pages", "registered",
		"unregistered", "replaced", "released", "exited", "execed",
		"key_walks", "failed_einval", "failed_e2big", "failed_eoverflow",
		"failed_efault", "failed_eperm", "failed_enomem",
		"failed_eopnotsupp", "failed_other",
	};
	long reg = t_stat("registered"), unreg = t_stat("unregistered");
	long repl = t_stat("replaced"), einval = t_stat("failed_einval");
	long efault = t_stat("failed_efault");
	long e2big = t_stat("failed_e2big");
	char *buf = t_map_pages(1);
	int fd = t_dev_open();

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ASSERT_GE(t_stat(names[i]), 0, names[i]);
	if (!ASSERT_GE(fd, 0, "open"))
		return;
	ASSERT_OK(t_ioc_register(fd, buf, 64), "register");
	ASSERT_OK(t_ioc_register(fd, buf + 64, 64), "replace");
	ASSERT_OK(t_ioc_unregister(fd), "unregister");
	ASSERT_ERRNO(t_ioc_register(fd, buf, 0), EINVAL, "len 0");
	ASSERT_ERRNO(t_ioc_register(fd, NULL, 64), EFAULT, "NULL");
	ASSERT_ERRNO(t_ioc_register(fd, buf, 1 << 30), E2BIG, "1 GiB");
	ASSERT_EQ(t_stat("registered"), reg + 2, "registered");
	ASSERT_EQ(t_stat("replaced"), repl + 1, "replaced");
	ASSERT_EQ(t_stat("unregistered"), unreg + 1, "unregistered");
	ASSERT_EQ(t_stat("failed_einval"), einval + 1, "failed_einval");
	ASSERT_EQ(t_stat("failed_efault"), efault + 1, "failed_efault");
	ASSERT_EQ(t_stat("failed_e2big"), e2big + 1, "failed_e2big");
	close(fd);
	ASSERT_OK(t_settle(), "freed");
	ASSERT_EQ(t_stat("entries"), 0, "stats/entries at 0");
	ASSERT_EQ(t_stat("pinned_pages"), 0, "stats/pinned_pages at 0");
}

/*
 * A process of user @uid that holds a registration of @pages pages until
 * it is killed (a pipe's end of file would not do: the next child forked
 * holds a copy of its write end).
 */
struct user_proc {
	pid_t pid;
	uid_t uid;
	long pages;
	int report[2];
	int err;			/* of its registration */
};

static void user_proc_main(void *arg)
{
	struct user_proc *u = arg;
	struct rlimit no_limit = { RLIM_INFINITY, RLIM_INFINITY };
	long page = getpagesize();
	char *buf = t_map_pages(u->pages), err;
	int fd;

	close(u->report[0]);
	memset(buf, 1, u->pages * page);
	/* Only the per-user cap may bind: no memlock limit, no caps. */
	if (!ASSERT_OK(setrlimit(RLIMIT_MEMLOCK, &no_limit), "no memlock limit") ||
	    !ASSERT_OK(setresgid(u->uid, u->uid, u->uid), "setresgid") ||
	    !ASSERT_OK(setresuid(u->uid, u->uid, u->uid), "setresuid"))
		return;
	fd = t_dev_open();
	err = fd < 0 ? -fd : -t_ioc_register(fd, buf, u->pages * page);
	if (!ASSERT_EQ(write(u->report[1], &err, 1), 1, "report"))
		return;
	for (;;)
		pause();
}

static int start_user_proc(struct user_proc *u, uid_t uid, long pages)
{
	char err;

	u->uid = uid;
	u->pages = pages;
	if (pipe(u->report))
		return -errno;
	u->pid = t_start_child(user_proc_main, u);
	if (u->pid < 0)
		return u->pid;
	close(u->report[1]);
	/* No report: the process failed, and says why. */
	u->err = read(u->report[0], &err, 1) == 1 ? err : -1;
	close(u->report[0]);
	return 0;
}

static void stop_user_proc(struct user_proc *u)
{
	if (u->pid <= 0)
		return;
	kill(u->pid, SIGKILL);
	waitpid(u->pid, NULL, 0);
	u->pid = 0;
}

/*
 * One user's processes fill that user's share of the pinned pages, and
 * no more, however high their memlock limits; another user still
 * registers, under a global cap that the first user alone would have
 * filled; root (CAP_IPC_LOCK) is exempt from the per-user cap.
 * Before per-user accounting, A's third process got its page, and B got
 * ENOMEM from the global cap.
 */
ULS_TEST(per_user_cap)
{
	long global = t_param("max_pinned_pages");
	long per_user = t_param("max_user_pinned_pages");
	struct user_proc a[3] = {}, b = {};
	char val[32];
	char *buf = t_map_pages(10);
	long c0;
	int fd;

	if (!ASSERT_GT(per_user, 0, "max_user_pinned_pages") ||
	    !ASSERT_OK(t_settle(), "settle"))
		return;
	memset(buf, 1, 10 * getpagesize());
	c0 = t_stat("charged_pages");
	snprintf(val, sizeof(val), "%ld", c0 + 12);
	if (!ASSERT_OK(t_set_param("max_pinned_pages", val), "global cap 12") ||
	    !ASSERT_OK(t_set_param("max_user_pinned_pages", "8"), "user cap 8"))
		goto out;

	ASSERT_OK(start_user_proc(&a[0], 60001, 4), "uid A, process 1");
	ASSERT_EQ(a[0].err, 0, "4 pages");
	ASSERT_OK(start_user_proc(&a[1], 60001, 4), "uid A, process 2");
	ASSERT_EQ(a[1].err, 0, "4 more: A's share of 8 full");
	ASSERT_OK(start_user_proc(&a[2], 60001, 1), "uid A, process 3");
	ASSERT_EQ(a[2].err, ENOMEM, "A's ninth page: ENOMEM");
	ASSERT_OK(start_user_proc(&b, 60002, 4), "uid B");
	ASSERT_EQ(b.err, 0, "B still registers 4 pages");
	ASSERT_EQ(t_stat("charged_pages") - c0, 12, "8 of A's, 4 of B's");
	stop_user_proc(&b);
	for (int i = 0; i < 3; i++)
		stop_user_proc(&a[i]);
	ASSERT_OK(t_wait_stat("charged_pages", c0, 10000), "all given back");

	/* Root's user has a share of 8 too, but CAP_IPC_LOCK lifts it. */
	fd = t_dev_open();
	if (ASSERT_GE(fd, 0, "open")) {
		ASSERT_OK(t_ioc_register(fd, buf, 10 * getpagesize()),
			  "root: 10 pages, over the user cap, within the global one");
		close(fd);
	}
out:
	for (int i = 0; i < 3; i++)
		stop_user_proc(&a[i]);
	stop_user_proc(&b);
	snprintf(val, sizeof(val), "%ld", global);
	ASSERT_OK(t_set_param("max_pinned_pages", val), "restore the global cap");
	snprintf(val, sizeof(val), "%ld", per_user);
	ASSERT_OK(t_set_param("max_user_pinned_pages", val), "restore the user cap");
	ASSERT_OK(t_settle(), "all freed");
}

/*
 * The bound on a user's registrations waiting to be freed, for this test:
 * the default (65,536) takes minutes to reach on a debug kernel under TCG.
 * The test reads and restores the module's value.
 */
#define BACKLOG_BOUND 4096
#define BACKLOG_CALLS 1000000
#define BACKLOG_SECONDS 240
/* Refusals enough to show the bound holds, not just that it was hit. */
#define BACKLOG_REFUSALS (4 * BACKLOG_BOUND)

static void *stall_ioctl(void *page)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		ioctl(fd, STALL_IOCTL_CMD, page);
		close(fd);
	}
	return NULL;
}

/*
 * A thread re-registers one 64-byte region a million times while a
 * sleepable program sleeps in a page fault that a userfaultfd leaves
 * unanswered, so that no replaced registration can be freed. The
 * registrations waiting, and their pins, must stop at the documented
 * bound (EAGAIN from then on) instead of growing until the page's pin
 * count overflows; once the fault is answered, everything is freed.
 */
ULS_TEST_TIMEOUT(retired_backlog_bounded, 600)
{
	long max_entries = 0, max_pinned = 0;
	long ok = 0, eagain = 0, other = 0, calls = 0;
	long bound = t_param("max_user_retired");
	double first_refusal = 0, refusals = 0;
	char val[32];
	struct stall *skel = NULL;
	char *bait, *buf = t_map_pages(1);
	time_t deadline = time(NULL) + BACKLOG_SECONDS;
	pthread_t sleeper;
	int uffd, fd = -1;

	if (!ASSERT_OK(t_settle(), "settle") ||
	    !ASSERT_GT(bound, 0, "max_user_retired"))
		return;
	/* Out of range: refused, and the bound stays. */
	ASSERT_EQ(t_set_param("max_user_retired", "0"), -EINVAL, "bound 0");
	ASSERT_EQ(t_set_param("max_user_retired", "1048577"), -EINVAL,
		  "bound over 2^20");
	ASSERT_EQ(t_param("max_user_retired"), bound, "bound unchanged");
	uffd = t_uffd_bait(&bait);
	if (uffd == -ENOSYS)
		test__skip("no userfaultfd (CONFIG_USERFAULTFD) in this kernel");
	if (!ASSERT_GE(uffd, 0, "userfaultfd"))
		return;
	skel = stall__open_and_load();
	if (!ASSERT_OK_PTR(skel, "load stall.bpf.o") ||
	    !ASSERT_OK(stall__attach(skel), "attach"))
		goto out;
	snprintf(val, sizeof(val), "%d", BACKLOG_BOUND);
	if (!ASSERT_OK(t_set_param("max_user_retired", val), "bound 4096"))
		goto out;
	fd = t_dev_open();
	if (!ASSERT_GE(fd, 0, "open"))
		goto out;

	/* The program is asleep in the fault once the fault is reported. */
	pthread_create(&sleeper, NULL, stall_ioctl, bait);
	if (!ASSERT_OK(t_uffd_wait_fault(uffd), "the program sleeps in the fault"))
		goto answer;

	while (calls < BACKLOG_CALLS && eagain < BACKLOG_REFUSALS &&
	       time(NULL) < deadline) {
		double t0 = t_now();
		int err = t_ioc_register(fd, buf, 64);

		calls++;
		if (!err) {
			ok++;
		} else if (err == -EAGAIN) {
			/* The first waited for a reap, in vain. */
			if (!eagain++)
				first_refusal = t_now() - t0;
			else
				refusals += t_now() - t0;
		} else {
			other++;
		}
		if (calls % 512 == 0) {
			long e = t_stat("entries"), p = t_stat("pinned_pages");

			max_entries = e > max_entries ? e : max_entries;
			max_pinned = p > max_pinned ? p : max_pinned;
		}
	}
	printf("%ld calls in the stall: %ld registered, %ld EAGAIN, %ld other; "
	       "at most %ld entries and %ld pins; the first EAGAIN took %.1f s, "
	       "the others %.1f us each\n", calls, ok, eagain, other,
	       max_entries, max_pinned, first_refusal,
	       eagain > 1 ? refusals * 1e6 / (eagain - 1) : 0.0);
	ASSERT_GE(first_refusal, 4.5, "the first refusal waited for a reap");
	ASSERT_LT(refusals, 30.0, "the next ones failed at once");
	ASSERT_GT(calls, BACKLOG_BOUND + 1, "enough calls to reach the bound");
	ASSERT_EQ(other, 0, "no other error");
	ASSERT_EQ(eagain, BACKLOG_REFUSALS, "EAGAIN once the bound is reached");
	/* The live registration, plus those waiting. */
	ASSERT_LE(ok, BACKLOG_BOUND + 1, "registrations made in the stall");
	ASSERT_LE(max_entries, BACKLOG_BOUND + 1, "stats/entries bounded");
	ASSERT_LE(max_pinned, BACKLOG_BOUND + 1, "stats/pinned_pages bounded");
	ASSERT_GT(t_stat("failed_eagain"), 0, "stats/failed_eagain");

answer:
	ASSERT_OK(t_uffd_answer(uffd, bait), "answer the fault");
	pthread_join(sleeper, NULL);
	ASSERT_EQ(skel->bss->stalls, 1, "the program ran to its end");
	close(fd);
	fd = -1;
	/* A debug kernel frees a few thousand a second. */
	ASSERT_OK(t_wait_counts(0, 0, 60000),
		  "everything freed once the program returned");
out:
	if (fd >= 0)
		close(fd);
	snprintf(val, sizeof(val), "%ld", bound);
	ASSERT_OK(t_set_param("max_user_retired", val), "restore the bound");
	stall__destroy(skel);
	close(uffd);
}

#define CHURN_BOUND 64
#define CHURN_SECONDS 3

/*
 * With no program stalled, a thread that replaces its registration faster
 * than grace periods pass reaches max_user_retired too (PREEMPT_RT under
 * TCG did, at the default bound, in 4 seconds): there it must wait for the
 * reap, never fail, and the registrations waiting stay within the bound.
 */
ULS_TEST_TIMEOUT(retired_bound_waits_for_reap, 120)
{
	long bound = t_param("max_user_retired"), calls = 0, failed = 0;
	long max_entries = 0, err = 0;
	double deadline = t_now() + CHURN_SECONDS;
	char *buf = t_map_pages(1);
	char val[32];
	int fd;

	if (!ASSERT_OK(t_settle(), "settle") ||
	    !ASSERT_GT(bound, 0, "max_user_retired"))
		return;
	snprintf(val, sizeof(val), "%d", CHURN_BOUND);
	if (!ASSERT_OK(t_set_param("max_user_retired", val), "bound 64"))
		return;
	fd = t_dev_open();
	if (!ASSERT_GE(fd, 0, "open"))
		goto out;
	while (t_now() < deadline || calls <= 4 * CHURN_BOUND) {
		int ret = t_ioc_register(fd, buf, 64);

		calls++;
		if (ret) {
			failed++;
			err = ret;
		}
		if (calls % 16 == 0) {
			long e = t_stat("entries");

			max_entries = e > max_entries ? e : max_entries;
		}
	}
	printf("%ld registrations in %d s, bound %d: %ld failed (last error %ld), at most %ld entries\n",
	       calls, CHURN_SECONDS, CHURN_BOUND, failed, err, max_entries);
	ASSERT_EQ(failed, 0, "no registration failed");
	/*
	 * The live registration and those waiting, plus a batch the reap
	 * has accounted for but is still freeing (the stat counts down as
	 * each is freed).
	 */
	ASSERT_LE(max_entries, 2 * CHURN_BOUND + 1, "stats/entries bounded");
	close(fd);
out:
	snprintf(val, sizeof(val), "%ld", bound);
	ASSERT_OK(t_set_param("max_user_retired", val), "restore the bound");
	ASSERT_OK(t_settle(), "all freed");
}
