/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ULS_SWITCH_COUNT_H
#define ULS_SWITCH_COUNT_H

#define SW_MAGIC 0x756c73737769746cULL

/* What switch.bpf.c keeps in each registered thread's region. */
struct sw_area {
	__u64 magic;		/* set by the thread: count me */
	__u64 switched_out;	/* times the thread was prev */
	__u64 switched_in;	/* times the thread was next */
	__u64 last_pid_out;	/* prev->pid as BPF saw it */
	__u64 last_pid_in;	/* next->pid as BPF saw it */
};

#endif
