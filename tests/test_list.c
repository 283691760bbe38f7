// SPDX-License-Identifier: GPL-2.0
/*
 * ULS_IOC_LIST and uls_list(): every live registration, as root sees it.
 * What each entry says, an entry's end, a short buffer, bad arguments,
 * privilege, pid namespaces, and listing while threads register and exit
 * (the walk races resizes of the table and the retire of entries).
 */
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "helpers.h"
#include "test.h"
#include "uls.h"

static int list_raw(int fd, struct uls_list *l)
{
	return ioctl(fd, ULS_IOC_LIST, l) ? -errno : 0;
}

static const struct uls_list_entry *find_tid(const struct uls_list_entry *e,
					     unsigned int n, int tid)
{
	for (unsigned int i = 0; i < n; i++)
		if (e[i].tid == tid)
			return &e[i];
	return NULL;
}

/* Pages that [addr, addr + len) touches. */
static __u64 pages_spanned(__u64 addr, __u64 len)
{
	__u64 page = getpagesize();

	return (addr + len - 1) / page - addr / page + 1;
}

/* --- threads that register, and wait to be told to exit ---------------- */

struct lt {
	pthread_t th;
	int fd;
	char *addr;
	size_t len;
	char name[16];
	int tid, err;
	sem_t ready, go;
};

static void *lt_main(void *arg)
{
	struct lt *t = arg;

	t->tid = t_gettid();
	t->err = pthread_setname_np(pthread_self(), t->name);
	if (!t->err)
		t->err = t_ioc_register(t->fd, t->addr, t->len);
	sem_post(&t->ready);
	sem_wait(&t->go);
	return NULL;
}

#define NR_LT 5

/*
 * Distinct lengths: within a page, two crossing a page boundary, and two
 * of several pages, one of them not page-aligned.
 */
static void lt_start(struct lt *lts, int fd, char *mem)
{
	long page = getpagesize();
	const struct { long off, len; } shape[NR_LT] = {
		{ 0, 8 }, { 64, 200 }, { page - 8, 16 },
		{ 0, 3 * page }, { 8, 3 * page },
	};

	for (int i = 0; i < NR_LT; i++) {
		struct lt *t = &lts[i];

		t->fd = fd;
		t->addr = mem + i * 4 * page + shape[i].off;
		t->len = shape[i].len;
		snprintf(t->name, sizeof(t->name), "uls-list-%d", i);
		sem_init(&t->ready, 0, 0);
		sem_init(&t->go, 0, 0);
		t->tid = 0;
		t->err = -ECHILD;
		if (pthread_create(&t->th, NULL, lt_main, t)) {
			t->th = 0;
			continue;
		}
		sem_wait(&t->ready);
	}
}

static bool lt_started(struct lt *lts)
{
	bool ok = true;

	for (int i = 0; i < NR_LT; i++)
		ok &= ASSERT_NEQ(lts[i].th, 0, "thread created") &&
		      ASSERT_OK(lts[i].err, "name and register");
	return ok;
}

static void lt_stop(struct lt *t)
{
	if (!t->th)
		return;
	sem_post(&t->go);
	pthread_join(t->th, NULL);
	t->th = 0;
}

static void lt_stop_all(struct lt *lts)
{
	for (int i = 0; i < NR_LT; i++)
		lt_stop(&lts[i]);
}

static void check_entry(const struct uls_list_entry *e, const struct lt *t)
{
	ASSERT_EQ(e->pid, getpid(), "pid");
	ASSERT_EQ(e->addr, (uintptr_t)t->addr, "addr, the user address");
	ASSERT_EQ(e->len, t->len, "len");
	ASSERT_EQ(e->nr_pages, pages_spanned((uintptr_t)t->addr, t->len),
		  "nr_pages");
	ASSERT_EQ(e->__reserved0, 0, "reserved zeroed");
	__ASSERT(!strcmp(e->comm, t->name), "comm '%.16s', want '%s'",
		 e->comm, t->name);
}

