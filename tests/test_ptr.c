// SPDX-License-Identifier: GPL-2.0
/*
 * Pointers valid on both sides: bpf_uls_from_user() and
 * bpf_uls_user_base(), through uls.bpf.h's uls_ptr() and uls_uptr(). A
 * thread links requests in its region with plain pointers; a BPF program
 * follows them, answers them and appends one, which the thread follows
 * in turn (progs/ptr_list.bpf.c). And the bounds: every address whose
 * bytes are not all inside the registration, or that is not a multiple
 * of 8, gives NULL.
 */
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "helpers.h"
#include "test.h"
#include "progs/ptr_list.h"
#include "ptr_list.skel.h"
#include "walk.skel.h"

#define U(p) ((__u64)(uintptr_t)(p))

static struct ptr_req *req_at(char *region, size_t off)
{
	return (struct ptr_req *)(region + off);
}

/*
 * Five requests, linked in an order that jumps about the region: from
 * the third page back to the first, and one across the boundary between
 * the first two pages, where the kernel's mapping (vmap()) is not the
 * user's.
 */
#define NR_REQS 5
static size_t req_offsets(size_t i, long page)
{
	const size_t offs[NR_REQS] = {
		2 * page + 64, 200, page - 48, 512, page + 128,
	};

	return offs[i];
}

#define SPARE_OFF	1024
#define SPARE_REQS	2

static void build_list(char *region, long page)
{
	struct ptr_req_list *l = (struct ptr_req_list *)region;
	__u64 *link = &l->head;

	for (size_t i = 0; i < NR_REQS; i++) {
		struct ptr_req *r = req_at(region, req_offsets(i, page));

		*r = (struct ptr_req){ .id = i + 1, .arg = 10 * (i + 1) };
		*link = U(r);
		link = &r->next;
	}
	*link = 0;
	l->free = SPARE_OFF;
	l->end = SPARE_OFF + SPARE_REQS * sizeof(struct ptr_req);
}

/* The thread follows its list: the last request, and how many. */
static int follow(char *region, struct ptr_req **last)
{
	struct ptr_req *r = (struct ptr_req *)(uintptr_t)
			    ((struct ptr_req_list *)region)->head;
	int n = 0;

	*last = NULL;
	for (; r && n < 100; r = (struct ptr_req *)(uintptr_t)r->next) {
		*last = r;
		n++;
	}
	return n;
}

static int walk(const struct bpf_program *prog, struct ptr_walk_ctx *c,
		__u32 max, __u32 append)
{
	*c = (struct ptr_walk_ctx){ .max = max, .append = append,
				    .status = -1 };
	return t_run_prog(prog, c, sizeof(*c));
}

/*
 * The list built by the thread, walked by @prog; BPF's request appended,
 * and followed by the thread; then walked again, BPF's request and all,
 * and one more appended.
 */
