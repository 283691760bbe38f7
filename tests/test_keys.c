// SPDX-License-Identifier: GPL-2.0
/*
 * Keys (issue 14): per-thread variables shared by every library of a
 * process, checked against what the kernel and BPF see. BPF finds each key
 * by name from uls/key_layout.h alone (progs/keys.bpf.c), never through
 * libuls. uls_test is one static program; tests/dso has the tests that
 * need shared libraries.
 *
 * No ULS_DEFINE_KEY here: its constructor would run in every test of
 * uls_test (one binary) and take a key from the 1024 of keys_1024.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helpers.h"
#include "keys_util.h"
#include "test.h"
#include "uls.h"

/* A key's storage for this thread, as a byte pointer, or NULL. */
static char *key_ptr(uls_key_t k)
{
	return uls_key_get(k);
}

/* The calling thread's registration: its start, or 0. */
static uintptr_t reg_start(size_t *len)
{
	void *a = NULL;
	size_t l = 0;

	if (uls_query(&a, &l))
		return 0;
	if (len)
		*len = l;
	return (uintptr_t)a;
}

/* --- capacity ------------------------------------------------------------ */

/*
 * 1024 keys in one process, all used by one thread: each has storage of
 * its own, BPF finds them all by name, and the 1025th fails with ENOSPC
 * without taking anything.
 */
ULS_TEST(keys_1024)
{
	static uls_key_t k[ULS_KEYS_MAX];
	struct keys *bpf = t_keys_load();
	char name[32];
	__u64 e0, p0, e1, p1, v;
	uls_key_t extra;

	if (!ASSERT_OK_PTR(bpf, "load keys.bpf.o") ||
	    !ASSERT_OK(t_settle(), "settle") ||
	    !ASSERT_OK(t_counts(&e0, &p0), "counts"))
		return;
	for (int i = 0; i < ULS_KEYS_MAX; i++) {
		snprintf(name, sizeof(name), "k1024.%d", i);
		k[i] = uls_key_create(name, 8);
		if (!ASSERT_OK(uls_key_err(k[i]), name))
			goto out;
		if (i && !ASSERT_GE(k[i].off, k[i - 1].end, "after the last"))
			goto out;
	}
	extra = uls_key_create("k1024.extra", 8);
	ASSERT_ERRNO(uls_key_err(extra), ENOSPC, "key 1025");
	ASSERT_ERRNO(uls_key_err(uls_key_create_excl("k1024.extra2", 8)),
		     ENOSPC, "key 1025, excl");
	errno = 0;
	ASSERT_NULL(uls_key_get(extra), "no storage for it");
	ASSERT_EQ(errno, ENOSPC, "errno of the failed key");
	/* A full table still finds what it holds. */
	ASSERT_EQ(uls_key_create("k1024.7", 8).off, k[7].off, "lookup when full");

	for (int i = 0; i < ULS_KEYS_MAX; i++) {
		__u64 *p = uls_key_get(k[i]);

		if (!ASSERT_OK_PTR(p, "uls_key_get"))
			goto out;
		if (!ASSERT_EQ(*p, 0, "zeroed"))
			goto out;
		*p = 1000 + i;
	}
	ASSERT_EQ(t_key_bpf_count(bpf), ULS_KEYS_MAX, "BPF walks 1024 descriptors");
	for (int i = 0; i < ULS_KEYS_MAX; i += (i < 16 || i > 1000) ? 1 : 37) {
		snprintf(name, sizeof(name), "k1024.%d", i);
		v = 0;
		if (!ASSERT_EQ(t_key_bpf_load(bpf, name, 8, 0, &v), 1, name) ||
		    !ASSERT_EQ(v, 1000 + i, "BPF loads the thread's store"))
			goto out;
		ASSERT_EQ(t_key_bpf_offset(bpf, name, 8), k[i].off,
			  "BPF finds the key where libuls put it");
		ASSERT_EQ(t_key_bpf_store(bpf, name, 8, 0, 5000 + i), 1, "store");
		ASSERT_EQ(*(__u64 *)uls_key_get(k[i]), 5000 + i,
			  "the thread loads BPF's store");
	}
	ASSERT_EQ(t_key_bpf_load(bpf, "k1024.extra", 8, 0, &v), 0,
		  "BPF does not find the failed key");
	t_wait_until(!t_counts(&e1, &p1) && e1 == e0 + 1, 10000);
	ASSERT_EQ(e1, e0 + 1, "one registration for all of them");
out:
	t_keys_destroy(bpf);
}

