// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's task local data selftest (linux-source-7.2:
 * tools/testing/selftests/bpf/prog_tests/test_task_local_data.c), run on
 * uls through <uls/tld.h> and tld.bpf.h. Its scenarios and checks are
 * upstream's; only the harness glue differs, each difference marked
 * "uls:".
 *
 * uls: this file is a program of its own, uls_tld_test, that tests/
 * test_tld.c runs: TLD_DEFINE_KEY() creates a key in a constructor, which
 * in uls_test would put a key, and an open /dev/uls, into every test.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "helpers.h"
#include "test.h"

/*
 * uls: no separate budget for keys created at run time: every key's data
 * shares the thread's region, up to the module's max_len. The option is
 * accepted and ignored, as TLD_FREE_DATA_ON_THREAD_EXIT is.
 */
#define TLD_DYN_DATA_SIZE_MAX 0

#define TLD_FREE_DATA_ON_THREAD_EXIT
#define TLD_DYN_DATA_SIZE TLD_DYN_DATA_SIZE_MAX
#include "tld.h"

struct test_tld_struct {
	__u64 a;
	__u64 b;
	__u64 c;
	__u64 d;
};

#include "test_task_local_data.skel.h"

TLD_DEFINE_KEY(value0_key, "value0", sizeof(int));

/* uls: test_progs' names for what test.h and helpers.h have. */
#define CHECK_FAIL(cond) ({						\
	bool ___f = !!(cond);						\
	if (___f) {							\
		test__fail();						\
		fprintf(stderr, "%s:%d: FAIL: %s\n", __func__,		\
			__LINE__, #cond);				\
	}								\
	___f;								\
})
#define sys_gettid t_gettid
/*
 * uls: test_progs' ASSERT_EQ() compares in the operands' own types (an
 * int against 0xdeadbeef is equal); test.h's in long long. test_progs
 * builds without -Wextra's sign-compare.
 */
#pragma GCC diagnostic ignored "-Wsign-compare"
#undef ASSERT_EQ
#define ASSERT_EQ(actual, expected, name) ({				\
	__typeof__(actual) ___act = (actual);				\
	__typeof__(expected) ___exp = (expected);			\
	__ASSERT(___act == ___exp, "%s: actual %lld != expected %lld",	\
		 (name), (long long)___act, (long long)___exp);		\
})

/*
 * uls: the limits where upstream has a page. A thread's keyed region has
 * the module's max_len (a page multiple, at most 16 MiB), laid out as
 * include/uls/key_layout.h says: a 64-byte header, then each key's
 * 16-byte descriptor and its data, aligned to its size rounded up to a
 * power of two, from 8 to 64 bytes.
 */
static size_t uls_capacity(void)
{
	size_t cap = t_max_len(), page = getpagesize();

	if (cap > 16u << 20)
		cap = 16u << 20;
	return cap & ~(page - 1);
}

static size_t uls_align(size_t size)
{
	size_t a = 8;

	while (a < size && a < 64)
		a <<= 1;
	return a;
}

/* Where the data of a key of @size starts when the keys so far end at @end. */
static size_t uls_key_data(size_t end, size_t size)
{
	return (end + 16 + uls_align(size) - 1) & ~(uls_align(size) - 1);
}

#define ULS_KEYS_START 64	/* sizeof(struct uls_keys_header) */

/* The end of value0's data, the static key every subtest has. */
static size_t uls_value0_end(void)
{
	return uls_key_data(ULS_KEYS_START, sizeof(int)) + sizeof(int);
}

/*
 * Reset task local data between subtests by clearing metadata other
 * than the statically defined value0. This is safe as subtests run
 * sequentially. Users of task local data library should not touch
 * library internal.
 */
static void reset_tld(__u16 dyn_data_size)
{
	/*
	 * uls: keys can never be deleted; each subtest (each round of the
	 * race) runs in a child of its own instead, forked with the static
	 * value0 only, as upstream's reset leaves it.
	 */
	(void)dyn_data_size;
}

