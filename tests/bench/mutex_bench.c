// SPDX-License-Identifier: GPL-2.0
/*
 * uls_mutex_bench: the adaptive mutex of libuls (uls.h, user/lib/mutex.c)
 * against pthread's mutexes and a spinlock, in one run, in one VM.
 *
 * Each of T threads loops: lock; a critical section (a busy loop that
 * writes shared data, calibrated at start to about CS ns of guest time);
 * unlock; work outside (the same loop on the thread's own data) of a
 * random length, uniform between 0 and CS: half as much on average. So
 * the lock is contested: a mutex benchmark measures how a mutex waits,
 * and a lock that is mostly free measures the loop around it. With as
 * much work outside as inside, of fixed length, two threads fall into
 * step, one in its critical section while the other works outside: lock()
 * took 0.1-0.3 us at the median for every kind, and 1% of pthread's
 * acquisitions blocked; with random lengths of CS on average, 0.2-0.5%
 * (the clock reads and the loop's own code, some microseconds under TCG,
 * are work outside too). CS is 1 us and 10 us; T is 1x, 2x and 4x the
 * CPUs.
 * Each cell (CS, T, kind) runs for a fixed time and gives the throughput
 * (acquisitions per second, all threads) and the latency of lock() (the
 * clock read around it, every acquisition, in a log-linear histogram):
 * p50 and p99.
 *
 * Kinds:
 *   uls        uls_mutex_t with the scheduler-event feed on
 *   uls_off    the same with the feed off (its waiters sleep at once)
 *   pthread    pthread_mutex_t, default
 *   adaptive   pthread_mutex_t, PTHREAD_MUTEX_ADAPTIVE_NP
 *   ttas       a test-and-test-and-set spinlock, pause in the spin
 * The feed is turned on and off with /bin/ulsctl events enable|disable
 * (the VM runs as root), for each cell of each round: with it off
 * pthread, adaptive, ttas and uls_off run one after the other, their
 * order rotating by round, and uls with it on, before or after them in
 * turn, so that drift hits all alike; then the ping-pong, once each way.
 * The figures are the medians of the rounds.
 *
 * feed_cost_switch: two threads pinned to one CPU pass a byte back and
 * forth through two pipes, each a context switch; both have their event
 * struct (uls_sched_events()), so that the feed writes for both. The
 * time per switch with the feed on over the time with it off.
 *
 * Prints what tests/bench/report.py reads, as uls_bench does: SAMPLE per
 * round, RATIO and SPREAD (p25, p75 of the per-round ratios), INFO, and
 * "not ok WHAT # why" (exit status 1 then). With --table, also a table
 * for people, as "#" lines (make demo-mutex).
 *
 * Options: --short (2 rounds of 100 ms, for the demo), --table.
 * Environment: ULS_MUTEX_ROUNDS (7), ULS_MUTEX_MS (ms per cell, 250),
 * ULS_TCG (the QEMU TCG mode, which tests/vm/boot.sh passes: INFO tcg),
 * ULSCTL (/bin/ulsctl).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <uls.h>

#include "results.h"
#include "tp_hold.skel.h"

#define MAX_ROUNDS	51
#define NR_CS		2
#define NR_MULT		3
#define NR_KINDS	5

enum kind { K_ULS, K_ULS_OFF, K_PTHREAD, K_ADAPTIVE, K_TTAS };

static const char *const kind_name[NR_KINDS] = {
	"uls", "uls_off", "pthread", "adaptive", "ttas",
};
static const int cs_ns[NR_CS] = { 1000, 10000 };
static const char *const cs_name[NR_CS] = { "1us", "10us" };
static const int mult[NR_MULT] = { 1, 2, 4 };

static int rounds = 7;
static int cell_ms = 250;
static bool table;
static int ncpus;
static const char *ulsctl = "/bin/ulsctl";

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* --- statistics ------------------------------------------------------------ */

static double median(const double *v, int n)
{
	return quantile(v, n, 0.5);
}

/*
 * Latencies in a log-linear histogram: exact below 32 ns, then 32
 * buckets per power of two (3% wide), up to 2^40 ns.
 */
#define SUB		32
#define HIST_BUCKETS	(SUB + 36 * SUB)

struct hist {
	uint64_t n;
	uint32_t b[HIST_BUCKETS];
};

