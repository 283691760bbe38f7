// SPDX-License-Identifier: GPL-2.0
/*
 * Programs that do nothing, two on each tracepoint of the scheduler-event
 * feed, attached by uls_mutex_bench before it turns the feed on and off
 * and pinned until the VM powers off. A tracepoint patches kernel text
 * whenever its number of probes goes from 0 to 1 or back (its static key)
 * and from 1 to 2 or back (its static call: the one probe, or the
 * iterator over several), and never between 2 and more. Under
 * multi-threaded TCG a vCPU may go on running the old code of a patched
 * site, as QEMU misses the change, and did: an int3 Oops in __schedule()
 * when the feed went on and off around every cell. With two probes held,
 * the feed's only swap probes.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

/* Two programs, as one program is one probe however often attached. */
SEC("tp_btf/sched_switch")
int BPF_PROG(hold_switch_1)
{
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(hold_switch_2)
{
	return 0;
}

SEC("tp_btf/sched_migrate_task")
int BPF_PROG(hold_migrate_1)
{
	return 0;
}

SEC("tp_btf/sched_migrate_task")
int BPF_PROG(hold_migrate_2)
{
	return 0;
}
