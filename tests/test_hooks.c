// SPDX-License-Identifier: GPL-2.0
/*
 * Round trips through programs on real hooks: tp_btf, fentry, LSM and
 * sched_switch (on both the outgoing and the incoming task).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "helpers.h"
#include "test.h"
#include "progs/roundtrip.h"
#include "progs/switch_count.h"
#include "roundtrip.skel.h"
#include "switch_count.skel.h"

/*
 * Trigger @hook and wait for the program's store. One trigger is normally
 * one run; on kernels where a tracepoint program may be skipped by BPF's
 * recursion protection, a retry costs nothing and keeps the test honest:
 * what is checked is what was stored, not how often.
 */
static void rt_trigger(int hook)
{
	if (hook == RT_HOOK_LSM) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		ioctl(fd, RT_LSM_IOCTL_CMD, 0);
		close(fd);
	} else if (hook == RT_HOOK_FENTRY) {
		getpgid(0);
	} else {
		getppid();
	}
}

static void roundtrip(const char *prog_name, int hook)
{
	volatile struct rt_area *a = t_map_pages(1);
	struct bpf_program *prog, *p;
	struct roundtrip *skel;
	struct bpf_link *link = NULL;
	int fd = t_dev_open(), tries;

	skel = roundtrip__open();
	if (!ASSERT_OK_PTR(skel, "open roundtrip.bpf.o") ||
	    !ASSERT_GE(fd, 0, "open device"))
		goto out;
	skel->bss->target_tid = t_gettid();
	prog = bpf_object__find_program_by_name(skel->obj, prog_name);
	if (!ASSERT_OK_PTR(prog, prog_name))
		goto out;
	/* Load only the program under test: one hook's trouble is its own. */
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, p == prog);
	if (!ASSERT_OK(roundtrip__load(skel), "load"))
		goto out;
	link = bpf_program__attach(prog);
	if (!ASSERT_OK_PTR(link, "attach"))
		goto out;

	/* Unregistered: the program runs and finds nothing. */
	for (tries = 0; tries < 100 && !skel->bss->null_lookups; tries++)
		rt_trigger(hook);
	ASSERT_GT(skel->bss->null_lookups, 0, "NULL before registration");

	if (!ASSERT_OK(t_ioc_register(fd, (void *)a, sizeof(*a)), "register"))
		goto out;
	for (__u64 i = 1; i <= 5; i++) {
		a->from_user = 1000 + i;
		for (tries = 0; tries < 100 && a->from_bpf != 3 * (1000 + i) + 1;
		     tries++)
			rt_trigger(hook);
		ASSERT_EQ(skel->bss->seen_from_user, 1000 + i, "BPF loaded the thread's store");
		ASSERT_EQ(a->from_bpf, 3 * (1000 + i) + 1, "the thread loaded BPF's store");
	}
	ASSERT_EQ(a->hook, hook, "written by the program under test");
	ASSERT_GE(a->bpf_runs, 5, "runs counted in the region");
out:
	bpf_link__destroy(link);
	roundtrip__destroy(skel);
	if (fd >= 0)
		close(fd);
}

ULS_TEST(roundtrip_tp_btf)
{
	roundtrip("rt_sys_enter", RT_HOOK_SYS_ENTER);
}

ULS_TEST(roundtrip_fentry)
{
	roundtrip("rt_fentry", RT_HOOK_FENTRY);
}

ULS_TEST(roundtrip_lsm)
{
	roundtrip("rt_lsm", RT_HOOK_LSM);
}

#define SW_THREADS 4
#define SW_SLEEPS 40

struct sw_thread {
	int fd;
	bool registered;
	volatile struct sw_area *area;
	int tid;
	long switches;			/* while registered, per getrusage() */
};

static void *sw_thread_fn(void *arg)
{
	struct sw_thread *t = arg;
	struct rusage r0, r1;

	t->tid = t_gettid();
	if (t->registered) {
		t->area->magic = SW_MAGIC;
		if (t_ioc_register(t->fd, (void *)t->area, sizeof(*t->area)))
			return (void *)1;
	}
	/*
	 * Each sleep normally switches the thread out and back in, but on a
	 * slow VM the timer may expire before the thread gets to sleep, so
	 * count the switches the kernel saw (voluntary and not).
	 */
	getrusage(RUSAGE_THREAD, &r0);
	for (int i = 0; i < SW_SLEEPS; i++)
		t_msleep(1);
	getrusage(RUSAGE_THREAD, &r1);
	t->switches = r1.ru_nvcsw - r0.ru_nvcsw + r1.ru_nivcsw - r0.ru_nivcsw;
	return NULL;
}

ULS_TEST(sched_switch_prev_next)
{
	struct sw_thread th[SW_THREADS + 1] = {};
	struct sw_area *areas = t_map_pages(1);
	pthread_t pt[SW_THREADS + 1];
	struct switch_count *skel;
	int fd = t_dev_open();

	skel = switch_count__open();
	if (!ASSERT_OK_PTR(skel, "open switch_count.bpf.o") || !ASSERT_GE(fd, 0, "open"))
		goto out;
	skel->bss->watch_tgid = getpid();
	if (!ASSERT_OK(switch_count__load(skel), "load") ||
	    !ASSERT_OK(switch_count__attach(skel), "attach"))
		goto out;

	/* Areas of several threads packed in one page, as libuls does. */
	for (int i = 0; i <= SW_THREADS; i++) {
		th[i] = (struct sw_thread){ .fd = fd, .area = &areas[i],
					    .registered = i < SW_THREADS };
		pthread_create(&pt[i], NULL, sw_thread_fn, &th[i]);
	}
	for (int i = 0; i <= SW_THREADS; i++) {
		void *ret;

		pthread_join(pt[i], &ret);
		ASSERT_NULL(ret, "thread registered");
	}
	for (int i = 0; i < SW_THREADS; i++) {
		volatile struct sw_area *a = th[i].area;

		ASSERT_GE(th[i].switches, SW_SLEEPS / 2, "the sleeps switched");
		ASSERT_GE(a->switched_out, th[i].switches, "switched out, counted as prev");
		ASSERT_GE(a->switched_in, th[i].switches, "switched in, counted as next");
		ASSERT_EQ(a->last_pid_out, th[i].tid, "prev was this thread");
		ASSERT_EQ(a->last_pid_in, th[i].tid, "next was this thread");
	}
	ASSERT_EQ(th[SW_THREADS].area->switched_out, 0, "unregistered area untouched");
	ASSERT_GT(skel->bss->unregistered_null, 0, "NULL for the unregistered threads");
	ASSERT_EQ(skel->bss->unregistered_found, 0, "nothing found for them");
out:
	switch_count__destroy(skel);
	if (fd >= 0)
		close(fd);
}