static inline void hist_add(struct hist *h, uint64_t v)
{
	unsigned int idx;

	if (v < SUB) {
		idx = v;
	} else {
		int e = 63 - __builtin_clzll(v);	/* >= 5 */

		if (e > 40)
			e = 40, v = (2ull << 40) - 1;
		idx = (e - 4) * SUB + (unsigned int)((v >> (e - 5)) - SUB);
	}
	h->b[idx]++;
	h->n++;
}

/* The middle of the bucket that holds the q-quantile. */
static double hist_quantile(const struct hist *h, double q)
{
	uint64_t want = (uint64_t)(q * (h->n - 1)) + 1, seen = 0;

	for (unsigned int i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen < want)
			continue;
		if (i < SUB)
			return i;
		unsigned int e = i / SUB + 4, s = i % SUB;

		return (double)((uint64_t)(SUB + s) << (e - 5)) +
		       (double)(1ull << (e - 5)) / 2;
	}
	return 0;
}

/* --- the locks ------------------------------------------------------------- */

struct ttas {
	uint32_t word;
};

static void ttas_lock(struct ttas *l)
{
	for (;;) {
		if (!__atomic_exchange_n(&l->word, 1, __ATOMIC_ACQUIRE))
			return;
		while (__atomic_load_n(&l->word, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
	}
}

static void ttas_unlock(struct ttas *l)
{
	__atomic_store_n(&l->word, 0, __ATOMIC_RELEASE);
}

/* The shared data and the lock, each on cache lines of their own. */
struct shared {
	union {
		uls_mutex_t uls;
		pthread_mutex_t pthread;
		struct ttas ttas;
	} lock __attribute__((aligned(64)));
	volatile uint64_t data[8] __attribute__((aligned(64)));
	uint64_t count;		/* acquisitions, counted under the lock */
	volatile int stop __attribute__((aligned(64)));
};

static struct shared sh;
static unsigned long cs_iters[NR_CS];

/* The work: @n steps that each write one of 8 words of @data. */
static __attribute__((noinline)) void work(volatile uint64_t *data,
					   unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		data[i & 7] += i;
}

/* --- one cell ---------------------------------------------------------------- */

struct worker {
	pthread_t t;
	enum kind kind;
	unsigned long iters;
	pthread_barrier_t *start;
	uint64_t acquired;
	struct rusage ru;	/* the thread's, at its end */
	struct hist hist;
	volatile uint64_t own[8] __attribute__((aligned(64)));
} __attribute__((aligned(64)));

static inline void lock(enum kind k)
{
	switch (k) {
	case K_ULS:
	case K_ULS_OFF:
		uls_mutex_lock(&sh.lock.uls);
		break;
	case K_PTHREAD:
	case K_ADAPTIVE:
		pthread_mutex_lock(&sh.lock.pthread);
		break;
	case K_TTAS:
		ttas_lock(&sh.lock.ttas);
		break;
	}
}

static inline void unlock(enum kind k)
{
	switch (k) {
	case K_ULS:
	case K_ULS_OFF:
		uls_mutex_unlock(&sh.lock.uls);
		break;
	case K_PTHREAD:
	case K_ADAPTIVE:
		pthread_mutex_unlock(&sh.lock.pthread);
		break;
	case K_TTAS:
		ttas_unlock(&sh.lock.ttas);
		break;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	enum kind k = w->kind;
	unsigned long n = w->iters;
	uint64_t rnd = 0x9e3779b97f4a7c15ull * ((uintptr_t)w | 1);

	/* The event struct is registered before the clock starts. */
	if (k == K_ULS || k == K_ULS_OFF) {
		if (!uls_sched_events())
			return NULL;
		lock(k);
		unlock(k);
	}
	pthread_barrier_wait(w->start);
	while (!sh.stop) {
		uint64_t t0 = now_ns(), t1;

		/* xorshift64: the length of the work outside, 0..n. */
		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;

		lock(k);
		t1 = now_ns();
		work(sh.data, n);
		sh.count++;
		unlock(k);
		hist_add(&w->hist, t1 - t0);
		w->acquired++;
		work(w->own, rnd % (n + 1));
	}
	getrusage(RUSAGE_THREAD, &w->ru);
	return w;
}

struct cell {
	double tput;	/* acquisitions per second */
	double p50, p99;	/* ns */
	/* Per acquisition: the threads' blocks, preemptions, CPU time (ns). */
	double vcsw, ivcsw, cpu;
};

static int run_cell(enum kind k, int ci, int threads, struct cell *out)
{
	static struct worker *w;
	static int w_cap;
	pthread_barrier_t start;
	pthread_mutexattr_t attr;
	struct hist *all;
	uint64_t t0 = 0, t1 = 1, acquired = 0, vcsw = 0, ivcsw = 0;
	double cpu = 0;
	int err = 0, started = 0;

	if (threads > w_cap) {
		free(w);
		w = aligned_alloc(64, threads * sizeof(*w));
		w_cap = w ? threads : 0;
		if (!w)
			return -ENOMEM;
	}
	all = calloc(1, sizeof(*all));
	if (!all)
		return -ENOMEM;
	memset(&sh, 0, sizeof(sh));
	switch (k) {
	case K_ULS:
	case K_ULS_OFF:
		uls_mutex_init(&sh.lock.uls);
		break;
	case K_PTHREAD:
	case K_ADAPTIVE:
		pthread_mutexattr_init(&attr);
		if (k == K_ADAPTIVE)
			pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
		pthread_mutex_init(&sh.lock.pthread, &attr);
		pthread_mutexattr_destroy(&attr);
		break;
	case K_TTAS:
		break;
	}
	pthread_barrier_init(&start, NULL, threads + 1);
	memset(w, 0, threads * sizeof(*w));
	for (int i = 0; i < threads; i++) {
		w[i].kind = k;
		w[i].iters = cs_iters[ci];
		w[i].start = &start;
		err = pthread_create(&w[i].t, NULL, worker_main, &w[i]);
		if (err) {
			err = -err;
			sh.stop = 1;
			break;
		}
		started++;
	}
	if (started == threads) {
		struct timespec d = { cell_ms / 1000, cell_ms % 1000 * 1000000L };

		pthread_barrier_wait(&start);
		t0 = now_ns();
		nanosleep(&d, NULL);
		sh.stop = 1;
		t1 = now_ns();
	}
	for (int i = 0; i < started; i++) {
		void *ret = NULL;

		pthread_join(w[i].t, &ret);
		if (ret != &w[i] && !err)
			err = -EIO;
		acquired += w[i].acquired;
		vcsw += w[i].ru.ru_nvcsw;
		ivcsw += w[i].ru.ru_nivcsw;
		cpu += (w[i].ru.ru_utime.tv_sec + w[i].ru.ru_stime.tv_sec) * 1e9 +
		       (w[i].ru.ru_utime.tv_usec + w[i].ru.ru_stime.tv_usec) * 1e3;
		all->n += w[i].hist.n;
		for (int b = 0; b < HIST_BUCKETS; b++)
			all->b[b] += w[i].hist.b[b];
	}
	if (started < threads) {
		/* The others wait in the barrier for ever: nothing to do. */
		fail("mutex_bench_threads", "pthread_create: %s", strerror(-err));
		exit(1);
	}
	pthread_barrier_destroy(&start);
	if (!err && sh.count != acquired) {
		fail("mutex_exclusion", "%s: %llu acquisitions, %llu counted under the lock",
		     kind_name[k], (unsigned long long)acquired,
		     (unsigned long long)sh.count);
		err = -EIO;
	}
	if (k == K_PTHREAD || k == K_ADAPTIVE)
		pthread_mutex_destroy(&sh.lock.pthread);
	out->tput = acquired * 1e9 / (t1 - t0);
	out->p50 = hist_quantile(all, 0.5);
	out->p99 = hist_quantile(all, 0.99);
	out->vcsw = acquired ? (double)vcsw / acquired : 0;
	out->ivcsw = acquired ? (double)ivcsw / acquired : 0;
	out->cpu = acquired ? cpu / acquired : 0;
	free(all);
	return err;
}

/* --- the feed ----------------------------------------------------------------- */

static bool feed_on, feed_known;
static int feed_toggles;

static int feed(bool on)
{
	char cmd[256];
	uint64_t t0 = now_ns();
	int rc;

	if (feed_known && feed_on == on)
		return 0;
	feed_toggles++;

	snprintf(cmd, sizeof(cmd), "%s events %s >/dev/null", ulsctl,
		 on ? "enable" : "disable");
	rc = system(cmd);
	if (rc) {
		fail(on ? "mutex_feed_enable" : "mutex_feed_disable",
		     "%s: exit status %d", cmd, rc);
		return -1;
	}
	fprintf(stderr, "mutex_bench: feed %s in %.0f ms\n", on ? "on" : "off",
		(now_ns() - t0) / 1e6);
	feed_on = on;
	feed_known = true;
	return 0;
}

/* Whether this thread's struct is fed, after two switches. */
static bool feed_live(void)
{
	const volatile struct uls_sched_events *ev = uls_sched_events();
	struct uls_sched_events s;

	if (!ev)
		return false;
	usleep(1000);
	usleep(1000);
	return !uls_sched_events_read(ev, &s) && uls_sched_events_live(&s);
}

/* --- the ping-pong ------------------------------------------------------------- */

struct pingpong {
	int ab[2], ba[2];
	volatile int stop;
	uint64_t trips;
	const volatile struct uls_sched_events *ev[2];
};

static int pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static void *pong(void *arg)
{
	struct pingpong *p = arg;
	char c;

	p->ev[1] = uls_sched_events();
	if (pin_cpu0())
		return NULL;
	while (read(p->ab[0], &c, 1) == 1 && c)
		if (write(p->ba[1], &c, 1) != 1)
			break;
	return p;
}

/* Nanoseconds per context switch, or a negative errno. */
static double pingpong(int ms)
{
	struct pingpong p = {};
	pthread_t t;
	cpu_set_t old;
	uint64_t t0, t1, end;
	char c = 1;
	double ret = -EIO;

	if (pipe(p.ab) || pipe(p.ba))
		return -errno;
	sched_getaffinity(0, sizeof(old), &old);
	p.ev[0] = uls_sched_events();
	if (pin_cpu0() || pthread_create(&t, NULL, pong, &p))
		goto out;
	/* Warm up: the other thread pinned and running. */
	for (int i = 0; i < 100; i++)
		if (write(p.ab[1], &c, 1) != 1 || read(p.ba[0], &c, 1) != 1)
			goto stop;
	t0 = now_ns();
	end = t0 + ms * 1000000ull;
	do {
		for (int i = 0; i < 100; i++)
			if (write(p.ab[1], &c, 1) != 1 || read(p.ba[0], &c, 1) != 1)
				goto stop;
		p.trips += 100;
		t1 = now_ns();
	} while (t1 < end);
	ret = (t1 - t0) / (2.0 * p.trips);
	if (!p.ev[0] || !p.ev[1])
		ret = -ENOENT;
stop:
	c = 0;
	if (write(p.ab[1], &c, 1) != 1)
		ret = -EIO;
	pthread_join(t, NULL);
	if (feed_on && ret > 0) {
		struct uls_sched_events s;

		for (int i = 0; i < 2; i++)
			if (uls_sched_events_read(p.ev[i], &s) ||
			    !uls_sched_events_live(&s) || s.switches_in < p.trips)
				ret = -ESTALE;
	}
out:
	sched_setaffinity(0, sizeof(old), &old);
	close(p.ab[0]);
	close(p.ab[1]);
	close(p.ba[0]);
	close(p.ba[1]);
	return ret;
}

/* --- calibration ---------------------------------------------------------------- */

static void calibrate(void)
{
	static volatile uint64_t scratch[8];
	const unsigned long n = 20000;
	double best = 1e30;

	for (int i = 0; i < 20; i++) {
		uint64_t t0 = now_ns();

		work(scratch, n);
		double t = (double)(now_ns() - t0) / n;

		if (t < best)
			best = t;
	}
	for (int c = 0; c < NR_CS; c++) {
		cs_iters[c] = (unsigned long)(cs_ns[c] / best + 0.5);
		if (!cs_iters[c])
			cs_iters[c] = 1;
		printf("INFO mutex_cs_%s_iters %lu (%.2f ns per step)\n",
		       cs_name[c], cs_iters[c], best);
	}
}

/* --- the run ----------------------------------------------------------------------- */

/* [cs][mult][kind][round] */
static double tput[NR_CS][NR_MULT][NR_KINDS][MAX_ROUNDS];
static double p50[NR_CS][NR_MULT][NR_KINDS][MAX_ROUNDS];
static double p99[NR_CS][NR_MULT][NR_KINDS][MAX_ROUNDS];
static double sw_on[MAX_ROUNDS], sw_off[MAX_ROUNDS];

static int measure(enum kind k, int c, int m, int r)
{
	struct cell res;
	int err = run_cell(k, c, mult[m] * ncpus, &res);

	if (err) {
		fail("mutex_cell", "%s cs %s %dx: %s", kind_name[k], cs_name[c],
		     mult[m], strerror(-err));
		return err;
	}
	tput[c][m][k][r] = res.tput;
	p50[c][m][k][r] = res.p50;
	p99[c][m][k][r] = res.p99;
	printf("SAMPLE mutex.tput.%s.%dx.%s kacq_per_s %.3f\n", cs_name[c],
	       mult[m], kind_name[k], res.tput / 1e3);
	printf("SAMPLE mutex.p50.%s.%dx.%s us %.3f\n", cs_name[c], mult[m],
	       kind_name[k], res.p50 / 1e3);
	printf("SAMPLE mutex.p99.%s.%dx.%s us %.3f\n", cs_name[c], mult[m],
	       kind_name[k], res.p99 / 1e3);
	/* Why, for people: report.py ignores these lines. */
	printf("# cell %s %dx %s: per acquisition %.3f blocks %.3f preemptions %.2f us CPU\n",
	       cs_name[c], mult[m], kind_name[k], res.vcsw, res.ivcsw,
	       res.cpu / 1e3);
	fflush(stdout);
	return 0;
}

static int measure_switch(int r)
{
	double ns = pingpong(cell_ms);

	if (ns < 0) {
		fail("mutex_feed_switch", "ping-pong with the feed %s: %s",
		     feed_on ? "on" : "off", strerror((int)-ns));
		return -1;
	}
	(feed_on ? sw_on : sw_off)[r] = ns;
	printf("SAMPLE mutex.switch.feed_%s ns %.1f\n", feed_on ? "on" : "off", ns);
	fflush(stdout);
	return 0;
}

/* The kinds measured with the feed off, in the order of round @r. */
static const enum kind off_kinds[] = { K_PTHREAD, K_ADAPTIVE, K_TTAS, K_ULS_OFF };
#define NR_OFF (int)(sizeof(off_kinds) / sizeof(off_kinds[0]))

static int feed_to(bool on)
{
	if (feed(on))
		return -1;
	if (on && !feed_live()) {
		fail("mutex_feed_live", "the feed is enabled but this thread's struct is not fed");
		return -1;
	}
	return 0;
}

/*
 * One cell's kinds, the feed's on either side of the others in turn, so
 * that uls and what it is compared with run within a second or two.
 */
static int cell(int c, int m, int r)
{
	bool on_first = (r + c + m) & 1;

	for (int side = 0; side < 2; side++) {
		if (side == on_first) {
			if (feed_to(false))
				return -1;
			for (int j = 0; j < NR_OFF; j++)
				if (measure(off_kinds[(j + r) % NR_OFF], c, m, r))
					return -1;
		} else {
			if (feed_to(true) || measure(K_ULS, c, m, r))
				return -1;
		}
	}
	return 0;
}

static int round_(int r)
{
	for (int c = 0; c < NR_CS; c++)
		for (int m = 0; m < NR_MULT; m++)
			if (cell(c, m, r))
				return -1;
	/* The ping-pong, with the feed as it is, then the other way. */
	if (measure_switch(r) || feed_to(!feed_on) || measure_switch(r))
		return -1;
	return 0;
}

static void print_ratio(const char *name, const double *v, int n)
{
	printf("RATIO %s %.4f\n", name, median(v, n));
	printf("SPREAD %s %.4f %.4f\n", name, quantile(v, n, 0.25),
	       quantile(v, n, 0.75));
}

/*
 * uls (feed on) against the better pthread kind (by median) at @m, per
 * round; the CS sizes combined as the geometric mean of their ratios.
 * @lat: p99 latency (lower is better), else throughput.
 */
static void ratio_vs_pthread(const char *name, int m, bool lat, int n)
{
	double (*v)[NR_MULT][NR_KINDS][MAX_ROUNDS] = lat ? p99 : tput;
	double r[NR_CS][MAX_ROUNDS], both[MAX_ROUNDS];
	char full[96];

	for (int c = 0; c < NR_CS; c++) {
		double mp = median(v[c][m][K_PTHREAD], n);
		double ma = median(v[c][m][K_ADAPTIVE], n);
		enum kind best = (lat ? ma < mp : ma > mp) ? K_ADAPTIVE : K_PTHREAD;

		for (int i = 0; i < n; i++)
			r[c][i] = v[c][m][K_ULS][i] / v[c][m][best][i];
		printf("INFO %s_%s_against %s\n", name, cs_name[c], kind_name[best]);
	}
	for (int i = 0; i < n; i++)
		both[i] = sqrt(r[0][i] * r[1][i]);
	print_ratio(name, both, n);
	for (int c = 0; c < NR_CS; c++) {
		snprintf(full, sizeof(full), "%s_%s", name, cs_name[c]);
		print_ratio(full, r[c], n);
	}
}

static void print_table(int n)
{
	printf("#\n# median of %d round%s of %d ms, %d CPUs; throughput in thousand acquisitions/s,\n"
	       "# lock() latency p50/p99 in us\n", n, n == 1 ? "" : "s", cell_ms, ncpus);
	for (int c = 0; c < NR_CS; c++) {
		printf("#\n# critical section %s, half as much work outside on average\n", cs_name[c]);
		printf("# %-9s", "threads");
		for (int k = 0; k < NR_KINDS; k++)
			printf(" %21s", kind_name[k]);
		printf("\n");
		for (int m = 0; m < NR_MULT; m++) {
			printf("# %2d (%dx)  ", mult[m] * ncpus, mult[m]);
			for (int k = 0; k < NR_KINDS; k++)
				printf(" %6.1f %5.1f/%-8.1f", median(tput[c][m][k], n) / 1e3,
				       median(p50[c][m][k], n) / 1e3,
				       median(p99[c][m][k], n) / 1e3);
			printf("\n");
		}
	}
	printf("#\n# context switch (pipe ping-pong on one CPU): %.0f ns with the feed on, %.0f off\n#\n",
	       median(sw_on, n), median(sw_off, n));
}

/*
 * Two probes on each of the feed's tracepoints, before the first toggle
 * and while nothing else runs, pinned so that they outlive this program
 * and the tracepoints never go back to fewer (tp_hold.bpf.c says why).
 */
#define HOLD_PIN_DIR "/sys/fs/bpf/uls_mutex_bench"

static int hold_tracepoints(void)
{
	struct tp_hold *hold = tp_hold__open_and_load();
	struct bpf_link *links[4];
	char path[128];
	int err;

	if (!hold || tp_hold__attach(hold)) {
		fail("mutex_tp_hold", "the tracepoints' placeholders: %s", strerror(errno));
		return -1;
	}
	links[0] = hold->links.hold_switch_1;
	links[1] = hold->links.hold_switch_2;
	links[2] = hold->links.hold_migrate_1;
	links[3] = hold->links.hold_migrate_2;
	mkdir(HOLD_PIN_DIR, 0700);
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), HOLD_PIN_DIR "/hold%d", i);
		err = bpf_link__pin(links[i], path);
		if (err && err != -EEXIST) {
			fail("mutex_tp_hold", "pin %s: %s", path, strerror(-err));
			return -1;
		}
	}
	/* The pins hold the links: the skeleton may go. */
	tp_hold__destroy(hold);
	return 0;
}

