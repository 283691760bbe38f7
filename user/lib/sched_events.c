// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The calling thread's scheduler-event struct (include/uls/sched_events.h),
 * a key like any other: the feed's program finds it by name.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

const volatile struct uls_sched_events *uls_sched_events(void)
{
	static union uls_key_cache key = ULS_KEY_CACHE_INIT;

	return uls__key_get_lazy(&key, ULS_SCHED_EVENTS_KEY,
				 sizeof(struct uls_sched_events));
}

/*
 * An event takes the feed a few hundred nanoseconds to write, so a reader
 * that finds one under way waits with a pause in between, for longer than
 * any event takes even under emulation, before giving up.
 */
#define READ_TRIES 100000

int uls_sched_events_read(const volatile struct uls_sched_events *ev,
			  struct uls_sched_events *out)
{
	for (int i = 0; i < READ_TRIES; i++) {
		uint32_t seq = __atomic_load_n(&ev->seq, __ATOMIC_ACQUIRE);

		if (seq & 1) {
			uls_cpu_relax();
			continue;
		}
		memcpy(out, (const void *)ev, sizeof(*out));
		/* The copy's loads complete before seq is read again. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&ev->seq, __ATOMIC_RELAXED) == seq) {
			out->seq = seq;
			return 0;
		}
	}
	return -EAGAIN;
}