/* More than a page of keys in one thread, a key itself bigger than one. */
ULS_TEST(keys_beyond_a_page)
{
	struct keys *bpf = t_keys_load();
	long page = getpagesize();
	uls_key_t a, b, c;
	char *pa, *pb, *pc;
	size_t len = 0;
	__u64 v = 0;

	if (!ASSERT_OK_PTR(bpf, "load keys.bpf.o"))
		return;
	a = uls_key_create("page.small", 8);
	b = uls_key_create("page.big", page + 1808);	/* 5904 on x86 */
	c = uls_key_create("page.mid", 3000);
	if (!ASSERT_OK(uls_key_err(a), "small") || !ASSERT_OK(uls_key_err(b), "big") ||
	    !ASSERT_OK(uls_key_err(c), "mid"))
		goto out;
	pa = key_ptr(a);
	pb = key_ptr(b);
	pc = key_ptr(c);
	if (!ASSERT_OK_PTR(pa, "get small") || !ASSERT_OK_PTR(pb, "get big") ||
	    !ASSERT_OK_PTR(pc, "get mid"))
		goto out;
	ASSERT_EQ((uintptr_t)pb % 64, 0, "a big key aligned to 64");
	ASSERT_TRUE(pb >= pa + 8 && pc >= pb + page + 1808, "no overlap");
	reg_start(&len);
	ASSERT_GT(len, page, "registered more than a page");
	for (long i = 0; i < page + 1808; i++)
		if (pb[i]) {
			ASSERT_EQ(pb[i], 0, "big key zeroed");
			break;
		}
	t_fill_pattern(pb, page + 1808, 7);
	t_fill_pattern(pc, 3000, 8);
	*(__u64 *)pa = 42;
	ASSERT_EQ(t_key_bpf_load(bpf, "page.big", page + 1808, page + 1800, &v), 1,
		  "BPF finds the big key's last u64");
	ASSERT_EQ(v, *(__u64 *)(pb + page + 1800), "and loads the thread's bytes");
	ASSERT_EQ(t_key_bpf_load(bpf, "page.mid", 3000, 2984, &v), 1, "mid's last");
	ASSERT_EQ(v, *(__u64 *)(pc + 2984), "its bytes");
	ASSERT_EQ(t_key_bpf_store(bpf, "page.big", page + 1808, page, 0x1234), 1,
		  "BPF stores past the big key's first page");
	ASSERT_EQ(*(__u64 *)(pb + page), 0x1234, "the thread sees it");
	ASSERT_EQ(t_key_bpf_load(bpf, "page.small", 8, 0, &v), 1, "small");
	ASSERT_EQ(v, 42, "small's value");
	ASSERT_EQ(t_check_pattern(pc, 3000, 8), 0, "mid untouched");
	ASSERT_EQ(t_key_bpf_count(bpf), 3, "three descriptors");
out:
	t_keys_destroy(bpf);
}

/*
 * Keys created while threads run and use older ones: each thread's region
 * grows in place, pointers taken before stay valid, and BPF sees what is
 * written through them.
 */
#define GROW_THREADS	8
#define GROW_KEYS	24	/* of 1000 bytes: several pages per thread */

struct grow {
	pthread_barrier_t b;
	uls_key_t first, late[GROW_KEYS], own[GROW_THREADS];
};

struct grow_thread {
	struct grow *g;
	int i;
};

