// SPDX-License-Identifier: GPL-2.0
/*
 * ulsctl list [pid PID]: every live registration (uls_list(), which needs
 * CAP_SYS_ADMIN), and for those that hold keys, the keys.
 *
 * The keys are read from the owner's memory (process_vm_readv(), or
 * /proc/PID/mem on a kernel without it; root may do either), as include/uls/key_layout.h lays them out: a header with
 * a magic number at the registration's first byte, then a chain of
 * descriptors, each with the key's name hash, its size and its offset.
 * The descriptors hold only hashes; the header points to the process's
 * name slots (struct uls_key_name), read the same way. Where it does not
 * (names 0) or they cannot be read, a key is named when its hash is that
 * of a key uls itself defines (uls.hint, uls.sched_events), and shown by
 * its hash otherwise.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "uls.h"
#include "ulsctl.h"

/* Rounds of asking again while registrations keep appearing. */
#define LIST_TRIES	16

/* The keys that libuls defines itself, by name. */
static const char *const known_keys[] = {
	ULS_HINT_KEY,
	ULS_SCHED_EVENTS_KEY,
};

struct key_entry {
	uint64_t hash;
	uint32_t offset;	/* of the data, from the registration's start */
	uint32_t size;
	const char *name;	/* NULL: no name found */
	char name_buf[ULS_KEY_NAME_MAX];	/* read from the owner */
};

struct keys {
	int err;		/* 0, or -errno: the region could not be read */
	bool keyed;		/* it starts with a key header */
	unsigned int nr;
	struct key_entry *v;
};

static const char *key_name(uint64_t hash)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(known_keys); i++)
		if (uls_key_hash(known_keys[i]) == hash)
			return known_keys[i];
	return NULL;
}

/*
 * /proc/PID/mem, where process_vm_readv() does not exist: a kernel built
 * without CONFIG_CROSS_MEMORY_ATTACH (tinyconfig, some embedded ones).
 * The same ptrace access check guards both.
 */
static int read_owner_proc(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	char path[32];
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = pread(fd, buf, len, (off_t)addr);
	if (n < 0)
		err = errno == EIO ? -EFAULT : -errno;
	else if ((size_t)n != len)
		err = -EFAULT;
	close(fd);
	return err;
}

