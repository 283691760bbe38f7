// SPDX-License-Identifier: GPL-2.0
/*
 * The scheduler-event feed (bpf/sched_events.bpf.c, ulsctl events) and
 * the adaptive mutex built on it, checked against what the kernel itself
 * counts.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "test.h"
#include "uls.h"

#define ULSCTL "/bin/ulsctl"

/* `ulsctl events @cmd` as uid @uid: as t_run_capture(), and says so. */
static int ulsctl_events(const char *cmd, uid_t uid, char *out, size_t size)
{
	char *const argv[] = { ULSCTL, "events", (char *)cmd, NULL };
	int rc = t_run_capture(argv, NULL, uid, true, out, size);

	fprintf(stderr, "  ulsctl events %s (uid %d): exit %d: %s", cmd, (int)uid, rc, out);
	return rc;
}

static bool feed_on(void)
{
	char out[512];

	return ASSERT_EQ(ulsctl_events("enable", 0, out, sizeof(out)), 0, "ulsctl events enable");
}

static bool feed_off(void)
{
	char out[512];

	return ASSERT_EQ(ulsctl_events("disable", 0, out, sizeof(out)), 0, "ulsctl events disable");
}

static void spin_ns(uint64_t ns)
{
	uint64_t end = t_now_ns() + ns;

	while (t_now_ns() < end)
		;
}

static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* A consistent copy of @ev, or a failed test. */
static bool events_read(const volatile struct uls_sched_events *ev,
			struct uls_sched_events *s)
{
	return ASSERT_OK(uls_sched_events_read(ev, s), "uls_sched_events_read");
}

/* What the kernel counts for thread @tid of this process. */
struct kernel_counts {
	long long voluntary, involuntary, migrations;
};

static long long proc_field(const char *path, const char *name)
{
	char line[256];
	long long v = -1;
	size_t len = strlen(name);
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, name, len)) {
			char *p = line + len;

			while (*p == ' ' || *p == '\t' || *p == ':')
				p++;
			v = atoll(p);
			break;
		}
	}
	if (f)
		fclose(f);
	return v;
}

static void kernel_counts(int tid, struct kernel_counts *k)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	k->voluntary = proc_field(path, "voluntary_ctxt_switches");
	k->involuntary = proc_field(path, "nonvoluntary_ctxt_switches");
	snprintf(path, sizeof(path), "/proc/self/task/%d/sched", tid);
	k->migrations = proc_field(path, "se.nr_migrations");
}

#define CT_THREADS 4
#define CT_RUN_NS 1500000000ull

struct count_thread {
	int id;
	pthread_barrier_t *start;
	struct kernel_counts k0, k1;
	/* Before and after each reading of the kernel's: k0 and k1. */
	struct uls_sched_events e0a, e0b, e1a, e1b;
	bool ok;
};

/*
 * Each thread reads its counts itself (another reader would race with its
 * switches): the struct, the kernel's, the struct again, at the start and
 * at the end. A switch or a migration can happen while the kernel's are
 * read (two files of /proc, slow on a debug kernel), so the kernel's
 * delta cannot be compared with one delta of the struct's, only bounded
 * by two: what the struct counted from after the first reading to before
 * the last, and from before the first to after the last. That is the
 * whole skew, measured each time rather than allowed for: the struct must
 * count every switch the kernel does, and no other.
 */
