// SPDX-License-Identifier: GPL-2.0
/*
 * uls_bench: uls against task storage, UPTR, a hash map and syscalls, in
 * one run, in one VM. Every figure is a ratio of two costs measured side
 * by side in this run, because under QEMU's TCG absolute times mean
 * little. Each cost is measured in rounds, the compared ones interleaved
 * within a round; a ratio is the median of the per-round ratios, and its
 * spread their quartiles.
 *
 * Prints, on stdout, the result lines tests/bench/report.py reads:
 * SAMPLE <metric> <unit> <value> per round, RATIO/BYTES/PAGES <name>
 * <value>, SPREAD <name> <p25> <p75>, INFO <key> <value>, and "not ok
 * <what> # why" for whatever could not be measured. Exit status 1 then.
 *
 * Environment: ULS_BENCH_ROUNDS (21), ULS_BENCH_ITERS (lookups per round
 * and kind, 200000), ULS_BENCH_THREADS (10000), ULS_BENCH_PHASES (which
 * parts run, a comma-separated list of pinned, lookups, keys, user,
 * threads (thread creation), big (the 10,000 threads); all by default:
 * while developing one part, tests/bench/bench.sh --append
 * ULS_BENCH_PHASES=keys runs that one alone).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <uls.h>

#include "bench.h"
#include "bench_tld.h"
#include "counters.h"
#include "results.h"
#include "threads.h"
#include "bench.skel.h"
#include "bench_uptr.skel.h"
#include "bench_tld_uls.skel.h"
#include "bench_tld_upstream.skel.h"

#define MAX_ROUNDS	SERIES_ROUNDS
#define SMALL_THREADS	10

static int rounds = 21;
static unsigned int iters = 200000;
static int nr_threads = 10000;
static bool uptr_failed;
static const char *phases;

/* --- output -------------------------------------------------------------- */

static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A /proc/meminfo field, in kB. */
static long meminfo_kb(const char *field)
{
	char line[256];
	size_t len = strlen(field);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static int pidfd_open(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

/* --- lookups in BPF ------------------------------------------------------- */

/*
 * bench_uptr.bpf.c where the kernel has UPTR, else bench.bpf.c: the same
 * program, so this points into whichever is loaded.
 */
struct lookups {
	struct bench *plain;
	struct bench_uptr *uptr;
	int *tid;
	__u32 *mode, *iters;
	__u64 *user_addr, *elapsed, *runs, *misses;
	int ts_fd, hash_fd, uptr_fd;
};

/* The harness's globals: bench.bpf.c's, or bench_tld.bpf.h's. */
#define LOOKUPS_PROG(l, skel) do {					\
	(l)->tid = &(skel)->bss->bench_tid;				\
	(l)->mode = &(skel)->bss->mode;					\
	(l)->iters = &(skel)->bss->iters;				\
	(l)->user_addr = &(skel)->bss->user_addr;			\
	(l)->elapsed = &(skel)->bss->elapsed_ns;			\
	(l)->runs = &(skel)->bss->runs;					\
	(l)->misses = &(skel)->bss->misses;				\
} while (0)

#define LOOKUPS_FROM(l, skel) do {					\
	LOOKUPS_PROG(l, skel);						\
	(l)->ts_fd = bpf_map__fd((skel)->maps.ts);			\
	(l)->hash_fd = bpf_map__fd((skel)->maps.by_pid);		\
} while (0)

/*
 * ns per lookup of one kind: one timed bpf_loop() of `iters` iterations,
 * in the calling thread. Only the program asked runs its loop: the others
 * attached to sys_enter (the keys phase's) find no thread to serve.
 */
static double lookup_once(struct lookups *l, enum bench_mode mode)
{
	__u64 before, missed;

	*(volatile __u32 *)l->mode = mode;
	*(volatile __u32 *)l->iters = iters;
	*(volatile int *)l->tid = gettid();
	before = *(volatile __u64 *)l->runs;
	missed = *(volatile __u64 *)l->misses;
	syscall(SYS_getppid);
	*(volatile int *)l->tid = 0;
	if (*(volatile __u64 *)l->runs != before + 1) {
		fail("bench_lookup_ran", "mode %d: the program did not run", mode);
		return 0;
	}
	if (mode != BENCH_EMPTY && *(volatile __u64 *)l->misses != missed) {
		fail("bench_lookup_found", "mode %d: %llu lookups found nothing",
		     mode, (unsigned long long)(*l->misses - missed));
		return 0;
	}
	return (double)*(volatile __u64 *)l->elapsed / iters;
}