static void list_round_trip(const char *prog_name, __u32 max)
{
	long page = getpagesize();
	char *buf = t_map_pages(4), *region = buf + 40;
	size_t len = 2 * page + 512;
	struct ptr_req_list *l = (struct ptr_req_list *)region;
	struct ptr_walk_ctx c;
	struct ptr_list *skel;
	const struct bpf_program *prog;
	struct ptr_req *last, *mine;
	struct t_ctx t;
	__u64 bad = 0;

	skel = ptr_list__open_and_load();
	if (!ASSERT_OK_PTR(skel, "ptr_list__open_and_load"))
		return;
	prog = bpf_object__find_program_by_name(skel->obj, prog_name);
	if (!t_setup(&t, 0) || !ASSERT_OK_PTR(prog, prog_name))
		goto out;
	build_list(region, page);
	if (!ASSERT_OK(t_ioc_register(t.fd, region, len), "register"))
		goto out;

	ASSERT_OK(walk(prog, &c, max, 100), "run");
	ASSERT_EQ(c.status, PTR_WALK_OK, "status");
	ASSERT_EQ(c.walked, NR_REQS, "BPF walked the thread's requests");
	ASSERT_EQ(c.sum, 150, "the sum of their args");
	for (size_t i = 0; i < NR_REQS; i++) {
		struct ptr_req *r = req_at(region, req_offsets(i, page));

		if (r->result != r->arg * 2 + r->id)
			bad++;
	}
	ASSERT_EQ(bad, 0, "the thread reads BPF's answer in each request");
	ASSERT_EQ(c.appended, U(region + SPARE_OFF),
		  "BPF's request at the spare room, by its user address");
	ASSERT_EQ(l->free, SPARE_OFF + sizeof(struct ptr_req),
		  "BPF took its room");

	ASSERT_EQ(follow(region, &last), NR_REQS + 1,
		  "the thread follows the list to BPF's request");
	mine = last;
	if (ASSERT_EQ(U(last), c.appended, "the last is BPF's")) {
		ASSERT_EQ(last->id, 100, "its id");
		ASSERT_EQ(last->from_bpf, 1, "from BPF");
		ASSERT_EQ(last->arg, NR_REQS, "its arg: the count walked");
		ASSERT_EQ(last->result, 150, "its result: the sum");
		ASSERT_EQ(last->next, 0, "it ends the list");
	}

	/* Again: BPF follows the link it wrote, then appends after its own. */
	ASSERT_OK(walk(prog, &c, max, 101), "run again");
	ASSERT_EQ(c.status, PTR_WALK_OK, "status");
	ASSERT_EQ(c.walked, NR_REQS + 1, "BPF walked its own request too");
	ASSERT_EQ(c.sum, 150 + NR_REQS, "with its arg");
	ASSERT_EQ(mine->result, NR_REQS * 2 + 100, "and answered it");
	ASSERT_EQ(follow(region, &last), NR_REQS + 2, "the thread follows both");
	ASSERT_EQ(U(last), U(region + SPARE_OFF + sizeof(struct ptr_req)),
		  "BPF's second request, after its first");
	ASSERT_EQ(last->id, 101, "its id");
	ASSERT_EQ(mine->next, U(last), "linked from the first");

	/* The spare room is used up: nothing appended, nothing linked. */
	ASSERT_OK(walk(prog, &c, max, 102), "run with no room left");
	ASSERT_EQ(c.status, PTR_WALK_FULL, "no room");
	ASSERT_EQ(follow(region, &last), NR_REQS + 2, "the list as it was");

	/* An empty list: BPF's request becomes the head. */
	l->head = 0;
	l->free = SPARE_OFF + 4 * sizeof(struct ptr_req);
	l->end = l->free + sizeof(struct ptr_req);
	ASSERT_OK(walk(prog, &c, max, 103), "run on an empty list");
	ASSERT_EQ(c.status, PTR_WALK_OK, "status");
	ASSERT_EQ(c.walked, 0, "nothing to walk");
	ASSERT_EQ(l->head, U(region + SPARE_OFF + 4 * sizeof(struct ptr_req)),
		  "BPF's request is the head");
	ASSERT_EQ(follow(region, &last), 1, "the thread finds it");
	ASSERT_EQ(last->id, 103, "its id");
out:
	t_teardown(&t);
	ptr_list__destroy(skel);
}

/* The list, walked with bpf_loop(). */
ULS_TEST(ptr_list_bpf_loop)
{
	list_round_trip("ptr_walk", 1024);
}

/* The same, walked with a bounded loop (16 steps at most). */
ULS_TEST(ptr_list_bounded_loop)
{
	list_round_trip("ptr_walk_for", 16);
}

/*
 * Links the program must not follow: each ends the walk with the link
 * reported, and nothing outside the region is touched.
 */