static void *count_thread_fn(void *arg)
{
	struct count_thread *t = arg;
	const volatile struct uls_sched_events *ev = uls_sched_events();
	int tid = t_gettid();
	volatile uint64_t sink = 0;
	unsigned int rounds = 0;
	uint64_t end;

	if (!ev)
		return NULL;
	pthread_barrier_wait(t->start);
	usleep(1000);	/* the feed has seen the thread: it is live */
	if (uls_sched_events_read(ev, &t->e0a))
		return NULL;
	kernel_counts(tid, &t->k0);
	if (uls_sched_events_read(ev, &t->e0b))
		return NULL;
	end = t_now_ns() + CT_RUN_NS;
	while (t_now_ns() < end) {
		if (t->id % 2 == 0) {
			usleep(500);
		} else {
			for (int i = 0; i < 200000; i++)
				sink += i;
			sched_yield();
		}
		/* One thread moves itself to and fro: migrations for sure. */
		if (t->id == CT_THREADS - 1)
			pin_to_cpu(rounds++ % 2);
	}
	if (uls_sched_events_read(ev, &t->e1a))
		return NULL;
	kernel_counts(tid, &t->k1);
	if (uls_sched_events_read(ev, &t->e1b))
		return NULL;
	t->ok = true;
	return NULL;
}

/* The feed's counts of @field around the kernel's delta @kernel. */
#define check_count(_t, _field, _kernel, _what) ({			\
	long long ___lo = (long long)((_t)->e1a._field - (_t)->e0b._field);\
	long long ___hi = (long long)((_t)->e1b._field - (_t)->e0a._field);\
	char ___n[128];							\
									\
	snprintf(___n, sizeof(___n), "thread %d: %s: kernel %lld, feed %lld..%lld",\
		 (_t)->id, (_what), (long long)(_kernel), ___lo, ___hi);	\
	fprintf(stderr, "  %s\n", ___n);				\
	ASSERT_GE((_kernel), ___lo, ___n);				\
	ASSERT_LE((_kernel), ___hi, ___n);				\
})

ULS_TEST_TIMEOUT(events_counts_match_kernel, 120)
{
	struct count_thread t[CT_THREADS] = {};
	pthread_t pt[CT_THREADS];
	pthread_barrier_t start;
	long long migrations = 0;

	if (!feed_on())
		return;
	pthread_barrier_init(&start, NULL, CT_THREADS);
	for (int i = 0; i < CT_THREADS; i++) {
		t[i] = (struct count_thread){ .id = i, .start = &start };
		pthread_create(&pt[i], NULL, count_thread_fn, &t[i]);
	}
	for (int i = 0; i < CT_THREADS; i++)
		pthread_join(pt[i], NULL);
	for (int i = 0; i < CT_THREADS; i++) {
		struct count_thread *c = &t[i];
		long long vol = c->k1.voluntary - c->k0.voluntary;
		long long invol = c->k1.involuntary - c->k0.involuntary;
		long long migr = c->k1.migrations - c->k0.migrations;

		if (!ASSERT_TRUE(c->ok, "thread ran"))
			continue;
		ASSERT_TRUE(uls_sched_events_live(&c->e0a) && uls_sched_events_live(&c->e1b),
			    "live");
		ASSERT_GT(vol + invol, 50, "the thread switched often");
		check_count(c, switches_out, vol + invol, "switches out");
		check_count(c, switches_in, vol + invol, "switches in");
		check_count(c, blocks, vol, "blocks (voluntary)");
		check_count(c, preemptions, invol, "preemptions (involuntary)");
		if (ASSERT_GE(c->k0.migrations, 0, "/proc/<pid>/task/<tid>/sched se.nr_migrations")) {
			check_count(c, migrations, migr, "migrations");
			migrations += migr;
		}
	}
	ASSERT_GT(migrations, 20, "the thread that moves itself migrated");
	feed_off();
}

struct sleeper {
	const volatile struct uls_sched_events *ev;
	pthread_barrier_t ready;
};

static void *sleeper_fn(void *arg)
{
	struct sleeper *s = arg;

	s->ev = uls_sched_events();
	usleep(1000);
	pthread_barrier_wait(&s->ready);
	usleep(300000);
	return NULL;
}

