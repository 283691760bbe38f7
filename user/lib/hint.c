// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The calling thread's scheduling hint (include/uls/hint.h), a key like
 * any other: a scheduler finds it by name.
 */
#include <errno.h>

#include "internal.h"

struct uls_hint *uls_hint(void)
{
	static union uls_key_cache key = ULS_KEY_CACHE_INIT;

	return uls__key_get_lazy(&key, ULS_HINT_KEY, sizeof(struct uls_hint));
}

int uls_hint_set(enum uls_hint_class class)
{
	struct uls_hint *h;

	if ((unsigned int)class >= ULS_HINT_NR_CLASSES)
		return -EINVAL;
	h = uls_hint();
	if (!h)
		return -errno;
	__atomic_store_n(&h->class, class, __ATOMIC_RELAXED);
	return 0;
}

int uls_hint_set_nice(int nice)
{
	struct uls_hint *h;

	if (nice < ULS_HINT_NICE_MIN || nice > ULS_HINT_NICE_MAX)
		return -EINVAL;
	h = uls_hint();
	if (!h)
		return -errno;
	__atomic_store_n(&h->nice, nice, __ATOMIC_RELAXED);
	return 0;
}