static void *grow_fn(void *arg)
{
	struct grow_thread *t = arg;
	struct grow *g = t->g;
	struct keys *bpf = t_keys_load();
	__u64 *first, v = 0, tid = t_gettid();
	char name[32];
	uintptr_t start;

	if (!ASSERT_OK_PTR(bpf, "load keys.bpf.o")) {
		pthread_barrier_wait(&g->b);
		pthread_barrier_wait(&g->b);
		return NULL;
	}
	first = uls_key_get(g->first);
	if (ASSERT_OK_PTR(first, "first key"))
		first[0] = tid;
	start = reg_start(NULL);
	pthread_barrier_wait(&g->b);
	/* Meanwhile the main thread creates keys, and so does each thread. */
	snprintf(name, sizeof(name), "grow.own.%d", t->i);
	g->own[t->i] = uls_key_create(name, 200 + 8 * t->i);
	ASSERT_OK(uls_key_err(g->own[t->i]), "a thread's own key");
	pthread_barrier_wait(&g->b);
	if (!first)
		goto out;
	for (int i = 0; i < GROW_KEYS; i++) {
		__u64 *p = uls_key_get(g->late[i]);

		if (!ASSERT_OK_PTR(p, "late key"))
			goto out;
		p[0] = tid * 100 + i;
	}
	for (int i = 0; i < GROW_THREADS; i++)
		if (!ASSERT_OK_PTR(uls_key_get(g->own[i]), "another thread's key"))
			goto out;
	ASSERT_EQ((uintptr_t)uls_key_get(g->first), (uintptr_t)first,
		  "the first key where it was");
	ASSERT_EQ(reg_start(NULL), start, "the region grew in place");
	ASSERT_EQ(first[0], tid, "its value kept");
	first[1] = tid * 3;
	ASSERT_EQ(t_key_bpf_load(bpf, "grow.first", 64, 8, &v), 1,
		  "BPF finds the first key after growth");
	ASSERT_EQ(v, tid * 3, "and sees the store through the old pointer");
	ASSERT_EQ(t_key_bpf_store(bpf, "grow.first", 64, 0, tid + 7), 1, "BPF stores");
	ASSERT_EQ(first[0], tid + 7, "the old pointer sees BPF's store");
	for (int i = 0; i < GROW_KEYS; i += 5) {
		snprintf(name, sizeof(name), "grow.late.%d", i);
		ASSERT_EQ(t_key_bpf_load(bpf, name, 1000, 0, &v), 1, name);
		ASSERT_EQ(v, tid * 100 + i, "a late key's value");
	}
	ASSERT_EQ(t_key_bpf_count(bpf), 1 + GROW_KEYS + GROW_THREADS,
		  "every key linked");
out:
	t_keys_destroy(bpf);
	return NULL;
}

ULS_TEST(keys_growth_while_threads_run)
{
	struct grow g;
	struct grow_thread t[GROW_THREADS];
	pthread_t pt[GROW_THREADS];
	char name[32];

	g.first = uls_key_create("grow.first", 64);
	if (!ASSERT_OK(uls_key_err(g.first), "first key"))
		return;
	pthread_barrier_init(&g.b, NULL, GROW_THREADS + 1);
	for (int i = 0; i < GROW_THREADS; i++) {
		t[i] = (struct grow_thread){ .g = &g, .i = i };
		pthread_create(&pt[i], NULL, grow_fn, &t[i]);
	}
	pthread_barrier_wait(&g.b);
	for (int i = 0; i < GROW_KEYS; i++) {
		snprintf(name, sizeof(name), "grow.late.%d", i);
		g.late[i] = uls_key_create(name, 1000);
		ASSERT_OK(uls_key_err(g.late[i]), name);
	}
	pthread_barrier_wait(&g.b);
	for (int i = 0; i < GROW_THREADS; i++)
		pthread_join(pt[i], NULL);
}

/* --- ownership ------------------------------------------------------------ */

static uls_key_t own_key;

/* uls_area() first: keys in that thread fail, the area stays. */
static long area_then_key(void *arg)
{
	struct probe *p = arg;
	__u64 *a = uls_area(64), v = 0;

	if (!ASSERT_OK_PTR(a, "uls_area"))
		return -1;
	a[0] = 11;
	errno = 0;
	ASSERT_NULL(uls_key_get(own_key), "a key after uls_area()");
	ASSERT_EQ(errno, EBUSY, "EBUSY");
	ASSERT_EQ(reg_start(NULL), (uintptr_t)a, "the area still registered");
	ASSERT_EQ(t_probe_load_u64(p, &v), 1, "BPF finds the area");
	ASSERT_EQ(v, 11, "with its value");
	ASSERT_EQ((uintptr_t)uls_area(64), (uintptr_t)a, "uls_area() still works");
	return 0;
}

