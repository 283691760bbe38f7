// SPDX-License-Identifier: GPL-2.0
/*
 * bench.bpf.c with mainline's UPTR (6.13+) among the lookups: loads only
 * where the kernel knows __uptr; bench.c falls back to bench.bpf.c.
 */
#define BENCH_WITH_UPTR
#include "bench.bpf.c"