/* Each thread's registration is listed as it is, and leaves with it. */
ULS_TEST(list_threads)
{
	struct uls_list_entry e[64];
	unsigned int count = 64, total = 0;
	struct lt lts[NR_LT] = {};
	char *mem = t_map_pages(4 * NR_LT);
	struct t_ctx c;
	int tid;

	if (!t_setup(&c, 0) || !ASSERT_OK_PTR(mem, "mmap"))
		goto out;
	lt_start(lts, c.fd, mem);
	if (!lt_started(lts))
		goto out;

	memset(e, 0xa5, sizeof(e));
	if (!ASSERT_OK(uls_list(e, &count, &total), "uls_list"))
		goto out;
	/* t_setup() found nothing registered anywhere: these are all. */
	ASSERT_EQ(total, NR_LT, "total");
	ASSERT_EQ(count, NR_LT, "count");
	for (int i = 0; i < NR_LT; i++) {
		const struct uls_list_entry *le = find_tid(e, count, lts[i].tid);

		if (ASSERT_OK_PTR(le, "the thread's entry is listed"))
			check_entry(le, &lts[i]);
	}
	/* Past the count the buffer is the caller's, untouched. */
	ASSERT_EQ(e[NR_LT].pid, (int)0xa5a5a5a5, "nothing written past count");

	/* A thread that exits leaves the list; the others stay. */
	tid = lts[2].tid;
	lt_stop(&lts[2]);
	t_wait_until((count = 64, !uls_list(e, &count, &total) &&
		      !find_tid(e, count, tid)), 10000);
	ASSERT_NULL(find_tid(e, count, tid), "the exited thread's entry is gone");
	ASSERT_EQ(total, NR_LT - 1, "total after the exit");
	for (int i = 0; i < NR_LT; i++) {
		const struct uls_list_entry *le;

		if (i == 2)
			continue;
		le = find_tid(e, count, lts[i].tid);
		if (ASSERT_OK_PTR(le, "the others stay"))
			check_entry(le, &lts[i]);
	}

	/* So does an unregistered one, at once. */
	ASSERT_OK(t_ioc_register(c.fd, mem, 8), "the test thread registers");
	count = 64;
	if (ASSERT_OK(uls_list(e, &count, &total), "uls_list") &&
	    ASSERT_OK_PTR(find_tid(e, count, t_gettid()), "listed"))
		ASSERT_EQ(find_tid(e, count, t_gettid())->len, 8, "its len");
	ASSERT_OK(t_ioc_unregister(c.fd), "unregister");
	count = 64;
	if (ASSERT_OK(uls_list(e, &count, &total), "uls_list"))
		ASSERT_NULL(find_tid(e, count, t_gettid()),
			    "no entry after unregister");
out:
	lt_stop_all(lts);
	t_teardown(&c);
}

/* Too small a buffer: what fits, and the total, for a second try. */
ULS_TEST(list_short_buffer)
{
	struct uls_list_entry e[NR_LT + 1];
	struct lt lts[NR_LT] = {};
	char *mem = t_map_pages(4 * NR_LT);
	unsigned int count, total;
	struct uls_list l = {};
	struct t_ctx c;

	if (!t_setup(&c, 0) || !ASSERT_OK_PTR(mem, "mmap"))
		goto out;
	lt_start(lts, c.fd, mem);
	if (!lt_started(lts))
		goto out;

	count = 2;
	total = 0;
	memset(e, 0xa5, sizeof(e));
	if (ASSERT_OK(uls_list(e, &count, &total), "uls_list, room for 2")) {
		ASSERT_EQ(count, 2, "count: as many as fit");
		ASSERT_EQ(total, NR_LT, "total: all of them");
		for (int i = 0; i < 2; i++) {
			ASSERT_EQ(e[i].pid, getpid(), "one of ours");
			ASSERT_GT(e[i].tid, 0, "a tid");
		}
		ASSERT_NEQ(e[0].tid, e[1].tid, "two different ones");
		ASSERT_EQ(e[2].pid, (int)0xa5a5a5a5, "nothing past count");
	}

	/* Only the total: no buffer at all. */
	count = 0;
	total = 0;
	if (ASSERT_OK(uls_list(NULL, &count, &total), "uls_list, no room")) {
		ASSERT_EQ(count, 0, "count");
		ASSERT_EQ(total, NR_LT, "total");
	}
	total = 0;
	ASSERT_OK(uls_list(NULL, NULL, &total), "uls_list, no count");
	ASSERT_EQ(total, NR_LT, "total");

	/* The raw struct: only count and total change. */
	l.entries = (uintptr_t)e;
	l.count = NR_LT + 1;
	if (ASSERT_OK(list_raw(c.fd, &l), "ULS_IOC_LIST")) {
		ASSERT_EQ(l.entries, (uintptr_t)e, "entries kept");
		ASSERT_EQ(l.count, NR_LT, "count");
		ASSERT_EQ(l.total, NR_LT, "total");
		ASSERT_EQ(l.flags | l.__reserved[0] | l.__reserved[1] |
			  l.__reserved[2], 0, "flags and reserved stay 0");
	}
out:
	lt_stop_all(lts);
	t_teardown(&c);
}