/* Serialize access to bpf program's global variables */
static pthread_mutex_t global_mutex;

static tld_key_t *tld_keys;

#define TEST_BASIC_THREAD_NUM 32

void *test_task_local_data_basic_thread(void *arg)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	struct test_task_local_data *skel = (struct test_task_local_data *)arg;
	int fd, err, tid, *value0, *value1;
	struct test_tld_struct *value2;

	fd = bpf_map__fd(skel->maps.tld_data_map);

	value0 = tld_get_data(fd, value0_key);
	if (!ASSERT_OK_PTR(value0, "tld_get_data"))
		goto out;

	value1 = tld_get_data(fd, tld_keys[1]);
	if (!ASSERT_OK_PTR(value1, "tld_get_data"))
		goto out;

	value2 = tld_get_data(fd, tld_keys[2]);
	if (!ASSERT_OK_PTR(value2, "tld_get_data"))
		goto out;

	tid = sys_gettid();

	*value0 = tid + 0;
	*value1 = tid + 1;
	value2->a = tid + 2;
	value2->b = tid + 3;
	value2->c = tid + 4;
	value2->d = tid + 5;

	pthread_mutex_lock(&global_mutex);
	/* Run task_main that read task local data and save to global variables */
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.task_main), &opts);
	ASSERT_OK(err, "run task_main");
	ASSERT_OK(opts.retval, "task_main retval");

	ASSERT_EQ(skel->bss->test_value0, tid + 0, "tld_get_data value0");
	ASSERT_EQ(skel->bss->test_value1, tid + 1, "tld_get_data value1");
	ASSERT_EQ(skel->bss->test_value2.a, tid + 2, "tld_get_data value2.a");
	ASSERT_EQ(skel->bss->test_value2.b, tid + 3, "tld_get_data value2.b");
	ASSERT_EQ(skel->bss->test_value2.c, tid + 4, "tld_get_data value2.c");
	ASSERT_EQ(skel->bss->test_value2.d, tid + 5, "tld_get_data value2.d");
	pthread_mutex_unlock(&global_mutex);

	/* Make sure valueX are indeed local to threads */
	ASSERT_EQ(*value0, tid + 0, "value0");
	ASSERT_EQ(*value1, tid + 1, "value1");
	ASSERT_EQ(value2->a, tid + 2, "value2.a");
	ASSERT_EQ(value2->b, tid + 3, "value2.b");
	ASSERT_EQ(value2->c, tid + 4, "value2.c");
	ASSERT_EQ(value2->d, tid + 5, "value2.d");

	*value0 = tid + 5;
	*value1 = tid + 4;
	value2->a = tid + 3;
	value2->b = tid + 2;
	value2->c = tid + 1;
	value2->d = tid + 0;

	/* Run task_main again */
	pthread_mutex_lock(&global_mutex);
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.task_main), &opts);
	ASSERT_OK(err, "run task_main");
	ASSERT_OK(opts.retval, "task_main retval");

	ASSERT_EQ(skel->bss->test_value0, tid + 5, "tld_get_data value0");
	ASSERT_EQ(skel->bss->test_value1, tid + 4, "tld_get_data value1");
	ASSERT_EQ(skel->bss->test_value2.a, tid + 3, "tld_get_data value2.a");
	ASSERT_EQ(skel->bss->test_value2.b, tid + 2, "tld_get_data value2.b");
	ASSERT_EQ(skel->bss->test_value2.c, tid + 1, "tld_get_data value2.c");
	ASSERT_EQ(skel->bss->test_value2.d, tid + 0, "tld_get_data value2.d");
	pthread_mutex_unlock(&global_mutex);

out:
	pthread_exit(NULL);
}

