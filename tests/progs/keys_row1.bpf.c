// SPDX-License-Identifier: GPL-2.0
/*
 * keys.bpf.c with a cache of one row per call site: every process shares
 * it, so each one's lookups meet the other's offsets.
 */
#define ULS_KEY_CACHE_ROWS 1
#include "keys.bpf.c"
