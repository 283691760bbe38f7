// SPDX-License-Identifier: GPL-2.0
/*
 * ULS_IOC_MONITOR: the read-only view of another process's registrations.
 * The index follows registrations as they come, change and go; the data
 * read through the view is what the threads wrote; who may open one; the
 * view cannot be written; bad arguments leave nothing behind; threads
 * that exit while a reader loops over them; 10,000 threads.
 */
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include "helpers.h"
#include "json.h"
#include "test.h"
#include "uls.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* --- reading a view, as a tool would ------------------------------------ */

struct mon {
	int fd;
	struct uls_monitor_args args;
	char *view;
	const struct uls_monitor_header *h;
	const struct uls_monitor_entry *ents;
	const __u32 *hash;
};

static int mon_ioctl(int dev, struct uls_monitor_args *a)
{
	int fd = ioctl(dev, ULS_IOC_MONITOR, a);

	return fd < 0 ? -errno : fd;
}

/* Open a monitor of @pid (or all) through @dev and map all of it. */
static int mon_open(struct mon *m, int dev, int pid, __u32 flags,
		    __u32 nr_slots)
{
	memset(m, 0, sizeof(*m));
	m->args.pid = pid;
	m->args.flags = flags;
	m->args.nr_slots = nr_slots;
	m->fd = mon_ioctl(dev, &m->args);
	if (m->fd < 0)
		return m->fd;
	m->view = mmap(NULL, m->args.view_size, PROT_READ, MAP_SHARED, m->fd, 0);
	if (m->view == MAP_FAILED) {
		int err = -errno;

		close(m->fd);
		m->fd = -1;
		return err;
	}
	m->h = (const void *)m->view;
	m->ents = (const void *)(m->view + m->h->entries_offset);
	m->hash = (const void *)(m->view + m->h->hash_offset);
	return 0;
}

static void mon_close(struct mon *m)
{
	if (m->view && m->view != MAP_FAILED)
		munmap(m->view, m->args.view_size);
	if (m->fd >= 0)
		close(m->fd);
	m->view = NULL;
	m->fd = -1;
}

static __u32 load_acq(const __u32 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/*
 * A consistent copy of entry @slot, and, if @buf, @len bytes of its
 * memory: true once read while the entry did not change; false if the
 * slot is free.
 */
static bool mon_read(const struct mon *m, __u32 slot,
		     struct uls_monitor_entry *copy, void *buf, size_t len)
{
	const struct uls_monitor_entry *e = &m->ents[slot];

	for (;;) {
		__u32 seq = load_acq(&e->seq);

		if (seq & 1)
			continue;
		memcpy(copy, (const void *)e, sizeof(*copy));
		if ((copy->flags & ULS_MONITOR_ENTRY_LIVE) && buf &&
		    !(copy->flags & ULS_MONITOR_ENTRY_NODATA))
			memcpy(buf, m->view + copy->offset,
			       len < copy->len ? len : copy->len);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) == seq) {
			copy->seq = seq;
			return copy->flags & ULS_MONITOR_ENTRY_LIVE;
		}
	}
}

/* The slot of @tid's newest registration through the tid hash, or -1. */
static long mon_find(const struct mon *m, int tid,
		     struct uls_monitor_entry *copy, void *buf, size_t len)
{
	__u32 mask = m->h->hash_size - 1;

	for (;;) {
		__u32 hseq = load_acq(&m->h->seq), v;

		if (hseq & 1)
			continue;
		for (__u32 i = uls_monitor_hash(tid, m->h->hash_bits);
		     (v = __atomic_load_n(&m->hash[i], __ATOMIC_RELAXED));
		     i = (i + 1) & mask)
			if (mon_read(m, v - 1, copy, buf, len) && copy->tid == tid)
				return v - 1;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&m->h->seq, __ATOMIC_RELAXED) == hseq)
			return -1;
	}
}

static long mon_live(const struct mon *m)
{
	return __atomic_load_n(&m->h->nr_live, __ATOMIC_RELAXED);
}

/* Every live entry, counted the slow way: slot by slot. */
static long mon_count_slots(const struct mon *m)
{
	struct uls_monitor_entry c;
	long n = 0;

	for (__u32 s = 0; s < m->h->nr_slots; s++)
		n += mon_read(m, s, &c, NULL, 0);
	return n;
}

static long max_entries(void)
{
	char buf[32] = "";
	int fd = open("/sys/module/uls/parameters/monitor_max_entries", O_RDONLY);
	long n = -1;

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) > 0)
			n = atol(buf);
		close(fd);
	}
	return n;
}

/* No monitor left, and their memory given back. */
static void check_no_monitor(const char *when)
{
	t_wait_until(t_stat("monitors") == 0, 5000);
	ASSERT_EQ(t_stat("monitors"), 0, when);
	ASSERT_EQ(t_stat("monitor_bytes"), 0, when);
}

/* --- threads that register, and wait to be told to exit ---------------- */

struct mt {
	pthread_t th;
	int fd;
	__u64 *area;			/* 8 words it owns */
	int tid, err;
	sem_t ready, go;
};

static void *mt_main(void *arg)
{
	struct mt *t = arg;

	t->tid = t_gettid();
	pthread_setname_np(pthread_self(), "uls-mon");
	/* What the monitor must show: its tid, and a cookie of it. */
	t->area[0] = t->tid;
	t->area[1] = ~(__u64)t->tid * 0x9e3779b97f4a7c15ULL;
	t->err = t_ioc_register(t->fd, t->area, 64);
	sem_post(&t->ready);
	sem_wait(&t->go);
	return NULL;
}

static bool mt_start(struct mt *t, int fd, __u64 *area)
{
	t->fd = fd;
	t->area = area;
	t->err = -ECHILD;
	sem_init(&t->ready, 0, 0);
	sem_init(&t->go, 0, 0);
	if (pthread_create(&t->th, NULL, mt_main, t)) {
		t->th = 0;
		return false;
	}
	sem_wait(&t->ready);
	return ASSERT_OK(t->err, "thread registers");
}

static void mt_stop(struct mt *t)
{
	if (!t->th)
		return;
	sem_post(&t->go);
	pthread_join(t->th, NULL);
	t->th = 0;
}

static bool check_mt(const struct mon *m, const struct mt *t)
{
	struct uls_monitor_entry c;
	__u64 data[8] = {};
	long slot = mon_find(m, t->tid, &c, data, sizeof(data));

	return ASSERT_GE(slot, 0, "the thread is in the index") &&
	       ASSERT_EQ(c.pid, getpid(), "pid") &&
	       ASSERT_EQ(c.len, 64, "len") &&
	       ASSERT_EQ(c.addr, (uintptr_t)t->area, "addr") &&
	       ASSERT_EQ(strncmp(c.comm, "uls-mon", 16), 0, "comm") &&
	       ASSERT_EQ(data[0], t->tid, "the data, through the view") &&
	       ASSERT_EQ(data[1], ~(__u64)t->tid * 0x9e3779b97f4a7c15ULL,
			 "its cookie");
}

/*
 * A monitor of this process: what was registered before it opened, and
 * every change after, without mapping again; the data as written; the
 * generation on replace; a freed slot reads as zeroes.
 */
