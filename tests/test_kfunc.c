// SPDX-License-Identifier: GPL-2.0
/*
 * The kfuncs as a BPF program sees them: what they find, what they refuse,
 * and that the program and the thread share the same bytes.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helpers.h"
#include "test.h"
#include "walk.skel.h"

/* A SYSCALL program run with BPF_PROG_TEST_RUN writes, the thread reads. */
ULS_TEST(syscall_prog_roundtrip)
{
	volatile __u64 *cell = t_map_pages(1);
	struct t_ctx c;
	__u64 v = 0;

	if (!t_setup(&c, T_PROBE))
		goto out;
	if (!ASSERT_OK(t_ioc_register(c.fd, (void *)cell, 8), "register"))
		goto out;
	*cell = 0x1234;
	ASSERT_EQ(t_probe_load_u64(c.probe, &v), 1, "bpf_uls_get found it");
	ASSERT_EQ(v, 0x1234, "BPF loads what the thread stored");
	ASSERT_EQ(t_probe_store_u64(c.probe, 0xabcdef), 1, "store");
	ASSERT_EQ(*cell, 0xabcdef, "the thread loads what BPF stored");
	ASSERT_EQ(t_probe_len(c.probe), 8, "bpf_uls_len");
out:
	t_teardown(&c);
}

ULS_TEST(kfunc_unregistered_null)
{
	struct t_ctx c;
	__u64 v;

	if (!t_setup(&c, T_PROBE))
		goto out;
	ASSERT_EQ(t_probe_len(c.probe), 0, "bpf_uls_len without registration");
	ASSERT_EQ(t_probe_load_u64(c.probe, &v), 0, "bpf_uls_get is NULL");
	ASSERT_EQ(t_probe_load_at(c.probe, 0, &v), 0, "bpf_uls_get_at is NULL");
	ASSERT_EQ(t_probe_sizes(c.probe), 0, "no size fits");
out:
	t_teardown(&c);
}

/* NULL exactly when the region is shorter than the requested size. */
ULS_TEST(kfunc_size_bounds)
{
	char *buf = t_map_pages(1);
	struct t_ctx c;
	__u64 want, v;

	if (!t_setup(&c, T_PROBE))
		goto out;
	if (!ASSERT_OK(t_ioc_register(c.fd, buf + 8, 100), "register 100 bytes"))
		goto out;
	want = t_probe_size_bit(1) | t_probe_size_bit(8) | t_probe_size_bit(64) |
	       t_probe_size_bit(100);
	ASSERT_EQ(t_probe_sizes(c.probe), want, "sizes 1..100 fit, 101.. do not");
	ASSERT_EQ(t_probe_len(c.probe), 100, "bpf_uls_len");

	ASSERT_EQ(t_probe_load_at(c.probe, 92, &v), 1, "get_at(92, 8) fits");
	ASSERT_EQ(t_probe_load_at(c.probe, 93, &v), 0, "get_at(93, 8) is NULL");
	ASSERT_EQ(t_probe_load_at(c.probe, 0xffffffffULL, &v), 0,
		  "get_at(4G - 1, 8) is NULL");
out:
	t_teardown(&c);
}

/*
 * A region that starts mid-page and spans four pages, mapped with vmap():
 * loads and stores at runtime offsets across every page boundary.
 */
