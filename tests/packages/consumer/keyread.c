// SPDX-License-Identifier: GPL-2.0
/*
 * keyread PID KEY SIZE
 *
 * For each thread of process PID that the scheduler switches out within
 * about a second, print the first SIZE bytes (1 to 64) of its value of
 * the uls key KEY, as a BPF program sees them through bpf_uls_key_get():
 *
 *	tid 1234: 68656c6c6f2066726f6d204300000000 "hello from C"
 *	tid 1235: no key
 *
 * Built against the installed packages alone: libbpf, uls.pc's
 * bpfincludedir for the BPF half, a skeleton from bpftool. Exit status 0
 * when at least one thread had the key, 1 when none did or none ran, 2
 * on bad usage.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <uls/key_layout.h>

#include "keyread.h"
#include "keyread.skel.h"

static int usage(void)
{
	fprintf(stderr, "usage: keyread PID KEY SIZE (SIZE from 1 to %d)\n", KEYREAD_MAX);
	return 2;
}

static void print_seen(__u32 tid, const struct keyread_seen *s)
{
	__u32 i;

	if (!s->found) {
		printf("tid %u: no key\n", tid);
		return;
	}
	printf("tid %u: ", tid);
	for (i = 0; i < s->size; i++)
		printf("%02x", s->data[i]);
	printf(" \"");
	for (i = 0; i < s->size && s->data[i]; i++)
		putchar(isprint(s->data[i]) ? s->data[i] : '.');
	printf("\"\n");
}

int main(int argc, char **argv)
{
	struct keyread_bpf *skel;
	struct keyread_seen s;
	__u32 tid, *prev = NULL;
	char *end;
	long pid, size;
	int err, found = 0, threads = 0;

	if (argc != 4)
		return usage();
	pid = strtol(argv[1], &end, 10);
	if (*end || pid <= 0)
		return usage();
	size = strtol(argv[3], &end, 10);
	if (*end || size < 1 || size > KEYREAD_MAX)
		return usage();
	if (!argv[2][0] || strlen(argv[2]) >= ULS_KEY_NAME_MAX)
		return usage();

	skel = keyread_bpf__open();
	if (!skel) {
		fprintf(stderr, "keyread: open: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->target_tgid = pid;
	skel->rodata->key_hash = uls_key_hash(argv[2]);
	skel->rodata->key_size = size;
	err = keyread_bpf__load(skel);
	if (!err)
		err = keyread_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "keyread: load: %s (is the uls module loaded?)\n", strerror(-err));
		keyread_bpf__destroy(skel);
		return 1;
	}
	sleep(1);
	while (!bpf_map_get_next_key(bpf_map__fd(skel->maps.seen), prev, &tid)) {
		if (!bpf_map_lookup_elem(bpf_map__fd(skel->maps.seen), &tid, &s)) {
			print_seen(tid, &s);
			threads++;
			found += s.found;
		}
		prev = &tid;
	}
	keyread_bpf__destroy(skel);
	if (!threads)
		fprintf(stderr, "keyread: no thread of %ld ran\n", pid);
	return found ? 0 : 1;
}