ULS_TEST(monitor_follows)
{
	long page = getpagesize();
	__u64 *mem = t_map_pages(4);
	struct mt ts[3] = {};
	struct uls_monitor_entry c, c2;
	char buf[64];
	struct mon m = { .fd = -1 };
	struct t_ctx c0;
	__u64 updates;
	long slot, slot2;
	int tid = t_gettid();

	if (!t_setup(&c0, 0) || !ASSERT_OK_PTR(mem, "mmap"))
		goto out;
	/* Before the monitor: an area crossing a page boundary. */
	t_fill_pattern((char *)mem + page - 24, 48, 7);
	if (!ASSERT_OK(t_ioc_register(c0.fd, (char *)mem + page - 24, 48),
		       "register before"))
		goto out;
	if (!ASSERT_OK(mon_open(&m, c0.fd, getpid(), 0, 16), "open a monitor"))
		goto out;
	ASSERT_GE(m.fd, 3, "a new descriptor");
	ASSERT_EQ(fcntl(m.fd, F_GETFD), FD_CLOEXEC, "close-on-exec");
	ASSERT_EQ(m.args.nr_slots, 16, "nr_slots as asked");
	ASSERT_EQ(m.h->magic, ULS_MONITOR_MAGIC, "magic");
	ASSERT_EQ(m.h->version, ULS_MONITOR_VERSION, "version");
	ASSERT_EQ(m.h->header_size, sizeof(struct uls_monitor_header), "header_size");
	ASSERT_EQ(m.h->entry_size, sizeof(struct uls_monitor_entry), "entry_size");
	ASSERT_EQ(m.h->nr_slots, 16, "nr_slots");
	ASSERT_EQ(m.h->view_size, m.args.view_size, "view_size");
	ASSERT_GE(m.h->slot_stride, t_max_len() + page, "stride: the largest region");
	ASSERT_EQ(m.h->regions_offset % page, 0, "regions page-aligned");
	ASSERT_EQ(m.h->pages_offset, m.h->regions_offset + 16 * m.h->slot_stride,
		  "the pages area after the slots");
	ASSERT_EQ(m.h->view_size, m.h->pages_offset + 16 * page,
		  "a page per slot in it");
	ASSERT_EQ(t_stat("monitors"), 1, "counted");
	ASSERT_GT(t_stat("monitor_bytes"), 16 * 64, "its memory counted");
	ASSERT_EQ(mon_live(&m), 1, "one live entry");

	slot = mon_find(&m, tid, &c, buf, sizeof(buf));
	if (!ASSERT_GE(slot, 0, "found by tid"))
		goto out;
	ASSERT_EQ(c.pid, getpid(), "pid");
	ASSERT_EQ(c.tid, tid, "tid");
	ASSERT_EQ(c.len, 48, "len");
	ASSERT_EQ(c.addr, (uintptr_t)mem + page - 24, "addr");
	ASSERT_EQ(c.offset, m.h->regions_offset + slot * m.h->slot_stride +
		  page - 24, "offset: two pages, in the slot's pages");
	ASSERT_EQ(c.flags, ULS_MONITOR_ENTRY_LIVE, "flags");
	ASSERT_EQ(t_check_pattern(buf, 48, 7), 0, "data across two pages");
	/* A store by the owner shows at once: the very same pages. */
	((char *)mem)[page - 24] ^= 0xff;
	ASSERT_EQ((unsigned char)m.view[c.offset],
		  (unsigned char)((char *)mem)[page - 24], "a later store shows");

	/* Threads that register now appear, in the same mapping. */
	updates = m.h->updates;
	for (int i = 0; i < 3; i++)
		mt_start(&ts[i], c0.fd, mem + 2 * page / 8 + 8 * i);
	ASSERT_EQ(mon_live(&m), 4, "four now");
	ASSERT_EQ(mon_count_slots(&m), 4, "four slots used");
	ASSERT_EQ(m.h->updates, updates + 3, "three updates");
	for (int i = 0; i < 3; i++)
		check_mt(&m, &ts[i]);

	/* Replace: a new generation, the new place and length. */
	if (!ASSERT_OK(t_ioc_register(c0.fd, mem + 8, 32), "replace"))
		goto out;
	slot2 = mon_find(&m, tid, &c2, NULL, 0);
	if (ASSERT_GE(slot2, 0, "still found")) {
		ASSERT_NEQ(c2.gen, c.gen, "the generation changed");
		ASSERT_GT(c2.gen, c.gen, "and grew");
		ASSERT_NEQ(c2.seq, c.seq, "the entry changed");
		ASSERT_EQ(c2.len, 32, "new len");
		ASSERT_EQ(c2.addr, (uintptr_t)(mem + 8), "new addr");
		ASSERT_GE(c2.offset, m.h->pages_offset, "one page: in the pages area");
		ASSERT_EQ(c2.offset % page, 64, "at its offset in the page");
		mem[8] = 0x1234567890abcdefULL;
		ASSERT_EQ(*(__u64 *)(m.view + c2.offset), mem[8], "new data");
	}
	/* The old entry's slot, if another, is free: zeroes. */
	if (slot2 != slot) {
		ASSERT_FALSE(mon_read(&m, slot, &c, NULL, 0), "old slot free");
		ASSERT_EQ(m.view[m.h->regions_offset + slot * m.h->slot_stride +
				 page - 24], 0, "reads as zero");
	}
	ASSERT_EQ(mon_live(&m), 4, "still four");

	/* Unregister: gone from the index, and its bytes with it. */
	ASSERT_OK(t_ioc_unregister(c0.fd), "unregister");
	ASSERT_EQ(mon_find(&m, tid, &c, NULL, 0), -1, "gone");
	ASSERT_FALSE(mon_read(&m, slot2, &c, NULL, 0), "its slot free");
	ASSERT_EQ(*(volatile __u64 *)(m.view + c2.offset), 0,
		  "its bytes read as zero");

	/* A thread that exits goes too; the others stay. */
	tid = ts[1].tid;
	mt_stop(&ts[1]);
	t_wait_until(mon_find(&m, tid, &c, NULL, 0) < 0 && mon_live(&m) == 2, 5000);
	ASSERT_EQ(mon_find(&m, tid, &c, NULL, 0), -1, "the exited thread is gone");
	ASSERT_EQ(mon_live(&m), 2, "two left");
	check_mt(&m, &ts[0]);
	check_mt(&m, &ts[2]);
	/* A second monitor of the same process sees the same. */
	{
		struct mon m2;

		if (ASSERT_OK(mon_open(&m2, c0.fd, getpid(), 0, 4), "second")) {
			ASSERT_EQ(mon_live(&m2), 2, "two there too");
			check_mt(&m2, &ts[0]);
			ASSERT_EQ(t_stat("monitors"), 2, "two monitors");
			mon_close(&m2);
		}
	}
	mt_stop(&ts[0]);
	mt_stop(&ts[2]);
	t_wait_until(mon_live(&m) == 0, 5000);
	ASSERT_EQ(mon_live(&m), 0, "none left");
	ASSERT_EQ(mon_count_slots(&m), 0, "every slot free");
out:
	for (int i = 0; i < 3; i++)
		mt_stop(&ts[i]);
	mon_close(&m);
	check_no_monitor("closed and unmapped: nothing left");
	t_teardown(&c0);
}

/*
 * Registrations within one memory page show in one page of the view's
 * pages area, however many there are, so that a reader of many small
 * areas touches each page once: in a monitor open before they came, and
 * in one opened after. The page stays while any of them does and reads as
 * zeroes after the last; a registration of two pages keeps its slot's.
 */