ULS_TEST(kfunc_multipage_unaligned)
{
	long page = getpagesize();
	char *buf = t_map_pages(6);
	size_t start = 4000, len = 3 * page + 100;
	char *region = buf + start;
	struct t_ctx c;
	__u64 v, off, bad = 0;

	if (!t_setup(&c, T_PROBE))
		goto out;
	t_fill_pattern(buf, start, 9);
	t_fill_pattern(region, len, 7);
	t_fill_pattern(region + len, 64, 9);
	if (!ASSERT_OK(t_ioc_register(c.fd, region, len), "register"))
		goto out;
	ASSERT_EQ(t_probe_len(c.probe), len, "bpf_uls_len");
	ASSERT_EQ(t_probe_sizes(c.probe),
		  t_probe_size_bit(1) | t_probe_size_bit(8) | t_probe_size_bit(64) |
		  t_probe_size_bit(100) | t_probe_size_bit(101) |
		  t_probe_size_bit(4095) | t_probe_size_bit(4096) |
		  t_probe_size_bit(4097) | t_probe_size_bit(8192),
		  "sizes up to the region's length");

	/* Thread stores, BPF loads: every 8 bytes, at odd offsets too. */
	for (off = 0; off + 8 <= len; off += 8 + (off & 1)) {
		__u64 want;

		memcpy(&want, region + off, 8);
		if (t_probe_load_at(c.probe, off, &v) != 1 || v != want)
			bad++;
	}
	ASSERT_EQ(bad, 0, "BPF loads the thread's bytes at every offset");

	/* BPF stores across each page boundary, the thread loads. */
	for (off = 0; off + 8 <= len; off += 61) {
		__u64 got;

		if (t_probe_store_at(c.probe, off, off * 0x100000001ULL) != 1)
			bad++;
		memcpy(&got, region + off, 8);
		if (got != off * 0x100000001ULL)
			bad++;
	}
	ASSERT_EQ(bad, 0, "the thread loads BPF's stores at every offset");
	ASSERT_EQ(t_probe_load_at(c.probe, len - 8, &v), 1, "last 8 bytes");
	ASSERT_EQ(t_probe_load_at(c.probe, len - 7, &v), 0, "one byte past the end");
	ASSERT_EQ(t_check_pattern(buf, start, 9), 0, "bytes before the region untouched");
	ASSERT_EQ(t_check_pattern(region + len, 64, 9), 0, "bytes after it untouched");
out:
	t_teardown(&c);
}

/*
 * The largest region the module allows, 8 bytes into a page: it spans one
 * page more than max_len's, and every page it spans is pinned.
 */
ULS_TEST(kfunc_max_len)
{
	long page = getpagesize(), max_len = t_max_len();
	__u64 e0, p0, e1, p1, v;
	size_t len, pages;
	struct t_ctx c;
	char *buf;

	if (!t_setup(&c, T_PROBE) || !ASSERT_GT(max_len, 0, "max_len"))
		goto out;
	len = max_len;
	pages = (8 + len + page - 1) / page;
	printf("max_len %zu: %zu pages\n", len, pages);
	buf = t_map_pages(pages);
	if (!ASSERT_OK_PTR(buf, "mmap") ||
	    !ASSERT_OK(t_counts(&e0, &p0), "counts"))
		goto out;
	if (!ASSERT_OK(t_ioc_register(c.fd, buf + 8, len), "register max_len"))
		goto out;
	ASSERT_OK(t_counts(&e1, &p1), "counts");
	ASSERT_EQ(e1 - e0, 1, "one entry");
	ASSERT_EQ(p1 - p0, pages, "every page it spans pinned");
	ASSERT_EQ(t_probe_sizes(c.probe), t_probe_sizes_within(len),
		  "every size up to max_len fits, none above");
	buf[8 + len - 1] = 0x5a;
	ASSERT_EQ(t_probe_load_at(c.probe, len - 8, &v), 1, "last word");
	ASSERT_EQ(v >> 56, 0x5a, "last byte seen by BPF");
	ASSERT_OK(t_ioc_unregister(c.fd), "unregister");
	ASSERT_OK(t_wait_counts(e0, p0, 5000), "entry and pages freed");
out:
	t_teardown(&c);
}

