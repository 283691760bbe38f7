// SPDX-License-Identifier: GPL-2.0
/*
 * BPF's side of keys: uls_key_get() by name (uls.bpf.h), against what
 * libuls's threads store. Each test works in a child of its own: keys are
 * process-wide and never go.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "helpers.h"
#include "test.h"
#include "uls.h"
#include "key_lookup.skel.h"
#include "key_lookup_row1.skel.h"
#include "key_null_cache.skel.h"
#include "progs/key_lookup.h"

/*
 * keys_rw in the calling thread; its .found, or -1. A SYSCALL program
 * writes its context back into ctx_in (ctx_out is refused).
 */
static int keys_run(const struct bpf_program *prog, struct keys_ctx *c)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = c,
		    .ctx_size_in = sizeof(*c));

	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts) ||
	    opts.retval)
		return -1;
	return c->found;
}

static void print_verified(const struct bpf_program *prog)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (!bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		printf("%s: %u instructions verified\n",
		       bpf_program__name(prog), info.verified_insns);
}

#define NR_THREADS 4

static struct {
	struct key_lookup *skel;
	uls_key_t a, b, c;
	pthread_barrier_t created, grown;
} kt;

/* Checks on a thread's key @key: its own, 8-byte aligned. */
static __u64 *key_ptr(uls_key_t key, const char *name)
{
	__u64 *p = uls_key_get(key);

	if (!ASSERT_OK_PTR(p, name))
		return NULL;
	ASSERT_EQ((uintptr_t)p % 8, 0, "8-byte aligned");
	return p;
}

static void *keys_thread(void *arg)
{
	const struct bpf_program *rw = kt.skel->progs.keys_rw;
	__u64 tid = t_gettid(), *a, *b, *c;
	struct keys_ctx ctx = { .value = 1, .store = 1 };

	a = key_ptr(kt.a, "keys.a");
	b = key_ptr(kt.b, "keys.b");
	if (!a || !b)
		goto out;
	*a = tid;
	*b = tid * 2;
	ASSERT_EQ(keys_run(rw, &ctx), KEYS_A | KEYS_B,
		  "a and b found; c not yet created; a not 16 bytes");
	ASSERT_EQ(ctx.a, tid, "BPF reads this thread's a");
	ASSERT_EQ(ctx.b, tid * 2, "and its b");
	ASSERT_EQ(*a, tid + 1, "the thread reads BPF's store into a");
	ASSERT_EQ(*b, tid * 2 + 1, "and into b");

	/* keys.c is created after every thread's first use of keys. */
	pthread_barrier_wait(&kt.created);
	pthread_barrier_wait(&kt.grown);
	ASSERT_EQ(keys_run(rw, &ctx), KEYS_A | KEYS_B,
		  "c, created, is not in the region before the thread uses it");
	c = key_ptr(kt.c, "keys.c");
	if (!c)
		goto out;
	*c = tid * 3;
	ASSERT_EQ(keys_run(rw, &ctx), KEYS_A | KEYS_B | KEYS_C,
		  "c found after growth");
	ASSERT_EQ(ctx.c, tid * 3, "BPF reads this thread's c");
	ASSERT_EQ(*c, tid * 3 + 1, "the thread reads BPF's store into c");
	ASSERT_EQ(ctx.a, tid + 2, "a, taken before growth, still shared");
	*a = tid + 100;
	ASSERT_EQ(keys_run(rw, &ctx), KEYS_A | KEYS_B | KEYS_C, "again");
	ASSERT_EQ(ctx.a, tid + 100, "BPF sees a store through the old pointer");
	ASSERT_EQ(*a, tid + 101, "and the thread BPF's");
	return NULL;
out:
	pthread_barrier_wait(&kt.created);
	pthread_barrier_wait(&kt.grown);
	return NULL;
}

static long no_keys_thread(void *arg)
{
	struct keys_ctx ctx = {};

	ASSERT_EQ(keys_run(kt.skel->progs.keys_rw, &ctx), 0,
		  "a thread that never used keys: none found");
	return 0;
}

