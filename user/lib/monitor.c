// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The monitor view (ULS_IOC_MONITOR, linux/uls.h): another process's
 * registrations, mapped read-only, read with plain loads. Every read
 * checks the entry's sequence count around it, so that what it returns
 * belongs to the registration that uls_monitor_find() or
 * uls_monitor_next() reported, or it says -ESTALE.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

struct uls_monitor {
	int fd;
	size_t size;
	const char *view;
	const struct uls_monitor_header *h;
	const struct uls_monitor_entry *ents;
	const uint32_t *hash;
};

struct uls_monitor *uls_monitor_open(pid_t pid)
{
	struct uls_monitor_args a = {
		.pid = pid,
		.flags = pid ? 0 : ULS_MONITOR_ALL,
	};
	struct uls_monitor *m;
	int dev = uls_fd(), err;

	if (dev < 0) {
		errno = -dev;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->fd = ioctl(dev, ULS_IOC_MONITOR, &a);
	if (m->fd < 0) {
		/* A module older than ULS_FEAT_MONITOR knows no such request. */
		err = errno == ENOTTY ? EOPNOTSUPP : errno;
		goto err_free;
	}
	m->size = a.view_size;
	m->view = mmap(NULL, m->size, PROT_READ, MAP_SHARED, m->fd, 0);
	if (m->view == MAP_FAILED) {
		err = errno;
		close(m->fd);
		goto err_free;
	}
	m->h = (const void *)m->view;
	if (m->h->magic != ULS_MONITOR_MAGIC ||
	    m->h->version != ULS_MONITOR_VERSION ||
	    m->h->entry_size != sizeof(struct uls_monitor_entry)) {
		err = EPROTO;
		munmap((void *)m->view, m->size);
		close(m->fd);
		goto err_free;
	}
	m->ents = (const void *)(m->view + m->h->entries_offset);
	m->hash = (const void *)(m->view + m->h->hash_offset);
	return m;

err_free:
	free(m);
	errno = err;
	return NULL;
}

void uls_monitor_close(struct uls_monitor *m)
{
	if (!m)
		return;
	munmap((void *)m->view, m->size);
	close(m->fd);
	free(m);
}

/* Slot @s, read whole while it did not change: true if it is live. */
static bool read_entry(const struct uls_monitor *m, uint32_t s,
		       struct uls_monitor_thread *t)
{
	const struct uls_monitor_entry *e = &m->ents[s];
	struct uls_monitor_entry c;

	for (;;) {
		uint32_t seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);

		if (seq & 1) {
			uls_cpu_relax();
			continue;
		}
		memcpy(&c, (const void *)e, sizeof(c));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != seq)
			continue;
		if (!(c.flags & ULS_MONITOR_ENTRY_LIVE))
			return false;
		t->pid = c.pid;
		t->tid = c.tid;
		t->gen = c.gen;
		t->addr = c.addr;
		t->len = c.len;
		memcpy(t->comm, c.comm, sizeof(t->comm));
		t->comm[sizeof(t->comm) - 1] = '\0';
		t->has_data = !(c.flags & ULS_MONITOR_ENTRY_NODATA);
		t->slot = s;
		t->seq = seq;
		t->offset = c.offset;
		return true;
	}
}

int uls_monitor_find(struct uls_monitor *m, pid_t tid,
		     struct uls_monitor_thread *t)
{
	uint32_t mask = m->h->hash_size - 1;

	for (;;) {
		uint32_t hseq = __atomic_load_n(&m->h->seq, __ATOMIC_ACQUIRE), v;

		if (hseq & 1) {
			uls_cpu_relax();
			continue;
		}
		for (uint32_t i = uls_monitor_hash(tid, m->h->hash_bits);
		     (v = __atomic_load_n(&m->hash[i], __ATOMIC_RELAXED));
		     i = (i + 1) & mask)
			if (v <= m->h->nr_slots && read_entry(m, v - 1, t) &&
			    t->tid == tid)
				return 0;
		/* Not there, unless the hash changed meanwhile. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&m->h->seq, __ATOMIC_RELAXED) == hseq)
			return -ENOENT;
	}
}

int uls_monitor_next(struct uls_monitor *m, unsigned int *cursor,
		     struct uls_monitor_thread *t)
{
	for (uint32_t s = *cursor; s < m->h->nr_slots; s++) {
		if (read_entry(m, s, t)) {
			*cursor = s + 1;
			return 0;
		}
	}
	*cursor = m->h->nr_slots;
	return -ENOENT;
}

uint64_t uls_monitor_updates(const struct uls_monitor *m)
{
	return __atomic_load_n(&m->h->updates, __ATOMIC_ACQUIRE);
}

int uls_monitor_read(struct uls_monitor *m, const struct uls_monitor_thread *t,
		     size_t off, void *buf, size_t len)
{
	const struct uls_monitor_entry *e = &m->ents[t->slot];

	if (off > t->len || len > t->len - off)
		return -ERANGE;
	if (!t->has_data)
		return -EOPNOTSUPP;
	if (__atomic_load_n(&e->seq, __ATOMIC_ACQUIRE) != t->seq)
		return -ESTALE;
	memcpy(buf, m->view + t->offset + off, len);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	/* Ended or replaced meanwhile: the bytes may be someone else's. */
	if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != t->seq)
		return -ESTALE;
	return 0;
}

/*
 * Walk the keyed layout (uls/key_layout.h) as the kfuncs do: forward
 * only, at most ULS_KEYS_MAX steps, every offset checked against the
 * registered length. The thread writes its region as it likes.
 */
int uls_monitor_read_key(struct uls_monitor *m,
			 const struct uls_monitor_thread *t, const char *name,
			 void *buf, size_t len)
{
	uint64_t hash = uls_key_hash(name);
	struct uls_keys_header h;
	struct uls_key_desc d;
	uint32_t off;
	int err;

	err = uls_monitor_read(m, t, 0, &h, sizeof(h));
	if (err == -ERANGE || (!err && h.magic != ULS_KEYS_MAGIC))
		return -ENOENT;
	if (err)
		return err;
	off = h.first;
	for (int i = 0; i < ULS_KEYS_MAX; i++) {
		if (!off || (off & 7) || off >= ULS_KEYS_CAPACITY_MAX)
			return -ENOENT;
		err = uls_monitor_read(m, t, off, &d, sizeof(d));
		if (err)
			return err == -ERANGE ? -ENOENT : err;
		if (d.hash == hash) {
			if (d.size < len)
				return -ENOENT;
			err = uls_monitor_read(m, t, off + sizeof(d), buf, len);
			return err == -ERANGE ? -ENOENT : err;
		}
		if (d.next <= off)
			return -ENOENT;
		off = d.next;
	}
	return -ENOENT;
}
