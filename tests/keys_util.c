// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "helpers.h"
#include "keys_util.h"
#include "keys.skel.h"
#include "progs/keys.h"

struct keys *t_keys_load(void)
{
	struct keys *k = keys__open_and_load();

	if (!k && !errno)
		errno = EINVAL;
	return k;
}

void t_keys_destroy(struct keys *k)
{
	keys__destroy(k);
}

static int run(struct keys *k, struct bpf_program *prog, struct keys_ctx *c)
{
	int err = t_run_prog(prog, c, sizeof(*c));

	if (err < 0)
		return err;
	switch (c->found) {
	case -1: return -ENOENT;
	case -2: return -EINVAL;
	case -3: return -ERANGE;
	}
	return c->found;
}

int t_key_bpf_access(struct keys *k, const char *name, __u32 size,
		     __u32 offset, __u64 *val, bool store, __u64 store_val)
{
	struct keys_ctx c = { .size = size, .offset = offset,
			      .store = store, .value = store_val };
	int ret;

	if (!k)
		return -EINVAL;
	strncpy(c.name, name, sizeof(c.name) - 1);
	ret = run(k, k->progs.keys_access, &c);
	if (ret == 1)
		*val = c.value;
	return ret;
}

long t_key_bpf_offset(struct keys *k, const char *name, __u32 size)
{
	struct keys_ctx c = { .size = size };
	int ret;

	if (!k)
		return -EINVAL;
	strncpy(c.name, name, sizeof(c.name) - 1);
	ret = run(k, k->progs.keys_access, &c);
	if (ret < 0)
		return ret;
	return ret == 1 ? (long)c.data_off : -ENOENT;
}

long t_key_bpf_count(struct keys *k)
{
	struct keys_ctx c = {};
	int ret;

	if (!k)
		return -EINVAL;
	ret = run(k, k->progs.keys_count, &c);
	return ret < 0 ? ret : (long)c.ndesc;
}
