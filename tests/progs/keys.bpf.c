// SPDX-License-Identifier: GPL-2.0
/*
 * Find a key of the calling thread by name, as a BPF tool that knows only
 * uls/key_layout.h would: hash the name, walk the descriptors from
 * header.first, and access the key's data with bpf_uls_get_at(). Written
 * apart from uls.bpf.h's own lookup on purpose, so that the tests check
 * the layout libuls writes, not one implementation against itself. A
 * bpf_loop(), no bpf_for(): it must verify on 6.1.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "uls.bpf.h"
#include <uls/key_layout.h>
#include "keys.h"

char LICENSE[] SEC("license") = "GPL";

struct walk {
	struct task_struct *t;
	__u64 hash;
	__u32 size;
	__u32 off;		/* the descriptor to read next, 0: none */
	__u32 n;		/* descriptors walked */
	long ret;
};

/* One descriptor: 1 stops the walk. */
static long walk_step(__u32 i, void *ctx)
{
	struct walk *w = ctx;
	struct uls_key_desc *d;

	if (!w->off)
		return 1;
	d = (void *)bpf_uls_get_at(w->t, w->off, sizeof(*d));
	if (!d) {
		/* A link past the registered part: a libuls bug. */
		w->ret = -3;
		return 1;
	}
	w->n++;
	if (w->hash && d->hash == w->hash && d->size == w->size) {
		w->ret = w->off + sizeof(*d);
		return 1;
	}
	w->off = d->next;
	return 0;
}

/*
 * The data offset of the key, 0 if the region has none, -1 if there is
 * no region or no header, -3 if a link leads out of the registered part.
 * The walk in a bpf_loop(): a bounded loop of ULS_KEYS_MAX steps makes the
 * verifier go through every step, which takes it a minute on a KASAN
 * kernel.
 */
static __always_inline long find_key(struct task_struct *t, __u64 hash,
				     __u32 size, struct keys_ctx *c)
{
	struct walk w = { .t = t, .hash = hash, .size = size };
	struct uls_keys_header *h;

	h = (void *)bpf_uls_get_at(t, 0, sizeof(*h));
	if (!h || h->magic != ULS_KEYS_MAGIC || h->version != ULS_KEYS_VERSION)
		return -1;
	w.off = h->first;
	bpf_loop(ULS_KEYS_MAX, walk_step, &w, 0);
	c->ndesc = w.n;
	return w.ret;
}

SEC("syscall")
int keys_access(struct keys_ctx *c)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 hash = uls_key_hash(c->name), *p, old;
	__u32 offset = c->offset;
	long data;

	c->hash = hash;
	data = find_key(t, hash, c->size, c);
	if (data <= 0) {
		c->found = data;
		return 0;
	}
	c->data_off = data;
	/*
	 * Storage is 8-aligned at least, and the next descriptor too: a u64
	 * at an 8-aligned offset inside the key stays in the key's slot.
	 */
	if (offset >= c->size || offset % 8) {
		c->found = -2;
		return 0;
	}
	p = bpf_uls_get_at(t, data + offset, sizeof(*p));
	if (!p) {
		c->found = -1;
		return 0;
	}
	c->found = 1;
	old = *p;
	if (c->store)
		*p = c->value;
	c->value = old;
	return 0;
}

/* How many descriptors the calling thread's region links (.ndesc). */
SEC("syscall")
int keys_count(struct keys_ctx *c)
{
	long r = find_key(bpf_get_current_task_btf(), 0, 0, c);

	c->found = r < 0 ? (int)r : 1;
	return 0;
}
