// SPDX-License-Identifier: GPL-2.0
/*
 * The stress test: 64 threads register, replace, unregister, exit (and are
 * replaced) and fork children that exec, for $ULS_STRESS_SECONDS (60 by
 * default), while BPF programs on sched_switch (prev and next), on syscall
 * entry and in a sleepable LSM hook store into their regions on every CPU.
 * It ends with no entry, no pin and no charge left, and BPF never wrote
 * outside the 16 bytes it owns in each region.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "test.h"
#include "stress.skel.h"
#include "progs/stress.h"

#define NR_WORKERS 64
#define BUF_PAGES 4

enum { OP_REGISTER, OP_REPLACE, OP_UNREGISTER, OP_EXIT, OP_EXEC, OP_SLEEPABLE,
	OP_YIELD, NR_OPS };
static const char *const op_names[NR_OPS] = {
	"register", "replace", "unregister", "exit", "exec", "sleepable",
	"yield",
};

struct worker {
	int idx;
	unsigned int seed;
	char *buf;
	atomic_bool done;
	pthread_t thread;
	long ops[NR_OPS];
	long failed, corrupt;
};

static struct t_ctx dev;		/* /dev/uls, shared by the workers */
static atomic_bool stop;
static long page;

static unsigned int next_rand(unsigned int *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* Bytes of @w's buffer outside BPF's 16-byte heads that lost the pattern. */
static long check_buf(struct worker *w)
{
	long bad = 0;

	for (long i = 0; i < BUF_PAGES * page; i += STRESS_STRIDE)
		bad += t_check_pattern_at(w->buf + i + STRESS_HEAD,
					STRESS_STRIDE - STRESS_HEAD,
					i + STRESS_HEAD, w->idx) != 0;
	return bad;
}

static int register_random(struct worker *w)
{
	long slots = BUF_PAGES * page / STRESS_STRIDE;
	long off = (next_rand(&w->seed) % (slots - 1)) * STRESS_STRIDE;
	long len = STRESS_HEAD + next_rand(&w->seed) % (2 * page);

	if (off + len > BUF_PAGES * page)
		len = BUF_PAGES * page - off;
	return t_ioc_register(dev.fd, w->buf + off, len);
}

/* A child that registers, from its leader or another thread, then execs. */
static void *exec_true(void *arg)
{
	int fd = *(int *)arg;

	if (ASSERT_OK(t_ioc_register(fd, t_map_pages(1), 64), "register, then exec")) {
		execl("/bin/true", "true", NULL);
		ASSERT_OK(-errno, "exec /bin/true");
	}
	exit(1);
}

static void exec_child(void *arg)
{
	bool from_thread = *(bool *)arg;
	/* Not close-on-exec: exec itself must end the entries. */
	int fd = open(ULS_DEVICE_PATH, O_RDWR);
	pthread_t t;

	if (!ASSERT_GE(fd, 0, "open"))
		return;
	if (!from_thread)
		exec_true(&fd);
	if (!ASSERT_OK(t_ioc_register(fd, t_map_pages(1), 64),
		       "the leader registers"))
		return;
	pthread_create(&t, NULL, exec_true, &fd);
	pause();
}

static int fork_exec(struct worker *w)
{
	bool from_thread = next_rand(&w->seed) & 1;
	pid_t pid = t_start_child(exec_child, &from_thread);

	return pid < 0 ? pid : t_wait_child(pid);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char *scratch = t_map_pages(1);

	for (long n = 0; !atomic_load(&stop); n++) {
		unsigned int r = next_rand(&w->seed) % 1000;
		int op, err = 0;

		if (r < 300)
			op = OP_REGISTER;
		else if (r < 400)
			op = OP_REPLACE;
		else if (r < 550)
			op = OP_UNREGISTER;
		else if (r < 555)
			op = OP_EXIT;
		else if (r < 558)
			op = OP_EXEC;
		else if (r < 700)
			op = OP_SLEEPABLE;
		else
			op = OP_YIELD;
		w->ops[op]++;
		switch (op) {
		case OP_REGISTER:
			err = register_random(w);
			break;
		case OP_REPLACE:
			for (int i = 0; i < 8 && !err; i++)
				err = register_random(w);
			break;
		case OP_UNREGISTER:
			err = t_ioc_unregister(dev.fd);
			if (err == -ENOENT)
				err = 0;
			break;
		case OP_EXIT:
			goto out;
		case OP_EXEC:
			err = fork_exec(w);
			break;
		case OP_SLEEPABLE:
			/* The LSM program's copy from here faults: it sleeps. */
			madvise(scratch, page, MADV_DONTNEED);
			ioctl(nullfd, STRESS_IOCTL_CMD, scratch);
			break;
		case OP_YIELD:
			getppid();
			sched_yield();
			break;
		}
		if (err)
			w->failed++;
		if (n % 64 == 0)
			w->corrupt += check_buf(w);
	}
out:
	w->corrupt += check_buf(w);
	munmap(scratch, page);
	close(nullfd);
	atomic_store(&w->done, true);
	return NULL;
}

ULS_TEST_TIMEOUT(stress_lifecycle, 400)
{
	const char *env = getenv("ULS_STRESS_SECONDS");
	int seconds = env ? atoi(env) : 60;
	static struct worker w[NR_WORKERS];
	long execed = t_stat("execed"), exited = t_stat("exited");
	long long pins;
	long vmpin = t_vm_pin_kb(), ops[NR_OPS] = {}, failed = 0, corrupt = 0;
	long spawned = 0;
	struct stress *skel;
	double deadline;

	page = getpagesize();
	if (!t_setup(&dev, 0))
		return;
	pins = t_foll_pins_held();
	skel = stress__open_and_load();
	if (!ASSERT_OK_PTR(skel, "load stress.bpf.o"))
		return;
	skel->data->len_limit = t_param("max_len");
	if (!ASSERT_GT(skel->data->len_limit, 0, "max_len"))
		goto out;
	if (!ASSERT_OK(stress__attach(skel), "attach"))
		goto out;

	for (int i = 0; i < NR_WORKERS; i++) {
		w[i].idx = i;
		w[i].seed = i * 7919 + 1;
		w[i].buf = t_map_pages(BUF_PAGES);
		t_fill_pattern(w[i].buf, BUF_PAGES * page, i);
		pthread_create(&w[i].thread, NULL, worker_main, &w[i]);
		spawned++;
	}
	deadline = t_now() + seconds;
	while (t_now() < deadline) {
		/* A worker that exited is replaced by a new thread. */
		for (int i = 0; i < NR_WORKERS; i++) {
			if (!atomic_load(&w[i].done))
				continue;
			pthread_join(w[i].thread, NULL);
			atomic_store(&w[i].done, false);
			pthread_create(&w[i].thread, NULL, worker_main, &w[i]);
			spawned++;
		}
		t_msleep(20);
	}
	atomic_store(&stop, true);
	for (int i = 0; i < NR_WORKERS; i++) {
		pthread_join(w[i].thread, NULL);
		for (int op = 0; op < NR_OPS; op++)
			ops[op] += w[i].ops[op];
		failed += w[i].failed;
		corrupt += w[i].corrupt;
	}
	stress__detach(skel);

	printf("%d s, %ld threads:", seconds, spawned);
	for (int op = 0; op < NR_OPS; op++)
		printf(" %s %ld", op_names[op], ops[op]);
	printf("\nBPF stores: sched_switch %llu, sys_enter %llu, sleepable %llu\n",
	       (unsigned long long)skel->bss->switch_hits,
	       (unsigned long long)skel->bss->sys_hits,
	       (unsigned long long)skel->bss->lsm_hits);
	ASSERT_EQ(failed, 0, "failed operations");
	ASSERT_EQ(corrupt, 0, "stores outside BPF's bytes");
	ASSERT_GT(skel->bss->switch_hits, 0, "sched_switch stored");
	ASSERT_GT(skel->bss->sys_hits, 0, "sys_enter stored");
	ASSERT_GT(skel->bss->lsm_hits, 0, "sleepable program stored");
	ASSERT_GT(skel->bss->len_seen, 0, "bpf_uls_len() found regions");
	ASSERT_EQ(skel->bss->len_over_limit, 0,
		  "bpf_uls_len() never above max_len, exits included");
	ASSERT_GT(ops[OP_EXEC], 0, "execs happened");
	/* Every thread that exited, and every exec'd child, freed its entry. */
	t_teardown(&dev);
	ASSERT_OK(t_settle(), "entries and pinned pages back to 0");
	ASSERT_OK(t_wait_stat("charged_pages", 0, 10000), "charged pages back to 0");
	ASSERT_EQ(t_foll_pins_held(), pins, "pins back");
	ASSERT_EQ(t_vm_pin_kb(), vmpin, "VmPin back");
	printf("entries ended by exit %ld, by exec %ld\n",
	       t_stat("exited") - exited, t_stat("execed") - execed);
	ASSERT_EQ(t_stat("execed") - execed, ops[OP_EXEC],
		  "stats/execed: one per exec'd child");
out:
	stress__destroy(skel);
}
