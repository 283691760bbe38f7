// SPDX-License-Identifier: GPL-2.0
/*
 * hintlat: what a latency-critical hint buys. A thread wakes every
 * period (1 ms) and records how late it ran, from the timer's expiry to
 * running, while HOGS CPU hogs per CPU keep every CPU busy. Run it under
 * the kernel's default scheduler and under scx_hints:
 *
 *   hintlat -m nohint   the waking thread has no hint
 *   hintlat -m hint     it is marked latency-critical (uls_hint_set())
 *   hintlat -m pair     two waking threads in one run, one of each
 *   hintlat -m flip     marked, while a hog flips its own hint between
 *                       background and latency-critical at 10 kHz
 *
 * Prints p50/p90/p99/max per waking thread; -o DIR writes each one's
 * sorted samples (microseconds and cumulative fraction, for a CDF plot)
 * to DIR/LABEL.dat, LABEL being -l's (default: the mode).
 */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "hintlat.h"

static const char usage[] =
"usage: hintlat [-m nohint|hint|pair|flip] [-t SECS] [-H HOGS_PER_CPU]\n"
"               [-p PERIOD_US] [-l LABEL] [-o DIR]\n";

static int report(const char *label, struct hintlat_waker *w, const char *dir)
{
	uint64_t *v = w->lat_ns, p50, p90, p99;
	size_t n = w->n;
	char path[512];
	FILE *f;

	if (w->err) {
		fprintf(stderr, "hintlat: %s: setting the hint: %s\n", label,
			strerror(-w->err));
		return -1;
	}
	if (!n) {
		fprintf(stderr, "hintlat: %s: no samples\n", label);
		return -1;
	}
	/* Sorted by the first, which the file below wants too. */
	p50 = hintlat_quantile(v, n, 0.50);
	p90 = hintlat_quantile(v, n, 0.90);
	p99 = hintlat_quantile(v, n, 0.99);
	printf("%-10s n=%zu p50=%.1fus p90=%.1fus p99=%.1fus max=%.1fus\n",
	       label, n, p50 / 1e3, p90 / 1e3, p99 / 1e3, v[n - 1] / 1e3);
	if (!dir)
		return 0;
	snprintf(path, sizeof(path), "%s/%s.dat", dir, label);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%.3f %.6f\n", v[i] / 1e3, (i + 1.0) / n);
	return fclose(f);
}

int main(int argc, char **argv)
{
	const char *mode = "hint", *label = NULL, *dir = NULL;
	int hogs_per_cpu = 4, secs = 10, period_us = 1000, opt, err = 0;
	int ncpus = sysconf(_SC_NPROCESSORS_ONLN), nhogs;
	struct hintlat_waker w[2];
	struct hintlat_flipper flipper;
	struct hintlat_hog *hogs;
	atomic_bool stop = false;
	bool pair, flip;

	while ((opt = getopt(argc, argv, "m:t:H:p:l:o:h")) != -1) {
		switch (opt) {
		case 'm': mode = optarg; break;
		case 't': secs = atoi(optarg); break;
		case 'H': hogs_per_cpu = atoi(optarg); break;
		case 'p': period_us = atoi(optarg); break;
		case 'l': label = optarg; break;
		case 'o': dir = optarg; break;
		default:
			fputs(usage, opt == 'h' ? stdout : stderr);
			return opt != 'h' ? 2 : 0;
		}
	}
	pair = !strcmp(mode, "pair");
	flip = !strcmp(mode, "flip");
	if ((strcmp(mode, "nohint") && strcmp(mode, "hint") && !pair && !flip) ||
	    secs < 1 || hogs_per_cpu < 0 || period_us < 10 || optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	label = label ?: mode;

	nhogs = hogs_per_cpu * ncpus;
	hogs = calloc(nhogs ?: 1, sizeof(*hogs));
	if (!hogs)
		return 1;
	for (int i = 0; i < nhogs; i++)
		if (hintlat_hog_start(&hogs[i], HINTLAT_NO_KEY, &stop))
			return 1;
	if (flip && hintlat_flipper_start(&flipper, 100000, &stop))
		return 1;
	/* The hogs get going before the first sample. */
	usleep(200000);
	if (hintlat_waker_start(&w[0], !strcmp(mode, "nohint") ? HINTLAT_NO_KEY :
				ULS_HINT_LATENCY_CRITICAL, period_us * 1000ULL, 0,
				secs * 1000000000ULL))
		return 1;
	/* Half a period apart: woken together, one would help the other. */
	if (pair && hintlat_waker_start(&w[1], HINTLAT_NO_KEY,
					period_us * 1000ULL, period_us * 500ULL,
					secs * 1000000000ULL))
		return 1;
	pthread_join(w[0].thread, NULL);
	if (pair)
		pthread_join(w[1].thread, NULL);
	atomic_store(&stop, true);
	for (int i = 0; i < nhogs; i++)
		pthread_join(hogs[i].thread, NULL);
	if (flip)
		pthread_join(flipper.thread, NULL);

	printf("%d CPUs, %d hogs, a wake-up every %d us for %d s\n", ncpus,
	       nhogs, period_us, secs);
	if (pair) {
		char l0[128], l1[128];

		snprintf(l0, sizeof(l0), "%s-hint", label);
		snprintf(l1, sizeof(l1), "%s-nohint", label);
		err |= report(l0, &w[0], dir);
		err |= report(l1, &w[1], dir);
	} else {
		err |= report(label, &w[0], dir);
	}
	if (flip) {
		if (flipper.err) {
			fprintf(stderr, "hintlat: the flipper's hint: %s\n",
				strerror(-flipper.err));
			return 1;
		}
		printf("flipper: %llu hint changes in %d s (%.0f/s), %.1f s of CPU\n",
		       (unsigned long long)flipper.flips, secs,
		       flipper.flips / (double)secs, flipper.cpu_ns / 1e9);
	}
	return err ? 1 : 0;
}