static int read_owner(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (n < 0 && errno == ENOSYS)
		return read_owner_proc(pid, addr, buf, len);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

/*
 * Name the keys from the owner's name slots. The owner writes a slot's
 * name before its hash, so a slot whose hash we read has its name; the
 * name is still another process's bytes: cut at ULS_KEY_NAME_MAX, and
 * anything unprintable shown as '?'.
 */
static void name_keys(pid_t pid, uint64_t names, struct keys *k)
{
	size_t len = ULS_KEYS_MAX * sizeof(struct uls_key_name);
	struct uls_key_name *slots = malloc(len);
	unsigned int i, j;

	if (!slots || read_owner(pid, names, slots, len)) {
		free(slots);
		return;
	}
	for (i = 0; i < k->nr; i++) {
		struct key_entry *e = &k->v[i];

		for (j = 0; j < ULS_KEYS_MAX && slots[j].hash; j++)
			if (slots[j].hash == e->hash)
				break;
		if (j == ULS_KEYS_MAX || !slots[j].hash || !slots[j].name[0])
			continue;
		memcpy(e->name_buf, slots[j].name, sizeof(e->name_buf));
		e->name_buf[sizeof(e->name_buf) - 1] = '\0';
		for (char *c = e->name_buf; *c; c++)
			if (!isprint((unsigned char)*c))
				*c = '?';
		e->name = e->name_buf;
	}
	free(slots);
}

/*
 * Walk the descriptors from header.first. The owner may be growing its
 * region as we read, and the registration may have ended and its memory
 * gone to other uses: every offset is checked against what was read, and
 * the chain must go forward (keys are laid out in order of creation).
 * A descriptor past the registered length is one the owner wrote before
 * its growth failed: the walk ends there, as BPF's does.
 */
static void parse_keys(const char *buf, size_t len, struct keys *k)
{
	const struct uls_keys_header *h = (const void *)buf;
	uint32_t d = h->first, prev = 0;

	if (h->version != ULS_KEYS_VERSION) {
		k->err = -EPROTO;
		return;
	}
	k->v = calloc(ULS_KEYS_MAX, sizeof(*k->v));
	if (!k->v) {
		k->err = -ENOMEM;
		return;
	}
	while (d && k->nr < ULS_KEYS_MAX) {
		const struct uls_key_desc *desc = (const void *)(buf + d);
		struct key_entry *e = &k->v[k->nr];

		if (d <= prev || d < sizeof(*h) || d % 8) {
			k->err = -EBADMSG;
			return;
		}
		if ((uint64_t)d + sizeof(*desc) > len ||
		    (uint64_t)d + sizeof(*desc) + desc->size > len)
			break;
		e->hash = desc->hash;
		e->offset = d + sizeof(*desc);
		e->size = desc->size;
		e->name = key_name(desc->hash);
		k->nr++;
		prev = d;
		d = desc->next;
	}
}

static void read_keys(const struct uls_list_entry *e, struct keys *k)
{
	struct uls_keys_header h;
	size_t len = e->len;
	char *buf;

	memset(k, 0, sizeof(*k));
	if (len < sizeof(h))
		return;
	k->err = read_owner(e->pid, e->addr, &h, sizeof(h));
	if (k->err || h.magic != ULS_KEYS_MAGIC)
		return;
	k->keyed = true;
	/* Past this, a reader may ignore the region (key_layout.h). */
	if (len > ULS_KEYS_CAPACITY_MAX)
		len = ULS_KEYS_CAPACITY_MAX;
	buf = malloc(len);
	if (!buf) {
		k->err = -ENOMEM;
		return;
	}
	k->err = read_owner(e->pid, e->addr, buf, len);
	if (!k->err)
		parse_keys(buf, len, k);
	free(buf);
	if (!k->err && k->nr && h.names)
		name_keys(e->pid, h.names, k);
}

static const char *keys_strerror(int err)
{
	switch (err) {
	case -EPROTO:
		return "a key layout version this ulsctl does not know";
	case -EBADMSG:
		return "the key descriptors are not a chain (the region changed as it was read?)";
	case -ESRCH:
		return "the process is gone";
	default:
		return strerror(-err);
	}
}

static void show_keys_json(const struct keys *k)
{
	unsigned int i;

	jsonw_name(json_wtr, "keys");
	if (!k->keyed) {
		jsonw_null(json_wtr);
	} else {
		jsonw_start_array(json_wtr);
		for (i = 0; i < k->nr; i++) {
			jsonw_start_object(json_wtr);
			if (k->v[i].name)
				jsonw_string_field(json_wtr, "name", k->v[i].name);
			else
				jsonw_null_field(json_wtr, "name");
			jsonw_name(json_wtr, "hash");
			jsonw_printf_string(json_wtr, "0x%016" PRIx64, k->v[i].hash);
			jsonw_uint_field(json_wtr, "offset", k->v[i].offset);
			jsonw_uint_field(json_wtr, "size", k->v[i].size);
			jsonw_end_object(json_wtr);
		}
		jsonw_end_array(json_wtr);
	}
	if (k->err)
		jsonw_string_field(json_wtr, "keys_error", keys_strerror(k->err));
}

/* '-': no keys; '?': unreadable; a key of no known name by its hash. */
static void show_keys_text(const struct keys *k)
{
	unsigned int i;

	if (k->err && !k->nr) {
		printf("? (%s)", keys_strerror(k->err));
		return;
	}
	if (!k->keyed || !k->nr) {
		printf("-");
		return;
	}
	for (i = 0; i < k->nr; i++) {
		if (i)
			printf(",");
		if (k->v[i].name)
			printf("%s", k->v[i].name);
		else
			printf("#%016" PRIx64, k->v[i].hash);
	}
	if (k->err)
		printf(",? (%s)", keys_strerror(k->err));
}

static void show_entry(const struct uls_list_entry *e)
{
	char comm[sizeof(e->comm) + 1];
	struct keys k;

	memcpy(comm, e->comm, sizeof(e->comm));
	comm[sizeof(e->comm)] = 0;
	read_keys(e, &k);
	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_int_field(json_wtr, "pid", e->pid);
		jsonw_int_field(json_wtr, "tid", e->tid);
		jsonw_string_field(json_wtr, "comm", comm);
		jsonw_uint_field(json_wtr, "addr", e->addr);
		jsonw_uint_field(json_wtr, "len", e->len);
		jsonw_uint_field(json_wtr, "pages", e->nr_pages);
		show_keys_json(&k);
		jsonw_end_object(json_wtr);
	} else {
		printf("%-7d %-7d %-16s 0x%-16llx %8llu %5u ", e->pid, e->tid, comm,
		       (unsigned long long)e->addr, (unsigned long long)e->len, e->nr_pages);
		show_keys_text(&k);
		printf("\n");
	}
	free(k.v);
}

