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
 * REPORT_FD HOLD_FD): it reports whether it finds a registration, by the
 * ioctl and through BPF, then stays alive until HOLD_FD reaches EOF, so
 * that the test can look at the counters while the process still holds
 * the /dev/uls file it inherited.
 */
int exec_helper(int argc, char **argv)
{
	struct probe *p;
	__u64 v = 0;
	char verdict = 'N', c;
	int fd, report, hold;

	if (argc != 2)
		return 2;
	report = atoi(argv[0]);
	hold = atoi(argv[1]);
	fd = dev_open();
	if (fd < 0 || raw_query(fd, &(struct uls_region){}) != -ENOENT)
		verdict = 'Q';
	p = probe_load();
	if (!p || probe_load_u64(p, &v) != 0)
		verdict = 'B';
	probe_destroy(p);
	if (write(report, &verdict, 1) != 1)
		return 1;
	while (read(hold, &c, 1) > 0)
		;
	return 0;
}

struct exec_ctx {
	int report[2], hold[2];
	int fd;				/* /dev/uls, kept across exec */
	bool from_thread;
};

static void *exec_now(void *arg)
{
	struct exec_ctx *x = arg;
	char r[16], h[16];
	char *buf = map_pages(1);

	if (raw_register(x->fd, buf, 64))
		_exit(20);
	snprintf(r, sizeof(r), "%d", x->report[1]);
	snprintf(h, sizeof(h), "%d", x->hold[0]);
	execl("/proc/self/exe", "uls_test", "--exec-helper", r, h, NULL);
	_exit(21);
}

static void exec_test(bool from_thread)
{
	struct exec_ctx x = { .from_thread = from_thread };
	long execed = uls_stat("execed"), exited = uls_stat("exited");
	char verdict = 0;
	int status;
	pid_t pid;

	if (!ASSERT_OK(settle(), "settle") ||
	    !ASSERT_OK(pipe(x.report), "pipe") || !ASSERT_OK(pipe(x.hold), "pipe"))
		return;
	pid = fork();
	if (!pid) {
		pthread_t t;

		/* Not close-on-exec: the file survives, so must not the entry. */
		x.fd = open(ULS_DEVICE_PATH, O_RDWR);
		close(x.report[0]);
		close(x.hold[1]);
		if (!from_thread)
			exec_now(&x);
		if (raw_register(x.fd, map_pages(1), 64))
			_exit(22);
		pthread_create(&t, NULL, exec_now, &x);
		pause();
	}
	close(x.report[1]);
	close(x.hold[0]);
	ASSERT_EQ(read(x.report[0], &verdict, 1), 1, "exec'd image reports");
	ASSERT_EQ(verdict, 'N', "no registration after exec (Q: ioctl, B: BPF)");
	/* The new image holds the file, so only exec can have freed them. */
	ASSERT_OK(settle(), "entries freed while the file is open");
	ASSERT_EQ(uls_stat("execed"), execed + 1, "stats/execed");
	if (from_thread)
		ASSERT_EQ(uls_stat("exited"), exited + 1,
			  "stats/exited: the old leader");
	close(x.hold[1]);
	close(x.report[0]);
	ASSERT_EQ(waitpid(pid, &status, 0), pid, "reaped");
	ASSERT_EQ(status, 0, "exec'd image exit status");
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
	return raw_register(*(int *)arg, map_pages(1), 64);
}

ULS_TEST(exit_frees_entry)
{
	long exited = uls_stat("exited");
	int fd = dev_open();

	if (!ASSERT_GE(fd, 0, "open") || !ASSERT_OK(settle(), "settle"))
		return;
	for (int i = 0; i < 16; i++)
		if (!ASSERT_OK(in_thread(register_and_exit, &fd), "register"))
			break;
	/* The file stays open: only the exits free the entries. */
	ASSERT_OK(settle(), "entries of exited threads freed");
	ASSERT_EQ(uls_stat("exited"), exited + 16, "stats/exited");
	ASSERT_OK(wait_stat("charged_pages", 0, 10000), "charges returned");
	close(fd);
}

/*
 * The child has no registration. The parent's private pages were copied
 * for the child at fork, so the parent keeps seeing what BPF writes and
 * the child does not; a MAP_SHARED region is seen by both.
 */
