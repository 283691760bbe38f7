// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/userfaultfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "helpers.h"
#include "probe.skel.h"
#include "test.h"

int dev_open(void)
{
	int fd = open(ULS_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

int raw_register_region(int fd, const struct uls_region *r)
{
	return xioctl(fd, ULS_IOC_REGISTER, (void *)r);
}

int raw_register(int fd, const void *addr, __u64 len)
{
	struct uls_region r = { .addr = (uintptr_t)addr, .len = len };

	return raw_register_region(fd, &r);
}

int raw_unregister(int fd)
{
	return xioctl(fd, ULS_IOC_UNREGISTER, NULL);
}

int raw_query(int fd, struct uls_region *r)
{
	return xioctl(fd, ULS_IOC_QUERY, r);
}

int raw_info(int fd, struct uls_info *info)
{
	return xioctl(fd, ULS_IOC_INFO, info);
}

void *map_pages(size_t pages)
{
	void *p = mmap(NULL, pages * getpagesize(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

struct probe *probe_load(void)
{
	return probe__open_and_load();
}

void probe_destroy(struct probe *p)
{
	probe__destroy(p);
}

int run_prog(const struct bpf_program *prog, void *ctx, size_t size,
	     int *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = ctx,
		    .ctx_size_in = size);

	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts))
		return -errno;
	*retval = opts.retval;
	return 0;
}

int probe_run(struct probe *p, const char *name, struct probe_ctx *c)
{
	struct bpf_program *prog;
	int err, retval;

	prog = bpf_object__find_program_by_name(p->obj, name);
	if (!prog)
		return -ENOENT;
	err = run_prog(prog, c, sizeof(*c), &retval);
	if (err)
		return err;
	return retval ? -EIO : 0;
}

__u64 probe_len(struct probe *p)
{
	struct probe_ctx c = {};

	if (probe_run(p, "probe_len", &c))
		return (__u64)-1;
	return c.len;
}

static int probe_access(struct probe *p, const char *name, __u64 off,
			__u64 *val, int store)
{
	struct probe_ctx c = { .offset = off, .store = store };
	int err;

	if (store)
		c.value = *val;
	err = probe_run(p, name, &c);
	if (err)
		return err;
	if (!store && c.found)
		*val = c.value;
	return c.found;
}

int probe_load_u64(struct probe *p, __u64 *val)
{
	return probe_access(p, "probe_get", 0, val, 0);
}

int probe_store_u64(struct probe *p, __u64 val)
{
	return probe_access(p, "probe_get", 0, &val, 1);
}

int probe_load_at(struct probe *p, __u64 off, __u64 *val)
{
	return probe_access(p, "probe_get_at", off, val, 0);
}

int probe_store_at(struct probe *p, __u64 off, __u64 val)
{
	return probe_access(p, "probe_get_at", off, &val, 1);
}

__u64 probe_sizes(struct probe *p)
{
	struct probe_ctx c = {};

	if (probe_run(p, "probe_sizes", &c))
		return (__u64)-1;
	return c.sizes_ok;
}

__u64 probe_size_bit(__u64 size)
{
	static const __u64 sizes[] = {
#define PROBE_ONE(sz) sz,
		PROBE_SIZES(PROBE_ONE)
#undef PROBE_ONE
	};

	for (int i = 0; i < PROBE_NR_SIZES; i++)
		if (sizes[i] == size)
			return 1ULL << i;
	abort();
}

int uls_counts(__u64 *entries, __u64 *pinned_pages)
{
	struct uls_info info;
	int fd = dev_open(), err;

	if (fd < 0)
		return fd;
	err = raw_info(fd, &info);
	close(fd);
	if (err)
		return err;
	*entries = info.nr_entries;
	*pinned_pages = info.nr_pinned_pages;
	return 0;
}

int wait_counts(__u64 entries, __u64 pinned_pages, int timeout_ms)
{
	__u64 e, pp;
	int err;

	for (int waited = 0;; waited += 10) {
		err = uls_counts(&e, &pp);
		if (err)
			return err;
		if (e == entries && pp == pinned_pages)
			return 0;
		if (waited >= timeout_ms) {
			fprintf(stderr, "counts: entries %llu (want %llu), pinned pages %llu (want %llu)\n",
				(unsigned long long)e, (unsigned long long)entries,
				(unsigned long long)pp,
				(unsigned long long)pinned_pages);
			return -ETIMEDOUT;
		}
		msleep(10);
	}
}

int settle(void)
{
	return wait_counts(0, 0, 10000);
}

long long foll_pins_held(void)
{
	long long acquired = -1, released = -1, v;
	char name[64];
	FILE *f;
	int fd;

	/* Fold the per-CPU deltas in, or the counts lag by up to a second. */
	fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			perror("stat_refresh");
		close(fd);
	}
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", name, &v) == 2) {
		if (!strcmp(name, "nr_foll_pin_acquired"))
			acquired = v;
		else if (!strcmp(name, "nr_foll_pin_released"))
			released = v;
	}
	fclose(f);
	if (acquired < 0 || released < 0)
		return -1;
	return acquired - released;
}

