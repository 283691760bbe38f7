// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF-facing API: kfuncs that hand a program the memory a thread
 * registered. They take no locks and allocate nothing, so any program on
 * any hook may call them, including from scheduler and NMI context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>

#include <uapi/linux/uls.h>
#include <uls/key_layout.h>

#include "../module/uls.h"
#include "uls_kfuncs.h"

/* Keeps enum uls_kfunc_api in the module's BTF for uls_loaded(). */
const enum uls_kfunc_api uls_kfunc_api_level = ULS_KFUNC_API_V3;

/*
 * A row of a program's key cache (a __u64 to the program, zeroed at
 * first): the offset of a key's descriptor in units of 8 bytes, which the
 * hit path loads alone and scales, so that the data stays 8-byte aligned
 * whatever the program (or its loader, through the skeleton's .bss)
 * wrote; and the tag of the process image that found it there
 * (uls_key_tag()).
 */
union uls_key_row {
	u64 word;
	struct {
		u32 off8;
		u32 tag;
	};
};

/*
 * An image's tag: its id's bits above the 8 that choose its row in a
 * cache of up to 256 rows, so that all 32 bits tell apart the images
 * that share a row.
 */
static inline u32 uls_key_tag(u64 image8)
{
	return image8 >> (ULS_IMAGE_ROW_SHIFT + 8);
}

/*
 * A load that is done once, as READ_ONCE()'s, for the hit path: gcc 12
 * (Debian 12's, which 6.1's modules are built with) folds no volatile
 * load into an addressing mode or the instruction that uses it, which
 * costs one more instruction each. Nothing after the empty asm can load
 * the value from memory again.
 */
#define uls_load_once(x)						\
({									\
	u64 __v = (x);							\
									\
	OPTIMIZER_HIDE_VAR(__v);					\
	__v;								\
})

/*
 * Keys (include/uls/key_layout.h): the thread writes its region as it
 * likes, descriptors too, at any time. Each field is read once, and
 * every offset is checked against @room before use, so that the worst a
 * thread can do is have a program get other bytes of its own region.
 */

/*
 * The descriptor at @off and @size bytes of data after it, or NULL. In
 * s64, where @off (a row's is below 2^35) and @size cannot wrap and a
 * negative @room (gone) fails.
 */
static __always_inline struct uls_key_desc *
uls_key_desc_at(void *kaddr, s32 room, u64 off, u32 size)
{
	s64 end = (s64)off + (s64)sizeof(struct uls_key_desc) + size;

	return end <= room ? kaddr + off : NULL;
}

/*
 * The offset of the descriptor for @hash in a keyed region, if its key
 * has at least @size bytes and the region holds them; 0 otherwise. At
 * most ULS_KEYS_MAX steps, only forward, and only to multiples of 8: the
 * data's alignment is what lets programs use atomics on it, and must not
 * depend on what the thread wrote.
 */
static u32 uls_key_find(void *kaddr, s32 room, u64 hash, u32 size)
{
	const struct uls_keys_header *h = kaddr;
	u32 off, i;

	if (room < (s32)sizeof(*h) || READ_ONCE(h->magic) != ULS_KEYS_MAGIC)
		return 0;
	off = READ_ONCE(h->first);
	for (i = 0; i < ULS_KEYS_MAX; i++) {
		const struct uls_key_desc *d;
		u32 next;

		if (!off || (off & 7) || off >= ULS_KEYS_CAPACITY_MAX)
			return 0;
		d = uls_key_desc_at(kaddr, room, off, 0);
		if (!d)
			return 0;
		/* Names are unique in a process: a smaller key ends it. */
		if (READ_ONCE(d->hash) == hash)
			return READ_ONCE(d->size) >= size &&
			       uls_key_desc_at(kaddr, room, off, size) ? off : 0;
		next = READ_ONCE(d->next);
		if (next <= off)
			return 0;
		off = next;
	}
	return 0;
}

/*
 * bpf_uls_key_get() when its hit path (below) did not end it, on @e, the
 * entry of its task (or uls_empty): @row_off is its row's offset in
 * @cache, which is NULL when it has no row. Out of line, so that the hit
 * stays short; it reads the row again rather than being handed its
 * value, so that the hit path keeps nothing live for it.
 */
