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
 * threads (thread creation), monitor (the monitor view, with
 * ULS_BENCH_THREADS threads of their own), big (the 10,000 threads); all
 * by default:
 * while developing one part, tests/bench/bench.sh --append
 * ULS_BENCH_PHASES=keys runs that one alone).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
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
#include "bench_iter.skel.h"

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

/* uls's lookup in the calling thread, as group_run() runs it. */
struct sized_lookup {
	struct lookups *l;
	struct series *net;
};

static void run_sized_lookup(void *arg)
{
	struct sized_lookup *s = arg;

	sample(s->net, lookup_net(s->l, BENCH_ULS_GET, NULL));
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
 *
 * One thread of the group can also be told to run a function
 * (group_run()): a lookup measured there is measured for that thread's
 * task_struct, and where it hashes in uls's table.
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
	int next;		/* the next thread's index */
	void (*run)(void *arg);	/* for the thread at run_index, or NULL */
	void *run_arg;
	int run_index;
};

static void *holder(void *arg)
{
	struct group *g = arg;
	struct bench_val *slot = NULL;
	int seen = 0, index;
	bool ok;

	pthread_mutex_lock(&g->lock);
	index = g->next++;
	if (g->slots)
		slot = &g->slots[index];
	for (;;) {
		while (g->gen == seen && !g->exit &&
		       !(g->run && g->run_index == index))
			pthread_cond_wait(&g->cond, &g->lock);
		if (g->exit)
			break;
		if (g->run && g->run_index == index) {
			pthread_mutex_unlock(&g->lock);
			g->run(g->run_arg);
			pthread_mutex_lock(&g->lock);
			g->run = NULL;
			pthread_cond_broadcast(&g->cond);
			continue;
		}
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

/* @fn(@arg) in the group's thread @index, and back once it returned. */
static void group_run(struct group *g, int index, void (*fn)(void *),
		      void *arg)
{
	pthread_mutex_lock(&g->lock);
	g->run_arg = arg;
	g->run_index = index;
	g->run = fn;
	pthread_cond_broadcast(&g->cond);
	while (g->run)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
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

/*
 * The keyed lookups' rounds, spread over this many threads, each alive
 * until the last is done: a lookup's cost depends on where the thread's
 * task_struct hashes in uls's table (one probe, or two where it collides),
 * which one thread would draw once for the whole figure; the median over
 * several is the typical thread's. Alive, so that no two share a
 * task_struct.
 */
#define KEY_THREADS	7

struct keyed {
	struct lookups *l;	/* bench.bpf.c's */
	struct bench_tld_uls *tld_uls;
	struct bench_tld_upstream *tld_up;	/* NULL without UPTR */
	struct lookups l_tld_uls, l_tld_up;
	int first, end;		/* this thread's rounds */
	bool last;		/* the ratios, and the user side's figures */
	sem_t measured, release;
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
	__u64 *tu, *tup = NULL;
	int err;

	/* The key's storage and uls's TLD: one keyed region, registered. */
	err = uls_key_err(bench_key);
	v = err ? NULL : uls_key_get(bench_key);
	if (!v) {
		fail("bench_key_get", "uls_key_get: %s", uls_strerror(err ?: errno));
		goto out;
	}
	v->x = 1;
	err = tld_uls_get(&tu);
	if (err) {
		fail("bench_tld_uls", "tld_get_data: %s", uls_strerror(err));
		goto out;
	}
	*tu = 1;
	if (k->tld_up) {
		err = tld_upstream_get(bpf_map__fd(k->tld_up->maps.tld_data_map),
				       &tup);
		if (err) {
			fail("bench_tld_upstream", "tld_get_data: %s",
			     strerror(-err));
			goto out;
		}
		*tup = 1;
	}

	/* Not counted: the first lookup of each resolves its name. */
	lookup_once(k->l, BENCH_KEY_GET);
	lookup_once(&k->l_tld_uls, BENCH_TLD);
	if (k->tld_up)
		lookup_once(&k->l_tld_up, BENCH_TLD);

	for (int r = k->first; r < k->end && !failures; r++) {
		quiesce();
		sample(&l_keyed_get, lookup_net(k->l, BENCH_ULS_GET, NULL));
		sample(&l_key_get, lookup_net(k->l, BENCH_KEY_GET, NULL));
		if (k->tld_up && r & 1)
			sample(&l_tld_up, lookup_net(&k->l_tld_up, BENCH_TLD, NULL));
		sample(&l_tld_uls, lookup_net(&k->l_tld_uls, BENCH_TLD, NULL));
		if (k->tld_up && !(r & 1))
			sample(&l_tld_up, lookup_net(&k->l_tld_up, BENCH_TLD, NULL));
	}
	if (!failures && k->last) {
		ratio_paired("key_get_vs_get", &l_key_get, &l_keyed_get);
		if (k->tld_up)
			ratio_paired("key_get_vs_tld", &l_tld_uls, &l_tld_up);
		note("bench: key lookup vs __thread, from user space");
		bench_key_ptr_vs_tls(k->tld_up ?
			bpf_map__fd(k->tld_up->maps.tld_data_map) : -1);
		note("bench: a hint change against a task-storage update");
		bench_hint_vs_task_storage(k->l);
	}
out:
	/* Held until the last thread measured: its task_struct stays its. */
	sem_post(&k->measured);
	sem_wait(&k->release);
	if (tup)
		tld_upstream_free(bpf_map__fd(k->tld_up->maps.tld_data_map));
	return NULL;
}

/*
 * bench.bpf.c is loaded and attached (@l); the TLD programs are only while
 * this runs, so that they cost the other phases nothing.
 */
static void bench_keys(struct lookups *l)
{
	struct keyed k = { .l = l }, ks[KEY_THREADS];
	pthread_t t[KEY_THREADS];
	int err, n = 0;

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
	if (err) {
		fail("bench_tld_attach", "%s", strerror(-err));
		goto out;
	}
	note("bench: keyed lookups, %d rounds of %u in %d threads", rounds,
	     iters, KEY_THREADS);
	printf("INFO key_threads %d\n", KEY_THREADS);
	/* One at a time, each kept alive until the last has measured. */
	for (; n < KEY_THREADS && !failures; n++) {
		ks[n] = k;
		ks[n].first = n * rounds / KEY_THREADS;
		ks[n].end = (n + 1) * rounds / KEY_THREADS;
		ks[n].last = n == KEY_THREADS - 1;
		sem_init(&ks[n].measured, 0, 0);
		sem_init(&ks[n].release, 0, 0);
		if (pthread_create(&t[n], NULL, keyed_thread, &ks[n])) {
			fail("bench_keys", "no keyed thread");
			break;
		}
		sem_wait(&ks[n].measured);
	}
	for (int j = 0; j < n; j++)
		sem_post(&ks[j].release);
	for (int j = 0; j < n; j++)
		pthread_join(t[j], NULL);
out:
	bench_tld_upstream__destroy(k.tld_up);
	bench_tld_uls__destroy(k.tld_uls);
}

/* --- user side ------------------------------------------------------------ */

/*
 * A hint as sched_ext's scx_layered passes it today, one task-storage map
 * update per change, against a store into the thread's uls area. Eight
 * stores a turn of the loop: the figure is what one store costs, and the
 * loop's own add, compare and branch would otherwise be three of every
 * four instructions timed (in the deterministic mode they were, and the
 * ratio read 972 where a store is one instruction against ~3,900).
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

		for (long i = 0; i < stores; i += 8) {
			*hint = i;
			*hint = i;
			*hint = i;
			*hint = i;
			*hint = i;
			*hint = i;
			*hint = i;
			*hint = i;
		}
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

#ifndef PIDFD_THREAD
#define PIDFD_THREAD	O_EXCL	/* 6.9+, include/uapi/linux/pidfd.h */
#endif
static int thread_uptr_fd = -1;

/*
 * The same with UPTR (6.13+), the closest alternative: task storage is
 * keyed by a pidfd, a thread's own since 6.9, and the value's pointer pins
 * the thread's memory. Update at the start and delete at the end, as
 * uls_area() registers and its thread-exit handler unregisters.
 */
static void *thread_uptr(void *arg)
{
	static __thread struct bench_val v;
	struct { struct bench_val *area; } uv = { &v };
	int pidfd = syscall(SYS_pidfd_open, gettid(), PIDFD_THREAD);
	int err;

	if (pidfd < 0)
		return NULL;
	err = bpf_map_update_elem(thread_uptr_fd, &pidfd, &uv, 0) ||
	      bpf_map_delete_elem(thread_uptr_fd, &pidfd);
	close(pidfd);
	return err ? NULL : arg;
}

/*
 * In a child of its own: pthread_create() + join, with uls_area() or not,
 * and for the record with the bare register and unregister ioctls, with a
 * registration that the thread's exit ends, and where the kernel has it
 * with UPTR's update and delete. Each batch starts from a quiet guest; the
 * frees that uls defers (every 20 ms) happen during the batch, but for the
 * last few.
 */
static void bench_thread_create(struct lookups *l)
{
	static struct series s[5] = {
		{ "user.thread_create", "ns" },
		{ "user.thread_create_area", "ns" },
		{ "user.thread_create_register", "ns" },
		{ "user.thread_create_register_exit", "ns" },
		{ "user.thread_create_uptr", "ns" },
	};
	void *(*fn[5])(void *) = { thread_plain, thread_with_area,
				   thread_register, thread_register_exit,
				   thread_uptr };
	const int n = 500, nr = l->uptr_fd >= 0 ? 5 : 4;
	long entries = SMALL_THREADS;	/* the parent's, which stay */

	thread_uptr_fd = l->uptr_fd;
	for (int r = 0; r < rounds; r++) {
		for (int j = 0; j < nr; j++) {
			/* Every other round backwards: no kind always goes first. */
			int k = r & 1 ? nr - 1 - j : j;
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
				fail("bench_thread_create", "thread %d of %s failed",
				     failed, s[k].metric);
				return;
			}
			sample(&s[k], (now_ns() - t0) / n);
		}
	}
	ratio_paired("thread_create_with_area", &s[1], &s[0]);
	if (nr > 4)
		ratio_paired("thread_create_with_area_vs_uptr", &s[1], &s[4]);
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
static void child_threads(void *l) { bench_thread_create(l); }
static void child_pinned(void *unused) { bench_pinned_per_64(); }

/* --- the monitor view ----------------------------------------------------- */

/*
 * In a child of its own (whose main thread has no registration), with
 * nr_threads threads that each register 64 bytes of their own, write a
 * known value there and sleep:
 *   monitor_read_10k_vs_iter      the 64 bytes of every thread read
 *                   through a monitor view of the process, opened once
 *                   with libuls and faulted in beforehand (one
 *                   uls_monitor_read_many() into a buffer, each thread's
 *                   bytes checked with its entry's sequence count: the
 *                   bytes alone, as the iterator gives them) / the same bytes
 *                   read through a BPF task iterator (bench_iter.bpf.c:
 *                   the link walks this thread group only, each task's
 *                   bpf_uls_get() goes out through bpf_seq_write()):
 *                   bpf_iter_create(), read() until EOF, close()
 *   monitor_read_10k_cold_vs_iter the same, the view's side read once
 *                   through a monitor opened just before (not timed):
 *                   every page of it faults in during the walk
 *   monitor_lookup_vs_syscall     one thread's 64 bytes through the view
 *                   (uls_monitor_find() by tid, uls_monitor_read()) / one
 *                   pread() at offset 0 of its /proc/PID/task/TID/stat,
 *                   the file kept open
 * Every round checks what each side read: every thread's value, once,
 * the same on both sides; a lookup finds its thread's; a pread its tid.
 * For the profile, SAMPLE lines only: the open of that monitor, the same
 * read with each thread's description (uls_monitor_thread: tid, gen...),
 * and a thread at a time (uls_monitor_next(), uls_monitor_read()), the
 * walk over the view's index without reading the regions, and the iterator
 * run with its writes off (INFO lines: page faults per walk, the
 * program's runs, which count again each task that the seq_file's
 * buffer had no room for).
 */
#define MON_LOOKUP_THREADS	64	/* threads looked up and pread */
#define MON_LOOKUP_REPEAT	50	/* lookups of each per round */

struct mon_set {
	struct bench_val *vals;	/* one per thread, 64 to a page */
	int *tids;
	int nr, registered, failed;
	pthread_rwlock_t hold;	/* write-locked until they may exit */
};

static struct mon_set mset = { .hold = PTHREAD_RWLOCK_INITIALIZER };

/* What thread @i, of id @tid, writes: its tid, its number, and a pattern. */
static void mon_value(struct bench_val *v, int tid, int i)
{
	v->x = tid;
	v->pad[0] = i;
	for (int k = 1; k < 7; k++)
		v->pad[k] = (__u64)tid * 0x9e3779b97f4a7c15ULL + k;
}

static void *mon_thread(void *arg)
{
	int i = (long)arg, tid = gettid();
	struct bench_val *v = &mset.vals[i];

	mset.tids[i] = tid;
	mon_value(v, tid, i);
	if (uls_register(v, sizeof(*v)))
		__atomic_add_fetch(&mset.failed, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&mset.registered, 1, __ATOMIC_RELEASE);
	/* Asleep until the phase ends: 10,000 threads polling would not be. */
	pthread_rwlock_rdlock(&mset.hold);
	pthread_rwlock_unlock(&mset.hold);
	return NULL;
}

/*
 * @n values read by @who: true if each thread's is there once, whole.
 * @seen: nr bytes of scratch.
 */
static bool mon_check(const struct bench_val *got, long n, const char *who,
		      unsigned char *seen)
{
	long right = 0;

	memset(seen, 0, mset.nr);
	for (long j = 0; j < n; j++) {
		__u64 i = got[j].pad[0];
		struct bench_val want;

		if (i >= (__u64)mset.nr || seen[i])
			continue;
		mon_value(&want, mset.tids[i], i);
		if (!memcmp(&got[j], &want, sizeof(want))) {
			seen[i] = 1;
			right++;
		}
	}
	if (n != mset.nr || right != mset.nr) {
		fail("bench_monitor_data", "%s: %ld values, %ld of %d threads' right",
		     who, n, right, mset.nr);
		return false;
	}
	return true;
}

static int cmp_val(const void *a, const void *b)
{
	__u64 x = ((const struct bench_val *)a)->x;
	__u64 y = ((const struct bench_val *)b)->x;

	return x < y ? -1 : x > y;
}

/* Both sides' values: the same, once sorted by tid. */
static bool mon_same(struct bench_val *a, struct bench_val *b, long n)
{
	qsort(a, n, sizeof(*a), cmp_val);
	qsort(b, n, sizeof(*b), cmp_val);
	if (memcmp(a, b, n * sizeof(*a))) {
		fail("bench_monitor_same", "the view and the iterator differ");
		return false;
	}
	return true;
}

/*
 * Every registration's 64 bytes through the view, and who it is in @t if
 * not NULL: how many, at most @max.
 */
static long view_walk(struct uls_monitor *m, struct bench_val *out, long max,
		      struct uls_monitor_thread *t)
{
	unsigned int cursor = 0;

	return uls_monitor_read_many(m, &cursor, 0, out, sizeof(*out), t, max);
}

/* Each value read with its own thread's description. */
static bool view_who(const struct bench_val *got,
		     const struct uls_monitor_thread *t, long n)
{
	for (long j = 0; j < n; j++)
		if (t[j].tid != (pid_t)got[j].x || t[j].pid != getpid() ||
		    t[j].len != sizeof(*got) || !t[j].has_data) {
			fail("bench_monitor_who", "value %ld: tid %d, read as %d's",
			     j, (int)got[j].x, t[j].tid);
			return false;
		}
	return true;
}

/* The same, a thread at a time: uls_monitor_next(), uls_monitor_read(). */
static long view_walk_each(struct uls_monitor *m, struct bench_val *out,
			   long max, long *stale)
{
	struct uls_monitor_thread t;
	unsigned int cursor = 0;
	long n = 0;
	int err;

	while (n < max && !uls_monitor_next(m, &cursor, &t)) {
		err = uls_monitor_read(m, &t, 0, &out[n], sizeof(*out));
		if (!err)
			n++;
		else if (err == -ESTALE)
			(*stale)++;
	}
	return n;
}

/* For the profile: the walk over the index alone, no region read. */
static long view_index_walk(struct uls_monitor *m)
{
	struct uls_monitor_thread t;
	unsigned int cursor = 0;
	long n = 0;

	while (!uls_monitor_next(m, &cursor, &t))
		n++;
	return n;
}

/*
 * What user space does with the iterator: a new iterator file, read()
 * until EOF, closed. The values read (bytes / 64), or -errno; @size bytes
 * of @buf is more than all of them.
 */
static long iter_read(int link_fd, void *buf, size_t size)
{
	size_t got = 0;
	ssize_t r = 0;
	int fd = bpf_iter_create(link_fd), err = 0;

	if (fd < 0)
		return -errno;
	while (got < size && (r = read(fd, (char *)buf + got, size - got)) > 0)
		got += r;
	if (r < 0)
		err = -errno;
	close(fd);
	if (err)
		return err;
	if (got >= size || got % sizeof(struct bench_val))
		return -EOVERFLOW;
	return got / sizeof(struct bench_val);
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/*
 * /proc/sys/kernel/@file raised to at least @want for the phase (a small
 * guest may allow fewer threads): the old value, or -1 if unchanged.
 */
static long raise_limit(const char *file, long want)
{
	long old = t_raise_sysctl(file, want);

	if (old >= 0)
		note("bench: %s raised from %ld to %ld", file, old, want);
	return old;
}

/* The rounds, once the threads are up and the iterator attached. */
static void monitor_rounds(struct uls_monitor *m, struct bench_iter *skel,
			   int link_fd)
{
	static struct series view = { "monitor.view_10k", "ns" };
	static struct series cold = { "monitor.view_10k_cold", "ns" };
	static struct series mopen = { "monitor.open", "ns" };
	static struct series iter = { "monitor.iter_10k", "ns" };
	static struct series lookup = { "monitor.lookup", "ns" };
	static struct series pstat = { "monitor.proc_stat_pread", "ns" };
	static struct series index = { "monitor.view_index_10k", "ns" };
	static struct series each = { "monitor.view_10k_each", "ns" };
	static struct series who_s = { "monitor.view_10k_who", "ns" };
	static struct series nowrite = { "monitor.iter_nowrite_10k", "ns" };
	long max = mset.nr + 64, n, stale = 0, flt_cold = 0, flt_warm = 0;
	size_t size = max * sizeof(struct bench_val) + getpagesize();
	struct bench_val *a = malloc(size), *b = malloc(size);
	struct uls_monitor_thread *who = calloc(max, sizeof(*who));
	unsigned char *seen = malloc(mset.nr);
	int nr_look = mset.nr < MON_LOOKUP_THREADS ? mset.nr : MON_LOOKUP_THREADS;
	int look_tid[MON_LOOKUP_THREADS], stat_fd[MON_LOOKUP_THREADS];
	__u64 tasks0;
	char line[512];
	double t0;

	for (int j = 0; j < nr_look; j++)
		stat_fd[j] = -1;
	if (!a || !b || !who || !seen) {
		fail("bench_monitor", "out of memory");
		goto out;
	}
	for (int j = 0; j < nr_look; j++) {
		look_tid[j] = mset.tids[(long)j * mset.nr / nr_look];
		snprintf(line, sizeof(line), "/proc/%d/task/%d/stat", getpid(),
			 look_tid[j]);
		stat_fd[j] = open(line, O_RDONLY);
		if (stat_fd[j] < 0) {
			fail("bench_monitor_stat", "%s: %s", line, strerror(errno));
			goto out;
		}
	}

	/* Not timed: the view's pages fault in, the iterator runs once. */
	n = view_walk(m, a, max, who);
	tasks0 = skel->bss->tasks;
	if (!mon_check(a, n, "the view, first walk", seen) ||
	    !view_who(a, who, n))
		goto out;
	n = iter_read(link_fd, b, size);
	if (n < 0) {
		fail("bench_monitor_iter", "%s", strerror(-n));
		goto out;
	}
	/*
	 * This thread too, which has no registration; and once more each
	 * task whose 64 bytes did not fit in the seq_file's buffer (32 KiB),
	 * which the next read() runs again.
	 */
	if (skel->bss->tasks - tasks0 < (__u64)mset.nr + 1) {
		fail("bench_monitor_iter", "it saw %llu tasks, not %d",
		     (unsigned long long)(skel->bss->tasks - tasks0), mset.nr + 1);
		goto out;
	}
	printf("INFO monitor_iter_runs %llu program runs for %d tasks\n",
	       (unsigned long long)(skel->bss->tasks - tasks0), mset.nr + 1);
	if (!mon_check(b, n, "the iterator, first run", seen) ||
	    !mon_same(a, b, n))
		goto out;

	for (int r = 0; r < rounds && !failures; r++) {
		struct uls_monitor *fresh;
		long nv = 0, ni = 0, f0;

		quiesce();
		/* Cold: a monitor opened just now, its first walk. */
		t0 = now_ns();
		fresh = uls_monitor_open(getpid());
		sample(&mopen, now_ns() - t0);
		if (!fresh) {
			fail("bench_monitor_open", "%s", strerror(errno));
			break;
		}
		f0 = minflt();
		t0 = now_ns();
		nv = view_walk(fresh, a, max, NULL);
		sample(&cold, now_ns() - t0);
		flt_cold += minflt() - f0;
		uls_monitor_close(fresh);
		if (!mon_check(a, nv, "the view, cold", seen))
			break;

		/* Warm, and the iterator: in turn first. */
		for (int k = 0; k < 2; k++) {
			if ((k == 0) == !(r & 1)) {
				f0 = minflt();
				t0 = now_ns();
				nv = view_walk(m, a, max, NULL);
				sample(&view, now_ns() - t0);
				flt_warm += minflt() - f0;
			} else {
				t0 = now_ns();
				ni = iter_read(link_fd, b, size);
				sample(&iter, now_ns() - t0);
			}
		}
		if (ni < 0) {
			fail("bench_monitor_iter", "%s", strerror(-ni));
			break;
		}
		if (!mon_check(a, nv, "the view", seen) ||
		    !mon_check(b, ni, "the iterator", seen) ||
		    !mon_same(a, b, ni))
			break;

		/* The profile: with who each one is, as a tool may want. */
		t0 = now_ns();
		nv = view_walk(m, a, max, who);
		sample(&who_s, now_ns() - t0);
		if (!mon_check(a, nv, "the view, with who", seen) ||
		    !view_who(a, who, nv))
			break;

		/* The profile: a call per thread, as uls_monitor_read() is. */
		t0 = now_ns();
		nv = view_walk_each(m, a, max, &stale);
		sample(&each, now_ns() - t0);
		if (!mon_check(a, nv, "the view, a thread at a time", seen))
			break;

		/*
		 * The profile: the view's index alone, and the iterator
		 * without its writes (no bytes, one read() to EOF).
		 */
		t0 = now_ns();
		nv = view_index_walk(m);
		sample(&index, now_ns() - t0);
		skel->bss->no_write = 1;
		t0 = now_ns();
		ni = iter_read(link_fd, b, size);
		sample(&nowrite, now_ns() - t0);
		skel->bss->no_write = 0;
		if (nv != mset.nr || ni != 0) {
			fail("bench_monitor_profile", "index %ld entries, iterator %ld values",
			     nv, ni);
			break;
		}

		/* One thread's value by tid, against one read of its stat. */
		{
			long bad = 0;
			struct uls_monitor_thread t;
			struct bench_val v;

			quiesce();
			t0 = now_ns();
			for (int i = 0; i < MON_LOOKUP_REPEAT; i++)
				for (int j = 0; j < nr_look; j++) {
					if (uls_monitor_find(m, look_tid[j], &t) ||
					    uls_monitor_read(m, &t, 0, &v, sizeof(v)))
						bad++;
					else
						bad += v.x != (__u64)look_tid[j];
				}
			sample(&lookup, (now_ns() - t0) /
			       (MON_LOOKUP_REPEAT * nr_look));
			t0 = now_ns();
			for (int j = 0; j < nr_look; j++) {
				ssize_t got = pread(stat_fd[j], line,
						    sizeof(line) - 1, 0);

				if (got <= 0) {
					bad++;
					continue;
				}
				line[got] = '\0';
				bad += atoi(line) != look_tid[j];
			}
			sample(&pstat, (now_ns() - t0) / nr_look);
			if (bad) {
				fail("bench_monitor_lookup",
				     "%ld lookups or preads found the wrong thread or none",
				     bad);
				break;
			}
		}
	}
	if (failures)
		goto out;
	if (stale) {
		fail("bench_monitor_stale", "%ld reads found their entry changed",
		     stale);
		goto out;
	}
	printf("INFO monitor_faults_per_walk cold %.1f warm %.1f\n",
	       (double)flt_cold / rounds, (double)flt_warm / rounds);
	ratio_paired("monitor_read_10k_vs_iter", &view, &iter);
	ratio_paired("monitor_read_10k_cold_vs_iter", &cold, &iter);
	ratio_paired("monitor_lookup_vs_syscall", &lookup, &pstat);
	note("bench: %d threads' 64 bytes: view %.0f ns a thread (with who "
	     "%.0f, a call a thread %.0f, index alone %.0f, cold %.0f, open %.0f "
	     "us), iterator %.0f ns (no writes %.0f); lookup %.0f ns, pread "
	     "%.0f ns",
	     mset.nr, quantile(view.v, view.n, 0.5) / mset.nr,
	     quantile(who_s.v, who_s.n, 0.5) / mset.nr,
	     quantile(each.v, each.n, 0.5) / mset.nr,
	     quantile(index.v, index.n, 0.5) / mset.nr,
	     quantile(cold.v, cold.n, 0.5) / mset.nr,
	     quantile(mopen.v, mopen.n, 0.5) / 1e3,
	     quantile(iter.v, iter.n, 0.5) / mset.nr,
	     quantile(nowrite.v, nowrite.n, 0.5) / mset.nr,
	     quantile(lookup.v, lookup.n, 0.5), quantile(pstat.v, pstat.n, 0.5));
out:
	for (int j = 0; j < nr_look; j++)
		if (stat_fd[j] >= 0)
			close(stat_fd[j]);
	free(a);
	free(b);
	free(who);
	free(seen);
}

static void bench_monitor(void)
{
	size_t bytes = (size_t)nr_threads * sizeof(struct bench_val);
	long old_pid_max, old_threads_max, old_entries = -1;
	union bpf_iter_link_info linfo = {};
	LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	struct bench_iter *skel = NULL;
	struct uls_monitor *m = NULL;
	pthread_attr_t attr;
	pthread_t *th;
	char val[32];
	double t0;
	int n = 0;

	old_pid_max = raise_limit("pid_max", 2L * nr_threads + 1000);
	old_threads_max = raise_limit("threads-max", 2L * nr_threads + 1000);
	/* One view shows them all. */
	if (t_param("monitor_max_entries") < nr_threads + 64) {
		old_entries = t_param("monitor_max_entries");
		snprintf(val, sizeof(val), "%d", nr_threads + 64);
		t_set_param("monitor_max_entries", val);
	}
	mset.nr = nr_threads;
	mset.vals = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mset.tids = calloc(nr_threads, sizeof(*mset.tids));
	th = calloc(nr_threads, sizeof(*th));
	if (mset.vals == MAP_FAILED || !mset.tids || !th) {
		fail("bench_monitor", "out of memory");
		return;
	}

	skel = bench_iter__open_and_load();
	if (!skel) {
		fail("bench_monitor_iter_load", "bench_iter.bpf.c: %s",
		     strerror(errno));
		goto out;
	}
	/* The kernel walks this thread group only. */
	linfo.task.pid = getpid();
	opts.link_info = &linfo;
	opts.link_info_len = sizeof(linfo);
	skel->links.dump_field = bpf_program__attach_iter(skel->progs.dump_field,
							  &opts);
	if (!skel->links.dump_field) {
		fail("bench_monitor_iter_attach", "%s", strerror(errno));
		goto out;
	}

	pthread_rwlock_wrlock(&mset.hold);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	t0 = now_ns();
	for (; n < nr_threads; n++)
		if (pthread_create(&th[n], &attr, mon_thread, (void *)(long)n))
			break;
	pthread_attr_destroy(&attr);
	if (n < nr_threads) {
		fail("bench_monitor_threads", "only %d threads started", n);
		goto stop;
	}
	for (int i = 0; i < 120000 &&
	     __atomic_load_n(&mset.registered, __ATOMIC_ACQUIRE) < n; i++)
		usleep(1000);
	if (mset.registered < n || mset.failed) {
		fail("bench_monitor_threads", "%d of %d registered, %d failed",
		     mset.registered, n, mset.failed);
		goto stop;
	}
	note("bench: %d threads registered in %.1f s", n, (now_ns() - t0) / 1e9);

	m = uls_monitor_open(getpid());
	if (!m) {
		fail("bench_monitor_open", "%s", strerror(errno));
		goto stop;
	}
	monitor_rounds(m, skel, bpf_link__fd(skel->links.dump_field));
	uls_monitor_close(m);
stop:
	pthread_rwlock_unlock(&mset.hold);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
out:
	bench_iter__destroy(skel);
	if (old_entries > 0) {
		snprintf(val, sizeof(val), "%ld", old_entries);
		t_set_param("monitor_max_entries", val);
	}
	t_restore_sysctl("pid_max", old_pid_max);
	t_restore_sysctl("threads-max", old_threads_max);
	free(th);
}

static void child_monitor(void *unused) { bench_monitor(); }

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
		in_child(child_threads, &l);
	}
	if (phase("monitor")) {
		note("bench: the monitor view, %d threads", nr_threads);
		in_child(child_monitor, NULL);
		/* The next phase counts registrations: the child's gone first. */
		if (wait_entries_at_most(SMALL_THREADS, 60000))
			fail("bench_monitor", "entries stay at %ld", t_stat("entries"));
		if (failures)
			return 1;
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
	 * Each round in another of the small group's threads, both of its
	 * lookups in the same one: from this thread alone, the figure was
	 * where this one task_struct hashed in each table, one probe or two
	 * (in one of three deterministic runs on 7.2, 37 instructions with 10
	 * registered against 30, and 30 in the other two).
	 */
	note("bench: lookups with %d registered and with %d, in %d threads",
	     nr_threads, SMALL_THREADS, small.nr);
	for (int r = 0; r < rounds && !failures; r++) {
		struct sized_lookup big_table = { &l, &l_uls_10k };
		struct sized_lookup small_table = { &l, &l_uls_10 };

		quiesce();
		group_run(&small, r % small.nr, run_sized_lookup, &big_table);
		if (group_step(&big, false) ||
		    t_wait_stat("entries", SMALL_THREADS, 60000)) {
			fail("bench_threads", "unregistering: %ld entries left",
			     t_stat("entries"));
			break;
		}
		quiesce();
		group_run(&small, r % small.nr, run_sized_lookup, &small_table);
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
