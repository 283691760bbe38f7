// SPDX-License-Identifier: GPL-2.0
/* libuls, checked against what the kernel and BPF actually see. */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "helpers.h"
#include "test.h"
#include "uls.h"
#include "stall.skel.h"
#include "progs/stall.h"

ULS_TEST(libuls_register_query)
{
	struct probe *p = t_probe_load();
	char *buf = t_map_pages(1);
	void *addr;
	size_t len;

	if (!ASSERT_OK_PTR(p, "probe"))
		return;
	ASSERT_ERRNO(uls_query(&addr, &len), ENOENT, "query, none yet");
	ASSERT_ERRNO(uls_register(buf + 3, 100), EINVAL, "not 8-byte aligned");
	ASSERT_OK(uls_register(buf + 8, 100), "uls_register");
	if (ASSERT_OK(uls_query(&addr, &len), "uls_query")) {
		ASSERT_EQ((uintptr_t)addr, (uintptr_t)(buf + 8), "address");
		ASSERT_EQ(len, 100, "length");
	}
	ASSERT_EQ(t_probe_len(p), 100, "BPF sees it");
	ASSERT_OK(uls_unregister(), "uls_unregister");
	ASSERT_EQ(t_probe_len(p), 0, "BPF no longer does");
	ASSERT_ERRNO(uls_unregister(), ENOENT, "second uls_unregister");
	ASSERT_ERRNO(uls_register(buf, 0), EINVAL, "length 0");
	t_probe_destroy(p);
}

ULS_TEST(libuls_fd_once_cloexec)
{
	int fd = uls_fd(), flags;

	if (!ASSERT_GE(fd, 0, "uls_fd"))
		return;
	flags = fcntl(fd, F_GETFD);
	ASSERT_TRUE(flags >= 0 && (flags & FD_CLOEXEC), "close-on-exec");
	ASSERT_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR, "read-write");
	ASSERT_EQ(uls_fd(), fd, "opened once per process");
	ASSERT_TRUE(uls_module_loaded(), "uls_module_loaded");
}

ULS_TEST(libuls_info)
{
	struct uls_info info;

	if (ASSERT_OK(uls_info(&info), "uls_info"))
		ASSERT_EQ(info.abi_version, ULS_ABI_VERSION, "ABI version");
}

ULS_TEST(libuls_strerror)
{
	ASSERT_STRSTR(uls_strerror(-ENOENT), "no registration", "ENOENT");
	ASSERT_STRSTR(uls_strerror(ENOENT), "no registration", "positive errno");
	ASSERT_STRSTR(uls_strerror(-ENODEV), "not loaded", "ENODEV");
	ASSERT_STRSTR(uls_strerror(-E2BIG), "max_len", "E2BIG");
	ASSERT_STRSTR(uls_strerror(-EBADF), "Bad file", "other errno");
}

ULS_TEST(libuls_area_cached)
{
	struct probe *p = t_probe_load();
	__u64 *a, *b, v = 0;

	if (!ASSERT_OK_PTR(p, "probe"))
		return;
	a = uls_area(24);
	if (!ASSERT_OK_PTR(a, "uls_area(24)"))
		goto out;
	ASSERT_EQ((uintptr_t)a % 64, 0, "cache-line aligned");
	ASSERT_EQ(a[0] | a[1] | a[2], 0, "zeroed");
	b = uls_area(16);
	ASSERT_EQ((uintptr_t)b, (uintptr_t)a, "same area on the next call");
	ASSERT_EQ((uintptr_t)uls_area(64), (uintptr_t)a, "up to its block size");
	errno = 0;
	ASSERT_NULL(uls_area(65), "larger than the first");
	ASSERT_EQ(errno, ENOSPC, "errno ENOSPC");
	ASSERT_EQ(t_probe_len(p), 64, "registered with its block size");
	a[0] = 42;
	ASSERT_EQ(t_probe_load_u64(p, &v), 1, "BPF finds it");
	ASSERT_EQ(v, 42, "and loads the thread's store");

	/* uls_register() may not take the area's place. */
	ASSERT_ERRNO(uls_register(t_map_pages(1), 8), EBUSY,
		     "uls_register() over the area");
	ASSERT_EQ(t_probe_len(p), 64, "the area stays");
out:
	t_probe_destroy(p);
}

