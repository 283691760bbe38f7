// SPDX-License-Identifier: GPL-2.0
/*
 * uls_scx_bench: what a latency-critical hint buys under scx_hints, in a
 * VM of its own (tests/guest/run-bench-scx) on kernels with sched_ext.
 * Each round, under HOGS CPU hogs per CPU (no hint), a thread wakes every
 * millisecond and records how late it ran (user/examples/hintlat.h), in
 * three runs of SECS:
 *   1. under the kernel's default scheduler, the thread marked
 *      latency-critical (which that scheduler ignores);
 *   2. under scx_hints, the thread without a hint;
 *   3. under scx_hints, the thread marked.
 * One thread a run: two would help each other, as the one that preempts a
 * hog leaves the CPU to the other when it sleeps. Prints, as uls_bench
 * does, a SAMPLE per run and
 *   RATIO hint_p99_vs_nohint   p99 of 3 / p99 of 2
 *   RATIO hint_p99_vs_default  p99 of 3 / p99 of 1
 * both round by round (SPREAD: p25 and p75 of the rounds).
 *
 *   uls_scx_bench [-r ROUNDS] [-t SECS] [-H HOGS_PER_CPU]
 */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "results.h"
#include "../../user/examples/hintlat.h"
#include "../sched_ext/scx_run.h"

#define NSEC 1000000000ULL
#define LOG "/tmp/scx_bench.scx_hints.log"

static struct series p99_default = { "scx.p99_default", "us" };
static struct series p99_hint = { "scx.p99_hint", "us" };
static struct series p99_nohint = { "scx.p99_nohint", "us" };
static struct series p50_default = { "scx.p50_default", "us" };
static struct series p50_hint = { "scx.p50_hint", "us" };
static struct series p50_nohint = { "scx.p50_nohint", "us" };

/*
 * Under @nhogs hogs, one waker of @class for @secs: its p50 and p99 in
 * microseconds into @p50, @p99. 0 or -1.
 */
static int waker(int nhogs, int class, int secs, double *p50, double *p99)
{
	struct hintlat_hog hogs[256];
	struct hintlat_waker w;
	atomic_bool stop = false;
	int err = 0;

	for (int i = 0; i < nhogs; i++)
		if (hintlat_hog_start(&hogs[i], HINTLAT_NO_KEY, &stop))
			return -1;
	usleep(200000);
	if (hintlat_waker_start(&w, class, 1000000, 0, secs * NSEC))
		return -1;
	pthread_join(w.thread, NULL);
	atomic_store(&stop, true);
	for (int i = 0; i < nhogs; i++)
		pthread_join(hogs[i].thread, NULL);
	if (w.err || w.n < 100) {
		fail("scx_bench_waker", "%zu wake-ups, %s", w.n, strerror(-w.err));
		err = -1;
	}
	*p50 = hintlat_quantile(w.lat_ns, w.n, 0.5) / 1e3;
	*p99 = hintlat_quantile(w.lat_ns, w.n, 0.99) / 1e3;
	free(w.lat_ns);
	return err;
}

int main(int argc, char **argv)
{
	int rounds = 3, secs = 8, hogs_per_cpu = 4, opt, status = 0;
	int ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	const char *const quiet[] = { "-q", NULL };
	double p50, p99;
	int nhogs;
	pid_t pid;

	while ((opt = getopt(argc, argv, "r:t:H:")) != -1) {
		switch (opt) {
		case 'r': rounds = atoi(optarg); break;
		case 't': secs = atoi(optarg); break;
		case 'H': hogs_per_cpu = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: uls_scx_bench [-r ROUNDS] [-t SECS] [-H HOGS_PER_CPU]\n");
			return 2;
		}
	}
	if (rounds < 1 || rounds > SERIES_ROUNDS || secs < 1 ||
	    hogs_per_cpu < 1 || hogs_per_cpu * ncpus > 256) {
		fprintf(stderr, "uls_scx_bench: bad arguments\n");
		return 2;
	}
	nhogs = hogs_per_cpu * ncpus;
	printf("INFO scx_rounds %d\nINFO scx_secs %d\nINFO scx_hogs %d\n",
	       rounds, secs, nhogs);
	for (int r = 0; r < rounds && !failures; r++) {
		if (waker(nhogs, ULS_HINT_LATENCY_CRITICAL, secs, &p50, &p99))
			break;
		sample(&p50_default, p50);
		sample(&p99_default, p99);

		pid = scx_run_start(quiet, LOG, &status);
		if (pid < 0) {
			fail("scx_bench_scx_hints", "scx_hints did not start: %s",
			     strerror(-pid));
			break;
		}
		if (!waker(nhogs, HINTLAT_NO_KEY, secs, &p50, &p99)) {
			sample(&p50_nohint, p50);
			sample(&p99_nohint, p99);
		}
		if (!failures &&
		    !waker(nhogs, ULS_HINT_LATENCY_CRITICAL, secs, &p50, &p99)) {
			sample(&p50_hint, p50);
			sample(&p99_hint, p99);
		}
		status = scx_run_stop(pid);
		if (status) {
			fail("scx_bench_scx_hints", "scx_hints exit status %d (see %s)",
			     status, LOG);
			break;
		}
		if (!failures)
			fprintf(stderr, "uls_scx_bench: round %d: p99 default %.0f us, no hint %.0f us, hint %.0f us\n",
				r, p99_default.v[r], p99_nohint.v[r], p99_hint.v[r]);
	}
	if (!failures) {
		ratio_paired("hint_p99_vs_nohint", &p99_hint, &p99_nohint);
		ratio_paired("hint_p99_vs_default", &p99_hint, &p99_default);
	}
	printf("INFO failures %d\n", failures);
	return failures ? 1 : 0;
}
