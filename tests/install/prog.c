// SPDX-License-Identifier: GPL-2.0
/*
 * A user of the installed libuls, in C (and, as prog.cc includes this
 * file, C++): every header, the inline fast paths and the macros, so
 * that each must compile and link from the installed files alone.
 * tests/install/run.sh runs it with --version only: that needs no module.
 */
#include <stdio.h>
#include <string.h>

#include <uls.h>
#include <uls/tld.h>

static uls_mutex_t lock = ULS_MUTEX_INITIALIZER;

/* What a program does with the module: never run by the install test. */
static int use_module(void)
{
	uls_key_t key = uls_key_create("install-test.counter", sizeof(long));
	struct uls_sched_events ev;
	struct uls_info info;
	struct uls_hint *hint;
	long *counter;

	if (uls_key_is_err(key))
		return uls_key_err(key);
	counter = (long *)uls_key_get(key);
	if (!counter)
		return -errno;
	uls_mutex_lock(&lock);
	(*counter)++;
	uls_mutex_unlock(&lock);
	hint = uls_hint();
	if (hint)
		uls_hint_set(ULS_HINT_LATENCY_CRITICAL);
	if (uls_sched_events_read(uls_sched_events(), &ev) == 0 &&
	    uls_sched_events_live(&ev))
		printf("feed on\n");
	if (tld_get_data(-1, tld_create_key("install-test.tld", 8)))
		printf("tld\n");
	return uls_info(&info);
}

int main(int argc, char **argv)
{
	int err;

	/* Built against ULS_VERSION; uls_version() is the library's. */
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("%s %s\n", ULS_VERSION, uls_version());
		return 0;
	}
	err = use_module();
	if (err)
		fprintf(stderr, "uls: %s\n", uls_strerror(err));
	return err ? 1 : 0;
}