/* Keys first: uls_area(), uls_register() and uls_unregister() fail. */
static long key_then_area(void *arg)
{
	struct keys *bpf = t_keys_load();
	char *buf = t_map_pages(1);
	__u64 *k, v = 0;
	uintptr_t start;

	if (!ASSERT_OK_PTR(bpf, "load keys.bpf.o"))
		return -1;
	k = uls_key_get(own_key);
	if (!ASSERT_OK_PTR(k, "uls_key_get"))
		goto out;
	*k = 22;
	start = reg_start(NULL);
	ASSERT_NEQ(start, 0, "keys registered");
	errno = 0;
	ASSERT_NULL(uls_area(64), "uls_area() after a key");
	ASSERT_EQ(errno, EBUSY, "EBUSY");
	ASSERT_ERRNO(uls_register(buf, 64), EBUSY, "uls_register() after a key");
	ASSERT_ERRNO(uls_unregister(), EBUSY, "uls_unregister() after a key");
	ASSERT_EQ(reg_start(NULL), start, "the keys still registered");
	ASSERT_EQ(t_key_bpf_load(bpf, "own.k", 8, 0, &v), 1, "BPF finds the key");
	ASSERT_EQ(v, 22, "with its value");
	ASSERT_EQ((uintptr_t)uls_key_get(own_key), (uintptr_t)k, "the key kept");
out:
	t_keys_destroy(bpf);
	return 0;
}

/* uls_register() first: keys and uls_area() fail, until it is dropped. */
static long register_then_key(void *arg)
{
	char *buf = t_map_pages(1);
	size_t len = 0;

	if (!ASSERT_OK(uls_register(buf, 128), "uls_register"))
		return -1;
	errno = 0;
	ASSERT_NULL(uls_key_get(own_key), "a key after uls_register()");
	ASSERT_EQ(errno, EBUSY, "EBUSY");
	errno = 0;
	ASSERT_NULL(uls_area(64), "uls_area() after uls_register()");
	ASSERT_EQ(errno, EBUSY, "EBUSY");
	ASSERT_EQ(reg_start(&len), (uintptr_t)buf, "the caller's memory stays");
	ASSERT_EQ(len, 128, "its length too");
	/* The caller's own, to replace or drop. */
	ASSERT_OK(uls_register(buf, 64), "uls_register() again replaces it");
	ASSERT_OK(uls_unregister(), "uls_unregister");
	ASSERT_OK_PTR(uls_key_get(own_key), "keys once it is gone");
	return 0;
}

ULS_TEST(keys_area_register_conflicts)
{
	struct probe *p = t_probe_load();
	__u64 e0, p0;

	if (!ASSERT_OK_PTR(p, "probe") || !ASSERT_OK(t_settle(), "settle") ||
	    !ASSERT_OK(t_counts(&e0, &p0), "counts"))
		return;
	own_key = uls_key_create("own.k", 8);
	if (!ASSERT_OK(uls_key_err(own_key), "key"))
		goto out;
	ASSERT_OK(t_in_thread(area_then_key, p), "uls_area(), then a key");
	ASSERT_OK(t_in_thread(key_then_area, NULL), "a key, then the others");
	ASSERT_OK(t_in_thread(register_then_key, NULL), "uls_register(), then the others");
	/* Each thread's one registration went with it. */
	ASSERT_OK(t_wait_counts(e0, p0, 5000), "all unregistered at exit");
out:
	t_probe_destroy(p);
}

/* --- fork and exec ---------------------------------------------------------- */

struct keys_fork {
	uls_key_t k;
	__u64 *p;		/* the forking thread's storage */
	struct keys *bpf;
};

/*
 * The child's thread has a copy of the forking thread's storage, at the
 * same address, registered again before the child's code runs (libuls's
 * atfork handler): BPF sees the child's values, the parent keeps its own.
 */