static long area_thread(void *arg)
{
	struct keys_ctx ctx = {};
	__u64 *area = uls_area(256);

	if (!ASSERT_OK_PTR(area, "uls_area"))
		return 0;
	memset(area, 0xff, 256);
	ASSERT_EQ(keys_run(kt.skel->progs.keys_rw, &ctx), 0,
		  "a uls_area() region has no keys");
	return 0;
}

static void threads_child(void *arg)
{
	pthread_t th[NR_THREADS];
	int i;

	kt.a = uls_key_create("keys.a", 8);
	kt.b = uls_key_create("keys.b", 64);
	if (!ASSERT_OK(uls_key_err(kt.a), "create keys.a") ||
	    !ASSERT_OK(uls_key_err(kt.b), "create keys.b"))
		return;
	pthread_barrier_init(&kt.created, NULL, NR_THREADS + 1);
	pthread_barrier_init(&kt.grown, NULL, NR_THREADS + 1);
	for (i = 0; i < NR_THREADS; i++)
		if (!ASSERT_OK(pthread_create(&th[i], NULL, keys_thread, NULL),
			       "pthread_create"))
			return;
	pthread_barrier_wait(&kt.created);
	kt.c = uls_key_create("keys.c", 8);
	ASSERT_OK(uls_key_err(kt.c), "create keys.c");
	pthread_barrier_wait(&kt.grown);
	for (i = 0; i < NR_THREADS; i++)
		pthread_join(th[i], NULL);
	t_in_thread(no_keys_thread, NULL);
	t_in_thread(area_thread, NULL);
}

/*
 * Threads of one process, each with its own storage for the same keys:
 * BPF reads and writes each thread's by name, finds a key created after
 * the threads' first use once they use it, and finds nothing for a key
 * never created, a size larger than the key's, a thread without keys or
 * a region of uls_area().
 */
ULS_TEST(keys_bpf_threads)
{
	kt.skel = key_lookup__open_and_load();
	if (!ASSERT_OK_PTR(kt.skel, "key_lookup__open_and_load"))
		return;
	print_verified(kt.skel->progs.keys_rw);
	print_verified(kt.skel->progs.keys_tp);
	t_in_child(threads_child, NULL);
	key_lookup__destroy(kt.skel);
}

static void hooks_child(void *arg)
{
	uls_key_t tp = uls_key_create("keys.tp", 8);
	uls_key_t fe = uls_key_create("keys.fentry", 8);
	uls_key_t lsm = uls_key_create("keys.lsm", 8);
	__u64 *ptp, *pfe, *plsm;
	int fd, i;

	ptp = key_ptr(tp, "keys.tp");
	pfe = key_ptr(fe, "keys.fentry");
	plsm = key_ptr(lsm, "keys.lsm");
	fd = open("/dev/null", O_RDONLY);
	if (!ptp || !pfe || !plsm || !ASSERT_GE(fd, 0, "/dev/null"))
		return;
	kt.skel->bss->target_tgid = getpid();
	for (i = 0; i < 3; i++)
		getppid();
	for (i = 0; i < 5; i++)
		getpgid(0);
	for (i = 0; i < 7; i++)
		ioctl(fd, KEYS_LSM_IOCTL_CMD, 0);
	ASSERT_EQ(*ptp, 3, "tp_btf counted into keys.tp");
	ASSERT_EQ(*pfe, 5, "fentry counted into keys.fentry");
	ASSERT_EQ(*plsm, 7, "lsm counted into keys.lsm");
	close(fd);
}

/* Tracing, fentry and LSM programs find the current thread's keys. */
ULS_TEST(keys_bpf_hooks)
{
	kt.skel = key_lookup__open_and_load();
	if (!ASSERT_OK_PTR(kt.skel, "key_lookup__open_and_load"))
		return;
	if (ASSERT_OK(key_lookup__attach(kt.skel), "attach"))
		t_in_child(hooks_child, NULL);
	key_lookup__destroy(kt.skel);
}

static struct key_lookup_row1 *row1;

/*
 * A process whose keys sit at other offsets than the other process's:
 * @order 0 creates a then b, 1 creates a pad, then b, then a, and 2 has a
 * 4-byte keys.a, too small for the program's 8.
 */
