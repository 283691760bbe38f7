// SPDX-License-Identifier: GPL-2.0
/*
 * uls_dso_test: the key tests that need shared libraries, so a dynamically
 * linked program (uls_test is static). Linked with libuls.so.0; libbpf
 * statically. The same runner as uls_test (runner.c): one process per
 * test, TAP results. The test libraries (dso_lib.c) are next to this
 * program and are loaded with dlopen() by the tests, at the times they
 * say.
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "dso.h"
#include "helpers.h"
#include "keys_util.h"
#include "test.h"
#include "uls.h"

/* runner.c's --exec-helper is uls_test's alone (test_lifecycle.c). */
int exec_helper(int argc, char **argv)
{
	return 2;
}

/* Load lib<name>.so from this program's directory, and its API. */
static void *load_lib(const char *file, const char *prefix, struct dso_api *api)
{
	char exe[PATH_MAX], path[PATH_MAX + 64], sym[64], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	void *h;

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/%s", exe, file);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!ASSERT_OK_PTR(h, path)) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return NULL;
	}
#define SYM(what) (snprintf(sym, sizeof(sym), "%s_" #what, prefix), dlsym(h, sym))
	api->init = SYM(init);
	api->nkeys = SYM(nkeys);
	api->ptr = SYM(ptr);
	api->query = SYM(query);
#undef SYM
	if (!ASSERT_TRUE(api->init && api->nkeys && api->ptr && api->query,
			 "the library's functions"))
		return NULL;
	return h;
}

/* --- a pool of threads that run one step at a time, together ------------ */

#define MAX_THREADS	64

struct pool;
typedef void (*step_fn)(struct pool *p, int t);

struct pool {
	int n;
	pthread_t th[MAX_THREADS];
	int tid[MAX_THREADS];
	pthread_barrier_t start, done;
	step_fn step;			/* NULL: exit */
	struct keys *bpf;		/* shared: a SYSCALL run acts on its caller */
	int nlibs;
	struct dso_api lib[3];
	int nkeys[3];
	const struct dso_key *keys[3];
	void *ptr[MAX_THREADS][3][DSO_MAX_KEYS];	/* from each library */
	__u64 entries0, pins0;		/* before the threads */
};

struct pool_arg {
	struct pool *p;
	int t;
};

static void *pool_thread(void *arg)
{
	struct pool_arg *a = arg;
	struct pool *p = a->p;

	p->tid[a->t] = t_gettid();
	for (;;) {
		pthread_barrier_wait(&p->start);
		if (!p->step)
			break;
		p->step(p, a->t);
		pthread_barrier_wait(&p->done);
	}
	return NULL;
}

static struct pool_arg pool_args[MAX_THREADS];

static void pool_start(struct pool *p, int n)
{
	p->n = n;
	pthread_barrier_init(&p->start, NULL, n + 1);
	pthread_barrier_init(&p->done, NULL, n + 1);
	for (int t = 0; t < n; t++) {
		pool_args[t] = (struct pool_arg){ p, t };
		pthread_create(&p->th[t], NULL, pool_thread, &pool_args[t]);
	}
}

static void pool_run(struct pool *p, step_fn step)
{
	p->step = step;
	pthread_barrier_wait(&p->start);
	pthread_barrier_wait(&p->done);
}

static void pool_stop(struct pool *p)
{
	p->step = NULL;
	pthread_barrier_wait(&p->start);
	for (int t = 0; t < p->n; t++)
		pthread_join(p->th[t], NULL);
}

/* Load the program and take the counts before any thread exists. */
static bool pool_begin(struct pool *p)
{
	p->bpf = t_keys_load();
	return ASSERT_OK_PTR(p->bpf, "load keys.bpf.o") &&
	       ASSERT_OK(t_settle(), "settle") &&
	       ASSERT_OK(t_counts(&p->entries0, &p->pins0), "counts");
}

/*
 * Each thread has one registration: growth replaced the others, which
 * the module frees in a while.
 */
static void pool_check_one_each(struct pool *p)
{
	__u64 e = 0, pins;

	t_wait_until(!t_counts(&e, &pins) && e == p->entries0 + p->n, 10000);
	ASSERT_EQ(e, p->entries0 + p->n, "one registration per thread");
}

/* Stop the threads: everything goes with them. */
static void pool_end(struct pool *p)
{
	pool_stop(p);
	ASSERT_OK(t_wait_counts(p->entries0, p->pins0, 10000),
		  "all gone with the threads");
	t_keys_destroy(p->bpf);
}

/* --- the checks --------------------------------------------------------- */