static struct series l_empty = { "lookup.empty", "ns" };
static struct series l_uls = { "lookup.uls_get", "ns" };
static struct series l_ts = { "lookup.task_storage", "ns" };
static struct series l_hash = { "lookup.hash", "ns" };
static struct series l_probe = { "lookup.probe_read_user", "ns" };
static struct series l_uptr = { "lookup.uptr", "ns" };
static struct series l_uls_10 = { "lookup.uls_get_10", "ns" };
static struct series l_uls_10k = { "lookup.uls_get_10k", "ns" };

/* One lookup's cost, net of an empty loop measured just before it. */
static double lookup_net(struct lookups *l, enum bench_mode mode,
			 struct series *empty)
{
	double e = lookup_once(l, BENCH_EMPTY);

	if (empty)
		sample(empty, e);
	return lookup_once(l, mode) - e;
}

static void lookup_round(struct lookups *l)
{
	quiesce();
	sample(&l_uls, lookup_net(l, BENCH_ULS_GET, &l_empty));
	sample(&l_ts, lookup_net(l, BENCH_TASK_STORAGE, NULL));
	sample(&l_hash, lookup_net(l, BENCH_HASH, NULL));
	sample(&l_probe, lookup_net(l, BENCH_PROBE_READ, NULL));
	if (l->uptr_fd >= 0)
		sample(&l_uptr, lookup_net(l, BENCH_UPTR, NULL));
}

/*
 * The UPTR map's value pins uptr_area: unpin it with a delete while the
 * process still maps the page, before it exits. Left to the exit, the
 * kernel drops the pin when it frees the task's storage, from an RCU
 * callback under a raw spinlock (bpf_selem_unlink_nofail()); where the pin
 * is the page's last reference, 7.2-rt then takes a sleeping lock in
 * atomic context ("BUG: scheduling while atomic: rcuc", seen in make
 * check's bench_smoke), and the RCU stall that follows stops everything
 * after it. The skeleton's destroy does not help: the map is freed from
 * a workqueue, which may run after the task is freed.
 */
static int uptr_fd_at_exit = -1;

static void uptr_unpin(void)
{
	int pidfd;

	if (uptr_fd_at_exit < 0)
		return;
	pidfd = pidfd_open(getpid());
	if (pidfd >= 0) {
		bpf_map_delete_elem(uptr_fd_at_exit, &pidfd);
		close(pidfd);
	}
	uptr_fd_at_exit = -1;
}

static int lookups_setup(struct lookups *l, struct bench_val *area,
			 struct bench_val *uptr_area)
{
	struct bench_val v = { .x = 1 };
	__u32 tid = gettid();
	int pidfd, err;

	l->uptr_fd = -1;
	l->uptr = bench_uptr__open_and_load();
	if (l->uptr) {
		LOOKUPS_FROM(l, l->uptr);
		l->uptr_fd = bpf_map__fd(l->uptr->maps.uptr_map);
		err = bench_uptr__attach(l->uptr);
	} else {
		if (kernel_at_least(6, 13)) {
			/* Not fatal: the rest is still worth measuring. */
			printf("not ok bench_uptr_load # a 6.13+ kernel refused __uptr: %s\n",
			       strerror(errno));
			uptr_failed = true;
		} else {
			printf("INFO uptr none: the kernel is older than 6.13\n");
		}
		l->plain = bench__open_and_load();
		if (!l->plain) {
			fail("bench_load", "bench.bpf.c: %s", strerror(errno));
			return -1;
		}
		LOOKUPS_FROM(l, l->plain);
		err = bench__attach(l->plain);
	}
	if (err) {
		fail("bench_attach", "%s", strerror(-err));
		return -1;
	}
	*l->user_addr = (unsigned long)area;