static void fork_test(bool shared)
{
	struct probe *p = probe_load();
	volatile __u64 *buf;
	int fd = dev_open(), go[2], status;
	pid_t pid;
	char c;

	if (!ASSERT_OK_PTR(p, "probe") || !ASSERT_GE(fd, 0, "open") ||
	    !ASSERT_OK(pipe(go), "pipe"))
		goto out;
	buf = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
		   (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
	buf[0] = 1;
	if (!ASSERT_OK(raw_register(fd, (void *)buf, 64), "register"))
		goto out;
	pid = fork();
	if (!pid) {
		__u64 v = 0;

		if (probe_load_u64(p, &v) != 0)
			_exit(10);	/* the child has no registration */
		if (raw_query(fd, &(struct uls_region){}) != -ENOENT)
			_exit(11);
		if (read(go[0], &c, 1) != 1)
			_exit(12);
		if (buf[0] != (shared ? 0x5eed : 1))
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(probe_store_u64(p, 0x5eed), 1, "BPF store in the parent");
	ASSERT_EQ(buf[0], 0x5eed, "the parent sees it");
	ASSERT_EQ(write(go[1], "g", 1), 1, "go");
	ASSERT_EQ(waitpid(pid, &status, 0), pid, "reaped");
	ASSERT_EQ(status, 0, shared ? "child: none of its own, sees the shared store" :
				      "child: none of its own, its copy untouched");
	ASSERT_EQ(probe_len(p), 64, "the parent still registered");
out:
	close(fd);
	probe_destroy(p);
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
	struct probe *p = probe_load();
	long long pins = 0;
	volatile __u64 *buf;
	__u64 v = 0;
	int fd = dev_open();

	if (!ASSERT_OK_PTR(p, "probe") || !ASSERT_GE(fd, 0, "open") ||
	    !ASSERT_OK(settle(), "settle"))
		goto out;
	pins = foll_pins_held();
	buf = map_pages(1);
	buf[0] = 7;
	if (!ASSERT_OK(raw_register(fd, (void *)buf, 64), "register"))
		goto out;

	/* mprotect: same pages on both sides. */
	ASSERT_OK(mprotect((void *)buf, page, PROT_NONE), "PROT_NONE");
	ASSERT_EQ(probe_store_u64(p, 8), 1, "BPF store under PROT_NONE");
	ASSERT_OK(mprotect((void *)buf, page, PROT_READ | PROT_WRITE), "RW");
	ASSERT_EQ(buf[0], 8, "thread sees the store after mprotect");

	/* MADV_DONTNEED: the thread gets a fresh zero page, BPF the old one. */
	ASSERT_OK(madvise((void *)buf, page, MADV_DONTNEED), "MADV_DONTNEED");
	ASSERT_EQ(buf[0], 0, "thread sees a fresh page");
	ASSERT_EQ(probe_load_u64(p, &v), 1, "BPF load");
	ASSERT_EQ(v, 8, "BPF still sees the pinned page");

	/* munmap, then a new mapping at the same address. */
	ASSERT_OK(munmap((void *)buf, page), "munmap");
	ASSERT_EQ(probe_store_u64(p, 9), 1, "BPF store after munmap");
	buf = mmap((void *)buf, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (!ASSERT_NEQ(buf, MAP_FAILED, "remap"))
		goto out;
	buf[0] = 10;
	ASSERT_EQ(probe_load_u64(p, &v), 1, "BPF load after remap");
	ASSERT_EQ(v, 9, "BPF still on the old pages");
	ASSERT_OK(raw_register(fd, (void *)buf, 64), "register again");
	ASSERT_EQ(probe_load_u64(p, &v), 1, "BPF load");
	ASSERT_EQ(v, 10, "now on the new page");
	ASSERT_OK(raw_unregister(fd), "unregister");
	ASSERT_OK(settle(), "freed");
	ASSERT_EQ(foll_pins_held(), pins, "old and new pages unpinned");
out:
	close(fd);
	probe_destroy(p);
}

ULS_TEST(reregister_loop)
{
	long page = getpagesize();
	char *bufs = map_pages(8);
	long long pins;
	long vmpin = vm_pin_kb();
	struct uls_region q;
	int fd = dev_open();

	if (!ASSERT_GE(fd, 0, "open") || !ASSERT_OK(settle(), "settle"))
		return;
	pins = foll_pins_held();
	memset(bufs, 0, 8 * page);
	for (int i = 0; i < 2000; i++) {
		char *addr = bufs + ((i * 1237) % (6 * page) & ~7L);
		__u64 len = 1 + (i * 7919) % (2 * page);

		if (!ASSERT_OK(raw_register(fd, addr, len), "register") ||
		    !ASSERT_OK(raw_query(fd, &q), "query") ||
		    !ASSERT_EQ(q.addr, (uintptr_t)addr, "query addr"))
			break;
		if (i % 3 == 0 && !ASSERT_OK(raw_unregister(fd), "unregister"))
			break;
	}
	raw_unregister(fd);
	ASSERT_OK(settle(), "all freed");
	ASSERT_EQ(foll_pins_held(), pins, "pins back");
	ASSERT_EQ(vm_pin_kb(), vmpin, "VmPin back");
	close(fd);
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
	if (raw_register(h->fd, map_pages(1), 64))
		return NULL;
	pthread_barrier_wait(h->registered);
	pthread_barrier_wait(h->closed);
	h->seen_after = probe_load_u64(h->p, &v);
	return NULL;
}

ULS_TEST(close_fd_threads_alive)
{
	pthread_barrier_t registered, closed;
	struct holder h[NR_HOLDERS];
	pthread_t t[NR_HOLDERS];
	struct probe *p = probe_load();
	long released = uls_stat("released");
	int fd = dev_open();

	if (!ASSERT_OK_PTR(p, "probe") || !ASSERT_GE(fd, 0, "open") ||
	    !ASSERT_OK(settle(), "settle"))
		return;
	pthread_barrier_init(&registered, NULL, NR_HOLDERS + 1);
	pthread_barrier_init(&closed, NULL, NR_HOLDERS + 1);
	for (int i = 0; i < NR_HOLDERS; i++) {
		h[i] = (struct holder){ .fd = fd, .registered = &registered,
					.closed = &closed, .p = p };
		pthread_create(&t[i], NULL, hold_region, &h[i]);
	}
	pthread_barrier_wait(&registered);
	ASSERT_OK(wait_counts(NR_HOLDERS, NR_HOLDERS, 0), "all registered");
	close(fd);
	ASSERT_OK(settle(), "closing the fd freed them");
	ASSERT_EQ(uls_stat("released"), released + NR_HOLDERS, "stats/released");
	pthread_barrier_wait(&closed);
	for (int i = 0; i < NR_HOLDERS; i++) {
		pthread_join(t[i], NULL);
		ASSERT_EQ(h[i].seen_after, 0, "BPF finds nothing after close");
	}
	probe_destroy(p);
}

struct reuse {
	int fd;
	pid_t target;
	struct probe *p;
	int verdict;			/* 0 not reused, 1 checked, <0 failed */
};

static void *reuse_check(void *arg)
{
	struct reuse *r = arg;
	char *mine;
	__u64 v = 0;

	if (sys_gettid() != r->target)
		return NULL;
	r->verdict = -1;
	if (probe_load_u64(r->p, &v) != 0 ||
	    raw_query(r->fd, &(struct uls_region){}) != -ENOENT)
		return NULL;
	r->verdict = -2;
	mine = map_pages(1);
	*(__u64 *)mine = 0x600d;
	if (raw_register(r->fd, mine, 64) || probe_load_u64(r->p, &v) != 1 ||
	    v != 0x600d)
		return NULL;
	r->verdict = 1;
	return NULL;
}

static void *register_exit_tid(void *arg)
{
	struct reuse *r = arg;

	r->target = sys_gettid();
	if (r->target >= 300 && r->target < 1024)
		raw_register(r->fd, map_pages(1), 64);
	return NULL;
}

/*
 * A thread that gets the tid of a dead registered thread sees nothing of
 * its region. pid_max is lowered so the tid comes back soon.
 */
ULS_TEST_TIMEOUT(pid_reuse, 300)
{
	struct reuse r = { .p = probe_load(), .fd = dev_open() };
	long old_max = -1;
	char val[32];
	FILE *f;
	int tries;

	if (!ASSERT_OK_PTR(r.p, "probe") || !ASSERT_GE(r.fd, 0, "open"))
		return;
	f = fopen("/proc/sys/kernel/pid_max", "r+");
	if (!ASSERT_OK_PTR(f, "pid_max") ||
	    !ASSERT_EQ(fscanf(f, "%ld", &old_max), 1, "read pid_max"))
		return;
	fclose(f);
	f = fopen("/proc/sys/kernel/pid_max", "w");
	fprintf(f, "1024\n");
	if (!ASSERT_OK(fclose(f), "pid_max = 1024"))
		return;

	pthread_t t;

	/* Pids below 300 are never handed out again once they wrap. */
	do {
		pthread_create(&t, NULL, register_exit_tid, &r);
		pthread_join(t, NULL);
	} while (r.target < 300 || r.target >= 1024);
	printf("registered thread had tid %d\n", r.target);
	for (tries = 0; tries < 5000 && !r.verdict; tries++) {
		pthread_create(&t, NULL, reuse_check, &r);
		pthread_join(t, NULL);
	}
	printf("tid %d came back after %d threads\n", r.target, tries);
	ASSERT_EQ(r.verdict, 1, "reused tid: nothing, then its own region (-1: saw the old one, -2: own failed)");

	snprintf(val, sizeof(val), "%ld\n", old_max);
	f = fopen("/proc/sys/kernel/pid_max", "w");
	fputs(val, f);
	ASSERT_OK(fclose(f), "pid_max restored");
	close(r.fd);
	probe_destroy(r.p);
	ASSERT_OK(settle(), "freed");
}

/*
 * Two processes that are both pid 1 of their own namespace: each sees
 * its own region (entries are keyed by the global tid).
 */
static void ns_child(void *arg)
{
	int *sync = arg;		/* [0]: my ready fd, [1]: other's */
	struct probe *p;
	__u64 v = 0, mine = 0xa000 + sync[2];
	int fd, status;
	pid_t pid;
	char c;

	if (!ASSERT_OK(unshare(CLONE_NEWPID), "unshare(CLONE_NEWPID)"))
		return;
	pid = fork();
	if (pid) {
		ASSERT_EQ(waitpid(pid, &status, 0), pid, "reaped");
		ASSERT_EQ(status, 0, "pid 1 of the namespace");
		return;
	}
	if (getpid() != 1)
		_exit(30);
	p = probe_load();
	fd = dev_open();
	if (!p || fd < 0 || raw_register(fd, &mine, sizeof(mine)))
		_exit(31);
	if (write(sync[0], "r", 1) != 1 || read(sync[1], &c, 1) != 1)
		_exit(32);
	/* Both are registered now. */
	if (probe_load_u64(p, &v) != 1 || v != mine)
		_exit(33);
	_exit(0);
}

ULS_TEST(pid_namespaces)
{
	int a[2], b[2];
	int sa[3], sb[3];
	pid_t pa, pb;
	int st;

	if (!ASSERT_OK(pipe(a), "pipe") || !ASSERT_OK(pipe(b), "pipe"))
		return;
	sa[0] = a[1], sa[1] = b[0], sa[2] = 1;
	sb[0] = b[1], sb[1] = a[0], sb[2] = 2;
	pa = fork();
	if (!pa) {
		ns_child(sa);
		_exit(test__failed());
	}
	pb = fork();
	if (!pb) {
		ns_child(sb);
		_exit(test__failed());
	}
	ASSERT_EQ(waitpid(pa, &st, 0), pa, "reaped a");
	ASSERT_EQ(st, 0, "namespace a: its own region");
	ASSERT_EQ(waitpid(pb, &st, 0), pb, "reaped b");
	ASSERT_EQ(st, 0, "namespace b: its own region");
	ASSERT_OK(settle(), "freed");
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
ULS_TEST(scm_rights)
{
	struct probe *p = probe_load();
	volatile __u64 *mine = map_pages(1);
	int sv[2], fd = dev_open(), status;
	pid_t pid;
	char c;

	if (!ASSERT_OK_PTR(p, "probe") || !ASSERT_GE(fd, 0, "open") ||
	    !ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair") ||
	    !ASSERT_OK(settle(), "settle"))
		return;
	pid = fork();
	if (!pid) {
		volatile __u64 *theirs = map_pages(1);
		long vmpin = vm_pin_kb();
		__u64 v = 0;
		int rfd;

		close(fd);
		rfd = recv_fd(sv[1]);
		if (rfd < 0)
			_exit(40);
		if (raw_query(rfd, &(struct uls_region){}) != -ENOENT ||
		    raw_unregister(rfd) != -ENOENT)
			_exit(41);	/* the sender's entry is not ours */
		theirs[0] = 0xc41d;
		if (raw_register(rfd, (void *)theirs, 64))
			_exit(42);
		if (vm_pin_kb() != vmpin + getpagesize() / 1024)
			_exit(43);	/* charged to the receiver */
		if (probe_load_u64(p, &v) != 1 || v != 0xc41d)
			_exit(44);	/* its own memory */
		if (write(sv[1], "r", 1) != 1 || read(sv[1], &c, 1) != 1)
			_exit(45);
		/* The sender closed its copy: ours is still registered. */
		if (probe_load_u64(p, &v) != 1 || v != 0xc41d)
			_exit(46);
		close(rfd);
		_exit(0);
	}
	mine[0] = 0x9a7e;
	ASSERT_OK(raw_register(fd, (void *)mine, 64), "sender registers");
	ASSERT_OK(send_fd(sv[0], fd), "send the fd");
	ASSERT_EQ(read(sv[0], &c, 1), 1, "receiver registered");
	ASSERT_OK(wait_counts(2, 2, 0), "two entries, one file");
	__u64 v = 0;

	ASSERT_EQ(probe_load_u64(p, &v), 1, "sender's BPF view");
	ASSERT_EQ(v, 0x9a7e, "sender sees its own memory");
	/* Closing this copy: the receiver's copy keeps the file, and both. */
	close(fd);
	ASSERT_OK(wait_counts(2, 2, 0), "entries survive one close");
	ASSERT_EQ(write(sv[0], "c", 1), 1, "tell the receiver");
	ASSERT_EQ(waitpid(pid, &status, 0), pid, "reaped");
	ASSERT_EQ(status, 0, "receiver (see exit codes 40-46)");
	ASSERT_OK(settle(), "last close and exit free them");
	probe_destroy(p);
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

	raw_register(x->fd, x->area, 64);
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
	long registered = uls_stat("registered");
	long ended = uls_stat("exited") + uls_stat("released");
	pthread_barrier_t barrier;
	struct exiter x[NR_EXITERS];
	pthread_t t[NR_EXITERS];
	char *page = map_pages(1);
	time_t deadline = time(NULL) + EXIT_RELEASE_SECONDS;
	pid_t hogs[8] = { 0 };
	long rounds = 0;

	if (nr_cpus > 8)
		nr_cpus = 8;
	if (!ASSERT_OK(settle(), "settle") ||
	    !ASSERT_OK(start_hogs(hogs, nr_cpus), "CPU hogs"))
		goto out;
	pthread_barrier_init(&barrier, NULL, NR_EXITERS + 1);
	while (time(NULL) < deadline) {
		int fd = dev_open();

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
	ASSERT_OK(settle(), "every entry freed");
	ASSERT_EQ(uls_stat("registered") - registered, rounds * NR_EXITERS,
		  "every thread registered");
	ASSERT_EQ(uls_stat("exited") + uls_stat("released") - ended,
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

	if (raw_register(fd, tls_region, sizeof(tls_region)))
		return (void *)1;
	/* Switch out and in: the program stores into it. */
	msleep(1);
	if (raw_unregister(fd) || uls_wait_freed())
		return (void *)2;
	return tls_region;
}

static void *tls_look(void *arg)
{
	/* A store that was still to come would have landed by now. */
	msleep(2);
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
	int fd = dev_open(), same = 0, marked = 0, failed = 0, rounds = 0;
	double deadline = mono_now() + TLS_SECONDS;
	pthread_t churn, t;

	if (!ASSERT_OK_PTR(skel, "load stress.bpf.o") ||
	    !ASSERT_OK(stress__attach(skel), "attach") ||
	    !ASSERT_GE(fd, 0, "open"))
		goto out;
	atomic_store(&churn_stop, false);
	pthread_create(&churn, NULL, mmap_churn, NULL);
	for (; rounds < TLS_MAX_ROUNDS && mono_now() < deadline; rounds++) {
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
