// SPDX-License-Identifier: GPL-2.0
/*
 * A C program built against the installed libuls alone (pkg-config uls),
 * as a user of the packages builds one. Its main thread creates a key and
 * writes its value, which keyread (a BPF program) then reads; another
 * thread registers memory of its own with uls_register(). Each checks
 * with uls_query() that the module holds the registration.
 *
 * usage: consumer-c [SECONDS]
 * With SECONDS, both threads stay that long, waking every 10 ms so that
 * they are switched in and out (keyread looks at each switch), for
 * `ulsctl list` and keyread to find; "consumer-c: ready" says when.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uls.h>

#define VALUE "hello from C"

ULS_DEFINE_KEY(c_key, "pkgtest.c", 16);

static double hold_s;
static pthread_barrier_t ready;

static void hold(void)
{
	struct timespec end, now;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)hold_s;
	do {
		usleep(10000);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec < end.tv_sec ||
		 (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
}

/* The module holds this thread's registration: that of [base, base + len). */
static int check_query(const char *who, void *inside, size_t len)
{
	void *addr;
	size_t got;
	int err = uls_query(&addr, &got);

	if (err) {
		fprintf(stderr, "consumer-c: %s: uls_query: %s\n", who, uls_strerror(err));
		return -1;
	}
	if ((char *)inside < (char *)addr || (char *)inside + len > (char *)addr + got) {
		fprintf(stderr, "consumer-c: %s: %p+%zu is not in the registration %p+%zu\n",
			who, inside, len, addr, got);
		return -1;
	}
	printf("consumer-c: %s: tid %d, %zu bytes registered at %p\n", who, gettid(),
	       got, addr);
	return 0;
}

static void *registrar(void *arg __attribute__((unused)))
{
	static uint64_t buf[64] __attribute__((aligned(64)));
	intptr_t failed = 0;
	int err;

	err = uls_register(buf, sizeof(buf));
	if (err) {
		fprintf(stderr, "consumer-c: uls_register: %s\n", uls_strerror(err));
		failed = 1;
	} else if (check_query("uls_register", buf, sizeof(buf))) {
		failed = 1;
	}
	pthread_barrier_wait(&ready);
	if (!failed && hold_s > 0)
		hold();
	if (!err && (uls_unregister() || uls_wait_freed()))
		failed = 1;
	return (void *)failed;
}

int main(int argc, char **argv)
{
	pthread_t t;
	void *thread_failed;
	char *value;
	int err;

	if (argc > 1)
		hold_s = atof(argv[1]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("consumer-c: built with uls %s, runs libuls %s, pid %d\n", ULS_VERSION,
	       uls_version(), getpid());
	err = uls_key_err(c_key);
	if (err) {
		fprintf(stderr, "consumer-c: uls_key_create: %s\n", uls_strerror(err));
		return 1;
	}
	value = uls_key_get(c_key);
	if (!value) {
		fprintf(stderr, "consumer-c: uls_key_get: %s\n", uls_strerror(errno));
		return 1;
	}
	memcpy(value, VALUE, sizeof(VALUE));
	if (check_query("key pkgtest.c", value, 16))
		return 1;

	pthread_barrier_init(&ready, NULL, 2);
	if (pthread_create(&t, NULL, registrar, NULL))
		return 1;
	pthread_barrier_wait(&ready);
	printf("consumer-c: ready\n");
	if (hold_s > 0)
		hold();
	pthread_join(t, &thread_failed);
	if (thread_failed || strcmp(value, VALUE))
		return 1;
	printf("consumer-c: ok\n");
	return 0;
}
