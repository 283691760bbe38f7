/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one way the tests wait for what the module does in the background
 * (entries are freed after two grace periods, by a work item): here, not
 * in helpers.c, because the benchmark's counters.c waits the same way and
 * links nothing else.
 */
#ifndef ULS_TEST_WAIT_H
#define ULS_TEST_WAIT_H

#include <errno.h>
#include <stdbool.h>
#include <time.h>

/* CLOCK_MONOTONIC in seconds */
static inline double t_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CLOCK_MONOTONIC in nanoseconds */
static inline unsigned long long t_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static inline void t_msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Wait until @cond holds, evaluating it every T_POLL_MS, for @timeout_ms
 * at most: 0, or -ETIMEDOUT. @cond is checked once more when the time is
 * up, so a timeout of 0 checks it once. Follow it with the ASSERT that
 * says what was expected, which prints what was seen:
 *
 *	t_wait_until(t_vm_pin_kb() == vmpin, 10000);
 *	ASSERT_EQ(t_vm_pin_kb(), vmpin, "VmPin back");
 */
#define T_POLL_MS 10
#define t_wait_until(cond, timeout_ms) ({				\
	double ___deadline = t_now() + (timeout_ms) / 1000.0;		\
	bool ___held;							\
									\
	while (!(___held = (cond)) && t_now() < ___deadline)		\
		t_msleep(T_POLL_MS);					\
	___held ? 0 : -ETIMEDOUT;					\
})

#endif /* ULS_TEST_WAIT_H */
