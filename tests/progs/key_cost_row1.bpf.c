// SPDX-License-Identifier: GPL-2.0
/*
 * key_cost.bpf.c with a cache of one row: every process shares it, so
 * each one's lookups meet the other's offsets and process images.
 */
#define ULS_KEY_CACHE_ROWS 1
#include "key_cost.bpf.c"
