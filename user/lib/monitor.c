// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The monitor view (ULS_IOC_MONITOR, linux/uls.h): another process's
 * registrations, mapped read-only, read with plain loads. Every read
 * checks the entry's sequence count around it, so that what it returns
 * belongs to the registration that uls_monitor_find() or
 * uls_monitor_next() reported, or it says -ESTALE.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

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

/*
 * The pid of @pidfd's process in this process's pid namespace, as its
 * fdinfo says: -EBADF if it is not a pidfd, -ESRCH if the process was
 * reaped or is outside the namespace.
 */
static pid_t pidfd_pid(int pidfd)
{
	char name[40], line[128];
	pid_t pid = -EBADF;
	FILE *f;

	snprintf(name, sizeof(name), "/proc/self/fdinfo/%d", pidfd);
	f = fopen(name, "re");
	if (!f)
		return errno == ENOENT ? -EBADF : -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Pid: %d", &pid) == 1) {
			if (pid <= 0)
				pid = -ESRCH;
			break;
		}
	fclose(f);
	return pid;
}

/*
 * The kernel's monitor takes a pid (the module cannot resolve a pidfd:
 * pidfd_get_pid() is not exported). The pid read from the pidfd is still
 * its process's after the open if that process has not been reaped since,
 * for only then is a pid number freed; pidfd_send_signal(0) says so.
 */
struct uls_monitor *uls_monitor_open_pidfd(int pidfd)
{
	pid_t pid = pidfd_pid(pidfd);
	struct uls_monitor *m;
	int err;

	if (pid < 0) {
		errno = -pid;
		return NULL;
	}
	m = uls_monitor_open(pid);
	if (!m)
		return NULL;
	/* EPERM: alive, and not ours to signal. */
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) && errno != EPERM) {
		err = errno;
		uls_monitor_close(m);
		errno = err;
		return NULL;
	}
	return m;
}

void uls_monitor_close(struct uls_monitor *m)
{
	if (!m)
		return;
	munmap((void *)m->view, m->size);
	close(m->fd);
	free(m);
}

/*
 * Slot @s, read while it did not change: true if it is live. A walk over
 * the index reads every slot, so a free one costs two loads, and a live
 * one's fields go straight to @t: no copy of the whole entry first.
 */
static bool read_entry(const struct uls_monitor *m, uint32_t s,
		       struct uls_monitor_thread *t)
{
	const struct uls_monitor_entry *e = &m->ents[s];

	for (;;) {
		uint32_t seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
		uint32_t flags;

		if (seq & 1) {
			uls_cpu_relax();
			continue;
		}
		flags = __atomic_load_n(&e->flags, __ATOMIC_RELAXED);
		/*
		 * Free when the count was even: a registration that comes
		 * meanwhile may be missed, as one that came just after.
		 */
		if (!(flags & ULS_MONITOR_ENTRY_LIVE))
			return false;
		t->pid = e->pid;
		t->tid = e->tid;
		t->gen = e->gen;
		t->addr = e->addr;
		t->len = e->len;
		t->offset = e->offset;
		memcpy(t->comm, (const void *)e->comm, sizeof(t->comm));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != seq)
			continue;
		t->comm[sizeof(t->comm) - 1] = '\0';
		t->has_data = !(flags & ULS_MONITOR_ENTRY_NODATA);
		t->slot = s;
		t->seq = seq;
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

/*
 * One pass for a tool that reads the same bytes of every thread: the
 * entry and the bytes under one sequence check, no call per thread. The
 * offset is bounded by the view, since it is read before the check. Each
 * usual @len gets a copy of its own (uls_monitor_read_many()), where the
 * bytes are a few moves: a memcpy() call per thread, or the test of @len,
 * would cost about as much as the rest of the read.
 */
static inline __attribute__((always_inline)) long
read_many(struct uls_monitor *m, unsigned int *cursor, size_t off, char *out,
	  size_t len, struct uls_monitor_thread *t, long max)
{
	uint32_t s = *cursor, nr = m->h->nr_slots;
	uint64_t need = off + len, limit;
	long n = 0;

	/* No region can hold that much: each one is skipped. */
	if (need < off || need > m->size) {
		*cursor = nr > s ? nr : s;
		return 0;
	}
	limit = m->size - need;
	for (; s < nr && n < max; s++) {
		const struct uls_monitor_entry *e = &m->ents[s];

		for (;;) {
			uint32_t seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
			uint32_t flags;
			uint64_t at, elen;

			if (seq & 1) {
				uls_cpu_relax();
				continue;
			}
			flags = __atomic_load_n(&e->flags, __ATOMIC_RELAXED);
			/* Free, or its bytes not shown: skipped. */
			if ((flags & (ULS_MONITOR_ENTRY_LIVE |
				      ULS_MONITOR_ENTRY_NODATA)) !=
			    ULS_MONITOR_ENTRY_LIVE)
				break;
			elen = e->len;
			at = e->offset;
			if (elen < need || at > limit) {
				/* Too short for @off + @len, if it held still. */
				__atomic_thread_fence(__ATOMIC_ACQUIRE);
				if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) == seq)
					break;
				continue;
			}
			memcpy(out, m->view + at + off, len);
			/* Written whole each try: t[n] counts once n moves. */
			if (t) {
				t[n].pid = e->pid;
				t[n].tid = e->tid;
				t[n].gen = e->gen;
				t[n].addr = e->addr;
				memcpy(t[n].comm, (const void *)e->comm,
				       sizeof(t[n].comm));
				t[n].comm[sizeof(t[n].comm) - 1] = '\0';
				t[n].len = elen;
				t[n].has_data = true;
				t[n].slot = s;
				t[n].seq = seq;
				t[n].offset = at;
			}
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			/* Ended or replaced meanwhile: read it again. */
			if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != seq)
				continue;
			out += len;
			n++;
			break;
		}
	}
	*cursor = s;
	return n;
}

long uls_monitor_read_many(struct uls_monitor *m, unsigned int *cursor,
			   size_t off, void *buf, size_t len,
			   struct uls_monitor_thread *t, long max)
{
	if (max <= 0)
		return max ? -EINVAL : 0;
	switch (len) {
	case 8:
		return read_many(m, cursor, off, buf, 8, t, max);
	case 16:
		return read_many(m, cursor, off, buf, 16, t, max);
	case 32:
		return read_many(m, cursor, off, buf, 32, t, max);
	case 64:
		return read_many(m, cursor, off, buf, 64, t, max);
	default:
		return read_many(m, cursor, off, buf, len, t, max);
	}
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
