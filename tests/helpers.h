/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What many tests need: raw ioctls, the BPF-side view, kernel counters,
 * waiting (wait.h), children. Every helper is named t_*, as liburing's test
 * helpers are, so that none can be taken for libuls (uls_*). Those that
 * return an int return a value >= 0 or a negative errno; those that return
 * a pointer return NULL and set errno.
 */
#ifndef ULS_TEST_HELPERS_H
#define ULS_TEST_HELPERS_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include <linux/uls.h>

#include "counters.h"
#include "wait.h"
#include "progs/probe.h"

struct probe;
struct bpf_program;

int t_gettid(void);

/* The raw ABI, without libuls. */
int t_dev_open(void);
int t_ioc_register(int fd, const void *addr, __u64 len);
int t_ioc_register_region(int fd, const struct uls_region *r);
int t_ioc_unregister(int fd);
int t_ioc_query(int fd, struct uls_region *r);
int t_ioc_info(int fd, struct uls_info *info);

/*
 * The module's limits, as it reports them (ULS_IOC_INFO), never copied:
 * the largest region in bytes...
 */
long t_max_len(void);
/*
 * ...and the size of its lookup table when it holds nothing. The guest
 * reads stats/table_slots at load, before anything registered, into
 * $ULS_TABLE_MIN_SLOTS; elsewhere, once t_settle() found the table
 * empty, what it reads now.
 */
long t_table_min_slots(void);

/*
 * The start most tests share, each step ASSERTed: no registration left
 * anywhere (t_settle(), so that global counters start from their rest),
 * /dev/uls open, and with T_PROBE probe.bpf.o loaded. False if a step
 * failed, and the test with it. t_teardown() undoes whatever was done.
 */
struct t_ctx {
	int fd;				/* /dev/uls */
	struct probe *probe;		/* with T_PROBE */
};
#define T_PROBE 1
bool t_setup(struct t_ctx *c, unsigned int flags);
void t_teardown(struct t_ctx *c);

/* Live registrations and pinned pages, all processes (ULS_IOC_INFO). */
int t_counts(__u64 *entries, __u64 *pinned_pages);
/* t_wait_until() the counts are these (printing them if they never are). */
int t_wait_counts(__u64 entries, __u64 pinned_pages, int timeout_ms);
/*
 * Wait until no registration is left anywhere and all of their pins are
 * released: tests that measure global counters start from there, not from
 * whatever the previous test's deferred frees are still doing.
 */
int t_settle(void);

/* nr_foll_pin_acquired - nr_foll_pin_released, from /proc/vmstat */
long long t_foll_pins_held(void);

/* Anonymous private read-write mapping of @pages pages. */
void *t_map_pages(size_t pages);

/*
 * Run a SYSCALL program once with BPF_PROG_TEST_RUN on @ctx (written back
 * in place): its return value, or -errno.
 */
int t_run_prog(const struct bpf_program *prog, void *ctx, size_t size);

/*
 * Whether the running kernel's BTF has enumerator @value in enum @type (1
 * or 0): a feature probe, e.g. ("bpf_type_flag", "MEM_RCU") for kernels
 * whose kfuncs take RCU-protected pointers (6.2+).
 */
int t_kernel_has_enum_value(const char *type, const char *value);

/*
 * The calling thread's region as a BPF program sees it, through the
 * SYSCALL programs of probe.bpf.c run with BPF_PROG_TEST_RUN.
 */
struct probe *t_probe_load(void);
void t_probe_destroy(struct probe *p);
int t_probe_run(struct probe *p, const char *prog, struct probe_ctx *c);
long t_probe_len(struct probe *p);
/* 1 and *val set if bpf_uls_get(current, 8) found the region, else 0 */
int t_probe_load_u64(struct probe *p, __u64 *val);
int t_probe_store_u64(struct probe *p, __u64 val);
int t_probe_load_at(struct probe *p, __u64 off, __u64 *val);
int t_probe_store_at(struct probe *p, __u64 off, __u64 val);
/* Which of PROBE_SIZES() bpf_uls_get() finds room for: one bit each. */
long t_probe_sizes(struct probe *p);
__u64 t_probe_size_bit(__u64 size);
/* The bits of the sizes that fit in a region of @len bytes. */
__u64 t_probe_sizes_within(__u64 len);

/* Run @fn(arg) in a new thread and wait for it; returns fn's result. */
long t_in_thread(long (*fn)(void *), void *arg);

/*
 * Run @fn(@arg) in a forked child whose ASSERT_*() are the test's own: if
 * one fails, or the child dies, the test fails. 0 if the child passed,
 * -ECHILD if not (its FAIL lines, or how it died, are in the output), or
 * -errno if it could not be run. The child ends when @fn returns, or
 * earlier through exit(), _exit() or exec.
 */
int t_in_child(void (*fn)(void *), void *arg);
/* The same in two steps, for a test that talks to the child meanwhile. */
pid_t t_start_child(void (*fn)(void *), void *arg);
int t_wait_child(pid_t pid);

/*
 * Run the program @argv (with @env, "NAME=value", added; as uid and gid
 * @uid when not 0) and wait for it: its exit status, or -1 if it could
 * not be run or did not exit. Its standard output, and its errors too
 * with @errors, go to @out (NUL-terminated, cut at @size).
 */
int t_run_capture(char *const argv[], const char *env, uid_t uid, bool errors,
		  char *out, size_t size);

/* Fill @buf with a pattern derived from @seed, or count its bad bytes. */
void t_fill_pattern(void *buf, size_t len, unsigned int seed);
size_t t_check_pattern(const void *buf, size_t len, unsigned int seed);
/* The same for a part of a filled buffer, starting at its byte @first. */
size_t t_check_pattern_at(const void *buf, size_t len, size_t first,
			  unsigned int seed);

/* Take @cap out of this process's effective and permitted sets. */
int t_drop_cap(int cap);

/*
 * For the rest of this process: drop CAP_IPC_LOCK and set RLIMIT_MEMLOCK
 * to @bytes, so that uls's charge limit applies (the VM runs as root).
 */
int t_limit_memlock(unsigned long bytes);

/*
 * A page whose first touch sleeps until t_uffd_answer(): a userfaultfd
 * registered on it for missing pages. Returns the userfaultfd (the page
 * in *@page). A sleepable BPF program that copies from it sleeps, and
 * with it every RCU Tasks Trace grace period, so uls frees nothing
 * meanwhile.
 */
int t_uffd_bait(char **page);
/* Wait until something faults on the bait (and now sleeps in the fault). */
int t_uffd_wait_fault(int uffd);
/* Answer the fault with a zero page: the faulting thread goes on. */
int t_uffd_answer(int uffd, char *page);

#endif /* ULS_TEST_HELPERS_H */