ULS_TEST(monitor_shared_page)
{
	long page = getpagesize();
	__u64 *mem = t_map_pages(2);
	struct uls_monitor_entry c[4], c2[4], mc;
	struct mon m = { .fd = -1 }, m2 = { .fd = -1 };
	struct mt ts[4] = {};
	int tid = t_gettid();
	struct t_ctx c0;

	if (!t_setup(&c0, 0) || !ASSERT_OK_PTR(mem, "mmap"))
		goto out;
	if (!ASSERT_OK(mon_open(&m, c0.fd, getpid(), 0, 8), "open a monitor"))
		goto out;
	ASSERT_EQ(m.h->pages_offset % page, 0, "the pages area page-aligned");
	for (int i = 0; i < 4; i++)
		if (!mt_start(&ts[i], c0.fd, mem + 8 * i))
			goto out;
	if (!ASSERT_OK(mon_open(&m2, c0.fd, getpid(), 0, 8), "and one after"))
		goto out;
	for (int i = 0; i < 4; i++) {
		if (!check_mt(&m, &ts[i]) || !check_mt(&m2, &ts[i]))
			goto out;
		mon_find(&m, ts[i].tid, &c[i], NULL, 0);
		mon_find(&m2, ts[i].tid, &c2[i], NULL, 0);
		ASSERT_GE(c[i].offset, m.h->pages_offset, "in the pages area");
		ASSERT_LT(c[i].offset, m.h->view_size, "inside the view");
		ASSERT_EQ(c[i].offset - c[0].offset, 64 * i,
			  "one page for the four, laid out as in memory");
		ASSERT_GE(c2[i].offset, m2.h->pages_offset, "in m2's too");
		ASSERT_EQ(c2[i].offset - c2[0].offset, 64 * i,
			  "one page in the monitor opened after them");
	}

	/* Two pages: in the slot's pages, not in the pages area. */
	if (!ASSERT_OK(t_ioc_register(c0.fd, (char *)mem + page - 16, 32),
		       "register across a page boundary"))
		goto out;
	if (ASSERT_GE(mon_find(&m, tid, &mc, NULL, 0), 0, "found")) {
		ASSERT_LT(mc.offset, m.h->pages_offset, "in a slot");
		ASSERT_GE(mc.offset, m.h->regions_offset, "past the index");
	}
	/* The second memory page alone: a page of the area of its own. */
	mem[page / 8 + 1] = 0x70616765;
	if (!ASSERT_OK(t_ioc_register(c0.fd, mem + page / 8, 16), "replace") ||
	    !ASSERT_GE(mon_find(&m, tid, &mc, NULL, 0), 0, "found"))
		goto out;
	ASSERT_GE(mc.offset, m.h->pages_offset, "in the pages area");
	ASSERT_NEQ(mc.offset / page, c[0].offset / page, "another page of it");
	ASSERT_EQ(*(volatile __u64 *)(m.view + mc.offset + 8), mem[page / 8 + 1],
		  "its data");
	ASSERT_OK(t_ioc_unregister(c0.fd), "unregister");
	ASSERT_EQ(*(volatile __u64 *)(m.view + mc.offset + 8), 0,
		  "its page reads as zeroes once it ended");

	/* The first thread goes: the others still show, from the same page. */
	mt_stop(&ts[0]);
	t_wait_until(mon_live(&m) == 3, 5000);
	ASSERT_EQ(mon_live(&m), 3, "three left");
	for (int i = 1; i < 4; i++)
		check_mt(&m, &ts[i]);
	ASSERT_EQ(*(volatile __u64 *)(m.view + c[1].offset), ts[1].tid,
		  "the shared page stays");
	for (int i = 1; i < 4; i++)
		mt_stop(&ts[i]);
	t_wait_until(mon_live(&m) == 0, 5000);
	ASSERT_EQ(mon_live(&m), 0, "none left");
	ASSERT_EQ(*(volatile __u64 *)(m.view + c[1].offset), 0,
		  "after the last, zeroes");
out:
	for (int i = 0; i < 4; i++)
		mt_stop(&ts[i]);
	mon_close(&m2);
	mon_close(&m);
	check_no_monitor("closed and unmapped: nothing left");
	t_teardown(&c0);
}

/*
 * Many monitors of one process (the kernel finds them by the process they
 * watch, all in one bucket): each shows a registration as it comes and as
 * it goes, and closing them all leaves nothing.
 */
#define NR_MONITORS 64

ULS_TEST(monitor_many)
{
	struct mon *ms = calloc(NR_MONITORS, sizeof(*ms));
	struct uls_monitor_entry c;
	__u64 *mem = t_map_pages(1);
	int tid = gettid(), n = 0, seen = 0;
	struct t_ctx c0;

	if (!ASSERT_OK_PTR(ms, "calloc") || !t_setup(&c0, 0))
		goto out;
	for (n = 0; n < NR_MONITORS; n++)
		if (!ASSERT_OK(mon_open(&ms[n], c0.fd, getpid(), 0, 4), "open"))
			break;
	ASSERT_EQ(t_stat("monitors"), NR_MONITORS, "counted");
	mem[0] = 0x6d616e79;
	if (!ASSERT_OK(t_ioc_register(c0.fd, mem, 64), "register"))
		goto out;
	for (int i = 0; i < n; i++)
		seen += mon_find(&ms[i], tid, &c, NULL, 0) >= 0 &&
			*(__u64 *)(ms[i].view + c.offset) == mem[0];
	ASSERT_EQ(seen, NR_MONITORS, "every monitor shows it, with its data");
	ASSERT_OK(t_ioc_unregister(c0.fd), "unregister");
	seen = 0;
	for (int i = 0; i < n; i++)
		seen += mon_find(&ms[i], tid, &c, NULL, 0) >= 0 ||
			mon_live(&ms[i]) != 0;
	ASSERT_EQ(seen, 0, "and none once it ended");
	t_teardown(&c0);
out:
	while (ms && n--)
		mon_close(&ms[n]);
	free(ms);
	check_no_monitor("all closed: nothing left");
}

/* --- another process ----------------------------------------------------- */

struct other {
	int up[2], down[2];
	__u64 *shared;		/* MAP_SHARED: the child's areas, seen here */
	int tids[3];		/* its threads' */
	pid_t pid;
};

/* The child: three threads register, then all wait for the word. */
static void other_main(void *arg)
{
	struct other *o = arg;
	struct mt ts[3] = {};
	int fd = t_dev_open();
	int tids[3];
	char c;

	for (int i = 0; i < 3; i++)
		mt_start(&ts[i], fd, o->shared + 8 * i);
	for (int i = 0; i < 3; i++)
		tids[i] = ts[i].tid;
	if (write(o->up[1], tids, sizeof(tids)) != sizeof(tids))
		ASSERT_TRUE(false, "write");
	if (read(o->down[0], &c, 1) != 1)
		ASSERT_TRUE(false, "read");
	for (int i = 0; i < 3; i++)
		mt_stop(&ts[i]);
	close(fd);
}

/*
 * The child of other_main() started, its three threads registered, their
 * tids in @o->tids: true; false with @o->pid as far as it got.
 */
static bool other_start(struct other *o)
{
	o->pid = -1;
	o->shared = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!ASSERT_NEQ(o->shared, MAP_FAILED, "mmap") ||
	    !ASSERT_OK(pipe(o->up), "pipe") || !ASSERT_OK(pipe(o->down), "pipe"))
		return false;
	o->pid = t_start_child(other_main, o);
	return ASSERT_GT(o->pid, 0, "fork") &&
	       ASSERT_EQ(read(o->up[0], o->tids, sizeof(o->tids)),
			 sizeof(o->tids), "the child's threads registered");
}

/* The child told to end, and reaped: 0 if it ended well. */
static int other_stop(struct other *o)
{
	int err;

	if (o->pid <= 0)
		return 0;
	if (write(o->down[1], "x", 1) != 1)
		kill(o->pid, SIGKILL);
	err = t_wait_child(o->pid);
	o->pid = -1;
	return err;
}

/*
 * Only the process watched: another's registrations (this one's) are not
 * in its view, and all of the child's are, with their data; "all" shows
 * both. The child's exit empties the view.
 */
