// SPDX-License-Identifier: GPL-2.0
/*
 * key_get_vs_tld, uls's side: TLD's BPF API as uls implements it
 * (bpf/tld.bpf.h), on every kernel. bench_tld_upstream.bpf.c is the same
 * program on upstream's TLD.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "tld.bpf.h"

#include "bench_tld.bpf.h"
