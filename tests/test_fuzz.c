// SPDX-License-Identifier: GPL-2.0
/*
 * A fuzzer for the ioctl interface: random sequences of open, ioctl (valid
 * and invalid commands, structs and pointers), mmap, munmap, mprotect,
 * madvise, fork and close, drawn from a seeded generator so that a run can
 * be replayed: ULS_FUZZ_SEED (default 1), ULS_FUZZ_CALLS (default
 * 1000000), ULS_FUZZ_SECONDS (default 240, the bound). Nothing may leak:
 * at the end no entry, pin or charge is left, and the kernel log is clean
 * (the harness checks it).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "test.h"

#define NR_FDS 6
#define NR_MAPS 8
#define MAX_MAP_PAGES 20

struct fuzz {
	unsigned long long rng;
	long page, max_len;
	int fds[NR_FDS];
	struct { char *addr; long pages; } maps[NR_MAPS];
	struct uls_region *arg;		/* the struct the ioctls read */
	long calls, children;
	long errnos[256];
};

static unsigned long long rnd(struct fuzz *f)
{
	/* xorshift64* */
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return f->rng * 2685821657736338717ULL;
}

static unsigned long pick(struct fuzz *f, unsigned long n)
{
	return rnd(f) % n;
}

static void count(struct fuzz *f, long ret)
{
	f->calls++;
	f->errnos[ret < 0 ? (errno & 255) : 0]++;
}

/* An address: mostly inside a mapping, sometimes anywhere. */
static __u64 fuzz_addr(struct fuzz *f)
{
	int m = pick(f, NR_MAPS);
	__u64 a;

	switch (pick(f, 16)) {
	case 0:
		return 0;
	case 1:
		return 0xffffffff81000000ULL + pick(f, 1 << 20);
	case 2:
		return ~0ULL - pick(f, 8192);
	case 3:
		return 0x00007ffffffff000ULL + pick(f, 8192);
	case 4:
		return rnd(f);
	default:
		if (!f->maps[m].addr)
			return (__u64)(uintptr_t)f->maps[(m + 1) % NR_MAPS].addr +
			       pick(f, f->page);
		a = (__u64)(uintptr_t)f->maps[m].addr +
		    pick(f, f->maps[m].pages * f->page + 64);
		/* Mostly a start the module accepts (a multiple of 8). */
		return pick(f, 8) ? a & ~7ULL : a;
	}
}

static __u64 fuzz_len(struct fuzz *f)
{
	switch (pick(f, 10)) {
	case 0:
		return 0;
	case 1:
		return rnd(f);
	case 2:
		return f->max_len + pick(f, 3) - 1;
	case 3:
		return pick(f, f->max_len + f->page);
	default:
		return 1 + pick(f, 2 * f->page);
	}
}

static void fuzz_ioctl(struct fuzz *f)
{
	static const unsigned long cmds[] = {
		ULS_IOC_REGISTER, ULS_IOC_REGISTER, ULS_IOC_REGISTER,
		ULS_IOC_REGISTER, ULS_IOC_UNREGISTER, ULS_IOC_UNREGISTER,
		ULS_IOC_QUERY, ULS_IOC_INFO,
		/*
		 * The struct read as a uls_list: entries at the address, in
		 * the fuzzer's own mappings mostly, as many as the length.
		 */
		ULS_IOC_LIST,
	};
	struct uls_region *r = f->arg;
	unsigned long cmd;
	void *arg = r;
	int fd = f->fds[pick(f, NR_FDS)];

	/* Mostly an open fd, so that the calls get past the fd lookup. */
	for (int i = 0; fd < 0 && pick(f, 16) && i < NR_FDS; i++)
		fd = f->fds[i];

	if (pick(f, 8) == 0)
		cmd = pick(f, 2) ? _IOC(pick(f, 4), ULS_IOC_MAGIC, pick(f, 8),
					pick(f, 128)) : (unsigned long)rnd(f);
	else
		cmd = cmds[pick(f, sizeof(cmds) / sizeof(cmds[0]))];
	memset(r, 0, sizeof(*r));
	r->addr = fuzz_addr(f);
	r->len = fuzz_len(f);
	if (pick(f, 16) == 0)
		r->flags = 1u << pick(f, 32);
	if (pick(f, 16) == 0)
		r->__reserved[pick(f, 2)] = rnd(f);
	if (pick(f, 32) == 0)
		r->__reserved0 = 1;
	switch (pick(f, 32)) {
	case 0:
		arg = NULL;
		break;
	case 1:
		arg = (void *)(uintptr_t)fuzz_addr(f);
		break;
	}
	count(f, ioctl(fd, cmd, arg));
}

static void fuzz_map(struct fuzz *f)
{
	int m = pick(f, NR_MAPS);
	static const int prots[] = {
		PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE,
		PROT_READ, PROT_NONE,
	};

	if (f->maps[m].addr) {
		count(f, munmap(f->maps[m].addr, f->maps[m].pages * f->page));
		f->maps[m].addr = NULL;
		return;
	}
	f->maps[m].pages = 1 + pick(f, MAX_MAP_PAGES);
	f->maps[m].addr = mmap(NULL, f->maps[m].pages * f->page,
			       prots[pick(f, 4)],
			       (pick(f, 4) ? MAP_PRIVATE : MAP_SHARED) |
			       MAP_ANONYMOUS | (pick(f, 2) ? MAP_POPULATE : 0),
			       -1, 0);
	count(f, f->maps[m].addr == MAP_FAILED ? -1 : 0);
	if (f->maps[m].addr == MAP_FAILED)
		f->maps[m].addr = NULL;
}

