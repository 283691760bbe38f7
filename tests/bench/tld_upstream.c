// SPDX-License-Identifier: GPL-2.0
/*
 * key_get_vs_tld, upstream's user half: mainline's task_local_data.h as the
 * kernel's selftests ship it (upstream/, vendored unchanged; see
 * upstream/README). What it takes from the selftests (bpf_util.h) is
 * defined here: sys_gettid(), and strscpy() of an array.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define sys_gettid() syscall(SYS_gettid)
#define strscpy(dst, src) snprintf((dst), sizeof(dst), "%s", (src))

/* Its own code, unchanged: without TLD_FREE_DATA_ON_THREAD_EXIT, a
 * variable of __tld_create_key() goes unused. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-variable"
#include "upstream/task_local_data.h"
#pragma GCC diagnostic pop

#include "bench.h"
#include "bench_tld.h"

TLD_DEFINE_KEY(bench_upstream_tld, BENCH_TLD_NAME, sizeof(__u64));

int tld_upstream_get(int map_fd, __u64 **p)
{
	int err = tld_key_err_or_zero(bench_upstream_tld);

	if (err)
		return err;
	errno = 0;
	*p = tld_get_data(map_fd, bench_upstream_tld);
	return *p ? 0 : -(errno ?: ENOENT);
}

/*
 * The user side's cost: upstream's tld_get_data() and a store, @n times,
 * as bench.c times uls_key_get() (the same barrier).
 */
void tld_upstream_stores(int map_fd, long n)
{
	for (long i = 0; i < n; i++) {
		__u64 *v = tld_get_data(map_fd, bench_upstream_tld);

		__asm__ volatile("" : "+r"(v) : : "memory");
		*v = i;
	}
}

/*
 * Unpin the thread's data with a delete before it is freed, while the
 * page is still mapped: left to the thread's exit, the last reference may
 * drop under a raw spinlock from an RCU callback, which 7.2-rt does not
 * survive (bench.c's uptr_unpin() says more).
 */
void tld_upstream_free(int map_fd)
{
	int fd = syscall(SYS_pidfd_open, sys_gettid(), O_EXCL);

	if (fd >= 0) {
		bpf_map_delete_elem(map_fd, &fd);
		close(fd);
	}
	tld_free();
}