static void keys_fork_child(void *arg)
{
	struct keys_fork *f = arg;
	__u64 v = 0, *q;
	uls_key_t late;

	ASSERT_EQ(t_key_bpf_load(f->bpf, "fork.k", 16, 0, &v), 1,
		  "registered in the child before any uls_key_get()");
	ASSERT_EQ(v, 1, "BPF sees the copy");
	q = uls_key_get(f->k);
	if (!ASSERT_EQ((uintptr_t)q, (uintptr_t)f->p, "the same address"))
		return;
	ASSERT_EQ(q[0], 1, "copied");
	ASSERT_EQ(q[1], 11, "all of it");
	q[0] = 2;
	ASSERT_EQ(t_key_bpf_load(f->bpf, "fork.k", 16, 0, &v), 1, "BPF");
	ASSERT_EQ(v, 2, "sees the child's store");
	ASSERT_EQ(t_key_bpf_store(f->bpf, "fork.k", 16, 8, 3), 1, "BPF stores");
	ASSERT_EQ(q[1], 3, "into the child's copy");
	late = uls_key_create("fork.child", 8);
	if (ASSERT_OK(uls_key_err(late), "a key created in the child"))
		ASSERT_OK_PTR(uls_key_get(late), "and its storage");
	ASSERT_EQ(t_key_bpf_count(f->bpf), 2, "the child's region has both");
}

static void keys_fork_check(struct keys_fork *f)
{
	__u64 v = 0;

	f->k = uls_key_create("fork.k", 16);
	if (!ASSERT_OK(uls_key_err(f->k), "key"))
		return;
	f->p = uls_key_get(f->k);
	if (!ASSERT_OK_PTR(f->p, "uls_key_get"))
		return;
	f->p[0] = 1;
	f->p[1] = 11;
	ASSERT_OK(t_in_child(keys_fork_child, f), "child");
	ASSERT_EQ(f->p[0], 1, "the parent's storage untouched");
	ASSERT_EQ(f->p[1], 11, "all of it");
	ASSERT_EQ(t_key_bpf_load(f->bpf, "fork.k", 16, 8, &v), 1, "parent, BPF");
	ASSERT_EQ(v, 11, "BPF sees the parent's value");
	ASSERT_EQ(t_key_bpf_count(f->bpf), 1, "the child's key is not the parent's");
}

ULS_TEST(keys_fork)
{
	struct keys_fork f = { .bpf = t_keys_load() };

	if (!ASSERT_OK_PTR(f.bpf, "load keys.bpf.o"))
		return;
	keys_fork_check(&f);
	t_keys_destroy(f.bpf);
}

static long keys_fork_thread(void *arg)
{
	keys_fork_check(arg);
	return 0;
}

/* The same, forked by a thread other than the leader. */
ULS_TEST(keys_fork_from_thread)
{
	struct keys_fork f = { .bpf = t_keys_load() };

	if (!ASSERT_OK_PTR(f.bpf, "load keys.bpf.o"))
		return;
	t_in_thread(keys_fork_thread, &f);
	t_keys_destroy(f.bpf);
}

/*
 * exec: nothing registered survives, though a /dev/uls file does. The
 * exec'd image (uls_test --exec-helper, test_lifecycle.c) checks by the
 * ioctl and through BPF that it has no registration.
 */
struct keys_exec {
	int report[2], hold[2];
};

static void keys_exec_child(void *arg)
{
	struct keys_exec *x = arg;
	uls_key_t k = uls_key_create("exec.k", 64);
	char r[16], h[16];
	__u64 *p;

	/* Not close-on-exec: the file survives, so must not the entry. */
	if (!ASSERT_GE(open(ULS_DEVICE_PATH, O_RDWR), 0, "open"))
		return;
	close(x->report[0]);
	close(x->hold[1]);
	p = uls_key_get(k);
	if (!ASSERT_OK_PTR(p, "uls_key_get"))
		return;
	*p = 1;
	snprintf(r, sizeof(r), "%d", x->report[1]);
	snprintf(h, sizeof(h), "%d", x->hold[0]);
	execl("/proc/self/exe", "uls_test", "--exec-helper", r, h, NULL);
	ASSERT_OK(-errno, "exec");
}

