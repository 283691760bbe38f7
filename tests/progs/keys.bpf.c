// SPDX-License-Identifier: GPL-2.0
/*
 * Find a key of the calling thread by name, as a BPF tool that knows only
 * uls/key_layout.h would: hash the name, walk the descriptors from
 * header.first, and access the key's data with bpf_uls_get_at(). Written
 * apart from uls.bpf.h's own lookup on purpose, so that the tests check
 * the layout libuls writes, not one implementation against itself. A
 * bounded loop, no bpf_for(): it must verify on 6.1.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "uls.bpf.h"
#include <uls/key_layout.h>
#include "keys.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * The data offset of the key, 0 if the region has none, -1 if there is
 * no region or no header, -3 if a link leads out of the registered part.
 */
static __always_inline long find_key(struct task_struct *t, __u64 hash,
				     __u32 size, struct keys_ctx *c)
{
	struct uls_keys_header *h;
	struct uls_key_desc *d;
	__u32 off, n = 0;
	long ret = 0;
	int i;

	h = (void *)bpf_uls_get_at(t, 0, sizeof(*h));
	if (!h || h->magic != ULS_KEYS_MAGIC || h->version != ULS_KEYS_VERSION)
		return -1;
	off = h->first;
	for (i = 0; i < ULS_KEYS_MAX; i++) {
		if (!off)
			break;
		d = (void *)bpf_uls_get_at(t, off, sizeof(*d));
		if (!d) {
			/* A link past the registered part: a libuls bug. */
			ret = -3;
			break;
		}
		n++;
		if (hash && d->hash == hash && d->size == size) {
			ret = off + sizeof(*d);
			break;
		}
		off = d->next;
	}
	c->ndesc = n;
	return ret;
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