#define PACK_THREADS 16

struct pack_thread {
	struct probe *probe;
	pthread_barrier_t *barrier;
	__u64 *area;
	__u64 bpf_saw;
	int tid;
};

static void *pack_thread_fn(void *arg)
{
	struct pack_thread *t = arg;

	t->tid = t_gettid();
	t->area = uls_area(64);
	if (t->area)
		t->area[0] = t->tid;
	/* All alive together: nobody's block is recycled for another. */
	pthread_barrier_wait(t->barrier);
	if (t_probe_load_u64(t->probe, &t->bpf_saw) != 1)
		t->bpf_saw = 0;
	pthread_barrier_wait(t->barrier);
	return NULL;
}

/* Many threads' areas share pinned pages instead of one page each. */
ULS_TEST(libuls_area_packed)
{
	struct pack_thread th[PACK_THREADS];
	pthread_t pt[PACK_THREADS];
	pthread_barrier_t barrier;
	long page = getpagesize();
	uintptr_t first_page;
	int same_page = 0;

	pthread_barrier_init(&barrier, NULL, PACK_THREADS);
	for (int i = 0; i < PACK_THREADS; i++) {
		th[i] = (struct pack_thread){ .probe = t_probe_load(),
					      .barrier = &barrier };
		if (!ASSERT_OK_PTR(th[i].probe, "probe"))
			return;
	}
	for (int i = 0; i < PACK_THREADS; i++)
		pthread_create(&pt[i], NULL, pack_thread_fn, &th[i]);
	for (int i = 0; i < PACK_THREADS; i++)
		pthread_join(pt[i], NULL);

	first_page = (uintptr_t)th[0].area / page;
	for (int i = 0; i < PACK_THREADS; i++) {
		if (!ASSERT_OK_PTR(th[i].area, "uls_area"))
			return;
		same_page += (uintptr_t)th[i].area / page == first_page;
		for (int j = 0; j < i; j++)
			ASSERT_NEQ((uintptr_t)th[i].area, (uintptr_t)th[j].area,
				   "distinct areas");
		ASSERT_EQ(th[i].bpf_saw, th[i].tid, "BPF sees each thread's own area");
		t_probe_destroy(th[i].probe);
	}
	ASSERT_EQ(same_page, PACK_THREADS, "16 areas of 64 bytes in one page");
}

static long area_of_new_thread(void *arg)
{
	__u64 **out = arg;
	__u64 *a = uls_area(64);

	if (a)
		a[1] = 0xdead;
	*out = a;
	return a ? 0 : -errno;
}

/* At thread exit the area is unregistered, then recycled, zeroed. */
ULS_TEST(libuls_area_thread_exit)
{
	__u64 e0, p0, *first = NULL, *second = NULL;

	if (!ASSERT_OK(t_settle(), "settle") ||
	    !ASSERT_OK(t_counts(&e0, &p0), "counts"))
		return;
	ASSERT_OK(t_in_thread(area_of_new_thread, &first), "first thread");
	ASSERT_OK(t_wait_counts(e0, p0, 5000), "unregistered at thread exit");
	ASSERT_OK(t_in_thread(area_of_new_thread, &second), "second thread");
	ASSERT_EQ((uintptr_t)second, (uintptr_t)first, "block recycled");
	ASSERT_OK(t_wait_counts(e0, p0, 5000), "and unregistered again");
}

static long check_zeroed(void *arg)
{
	__u64 *a = uls_area(64);

	return a && !a[1] ? 0 : -1;
}

ULS_TEST(libuls_area_recycled_zeroed)
{
	__u64 *first = NULL;

	ASSERT_OK(t_in_thread(area_of_new_thread, &first), "dirty the block");
	ASSERT_OK(t_in_thread(check_zeroed, NULL), "next owner gets it zeroed");
}

/*
 * The area holds the thread's registration: neither uls_register() nor
 * uls_unregister() nor a key may take it (EBUSY), and libuls unregisters
 * it at thread exit, before its block can be recycled, not leaving it to
 * the exit probe, which comes after pthread_join() returns.
 */