/* Kernel memory in use that no shrinker could give back, in kB. */
static long sunreclaim_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SUnreclaim: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/*
 * Bad arguments, and a snapshot that cannot be copied out: EFAULT, and
 * the buffer freed all the same. Each call fills a kernel array of 64
 * entries, 3 KiB: 40000 of them leaked would be 160 MiB of slab, well
 * past what KASAN's quarantine (1/32 of memory) holds of those freed.
 */
ULS_TEST(list_bad_args)
{
	struct uls_list_entry e[4];
	struct uls_list l = { .entries = (uintptr_t)e, .count = 4 };
	char *mem = t_map_pages(1);
	long before = 0, after;
	struct t_ctx c;
	int i;

	if (!t_setup(&c, 0) || !ASSERT_OK_PTR(mem, "mmap"))
		goto out;
	ASSERT_ERRNO(ioctl(c.fd, ULS_IOC_LIST, NULL), EFAULT, "NULL argument");
	ASSERT_ERRNO(ioctl(c.fd, ULS_IOC_LIST, (void *)8), EFAULT,
		     "bad argument");

	l.flags = 1;
	ASSERT_ERRNO(list_raw(c.fd, &l), EINVAL, "flags");
	l.flags = 1u << 31;
	ASSERT_ERRNO(list_raw(c.fd, &l), EINVAL, "flags, high bit");
	l.flags = 0;
	for (i = 0; i < 3; i++) {
		l.__reserved[i] = 1;
		ASSERT_ERRNO(list_raw(c.fd, &l), EINVAL, "reserved");
		l.__reserved[i] = 0;
	}
	ASSERT_OK(list_raw(c.fd, &l), "and valid again");

	/* Something to copy out, to a pointer that cannot take it. */
	if (!ASSERT_OK(t_ioc_register(c.fd, mem, 64), "register"))
		goto out;
	/* The call above wrote its count back: 0. */
	l.count = 4;
	l.entries = 8;
	ASSERT_ERRNO(list_raw(c.fd, &l), EFAULT, "entries at 8");
	ASSERT_EQ(l.count, 4, "the struct untouched");
	l.entries = 0;
	ASSERT_ERRNO(list_raw(c.fd, &l), EFAULT, "entries NULL, count 4");
	l.entries = 0xffffffff81000000ULL;
	ASSERT_ERRNO(list_raw(c.fd, &l), EFAULT, "entries in the kernel");
	/* libuls passes the errno on. */
	{
		unsigned int count = 1, total;

		ASSERT_ERRNO(uls_list((void *)8, &count, &total), EFAULT,
			     "uls_list, bad entries");
	}

	/*
	 * Twice 40000 calls, measured over the second: KASAN's quarantine
	 * keeps freed objects (up to a 32nd of RAM, 96 MiB in the debug
	 * tier's VM) and fills up over the first, where the slab grew by 88
	 * MiB when the quarantine started empty. A leak grows in both.
	 */
	l.entries = 8;
	l.count = 64;
	for (i = 0; i < 80000; i++) {
		if (i == 40000)
			before = sunreclaim_kb();
		if (list_raw(c.fd, &l) != -EFAULT)
			break;
	}
	after = sunreclaim_kb();
	ASSERT_EQ(i, 80000, "EFAULT every time");
	printf("SUnreclaim %ld kB before, %ld kB after the second 40000 EFAULTs\n",
	       before, after);
	ASSERT_GT(before, 0, "SUnreclaim read");
	ASSERT_LT(after - before, 80 * 1024, "the buffers are freed");
	ASSERT_OK(t_ioc_unregister(c.fd), "unregister");
out:
	t_teardown(&c);
}

static bool has_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return true;
	return data[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap);
}