ULS_TEST(events_on_cpu_state)
{
	const volatile struct uls_sched_events *ev = uls_sched_events();
	struct uls_sched_events s;
	struct sleeper sl = {};
	pthread_t pt;
	int seen_on = 0;

	if (!ASSERT_OK_PTR((void *)ev, "uls_sched_events") || !feed_on())
		return;
	ASSERT_TRUE(ev == uls_sched_events(), "the same struct each call");
	usleep(1000);
	/* Spinning in user space, the thread reads itself on a CPU: its own. */
	for (int i = 0; i < 1000; i++) {
		int cpu = sched_getcpu();

		if (!events_read(ev, &s))
			break;
		ASSERT_TRUE(uls_sched_events_live(&s), "live");
		ASSERT_EQ(s.on_cpu, 1, "a running thread reads itself on a CPU");
		if (s.cpu == (uint32_t)cpu)
			seen_on++;
	}
	/* A migration between the two reads may make some differ. */
	ASSERT_GT(seen_on, 900, "and on the CPU sched_getcpu() says");

	pthread_barrier_init(&sl.ready, NULL, 2);
	pthread_create(&pt, NULL, sleeper_fn, &sl);
	pthread_barrier_wait(&sl.ready);
	usleep(100000);
	if (ASSERT_OK_PTR((void *)sl.ev, "the sleeper's struct") && events_read(sl.ev, &s)) {
		ASSERT_TRUE(uls_sched_events_live(&s), "live");
		ASSERT_EQ(s.on_cpu, 0, "a thread in nanosleep is off-CPU");
		ASSERT_GE(s.last_out_ns, s.last_in_ns, "switched out after it came in");
		ASSERT_GT(s.blocks, 0, "and blocked");
	}
	pthread_join(pt, NULL);
	feed_off();
}

struct mono_target {
	const volatile struct uls_sched_events *ev;
	volatile bool stop;
};

static void *mono_target_fn(void *arg)
{
	struct mono_target *m = arg;
	volatile uint64_t sink = 0;

	m->ev = uls_sched_events();
	for (unsigned int i = 0; !m->stop; i++) {
		if (i % 3 == 0)
			usleep(200);
		else
			for (int k = 0; k < 20000; k++)
				sink += k;
	}
	return NULL;
}

/*
 * Another thread samples a busy one's struct for a second: seq, counts
 * and timestamps only grow, and every snapshot is one moment's: the
 * difference of switches in and out moves with on_cpu and nothing else,
 * and the last timestamp written is the one on_cpu says.
 */
ULS_TEST_TIMEOUT(events_timestamps_monotonic, 60)
{
	struct mono_target m = {};
	struct uls_sched_events prev = {}, s;
	long long base = 0;
	uint64_t end;
	pthread_t pt;
	long samples = 0, changes = 0;

	if (!feed_on())
		return;
	pthread_create(&pt, NULL, mono_target_fn, &m);
	while (!__atomic_load_n(&m.ev, __ATOMIC_ACQUIRE))
		usleep(100);
	usleep(2000);
	end = t_now_ns() + 1000000000ull;
	while (t_now_ns() < end) {
		if (!events_read(m.ev, &s))
			break;
		samples++;
		if (!uls_sched_events_live(&s))
			continue;
		ASSERT_EQ(s.seq & 1, 0, "a snapshot's seq is even");
		if (!base)
			base = (long long)(s.switches_in - s.switches_out) - s.on_cpu;
		if (!ASSERT_EQ((long long)(s.switches_in - s.switches_out) - s.on_cpu, base,
			       "in - out follows on_cpu"))
			break;
		if (s.switches_in && s.switches_out) {
			if (s.on_cpu)
				ASSERT_GE(s.last_in_ns, s.last_out_ns, "on CPU: came in last");
			else
				ASSERT_GE(s.last_out_ns, s.last_in_ns, "off CPU: went out last");
		}
		if (prev.seq) {
			if (!ASSERT_GE(s.seq, prev.seq, "seq") ||
			    !ASSERT_GE(s.last_in_ns, prev.last_in_ns, "last_in_ns") ||
			    !ASSERT_GE(s.last_out_ns, prev.last_out_ns, "last_out_ns") ||
			    !ASSERT_GE(s.switches_in, prev.switches_in, "switches_in") ||
			    !ASSERT_GE(s.switches_out, prev.switches_out, "switches_out") ||
			    !ASSERT_GE(s.migrations, prev.migrations, "migrations"))
				break;
			changes += s.seq != prev.seq;
		}
		prev = s;
	}
	m.stop = true;
	pthread_join(pt, NULL);
	fprintf(stderr, "  %ld snapshots, %ld of them after a change\n", samples, changes);
	ASSERT_GT(changes, 20, "the struct changed under the reader");
	feed_off();
}