static long area_held(void *arg)
{
	uls_key_t key = uls_key_create("test.area_held", 8);
	__u64 *a = uls_area(64), buf[8];
	void *q = NULL;

	if (!ASSERT_OK_PTR(a, "uls_area"))
		return -1;
	ASSERT_ERRNO(uls_unregister(), EBUSY, "uls_unregister()");
	ASSERT_ERRNO(uls_register(buf, sizeof(buf)), EBUSY, "uls_register()");
	ASSERT_NULL(uls_key_get(key), "uls_key_get()");
	ASSERT_EQ(errno, EBUSY, "uls_key_get(): EBUSY");
	ASSERT_OK(uls_query(&q, NULL), "uls_query");
	ASSERT_EQ((uintptr_t)q, (uintptr_t)a, "still the area");
	return 0;
}

ULS_TEST(libuls_area_held)
{
	long unregistered, exited;

	if (!ASSERT_OK(t_settle(), "settle"))
		return;
	unregistered = t_stat("unregistered");
	exited = t_stat("exited");
	ASSERT_OK(t_in_thread(area_held, NULL), "thread");
	ASSERT_OK(t_settle(), "freed");
	ASSERT_EQ(t_stat("unregistered"), unregistered + 1,
		  "by libuls at thread exit");
	ASSERT_EQ(t_stat("exited"), exited, "none left to the exit probe");
}

/* And what uls_register() holds, uls_area() and keys leave alone. */
static long manual_held(void *arg)
{
	uls_key_t key = uls_key_create("test.manual_held", 8);
	__u64 buf[8];

	if (!ASSERT_OK(uls_register(buf, sizeof(buf)), "uls_register"))
		return -1;
	ASSERT_NULL(uls_area(64), "uls_area()");
	ASSERT_EQ(errno, EBUSY, "uls_area(): EBUSY");
	ASSERT_NULL(uls_key_get(key), "uls_key_get()");
	ASSERT_EQ(errno, EBUSY, "uls_key_get(): EBUSY");
	ASSERT_OK(uls_register(buf + 1, 8), "its own, replaced");
	ASSERT_OK(uls_unregister(), "uls_unregister()");
	ASSERT_OK_PTR(uls_key_get(key), "then a key may");
	return 0;
}

ULS_TEST(libuls_manual_held)
{
	ASSERT_OK(t_in_thread(manual_held, NULL), "thread");
}

static pthread_key_t late_key;

/* Runs after libuls's destructor, whose key is older. */
static void late_destructor(void *arg)
{
	long *verdict = arg;
	void *a = uls_area(64), *q = NULL;

	*verdict = a && !uls_query(&q, NULL) && q == a ? 0 : -1;
}

static long set_late_key(void *arg)
{
	if (!uls_area(64))
		return -1;
	return pthread_setspecific(late_key, arg);
}

/*
 * uls_area() in a destructor that runs after libuls's own: the thread's
 * area is gone, and it gets a new one, registered.
 */
ULS_TEST(libuls_area_in_late_destructor)
{
	long verdict = -2;

	if (!ASSERT_OK_PTR(uls_area(64), "libuls's key exists") ||
	    !ASSERT_OK(pthread_key_create(&late_key, late_destructor), "key"))
		return;
	ASSERT_OK(t_in_thread(set_late_key, &verdict), "thread");
	ASSERT_EQ(verdict, 0, "a new area, registered (-1: not registered)");
}

/* fork(): the child starts unregistered, and can register its copy. */
struct libuls_fork {
	struct probe *p;
	volatile __u64 *area;		/* the parent's */
};

static void libuls_fork_child(void *arg)
{
	struct libuls_fork *f = arg;
	__u64 v = 0;

	ASSERT_EQ(t_probe_len(f->p), 0, "the child sees no region");
	ASSERT_ERRNO(uls_query(NULL, NULL), ENOENT, "nor does uls_query()");
	if (!ASSERT_EQ((uintptr_t)uls_area(64), (uintptr_t)f->area,
		       "uls_area(): the same address, the child's copy"))
		return;
	ASSERT_EQ(t_probe_len(f->p), 64, "registered");
	f->area[0] = 2;
	ASSERT_EQ(t_probe_load_u64(f->p, &v), 1, "BPF finds it");
	ASSERT_EQ(v, 2, "and loads the child's store");
	ASSERT_EQ(t_probe_store_u64(f->p, 3), 1, "BPF stores");
	ASSERT_EQ(f->area[0], 3, "the child loads BPF's store");
}