ULS_TEST(ptr_list_bad_links)
{
	long page = getpagesize();
	char *buf = t_map_pages(4), *region = buf + 64;
	size_t len = 2 * page + 512;
	struct ptr_req_list *l = (struct ptr_req_list *)region;
	struct ptr_req *r0, *r1, *outside, *last;
	struct ptr_walk_ctx c;
	struct ptr_list *skel;
	struct t_ctx t;

	skel = ptr_list__open_and_load();
	if (!ASSERT_OK_PTR(skel, "ptr_list__open_and_load"))
		return;
	if (!t_setup(&t, 0))
		goto out;
	build_list(region, page);
	if (!ASSERT_OK(t_ioc_register(t.fd, region, len), "register"))
		goto out;
	r0 = req_at(region, req_offsets(0, page));
	r1 = req_at(region, req_offsets(1, page));

	/* A request that looks right, just before the region. */
	outside = (struct ptr_req *)buf;
	*outside = (struct ptr_req){ .id = 9, .arg = 90 };
	r1->next = U(outside);
	ASSERT_OK(walk(skel->progs.ptr_walk, &c, 64, 100), "run");
	ASSERT_EQ(c.status, PTR_WALK_BAD_LINK, "a link before the region");
	ASSERT_EQ(c.bad, U(outside), "reported");
	ASSERT_EQ(c.walked, 2, "the requests up to it answered");
	ASSERT_EQ(outside->result, 0, "the request outside untouched");
	ASSERT_EQ(follow(region, &last), 3, "nothing appended");

	/* After it: the page after the region's end. */
	outside = (struct ptr_req *)(buf + 3 * page);
	*outside = (struct ptr_req){ .id = 9, .arg = 90 };
	r1->next = U(outside);
	ASSERT_OK(walk(skel->progs.ptr_walk, &c, 64, 100), "run");
	ASSERT_EQ(c.status, PTR_WALK_BAD_LINK, "a link after the region");
	ASSERT_EQ(c.bad, U(outside), "reported");
	ASSERT_EQ(outside->result, 0, "the request outside untouched");

	/* Straddling the end: its first 16 bytes in, the rest out. */
	r1->next = U(region + len - 16);
	ASSERT_OK(walk(skel->progs.ptr_walk, &c, 64, 100), "run");
	ASSERT_EQ(c.status, PTR_WALK_BAD_LINK, "a request across the end");
	ASSERT_EQ(c.bad, U(region + len - 16), "reported");

	/* Straddling the start. */
	r1->next = U(region - 8);
	ASSERT_OK(walk(skel->progs.ptr_walk, &c, 64, 100), "run");
	ASSERT_EQ(c.status, PTR_WALK_BAD_LINK, "a request across the start");

	/* Inside, but not a multiple of 8. */
	r1->next = U(region + 204);
	ASSERT_OK(walk(skel->progs.ptr_walk, &c, 64, 100), "run");
	ASSERT_EQ(c.status, PTR_WALK_BAD_LINK, "an unaligned link");
	ASSERT_EQ(c.bad, U(region + 204), "reported");

	/* A cycle: the walk ends at its bound. */
	r1->next = U(r0);
	ASSERT_OK(walk(skel->progs.ptr_walk, &c, 64, 100), "run");
	ASSERT_EQ(c.status, PTR_WALK_TOO_LONG, "a cycle");
	ASSERT_EQ(c.walked, 64, "walked up to the bound");
	ASSERT_OK(walk(skel->progs.ptr_walk_for, &c, 16, 100), "run");
	ASSERT_EQ(c.status, PTR_WALK_TOO_LONG, "a cycle, bounded loop");
	ASSERT_EQ(c.walked, 16, "walked up to its bound");

	/*
	 * The spare room the thread gives runs past the region: BPF's
	 * request would straddle the end, and is not written.
	 */
	r1->next = 0;
	l->free = len - 8;
	l->end = len + 64;
	ASSERT_OK(walk(skel->progs.ptr_walk, &c, 64, 100), "run");
	ASSERT_EQ(c.status, PTR_WALK_BAD_LINK, "spare room past the end");
	ASSERT_EQ(c.bad, U(region + len - 8), "reported");
	ASSERT_EQ(follow(region, &last), 2, "nothing appended");
	ASSERT_EQ(l->free, len - 8, "nor taken");

	/* No region: no list. */
	ASSERT_OK(t_ioc_unregister(t.fd), "unregister");
	ASSERT_OK(walk(skel->progs.ptr_walk, &c, 64, 100), "run");
	ASSERT_EQ(c.status, PTR_WALK_NO_LIST, "no region");
out:
	t_teardown(&t);
	ptr_list__destroy(skel);
}

/* uls.bpf.h's example: its layout, as the documentation gives it. */
struct my_req { __u64 next; __u64 arg, result; };
struct my_list { __u64 head; __u32 free, end; };

/* ptr_doc_example's answer(): a count, or -1; -1000 if it did not run. */
static int doc_example(struct ptr_list *skel)
{
	int ret = -1000;

	if (t_run_prog(skel->progs.ptr_doc_example, &ret, sizeof(ret)))
		return -1000;
	return ret;
}

/*
 * The example of uls.bpf.h and bpf_uls_get(3), run as it is written
 * there: it answers the thread's three requests and appends a fourth,
 * which the thread follows; with no room left, or a bad link, it says -1.
 */