struct thread_call {
	long (*fn)(void *);
	void *arg;
	long ret;
};

static void *thread_main(void *arg)
{
	struct thread_call *c = arg;

	c->ret = c->fn(c->arg);
	return NULL;
}

long in_thread(long (*fn)(void *), void *arg)
{
	struct thread_call c = { .fn = fn, .arg = arg };
	pthread_t t;

	if (pthread_create(&t, NULL, thread_main, &c))
		return -EAGAIN;
	pthread_join(t, NULL);
	return c.ret;
}

static unsigned char pattern_byte(size_t i, unsigned int seed)
{
	return (unsigned char)((i * 2654435761u) >> 13 ^ seed);
}

void fill_pattern(void *buf, size_t len, unsigned int seed)
{
	unsigned char *b = buf;

	for (size_t i = 0; i < len; i++)
		b[i] = pattern_byte(i, seed);
}

/* Bytes of @buf that differ from the pattern's bytes from @first on. */
size_t check_pattern_at(const void *buf, size_t len, size_t first,
			unsigned int seed)
{
	const unsigned char *b = buf;
	size_t bad = 0;

	for (size_t i = 0; i < len; i++)
		bad += b[i] != pattern_byte(first + i, seed);
	return bad;
}

size_t check_pattern(const void *buf, size_t len, unsigned int seed)
{
	return check_pattern_at(buf, len, 0, seed);
}

int sys_gettid(void)
{
	return syscall(SYS_gettid);
}

double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static char refused_log[1 << 20];

void expect_load_refused(struct bpf_object *obj, const char *prog_name,
			 const char *const msgs[])
{
	struct bpf_program *prog, *p;
	bool matched = false;

	prog = bpf_object__find_program_by_name(obj, prog_name);
	if (!ASSERT_OK_PTR(prog, prog_name))
		return;
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == prog);
	refused_log[0] = '\0';
	bpf_program__set_log_buf(prog, refused_log, sizeof(refused_log));
	if (!ASSERT_NEQ(bpf_object__load(obj), 0, "load must fail"))
		return;
	for (int i = 0; msgs[i] && !matched; i++) {
		matched = strstr(refused_log, msgs[i]) != NULL;
		if (matched)
			printf("%s refused: '%s'\n", prog_name, msgs[i]);
	}
	if (!ASSERT_TRUE(matched, "verifier message")) {
		fprintf(stderr, "%s: expected one of:", prog_name);
		for (int i = 0; msgs[i]; i++)
			fprintf(stderr, " '%s'", msgs[i]);
		fprintf(stderr, "\nverifier log:\n%s\n", refused_log);
	}
}

int kernel_has_enum_value(const char *type, const char *value)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	const struct btf_enum *e;
	int id, found = 0;

	if (!btf)
		return -errno;
	id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM);
	if (id > 0) {
		t = btf__type_by_id(btf, id);
		e = btf_enum(t);
		for (int i = 0; i < btf_vlen(t) && !found; i++, e++)
			found = !strcmp(btf__name_by_offset(btf, e->name_off),
					value);
	}
	btf__free(btf);
	return found;
}

int limit_memlock(unsigned long bytes)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	struct rlimit rl = { bytes, bytes };

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[CAP_TO_INDEX(CAP_IPC_LOCK)].effective &= ~CAP_TO_MASK(CAP_IPC_LOCK);
	data[CAP_TO_INDEX(CAP_IPC_LOCK)].permitted &= ~CAP_TO_MASK(CAP_IPC_LOCK);
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return setrlimit(RLIMIT_MEMLOCK, &rl) ? -errno : 0;
}

int in_child(void (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		fn(arg);
		fflush(NULL);
		_exit(test__failed() ? 1 : 0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "child killed by signal %d\n", WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

int uffd_bait(char **page)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	long size = getpagesize();
	int uffd = syscall(SYS_userfaultfd, O_CLOEXEC), err;
	char *p;

	if (uffd < 0)
		return -errno;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (uintptr_t)p;
	reg.range.len = size;
	if (p == MAP_FAILED || ioctl(uffd, UFFDIO_API, &api) ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		err = -errno;
		close(uffd);
		return err;
	}
	*page = p;
	return uffd;
}

int uffd_wait_fault(int uffd)
{
	struct uffd_msg msg;

	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		return -errno;
	return msg.event == UFFD_EVENT_PAGEFAULT ? 0 : -EPROTO;
}

int uffd_answer(int uffd, char *page)
{
	struct uffdio_zeropage zero = {
		.range = { .start = (uintptr_t)page, .len = getpagesize() },
	};

	return ioctl(uffd, UFFDIO_ZEROPAGE, &zero) ? -errno : 0;
}