ULS_TEST(libuls_fork)
{
	struct libuls_fork f = { .p = t_probe_load() };

	if (!ASSERT_OK_PTR(f.p, "probe"))
		return;
	f.area = uls_area(64);
	if (!ASSERT_OK_PTR(f.area, "uls_area"))
		goto out;
	f.area[0] = 1;
	t_in_child(libuls_fork_child, &f);
	ASSERT_EQ(f.area[0], 1, "the parent's area untouched by the child");
	ASSERT_EQ(t_probe_len(f.p), 64, "the parent still registered");
out:
	t_probe_destroy(f.p);
}

/*
 * The next owner of a block never receives a store meant for the last.
 * In a child process: the main thread M has an area; a sleepable program,
 * run by a thread S, fetches M's area (its group leader's) and sleeps in
 * a page fault before storing into it. M exits, which unregisters the
 * area and frees its block; a new thread W asks for an area, the only
 * freed block being M's. Then the fault is answered, and the program
 * stores. Its store must land in M's old block, not in W's area: M's
 * block stays in quarantine until the module has freed M's registration,
 * which the sleeping program holds up.
 */
struct quarantine {
	struct stall *skel;
	int uffd;
	char *bait;
	pthread_t main_thread;
	__u64 *old_area;		/* M's */
	pthread_barrier_t exit_now;
};

static void *quarantine_sleeper(void *arg)
{
	struct quarantine *q = arg;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		ioctl(fd, STALL_STORE_CMD, q->bait);
		close(fd);
	}
	return NULL;
}

static long new_owner(void *arg)
{
	__u64 **area = arg;

	*area = uls_area(64);
	return *area ? 0 : -errno;
}

static void *quarantine_controller(void *arg)
{
	struct quarantine *q = arg;
	pthread_t sleeper;
	__u64 *mine = NULL;

	pthread_create(&sleeper, NULL, quarantine_sleeper, q);
	if (!ASSERT_OK(t_uffd_wait_fault(q->uffd), "the program holds M's area"))
		exit(1);
	/* M unregisters its area and frees the block as it exits. */
	pthread_barrier_wait(&q->exit_now);
	pthread_join(q->main_thread, NULL);
	ASSERT_OK(t_in_thread(new_owner, &mine), "a new thread's area");
	ASSERT_OK(t_uffd_answer(q->uffd, q->bait), "answer the fault");
	pthread_join(sleeper, NULL);
	ASSERT_EQ(q->skel->bss->no_region, 0, "the program found M's area");
	ASSERT_EQ(q->skel->bss->stores, 1, "and stored after its sleep");
	ASSERT_EQ(q->old_area[0], STALL_MARK, "into M's old block");
	if (mine) {
		ASSERT_NEQ((uintptr_t)mine, (uintptr_t)q->old_area,
			   "the new owner did not get M's block yet");
		ASSERT_EQ(mine[0], 0, "the new owner's area untouched");
	}
	exit(test__failed() ? 1 : 0);
}

static void quarantine_child(void *arg)
{
	struct quarantine q = { .main_thread = pthread_self() };
	pthread_t controller;

	q.uffd = t_uffd_bait(&q.bait);
	if (!ASSERT_GE(q.uffd, 0, "userfaultfd"))
		return;
	q.skel = stall__open_and_load();
	if (!ASSERT_OK_PTR(q.skel, "load stall.bpf.o") ||
	    !ASSERT_OK(stall__attach(q.skel), "attach"))
		return;
	q.old_area = uls_area(64);
	if (!ASSERT_OK_PTR(q.old_area, "M's area"))
		return;
	pthread_barrier_init(&q.exit_now, NULL, 2);
	pthread_create(&controller, NULL, quarantine_controller, &q);
	pthread_barrier_wait(&q.exit_now);
	pthread_exit(NULL);
}