static void test_task_local_data_basic(void *unused)
{
	struct test_task_local_data *skel;
	pthread_t thread[TEST_BASIC_THREAD_NUM];
	char dummy_key_name[TLD_NAME_LEN];
	tld_key_t key;
	int i, err;

	reset_tld(TLD_DYN_DATA_SIZE_MAX);

	ASSERT_OK(pthread_mutex_init(&global_mutex, NULL), "pthread_mutex_init");

	skel = test_task_local_data__open_and_load();
	if (!ASSERT_OK_PTR(skel, "skel_open_and_load"))
		return;

	tld_keys = calloc(TLD_MAX_DATA_CNT, sizeof(tld_key_t));
	if (!ASSERT_OK_PTR(tld_keys, "calloc tld_keys"))
		goto out;

	ASSERT_FALSE(tld_key_is_err(value0_key), "TLD_DEFINE_KEY");
	tld_keys[1] = tld_create_key("value1", sizeof(int));
	ASSERT_FALSE(tld_key_is_err(tld_keys[1]), "tld_create_key");
	tld_keys[2] = tld_create_key("value2", sizeof(struct test_tld_struct));
	ASSERT_FALSE(tld_key_is_err(tld_keys[2]), "tld_create_key");

	/*
	 * Shouldn't be able to store data exceed a page. Create a TLD just big
	 * enough to exceed a page. Data already contains struct tld_data_u,
	 * value0 and value1 of int type, and value 2 of struct test_tld_struct.
	 */
	/* uls: just over what is left of max_len after value0, 1 and 2 */
	{
		size_t end = uls_value0_end();

		end = uls_key_data(end, sizeof(int)) + sizeof(int);
		end = uls_key_data(end, sizeof(struct test_tld_struct)) +
		      sizeof(struct test_tld_struct);
		key = tld_create_key("value_not_exist", uls_capacity() + 1 -
						uls_key_data(end, 64));
	}
	ASSERT_EQ(tld_key_err_or_zero(key), -E2BIG, "tld_create_key");

	key = tld_create_key("value2", sizeof(struct test_tld_struct));
	ASSERT_EQ(tld_key_err_or_zero(key), -EEXIST, "tld_create_key");

	/* Shouldn't be able to create the (TLD_MAX_DATA_CNT+1)-th TLD */
	for (i = 3; i < TLD_MAX_DATA_CNT; i++) {
		snprintf(dummy_key_name, TLD_NAME_LEN, "dummy_value%d", i);
		tld_keys[i] = tld_create_key(dummy_key_name, sizeof(int));
		ASSERT_FALSE(tld_key_is_err(tld_keys[i]), "tld_create_key");
	}
	key = tld_create_key("value_not_exist", sizeof(struct test_tld_struct));
	ASSERT_EQ(tld_key_err_or_zero(key), -ENOSPC, "tld_create_key");

	/* Access TLDs from multiple threads and check if they are thread-specific */
	for (i = 0; i < TEST_BASIC_THREAD_NUM; i++) {
		err = pthread_create(&thread[i], NULL, test_task_local_data_basic_thread, skel);
		if (!ASSERT_OK(err, "pthread_create"))
			goto out;
	}

out:
	for (i = 0; i < TEST_BASIC_THREAD_NUM; i++)
		pthread_join(thread[i], NULL);

	if (tld_keys) {
		free(tld_keys);
		tld_keys = NULL;
	}
	tld_free();
	test_task_local_data__destroy(skel);
}

#define TEST_RACE_THREAD_NUM (TLD_MAX_DATA_CNT - 3)

