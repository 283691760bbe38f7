/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What uls_bench and uls_mutex_bench share: the "not ok" line that
 * tests/bench/report.py and make bench-publish look for, and the order
 * statistics of their samples.
 */
#ifndef ULS_BENCH_RESULTS_H
#define ULS_BENCH_RESULTS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How many "not ok" lines the program printed: its exit status. */
static int failures;

static inline __attribute__((format(printf, 2, 3)))
void fail(const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("not ok %s # ", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failures++;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The @q quantile of @v[0..n): linear interpolation, as numpy does. */
static inline double quantile(const double *v, int n, double q)
{
	double pos;
	int i;

	if (n <= 0)
		return 0;
	double s[n];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	pos = q * (n - 1);
	i = (int)pos;
	return i + 1 < n ? s[i] + (pos - i) * (s[i + 1] - s[i]) : s[i];
}

/*
 * A figure measured once per round: SAMPLE lines, and RATIO and SPREAD of
 * two series measured in the same rounds. Up to SERIES_ROUNDS rounds.
 */
#define SERIES_ROUNDS	101

struct series {
	const char *metric;
	const char *unit;
	double v[SERIES_ROUNDS];
	int n;
};

static inline void sample(struct series *s, double v)
{
	if (s->n < SERIES_ROUNDS)
		s->v[s->n++] = v;
	printf("SAMPLE %s %s %.4f\n", s->metric, s->unit, v);
}

/* A ratio of two series measured in the same rounds, round by round. */
static inline void ratio_paired(const char *name, const struct series *num,
				const struct series *den)
{
	double r[SERIES_ROUNDS];
	int n = num->n < den->n ? num->n : den->n;

	for (int i = 0; i < n; i++)
		r[i] = num->v[i] / den->v[i];
	printf("RATIO %s %.4f\n", name, quantile(r, n, 0.5));
	printf("SPREAD %s %.4f %.4f\n", name, quantile(r, n, 0.25),
	       quantile(r, n, 0.75));
	fflush(stdout);
}

#endif
