/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small test_progs-style framework. Each test is a function registered
 * with ULS_TEST(); the runner forks a fresh process for it, so a test that
 * crashes, leaks a registration or leaves a BPF program attached cannot
 * disturb the next one. ASSERT_*() print what they saw, mark the test
 * failed and return the outcome as a bool, so a test can stop early:
 *
 *	if (!ASSERT_OK(err, "register"))
 *		goto cleanup;
 *
 * A process the test forks reports the same way: t_in_child() (helpers.h)
 * runs it, and its failed ASSERT_*() fail the test.
 */
#ifndef ULS_TEST_H
#define ULS_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct uls_test {
	const char *name;
	void (*fn)(void);
	/*
	 * Instead of @fn, for tests made at run time (one per tagged BPF
	 * program, test_verifier.c): called with the test itself.
	 */
	void (*run)(const struct uls_test *self);
	int timeout_s;			/* 0: the runner's default */
	struct uls_test *next;
};

/* From a constructor: tests run in the order they are registered. */
void test__register(struct uls_test *t);
int exec_helper(int argc, char **argv);
/* test_keys_cost.c's, in uls_test only: the other runners need no stub. */
int keys_cost_worker(int argc, char **argv) __attribute__((weak));
void test__fail(void);
bool test__failed(void);
/* In a process the test forked (t_start_child()): its own verdict, clean. */
void test__start_child(void);
/*
 * End the test as skipped, "ok N - NAME # SKIP @why": only for what the
 * kernel under test lacks (a config option, a verifier feature), never for
 * a result. A test that failed an ASSERT before stays failed.
 */
void test__skip(const char *why) __attribute__((noreturn));

#define ULS_TEST_TIMEOUT(_name, _timeout)				\
	static void test_##_name(void);					\
	static struct uls_test __test_##_name = {			\
		.name = #_name, .fn = test_##_name,			\
		.timeout_s = (_timeout),				\
	};								\
	__attribute__((constructor)) static void __reg_##_name(void)	\
	{								\
		test__register(&__test_##_name);			\
	}								\
	static void test_##_name(void)

#define ULS_TEST(_name) ULS_TEST_TIMEOUT(_name, 0)

#define __ASSERT(ok, fmt, ...) ({					\
	bool ___ok = (ok);						\
	if (!___ok) {							\
		test__fail();						\
		fprintf(stderr, "%s:%d: FAIL: " fmt "\n",		\
			__func__, __LINE__, ##__VA_ARGS__);		\
	}								\
	___ok;								\
})

#define ASSERT_TRUE(cond, name)						\
	__ASSERT(!!(cond), "%s: unexpected false", (name))
#define ASSERT_FALSE(cond, name)					\
	__ASSERT(!(cond), "%s: unexpected true", (name))

#define ASSERT_EQ(actual, expected, name) ({				\
	long long ___a = (long long)(actual);				\
	long long ___e = (long long)(expected);				\
	__ASSERT(___a == ___e, "%s: actual %lld != expected %lld",	\
		 (name), ___a, ___e);					\
})
#define ASSERT_NEQ(actual, expected, name) ({				\
	long long ___a = (long long)(actual);				\
	long long ___e = (long long)(expected);				\
	__ASSERT(___a != ___e, "%s: actual %lld == %lld",		\
		 (name), ___a, ___e);					\
})
#define ASSERT_GE(actual, expected, name) ({				\
	long long ___a = (long long)(actual);				\
	long long ___e = (long long)(expected);				\
	__ASSERT(___a >= ___e, "%s: actual %lld < expected %lld",	\
		 (name), ___a, ___e);					\
})
#define ASSERT_LE(actual, expected, name) ({				\
	long long ___a = (long long)(actual);				\
	long long ___e = (long long)(expected);				\
	__ASSERT(___a <= ___e, "%s: actual %lld > expected %lld",	\
		 (name), ___a, ___e);					\
})
#define ASSERT_LT(actual, expected, name) ({				\
	long long ___a = (long long)(actual);				\
	long long ___e = (long long)(expected);				\
	__ASSERT(___a < ___e, "%s: actual %lld >= expected %lld",	\
		 (name), ___a, ___e);					\
})
#define ASSERT_GT(actual, expected, name) ({				\
	long long ___a = (long long)(actual);				\
	long long ___e = (long long)(expected);				\
	__ASSERT(___a > ___e, "%s: actual %lld <= expected %lld",	\
		 (name), ___a, ___e);					\
})

/* For calls returning 0 or a negative errno (or -1 with errno set). */
#define ASSERT_OK(res, name) ({						\
	long long ___r = (long long)(res);				\
	__ASSERT(___r == 0, "%s: unexpected error %lld (errno %d: %s)",	\
		 (name), ___r, errno, strerror(errno));			\
})
/* The call failed with exactly @err (a positive errno): -err or -1/errno. */
#define ASSERT_ERRNO(res, err, name) ({					\
	long long ___r = (long long)(res);				\
	int ___got = ___r == -1 ? errno : (int)-___r;			\
	__ASSERT(___r < 0 && ___got == (err),				\
		 "%s: expected -%s, got %lld (errno %d: %s)", (name),	\
		 strerrorname_np(err) ?: "?", ___r, errno,		\
		 strerror(errno));					\
})
#define ASSERT_OK_PTR(ptr, name)					\
	__ASSERT((ptr) != NULL, "%s: unexpected NULL (errno %d: %s)",	\
		 (name), errno, strerror(errno))
#define ASSERT_NULL(ptr, name)						\
	__ASSERT((ptr) == NULL, "%s: expected NULL, got %p", (name),	\
		 (void *)(ptr))
#define ASSERT_STRSTR(haystack, needle, name)				\
	__ASSERT((haystack) && strstr((haystack), (needle)),		\
		 "%s: '%s' not found in:\n%s", (name), (needle),	\
		 (haystack) ? (haystack) : "(null)")

#endif /* ULS_TEST_H */