ULS_TEST(monitor_other_process)
{
	struct mon m = { .fd = -1 }, all = { .fd = -1 };
	struct uls_monitor_entry c;
	struct other o = {};
	__u64 data[2];
	char *mine = t_map_pages(1);
	int *tids = o.tids;
	pid_t pid;
	struct t_ctx c0;

	if (!t_setup(&c0, 0) ||
	    !ASSERT_OK(t_ioc_register(c0.fd, mine, 64), "register here") ||
	    !other_start(&o))
		goto out;
	pid = o.pid;

	if (!ASSERT_OK(mon_open(&m, c0.fd, pid, 0, 8), "monitor the child") ||
	    !ASSERT_OK(mon_open(&all, c0.fd, 0, ULS_MONITOR_ALL, 64),
		       "monitor all"))
		goto out;
	ASSERT_EQ(mon_live(&m), 3, "the child's three, not ours");
	ASSERT_EQ(mon_find(&m, t_gettid(), &c, NULL, 0), -1, "ours not there");
	ASSERT_EQ(mon_live(&all), 4, "all: theirs and ours");
	ASSERT_GE(mon_find(&all, t_gettid(), &c, NULL, 0), 0, "ours in all");
	for (int i = 0; i < 3; i++) {
		if (!ASSERT_GE(mon_find(&m, tids[i], &c, data, sizeof(data)), 0,
			       "a child thread"))
			continue;
		ASSERT_EQ(c.pid, pid, "the child's pid");
		ASSERT_EQ(data[0], tids[i], "its data");
		ASSERT_EQ(data[1], ~(__u64)tids[i] * 0x9e3779b97f4a7c15ULL,
			  "its cookie");
		ASSERT_GE(mon_find(&all, tids[i], &c, NULL, 0), 0, "in all");
	}

	/* The child ends: its registrations leave both views. */
	ASSERT_OK(other_stop(&o), "child");
	t_wait_until(mon_live(&m) == 0 && mon_live(&all) == 1, 5000);
	ASSERT_EQ(mon_live(&m), 0, "the child's view is empty");
	ASSERT_EQ(mon_live(&all), 1, "all: ours is left");
	ASSERT_OK(t_ioc_unregister(c0.fd), "unregister");
out:
	other_stop(&o);
	mon_close(&m);
	mon_close(&all);
	check_no_monitor("nothing left");
	t_teardown(&c0);
}

/*
 * uls_monitor_open_pidfd(): the process of a pidfd, as by its pid; not a
 * pidfd, or one whose process was reaped, is refused.
 */
ULS_TEST(monitor_pidfd)
{
	struct uls_monitor *m = NULL;
	struct uls_monitor_thread t;
	struct other o = {};
	int pidfd = -1, null = open("/dev/null", O_RDONLY);
	struct t_ctx c0;

	if (!t_setup(&c0, 0) || !other_start(&o))
		goto out;
	pidfd = syscall(SYS_pidfd_open, o.pid, 0);
	if (!ASSERT_GE(pidfd, 0, "pidfd_open"))
		goto out;
	m = uls_monitor_open_pidfd(pidfd);
	if (!ASSERT_OK_PTR(m, "uls_monitor_open_pidfd"))
		goto out;
	for (int i = 0; i < 3; i++)
		if (ASSERT_OK(uls_monitor_find(m, o.tids[i], &t), "a child thread"))
			ASSERT_EQ(t.pid, o.pid, "the child's");
	ASSERT_ERRNO(uls_monitor_find(m, t_gettid(), &t), ENOENT, "not ours");
	uls_monitor_close(m);
	m = NULL;

	errno = 0;
	ASSERT_NULL(uls_monitor_open_pidfd(null), "not a pidfd");
	ASSERT_EQ(errno, EBADF, "EBADF");
	errno = 0;
	ASSERT_NULL(uls_monitor_open_pidfd(-1), "no descriptor");
	ASSERT_EQ(errno, EBADF, "EBADF");

	/* Reaped: its pid may be another's now, so it is refused. */
	ASSERT_OK(other_stop(&o), "child");
	errno = 0;
	ASSERT_NULL(uls_monitor_open_pidfd(pidfd), "a reaped process");
	ASSERT_EQ(errno, ESRCH, "ESRCH");
out:
	other_stop(&o);
	uls_monitor_close(m);
	if (pidfd >= 0)
		close(pidfd);
	if (null >= 0)
		close(null);
	check_no_monitor("nothing left");
	t_teardown(&c0);
}

/* --- who may watch ------------------------------------------------------- */

static bool become_nobody(void)
{
	return ASSERT_OK(setresgid(65534, 65534, 65534), "setresgid") &&
	       ASSERT_OK(setresuid(65534, 65534, 65534), "setresuid");
}

/* Open and close /proc/@pid/maps: 0 or -errno. */
static int proc_maps_open(pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static void as_nobody(void *arg)
{
	pid_t root_pid = *(pid_t *)arg;
	struct uls_monitor_args a = { .pid = root_pid };
	struct mon m;
	int fd;

	if (!become_nobody())
		return;
	fd = t_dev_open();
	if (!ASSERT_GE(fd, 0, "open"))
		return;
	ASSERT_ERRNO(proc_maps_open(root_pid), EACCES, "its /proc/PID/maps");
	ASSERT_ERRNO(mon_ioctl(fd, &a), EPERM, "root's process, as nobody");
	a.pid = 1;
	ASSERT_ERRNO(mon_ioctl(fd, &a), EPERM, "init, as nobody");
	a.pid = 0;
	a.flags = ULS_MONITOR_ALL;
	ASSERT_ERRNO(mon_ioctl(fd, &a), EPERM, "all, as nobody");
	/* Its own process it may watch. */
	if (ASSERT_OK(mon_open(&m, fd, getpid(), 0, 4), "itself, as nobody"))
		mon_close(&m);
	close(fd);
}

static void without_sys_admin(void *arg)
{
	struct uls_monitor_args a = { .flags = ULS_MONITOR_ALL };
	struct mon m;
	int fd = t_dev_open();

	if (!ASSERT_GE(fd, 0, "open") ||
	    !ASSERT_OK(t_drop_cap(CAP_SYS_ADMIN), "drop CAP_SYS_ADMIN"))
		return;
	ASSERT_ERRNO(mon_ioctl(fd, &a), EPERM, "all, without CAP_SYS_ADMIN");
	/* Its parent, of the same uid, it may still read. */
	if (ASSERT_OK(mon_open(&m, fd, getppid(), 0, 4), "same uid"))
		mon_close(&m);
	close(fd);
}

/*
 * A process of one's own uid that is not dumpable: only CAP_SYS_PTRACE
 * may read it, as with ptrace.
 */
static void undumpable_reader(void *arg)
{
	struct uls_monitor_args a = { .pid = *(pid_t *)arg };
	int fd = t_dev_open();

	if (!ASSERT_GE(fd, 0, "open") || !become_nobody())
		return;
	/* As /proc/PID/maps says, which makes the same check. */
	ASSERT_ERRNO(proc_maps_open(a.pid), EACCES, "its /proc/PID/maps");
	ASSERT_ERRNO(mon_ioctl(fd, &a), EPERM, "an undumpable process");
	close(fd);
}

static void undumpable_main(void *arg)
{
	int *p = arg;
	char c;

	if (!become_nobody() ||
	    !ASSERT_OK(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "PR_SET_DUMPABLE") ||
	    !ASSERT_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0, "not dumpable"))
		return;
	if (write(p[1], "x", 1) != 1 || read(p[2], &c, 1) != 1)
		ASSERT_TRUE(false, "pipes");
}

ULS_TEST(monitor_access)
{
	char *mem = t_map_pages(1);
	pid_t me = getpid(), target;
	int p[3], up[2], down[2];
	struct t_ctx c;
	char ch;

	if (!t_setup(&c, 0) || !ASSERT_OK_PTR(mem, "mmap"))
		goto out;
	if (!ASSERT_OK(t_ioc_register(c.fd, mem, 64), "register"))
		goto out;
	ASSERT_OK(t_in_child(as_nobody, &me), "nobody");
	ASSERT_OK(t_in_child(without_sys_admin, NULL), "root without the cap");

	if (!ASSERT_OK(pipe(up), "pipe") || !ASSERT_OK(pipe(down), "pipe"))
		goto out;
	p[1] = up[1];
	p[2] = down[0];
	target = t_start_child(undumpable_main, p);
	if (ASSERT_GT(target, 0, "fork") &&
	    ASSERT_EQ(read(up[0], &ch, 1), 1, "undumpable now"))
		ASSERT_OK(t_in_child(undumpable_reader, &target), "reader");
	if (target > 0) {
		ASSERT_EQ(write(down[1], "x", 1), 1, "release");
		t_wait_child(target);
	}
	ASSERT_OK(t_ioc_unregister(c.fd), "unregister");
out:
	check_no_monitor("nothing left");
	t_teardown(&c);
}