ULS_TEST(ptr_doc_example)
{
	char *region = t_map_pages(1);
	struct my_list *l = (struct my_list *)region;
	struct my_req *r[3], *mine;
	struct ptr_list *skel;
	struct t_ctx t;

	skel = ptr_list__open_and_load();
	if (!ASSERT_OK_PTR(skel, "ptr_list__open_and_load"))
		return;
	if (!t_setup(&t, 0))
		goto out;
	ASSERT_EQ(doc_example(skel), -1,
		  "no region");
	for (int i = 0; i < 3; i++) {
		r[i] = (struct my_req *)(region + 512 - 64 * i);
		*r[i] = (struct my_req){ .arg = i + 1 };
		if (i)
			r[i - 1]->next = U(r[i]);
	}
	l->head = U(r[0]);
	l->free = 1024;
	l->end = 1024 + sizeof(struct my_req);
	if (!ASSERT_OK(t_ioc_register(t.fd, region, 2048), "register"))
		goto out;
	ASSERT_EQ(doc_example(skel), 3,
		  "three answered");
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(r[i]->result, 2 * (i + 1), "each answer");
	mine = (struct my_req *)(uintptr_t)r[2]->next;
	if (ASSERT_EQ(U(mine), U(region + 1024), "the thread follows the link"))
		ASSERT_EQ(mine->arg, 3, "to the program's request");
	ASSERT_EQ(doc_example(skel), -1,
		  "no room left");
	ASSERT_EQ(mine->result, 6, "its own request answered on the way");
	l->end += sizeof(struct my_req);
	r[1]->next = U(region + 2048);
	ASSERT_EQ(doc_example(skel), -1,
		  "a link past the region");
	ASSERT_EQ(l->free, 1024 + sizeof(struct my_req), "nothing appended");
out:
	t_teardown(&t);
	ptr_list__destroy(skel);
}

/* ptr_probe at @uaddr: PTR_PROBE_BIT_* of the sizes found, or -1. */
static long probe(struct ptr_list *skel, __u64 uaddr, __u64 *base)
{
	struct ptr_probe_ctx c = { .uaddr = uaddr, .base = ~0ULL };

	if (base)
		*base = ~0ULL;
	if (t_run_prog(skel->progs.ptr_probe, &c, sizeof(c)))
		return -1;
	if (base)
		*base = c.base;
	return c.found;
}

#define B8	PTR_PROBE_BIT_8
#define B16	PTR_PROBE_BIT_16
#define B64	PTR_PROBE_BIT_64
#define B4096	PTR_PROBE_BIT_4096

struct bound {
	__s64 off;		/* from the region's start */
	long found;
	const char *what;
};

static void check_bounds(struct ptr_list *skel, char *region,
			 const struct bound *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		long got = probe(skel, U(region) + b[i].off, NULL);

		__ASSERT(got == b[i].found,
			 "%s (offset %lld): found %#lx, expected %#lx",
			 b[i].what, (long long)b[i].off, got, b[i].found);
	}
}

/* For the threads of ptr_from_user_bounds. */
static struct {
	struct ptr_list *skel;
	__u64 uaddr;		/* inside the main thread's region */
} bt;

/* This thread has no region: NULL and 0, whatever the address. */
static long other_thread_probe(void *arg)
{
	struct ptr_probe_ctx c = { .uaddr = bt.uaddr, .base = ~0ULL };

	if (t_run_prog(bt.skel->progs.ptr_probe, &c, sizeof(c)))
		return -1;
	return c.found || c.base;
}

/* Its leader, the main thread, has one. */
static long leader_probe(void *arg)
{
	struct ptr_probe_ctx c = { .uaddr = bt.uaddr, .leader = 1 };

	if (t_run_prog(bt.skel->progs.ptr_probe, &c, sizeof(c)))
		return -1;
	return c.found;
}

/*
 * NULL unless every byte is inside the registration and the address is a
 * multiple of 8; the bytes are the thread's, both ways.
 */