static bool is_shared(const struct dso_key *k)
{
	return !strcmp(k->name, "dso.shared");
}

/* What thread @t stores in key @i of library @l: unique to each. */
static __u64 value(int l, int i, int t)
{
	return (__u64)(l + 1) << 40 | (__u64)(i + 1) << 32 | (t + 1);
}

/*
 * The 8-aligned last u64 of a key of @size bytes (all are 8 or more):
 * for a key of 8 bytes, its first. Such a key holds value() only.
 */
static __u32 last_u64(__u32 size)
{
	return (size - 8) & ~7u;
}

/* Thread @t takes its storage for every key of library @l. */
static void touch(struct pool *p, int t, int l)
{
	for (int i = 0; i < p->nkeys[l]; i++) {
		const struct dso_key *k = &p->keys[l][i];
		char *s = p->lib[l].ptr(i);

		p->ptr[t][l][i] = s;
		if (!ASSERT_OK_PTR(s, k->name))
			continue;
		if (is_shared(k))
			continue;
		ASSERT_EQ(*(__u64 *)s, 0, "zeroed");
		if (last_u64(k->size))
			*(__u64 *)(s + last_u64(k->size)) = ~value(l, i, t);
		*(__u64 *)s = value(l, i, t);
	}
}

/* ...of the library loaded last. */
static void step_touch_last(struct pool *p, int t)
{
	touch(p, t, p->nlibs - 1);
}

/*
 * Thread @t: every library's keys where they were, with the thread's
 * values; BPF finds each by name, loads what the library stored and
 * stores what the library then loads; no two keys overlap; all in the
 * thread's one registration.
 */
static void step_check_all(struct pool *p, int t)
{
	uintptr_t start = 0;
	size_t len = 0;
	void *a = NULL;
	__u64 v;

	if (ASSERT_OK(uls_query(&a, &len), "the thread's registration"))
		start = (uintptr_t)a;
	for (int l = 0; l < p->nlibs; l++) {
		void *la = NULL;
		size_t ll = 0;

		if (ASSERT_OK(p->lib[l].query(&la, &ll), "the library's uls_query"))
			ASSERT_EQ((uintptr_t)la, start, "the same registration");
		for (int i = 0; i < p->nkeys[l]; i++) {
			const struct dso_key *k = &p->keys[l][i];
			char *s = p->lib[l].ptr(i);
			uintptr_t u = (uintptr_t)s;

			if (!ASSERT_EQ(u, (uintptr_t)p->ptr[t][l][i], k->name) ||
			    !s)
				continue;
			ASSERT_TRUE(u >= start && u + k->size <= start + len,
				    "inside the registration");
			/* Against every other key of every library. */
			for (int m = 0; m < p->nlibs; m++)
				for (int j = 0; j < p->nkeys[m]; j++) {
					const struct dso_key *o = &p->keys[m][j];
					uintptr_t w = (uintptr_t)p->ptr[t][m][j];

					if ((m == l && j == i) || !w)
						continue;
					if (is_shared(k) && is_shared(o))
						ASSERT_EQ(w, u, "one storage for a shared name");
					else if (!(w + o->size <= u || u + k->size <= w))
						ASSERT_TRUE(false, "keys overlap");
				}
			if (is_shared(k))
				continue;
			ASSERT_EQ(*(__u64 *)s, value(l, i, t), "the library's own value");
			v = 0;
			if (!ASSERT_EQ(t_key_bpf_load(p->bpf, k->name, k->size, 0, &v), 1,
				       "BPF finds the key by name"))
				continue;
			ASSERT_EQ(v, value(l, i, t), "BPF loads the library's store");
			if (last_u64(k->size) &&
			    ASSERT_EQ(t_key_bpf_load(p->bpf, k->name, k->size,
						     last_u64(k->size), &v), 1, "last u64"))
				ASSERT_EQ(v, ~value(l, i, t), "BPF loads its last u64");
			ASSERT_EQ(t_key_bpf_store(p->bpf, k->name, k->size, 0,
						  value(l, i, t) + 0x100), 1, "BPF stores");
			ASSERT_EQ(*(__u64 *)s, value(l, i, t) + 0x100,
				  "the library loads BPF's store");
			*(__u64 *)s = value(l, i, t);
		}
	}
	/* The shared name: BPF's store is seen by every library. */
	ASSERT_EQ(t_key_bpf_store(p->bpf, "dso.shared", 8, 0, 7000 + t), 1,
		  "BPF stores into dso.shared");
	for (int l = 0; l < p->nlibs; l++)
		for (int i = 0; i < p->nkeys[l]; i++)
			if (is_shared(&p->keys[l][i]) && p->ptr[t][l][i])
				ASSERT_EQ(*(__u64 *)p->ptr[t][l][i], 7000 + t,
					  "every library sees dso.shared");
}