/* A second registration replaces the first; the first stops being written. */
ULS_TEST(kfunc_replace)
{
	__u64 *a = t_map_pages(1), *b = t_map_pages(1), v;
	long long pins;
	struct t_ctx c;

	if (!t_setup(&c, T_PROBE))
		goto out;
	pins = t_foll_pins_held();
	if (!ASSERT_OK(t_ioc_register(c.fd, a, 64), "register a"))
		goto out;
	ASSERT_EQ(t_probe_store_u64(c.probe, 1), 1, "store into a");
	if (!ASSERT_OK(t_ioc_register(c.fd, b, 128), "register b"))
		goto out;
	ASSERT_EQ(t_probe_len(c.probe), 128, "b's length");
	ASSERT_EQ(t_probe_store_u64(c.probe, 2), 1, "store into b");
	ASSERT_EQ(a[0], 1, "a no longer written");
	ASSERT_EQ(b[0], 2, "b written");
	ASSERT_OK(t_ioc_unregister(c.fd), "unregister");
	ASSERT_EQ(t_probe_load_u64(c.probe, &v), 0, "NULL after unregister");
	/* a and b are unpinned after the grace periods. */
	t_wait_until(t_foll_pins_held() == pins, 5000);
	ASSERT_EQ(t_foll_pins_held(), pins, "every pin released");
out:
	t_teardown(&c);
}

struct other_thread {
	struct probe *probe;
	int fd;
	__u64 len, leader_len, value;
	int query, unregister, found;
};

static long other_thread_fn(void *arg)
{
	struct other_thread *o = arg;
	struct probe_ctx c = { .leader = 1 };
	struct uls_region r;

	o->len = t_probe_len(o->probe);
	o->query = t_ioc_query(o->fd, &r);
	o->unregister = t_ioc_unregister(o->fd);
	/* A task pointer walked from current: t->group_leader. */
	if (t_probe_run(o->probe, "probe_len", &c) == 0)
		o->leader_len = c.len;
	c = (struct probe_ctx){ .leader = 1, .store = 1, .value = 77 };
	if (t_probe_run(o->probe, "probe_get", &c) == 0)
		o->found = c.found;
	return 0;
}

/* Only the calling thread's registration is ever reached or dropped. */
ULS_TEST(kfunc_thread_isolation)
{
	volatile __u64 *cell = t_map_pages(1);
	struct other_thread o = {};
	struct t_ctx c;

	if (!t_setup(&c, T_PROBE))
		goto out;
	if (!ASSERT_OK(t_ioc_register(c.fd, (void *)cell, 24), "register"))
		goto out;
	o.probe = c.probe;
	o.fd = c.fd;
	t_in_thread(other_thread_fn, &o);
	ASSERT_EQ(o.len, 0, "another thread sees no region of its own");
	ASSERT_ERRNO(o.query, ENOENT, "another thread's query");
	ASSERT_ERRNO(o.unregister, ENOENT, "another thread's unregister");
	ASSERT_EQ(o.leader_len, 24, "the leader's region through group_leader");
	ASSERT_EQ(o.found, 1, "store through group_leader");
	ASSERT_EQ(*cell, 77, "the leader sees the store");
	ASSERT_EQ(t_probe_len(c.probe), 24, "still registered");
out:
	t_teardown(&c);
}

/* Closing the file drops what was registered through it, at once. */
ULS_TEST(release_on_close)
{
	__u64 *cell = t_map_pages(1), v, e0, p0;
	struct t_ctx c;

	if (!t_setup(&c, T_PROBE))
		goto out;
	if (!ASSERT_OK(t_counts(&e0, &p0), "counts"))
		goto out;
	if (!ASSERT_OK(t_ioc_register(c.fd, cell, 8), "register"))
		goto out;
	close(c.fd);
	c.fd = -1;
	ASSERT_EQ(t_probe_load_u64(c.probe, &v), 0, "NULL once the fd is closed");
	ASSERT_OK(t_wait_counts(e0, p0, 5000), "entry and pages freed");
out:
	t_teardown(&c);
}

/*
 * An entry belongs to the file it was registered through: a replacement
 * made through a second fd survives closing the first.
 */