void *test_task_local_data_race_thread(void *arg)
{
	int err = 0, id = (intptr_t)arg;
	char key_name[32];
	tld_key_t key;

	/* uls: more than max_len */
	key = tld_create_key("value_not_exist", uls_capacity() + 1);
	if (tld_key_err_or_zero(key) != -E2BIG) {
		err = 1;
		goto out;
	}

	/* Only one thread will succeed in creating value1 */
	key = tld_create_key("value1", sizeof(int));
	if (!tld_key_is_err(key))
		tld_keys[1] = key;

	/* Only one thread will succeed in creating value2 */
	key = tld_create_key("value2", sizeof(struct test_tld_struct));
	if (!tld_key_is_err(key))
		tld_keys[2] = key;

	snprintf(key_name, 32, "thread_%d", id);
	tld_keys[id] = tld_create_key(key_name, sizeof(int));
	if (tld_key_is_err(tld_keys[id]))
		err = 2;
out:
	return (void *)(intptr_t)err;
}

static pthread_t race_thread[TEST_RACE_THREAD_NUM];
static struct test_task_local_data *race_skel;
static int race_fd;

/* uls: one round of upstream's loop, in a child of its own (reset_tld()). */
static void test_task_local_data_race_round(void *unused)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	pthread_t *thread = race_thread;
	struct test_task_local_data *skel = race_skel;
	int fd = race_fd, i, err, *data;
	void *ret = NULL;

	tld_keys = calloc(TLD_MAX_DATA_CNT, sizeof(tld_key_t));
	if (!ASSERT_OK_PTR(tld_keys, "calloc tld_keys"))
		return;
	tld_keys[0] = value0_key;


	for (i = 0; i < TEST_RACE_THREAD_NUM; i++) {
		/*
		 * Try to make tld_create_key() race with each other. Call
		 * tld_create_key(), both valid and invalid, from different threads.
		 */
		err = pthread_create(&thread[i], NULL, test_task_local_data_race_thread,
				     (void *)(intptr_t)(i + 3));
		if (CHECK_FAIL(err))
			break;
	}

	/* Wait for all tld_create_key() to return */
	for (i = 0; i < TEST_RACE_THREAD_NUM; i++) {
		pthread_join(thread[i], &ret);
		if (CHECK_FAIL(ret))
			break;
	}

	/* Write a unique number to each TLD */
	for (i = 0; i < TLD_MAX_DATA_CNT; i++) {
		data = tld_get_data(fd, tld_keys[i]);
		if (CHECK_FAIL(!data))
			break;
		*data = i;
	}

	/* Read TLDs and check the value to see if any address collides with another */
	for (i = 0; i < TLD_MAX_DATA_CNT; i++) {
		data = tld_get_data(fd, tld_keys[i]);
		if (CHECK_FAIL(*data != i))
			break;
	}

	/* Run task_main to make sure no invalid TLDs are added */
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.task_main), &opts);
	ASSERT_OK(err, "run task_main");
	ASSERT_OK(opts.retval, "task_main retval");
	free(tld_keys);
	tld_keys = NULL;
}

static void test_task_local_data_race(void *unused)
{
	struct test_task_local_data *skel;
	int fd, j;

	skel = test_task_local_data__open_and_load();
	if (!ASSERT_OK_PTR(skel, "skel_open_and_load"))
		return;

	fd = bpf_map__fd(skel->maps.tld_data_map);

	ASSERT_FALSE(tld_key_is_err(value0_key), "TLD_DEFINE_KEY");

	race_skel = skel;
	race_fd = fd;
	/*
	 * uls: 10 rounds, not 100: each starts TLD_MAX_DATA_CNT - 3 threads,
	 * 1021 here against upstream's 60, in an emulated CPU; and no new
	 * round after 60 s (a KASAN kernel takes 30 s a round), but 2 at
	 * least.
	 */
	time_t start = time(NULL);

	for (j = 0; j < 10 && (j < 2 || time(NULL) - start < 60); j++) {
		reset_tld(TLD_DYN_DATA_SIZE_MAX);
		if (t_in_child(test_task_local_data_race_round, NULL))
			break;
	}
	printf("task_local_data_race: %d rounds\n", j);
	if (tld_keys) {
		free(tld_keys);
		tld_keys = NULL;
	}
	tld_free();
	test_task_local_data__destroy(skel);
}