/* --- the view is read-only ----------------------------------------------- */

static void write_view(void *arg)
{
	*(volatile char *)arg = 1;
	ASSERT_TRUE(false, "the store went through");
}

ULS_TEST(monitor_readonly)
{
	long page = getpagesize();
	struct mon m = { .fd = -1 };
	char *p, *mem = t_map_pages(1);
	struct uls_monitor_entry e;
	struct t_ctx c;
	pid_t pid;
	int status, memfd;

	if (!t_setup(&c, 0) || !ASSERT_OK_PTR(mem, "mmap") ||
	    !ASSERT_OK(t_ioc_register(c.fd, mem, 64), "register") ||
	    !ASSERT_OK(mon_open(&m, c.fd, getpid(), 0, 4), "monitor"))
		goto out;

	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, m.fd, 0);
	ASSERT_TRUE(p == MAP_FAILED && errno == EACCES, "shared, writable: EACCES");
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, m.fd, 0);
	ASSERT_TRUE(p == MAP_FAILED && errno == EACCES, "private, writable: EACCES");
	p = mmap(NULL, page, PROT_WRITE, MAP_SHARED, m.fd, 0);
	ASSERT_TRUE(p == MAP_FAILED && errno == EACCES, "write only: EACCES");
	p = mmap(NULL, page, PROT_READ, MAP_SHARED, m.fd, m.args.view_size);
	ASSERT_TRUE(p == MAP_FAILED && errno == EINVAL, "past the end: EINVAL");
	p = mmap(NULL, 2 * page, PROT_READ, MAP_SHARED, m.fd,
		 m.args.view_size - page);
	ASSERT_TRUE(p == MAP_FAILED && errno == EINVAL, "across the end: EINVAL");

	/* Read-only private mappings work, and cannot be made writable. */
	p = mmap(NULL, page, PROT_READ, MAP_PRIVATE, m.fd, 0);
	if (ASSERT_TRUE(p != MAP_FAILED, "private, read-only")) {
		ASSERT_EQ(((struct uls_monitor_header *)p)->magic,
			  ULS_MONITOR_MAGIC, "reads");
		ASSERT_ERRNO(mprotect(p, page, PROT_READ | PROT_WRITE), EACCES,
			     "mprotect(PROT_WRITE), private");
		munmap(p, page);
	}
	ASSERT_ERRNO(mprotect(m.view, page, PROT_READ | PROT_WRITE), EACCES,
		     "mprotect(PROT_WRITE), shared");
	if (ASSERT_TRUE(mon_read(&m, 0, &e, NULL, 0), "the entry")) {
		char *data = m.view + e.offset;

		ASSERT_ERRNO(mprotect((void *)((uintptr_t)data & ~(page - 1)),
				      page, PROT_READ | PROT_WRITE), EACCES,
			     "mprotect(PROT_WRITE) of a region's page");
		/* Nor through /proc/self/mem, which forces its way elsewhere. */
		memfd = open("/proc/self/mem", O_RDWR);
		if (ASSERT_GE(memfd, 0, "/proc/self/mem")) {
			ASSERT_TRUE(pwrite(memfd, "x", 1, (uintptr_t)data) < 0,
				    "no write through /proc/self/mem");
			close(memfd);
		}
		/* A store faults. */
		fflush(NULL);
		pid = fork();
		if (!pid) {
			signal(SIGSEGV, SIG_DFL);
			write_view(data);
			_exit(0);
		}
		if (ASSERT_GT(pid, 0, "fork") &&
		    ASSERT_EQ(waitpid(pid, &status, 0), pid, "waitpid"))
			ASSERT_TRUE(WIFSIGNALED(status) &&
				    WTERMSIG(status) == SIGSEGV,
				    "a store is SIGSEGV");
		ASSERT_EQ(mem[0], 0, "the memory untouched");
	}
	ASSERT_OK(t_ioc_unregister(c.fd), "unregister");
out:
	mon_close(&m);
	check_no_monitor("nothing left");
	t_teardown(&c);
}

/* --- bad arguments ------------------------------------------------------- */

ULS_TEST(monitor_bad_args)
{
	struct uls_monitor_args a = { .pid = getpid() };
	long max = max_entries();
	int fd_before, fd_after;
	struct t_ctx c;
	pid_t gone;

	if (!t_setup(&c, 0) || !ASSERT_GT(max, 0, "monitor_max_entries"))
		goto out;
	/* The lowest free descriptor: the next one a monitor would get. */
	fd_before = open("/dev/null", O_RDONLY);
	close(fd_before);

	ASSERT_ERRNO(ioctl(c.fd, ULS_IOC_MONITOR, NULL), EFAULT, "NULL");
	ASSERT_ERRNO(ioctl(c.fd, ULS_IOC_MONITOR, (void *)8), EFAULT, "bad pointer");
	a.flags = 2;
	ASSERT_ERRNO(mon_ioctl(c.fd, &a), EINVAL, "unknown flag");
	a.flags = 1u << 31;
	ASSERT_ERRNO(mon_ioctl(c.fd, &a), EINVAL, "unknown flag, high bit");
	a.flags = 0;
	a.__reserved0 = 1;
	ASSERT_ERRNO(mon_ioctl(c.fd, &a), EINVAL, "__reserved0");
	a.__reserved0 = 0;
	for (int i = 0; i < 4; i++) {
		a.__reserved[i] = 1;
		ASSERT_ERRNO(mon_ioctl(c.fd, &a), EINVAL, "__reserved");
		a.__reserved[i] = 0;
	}
	a.flags = ULS_MONITOR_ALL;
	ASSERT_ERRNO(mon_ioctl(c.fd, &a), EINVAL, "all, with a pid");
	a.flags = 0;
	a.pid = 0;
	ASSERT_ERRNO(mon_ioctl(c.fd, &a), EINVAL, "pid 0");
	a.pid = -1;
	ASSERT_ERRNO(mon_ioctl(c.fd, &a), EINVAL, "pid -1");
	a.pid = 2;	/* kthreadd */
	ASSERT_ERRNO(mon_ioctl(c.fd, &a), EINVAL, "a kernel thread");
	gone = fork();
	if (!gone)
		_exit(0);
	waitpid(gone, NULL, 0);
	a.pid = gone;
	ASSERT_ERRNO(mon_ioctl(c.fd, &a), ESRCH, "a process that is gone");
	a.pid = getpid();
	a.nr_slots = max + 1;
	ASSERT_ERRNO(mon_ioctl(c.fd, &a), E2BIG, "nr_slots > monitor_max_entries");
	a.nr_slots = max;
	fd_after = mon_ioctl(c.fd, &a);
	if (ASSERT_GE(fd_after, 0, "nr_slots = monitor_max_entries")) {
		ASSERT_EQ(fd_after, fd_before, "no descriptor leaked before");
		ASSERT_EQ(a.nr_slots, max, "nr_slots out");
		close(fd_after);
	}
	a.nr_slots = 0;
	fd_after = mon_ioctl(c.fd, &a);
	if (ASSERT_GE(fd_after, 0, "default nr_slots")) {
		ASSERT_EQ(a.nr_slots, max, "the default is monitor_max_entries");
		close(fd_after);
	}
	/* The answer cannot be written back: no descriptor, no monitor. */
	{
		void *ro = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (ASSERT_NEQ(ro, MAP_FAILED, "mmap")) {
			a.view_size = 0;
			a.nr_slots = 4;
			memcpy(ro, &a, sizeof(a));
			mprotect(ro, getpagesize(), PROT_READ);
			ASSERT_ERRNO(ioctl(c.fd, ULS_IOC_MONITOR, ro), EFAULT,
				     "read-only argument");
			munmap(ro, getpagesize());
		}
	}
	fd_after = open("/dev/null", O_RDONLY);
	close(fd_after);
	ASSERT_EQ(fd_after, fd_before, "no descriptor left behind");
out:
	check_no_monitor("nothing left");
	t_teardown(&c);
}