ULS_TEST(release_other_fd)
{
	__u64 *a = t_map_pages(1), *b = t_map_pages(1), v;
	int fd2 = t_dev_open();
	struct t_ctx c;

	if (!t_setup(&c, T_PROBE) || !ASSERT_GE(fd2, 0, "second open"))
		goto out;
	if (!ASSERT_OK(t_ioc_register(c.fd, a, 8), "register through fd 1"))
		goto out;
	if (!ASSERT_OK(t_ioc_register(fd2, b, 16), "replace through fd 2"))
		goto out;
	close(c.fd);
	c.fd = -1;
	ASSERT_EQ(t_probe_len(c.probe), 16, "fd 2's registration survives");
	close(fd2);
	fd2 = -1;
	ASSERT_EQ(t_probe_load_u64(c.probe, &v), 0, "gone with fd 2");
out:
	if (fd2 >= 0)
		close(fd2);
	t_teardown(&c);
}

/* Unregistering returns every pin once the grace periods have passed. */
ULS_TEST(pins_released)
{
	char *buf = t_map_pages(8);
	long long pins;
	struct t_ctx c;

	if (!t_setup(&c, T_PROBE))
		goto out;
	pins = t_foll_pins_held();
	for (int i = 0; i < 20; i++) {
		if (!ASSERT_OK(t_ioc_register(c.fd, buf + i * 96, 4 * 4096 - i),
			       "register"))
			goto out;
	}
	ASSERT_GT(t_foll_pins_held(), pins, "pages pinned");
	ASSERT_OK(t_ioc_unregister(c.fd), "unregister");
	t_wait_until(t_foll_pins_held() == pins, 5000);
	ASSERT_EQ(t_foll_pins_held(), pins, "all released");
out:
	t_teardown(&c);
}


/* Blocks until the main thread wakes it, then exits. */
static void *wait_then_exit(void *arg)
{
	char c;

	return read(*(int *)arg, &c, 1) == 1 ? NULL : (void *)1;
}

/*
 * Walked task pointers (progs/walk.bpf.c), where the verifier lets them
 * reach the kfuncs (6.1): the kfuncs must answer "nothing". Where it
 * refuses them, the tags on the programs say so, and verifier_walk_*
 * check it.
 */
ULS_TEST(kfunc_walked_pointers)
{
	struct walk *skel;
	struct probe_ctx c = {};
	int rcu;

	rcu = t_kernel_has_enum_value("bpf_type_flag", "MEM_RCU");
	if (!ASSERT_GE(rcu, 0, "read the kernel's BTF"))
		return;
	if (rcu)
		test__skip("this kernel's verifier refuses walked task pointers (MEM_RCU): verifier_walk_* check that");

	skel = walk__open_and_load();
	if (!ASSERT_OK_PTR(skel, "load walk.bpf.o"))
		return;
	c.found = -1;
	ASSERT_OK(t_run_prog(skel->progs.walk_null, &c, sizeof(c)),
		  "run walk_null");
	ASSERT_EQ(c.len, 0, "bpf_uls_len(NULL)");
	ASSERT_EQ(c.found, 0, "bpf_uls_get(NULL)");

	/* Wake threads that then exit: last_wakee points at exited ones. */
	for (int i = 0; i < 50; i++) {
		int fds[2];
		pthread_t th;

		if (!ASSERT_OK(pipe(fds), "pipe"))
			break;
		pthread_create(&th, NULL, wait_then_exit, &fds[0]);
		t_msleep(2);		/* let it block in read() */
		ASSERT_EQ(write(fds[1], "x", 1), 1, "wake it");
		pthread_join(th, NULL);
		close(fds[0]);
		close(fds[1]);
		c.len = -1;
		ASSERT_OK(t_run_prog(skel->progs.walk_last_wakee, &c, sizeof(c)),
			  "run walk_last_wakee");
		if (!ASSERT_EQ(c.len, 0, "no region behind last_wakee"))
			break;
	}
	walk__destroy(skel);
}