static int by_pid_tid(const void *a, const void *b)
{
	const struct uls_list_entry *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static int list_error(int err)
{
	switch (err) {
	case -EPERM:
		return p_err("list: %s: listing registrations needs CAP_SYS_ADMIN (run it as root)",
			     strerror(EPERM));
	case -EOPNOTSUPP:
		return p_err("list: the loaded uls module has no ULS_IOC_LIST: it is older than this ulsctl");
	default:
		return p_err("list: %s", uls_strerror(err));
	}
}

/* All of them, in a buffer grown until it holds what the module has. */
static int fetch(struct uls_list_entry **out, unsigned int *nr)
{
	struct uls_list_entry *v = NULL, *bigger;
	unsigned int room = 64, count, total;
	int tries, err;

	for (tries = 0; tries < LIST_TRIES; tries++) {
		bigger = realloc(v, room * sizeof(*v));
		if (!bigger) {
			err = -ENOMEM;
			break;
		}
		v = bigger;
		count = room;
		err = uls_list(v, &count, &total);
		if (err)
			break;
		if (total <= count) {
			*out = v;
			*nr = count;
			return 0;
		}
		/* Some slack for those that register meanwhile. */
		room = total + total / 4 + 16;
	}
	free(v);
	return tries == LIST_TRIES ? -EAGAIN : err;
}

static int parse_pid(const char *s, pid_t *pid)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > INT32_MAX)
		return -EINVAL;
	*pid = v;
	return 0;
}

int cmd_list(int argc, char **argv)
{
	struct uls_list_entry *v;
	unsigned int nr, i;
	pid_t pid = 0;
	int err;

	if (argc == 2 && !strcmp(argv[0], "pid")) {
		if (parse_pid(argv[1], &pid))
			return p_usage("list: pid '%s' is not a process id (1 .. 2^31-1)", argv[1]);
	} else if (argc) {
		return p_usage("list: takes nothing, or pid PID");
	}
	err = fetch(&v, &nr);
	if (err == -EAGAIN)
		return p_err("list: registrations kept appearing faster than they could be read; try again");
	if (err)
		return list_error(err);
	qsort(v, nr, sizeof(*v), by_pid_tid);
	if (json_output)
		jsonw_start_array(json_wtr);
	else
		printf("%-7s %-7s %-16s %-18s %8s %5s %s\n", "PID", "TID", "COMM", "ADDR",
		       "LEN", "PAGES", "KEYS");
	for (i = 0; i < nr; i++)
		if (!pid || v[i].pid == pid)
			show_entry(&v[i]);
	if (json_output)
		jsonw_end_array(json_wtr);
	free(v);
	return EXIT_OK;
}