static void test_task_local_data_dyn_size(void *arg)
{
	__u16 dyn_data_size = (uintptr_t)arg;
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	struct test_task_local_data *skel;
	int max_keys, i, err, fd, *data;
	char name[TLD_NAME_LEN];
	tld_key_t key;

	reset_tld(dyn_data_size);

	skel = test_task_local_data__open_and_load();
	if (!ASSERT_OK_PTR(skel, "skel_open_and_load"))
		return;

	tld_keys = calloc(TLD_MAX_DATA_CNT, sizeof(tld_key_t));
	if (!ASSERT_OK_PTR(tld_keys, "calloc tld_keys"))
		goto out;

	fd = bpf_map__fd(skel->maps.tld_data_map);

	/*
	 * uls: a key of its own takes all of max_len but @dyn_data_size
	 * bytes, the budget upstream sets with TLD_DYN_DATA_SIZE.
	 */
	{
		size_t off = uls_key_data(uls_value0_end(), 64);
		size_t end = uls_capacity() - dyn_data_size;

		key = tld_create_key("uls_dyn_data_budget", end - off);
		if (!ASSERT_FALSE(tld_key_is_err(key), "tld_create_key budget"))
			goto out;
		for (max_keys = 0;
		     uls_key_data(end, sizeof(int)) + sizeof(int) <= uls_capacity();
		     max_keys++)
			end = uls_key_data(end, sizeof(int)) + sizeof(int);
	}

	/* Create as many int-sized TLDs as the dynamic data size allows */
	for (i = 0; i < max_keys; i++) {
		snprintf(name, TLD_NAME_LEN, "value_%d", i);
		tld_keys[i] = tld_create_key(name, sizeof(int));
		if (!ASSERT_FALSE(tld_key_is_err(tld_keys[i]), "tld_create_key"))
			goto out;

		data = tld_get_data(fd, tld_keys[i]);
		if (!ASSERT_OK_PTR(data, "tld_get_data"))
			goto out;
		*data = i;
	}

	/* The next key should fail with E2BIG */
	key = tld_create_key("overflow", sizeof(int));
	ASSERT_EQ(tld_key_err_or_zero(key), -E2BIG, "tld_create_key overflow");

	/* Verify data for value_i do not overlap */
	for (i = 0; i < max_keys; i++) {
		data = tld_get_data(fd, tld_keys[i]);
		if (!ASSERT_OK_PTR(data, "tld_get_data"))
			goto out;

		ASSERT_EQ(*data, i, "tld_get_data value_i");
	}

	/* Verify BPF side can still read the static key */
	data = tld_get_data(fd, value0_key);
	if (!ASSERT_OK_PTR(data, "tld_get_data value0"))
		goto out;
	*data = 0xdeadbeef;

	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.task_main), &opts);
	ASSERT_OK(err, "run task_main");
	ASSERT_EQ(skel->bss->test_value0, 0xdeadbeef, "tld_get_data value0");

out:
	if (tld_keys) {
		free(tld_keys);
		tld_keys = NULL;
	}
	tld_free();
	test_task_local_data__destroy(skel);
}

/* uls: the runner's hook for test_lifecycle.c, which is not linked here. */
int exec_helper(int argc, char **argv)
{
	return 2;
}

/*
 * uls: each subtest a test, in a child forked with value0 only;
 * tests/test_tld.c runs them as task_local_data_<name>.
 */
ULS_TEST(basic)
{
	t_in_child(test_task_local_data_basic, NULL);
}

ULS_TEST_TIMEOUT(race, 1800)
{
	t_in_child(test_task_local_data_race, NULL);
}

ULS_TEST(dyn_size_small)
{
	t_in_child(test_task_local_data_dyn_size, (void *)(uintptr_t)64);
}

ULS_TEST(dyn_size_zero)
{
	t_in_child(test_task_local_data_dyn_size, (void *)(uintptr_t)0);
}
