// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* uls_area(): the calling thread's own area, from the pool. */
#include <errno.h>

#include "internal.h"

/*
 * What this thread got from uls_area(). "registered" goes false in the
 * child after fork(), whose thread is a new one.
 */
static __thread struct {
	void *area;
	size_t size;		/* the block's size, >= what was asked */
	bool registered;
} self;

void *uls_area(size_t size)
{
	const struct uls_owner *o = uls_owner();
	int err;

	if (o)
		return o->area(size);
	if (!size) {
		errno = EINVAL;
		return NULL;
	}
	if (uls_held != ULS_HELD_NONE && uls_held != ULS_HELD_AREA) {
		errno = EBUSY;
		return NULL;
	}
	if (self.area && size > self.size) {
		errno = ENOSPC;
		return NULL;
	}
	if (!self.area) {
		self.area = uls_block_alloc(size, &self.size);
		if (!self.area) {
			errno = ENOMEM;
			return NULL;
		}
		uls_arm_thread_exit(self.area);
	}
	if (!self.registered) {
		err = uls_register_excl(self.area, self.size);
		if (err) {
			errno = -err;
			return NULL;
		}
		self.registered = true;
		uls_held = ULS_HELD_AREA;
	}
	return self.area;
}

/*
 * Thread exit: unregister, then free the block into quarantine, so that
 * its next owner gets it only once BPF can no longer store into it.
 */
void uls_area_thread_exit(void)
{
	if (!self.area)
		return;
	if (self.registered) {
		uls_unregister_raw();
		uls_held = ULS_HELD_NONE;
	}
	uls_block_free(self.area, self.size);
	self.area = NULL;
	self.registered = false;
}

/* The child's thread is a new one: it registers its copy on its next call. */
void uls_area_forked(void)
{
	if (self.registered)
		uls_held = ULS_HELD_NONE;
	self.registered = false;
}