int main(int argc, char **argv)
{
	const char *e;
	int n;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--short")) {
			rounds = 2;
			cell_ms = 100;
		} else if (!strcmp(argv[i], "--table")) {
			table = true;
		} else {
			fprintf(stderr, "usage: uls_mutex_bench [--short] [--table]\n");
			return 2;
		}
	}
	if ((e = getenv("ULS_MUTEX_ROUNDS")))
		rounds = atoi(e);
	if ((e = getenv("ULS_MUTEX_MS")))
		cell_ms = atoi(e);
	if ((e = getenv("ULSCTL")))
		ulsctl = e;
	if (rounds < 1 || rounds > MAX_ROUNDS || cell_ms < 1) {
		fprintf(stderr, "uls_mutex_bench: ULS_MUTEX_ROUNDS 1..%d, ULS_MUTEX_MS > 0\n",
			MAX_ROUNDS);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	e = getenv("ULS_TCG");
	printf("INFO tcg %s\n", e ? e : "unknown");
	printf("INFO mutex_rounds %d\nINFO mutex_cell_ms %d\nINFO mutex_cpus %d\n",
	       rounds, cell_ms, ncpus);
	if (hold_tracepoints())
		return 1;
	calibrate();

	for (n = 0; n < rounds; n++) {
		if (round_(n))
			break;
		fprintf(stderr, "mutex_bench: round %d of %d done\n", n + 1, rounds);
	}
	if (feed_on)
		feed(false);
	if (n > 0) {
		ratio_vs_pthread("mutex_throughput_vs_pthread_2x", 1, false, n);
		ratio_vs_pthread("mutex_p99_vs_pthread_2x", 1, true, n);
		ratio_vs_pthread("mutex_throughput_vs_pthread_1x", 0, false, n);
		double r[MAX_ROUNDS];

		for (int i = 0; i < n; i++)
			r[i] = sw_on[i] / sw_off[i];
		print_ratio("feed_cost_switch", r, n);
		if (table)
			print_table(n);
	}
	printf("INFO mutex_feed_toggles %d\nINFO mutex_failures %d\n", feed_toggles,
	       failures);
	return failures ? 1 : 0;
}
