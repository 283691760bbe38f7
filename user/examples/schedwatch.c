// SPDX-License-Identifier: GPL-2.0
/*
 * schedwatch: watch one thread's scheduler events as the feed writes them
 * (`ulsctl events enable`). The thread sleeps, then spins alone, then
 * spins on a CPU it shares with a hog, where it gets preempted; another
 * thread prints its struct (include/uls/sched_events.h) as it goes,
 * without a system call to ask.
 *
 * usage: schedwatch [milliseconds per phase]
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "uls.h"

static const char *const phase_names[] = { "sleeps", "spins", "shares a CPU", "done" };
static int phase_ms = 300;
static volatile int phase;
static volatile bool hog_stop;
static const volatile struct uls_sched_events *watched;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void spin_ms(int ms)
{
	uint64_t end = now_ns() + ms * 1000000ull;

	while (now_ns() < end)
		;
}

static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *hog(void *arg)
{
	pin_to_cpu(0);
	while (!hog_stop)
		;
	return NULL;
}

static void *worker(void *arg)
{
	pthread_t h;

	watched = uls_sched_events();
	if (!watched) {
		fprintf(stderr, "schedwatch: uls_sched_events: %s\n", uls_strerror(errno));
		return (void *)1;
	}
	usleep(phase_ms * 1000);			/* sleeps */
	pin_to_cpu(0);		/* alone there: the watcher keeps to CPU 1 */
	phase = 1;
	spin_ms(phase_ms);				/* spins */
	pthread_create(&h, NULL, hog, NULL);
	phase = 2;
	spin_ms(phase_ms);				/* shares CPU 0 */
	hog_stop = true;
	pthread_join(h, NULL);
	phase = 3;
	return NULL;
}

static void print_row(const char *what, const struct uls_sched_events *s)
{
	uint64_t now = now_ns();
	uint64_t last = s->on_cpu ? s->last_in_ns : s->last_out_ns;

	printf("  %-13s %-3s %3u %6llu %6llu %7llu %7llu %5llu   %s %6.1f ms ago\n",
	       what, s->on_cpu ? "yes" : "no", s->cpu,
	       (unsigned long long)s->switches_in, (unsigned long long)s->switches_out,
	       (unsigned long long)s->blocks, (unsigned long long)s->preemptions,
	       (unsigned long long)s->migrations, s->on_cpu ? "in " : "out",
	       last && now > last ? (now - last) / 1e6 : 0.0);
}

int main(int argc, char **argv)
{
	struct uls_sched_events s;
	const volatile struct uls_sched_events *self;
	pthread_t w;
	void *ret;

	if (argc > 1)
		phase_ms = atoi(argv[1]);
	/* Is the feed live? This thread's own struct says, after a sleep. */
	self = uls_sched_events();
	if (!self) {
		fprintf(stderr, "schedwatch: uls_sched_events: %s\n", uls_strerror(errno));
		return 1;
	}
	usleep(1000);
	if (uls_sched_events_read(self, &s) || !uls_sched_events_live(&s)) {
		fprintf(stderr, "schedwatch: the feed is off: run `ulsctl events enable` first\n");
		return 1;
	}
	pin_to_cpu(1);		/* the watcher keeps out of the hog's way */
	printf("  %-13s %-3s %3s %6s %6s %7s %7s %5s   %s\n", "the thread", "on", "cpu",
	       "in", "out", "blocks", "preempt", "migr", "last switch");
	pthread_create(&w, NULL, worker, NULL);
	while (phase < 3) {
		usleep(phase_ms * 1000 / 4);
		if (!watched)
			continue;
		if (uls_sched_events_read(watched, &s) == 0)
			print_row(phase_names[phase], &s);
	}
	pthread_join(w, &ret);
	return ret ? 1 : 0;
}