	/* The same value for this thread in each of the compared places. */
	pidfd = pidfd_open(getpid());
	if (pidfd < 0 || bpf_map_update_elem(l->ts_fd, &pidfd, &v, 0) ||
	    bpf_map_update_elem(l->hash_fd, &tid, &v, 0)) {
		fail("bench_maps", "%s", strerror(errno));
		return -1;
	}
	area->x = 1;
	if (l->uptr_fd >= 0) {
		struct { struct bench_val *area; } uv = { uptr_area };

		uptr_area->x = 1;
		if (bpf_map_update_elem(l->uptr_fd, &pidfd, &uv, 0)) {
			fail("bench_uptr_setup", "%s", strerror(errno));
			return -1;
		}
		uptr_fd_at_exit = l->uptr_fd;
		atexit(uptr_unpin);
	}
	close(pidfd);
	return 0;
}

/* --- threads that hold a registration ------------------------------------ */

/*
 * A group of threads that register (odd generations) and unregister (even
 * ones) together, on command, each through libuls: 64 bytes, 64 of them
 * to a page. An area from uls_area() is the thread's until it exits (libuls
 * refuses uls_unregister() over it, EBUSY), so a group that unregisters
 * and registers again (@slots) registers slots of its own pages with
 * uls_register(), packed as libuls packs areas; the others use uls_area().
 */
struct group {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int gen;		/* what the test asks for */
	int done, failed;	/* threads that did it for this gen */
	bool exit;
	int nr;
	pthread_t *t;
	struct bench_val *slots;	/* one per thread, or NULL: uls_area() */
	int next_slot;
};