/* --- threads that exit while a reader loops over them ------------------- */

#define RACE_THREADS	8

/*
 * At least this many short lives, and at least the time: a debug kernel
 * (KASAN) makes threads ten times slower to come and go.
 */
#define RACE_MIN_THREADS	200
#define RACE_SECONDS		3.0
#define RACE_MAX_SECONDS	60.0

struct race {
	int fd;
	double start;
	long threads, failed;
	int done;
};

static __u64 cookie_of(__u64 tid, __u64 k)
{
	return (tid << 32 ^ k) * 0x9e3779b97f4a7c15ULL;
}

/*
 * A short life: a page of its own, filled with its tid and a cookie at
 * both ends of 256 bytes, registered, then unmapped (the pin keeps the
 * page until the registration is freed) and exit. Once freed, the page
 * may be anyone's: another thread's area, with another tid in it.
 */
static void *short_main(void *arg)
{
	struct race *r = arg;
	long page = getpagesize();
	__u64 *p = mmap(NULL, page, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	__u64 tid = t_gettid();

	if (p == MAP_FAILED) {
		__atomic_add_fetch(&r->failed, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	p[0] = tid;
	p[1] = cookie_of(tid, 1);
	p[31] = cookie_of(tid, 31);
	if (t_ioc_register(r->fd, p, 256))
		__atomic_add_fetch(&r->failed, 1, __ATOMIC_RELAXED);
	sched_yield();
	munmap(p, page);
	return NULL;
}

static void *spawner_main(void *arg)
{
	struct race *r = arg;

	while ((r->threads < RACE_MIN_THREADS ||
		t_now() < r->start + RACE_SECONDS) &&
	       t_now() < r->start + RACE_MAX_SECONDS) {
		pthread_t th[RACE_THREADS];
		int n = 0;

		for (int i = 0; i < RACE_THREADS; i++)
			if (!pthread_create(&th[n], NULL, short_main, r))
				n++;
		for (int i = 0; i < n; i++)
			pthread_join(th[i], NULL);
		r->threads += n;
	}
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

ULS_TEST_TIMEOUT(monitor_exit_race, 180)
{
	struct race r = { .start = t_now() };
	struct mon m = { .fd = -1 };
	long reads = 0, live = 0, bad = 0;
	pthread_t sp;
	struct t_ctx c;

	if (!t_setup(&c, 0) ||
	    !ASSERT_OK(mon_open(&m, c.fd, getpid(), 0, 64), "monitor"))
		goto out;
	r.fd = c.fd;
	if (!ASSERT_OK(pthread_create(&sp, NULL, spawner_main, &r), "spawner"))
		goto out;
	while (!__atomic_load_n(&r.done, __ATOMIC_ACQUIRE)) {
		for (__u32 s = 0; s < m.h->nr_slots; s++) {
			struct uls_monitor_entry e;
			__u64 d[32];

			reads++;
			if (!mon_read(&m, s, &e, d, sizeof(d)))
				continue;
			live++;
			/* What a stable read shows is that thread's, always. */
			if (e.len != 256 || d[0] != (__u64)e.tid ||
			    d[1] != cookie_of(e.tid, 1) ||
			    d[31] != cookie_of(e.tid, 31)) {
				if (!bad++)
					fprintf(stderr, "slot %u tid %d: %llx %llx %llx\n",
						s, e.tid, (unsigned long long)d[0],
						(unsigned long long)d[1],
						(unsigned long long)d[31]);
			}
		}
	}
	pthread_join(sp, NULL);
	printf("%ld threads came and went; %ld reads, %ld of a live entry\n",
	       r.threads, reads, live);
	ASSERT_EQ(bad, 0, "never another registration's data");
	ASSERT_EQ(r.failed, 0, "every registration made");
	ASSERT_GE(r.threads, RACE_MIN_THREADS, "threads came and went");
	ASSERT_GT(live, 0, "live entries read");
	ASSERT_EQ(m.h->lost, 0, "none lost: 64 slots for 8 at a time");
	t_wait_until(mon_live(&m) == 0, 5000);
	ASSERT_EQ(mon_live(&m), 0, "all gone");
	ASSERT_OK(t_settle(), "all freed");
out:
	mon_close(&m);
	check_no_monitor("nothing left");
	t_teardown(&c);
}

/* --- 10,000 threads ------------------------------------------------------ */

#define MANY	10000

struct many {
	int fd;
	__u64 *areas;			/* 8 words each */
	int registered, failed;
	pthread_rwlock_t hold;		/* write-locked until they may exit */
};

struct many_one {
	struct many *mn;
	int i, tid;
};

static void *many_main(void *arg)
{
	struct many_one *o = arg;
	__u64 *a = o->mn->areas + 8 * o->i;

	o->tid = t_gettid();
	a[0] = o->tid;
	a[1] = o->i;
	if (t_ioc_register(o->mn->fd, a, 64))
		__atomic_add_fetch(&o->mn->failed, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&o->mn->registered, 1, __ATOMIC_RELEASE);
	/* Asleep until the test lets go: 10,000 threads polling would not be. */
	pthread_rwlock_rdlock(&o->mn->hold);
	pthread_rwlock_unlock(&o->mn->hold);
	return NULL;
}

static void check_many(const struct mon *m, const struct many_one *ones,
		       const char *name)
{
	long found = 0, right = 0;

	for (int i = 0; i < MANY; i++) {
		struct uls_monitor_entry e;
		__u64 d[2] = {};

		if (mon_find(m, ones[i].tid, &e, d, sizeof(d)) < 0)
			continue;
		found++;
		right += d[0] == (__u64)ones[i].tid && d[1] == (__u64)i;
	}
	printf("%s: %ld of %d found by tid, %ld with their data\n", name,
	       found, MANY, right);
	ASSERT_EQ(found, MANY, name);
	ASSERT_EQ(right, MANY, "each with its data");
	ASSERT_EQ(mon_live(m), MANY, "nr_live");
	ASSERT_EQ(mon_count_slots(m), MANY, "live slots");
	ASSERT_EQ(m->h->lost, 0, "none lost");
}

/*
 * For the record, not judged (timing under emulation says little): one
 * 8-byte field of every thread through the view, by slot and by tid, and
 * what one pread() of a thread's /proc/self/task/TID/stat costs.
 */
static void time_reads(const struct mon *m, const struct many_one *ones)
{
	struct uls_monitor_entry e;
	__u64 d, sum = 0;
	char path[64], buf[512];
	double t0, scan, find, proc = 0;
	int n = 0;

	t0 = t_now();
	for (int r = 0; r < 10; r++)
		for (__u32 s = 0; s < m->h->nr_slots; s++)
			if (mon_read(m, s, &e, &d, sizeof(d)))
				sum += d;
	scan = (t_now() - t0) / 10;
	t0 = t_now();
	for (int i = 0; i < MANY; i++)
		if (mon_find(m, ones[i].tid, &e, &d, sizeof(d)) >= 0)
			sum += d;
	find = (t_now() - t0) / MANY;
	for (int i = 0; i < MANY; i += MANY / 100) {
		int fd;

		snprintf(path, sizeof(path), "/proc/self/task/%d/stat", ones[i].tid);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		t0 = t_now();
		if (pread(fd, buf, sizeof(buf), 0) > 0)
			n++;
		proc += t_now() - t0;
		close(fd);
	}
	printf("one field of all %d threads through the view: %.2f ms (%.0f ns a thread); "
	       "by tid: %.0f ns a lookup; one pread of /proc/self/task/TID/stat: %.0f ns (sum %llu)\n",
	       MANY, scan * 1e3, scan * 1e9 / MANY, find * 1e9,
	       n ? proc * 1e9 / n : -1.0, (unsigned long long)sum);
}

/*
 * A kernel limit of @file (under /proc/sys/kernel/) raised to at least
 * @want for the test: the debug tier's tinyconfig kernels (BASE_SMALL)
 * allow 4096 pids. The old value, to restore, or -1 if none was changed.
 */
static long raise_limit(const char *file, long want)
{
	long old = t_raise_sysctl(file, want);

	if (old >= 0)
		printf("%s raised from %ld to %ld for the test\n", file, old, want);
	return old;
}

ULS_TEST_TIMEOUT(monitor_10k_threads, 600)
{
	size_t bytes = (size_t)MANY * 64;
	struct many mn = {
		.areas = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
		.hold = PTHREAD_RWLOCK_INITIALIZER,
	};
	bool held = false;
	long old_pid_max = -1, old_threads_max = -1;
	struct many_one *ones = calloc(MANY, sizeof(*ones));
	pthread_t *th = calloc(MANY, sizeof(*th));
	struct mon before = { .fd = -1 }, after = { .fd = -1 };
	pthread_attr_t attr;
	struct t_ctx c;
	double t0;
	int n = 0;

	if (!t_setup(&c, 0) || !ASSERT_NEQ(mn.areas, MAP_FAILED, "mmap") ||
	    !ASSERT_OK_PTR(ones, "calloc") || !ASSERT_OK_PTR(th, "calloc"))
		goto out;
	old_pid_max = raise_limit("pid_max", 2 * MANY);
	old_threads_max = raise_limit("threads-max", 2 * MANY);
	mn.fd = c.fd;
	/* Opened first: every registration reaches it as an update. */
	if (!ASSERT_OK(mon_open(&before, c.fd, getpid(), 0, MANY + 16),
		       "monitor before"))
		goto out;
	pthread_rwlock_wrlock(&mn.hold);
	held = true;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	t0 = t_now();
	for (int i = 0; i < MANY; i++) {
		ones[i] = (struct many_one){ .mn = &mn, .i = i };
		if (pthread_create(&th[i], &attr, many_main, &ones[i]))
			break;
		n++;
	}
	if (!ASSERT_EQ(n, MANY, "threads created"))
		goto stop;
	t_wait_until(__atomic_load_n(&mn.registered, __ATOMIC_ACQUIRE) == MANY,
		     120000);
	printf("%d threads registered in %.1f s\n", MANY, t_now() - t0);
	if (!ASSERT_EQ(mn.registered, MANY, "all registered") ||
	    !ASSERT_EQ(mn.failed, 0, "no registration failed"))
		goto stop;
	check_many(&before, ones, "the monitor opened before");
	/* Opened after: it finds them all in the table. */
	if (ASSERT_OK(mon_open(&after, c.fd, getpid(), 0, 0), "monitor after"))
		check_many(&after, ones, "the monitor opened after");
	time_reads(&before, ones);
stop:
	if (held)
		pthread_rwlock_unlock(&mn.hold);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	t_wait_until(mon_live(&before) == 0, 30000);
	ASSERT_EQ(mon_live(&before), 0, "all gone from the view");
	ASSERT_OK(t_settle(), "all freed");
out:
	mon_close(&before);
	mon_close(&after);
	check_no_monitor("nothing left");
	t_restore_sysctl("pid_max", old_pid_max);
	t_restore_sysctl("threads-max", old_threads_max);
	free(ones);
	free(th);
	t_teardown(&c);
}

/* --- libuls's monitor API, and ulsctl top -------------------------------- */

#define KT_THREADS	3

struct kt {
	pthread_t th;
	uls_key_t key;
	bool events;			/* also the scheduler-event feed's key */
	int tid, err;
	sem_t ready, go;
	volatile int stop;
};

static void *kt_main(void *arg)
{
	struct kt *t = arg;
	__u64 *v;

	t->tid = t_gettid();
	pthread_setname_np(pthread_self(), "uls-mon-key");
	v = uls_key_get(t->key);
	if (!v) {
		t->err = -errno;
	} else {
		v[0] = t->tid;
		v[1] = ~(__u64)t->tid;
	}
	if (t->events && !uls_sched_events())
		t->err = -errno;
	sem_post(&t->ready);
	if (t->events) {
		/* Switches for the feed to count. */
		while (!t->stop)
			t_msleep(1);
	}
	sem_wait(&t->go);
	return NULL;
}

static bool kt_start(struct kt *ts, uls_key_t key, bool events)
{
	bool ok = true;

	for (int i = 0; i < KT_THREADS; i++) {
		struct kt *t = &ts[i];

		t->key = key;
		t->events = events;
		sem_init(&t->ready, 0, 0);
		sem_init(&t->go, 0, 0);
		if (!ASSERT_OK(pthread_create(&t->th, NULL, kt_main, t), "thread")) {
			t->th = 0;
			ok = false;
			continue;
		}
		sem_wait(&t->ready);
		ok &= ASSERT_OK(t->err, "the thread's key");
	}
	return ok;
}

static void kt_stop(struct kt *t)
{
	if (!t->th)
		return;
	t->stop = 1;
	sem_post(&t->go);
	pthread_join(t->th, NULL);
	t->th = 0;
}

ULS_TEST(monitor_libuls)
{
	struct kt ts[KT_THREADS] = {};
	uls_key_t key = uls_key_create("test.monitor", 16);
	struct uls_monitor *m = NULL;
	struct uls_monitor_thread t, stale;
	unsigned int cursor = 0, n = 0;
	__u64 v[2], updates;
	char byte;
	struct t_ctx c;
	int tid;

	if (!t_setup(&c, 0) || !ASSERT_FALSE(uls_key_is_err(key), "key"))
		goto out;
	if (!kt_start(ts, key, false))
		goto out;
	m = uls_monitor_open(getpid());
	if (!ASSERT_OK_PTR(m, "uls_monitor_open"))
		goto out;
	for (int i = 0; i < KT_THREADS; i++) {
		if (!ASSERT_OK(uls_monitor_find(m, ts[i].tid, &t), "find"))
			continue;
		ASSERT_EQ(t.pid, getpid(), "pid");
		ASSERT_EQ(t.tid, ts[i].tid, "tid");
		ASSERT_STRSTR(t.comm, "uls-mon-key", "comm");
		ASSERT_TRUE(t.has_data, "has_data");
		if (ASSERT_OK(uls_monitor_read_key(m, &t, "test.monitor", v, sizeof(v)),
			      "read_key")) {
			ASSERT_EQ(v[0], ts[i].tid, "the key's data");
			ASSERT_EQ(v[1], ~(__u64)ts[i].tid, "all of it");
		}
		ASSERT_ERRNO(uls_monitor_read_key(m, &t, "no.such.key", v, 8), ENOENT,
			     "no such key");
		ASSERT_ERRNO(uls_monitor_read_key(m, &t, "test.monitor", v, 17), ENOENT,
			     "more than the key has");
		ASSERT_ERRNO(uls_monitor_read(m, &t, t.len, &byte, 1), ERANGE,
			     "past the region");
		ASSERT_OK(uls_monitor_read(m, &t, t.len - 1, &byte, 1), "its last byte");
	}
	while (!uls_monitor_next(m, &cursor, &t)) {
		n++;
		ASSERT_EQ(t.pid, getpid(), "only ours");
	}
	ASSERT_EQ(n, KT_THREADS, "next: each once");
	ASSERT_ERRNO(uls_monitor_next(m, &cursor, &t), ENOENT, "and then the end");

	/* All at once: the same threads and bytes as a thread at a time. */
	{
		struct uls_monitor_thread many[KT_THREADS + 1];
		__u64 all[KT_THREADS + 1], w;
		size_t longest = 0;
		char first[KT_THREADS + 1];
		long got;

		cursor = 0;
		got = uls_monitor_read_many(m, &cursor, 0, all, 8, many,
					    KT_THREADS + 1);
		ASSERT_EQ(got, KT_THREADS, "read_many: each once");
		ASSERT_EQ(uls_monitor_read_many(m, &cursor, 0, all, 8, many, 1), 0,
			  "and then the end");
		for (long i = 0; i < got; i++) {
			if (!ASSERT_OK(uls_monitor_find(m, many[i].tid, &t), "find it"))
				continue;
			ASSERT_EQ(many[i].pid, getpid(), "its pid");
			ASSERT_EQ(many[i].gen, t.gen, "its generation");
			ASSERT_EQ(many[i].slot, t.slot, "its slot");
			ASSERT_EQ(many[i].len, t.len, "its length");
			ASSERT_EQ(many[i].addr, t.addr, "its address");
			ASSERT_STRSTR(many[i].comm, "uls-mon-key", "its comm");
			ASSERT_TRUE(many[i].has_data, "has_data");
			/* What it describes reads as the rest of the API does. */
			if (ASSERT_OK(uls_monitor_read(m, &many[i], 0, &w, 8), "read"))
				ASSERT_EQ(w, all[i], "the same bytes");
			if (many[i].len > longest)
				longest = many[i].len;
		}
		cursor = 0;
		n = 0;
		while (n < KT_THREADS &&
		       uls_monitor_read_many(m, &cursor, 0, &first[n], 1, NULL,
					     1) == 1) {
			ASSERT_EQ(first[n], ((char *)&all[n])[0], "a byte at a time");
			n++;
		}
		ASSERT_EQ(n, KT_THREADS, "one at a time, no description");
		cursor = 0;
		ASSERT_EQ(uls_monitor_read_many(m, &cursor, 0, all, 8, many, 0), 0,
			  "none asked");
		ASSERT_EQ(cursor, 0, "the cursor stays");
		ASSERT_EQ(uls_monitor_read_many(m, &cursor, 0, all, 8, many, -1),
			  -EINVAL, "a negative max");
		ASSERT_EQ(uls_monitor_read_many(m, &cursor, longest - 4, all, 8,
						NULL, KT_THREADS), 0,
			  "past every region: each skipped");
	}
	ASSERT_ERRNO(uls_monitor_find(m, 1, &t), ENOENT, "a thread without");

	/* A thread that ends: gone, and what was found of it is stale. */
	updates = uls_monitor_updates(m);
	tid = ts[0].tid;
	if (ASSERT_OK(uls_monitor_find(m, tid, &stale), "find")) {
		kt_stop(&ts[0]);
		/* updates grows right after the index changes, not with it. */
		t_wait_until(uls_monitor_find(m, tid, &t) == -ENOENT &&
			     uls_monitor_updates(m) > updates, 5000);
		ASSERT_ERRNO(uls_monitor_find(m, tid, &t), ENOENT, "gone");
		ASSERT_GT(uls_monitor_updates(m), updates, "an update");
		ASSERT_ERRNO(uls_monitor_read(m, &stale, 0, v, 8), ESTALE, "stale");
		ASSERT_ERRNO(uls_monitor_read_key(m, &stale, "test.monitor", v, 8),
			     ESTALE, "stale key");
	}
	errno = 0;
	ASSERT_NULL(uls_monitor_open(-1), "a negative pid");
	ASSERT_EQ(errno, EINVAL, "EINVAL");
out:
	uls_monitor_close(m);
	for (int i = 0; i < KT_THREADS; i++)
		kt_stop(&ts[i]);
	check_no_monitor("nothing left");
	t_teardown(&c);
}

#define ULSCTL "/bin/ulsctl"

static int run_ulsctl(char *const argv[], char *out, size_t size)
{
	int rc = t_run_capture(argv, NULL, 0, true, out, size);

	fprintf(stderr, "  %s %s ...: exit %d\n%s", argv[1], argv[2], rc, out);
	return rc;
}

/* ulsctl top: the threads' event counts, read through a monitor. */
ULS_TEST_TIMEOUT(ulsctl_top, 120)
{
	char *const on[] = { ULSCTL, "events", "enable", NULL };
	char *const off[] = { ULSCTL, "events", "disable", NULL };
	struct kt ts[KT_THREADS] = {};
	uls_key_t key = uls_key_create("test.monitor", 16);
	static char outbuf[65536];
	char *out = outbuf, pid[16], path[64], val[64];
	const size_t size = sizeof(outbuf);
	bool feed = false;
	struct t_ctx c;
	int n, seen = 0;

	if (!t_setup(&c, 0) || !ASSERT_FALSE(uls_key_is_err(key), "key"))
		goto out;
	if (access(ULSCTL, X_OK))
		test__skip("no " ULSCTL);
	feed = ASSERT_EQ(run_ulsctl(on, out, size), 0, "events enable");
	if (!feed || !kt_start(ts, key, true))
		goto out;
	snprintf(pid, sizeof(pid), "%d", getpid());
	{
		char *const top_j[] = { ULSCTL, "-j", "top", "pid", pid, NULL };

		if (!ASSERT_EQ(run_ulsctl(top_j, out, size), 0, "ulsctl -j top"))
			goto out;
	}
	ASSERT_OK(t_json_check(out, NULL), "JSON");
	ASSERT_OK(t_json_get(out, "interval_ms", val, sizeof(val)), "interval_ms");
	n = t_json_count(out, "threads");
	ASSERT_EQ(n, KT_THREADS, "the three threads");
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "threads.%d.events", i);
		if (t_json_get(out, path, val, sizeof(val)) || strcmp(val, "true"))
			continue;
		seen++;
		snprintf(path, sizeof(path), "threads.%d.feed_on", i);
		ASSERT_OK(t_json_get(out, path, val, sizeof(val)), "feed_on");
		ASSERT_EQ(strcmp(val, "true"), 0, "the feed is on");
		snprintf(path, sizeof(path), "threads.%d.switches_in", i);
		ASSERT_OK(t_json_get(out, path, val, sizeof(val)), "switches_in");
		ASSERT_GT(atol(val), 0, "switches counted");
		snprintf(path, sizeof(path), "threads.%d.switches_per_s", i);
		ASSERT_OK(t_json_get(out, path, val, sizeof(val)), "a rate");
		ASSERT_GT(atol(val), 10, "sleeping 1 ms: many switches a second");
	}
	ASSERT_EQ(seen, KT_THREADS, "each with its events");
	{
		char *const top[] = { ULSCTL, "top", "pid", pid, "count", "2", NULL };

		if (ASSERT_EQ(run_ulsctl(top, out, size), 0, "ulsctl top")) {
			ASSERT_STRSTR(out, "PREEMPT/s", "the header");
			snprintf(val, sizeof(val), " %d ", ts[1].tid);
			ASSERT_STRSTR(out, val, "a thread's line");
			ASSERT_STRSTR(out, "uls-mon-key", "its comm");
		}
	}
	{
		char *const bad[] = { ULSCTL, "top", "pid", "x", NULL };

		ASSERT_EQ(run_ulsctl(bad, out, size), 2, "bad pid: usage");
	}
out:
	for (int i = 0; i < KT_THREADS; i++)
		kt_stop(&ts[i]);
	if (feed)
		ASSERT_EQ(run_ulsctl(off, out, size), 0, "events disable");
	check_no_monitor("nothing left");
	t_teardown(&c);
}
