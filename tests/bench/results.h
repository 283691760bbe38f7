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

#endif
