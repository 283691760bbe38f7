// SPDX-License-Identifier: GPL-2.0
/*
 * What ends a registration, and what does not: thread exit, exec (from the
 * leader and from another thread), fork, pid reuse, pid namespaces, fd
 * passing, closing the fd, and unmapping or remapping the memory under a
 * live registration.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "test.h"
#include "stress.skel.h"
#include "progs/stress.h"
#include "uls.h"

/*
 * The image an exec'ing test thread turns into (uls_test --exec-helper
 * REPORT_FD HOLD_FD): it checks that it has no registration, by the
 * ioctl and through BPF, says so on REPORT_FD, then stays alive until
 * HOLD_FD reaches EOF, so that the test can look at the counters while
 * the process still holds the /dev/uls file it inherited. Its ASSERT_*()
 * end up in its exit status, which the test waits for.
 */
int exec_helper(int argc, char **argv)
{
	struct uls_region r;
	struct probe *p;
	int fd, report, hold;
	__u64 v = 0;
	char c;

	if (argc != 2)
		return 2;
	report = atoi(argv[0]);
	hold = atoi(argv[1]);
	fd = t_dev_open();
	if (ASSERT_GE(fd, 0, "open after exec"))
		ASSERT_ERRNO(t_ioc_query(fd, &r), ENOENT,
			     "no registration after exec, by the ioctl");
	p = t_probe_load();
	if (ASSERT_OK_PTR(p, "load probe.bpf.o after exec"))
		ASSERT_EQ(t_probe_load_u64(p, &v), 0,
			  "no registration after exec, through BPF");
	t_probe_destroy(p);
	if (!ASSERT_EQ(write(report, "r", 1), 1, "report"))
		return 1;
	while (read(hold, &c, 1) > 0)
		;
	return test__failed() ? 1 : 0;
}

struct exec_ctx {
	int report[2], hold[2];
	int fd;				/* /dev/uls, kept across exec */
	bool from_thread;
};

/* Register, then exec: from the leader, or from another thread. */
static void *exec_now(void *arg)
{
	struct exec_ctx *x = arg;
	char r[16], h[16];
	char *buf = t_map_pages(1);

	if (ASSERT_OK(t_ioc_register(x->fd, buf, 64), "register, then exec")) {
		snprintf(r, sizeof(r), "%d", x->report[1]);
		snprintf(h, sizeof(h), "%d", x->hold[0]);
		execl("/proc/self/exe", "uls_test", "--exec-helper", r, h, NULL);
		ASSERT_OK(-errno, "exec");
	}
	exit(1);
}

static void exec_child(void *arg)
{
	struct exec_ctx *x = arg;
	pthread_t t;

	/* Not close-on-exec: the file survives, so must not the entry. */
	x->fd = open(ULS_DEVICE_PATH, O_RDWR);
	if (!ASSERT_GE(x->fd, 0, "open"))
		return;
	close(x->report[0]);
	close(x->hold[1]);
	if (!x->from_thread)
		exec_now(x);
	if (!ASSERT_OK(t_ioc_register(x->fd, t_map_pages(1), 64),
		       "the leader registers"))
		return;
	pthread_create(&t, NULL, exec_now, x);
	pause();
}

static void exec_test(bool from_thread)
{
	struct exec_ctx x = { .from_thread = from_thread };
	long execed = t_stat("execed"), exited = t_stat("exited");
	pid_t pid;
	char c;

	if (!ASSERT_OK(t_settle(), "settle") ||
	    !ASSERT_OK(pipe(x.report), "pipe") || !ASSERT_OK(pipe(x.hold), "pipe"))
		return;
	pid = t_start_child(exec_child, &x);
	if (!ASSERT_GT(pid, 0, "fork"))
		return;
	close(x.report[1]);
	close(x.hold[0]);
	ASSERT_EQ(read(x.report[0], &c, 1), 1, "the exec'd image looked");
	/* The new image holds the file, so only exec can have freed them. */
	ASSERT_OK(t_settle(), "entries freed while the file is open");
	ASSERT_EQ(t_stat("execed"), execed + 1, "stats/execed");
	if (from_thread)
		ASSERT_EQ(t_stat("exited"), exited + 1,
			  "stats/exited: the old leader");
	close(x.hold[1]);
	close(x.report[0]);
	t_wait_child(pid);
}