ULS_TEST(ptr_from_user_bounds)
{
	long page = getpagesize();
	char *buf = t_map_pages(4), *region = buf + 16;
	size_t len = 100;
	struct ptr_list *skel;
	struct ptr_probe_ctx c;
	struct t_ctx t;
	__u64 base = ~0ULL, *cell;
	const struct bound small[] = {
		{ 0, B8 | B16 | B64, "the start" },
		{ 32, B8 | B16 | B64, "64 bytes up to 96" },
		{ 40, B8 | B16, "64 bytes would straddle the end" },
		{ 88, B8, "the last whole 8 bytes below 100" },
		{ 96, 0, "8 bytes straddling the end" },
		{ 100, 0, "the end" },
		{ 104, 0, "past the end" },
		{ 1, 0, "unaligned by 1" },
		{ 4, 0, "unaligned by 4" },
		{ 92, 0, "unaligned, 8 bytes inside" },
		{ -8, 0, "before the start" },
		{ -16, 0, "16 bytes before, 8 of them inside" },
		{ 1LL << 32, 0, "4 GiB past the start" },
		{ -(1LL << 32), 0, "4 GiB before the start" },
		{ 1LL << 62, 0, "far past" },
	};

	skel = ptr_list__open_and_load();
	if (!ASSERT_OK_PTR(skel, "ptr_list__open_and_load"))
		return;
	if (!t_setup(&t, 0))
		goto out;

	/* No registration yet. */
	ASSERT_EQ(probe(skel, U(region), &base), 0, "nothing before registering");
	ASSERT_EQ(base, 0, "no user base");

	t_fill_pattern(buf, page, 3);
	if (!ASSERT_OK(t_ioc_register(t.fd, region, len), "register 100 bytes"))
		goto out;
	ASSERT_EQ(probe(skel, U(region) + 8, &base), B8 | B16 | B64, "found");
	ASSERT_EQ(base, U(region), "the user base is the registered address");
	check_bounds(skel, region, small, sizeof(small) / sizeof(small[0]));
	ASSERT_EQ(probe(skel, 0, NULL), 0, "address 0, the thread's NULL");
	ASSERT_EQ(probe(skel, 8, NULL), 0, "address 8");
	ASSERT_EQ(probe(skel, ~7ULL, NULL), 0, "the top of the address space");

	/* The bytes are the thread's: BPF loads its store, and the reverse. */
	cell = (__u64 *)(region + 88);
	*cell = 0x1122334455667788ULL;
	c = (struct ptr_probe_ctx){ .uaddr = U(cell), .store = 1, .value = 42 };
	ASSERT_OK(t_run_prog(skel->progs.ptr_probe, &c, sizeof(c)), "run");
	ASSERT_EQ(c.value, 0x1122334455667788ULL, "BPF loads the thread's store");
	ASSERT_EQ(*cell, 42, "the thread loads BPF's");
	ASSERT_EQ(t_check_pattern_at(region + 96, page - 16 - 96, 16 + 96, 3), 0,
		  "the bytes after BPF's store untouched");

	/* Another thread: its own (none), or its leader's through the task. */
	bt.skel = skel;
	bt.uaddr = U(region + 8);
	ASSERT_EQ(t_in_thread(other_thread_probe, NULL), 0,
		  "a thread without a region: NULL, base 0");
	ASSERT_EQ(t_in_thread(leader_probe, NULL), B8 | B16 | B64,
		  "the leader's region through group_leader");

	/* More than a page, mapped with vmap(): across its pages. */
	region = buf + 24;
	len = 2 * page + 100;
	if (!ASSERT_OK(t_ioc_register(t.fd, region, len), "register 3 pages"))
		goto out;
	{
		const struct bound big[] = {
			{ 0, B8 | B16 | B64 | B4096, "the start" },
			{ page - 8, B8 | B16 | B64 | B4096,
			  "across the first page boundary" },
			{ len - 4100, B8 | B16 | B64 | B4096,
			  "4096 bytes up to the last 4" },
			{ len - 4092, B8 | B16 | B64, "4096 bytes straddle the end" },
			{ len - 4, 0, "straddling the end" },
			{ len - 12, B8, "the last 8 whole" },
			{ page - 4, 0, "unaligned" },
		};

		check_bounds(skel, region, big, sizeof(big) / sizeof(big[0]));
	}
	ASSERT_EQ(probe(skel, U(buf + 16), &base), 0,
		  "the replaced region's start is outside the new one");
	ASSERT_EQ(base, U(region), "the user base is the new region's");
	cell = (__u64 *)(region + page - 8);
	c = (struct ptr_probe_ctx){ .uaddr = U(cell), .store = 1, .value = 7 };
	memcpy(cell, "ABCDEFGH", 8);
	ASSERT_OK(t_run_prog(skel->progs.ptr_probe, &c, sizeof(c)), "run");
	ASSERT_EQ(memcmp(&c.value, "ABCDEFGH", 8), 0,
		  "BPF loads 8 bytes across a page boundary");
	ASSERT_EQ(*cell, 7, "and stores them");

	ASSERT_OK(t_ioc_unregister(t.fd), "unregister");
	ASSERT_EQ(probe(skel, U(region), &base), 0, "NULL once unregistered");
	ASSERT_EQ(base, 0, "no user base");
out:
	t_teardown(&t);
	ptr_list__destroy(skel);
}