static noinline u64 *uls_key_miss(struct uls_entry *e, void *cache,
				  u32 row_off, u64 hash, u64 size64)
{
	void *kaddr = READ_ONCE(e->kaddr);
	s32 room = READ_ONCE(e->room);
	u64 image8 = READ_ONCE(e->image8), seen;
	union uls_key_row *row = cache ? cache + row_off : NULL;
	union uls_key_row r = { .word = row ? READ_ONCE(row->word) : 0 };
	u32 size = size64, off;
	struct uls_key_desc *d;

	/*
	 * No registration, or one that ended; or a size the verifier would
	 * have refused (bpf_uls_key_get() in uls_kfuncs.h).
	 */
	if (room <= 0 || size != size64)
		return NULL;
	/* The descriptor at the row's offset, if the region holds it. */
	d = uls_key_desc_at(kaddr, room, r.off8 * 8ULL, size);
	seen = d ? READ_ONCE(d->hash) : 0;

	/*
	 * Nothing cached, so the header was read as a descriptor: a region
	 * too short for that, or without the header's magic, has no keys.
	 */
	if (!r.word && !seen)
		return NULL;
	/*
	 * Found in this image, where every thread has the key at that
	 * offset if it has it at all. A hash that is the key's means a key
	 * too small (names are unique in a process); any other is some key
	 * of a layout that is not the process's (a TLD row given another
	 * name), so it walks.
	 */
	if (r.tag == uls_key_tag(image8) && (!seen || seen == hash))
		return NULL;
	uls_stat_add(ULS_STAT_KEY_WALKS, 1);
	off = uls_key_find(kaddr, room, hash, size);
	if (!off)
		return NULL;
	if (row) {
		r.off8 = off / 8;
		r.tag = uls_key_tag(image8);
		WRITE_ONCE(row->word, r.word);
	}
	return kaddr + off + sizeof(struct uls_key_desc);
}

/*
 * bpf_uls_key_get() on @e, its task's entry. The hit path, in one line of
 * tests: the row, its descriptor within the region, its hash and size.
 * The entry's image8 and kaddr never change, and the descriptor's fields
 * are each compared once: plain loads, which gcc 12 folds (see
 * uls_load_once()). The row is the program's, which may change it at
 * any time: its offset is loaded once.
 */
static __always_inline u64 *uls_key_lookup(struct uls_entry *e, void *cache,
					   u32 cache__sz, u64 hash, u64 size)
{
	struct uls_key_desc *d;
	u64 row_off, off8, *p;
	u32 sz8;

	if (unlikely(ULS_KFUNC_MEM_MAY_BE_NULL && !cache))
		return uls_key_miss(e, NULL, 0, hash, size);
	/*
	 * The image's row is (image8 & (cache__sz - 8)) bytes in: for a
	 * power of two, the row of the image's low bits; for any other size
	 * some rows go unused, and none ends past the cache. The borrow is
	 * the test of a cache too small for a row (the verifier lets
	 * cache__sz be 0).
	 */
	if (unlikely(check_sub_overflow(cache__sz, (u32)sizeof(union uls_key_row),
					&sz8)))
		return uls_key_miss(e, NULL, 0, hash, size);
	row_off = e->image8 & sz8;
	off8 = uls_load_once(((union uls_key_row *)(cache + row_off))->off8);
	/* In s64, where neither @off8 * 8 (below 2^35) nor @size wraps. */
	if (unlikely((s64)(off8 * 8 + sizeof(*d) + size) > READ_ONCE(e->room)))
		return uls_key_miss(e, cache, row_off, hash, size);
	p = e->kaddr + sizeof(*d) + off8 * 8;
	d = (struct uls_key_desc *)p - 1;
	/* @size is at most U32_MAX: the verifier refuses more. */
	if (unlikely(d->hash != hash || d->size < (u32)size))
		return uls_key_miss(e, cache, row_off, hash, size);
	return p;
}

/* bpf_uls_key_get() for a task that is not in its first slot. */
static noinline u64 *uls_key_get_slow(struct task_struct *task, void *cache,
				      u32 cache__sz, u64 hash, u64 size)
{
	return uls_key_lookup(uls_table_find(task), cache, cache__sz, hash,
			      size);
}

__bpf_kfunc_start_defs();

/*
 * Hot: a sched_ext scheduler may call this on every scheduling event. One
 * signed compare covers both "too small" and "gone" (room is negative
 * then), and selects rather than branches.
 */
__bpf_kfunc u64 *bpf_uls_get(struct task_struct *task, u32 rdwr_buf_size)
{
	struct uls_entry *e = uls_table_find(task);
	void *kaddr = READ_ONCE(e->kaddr);

	return (s64)rdwr_buf_size <= READ_ONCE(e->room) ? kaddr : NULL;
}

__bpf_kfunc u64 *bpf_uls_get_at(struct task_struct *task, u32 offset,
				u32 rdwr_buf_size)
{
	struct uls_entry *e = uls_table_find(task);
	void *kaddr = READ_ONCE(e->kaddr) + offset;

	/* Both are u32, so the sum cannot wrap in s64. */
	return (s64)offset + rdwr_buf_size <= READ_ONCE(e->room) ? kaddr : NULL;
}

/*
 * Hot, as bpf_uls_get(): the program's cache row for @task's process
 * image gives the descriptor's offset, and one check of the descriptor
 * there (which makes the result right, whatever the row held) ends it.
 */