ULS_TEST(exec_single_thread)
{
	exec_test(false);
}

/* The exec'ing thread takes the leader's pid; the leader is killed. */
ULS_TEST(exec_from_non_leader)
{
	exec_test(true);
}

static long register_and_exit(void *arg)
{
	return t_ioc_register(*(int *)arg, t_map_pages(1), 64);
}

ULS_TEST(exit_frees_entry)
{
	long exited = t_stat("exited");
	struct t_ctx c;

	if (!t_setup(&c, 0))
		goto out;
	for (int i = 0; i < 16; i++)
		if (!ASSERT_OK(t_in_thread(register_and_exit, &c.fd), "register"))
			break;
	/* The file stays open: only the exits free the entries. */
	ASSERT_OK(t_settle(), "entries of exited threads freed");
	ASSERT_EQ(t_stat("exited"), exited + 16, "stats/exited");
	ASSERT_OK(t_wait_stat("charged_pages", 0, 10000), "charges returned");
out:
	t_teardown(&c);
}

/*
 * The child has no registration. The parent's private pages were copied
 * for the child at fork, so the parent keeps seeing what BPF writes and
 * the child does not; a MAP_SHARED region is seen by both.
 */
struct fork_ctx {
	struct t_ctx t;
	int go[2];
	volatile __u64 *buf;
	bool shared;
};

static void forked_child(void *arg)
{
	struct fork_ctx *f = arg;
	__u64 v = 0;
	char c;

	ASSERT_EQ(t_probe_load_u64(f->t.probe, &v), 0,
		  "the child has no registration (BPF)");
	ASSERT_ERRNO(t_ioc_query(f->t.fd, &(struct uls_region){}), ENOENT,
		     "the child has no registration (ioctl)");
	if (!ASSERT_EQ(read(f->go[0], &c, 1), 1, "the parent stored"))
		return;
	if (f->shared)
		ASSERT_EQ(f->buf[0], 0x5eed, "the child sees the shared store");
	else
		ASSERT_EQ(f->buf[0], 1, "the child's copy untouched");
}