static void fuzz_change(struct fuzz *f)
{
	int m = pick(f, NR_MAPS);
	char *a = f->maps[m].addr;
	long off, n;

	if (!a)
		return;
	off = pick(f, f->maps[m].pages);
	n = 1 + pick(f, f->maps[m].pages - off);
	switch (pick(f, 4)) {
	case 0:
		count(f, mprotect(a + off * f->page, n * f->page,
				  pick(f, 2) ? PROT_READ | PROT_WRITE : PROT_READ));
		break;
	case 1:
		count(f, madvise(a + off * f->page, n * f->page, MADV_DONTNEED));
		break;
	case 2:
		/* A hole in the middle of a mapping. */
		count(f, munmap(a + off * f->page, f->page));
		break;
	default:
		/* Touch it, unless it has a hole (mprotect says ENOMEM). */
		if (mprotect(a, f->maps[m].pages * f->page,
			     PROT_READ | PROT_WRITE) == 0)
			memset(a, 0x5a, f->maps[m].pages * f->page);
		count(f, 0);
		break;
	}
}

static void fuzz_fd(struct fuzz *f)
{
	int i = pick(f, NR_FDS);

	if (f->fds[i] >= 0) {
		count(f, close(f->fds[i]));
		f->fds[i] = -1;
	} else if (pick(f, 4)) {
		f->fds[i] = open(ULS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		count(f, f->fds[i]);
	} else {
		f->fds[i] = dup(f->fds[pick(f, NR_FDS)]);
		count(f, f->fds[i]);
	}
}

static void fuzz_step(struct fuzz *f);

/* The child replays a few steps of its own, then dies with what it holds. */
static void fuzz_fork(struct fuzz *f)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	count(f, pid);
	if (pid == 0) {
		f->rng ^= 0x9e3779b97f4a7c15ULL;
		for (int i = 0; i < 64; i++)
			fuzz_step(f);
		_exit(0);
	}
	if (pid > 0) {
		f->children++;
		waitpid(pid, &status, 0);
	}
}

static void fuzz_step(struct fuzz *f)
{
	unsigned long r = pick(f, 1000);

	if (r < 800)
		fuzz_ioctl(f);
	else if (r < 880)
		fuzz_map(f);
	else if (r < 940)
		fuzz_change(f);
	else if (r < 998)
		fuzz_fd(f);
	else
		fuzz_fork(f);
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

ULS_TEST_TIMEOUT(fuzz_ioctl, 600)
{
	static struct fuzz f;
	long seed = env_long("ULS_FUZZ_SEED", 1);
	long target = env_long("ULS_FUZZ_CALLS", 1000000);
	double bound = env_long("ULS_FUZZ_SECONDS", 240), start, took;
	long long pins;
	long vmpin = t_vm_pin_kb();

	/* Baselines once the previous test's frees are done. */
	if (!ASSERT_OK(t_settle(), "settle"))
		return;
	pins = t_foll_pins_held();
	f.rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	f.page = getpagesize();
	f.max_len = t_max_len();
	if (!ASSERT_GT(f.max_len, 0, "max_len"))
		return;
	for (int i = 0; i < NR_FDS; i++)
		f.fds[i] = open(ULS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	/* The struct sits at the end of a page: a long read runs off it. */
	f.arg = (struct uls_region *)((char *)t_map_pages(2) + f.page -
				      sizeof(struct uls_region));
	munmap((char *)f.arg + sizeof(struct uls_region), f.page);

	start = t_now();
	while (f.calls < target && t_now() - start < bound)
		for (int i = 0; i < 1000; i++)
			fuzz_step(&f);
	took = t_now() - start;

	for (int i = 0; i < NR_FDS; i++)
		if (f.fds[i] >= 0)
			close(f.fds[i]);
	for (int m = 0; m < NR_MAPS; m++)
		if (f.maps[m].addr)
			munmap(f.maps[m].addr, f.maps[m].pages * f.page);

	printf("seed %ld: %ld calls in %.1f s (%.0f/s), %ld children; errno counts:",
	       seed, f.calls, took, f.calls / took, f.children);
	for (int e = 0; e < 256; e++)
		if (f.errnos[e])
			printf(" %d:%ld", e, f.errnos[e]);
	printf("\nregistered %ld, failed einval %ld efault %ld e2big %ld eoverflow %ld eopnotsupp %ld\n",
	       t_stat("registered"), t_stat("failed_einval"),
	       t_stat("failed_efault"), t_stat("failed_e2big"),
	       t_stat("failed_eoverflow"), t_stat("failed_eopnotsupp"));
	ASSERT_GE(f.calls, target, "calls made within the bound");
	ASSERT_OK(t_settle(), "no entry or pinned page left");
	ASSERT_OK(t_wait_stat("charged_pages", 0, 10000), "no charge left");
	ASSERT_EQ(t_foll_pins_held(), pins, "no pin left");
	ASSERT_EQ(t_vm_pin_kb(), vmpin, "VmPin back");
}
