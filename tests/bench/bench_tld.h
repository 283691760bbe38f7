/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user halves of key_get_vs_tld, each in a file of its own because
 * uls's tld.h and upstream's task_local_data.h define the same names:
 * tld_uls.c and tld_upstream.c. Each gives the calling thread its TLD of
 * BENCH_TLD_NAME (8 bytes, zeroed), through tld_get_data(), which
 * registers the thread on its first call: 0 and *p, or a negative errno.
 */
#ifndef __ULS_BENCH_TLD_H
#define __ULS_BENCH_TLD_H

#include <linux/types.h>

/* uls: user/lib/tld.h. */
int tld_uls_get(__u64 **p);
void tld_uls_free(void);

/* Upstream: a bpf_map_update_elem() on @map_fd, the tld_data_map of
 * bench_tld_upstream.bpf.c. */
int tld_upstream_get(int map_fd, __u64 **p);
void tld_upstream_stores(int map_fd, long n);
void tld_upstream_free(int map_fd);

#endif /* __ULS_BENCH_TLD_H */