static void list_denied(const char *who)
{
	struct uls_list_entry e[4];
	struct uls_list l = { .entries = (uintptr_t)e, .count = 4 };
	unsigned int count = 4, total = 0;
	int fd = t_dev_open();

	if (!ASSERT_FALSE(has_cap(CAP_SYS_ADMIN), "no CAP_SYS_ADMIN") ||
	    !ASSERT_GE(fd, 0, "open"))
		return;
	ASSERT_ERRNO(list_raw(fd, &l), EPERM, who);
	/* Before anything else: not even bad flags are looked at. */
	l.flags = 1;
	ASSERT_ERRNO(list_raw(fd, &l), EPERM, "bad flags, unprivileged");
	ASSERT_ERRNO(uls_list(e, &count, &total), EPERM, "uls_list");
	ASSERT_STRSTR(uls_strerror(-EPERM), "CAP_SYS_ADMIN", "uls_strerror");
	close(fd);
}

static void as_nobody(void *arg)
{
	if (!ASSERT_OK(setresgid(65534, 65534, 65534), "setresgid") ||
	    !ASSERT_OK(setresuid(65534, 65534, 65534), "setresuid"))
		return;
	list_denied("nobody");
}

static void as_root_without_cap(void *arg)
{
	if (!ASSERT_OK(t_drop_cap(CAP_SYS_ADMIN), "drop CAP_SYS_ADMIN"))
		return;
	ASSERT_EQ(getuid(), 0, "still root");
	list_denied("root without CAP_SYS_ADMIN");
}

/* CAP_SYS_ADMIN, not the uid, is what it takes. */
ULS_TEST(list_unprivileged)
{
	char *mem = t_map_pages(1);
	struct t_ctx c;

	if (!t_setup(&c, 0) || !ASSERT_OK_PTR(mem, "mmap"))
		goto out;
	/* Something there that it must not see. */
	if (!ASSERT_OK(t_ioc_register(c.fd, mem, 64), "register"))
		goto out;
	ASSERT_OK(t_in_child(as_nobody, NULL), "nobody");
	ASSERT_OK(t_in_child(as_root_without_cap, NULL), "root without the cap");
out:
	t_teardown(&c);
}

/*
 * Pid 1 of a new pid namespace (root, with CAP_SYS_ADMIN): it sees its
 * own registration under its own pid, and none from outside.
 */
static void ns_init(void *arg)
{
	struct uls_list_entry e[64];
	unsigned int count = 64, total = 0;
	char *mem = arg;
	int fd = t_dev_open();

	if (!ASSERT_EQ(getpid(), 1, "pid 1 of its namespace") ||
	    !ASSERT_GE(fd, 0, "open") ||
	    !ASSERT_OK(t_ioc_register(fd, mem + 8, 24), "register"))
		return;
	if (!ASSERT_OK(uls_list(e, &count, &total), "uls_list"))
		return;
	ASSERT_EQ(total, 1, "only its own");
	if (ASSERT_EQ(count, 1, "count")) {
		ASSERT_EQ(e[0].pid, 1, "pid, in its namespace");
		ASSERT_EQ(e[0].tid, 1, "tid, in its namespace");
		ASSERT_EQ(e[0].addr, (uintptr_t)(mem + 8), "addr");
		ASSERT_EQ(e[0].len, 24, "len");
	}
}

static void ns_child(void *arg)
{
	if (ASSERT_OK(unshare(CLONE_NEWPID), "unshare(CLONE_NEWPID)"))
		t_in_child(ns_init, arg);
}

ULS_TEST(list_pid_namespace)
{
	char *mem = t_map_pages(1);
	struct t_ctx c;

	if (!t_setup(&c, 0) || !ASSERT_OK_PTR(mem, "mmap"))
		goto out;
	if (!ASSERT_OK(t_ioc_register(c.fd, mem, 64), "register outside"))
		goto out;
	ASSERT_OK(t_in_child(ns_child, mem), "in a new pid namespace");
	ASSERT_OK(t_ioc_unregister(c.fd), "unregister");
out:
	t_teardown(&c);
}

/* --- listing while threads come and go ---------------------------------- */

#define CHURNERS	2
#define CHURN_PAGES	4	/* each short-lived thread's share of memory */

