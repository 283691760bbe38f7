/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <errno.h> for bench_tld_upstream.bpf.c alone: upstream's
 * task_local_data.bpf.h includes it for ENODATA and ENOMEM, and glibc's
 * cannot be compiled for -target bpf. The kernel's numbers, arch-free.
 */
#ifndef __ULS_BENCH_COMPAT_ERRNO_H
#define __ULS_BENCH_COMPAT_ERRNO_H
#include <asm-generic/errno.h>
#endif