__bpf_kfunc u64 *bpf_uls_key_get(struct task_struct *task, void *cache,
				 u32 cache__sz, u64 hash, u64 rdwr_buf_size)
{
	struct uls_entry *e = uls_table_first(task);

	/*
	 * The table's search beyond the first slot, inline, would want more
	 * registers than the five arguments leave (a push and a pop on every
	 * call): it goes out of line. An empty first slot ends it.
	 */
	if (unlikely(e->task != task))
		return e == &uls_empty ? NULL :
		       uls_key_get_slow(task, cache, cache__sz, hash,
					rdwr_buf_size);
	return uls_key_lookup(e, cache, cache__sz, hash, rdwr_buf_size);
}

__bpf_kfunc u64 bpf_uls_len(struct task_struct *task)
{
	/* Once: room turns negative when the task exits or execs. */
	s32 room = READ_ONCE(uls_table_find(task)->room);

	return room > 0 ? room : 0;
}

/*
 * Pointers valid on both sides: the region is one range of the thread's
 * address space, e->uaddr to e->uaddr + room, mapped at e->kaddr. The
 * entry's uaddr never changes, as its kaddr, so one lookup answers.
 */
__bpf_kfunc u64 *bpf_uls_from_user(struct task_struct *task, u64 uaddr,
				   u32 rdwr_buf_size)
{
	struct uls_entry *e = uls_table_find(task);
	s32 room = READ_ONCE(e->room);
	/* Wraps to above U32_MAX for an address before the region. */
	u64 off = uaddr - READ_ONCE(e->uaddr);

	/*
	 * The region starts on a multiple of ULS_REGION_ALIGN, so an aligned
	 * @uaddr is an aligned offset, and an aligned kernel address: the
	 * verifier takes a returned pointer to be aligned for atomics. A
	 * region has at most 1 GiB (room), so an @off that fits in 32 bits
	 * plus a u32 cannot wrap in s64, and a negative room (gone) fails.
	 */
	if ((uaddr & (ULS_REGION_ALIGN - 1)) || off > U32_MAX)
		return NULL;
	return (s64)off + rdwr_buf_size <= room ?
	       READ_ONCE(e->kaddr) + off : NULL;
}

__bpf_kfunc u64 bpf_uls_user_base(struct task_struct *task)
{
	struct uls_entry *e = uls_table_find(task);

	/* A region is never empty: room > 0 is a live registration. */
	return READ_ONCE(e->room) > 0 ? READ_ONCE(e->uaddr) : 0;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(uls_kfunc_ids)
BTF_ID_FLAGS(func, bpf_uls_get, KF_RET_NULL | ULS_KF_TASK_ARG)
BTF_ID_FLAGS(func, bpf_uls_get_at, KF_RET_NULL | ULS_KF_TASK_ARG)
BTF_ID_FLAGS(func, bpf_uls_len, ULS_KF_TASK_ARG)
BTF_ID_FLAGS(func, bpf_uls_key_get, KF_RET_NULL | ULS_KF_TASK_ARG)
BTF_ID_FLAGS(func, bpf_uls_from_user, KF_RET_NULL | ULS_KF_TASK_ARG)
BTF_ID_FLAGS(func, bpf_uls_user_base, ULS_KF_TASK_ARG)
BTF_KFUNCS_END(uls_kfunc_ids)

static const struct btf_kfunc_id_set uls_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &uls_kfunc_ids,
};

/*
 * BPF_PROG_TYPE_TRACING covers tp_btf, fentry/fexit and LSM programs: LSM
 * programs use the tracing hook's set, and registering the same module set
 * a second time for one hook makes 6.1 warn and fail.
 */
int uls_kfuncs_init(void)
{
	u32 i;
	int ret;

	/*
	 * Ids left unresolved mean the module was built without BTF. The
	 * registrations below would then all return 0 and the kfuncs would
	 * silently not exist; refuse to load instead.
	 */
	for (i = 0; i < uls_kfunc_ids.cnt; i++)
		if (!uls_kfunc_ids.pairs[i].id)
			break;
	if (!uls_kfunc_ids.cnt || i < uls_kfunc_ids.cnt) {
		pr_err("kfunc BTF ids are unresolved: the module was built without BTF\n");
		return -ENOEXEC;
	}

	ret = register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &uls_kfunc_set);
	ret = ret ?: register_btf_kfunc_id_set(BPF_PROG_TYPE_SYSCALL,
					       &uls_kfunc_set);
	if (ULS_KFUNCS_FOR_STRUCT_OPS)
		ret = ret ?: register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS,
						       &uls_kfunc_set);
	if (ret)
		pr_err("registering the kfuncs failed: %d\n", ret);
	return ret;
}

#include "../module/selftest/keys.c"