struct churn {
	int fd;
	char *mem;			/* CHURNERS * batch * CHURN_PAGES pages */
	int id;
	/*
	 * Threads a round: as many as the table has slots at its least, so
	 * that one batch alone makes it grow, whatever the other churner does.
	 * Two at once were meant to, but one churner could read the table's
	 * size before the other's batch had registered and the other after
	 * the first's had ended: 64 slots both times (6.1, under TCG).
	 */
	int batch;
	double deadline;
	/*
	 * Of the batch running now. Its threads sleep until released: a
	 * batch spinning in sched_yield() took the churner's CPU from it on
	 * 6.1, each thread created slower than the one before.
	 */
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int registered, release;
	long threads, failed, max_slots;
};

struct one {
	struct churn *ch;
	int slot;
	unsigned int seed;
};

/* A length from a few bytes to 3 pages, never past the thread's share. */
static size_t churn_len(unsigned int r)
{
	long page = getpagesize();

	return r % 5 == 0 ? 3 * page - 64 : 8 * (1 + r % 64);
}

static void churn_register(struct one *o, unsigned int r)
{
	char *base = o->ch->mem + o->slot * CHURN_PAGES * getpagesize();

	if (t_ioc_register(o->ch->fd, base + 8 * (r % 8), churn_len(r >> 8)))
		__atomic_add_fetch(&o->ch->failed, 1, __ATOMIC_RELAXED);
}

/*
 * Register, wait until the whole batch has (the table grows past its
 * least), then replace the registration 20 times, and end it: some
 * by unregistering, the others by exiting.
 */
static void *one_main(void *arg)
{
	struct one *o = arg;
	unsigned int r = o->seed;

	pthread_setname_np(pthread_self(), "uls-churn");
	churn_register(o, r);
	pthread_mutex_lock(&o->ch->lock);
	o->ch->registered++;
	pthread_cond_broadcast(&o->ch->changed);
	while (!o->ch->release)
		pthread_cond_wait(&o->ch->changed, &o->ch->lock);
	pthread_mutex_unlock(&o->ch->lock);
	for (int i = 0; i < 20; i++) {
		r = r * 1103515245 + 12345;
		churn_register(o, r);
		sched_yield();
	}
	if (r % 3 == 0)
		t_ioc_unregister(o->ch->fd);
	return NULL;
}

static void *churn_main(void *arg)
{
	struct churn *ch = arg;
	struct one *ones = calloc(ch->batch, sizeof(*ones));
	pthread_t *th = calloc(ch->batch, sizeof(*th));
	unsigned int seed = ch->id;

	if (!ASSERT_OK_PTR(ones, "room for a batch") ||
	    !ASSERT_OK_PTR(th, "room for a batch"))
		ch->deadline = 0;
	while (t_now() < ch->deadline) {
		int n = 0;

		ch->registered = 0;
		ch->release = 0;
		for (int i = 0; i < ch->batch; i++) {
			ones[i] = (struct one){
				.ch = ch, .slot = ch->id * ch->batch + i,
				.seed = seed = seed * 1103515245 + 12345,
			};
			if (!pthread_create(&th[n], NULL, one_main, &ones[i]))
				n++;
		}
		pthread_mutex_lock(&ch->lock);
		while (ch->registered < n)
			pthread_cond_wait(&ch->changed, &ch->lock);
		pthread_mutex_unlock(&ch->lock);
		if (t_stat("table_slots") > ch->max_slots)
			ch->max_slots = t_stat("table_slots");
		pthread_mutex_lock(&ch->lock);
		ch->release = 1;
		pthread_cond_broadcast(&ch->changed);
		pthread_mutex_unlock(&ch->lock);
		for (int i = 0; i < n; i++)
			pthread_join(th[i], NULL);
		ch->threads += n;
	}
	free(ones);
	free(th);
	return NULL;
}