ULS_TEST_TIMEOUT(libuls_quarantine, 120)
{
	char *bait;
	int uffd = t_uffd_bait(&bait);

	if (uffd == -ENOSYS)
		test__skip("no userfaultfd (CONFIG_USERFAULTFD) in this kernel");
	if (uffd >= 0)
		close(uffd);
	/* A store meant for the last owner never reaches the next. */
	t_in_child(quarantine_child, NULL);
	ASSERT_OK(t_settle(), "all freed");
}

/*
 * Keys, as BPF sees them through the layout: the storage sits where the
 * key says, zeroed, registered; a key created later grows the region in
 * place, and what was written through the first pointer stays, for the
 * thread and for BPF.
 */
static void key_grows_in_place(void *arg)
{
	struct probe *p = t_probe_load();
	uls_key_t a = uls_key_create("test.grow.a", 8), b;
	struct uls_keys_header h;
	__u64 *pa, *pb, v = 0;
	void *q;
	size_t len;

	if (!ASSERT_OK_PTR(p, "probe") || !ASSERT_OK(uls_key_err(a), "key a"))
		return;
	pa = uls_key_get(a);
	if (!ASSERT_OK_PTR(pa, "uls_key_get(a)"))
		goto out;
	ASSERT_EQ(*pa, 0, "zeroed");
	ASSERT_EQ(uls_key_get(a), pa, "the same pointer again");
	ASSERT_OK(uls_query(&q, &len), "registered");
	ASSERT_EQ((uintptr_t)pa - (uintptr_t)q, a.off, "at the key's offset");
	memcpy(&h, q, sizeof(h));
	ASSERT_EQ(h.magic, ULS_KEYS_MAGIC, "header");
	/* Its names, for a reader from outside (ulsctl list). */
	if (ASSERT_NEQ(h.names, 0, "header's names")) {
		const struct uls_key_name *n = (const void *)(uintptr_t)h.names;
		int i;

		for (i = 0; i < ULS_KEYS_MAX && n[i].hash; i++)
			if (n[i].hash == uls_key_hash("test.grow.a"))
				break;
		if (ASSERT_LT(i, ULS_KEYS_MAX, "a's slot") && n[i].hash) {
			ASSERT_EQ(strcmp(n[i].name, "test.grow.a"), 0, "a's name");
			ASSERT_EQ(n[i].off, a.off, "a's offset");
			ASSERT_EQ(n[i].size, 8, "a's size");
		}
	}
	*pa = 0x1234;
	ASSERT_EQ(t_probe_load_at(p, a.off, &v), 1, "BPF finds a");
	ASSERT_EQ(v, 0x1234, "BPF loads a");

	/* Past the registration: the thread registers more, in place. */
	b = uls_key_create("test.grow.b", 3 * 4096);
	if (!ASSERT_OK(uls_key_err(b), "key b, three pages"))
		goto out;
	ASSERT_GT(b.end, len, "beyond what is registered");
	pb = uls_key_get(b);
	if (!ASSERT_OK_PTR(pb, "uls_key_get(b)"))
		goto out;
	ASSERT_EQ(uls_key_get(a), pa, "a has not moved");
	ASSERT_OK(uls_query(&q, &len), "registered");
	ASSERT_GE(len, b.end, "the region grew");
	ASSERT_EQ((uintptr_t)q + a.off, (uintptr_t)pa, "from the same address");
	pb[3 * 4096 / 8 - 1] = 0x5678;
	ASSERT_EQ(t_probe_load_at(p, b.end - 8, &v), 1, "BPF finds b's end");
	ASSERT_EQ(v, 0x5678, "BPF loads b");
	ASSERT_EQ(t_probe_store_at(p, a.off, 0x9abc), 1, "BPF stores to a");
	ASSERT_EQ(*pa, 0x9abc, "seen through the old pointer");
	ASSERT_ERRNO(uls_unregister(), EBUSY, "keys hold the registration");
out:
	t_probe_destroy(p);
}

/* In a child: keys are for the life of the process. */
ULS_TEST(libuls_key_grows_in_place)
{
	t_in_child(key_grows_in_place, NULL);
}