ULS_TEST(keys_exec)
{
	struct keys_exec x;
	long execed = t_stat("execed");
	__u64 e0, p0;
	pid_t pid;
	char c;

	if (!ASSERT_OK(t_settle(), "settle") || !ASSERT_OK(t_counts(&e0, &p0), "counts") ||
	    !ASSERT_OK(pipe(x.report), "pipe") || !ASSERT_OK(pipe(x.hold), "pipe"))
		return;
	pid = t_start_child(keys_exec_child, &x);
	if (!ASSERT_GT(pid, 0, "fork"))
		return;
	close(x.report[1]);
	close(x.hold[0]);
	ASSERT_EQ(read(x.report[0], &c, 1), 1, "the exec'd image looked");
	ASSERT_OK(t_wait_counts(e0, p0, 5000), "nothing left while the file is open");
	ASSERT_EQ(t_stat("execed"), execed + 1, "stats/execed");
	close(x.hold[1]);
	close(x.report[0]);
	t_wait_child(pid);
}

/* --- bad input -------------------------------------------------------------- */

/* Same name and size: the same key; another size: EEXIST; excl: EEXIST. */
ULS_TEST(keys_same_name)
{
	uls_key_t a = uls_key_create("same.k", 24), b;

	if (!ASSERT_OK(uls_key_err(a), "create"))
		return;
	b = uls_key_create("same.k", 24);
	ASSERT_EQ(b.off, a.off, "the same key again");
	ASSERT_EQ(b.end, a.end, "the same size");
	ASSERT_ERRNO(uls_key_err(uls_key_create("same.k", 32)), EEXIST, "other size");
	ASSERT_ERRNO(uls_key_err(uls_key_create("same.k", 8)), EEXIST, "smaller");
	ASSERT_ERRNO(uls_key_err(uls_key_create_excl("same.k", 24)), EEXIST,
		     "excl, same size");
	b = uls_key_create_excl("same.other", 24);
	ASSERT_OK(uls_key_err(b), "excl, a new name");
	ASSERT_TRUE(b.off >= (int32_t)a.end, "a key of its own");
	ASSERT_EQ((uintptr_t)uls_key_get(uls_key_create("same.k", 24)),
		  (uintptr_t)uls_key_get(a), "one storage per name");
}

struct bad_case {
	const char *what;
	const char *name;
	size_t size;
	int err;
	bool excl;
};

/*
 * Every bad input gets its errno, and leaves nothing behind: no key (BPF
 * walks the same descriptors, the next key goes where it would have), no
 * registration, pin or charge.
 */