/* --- the mutex ------------------------------------------------------------ */

#define MX_THREADS 32
#define MX_ITERS 10000
/*
 * The longest one acquisition may take, on 2 vCPUs under TCG with 32
 * threads: the mutex is not fair (as glibc's is not), but a woken waiter
 * competes with at most the threads running, and each holds it for a few
 * microseconds. Seen: up to 0.75 s on 6.1, 0.09 s on 7.2.
 */
#define MX_MAX_WAIT_NS 5000000000ull

struct mx_shared {
	uls_mutex_t m;
	uint64_t counter;	/* under m */
	pthread_barrier_t start;
};

struct mx_thread {
	struct mx_shared *s;
	uint64_t max_wait_ns;
	long trylocks;
};

static void *mx_thread_fn(void *arg)
{
	struct mx_thread *t = arg;
	struct mx_shared *s = t->s;

	pthread_barrier_wait(&s->start);
	for (int i = 0; i < MX_ITERS; i++) {
		uint64_t t0 = t_now_ns(), w;

		if (i % 16 == 0 && uls_mutex_trylock(&s->m) == 0) {
			t->trylocks++;
		} else {
			uls_mutex_lock(&s->m);
		}
		w = t_now_ns() - t0;
		if (w > t->max_wait_ns)
			t->max_wait_ns = w;
		/* Not atomic: only the mutex keeps increments from being lost. */
		s->counter = s->counter + 1;
		if (i % 64 == 0)
			sched_yield();	/* the owner off-CPU, now and then */
		uls_mutex_unlock(&s->m);
	}
	return NULL;
}

static void mutex_exact(bool feed)
{
	static struct mx_shared s;
	struct mx_thread t[MX_THREADS] = {};
	pthread_t pt[MX_THREADS];
	uint64_t max_wait = 0, t0;
	long trylocks = 0;

	if (feed ? !feed_on() : !feed_off())
		return;
	uls_mutex_init(&s.m);
	s.counter = 0;
	pthread_barrier_init(&s.start, NULL, MX_THREADS);
	t0 = t_now_ns();
	for (int i = 0; i < MX_THREADS; i++) {
		t[i].s = &s;
		pthread_create(&pt[i], NULL, mx_thread_fn, &t[i]);
	}
	for (int i = 0; i < MX_THREADS; i++) {
		pthread_join(pt[i], NULL);
		if (t[i].max_wait_ns > max_wait)
			max_wait = t[i].max_wait_ns;
		trylocks += t[i].trylocks;
	}
	fprintf(stderr, "  feed %s: %d x %d in %.2f s, longest wait %.3f ms, %ld trylocks won\n",
		feed ? "on" : "off", MX_THREADS, MX_ITERS, (t_now_ns() - t0) / 1e9,
		max_wait / 1e6, trylocks);
	ASSERT_EQ(s.counter, (uint64_t)MX_THREADS * MX_ITERS, "every increment counted");
	ASSERT_EQ(s.m.state, 0, "unlocked at the end");
	ASSERT_LE(max_wait, MX_MAX_WAIT_NS, "no acquisition waited longer than 5 s");
	ASSERT_GT(trylocks, 0, "trylock took it sometimes");
	if (feed)
		feed_off();
}