/* One snapshot, checked: only our threads, each once, each consistent. */
static bool check_snapshot(const struct uls_list_entry *e, unsigned int count,
			   unsigned int total, unsigned int room,
			   const char *mem, size_t mem_len)
{
	bool ok = ASSERT_LE(count, room, "count within the room") &&
		  ASSERT_LE(count, total, "count within total");

	for (unsigned int i = 0; ok && i < count; i++) {
		ok &= ASSERT_EQ(e[i].pid, getpid(), "only our threads");
		ok &= ASSERT_TRUE(e[i].addr >= (uintptr_t)mem &&
				  e[i].addr + e[i].len <= (uintptr_t)mem + mem_len,
				  "within our memory");
		ok &= ASSERT_TRUE(e[i].len > 0 && e[i].len % 8 == 0, "a len we used");
		ok &= ASSERT_EQ(e[i].nr_pages, pages_spanned(e[i].addr, e[i].len),
				"nr_pages");
		ok &= ASSERT_EQ(strncmp(e[i].comm, "uls-churn", 16), 0, "comm");
		for (unsigned int j = 0; ok && j < i; j++)
			ok &= ASSERT_NEQ(e[i].tid, e[j].tid, "each thread once");
	}
	return ok;
}

struct lister {
	const char *mem;
	size_t mem_len;
	unsigned int room;
	double deadline;
	long lists, seen;
	bool ok;
};

static void *lister_main(void *arg)
{
	struct lister *ls = arg;
	struct uls_list_entry *e = calloc(ls->room ?: 1, sizeof(*e));

	ls->ok = e != NULL;
	while (ls->ok && t_now() < ls->deadline) {
		unsigned int count = ls->room, total = 0;

		ls->ok = ASSERT_OK(uls_list(ls->room ? e : NULL, &count, &total),
				   "uls_list") &&
			 check_snapshot(e, count, total, ls->room, ls->mem,
					ls->mem_len);
		ls->lists++;
		ls->seen += total;
	}
	free(e);
	return NULL;
}

ULS_TEST_TIMEOUT(list_stress, 180)
{
	long min_slots = t_table_min_slots();
	int batch = min_slots > 0 ? min_slots : 1;
	size_t mem_len = CHURNERS * batch * CHURN_PAGES * getpagesize();
	char *mem = t_map_pages(CHURNERS * batch * CHURN_PAGES);
	struct churn ch[CHURNERS] = {};
	struct lister ls[3] = {};
	pthread_t cth[CHURNERS], lth[3];
	const unsigned int rooms[3] = { 256, 1, 0 };
	double deadline = t_now() + 2.0;
	struct t_ctx c;
	long threads = 0, max_slots = 0;

	if (!t_setup(&c, 0) || !ASSERT_GT(min_slots, 0, "the table's size at load") ||
	    !ASSERT_OK_PTR(mem, "mmap"))
		goto out;
	for (int i = 0; i < CHURNERS; i++) {
		ch[i] = (struct churn){ .fd = c.fd, .mem = mem, .id = i,
					.batch = batch, .deadline = deadline,
					.lock = PTHREAD_MUTEX_INITIALIZER,
					.changed = PTHREAD_COND_INITIALIZER };
		if (!ASSERT_OK(pthread_create(&cth[i], NULL, churn_main, &ch[i]),
			       "churner"))
			cth[i] = 0;
	}
	for (int i = 0; i < 3; i++) {
		ls[i] = (struct lister){ .mem = mem, .mem_len = mem_len,
					 .room = rooms[i], .deadline = deadline };
		if (!ASSERT_OK(pthread_create(&lth[i], NULL, lister_main, &ls[i]),
			       "lister"))
			lth[i] = 0;
	}
	for (int i = 0; i < CHURNERS; i++) {
		if (cth[i])
			pthread_join(cth[i], NULL);
		threads += ch[i].threads;
		if (ch[i].max_slots > max_slots)
			max_slots = ch[i].max_slots;
		ASSERT_EQ(ch[i].failed, 0, "every registration made");
	}
	for (int i = 0; i < 3; i++) {
		if (!lth[i])
			continue;
		pthread_join(lth[i], NULL);
		printf("room %u: %ld lists, %ld entries seen in all\n",
		       ls[i].room, ls[i].lists, ls[i].seen);
		ASSERT_TRUE(ls[i].ok, "every snapshot consistent");
		ASSERT_GT(ls[i].lists, 0, "listed");
	}
	printf("%ld threads registered and ended meanwhile; the table grew to %ld slots\n",
	       threads, max_slots);
	ASSERT_GT(threads, 0, "threads came and went");
	/* Then shrank: the walks raced resizes both ways. */
	ASSERT_GT(max_slots, min_slots, "the table grew");
	ASSERT_GT(ls[0].seen, 0, "the lists saw some");
	ASSERT_OK(t_settle(), "all freed");
out:
	t_teardown(&c);
}
