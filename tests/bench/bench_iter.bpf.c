// SPDX-License-Identifier: GPL-2.0
/*
 * The monitor phase's other side (bench.c, monitor_read_10k_vs_iter): what
 * a tool without the monitor view would run to read one 64-byte field of
 * every thread of a process, a BPF task iterator. Each task of the
 * process (the link's task.pid filter: the kernel walks that thread group
 * only) with a registration writes its region's first 64 bytes to the
 * iterator's seq_file, which user space read()s.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "uls.bpf.h"
#include "bench.h"

char LICENSE[] SEC("license") = "GPL";

__u64 tasks;		/* tasks seen, registered or not */
__u32 no_write;		/* for the profile: walk and look up, write nothing */

SEC("iter/task")
int dump_field(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	void *p;

	/* NULL once, after the last task. */
	if (!task)
		return 0;
	tasks++;
	p = bpf_uls_get(task, sizeof(struct bench_val));
	if (p && !no_write)
		bpf_seq_write(ctx->meta->seq, p, sizeof(struct bench_val));
	return 0;
}
