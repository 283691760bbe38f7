/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Task local data (TLD) for BPF programs, on uls: the BPF API of the
 * kernel's tools/testing/selftests/bpf/progs/task_local_data.bpf.h, with
 * its semantics, on every kernel uls supports (no UPTR, no bpf_strncmp, no
 * open-coded iterators). A TLD program builds against uls by including
 * this header instead of task_local_data.bpf.h; its user side includes
 * <uls/tld.h> instead of task_local_data.h.
 *
 *	struct tld_keys {
 *		tld_key_t prio;
 *		tld_key_t in_cs;
 *	};
 *
 *	SEC("struct_ops")
 *	void prog(struct task_struct *task, ...)
 *	{
 *		struct tld_object tld_obj;
 *		int *p;
 *
 *		if (tld_object_init(task, &tld_obj))
 *			return;
 *		p = tld_get_data(&tld_obj, prio, "priority", sizeof(int));
 *		if (p)
 *			// do something depending on *p
 *	}
 *
 * What differs from upstream, none of it in the source a program writes:
 *
 *   - The key cache, struct tld_keys, lives in an array map, tld_key_map,
 *     with a row per process (TLD_KEY_MAP_ROWS rows, by tgid), not in task
 *     storage: a key's offset is the same in every thread of a process,
 *     and an array lookup is inlined. Processes that share a row take
 *     turns; each lookup checks the key's descriptor, so they never get
 *     each other's offsets wrong.
 *   - tld_object_init() never fails with -ENOMEM (an array has its rows).
 *   - tld_data_map is an unused array: it exists so that user code that
 *     passes bpf_map__fd(skel->maps.tld_data_map) to tld_get_data(),
 *     which ignores it, builds unchanged.
 *   - Limits are uls's: TLD_MAX_DATA_CNT keys (ULS_KEYS_MAX, 1024), names
 *     shorter than TLD_NAME_LEN (ULS_KEY_NAME_MAX, 64) bytes, data up to
 *     the module's max_len per thread.
 *   - A key smaller than @size gives NULL, as upstream; a key never
 *     created, too, without caching the miss: each such call walks the
 *     task's keys again.
 */
#ifndef __ULS_TLD_BPF_H
#define __ULS_TLD_BPF_H

#include <bpf/bpf_helpers.h>
#include "uls.bpf.h"

/* BPF programs cannot include <errno.h> on every distribution. */
#ifndef ENOMEM
#define ENOMEM 12
#endif
#ifndef ENODATA
#define ENODATA 61
#endif

#define TLD_ROUND_MASK(x, y) ((__typeof__(x))((y) - 1))
#define TLD_ROUND_UP(x, y) ((((x) - 1) | TLD_ROUND_MASK(x, y)) + 1)

#define TLD_MAX_DATA_CNT ULS_KEYS_MAX

#ifndef TLD_NAME_LEN
#define TLD_NAME_LEN ULS_KEY_NAME_MAX
#endif

#ifndef TLD_KEY_MAP_ROWS
#define TLD_KEY_MAP_ROWS ULS_KEY_CACHE_ROWS
#endif

/*
 * A one-row cache of bpf_uls_key_get(): the offset of the key's
 * descriptor in the process's threads, and the process image it was found
 * in; 0: unknown.
 */
typedef struct {
	__u64 row;
} tld_key_t;

struct tld_object {
	struct task_struct *task;
	struct tld_keys *key_map;	/* the cache row of task's process */
};

/*
 * Map value of tld_key_map for caching keys. Must be defined by the
 * developer. Members should be tld_key_t, passed by name to
 * tld_get_data().
 */
struct tld_keys;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TLD_KEY_MAP_ROWS);
	__type(key, __u32);
	__type(value, struct tld_keys);
} tld_key_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tld_data_map SEC(".maps");

/**
 * tld_object_init() - Initialize a tld_object.
 *
 * @task: The task_struct of the target task
 * @tld_obj: A pointer to a tld_object to be initialized
 *
 * Return 0 on success; -ENODATA if the task has no keyed region: its user
 * space never called tld_get_data() (nor uls_key_get()), or the task's
 * region belongs to uls_area() or uls_register().
 */
__attribute__((unused))
static __always_inline int tld_object_init(struct task_struct *task,
					   struct tld_object *tld_obj)
{
	struct uls_keys_header *h;
	__u32 row;

	tld_obj->task = task;
	tld_obj->key_map = NULL;
	h = (void *)bpf_uls_get(task, sizeof(*h));
	if (!h || h->magic != ULS_KEYS_MAGIC)
		return -ENODATA;
	row = uls__key_row(task) & (TLD_KEY_MAP_ROWS - 1);
	tld_obj->key_map = bpf_map_lookup_elem(&tld_key_map, &row);
	if (!tld_obj->key_map)
		return -ENOMEM;
	return 0;
}

/**
 * tld_get_data() - Retrieve a pointer to the TLD associated with the name.
 *
 * @tld_obj: A pointer to a valid tld_object initialized by tld_object_init()
 * @key: The cached key of the TLD in tld_key_map
 * @name: The name of the key associated with a TLD, a string literal
 * @size: The size of the TLD. Must be a known constant value
 *
 * Return a pointer to the TLD associated with @name; NULL if not found or
 * @size is too big. The pointer is 8-byte aligned (see uls_key_get()).
 * @key caches where the TLD is, for this process, to speed up later calls.
 * It should be defined as a member of tld_keys of tld_key_t type by the
 * developer.
 */
#define tld_get_data(tld_obj, key, name, size)				\
	uls__key_get((tld_obj)->task, &(tld_obj)->key_map->key.row,	\
		     sizeof(__u64), uls_key_hash(name), (size))

#endif /* __ULS_TLD_BPF_H */