static void cache_child(void *arg)
{
	int order = (intptr_t)arg, i, bad = 0;
	struct keys_ctx ctx = { .value = 1, .store = 1 };
	uls_key_t a, b, pad;
	__u64 *pa, *pb;
	__u32 want;

	if (order == 1) {
		pad = uls_key_create("keys.pad", 200);
		if (!ASSERT_OK(uls_key_err(pad), "create keys.pad") ||
		    !ASSERT_OK_PTR(uls_key_get(pad), "keys.pad"))
			return;
		b = uls_key_create("keys.b", 64);
		a = uls_key_create("keys.a", 8);
	} else {
		a = uls_key_create("keys.a", order == 2 ? 4 : 8);
		b = uls_key_create("keys.b", 64);
	}
	pa = key_ptr(a, "keys.a");
	pb = key_ptr(b, "keys.b");
	if (!pa || !pb)
		return;
	want = order == 2 ? KEYS_B : KEYS_A | KEYS_B;
	for (i = 0; i < 300; i++) {
		__u64 va = (order == 2 ? 0 : (__u64)getpid() << 20) + i;
		__u64 vb = ((__u64)getpid() << 20) + 2 * i;

		if (order != 2)
			*pa = va;
		*pb = vb;
		if (keys_run(row1->progs.keys_rw, &ctx) != (int)want ||
		    (order != 2 && (ctx.a != va || *pa != va + 1)) ||
		    ctx.b != vb || *pb != vb + 1) {
			if (!bad++)
				fprintf(stderr, "order %d round %d: found %#x a %llu b %llu\n",
					order, i, ctx.found,
					(unsigned long long)ctx.a,
					(unsigned long long)ctx.b);
		}
	}
	ASSERT_EQ(bad, 0, "every round right, whatever the cache held");
}

/*
 * Three processes, one cache row: their lookups keep finding the other's
 * offsets in the cache, and must still come out right.
 */
ULS_TEST(keys_bpf_cache_shared)
{
	pid_t pid[3];
	int i;

	row1 = key_lookup_row1__open_and_load();
	if (!ASSERT_OK_PTR(row1, "key_lookup_row1__open_and_load"))
		return;
	for (i = 0; i < 3; i++)
		pid[i] = t_start_child(cache_child, (void *)(intptr_t)i);
	for (i = 0; i < 3; i++)
		if (pid[i] > 0)
			t_wait_child(pid[i]);
	key_lookup_row1__destroy(row1);
}

static char null_cache_log[1 << 16];

static void null_cache_child(void *arg)
{
	const struct bpf_program *prog = arg;
	struct keys_ctx ctx = {};
	uls_key_t a = uls_key_create("keys.a", 8);
	__u64 *pa = key_ptr(a, "keys.a");
	int i;

	if (!pa)
		return;
	for (i = 0; i < 3; i++) {
		*pa = 100 + i;
		ctx.store = 0;
		ASSERT_EQ(keys_run(prog, &ctx), KEYS_A, "found through the cache");
		ASSERT_EQ(ctx.a, 100 + i, "keys.a, through the cache");
		ctx.store = 1;
		ASSERT_EQ(keys_run(prog, &ctx), KEYS_A, "found with a NULL cache");
		ASSERT_EQ(ctx.a, 100 + i, "keys.a, with a NULL cache");
	}
}

/*
 * A cache that may be NULL: refused by the verifier, or looked up
 * without it (progs/key_null_cache.bpf.c says where).
 */
ULS_TEST(keys_bpf_null_cache)
{
	struct key_null_cache *skel = key_null_cache__open();

	if (!ASSERT_OK_PTR(skel, "key_null_cache__open"))
		return;
	bpf_program__set_log_buf(skel->progs.keys_null_cache, null_cache_log,
				 sizeof(null_cache_log));
	if (key_null_cache__load(skel)) {
		ASSERT_OK_PTR(strstr(null_cache_log, "Possibly NULL pointer passed"),
			      "refused as a possibly NULL pointer");
	} else {
		printf("the verifier let a maybe-NULL cache through\n");
		t_in_child(null_cache_child, skel->progs.keys_null_cache);
	}
	key_null_cache__destroy(skel);
}