struct exit_thread {
	struct ptr_list *skel;
	int fd;
	char *region;
	long before;
};

/* Registers, checks its region is found, and exits with it registered. */
static void *exit_thread_fn(void *arg)
{
	struct exit_thread *x = arg;

	x->skel->bss->exit_seen.tid = t_gettid();
	x->skel->bss->exit_seen.uaddr = U(x->region) + 8;
	if (t_ioc_register(x->fd, x->region, 64))
		return (void *)1;
	x->before = probe(x->skel, U(x->region) + 8, NULL);
	return NULL;
}

/*
 * A thread that exits: on the way out (sched_process_exit, after uls's
 * own probe there), its entry is still in the table but gone, and the
 * kfuncs answer nothing for it.
 */
ULS_TEST(ptr_exited_thread)
{
	struct exit_thread x = {};
	struct bpf_link *link = NULL;
	struct ptr_list *skel;
	struct t_ctx t;
	pthread_t th;
	void *ret = (void *)1;

	skel = ptr_list__open_and_load();
	if (!ASSERT_OK_PTR(skel, "ptr_list__open_and_load"))
		return;
	if (!t_setup(&t, 0))
		goto out;
	link = bpf_program__attach(skel->progs.ptr_on_exit);
	if (!ASSERT_OK_PTR(link, "attach ptr_on_exit"))
		goto out;
	x = (struct exit_thread){ .skel = skel, .fd = t.fd,
				  .region = t_map_pages(1), .before = -1 };
	if (!ASSERT_OK(pthread_create(&th, NULL, exit_thread_fn, &x),
		       "pthread_create"))
		goto out;
	pthread_join(th, &ret);
	ASSERT_NULL(ret, "the thread registered");
	ASSERT_EQ(x.before, B8 | B16,
		  "found while it ran (64 bytes from byte 8 run past its 64)");
	/*
	 * The join can return before the tracepoint: the kernel wakes the
	 * joiner from exit_mm(), earlier in do_exit().
	 */
	t_wait_until(skel->bss->exit_seen.hits, 5000);
	ASSERT_EQ(skel->bss->exit_seen.hits, 1, "its exit seen once");
	ASSERT_EQ(skel->bss->exit_seen.len, 0, "bpf_uls_len: gone");
	ASSERT_EQ(skel->bss->exit_seen.found, 0, "bpf_uls_from_user: NULL");
	ASSERT_EQ(skel->bss->exit_seen.base, 0, "bpf_uls_user_base: 0");
out:
	bpf_link__destroy(link);
	t_teardown(&t);
	ptr_list__destroy(skel);
}

/*
 * A NULL task, where the verifier passes one (6.1): NULL and 0, even for
 * an address inside the caller's own region. Elsewhere the verifier
 * refuses the program, which verifier_walk_null_ptr checks.
 */
ULS_TEST(ptr_null_task)
{
	char *region = t_map_pages(1);
	struct probe_ctx c = {};
	struct walk *skel;
	struct t_ctx t;
	int rcu;

	rcu = t_kernel_has_enum_value("bpf_type_flag", "MEM_RCU");
	if (!ASSERT_GE(rcu, 0, "read the kernel's BTF"))
		return;
	if (rcu)
		test__skip("this kernel's verifier refuses walked task pointers (MEM_RCU): verifier_walk_null_ptr checks that");
	skel = walk__open_and_load();
	if (!ASSERT_OK_PTR(skel, "load walk.bpf.o"))
		return;
	if (!t_setup(&t, 0) ||
	    !ASSERT_OK(t_ioc_register(t.fd, region, 64), "register"))
		goto out;
	c = (struct probe_ctx){ .offset = U(region), .len = ~0ULL, .found = -1 };
	ASSERT_OK(t_run_prog(skel->progs.walk_null_ptr, &c, sizeof(c)),
		  "run walk_null_ptr");
	ASSERT_EQ(c.len, 0, "bpf_uls_user_base(NULL)");
	ASSERT_EQ(c.found, 0, "bpf_uls_from_user(NULL, ...)");
out:
	t_teardown(&t);
	walk__destroy(skel);
}