ULS_TEST_TIMEOUT(mutex_exact_feed_on, 300)
{
	mutex_exact(true);
}

ULS_TEST_TIMEOUT(mutex_exact_feed_off, 300)
{
	mutex_exact(false);
}

/* uls_mutex_trylock() from another thread, which unlocks what it got. */
static long trylock_unlock(void *m)
{
	int err = uls_mutex_trylock(m);

	if (!err)
		uls_mutex_unlock(m);
	return err;
}

ULS_TEST(mutex_trylock_busy)
{
	uls_mutex_t m = ULS_MUTEX_INITIALIZER;

	ASSERT_OK(uls_mutex_trylock(&m), "trylock of a free mutex");
	ASSERT_ERRNO(t_in_thread(trylock_unlock, &m), EBUSY,
		     "trylock from another thread");
	ASSERT_TRUE(m.owner == uls_sched_events(), "the owner's struct published");
	uls_mutex_unlock(&m);
	ASSERT_TRUE(m.owner == NULL && m.state == 0, "unlocked");
	ASSERT_OK(t_in_thread(trylock_unlock, &m), "free again");
}

/* --- turning the feed on and off while threads run ------------------------ */

struct toggle_thread {
	const volatile struct uls_sched_events *ev;
	uls_mutex_t *m;
	uint64_t *counter;
	volatile bool *stop;
	long rounds;
};

static void *toggle_thread_fn(void *arg)
{
	struct toggle_thread *t = arg;

	t->ev = uls_sched_events();
	while (!*t->stop) {
		uls_mutex_lock(t->m);
		(*t->counter)++;
		spin_ns(2000);
		uls_mutex_unlock(t->m);
		if (t->rounds++ % 8 == 0)
			usleep(100);
	}
	return NULL;
}

static uint64_t switches(struct toggle_thread *t, int n)
{
	uint64_t sum = 0;

	for (int i = 0; i < n; i++)
		sum += t[i].ev->switches_in;
	return sum;
}

static int live_structs(struct toggle_thread *t, int n)
{
	int live = 0;

	for (int i = 0; i < n; i++)
		live += t[i].ev->feed != 0;
	return live;
}

ULS_TEST_TIMEOUT(events_enable_disable_running, 180)
{
	struct toggle_thread t[6] = {};
	pthread_t pt[6];
	uls_mutex_t m = ULS_MUTEX_INITIALIZER;
	uint64_t counter = 0, a, b;
	volatile bool stop = false;
	long rounds = 0;
	int n = 6;

	feed_off();
	for (int i = 0; i < n; i++) {
		t[i] = (struct toggle_thread){ .m = &m, .counter = &counter, .stop = &stop };
		pthread_create(&pt[i], NULL, toggle_thread_fn, &t[i]);
	}
	for (int i = 0; i < n; i++)
		while (!__atomic_load_n(&t[i].ev, __ATOMIC_ACQUIRE))
			usleep(1000);
	for (int round = 0; round < 3; round++) {
		/* Off: nothing counts, every struct says so. */
		a = switches(t, n);
		usleep(200000);
		b = switches(t, n);
		ASSERT_EQ(b, a, "off: no counts");
		ASSERT_EQ(live_structs(t, n), 0, "off: no struct live");
		if (!feed_on())
			break;
		a = switches(t, n);
		usleep(200000);
		b = switches(t, n);
		ASSERT_GT(b, a, "on: counts resume");
		ASSERT_EQ(live_structs(t, n), n, "on: every running thread's struct live");
		if (!feed_off())
			break;
	}
	stop = true;
	for (int i = 0; i < n; i++) {
		pthread_join(pt[i], NULL);
		rounds += t[i].rounds;
	}
	ASSERT_EQ(counter, (uint64_t)rounds, "the mutex lost nothing meanwhile");
}

