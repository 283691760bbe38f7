/* SPDX-License-Identifier: GPL-2.0 */
/* What many tests need: raw ioctls, the BPF-side view, kernel counters. */
#ifndef ULS_TEST_HELPERS_H
#define ULS_TEST_HELPERS_H

#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include <linux/uls.h>

#include "counters.h"
#include "progs/probe.h"

struct probe;
struct bpf_object;
struct bpf_program;

/*
 * Run a SYSCALL program once with BPF_PROG_TEST_RUN on @ctx (written back
 * in place); 0 and *retval set, or -errno.
 */
int run_prog(const struct bpf_program *prog, void *ctx, size_t size,
	     int *retval);

/*
 * Load only @prog_name of the opened, not yet loaded @obj, expecting the
 * verifier to refuse it with one of @msgs (NULL-terminated) in its log.
 * Fails the test otherwise. @obj is left for the caller to destroy.
 */
void expect_load_refused(struct bpf_object *obj, const char *prog_name,
			 const char *const msgs[]);

/*
 * Whether the running kernel's BTF has enumerator @value in enum @type: a
 * feature probe, e.g. ("bpf_type_flag", "MEM_RCU") for kernels whose
 * kfuncs take RCU-protected pointers (6.2+). -errno if BTF is unreadable.
 */
int kernel_has_enum_value(const char *type, const char *value);

/* The raw ABI, without libuls: each returns 0 or a negative errno. */
int dev_open(void);
int raw_register(int fd, const void *addr, __u64 len);
int raw_register_region(int fd, const struct uls_region *r);
int raw_unregister(int fd);
int raw_query(int fd, struct uls_region *r);
int raw_info(int fd, struct uls_info *info);

/* Anonymous private read-write mapping of @pages pages (NULL on error). */
void *map_pages(size_t pages);

/*
 * The calling thread's region as a BPF program sees it, through the
 * SYSCALL programs of probe.bpf.c run with BPF_PROG_TEST_RUN.
 */
struct probe *probe_load(void);
void probe_destroy(struct probe *p);
int probe_run(struct probe *p, const char *prog, struct probe_ctx *c);
__u64 probe_len(struct probe *p);
/* 1 and *val set if bpf_uls_get(current, 8) found the region, else 0 */
int probe_load_u64(struct probe *p, __u64 *val);
int probe_store_u64(struct probe *p, __u64 val);
int probe_load_at(struct probe *p, __u64 off, __u64 *val);
int probe_store_at(struct probe *p, __u64 off, __u64 val);
__u64 probe_sizes(struct probe *p);
__u64 probe_size_bit(__u64 size);	/* its bit in probe_sizes() */

/* Live registrations and pinned pages, all processes (ULS_IOC_INFO). */
int uls_counts(__u64 *entries, __u64 *pinned_pages);
/*
 * Wait until the counts reach the given values: entries are freed after
 * two grace periods, in a workqueue, so this takes a moment.
 */
int wait_counts(__u64 entries, __u64 pinned_pages, int timeout_ms);

/*
 * Wait until no registration is left anywhere and all of their pins are
 * released: tests that measure global counters start from there, not from
 * whatever the previous test's deferred frees are still doing.
 */
int settle(void);

/* nr_foll_pin_acquired - nr_foll_pin_released, from /proc/vmstat */
long long foll_pins_held(void);

/* Run @fn(arg) in a new thread and wait for it; returns fn's result. */
long in_thread(long (*fn)(void *), void *arg);

/* Fill @buf with a pattern derived from @seed, or check it. */
void fill_pattern(void *buf, size_t len, unsigned int seed);
size_t check_pattern(const void *buf, size_t len, unsigned int seed);
/* The same for a part of a filled buffer, starting at its byte @first. */
size_t check_pattern_at(const void *buf, size_t len, size_t first,
			unsigned int seed);

/*
 * For the rest of this process: drop CAP_IPC_LOCK and set RLIMIT_MEMLOCK
 * to @bytes, so that uls's charge limit applies (the VM runs as root).
 */
int limit_memlock(unsigned long bytes);

/*
 * Run @fn(@arg) in a forked child. Returns its exit status: 0 if none of
 * its ASSERT_*() failed, 128 + signal if it died, or -errno.
 */
int in_child(void (*fn)(void *), void *arg);

/*
 * A page whose first touch sleeps until uffd_answer(): a userfaultfd
 * registered on it for missing pages. Returns the userfaultfd (the page
 * in *@page), or -errno. A sleepable BPF program that copies from it
 * sleeps, and with it every RCU Tasks Trace grace period, so uls frees
 * nothing meanwhile.
 */
int uffd_bait(char **page);
/* Wait until something faults on the bait (and now sleeps in the fault). */
int uffd_wait_fault(int uffd);
/* Answer the fault with a zero page: the faulting thread goes on. */
int uffd_answer(int uffd, char *page);

int sys_gettid(void);
void msleep(int ms);
/* CLOCK_MONOTONIC in seconds */
double mono_now(void);

#endif /* ULS_TEST_HELPERS_H */