static bool add_lib(struct pool *p, const char *file, const char *prefix)
{
	int l = p->nlibs;

	if (!load_lib(file, prefix, &p->lib[l]))
		return false;
	if (!ASSERT_OK(p->lib[l].init(), "the library's keys"))
		return false;
	p->nkeys[l] = p->lib[l].nkeys(&p->keys[l]);
	p->nlibs++;
	return true;
}

#define DLOPEN_THREADS	50

/*
 * Two libraries loaded with dlopen() at different times, after 50 threads
 * exist, each creating keys (statically and at run time). Every thread
 * uses every key; BPF reads and writes each by name; each library sees
 * its own values and nothing else.
 */
ULS_TEST_TIMEOUT(dso_dlopen_after_threads, 300)
{
	static struct pool p;

	if (!pool_begin(&p))
		return;
	pool_start(&p, DLOPEN_THREADS);
	if (!add_lib(&p, "libuls_dso_a.so", "dso_a"))
		goto out;
	pool_run(&p, step_touch_last);
	pool_run(&p, step_check_all);
	if (!add_lib(&p, "libuls_dso_b.so", "dso_b"))
		goto out;
	pool_run(&p, step_touch_last);
	pool_run(&p, step_check_all);
	pool_check_one_each(&p);
out:
	pool_end(&p);
}

/* The program's own keys, through libuls.so.0, as library 0. */
static const struct dso_key main_keys[] = {
	{ "main.k", 16 },
	{ "dso.shared", 8 },
};
static uls_key_t main_k[2];

static int main_init(void)
{
	for (int i = 0; i < 2; i++) {
		main_k[i] = uls_key_create(main_keys[i].name, main_keys[i].size);
		if (uls_key_is_err(main_k[i]))
			return uls_key_err(main_k[i]);
	}
	return 0;
}

static int main_nkeys(const struct dso_key **k)
{
	*k = main_keys;
	return 2;
}

static void *main_ptr(int i)
{
	return uls_key_get(main_k[i]);
}

#define MIXED_THREADS	8

/*
 * Library 0 is the program, 1 the one with the static libuls. Even
 * threads begin with the program's keys, odd ones with the library's.
 */
static void step_touch_main_even(struct pool *p, int t)
{
	if (t % 2 == 0)
		touch(p, t, 0);
}

static void step_touch_lib_odd(struct pool *p, int t)
{
	if (t % 2)
		touch(p, t, 1);
}

/* Then each the other's: the static copy's in a thread libuls.so began. */
static void step_touch_the_other(struct pool *p, int t)
{
	touch(p, t, t % 2 ? 0 : 1);
}

/*
 * libuls.so.0 in the program, and a static libuls inside a library loaded
 * later: both use keys in one process, the static copy deferring to the
 * shared one. Each thread has one registration with both's keys, whichever
 * began it; the name both use is one storage.
 */
ULS_TEST_TIMEOUT(dso_static_and_shared, 300)
{
	static struct pool p;

	if (!pool_begin(&p))
		return;
	p.lib[0] = (struct dso_api){ main_init, main_nkeys, main_ptr, uls_query };
	if (!ASSERT_OK(main_init(), "the program's keys"))
		return;
	p.nkeys[0] = main_nkeys(&p.keys[0]);
	p.nlibs = 1;
	pool_start(&p, MIXED_THREADS);
	/* Even threads begin with the program's keys... */
	pool_run(&p, step_touch_main_even);
	if (!add_lib(&p, "libuls_dso_st.so", "dso_st"))
		goto out;
	/* ...odd threads with the static copy's; then each the other's. */
	pool_run(&p, step_touch_lib_odd);
	pool_run(&p, step_touch_the_other);
	pool_run(&p, step_check_all);
	pool_check_one_each(&p);
out:
	pool_end(&p);
}

/* The static copy is hidden: the library exports no uls_* of its own. */
ULS_TEST(dso_static_copy_hidden)
{
	struct dso_api api;
	void *h = load_lib("libuls_dso_st.so", "dso_st", &api);

	if (!h)
		return;
	/* Searches the library and its dependencies only: not libuls.so.0. */
	ASSERT_NULL(dlsym(h, "uls_key_create"), "uls_key_create hidden");
	ASSERT_NULL(dlsym(h, "uls__keys"), "uls__keys hidden");
	ASSERT_OK(api.init(), "its keys");
}
