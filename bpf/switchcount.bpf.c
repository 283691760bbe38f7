// SPDX-License-Identifier: GPL-2.0
/*
 * Count each thread's context switches into the thread's own memory: on
 * every sched_switch, find the outgoing and the incoming thread's uls area
 * and update it in place. The threads read the counts with plain loads.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "uls.bpf.h"
#include "switchcount.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * A thread that leaves the CPU still runnable (prev_state 0, TASK_RUNNING)
 * was preempted. The preempt argument alone says less: it is false for a
 * user thread preempted on its way back to user space.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(count_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	struct switchcount_area *sc;
	u64 cpu = bpf_get_smp_processor_id();

	sc = uls_get(prev, struct switchcount_area);
	if (sc && sc->magic == SWITCHCOUNT_MAGIC) {
		sc->switched_out++;
		if (prev_state == 0)
			sc->preempted++;
	}

	sc = uls_get(next, struct switchcount_area);
	if (sc && sc->magic == SWITCHCOUNT_MAGIC) {
		if (sc->switched_in++ && sc->last_cpu != cpu)
			sc->migrated++;
		sc->last_cpu = cpu;
	}
	return 0;
}