static void fork_test(bool shared)
{
	struct fork_ctx f = { .shared = shared };
	pid_t pid;

	if (!t_setup(&f.t, T_PROBE) || !ASSERT_OK(pipe(f.go), "pipe"))
		goto out;
	f.buf = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
		     (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
	f.buf[0] = 1;
	if (!ASSERT_OK(t_ioc_register(f.t.fd, (void *)f.buf, 64), "register"))
		goto out;
	pid = t_start_child(forked_child, &f);
	if (!ASSERT_GT(pid, 0, "fork"))
		goto out;
	ASSERT_EQ(t_probe_store_u64(f.t.probe, 0x5eed), 1, "BPF store in the parent");
	ASSERT_EQ(f.buf[0], 0x5eed, "the parent sees it");
	ASSERT_EQ(write(f.go[1], "g", 1), 1, "go");
	t_wait_child(pid);
	ASSERT_EQ(t_probe_len(f.t.probe), 64, "the parent still registered");
out:
	t_teardown(&f.t);
}

ULS_TEST(fork_private)
{
	fork_test(false);
}

ULS_TEST(fork_shared)
{
	fork_test(true);
}

/*
 * The registration holds its pages, whatever happens to the mapping: after
 * munmap, MADV_DONTNEED or a new mapping at the address, BPF keeps reading
 * and writing the pinned pages and the thread sees its new memory, until
 * it registers again. mprotect() changes no page, so both keep agreeing.
 */
ULS_TEST(unmap_remap_under_registration)
{
	long page = getpagesize();
	long long pins = 0;
	volatile __u64 *buf;
	struct t_ctx c;
	__u64 v = 0;

	if (!t_setup(&c, T_PROBE))
		goto out;
	pins = t_foll_pins_held();
	buf = t_map_pages(1);
	buf[0] = 7;
	if (!ASSERT_OK(t_ioc_register(c.fd, (void *)buf, 64), "register"))
		goto out;

	/* mprotect: same pages on both sides. */
	ASSERT_OK(mprotect((void *)buf, page, PROT_NONE), "PROT_NONE");
	ASSERT_EQ(t_probe_store_u64(c.probe, 8), 1, "BPF store under PROT_NONE");
	ASSERT_OK(mprotect((void *)buf, page, PROT_READ | PROT_WRITE), "RW");
	ASSERT_EQ(buf[0], 8, "thread sees the store after mprotect");

	/* MADV_DONTNEED: the thread gets a fresh zero page, BPF the old one. */
	ASSERT_OK(madvise((void *)buf, page, MADV_DONTNEED), "MADV_DONTNEED");
	ASSERT_EQ(buf[0], 0, "thread sees a fresh page");
	ASSERT_EQ(t_probe_load_u64(c.probe, &v), 1, "BPF load");
	ASSERT_EQ(v, 8, "BPF still sees the pinned page");

	/* munmap, then a new mapping at the same address. */
	ASSERT_OK(munmap((void *)buf, page), "munmap");
	ASSERT_EQ(t_probe_store_u64(c.probe, 9), 1, "BPF store after munmap");
	buf = mmap((void *)buf, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (!ASSERT_NEQ(buf, MAP_FAILED, "remap"))
		goto out;
	buf[0] = 10;
	ASSERT_EQ(t_probe_load_u64(c.probe, &v), 1, "BPF load after remap");
	ASSERT_EQ(v, 9, "BPF still on the old pages");
	ASSERT_OK(t_ioc_register(c.fd, (void *)buf, 64), "register again");
	ASSERT_EQ(t_probe_load_u64(c.probe, &v), 1, "BPF load");
	ASSERT_EQ(v, 10, "now on the new page");
	ASSERT_OK(t_ioc_unregister(c.fd), "unregister");
	ASSERT_OK(t_settle(), "freed");
	ASSERT_EQ(t_foll_pins_held(), pins, "old and new pages unpinned");
out:
	t_teardown(&c);
}

ULS_TEST(reregister_loop)
{
	long page = getpagesize();
	char *bufs = t_map_pages(8);
	long long pins;
	long vmpin = t_vm_pin_kb();
	struct uls_region q;
	struct t_ctx c;

	if (!t_setup(&c, 0))
		goto out;
	pins = t_foll_pins_held();
	memset(bufs, 0, 8 * page);
	for (int i = 0; i < 2000; i++) {
		char *addr = bufs + ((i * 1237) % (6 * page) & ~7L);
		__u64 len = 1 + (i * 7919) % (2 * page);

		if (!ASSERT_OK(t_ioc_register(c.fd, addr, len), "register") ||
		    !ASSERT_OK(t_ioc_query(c.fd, &q), "query") ||
		    !ASSERT_EQ(q.addr, (uintptr_t)addr, "query addr"))
			break;
		if (i % 3 == 0 && !ASSERT_OK(t_ioc_unregister(c.fd), "unregister"))
			break;
	}
	t_ioc_unregister(c.fd);
	ASSERT_OK(t_settle(), "all freed");
	ASSERT_EQ(t_foll_pins_held(), pins, "pins back");
	ASSERT_EQ(t_vm_pin_kb(), vmpin, "VmPin back");
out:
	t_teardown(&c);
}

#define NR_HOLDERS 8

struct holder {
	int fd;
	pthread_barrier_t *registered, *closed;
	struct probe *p;
	int seen_after;
};

static void *hold_region(void *arg)
{
	struct holder *h = arg;
	__u64 v;

	h->seen_after = -1;
	if (t_ioc_register(h->fd, t_map_pages(1), 64))
		return NULL;
	pthread_barrier_wait(h->registered);
	pthread_barrier_wait(h->closed);
	h->seen_after = t_probe_load_u64(h->p, &v);
	return NULL;
}

ULS_TEST(close_fd_threads_alive)
{
	pthread_barrier_t registered, closed;
	struct holder h[NR_HOLDERS];
	pthread_t t[NR_HOLDERS];
	long released = t_stat("released");
	struct t_ctx c;

	if (!t_setup(&c, T_PROBE))
		goto out;
	pthread_barrier_init(&registered, NULL, NR_HOLDERS + 1);
	pthread_barrier_init(&closed, NULL, NR_HOLDERS + 1);
	for (int i = 0; i < NR_HOLDERS; i++) {
		h[i] = (struct holder){ .fd = c.fd, .registered = &registered,
					.closed = &closed, .p = c.probe };
		pthread_create(&t[i], NULL, hold_region, &h[i]);
	}
	pthread_barrier_wait(&registered);
	ASSERT_OK(t_wait_counts(NR_HOLDERS, NR_HOLDERS, 0), "all registered");
	close(c.fd);
	c.fd = -1;
	ASSERT_OK(t_settle(), "closing the fd freed them");
	ASSERT_EQ(t_stat("released"), released + NR_HOLDERS, "stats/released");
	pthread_barrier_wait(&closed);
	for (int i = 0; i < NR_HOLDERS; i++) {
		pthread_join(t[i], NULL);
		ASSERT_EQ(h[i].seen_after, 0, "BPF finds nothing after close");
	}
out:
	t_teardown(&c);
}

struct reuse {
	struct t_ctx t;
	pid_t target;			/* the registered thread's tid */
	bool reused;			/* a later thread got it */
	/* What that thread saw: before it registered, then of its own. */
	int bpf_found, query, registered, own_found;
	__u64 own_value;
};

static void *reuse_check(void *arg)
{
	struct reuse *r = arg;
	__u64 v = 0, *mine;

	if (t_gettid() != r->target)
		return NULL;
	r->reused = true;
	r->bpf_found = t_probe_load_u64(r->t.probe, &v);
	r->query = t_ioc_query(r->t.fd, &(struct uls_region){});
	mine = t_map_pages(1);
	*mine = 0x600d;
	r->registered = t_ioc_register(r->t.fd, mine, 64);
	r->own_found = t_probe_load_u64(r->t.probe, &r->own_value);
	return NULL;
}

static void *register_exit_tid(void *arg)
{
	struct reuse *r = arg;

	r->target = t_gettid();
	if (r->target >= 300 && r->target < 1024)
		t_ioc_register(r->t.fd, t_map_pages(1), 64);
	return NULL;
}

/*
 * A thread that gets the tid of a dead registered thread sees nothing of
 * its region. pid_max is lowered so the tid comes back soon.
 */
ULS_TEST_TIMEOUT(pid_reuse, 300)
{
	struct reuse r = {};
	long old_max = -1;
	char val[32];
	FILE *f;
	int tries;

	if (!t_setup(&r.t, T_PROBE))
		goto out;
	f = fopen("/proc/sys/kernel/pid_max", "r+");
	if (!ASSERT_OK_PTR(f, "pid_max") ||
	    !ASSERT_EQ(fscanf(f, "%ld", &old_max), 1, "read pid_max"))
		goto out;
	fclose(f);
	f = fopen("/proc/sys/kernel/pid_max", "w");
	fprintf(f, "1024\n");
	if (!ASSERT_OK(fclose(f), "pid_max = 1024"))
		goto out;

	pthread_t t;

	/* Pids below 300 are never handed out again once they wrap. */
	do {
		pthread_create(&t, NULL, register_exit_tid, &r);
		pthread_join(t, NULL);
	} while (r.target < 300 || r.target >= 1024);
	printf("registered thread had tid %d\n", r.target);
	for (tries = 0; tries < 5000 && !r.reused; tries++) {
		pthread_create(&t, NULL, reuse_check, &r);
		pthread_join(t, NULL);
	}
	printf("tid %d came back after %d threads\n", r.target, tries);
	if (ASSERT_TRUE(r.reused, "the tid came back")) {
		ASSERT_EQ(r.bpf_found, 0, "the new thread finds no region through BPF");
		ASSERT_ERRNO(r.query, ENOENT, "nor by the ioctl");
		ASSERT_OK(r.registered, "it registers");
		ASSERT_EQ(r.own_found, 1, "BPF finds its region");
		ASSERT_EQ(r.own_value, 0x600d, "its own");
	}

	snprintf(val, sizeof(val), "%ld\n", old_max);
	f = fopen("/proc/sys/kernel/pid_max", "w");
	fputs(val, f);
	ASSERT_OK(fclose(f), "pid_max restored");
out:
	t_teardown(&r.t);
	ASSERT_OK(t_settle(), "freed");
}

/*
 * Two processes that are both pid 1 of their own namespace: each sees
 * its own region (entries are keyed by the global tid).
 */
struct ns_side {
	int ready, other_ready;		/* pipe ends: mine to write, the other's */
	__u64 mine;			/* what this side registers */
};

/* Pid 1 of the namespace: registers, waits for the other, looks. */
static void ns_init(void *arg)
{
	struct ns_side *side = arg;
	struct probe *p;
	__u64 v = 0;
	int fd;
	char c;

	if (!ASSERT_EQ(getpid(), 1, "pid 1 of its namespace"))
		return;
	p = t_probe_load();
	fd = t_dev_open();
	if (!ASSERT_OK_PTR(p, "probe") || !ASSERT_GE(fd, 0, "open") ||
	    !ASSERT_OK(t_ioc_register(fd, &side->mine, sizeof(side->mine)),
		       "register"))
		return;
	if (!ASSERT_EQ(write(side->ready, "r", 1), 1, "ready") ||
	    !ASSERT_EQ(read(side->other_ready, &c, 1), 1, "the other ready"))
		return;
	/* Both are registered now. */
	ASSERT_EQ(t_probe_load_u64(p, &v), 1, "BPF finds a region");
	ASSERT_EQ(v, side->mine, "its own");
}

static void ns_child(void *arg)
{
	/* Its first child is pid 1 of the new namespace. */
	if (ASSERT_OK(unshare(CLONE_NEWPID), "unshare(CLONE_NEWPID)"))
		t_in_child(ns_init, arg);
}

ULS_TEST(pid_namespaces)
{
	struct ns_side a = { .mine = 0xa001 }, b = { .mine = 0xa002 };
	int ab[2], ba[2];
	pid_t pa, pb;

	if (!ASSERT_OK(pipe(ab), "pipe") || !ASSERT_OK(pipe(ba), "pipe"))
		return;
	a.ready = ab[1], b.other_ready = ab[0];
	b.ready = ba[1], a.other_ready = ba[0];
	pa = t_start_child(ns_child, &a);
	pb = t_start_child(ns_child, &b);
	if (ASSERT_GT(pa, 0, "fork a"))
		t_wait_child(pa);
	if (ASSERT_GT(pb, 0, "fork b"))
		t_wait_child(pb);
	ASSERT_OK(t_settle(), "freed");
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {};
	struct iovec iov = { .iov_base = "f", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -errno;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -EBADMSG;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * /dev/uls passed to another process: its registrations pin its own
 * memory and are its own; nobody reaches the other's entry; closing one
 * copy of the file leaves the entries made through the other.
 */
struct scm_ctx {
	struct t_ctx t;			/* the sender's */
	int sv[2];
};

static void scm_receiver(void *arg)
{
	struct scm_ctx *x = arg;
	volatile __u64 *theirs = t_map_pages(1);
	long vmpin = t_vm_pin_kb();
	__u64 v = 0;
	int rfd;
	char c;

	close(x->t.fd);
	rfd = recv_fd(x->sv[1]);
	if (!ASSERT_GE(rfd, 0, "receive the fd"))
		return;
	ASSERT_ERRNO(t_ioc_query(rfd, &(struct uls_region){}), ENOENT,
		     "the sender's entry is not the receiver's to query");
	ASSERT_ERRNO(t_ioc_unregister(rfd), ENOENT,
		     "nor to unregister");
	theirs[0] = 0xc41d;
	if (!ASSERT_OK(t_ioc_register(rfd, (void *)theirs, 64),
		       "the receiver registers"))
		return;
	ASSERT_EQ(t_vm_pin_kb(), vmpin + getpagesize() / 1024,
		  "charged to the receiver");
	ASSERT_EQ(t_probe_load_u64(x->t.probe, &v), 1, "receiver's BPF view");
	ASSERT_EQ(v, 0xc41d, "its own memory");
	if (!ASSERT_EQ(write(x->sv[1], "r", 1), 1, "registered") ||
	    !ASSERT_EQ(read(x->sv[1], &c, 1), 1, "the sender closed"))
		return;
	ASSERT_EQ(t_probe_load_u64(x->t.probe, &v), 1,
		  "the sender closed its copy: the receiver's is still registered");
	ASSERT_EQ(v, 0xc41d, "still its own memory");
	close(rfd);
}

ULS_TEST(scm_rights)
{
	volatile __u64 *mine = t_map_pages(1);
	struct scm_ctx x;
	__u64 v = 0;
	pid_t pid;
	char c;

	if (!t_setup(&x.t, T_PROBE) ||
	    !ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, x.sv), "socketpair"))
		goto out;
	pid = t_start_child(scm_receiver, &x);
	if (!ASSERT_GT(pid, 0, "fork"))
		goto out;
	mine[0] = 0x9a7e;
	ASSERT_OK(t_ioc_register(x.t.fd, (void *)mine, 64), "sender registers");
	ASSERT_OK(send_fd(x.sv[0], x.t.fd), "send the fd");
	ASSERT_EQ(read(x.sv[0], &c, 1), 1, "receiver registered");
	ASSERT_OK(t_wait_counts(2, 2, 0), "two entries, one file");
	ASSERT_EQ(t_probe_load_u64(x.t.probe, &v), 1, "sender's BPF view");
	ASSERT_EQ(v, 0x9a7e, "sender sees its own memory");
	/* Closing this copy: the receiver's copy keeps the file, and both. */
	close(x.t.fd);
	x.t.fd = -1;
	ASSERT_OK(t_wait_counts(2, 2, 0), "entries survive one close");
	ASSERT_EQ(write(x.sv[0], "c", 1), 1, "tell the receiver");
	t_wait_child(pid);
	ASSERT_OK(t_settle(), "last close and exit free them");
out:
	t_teardown(&x.t);
}

#define NR_EXITERS 64
#define EXIT_RELEASE_SECONDS 20

struct exiter {
	int fd;
	char *area;
	pthread_barrier_t *registered;
};

static void *register_then_exit(void *arg)
{
	struct exiter *x = arg;

	t_ioc_register(x->fd, x->area, 64);
	pthread_barrier_wait(x->registered);
	return NULL;
}

/* One busy child per CPU, so that exits and the close get preempted. */
static int start_hogs(pid_t *hogs, int n)
{
	for (int i = 0; i < n; i++) {
		hogs[i] = fork();
		if (hogs[i] < 0)
			return -1;
		if (!hogs[i])
			for (;;)
				;
	}
	return 0;
}

static void stop_hogs(pid_t *hogs, int n)
{
	for (int i = 0; i < n; i++) {
		if (hogs[i] <= 0)
			continue;
		kill(hogs[i], SIGKILL);
		waitpid(hogs[i], NULL, 0);
	}
}

/*
 * 64 threads register through one shared fd and exit at once, while the
 * main thread closes the fd: the exit probes, their work and the file
 * release race for the same entries, round after round, under CPU hogs.
 * Each entry must end exactly once (as exited or as released), and all
 * of them be freed. On 7.x the probes run preemptible: without their own
 * RCU read-side section, the release could free an entry a probe holds
 * (KASAN, and lockdep's check in uls_table_find(), on the debug tiers).
 */
ULS_TEST_TIMEOUT(exit_vs_release, 300)
{
	long nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long registered = t_stat("registered");
	long ended = t_stat("exited") + t_stat("released");
	pthread_barrier_t barrier;
	struct exiter x[NR_EXITERS];
	pthread_t t[NR_EXITERS];
	char *page = t_map_pages(1);
	time_t deadline = time(NULL) + EXIT_RELEASE_SECONDS;
	pid_t hogs[8] = { 0 };
	long rounds = 0;

	if (nr_cpus > 8)
		nr_cpus = 8;
	if (!ASSERT_OK(t_settle(), "settle") ||
	    !ASSERT_OK(start_hogs(hogs, nr_cpus), "CPU hogs"))
		goto out;
	pthread_barrier_init(&barrier, NULL, NR_EXITERS + 1);
	while (time(NULL) < deadline) {
		int fd = t_dev_open();

		if (!ASSERT_GE(fd, 0, "open"))
			break;
		for (int i = 0; i < NR_EXITERS; i++) {
			x[i] = (struct exiter){ .fd = fd, .area = page + 64 * i,
						.registered = &barrier };
			pthread_create(&t[i], NULL, register_then_exit, &x[i]);
		}
		/* All registered: they exit as the fd goes. */
		pthread_barrier_wait(&barrier);
		close(fd);
		for (int i = 0; i < NR_EXITERS; i++)
			pthread_join(t[i], NULL);
		rounds++;
	}
	pthread_barrier_destroy(&barrier);
	printf("%ld rounds of %d threads\n", rounds, NR_EXITERS);
	ASSERT_OK(t_settle(), "every entry freed");
	ASSERT_EQ(t_stat("registered") - registered, rounds * NR_EXITERS,
		  "every thread registered");
	ASSERT_EQ(t_stat("exited") + t_stat("released") - ended,
		  rounds * NR_EXITERS, "each entry ended once, by exit or release");
out:
	stop_hogs(hogs, 8);
}

/*
 * The rule for memory a thread registers by itself: uls_unregister(), then
 * uls_wait_freed(), before the memory can be reused. Here it is the
 * thread's TLS, which glibc gives the next thread once pthread_join()
 * returns; the kernel wakes pthread_join() before uls sees the exit, and a
 * sibling's mmap/munmap loop (the mmap lock) makes that window long. With
 * the rule followed, the next thread never finds the stress program's
 * mark in its TLS, though BPF stored into every registration it found.
 */
/*
 * Each round waits for two grace periods, which take a second under TCG
 * on PREEMPT_RT (no expedited ones after boot): as many rounds as fit.
 */
#define TLS_MAX_ROUNDS 300
#define TLS_SECONDS 30
#define TLS_MIN_ROUNDS 10

static __thread __u64 tls_region[8] __attribute__((aligned(64)));
static atomic_bool churn_stop;

static void *tls_register_and_exit(void *arg)
{
	int fd = *(int *)arg;

	if (t_ioc_register(fd, tls_region, sizeof(tls_region)))
		return (void *)1;
	/* Switch out and in: the program stores into it. */
	t_msleep(1);
	if (t_ioc_unregister(fd) || uls_wait_freed())
		return (void *)2;
	return tls_region;
}

static void *tls_look(void *arg)
{
	/* A store that was still to come would have landed by now. */
	t_msleep(2);
	*(bool *)arg = tls_region[0] == STRESS_MARK;
	return tls_region;
}

static void *mmap_churn(void *arg)
{
	while (!atomic_load(&churn_stop)) {
		void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

		if (p != MAP_FAILED)
			munmap(p, 1 << 20);
	}
	return NULL;
}

ULS_TEST_TIMEOUT(tls_reuse_after_wait_freed, 300)
{
	struct stress *skel = stress__open_and_load();
	int fd = t_dev_open(), same = 0, marked = 0, failed = 0, rounds = 0;
	double deadline = t_now() + TLS_SECONDS;
	pthread_t churn, t;

	if (!ASSERT_OK_PTR(skel, "load stress.bpf.o") ||
	    !ASSERT_OK(stress__attach(skel), "attach") ||
	    !ASSERT_GE(fd, 0, "open"))
		goto out;
	atomic_store(&churn_stop, false);
	pthread_create(&churn, NULL, mmap_churn, NULL);
	for (; rounds < TLS_MAX_ROUNDS && t_now() < deadline; rounds++) {
		void *mine, *next;
		bool mark = false;

		pthread_create(&t, NULL, tls_register_and_exit, &fd);
		pthread_join(t, &mine);
		if ((uintptr_t)mine < 4096) {
			failed++;
			continue;
		}
		pthread_create(&t, NULL, tls_look, &mark);
		pthread_join(t, &next);
		same += next == mine;
		marked += mark;
	}
	atomic_store(&churn_stop, true);
	pthread_join(churn, NULL);
	printf("%d rounds: the next thread had the same TLS in %d, a mark in %d\n",
	       rounds, same, marked);
	ASSERT_GE(rounds, TLS_MIN_ROUNDS, "rounds");
	ASSERT_EQ(failed, 0, "register, unregister and wait");
	ASSERT_GT(same, rounds / 2, "glibc reused the TLS");
	ASSERT_GT(skel->bss->switch_hits, 0, "BPF stored into the registrations");
	ASSERT_EQ(marked, 0, "no store reached the next thread's TLS");
out:
	if (fd >= 0)
		close(fd);
	stress__destroy(skel);
}