static void *holder(void *arg)
{
	struct group *g = arg;
	struct bench_val *slot = NULL;
	int seen = 0;
	bool ok;

	pthread_mutex_lock(&g->lock);
	if (g->slots)
		slot = &g->slots[g->next_slot++];
	for (;;) {
		while (g->gen == seen && !g->exit)
			pthread_cond_wait(&g->cond, &g->lock);
		if (g->exit)
			break;
		seen = g->gen;
		pthread_mutex_unlock(&g->lock);
		if (!(seen & 1))
			ok = uls_unregister() == 0;
		else if (slot)
			ok = uls_register(slot, sizeof(*slot)) == 0;
		else
			ok = uls_area(sizeof(struct bench_val)) != NULL;
		pthread_mutex_lock(&g->lock);
		if (ok)
			g->done++;
		else
			g->failed++;
		pthread_cond_broadcast(&g->cond);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

static int group_start(struct group *g, int nr, bool slots)
{
	size_t ps = getpagesize();
	size_t len = (nr * sizeof(*g->slots) + ps - 1) / ps * ps;
	pthread_attr_t attr;

	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	g->t = calloc(nr, sizeof(*g->t));
	if (!g->t)
		return -1;
	if (slots) {
		g->slots = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (g->slots == MAP_FAILED)
			return -1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (g->nr = 0; g->nr < nr; g->nr++)
		if (pthread_create(&g->t[g->nr], &attr, holder, g))
			break;
	pthread_attr_destroy(&attr);
	return g->nr == nr ? 0 : -1;
}

/* Every thread registers (@reg) or unregisters; 0 once all did. */
static int group_step(struct group *g, bool reg)
{
	int ok;

	pthread_mutex_lock(&g->lock);
	g->gen += (g->gen & 1) == reg ? 2 : 1;
	g->done = g->failed = 0;
	pthread_cond_broadcast(&g->cond);
	while (g->done + g->failed < g->nr)
		pthread_cond_wait(&g->cond, &g->lock);
	ok = g->failed ? -1 : 0;
	pthread_mutex_unlock(&g->lock);
	return ok;
}

static void group_end(struct group *g)
{
	pthread_mutex_lock(&g->lock);
	g->exit = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
	for (int i = 0; i < g->nr; i++)
		pthread_join(g->t[i], NULL);
	free(g->t);
}

/*
 * @updates updates of this process's value in the task-storage map @fd,
 * through @pidfd, as sched_ext's scx_layered takes a hint today: the ns
 * each took, sampled into @s. False if one failed (and said so).
 */
static bool task_storage_updates(int fd, int pidfd, long updates,
				 struct series *s)
{
	struct bench_val v = { .x = 2 };
	double t0 = now_ns();

	for (long i = 0; i < updates; i++) {
		v.x = i;
		if (bpf_map_update_elem(fd, &pidfd, &v, 0)) {
			fail("bench_task_storage_update", "%s", strerror(errno));
			return false;
		}
	}
	sample(s, (now_ns() - t0) / updates);
	return true;
}

/*
 * A hint change for scx_hints (include/uls/hint.h), in a keyed thread:
 * a change of class through the pointer uls_hint() gave, which is what an
 * application does, against scx_layered's map update.
 */
static void bench_hint_vs_task_storage(struct lookups *l)
{
	static struct series hint = { "user.hint_change", "ns" };
	static struct series update = { "user.task_storage_update_hint", "ns" };
	const long changes = 10000000, updates = 20000;
	struct uls_hint *h = uls_hint();
	int pidfd = pidfd_open(getpid());
	volatile __u32 *cls;
	bool ok = true;

	if (!h || pidfd < 0) {
		fail("bench_hint", "uls_hint: %s", strerror(errno));
		return;
	}
	cls = &h->class;
	for (int r = 0; r < rounds && ok; r++) {
		double t0 = now_ns();

		/* Two changes a turn: the loop's own counting weighs half. */
		for (long i = 0; i < changes; i += 2) {
			*cls = ULS_HINT_LATENCY_CRITICAL;
			*cls = ULS_HINT_BACKGROUND;
		}
		sample(&hint, (now_ns() - t0) / changes);
		ok = task_storage_updates(l->ts_fd, pidfd, updates, &update);
	}
	*cls = ULS_HINT_NORMAL;
	close(pidfd);
	if (ok)
		ratio_paired("hint_update_vs_task_storage", &update, &hint);
}

/* --- keys ------------------------------------------------------------------ */

/*
 * Keys take a thread's one registration, and this thread's belongs to
 * uls_area(): the keyed figures are measured in a thread of their own,
 * which uses keys only, with the same harness and programs:
 *   key_get_vs_get  uls_key_get(task, name, size) / bpf_uls_get(), in the
 *                   same bench.bpf.c program, both on this thread's keyed
 *                   region, each net of an empty loop just before it
 *   key_get_vs_tld  (where upstream's TLD loads: UPTR, 6.13+) TLD's
 *                   tld_object_init() + tld_get_data() per iteration, on
 *                   uls (bench_tld_uls.bpf.c) / on upstream's
 *                   (bench_tld_upstream.bpf.c): one program in two objects,
 *                   each net of its own empty loop, in alternating order
 *   key_ptr_vs_tls  from user space, uls_key_get(key) and a store through
 *                   it / the address of a __thread variable and a store
 *                   through it; in both loops the pointer goes through an
 *                   empty asm with a memory clobber, so the compiler can
 *                   hoist neither the lookup nor the store
 *   key_ptr_vs_tld  (where upstream's TLD loads) the same uls_key_get()
 *                   loop / upstream's user-side tld_get_data() in the same
 *                   loop: the anchor's own cost, no target
 */
ULS_DEFINE_KEY(bench_key, BENCH_KEY_NAME, sizeof(struct bench_val));

static __thread struct bench_val tls_val __attribute__((aligned(64)));

struct keyed {
	struct lookups *l;	/* bench.bpf.c's */
	struct bench_tld_uls *tld_uls;
	struct bench_tld_upstream *tld_up;	/* NULL without UPTR */
	struct lookups l_tld_uls, l_tld_up;
};

static struct series l_keyed_get = { "lookup.uls_get_keyed", "ns" };
static struct series l_key_get = { "lookup.key_get", "ns" };
static struct series l_tld_uls = { "lookup.tld_uls", "ns" };
static struct series l_tld_up = { "lookup.tld_upstream", "ns" };

static void bench_key_ptr_vs_tls(int tld_map_fd)
{
	static struct series key = { "user.key_get_store", "ns" };
	static struct series tls = { "user.tls_store", "ns" };
	static struct series tld = { "user.tld_upstream_store", "ns" };
	const long stores = 10000000;

	for (int r = 0; r < rounds; r++) {
		double t0;

		quiesce();
		t0 = now_ns();
		for (long i = 0; i < stores; i++) {
			struct bench_val *v = uls_key_get(bench_key);

			asm volatile("" : "+r"(v) : : "memory");
			v->x = i;
		}
		sample(&key, (now_ns() - t0) / stores);

		t0 = now_ns();
		for (long i = 0; i < stores; i++) {
			struct bench_val *v = &tls_val;

			asm volatile("" : "+r"(v) : : "memory");
			v->x = i;
		}
		sample(&tls, (now_ns() - t0) / stores);

		if (tld_map_fd < 0)
			continue;
		t0 = now_ns();
		tld_upstream_stores(tld_map_fd, stores);
		sample(&tld, (now_ns() - t0) / stores);
	}
	ratio_paired("key_ptr_vs_tls", &key, &tls);
	if (tld_map_fd >= 0)
		ratio_paired("key_ptr_vs_tld", &key, &tld);
}

static void *keyed_thread(void *arg)
{
	struct keyed *k = arg;
	struct bench_val *v;
	__u64 *tu, *tup;
	int err;

	/* The key's storage and uls's TLD: one keyed region, registered. */
	err = uls_key_err(bench_key);
	v = err ? NULL : uls_key_get(bench_key);
	if (!v) {
		fail("bench_key_get", "uls_key_get: %s", uls_strerror(err ?: errno));
		return NULL;
	}
	v->x = 1;
	err = tld_uls_get(&tu);
	if (err) {
		fail("bench_tld_uls", "tld_get_data: %s", uls_strerror(err));
		return NULL;
	}
	*tu = 1;
	if (k->tld_up) {
		err = tld_upstream_get(bpf_map__fd(k->tld_up->maps.tld_data_map),
				       &tup);
		if (err) {
			fail("bench_tld_upstream", "tld_get_data: %s",
			     strerror(-err));
			return NULL;
		}
		*tup = 1;
	}

	/* Not counted: the first lookup of each resolves its name. */
	lookup_once(k->l, BENCH_KEY_GET);
	lookup_once(&k->l_tld_uls, BENCH_TLD);
	if (k->tld_up)
		lookup_once(&k->l_tld_up, BENCH_TLD);

	note("bench: keyed lookups, %d rounds of %u", rounds, iters);
	for (int r = 0; r < rounds && !failures; r++) {
		quiesce();
		sample(&l_keyed_get, lookup_net(k->l, BENCH_ULS_GET, NULL));
		sample(&l_key_get, lookup_net(k->l, BENCH_KEY_GET, NULL));
		if (k->tld_up && r & 1)
			sample(&l_tld_up, lookup_net(&k->l_tld_up, BENCH_TLD, NULL));
		sample(&l_tld_uls, lookup_net(&k->l_tld_uls, BENCH_TLD, NULL));
		if (k->tld_up && !(r & 1))
			sample(&l_tld_up, lookup_net(&k->l_tld_up, BENCH_TLD, NULL));
	}
	if (!failures) {
		ratio_paired("key_get_vs_get", &l_key_get, &l_keyed_get);
		if (k->tld_up)
			ratio_paired("key_get_vs_tld", &l_tld_uls, &l_tld_up);
		note("bench: key lookup vs __thread, from user space");
		bench_key_ptr_vs_tls(k->tld_up ?
			bpf_map__fd(k->tld_up->maps.tld_data_map) : -1);
		note("bench: a hint change against a task-storage update");
		bench_hint_vs_task_storage(k->l);
	}
	if (k->tld_up)
		tld_upstream_free(bpf_map__fd(k->tld_up->maps.tld_data_map));
	return NULL;
}

/*
 * bench.bpf.c is loaded and attached (@l); the TLD programs are only while
 * this runs, so that they cost the other phases nothing.
 */
static void bench_keys(struct lookups *l)
{
	struct keyed k = { .l = l };
	pthread_t t;
	int err;

	k.tld_uls = bench_tld_uls__open_and_load();
	if (!k.tld_uls) {
		fail("bench_tld_uls_load", "bench_tld_uls.bpf.c: %s",
		     strerror(errno));
		return;
	}
	LOOKUPS_PROG(&k.l_tld_uls, k.tld_uls);
	err = bench_tld_uls__attach(k.tld_uls);
	k.tld_up = bench_tld_upstream__open_and_load();
	if (k.tld_up) {
		LOOKUPS_PROG(&k.l_tld_up, k.tld_up);
		err = err ?: bench_tld_upstream__attach(k.tld_up);
	} else if (kernel_at_least(6, 13)) {
		printf("not ok bench_tld_upstream_load # a 6.13+ kernel refused upstream's TLD: %s\n",
		       strerror(errno));
		uptr_failed = true;
	} else {
		printf("INFO tld_upstream none: the kernel is older than 6.13 (no UPTR)\n");
	}
	if (err)
		fail("bench_tld_attach", "%s", strerror(-err));
	else if (pthread_create(&t, NULL, keyed_thread, &k) ||
		 pthread_join(t, NULL))
		fail("bench_keys", "no keyed thread");
	bench_tld_upstream__destroy(k.tld_up);
	bench_tld_uls__destroy(k.tld_uls);
}

/* --- user side ------------------------------------------------------------ */

/*
 * A hint as sched_ext's scx_layered passes it today, one task-storage map
 * update per change, against a store into the thread's uls area.
 */
static void bench_update_vs_store(struct lookups *l, struct bench_val *area)
{
	static struct series store = { "user.store", "ns" };
	static struct series update = { "user.task_storage_update", "ns" };
	volatile __u64 *hint = &area->pad[0];
	const long stores = 10000000, updates = 20000;
	int pidfd = pidfd_open(getpid());
	bool ok = true;

	for (int r = 0; r < rounds && ok; r++) {
		double t0 = now_ns();

		for (long i = 0; i < stores; i++)
			*hint = i;
		sample(&store, (now_ns() - t0) / stores);
		ok = task_storage_updates(l->ts_fd, pidfd, updates, &update);
	}
	close(pidfd);
	if (ok)
		ratio_paired("syscall_update_vs_store", &update, &store);
}

/*
 * In a child of its own, single-threaded: register and unregister 64 bytes
 * through /dev/uls, against UPTR's map update and delete with a pidfd.
 */
static void bench_register_vs_uptr(struct lookups *l)
{
	static struct series reg = { "user.register_unregister", "ns" };
	static struct series upd = { "user.uptr_update_delete", "ns" };
	const int pairs = 1000;
	struct bench_val *buf = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int pidfd = pidfd_open(getpid());
	int fd = l->uptr_fd;

	if (buf == MAP_FAILED || pidfd < 0) {
		fail("bench_register", "setup: %s", strerror(errno));
		return;
	}
	buf->x = 1;
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ns();
		int err;

		for (int i = 0; i < pairs; i++) {
			err = uls_register(buf, sizeof(*buf));
			err = err ?: uls_unregister();
			if (err) {
				fail("bench_register", "%s", uls_strerror(err));
				return;
			}
		}
		sample(&reg, (now_ns() - t0) / pairs);
		if (fd < 0)
			continue;

		struct { struct bench_val *area; } uv = { buf };

		t0 = now_ns();
		for (int i = 0; i < pairs; i++) {
			if (bpf_map_update_elem(fd, &pidfd, &uv, 0) ||
			    bpf_map_delete_elem(fd, &pidfd)) {
				fail("bench_uptr_update", "%s", strerror(errno));
				return;
			}
		}
		sample(&upd, (now_ns() - t0) / pairs);
	}
	if (fd >= 0)
		ratio_paired("register_vs_uptr", &reg, &upd);
}

/* And registering only: the exit tracepoint ends it. */
static void *thread_register_exit(void *arg)
{
	static __thread struct bench_val v;

	return uls_register(&v, sizeof(v)) ? NULL : arg;
}

/*
 * In a child of its own: pthread_create() + join, with uls_area() or not,
 * and for the record with the bare register and unregister ioctls, and
 * with a registration that the thread's exit ends. Each batch starts from
 * a quiet guest; the frees that uls defers (every 20 ms) happen during the
 * batch, but for the last few.
 */
static void bench_thread_create(void)
{
	static struct series s[4] = {
		{ "user.thread_create", "ns" },
		{ "user.thread_create_area", "ns" },
		{ "user.thread_create_register", "ns" },
		{ "user.thread_create_register_exit", "ns" },
	};
	void *(*fn[4])(void *) = { thread_plain, thread_with_area,
				   thread_register, thread_register_exit };
	const int n = 500;
	long entries = SMALL_THREADS;	/* the parent's, which stay */

	for (int r = 0; r < rounds; r++) {
		for (int j = 0; j < 4; j++) {
			/* Every other round backwards: no kind always goes first. */
			int k = r & 1 ? 3 - j : j;
			double t0;
			int failed;

			/* Nothing left over from the kind before. */
			if (wait_entries_at_most(entries, 10000)) {
				fail("bench_thread_create", "entries stay at %ld",
				     t_stat("entries"));
				return;
			}
			quiesce();
			t0 = now_ns();
			failed = thread_batch(fn[k], n);
			if (failed >= 0) {
				fail("bench_thread_create", "thread %d failed", failed);
				return;
			}
			sample(&s[k], (now_ns() - t0) / n);
		}
	}
	ratio_paired("thread_create_with_area", &s[1], &s[0]);
}

/* In a child of its own: 64 threads with 64-byte areas from libuls. */
static void bench_pinned_per_64(void)
{
	long vmpin = t_vm_pin_kb();
	struct group g = {};

	if (group_start(&g, 64, false) || group_step(&g, true)) {
		fail("bench_pinned_per_64", "64 threads with areas");
		return;
	}
	printf("PAGES pinned_per_64_threads %ld\n",
	       (t_vm_pin_kb() - vmpin) * 1024 / getpagesize());
	fflush(stdout);
	group_end(&g);
}

static void in_child(void (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fn(arg);
		fflush(stdout);
		_exit(failures ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		failures++;
}

static void child_register(void *l) { bench_register_vs_uptr(l); }
static void child_threads(void *unused) { bench_thread_create(); }
static void child_pinned(void *unused) { bench_pinned_per_64(); }

/* --- the run -------------------------------------------------------------- */

static int env_int(const char *name, int def)
{
	const char *s = getenv(name);

	return s && atoi(s) > 0 ? atoi(s) : def;
}

/* Whether ULS_BENCH_PHASES (all, when unset or empty) has @name. */
static bool phase(const char *name)
{
	size_t len = strlen(name);

	for (const char *p = phases; p && *p; p += strcspn(p, ","), p += !!*p)
		if (strcspn(p, ",") == len && !strncmp(p, name, len))
			return true;
	return !phases || !*phases;
}

int main(void)
{
	struct lookups l = {};
	struct group small = {}, big = {};
	struct bench_val *area, *uptr_area;
	long slab0, slab1, slots0, slots1, nr_big;
	cpu_set_t cpus;

	rounds = env_int("ULS_BENCH_ROUNDS", rounds);
	if (rounds > MAX_ROUNDS)
		rounds = MAX_ROUNDS;
	iters = env_int("ULS_BENCH_ITERS", iters);
	nr_threads = env_int("ULS_BENCH_THREADS", nr_threads);
	nr_big = nr_threads - SMALL_THREADS;
	phases = getenv("ULS_BENCH_PHASES");
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);

	/* Every thread on one CPU: the other one stays idle. */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);

	printf("INFO rounds %d\nINFO lookups_per_round %u\nINFO threads %d\n",
	       rounds, iters, nr_threads);
	if (phases && *phases)
		printf("INFO phases %s\n", phases);
	/* First, while libuls's pool in this process is still untouched. */
	if (phase("pinned")) {
		note("bench: pinned pages for 64 threads");
		in_child(child_pinned, NULL);
	}

	area = uls_area(sizeof(*area));
	uptr_area = aligned_alloc(64, sizeof(*uptr_area));
	if (!area || !uptr_area) {
		fail("bench_area", "uls_area: %s", uls_strerror(errno));
		return 1;
	}
	if (lookups_setup(&l, area, uptr_area))
		return 1;

	/* 1. Lookups with 10 threads registered: this one and 9 more. */
	if (group_start(&small, SMALL_THREADS - 1, false) ||
	    group_step(&small, true)) {
		fail("bench_threads_10", "9 threads with areas");
		return 1;
	}
	printf("INFO entries_small %ld\n", t_stat("entries"));
	if (phase("lookups")) {
		note("bench: lookups, %d rounds of %u", rounds, iters);
		for (int r = 0; r < rounds && !failures; r++)
			lookup_round(&l);
		if (failures)
			return 1;
		ratio_paired("get_vs_task_storage", &l_uls, &l_ts);
		ratio_paired("get_vs_hash", &l_uls, &l_hash);
		if (l.uptr_fd >= 0)
			ratio_paired("get_vs_uptr", &l_uls, &l_uptr);
		ratio_paired("get_vs_probe_read_user", &l_uls, &l_probe);
	}

	/* 1b. Keys, in a thread of their own (with 11 registered then). */
	if (phase("keys")) {
		bench_keys(&l);
		if (failures)
			return 1;
	}

	/* 2. User side. */
	if (phase("user")) {
		note("bench: store vs task-storage update");
		bench_update_vs_store(&l, area);
		note("bench: register vs UPTR");
		in_child(child_register, &l);
	}
	if (phase("threads")) {
		note("bench: thread creation");
		in_child(child_threads, NULL);
	}
	if (!phase("big"))
		goto out;

	/*
	 * 3. nr_threads registered. The threads exist before the snapshot,
	 * so the difference is what registering them took: slab objects, and
	 * the lookup table, which is allocated outside the slab when large.
	 */
	note("bench: %d threads", nr_threads);
	if (group_start(&big, nr_big, true)) {
		fail("bench_threads", "only %d threads started", big.nr);
		return 1;
	}
	sleep(1);
	slab0 = meminfo_kb("Slab");
	slots0 = t_stat("table_slots");
	if (group_step(&big, true) || t_wait_stat("entries", nr_threads, 60000)) {
		fail("bench_threads", "%d of %ld registered, %ld entries",
		     big.done, nr_big, t_stat("entries"));
		return 1;
	}
	sleep(1);
	slab1 = meminfo_kb("Slab");
	slots1 = t_stat("table_slots");
	printf("INFO slab_kb_delta %ld\nINFO table_slots %ld %ld\n",
	       slab1 - slab0, slots0, slots1);
	printf("BYTES per_thread_kernel %.1f\n",
	       ((slab1 - slab0) * 1024.0 + (slots1 - slots0) * 8.0) / nr_big);

	/*
	 * The same lookup with nr_threads and with 10 registered, alternately:
	 * the big group unregisters, and registers again, in every round.
	 */
	note("bench: lookups with %d registered and with %d", nr_threads,
	     SMALL_THREADS);
	for (int r = 0; r < rounds && !failures; r++) {
		quiesce();
		sample(&l_uls_10k, lookup_net(&l, BENCH_ULS_GET, NULL));
		if (group_step(&big, false) ||
		    t_wait_stat("entries", SMALL_THREADS, 60000)) {
			fail("bench_threads", "unregistering: %ld entries left",
			     t_stat("entries"));
			break;
		}
		quiesce();
		sample(&l_uls_10, lookup_net(&l, BENCH_ULS_GET, NULL));
		if (r + 1 < rounds && group_step(&big, true)) {
			fail("bench_threads", "registering again");
			break;
		}
	}
	if (!failures)
		ratio_paired("get_10k_vs_10", &l_uls_10k, &l_uls_10);
	group_end(&big);
out:
	group_end(&small);
	uptr_unpin();		/* before the map's fd goes */
	bench_uptr__destroy(l.uptr);
	bench__destroy(l.plain);
	printf("INFO failures %d\n", failures + uptr_failed);
	return failures || uptr_failed ? 1 : 0;
}