/*
 * What make demo-mutex shows, checked here (single-threaded TCG, where
 * turning the feed on and off is safe): schedwatch sees its thread off a
 * CPU while it sleeps, on one while it spins alone, and preempted once it
 * shares the CPU; the mutex benchmark's short mode runs to its ratios.
 */
ULS_TEST_TIMEOUT(events_demo_programs, 240)
{
	static char out[65536];
	char *argv_watch[] = { "/bin/schedwatch", "200", NULL };
	char *argv_bench[] = { "/bin/uls_mutex_bench", "--short", "--table", NULL };
	unsigned long long first_spin_preempt = ~0ull, last_shared_preempt = 0;
	bool slept_off = false, spun_on = false;

	if (!feed_on())
		return;
	if (ASSERT_EQ(t_run_capture(argv_watch, NULL, 0, false, out, sizeof(out)), 0, "schedwatch")) {
		for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
			unsigned long long in, o, blocks, preempt, migr;
			unsigned int cpu;
			char on[4];

			if (strlen(line) < 17 ||
			    sscanf(line + 16, "%3s %u %llu %llu %llu %llu %llu", on, &cpu,
				   &in, &o, &blocks, &preempt, &migr) != 7)
				continue;
			if (!strncmp(line + 2, "sleeps", 6))
				slept_off |= !strcmp(on, "no");
			if (!strncmp(line + 2, "spins", 5)) {
				spun_on |= !strcmp(on, "yes");
				if (first_spin_preempt == ~0ull)
					first_spin_preempt = preempt;
			}
			if (!strncmp(line + 2, "shares a CPU", 12))
				last_shared_preempt = preempt;
		}
		ASSERT_TRUE(slept_off, "schedwatch: off a CPU while it sleeps");
		ASSERT_TRUE(spun_on, "schedwatch: on one while it spins");
		ASSERT_GT(last_shared_preempt, first_spin_preempt,
			  "schedwatch: preempted once it shares the CPU");
	}
	if (ASSERT_EQ(t_run_capture(argv_bench, "ULS_MUTEX_MS=30", 0, false, out, sizeof(out)), 0,
		      "uls_mutex_bench --short --table")) {
		ASSERT_TRUE(strstr(out, "RATIO mutex_throughput_vs_pthread_2x "),
			    "the benchmark's ratios");
		ASSERT_TRUE(strstr(out, "# threads"), "and its table");
	}
	/* Its placeholders stay pinned, for a VM that ends after it. */
	for (int i = 0; i < 4; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/sys/fs/bpf/uls_mutex_bench/hold%d", i);
		unlink(path);
	}
	rmdir("/sys/fs/bpf/uls_mutex_bench");
	feed_off();
}

ULS_TEST(events_ulsctl_unprivileged)
{
	char out[512];

	ASSERT_EQ(ulsctl_events("enable", 60001, out, sizeof(out)), 1, "enable as a user");
	ASSERT_TRUE(strstr(out, "permission denied") && strstr(out, "CAP_BPF"),
		    "says what it needs");
	ASSERT_EQ(ulsctl_events("disable", 60001, out, sizeof(out)), 1, "disable as a user");
	ASSERT_TRUE(strstr(out, "permission denied"), "says why");
	ASSERT_EQ(access("/sys/fs/bpf/uls/events/switch", F_OK), -1, "nothing pinned");
	/* Anyone may ask, through the thread's own struct. */
	ASSERT_EQ(ulsctl_events("status", 60001, out, sizeof(out)), 3, "status as a user, off");
	if (feed_on()) {
		ASSERT_EQ(ulsctl_events("status", 60001, out, sizeof(out)), 0, "status as a user, on");
		ASSERT_EQ(ulsctl_events("enable", 0, out, sizeof(out)), 0, "enable twice");
		ASSERT_TRUE(strstr(out, "already"), "says so");
		feed_off();
	}
	ASSERT_EQ(ulsctl_events("frobnicate", 0, out, sizeof(out)), 2, "a wrong command");
}