ULS_TEST(keys_bad_input)
{
	struct keys *bpf = t_keys_load();
	long page = getpagesize(), max_len = t_max_len(), pin0;
	char n63[64], n64[65], n100[101], *guard, *unterminated, *end63;
	__u64 e0, p0, e1, p1;
	uls_key_t first, next, big[64];
	int nbig = 0, i;

	memset(n63, 'a', 63);
	n63[63] = '\0';
	memset(n64, 'b', 64);
	n64[64] = '\0';
	memset(n100, 'c', 100);
	n100[100] = '\0';
	/* Names at the end of a page followed by an inaccessible one. */
	guard = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!ASSERT_OK_PTR(bpf, "load keys.bpf.o") ||
	    !ASSERT_TRUE(guard != MAP_FAILED, "mmap") ||
	    !ASSERT_OK(mprotect(guard + page, page, PROT_NONE), "guard page") ||
	    !ASSERT_GE(max_len, 4 * page, "max_len"))
		return;
	unterminated = guard + page - 64;
	memset(unterminated, 'u', 64);
	end63 = guard + page - 128;
	memset(end63, 'e', 63);
	end63[63] = '\0';

	struct bad_case cases[] = {
		{ "NULL name", NULL, 8, EINVAL },
		{ "empty name", "", 8, EINVAL },
		{ "size 0", "bad.zero", 0, EINVAL },
		{ "64-byte name", n64, 8, ENAMETOOLONG },
		{ "100-byte name", n100, 8, ENAMETOOLONG },
		{ "unterminated name", unterminated, 8, ENAMETOOLONG },
		{ "unterminated name, excl", unterminated, 8, ENAMETOOLONG, true },
		{ "size max_len + 1", "bad.big", max_len + 1, E2BIG },
		{ "size max_len", "bad.max", max_len, E2BIG },
		{ "size 4 GiB + 8", "bad.trunc", (1ULL << 32) + 8, E2BIG },
		{ "size SIZE_MAX", "bad.sizemax", SIZE_MAX, E2BIG },
		{ "same name, other size", "bad.first", 16, EEXIST },
		{ "same name, excl", "bad.first", 8, EEXIST, true },
	};

	if (!ASSERT_OK(t_settle(), "settle"))
		goto out;
	first = uls_key_create("bad.first", 8);
	if (!ASSERT_OK(uls_key_err(first), "a good key") ||
	    !ASSERT_OK_PTR(uls_key_get(first), "its storage"))
		goto out;
	if (!ASSERT_OK(t_counts(&e0, &p0), "counts"))
		goto out;
	pin0 = t_vm_pin_kb();
	for (i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
		struct bad_case *c = &cases[i];
		uls_key_t k = c->excl ? uls_key_create_excl(c->name, c->size) :
					uls_key_create(c->name, c->size);

		ASSERT_ERRNO(uls_key_err(k), c->err, c->what);
		errno = 0;
		ASSERT_NULL(uls_key_get(k), c->what);
		ASSERT_EQ(errno, c->err, "uls_key_get() gives the key's errno");
	}
	ASSERT_OK(t_counts(&e1, &p1), "counts");
	ASSERT_EQ(e1, e0, "no registration from the failures");
	ASSERT_EQ(p1, p0, "no pin from the failures");
	ASSERT_EQ(t_vm_pin_kb(), pin0, "no charge from the failures");
	/* 63 bytes is the longest name, also ending at a page's end. */
	ASSERT_OK(uls_key_err(uls_key_create(n63, 8)), "63-byte name");
	ASSERT_OK(uls_key_err(uls_key_create(end63, 8)), "63-byte name at a page's end");
	/* Nothing of the failures: the next key goes right after the good ones. */
	next = uls_key_create("bad.next", 8);
	if (ASSERT_OK(uls_key_err(next), "next key"))
		ASSERT_LE(next.off, first.end + 3 * (sizeof(struct uls_key_desc) + 8),
			  "no space taken by the failures");
	ASSERT_OK_PTR(uls_key_get(next), "next's storage");
	ASSERT_EQ(t_key_bpf_count(bpf), 4, "four descriptors, no more");
	ASSERT_EQ(t_key_bpf_load(bpf, "bad.zero", 0, 0, &e1), 0, "no bad.zero");

	/* More per-thread data than max_len: E2BIG, nothing taken. */
	for (nbig = 0; nbig < 64; nbig++) {
		char name[32];

		snprintf(name, sizeof(name), "bad.fill.%d", nbig);
		big[nbig] = uls_key_create(name, page);
		if (uls_key_is_err(big[nbig]))
			break;
	}
	if (ASSERT_TRUE(nbig < 64, "the total hits max_len"))
		ASSERT_ERRNO(uls_key_err(big[nbig]), E2BIG, "E2BIG beyond max_len");
	ASSERT_GE(nbig, max_len / page - 2, "up to max_len");
	ASSERT_ERRNO(uls_key_err(uls_key_create("bad.fill.again", page)), E2BIG,
		     "again");
	for (i = 0; i < nbig; i++)
		if (!ASSERT_OK_PTR(uls_key_get(big[i]), "storage up to max_len"))
			break;
	ASSERT_EQ(t_key_bpf_count(bpf), 4 + nbig, "only the keys that fit");
	reg_start((size_t *)&e1);
	ASSERT_LE(e1, max_len, "registered within max_len");

	/*
	 * One registration, charged as the keys that exist need. Growth
	 * replaced it: the old ones are freed in a while.
	 */
	t_wait_until(!t_counts(&e1, &p1) && e1 == e0, 10000);
	ASSERT_EQ(e1, e0, "still one registration");
	ASSERT_LE(p1, p0 + (__u64)(max_len / page) + 1, "pins: max_len at most");
	ASSERT_GE(t_vm_pin_kb(), pin0, "VmPin");
out:
	t_keys_destroy(bpf);
	munmap(guard, 2 * page);
}
