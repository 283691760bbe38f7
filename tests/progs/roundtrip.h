/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ULS_ROUNDTRIP_H
#define ULS_ROUNDTRIP_H

/* The region layout roundtrip.bpf.c and test_roundtrip.c agree on. */
struct rt_area {
	__u64 from_user;	/* written by the thread, read by BPF */
	__u64 from_bpf;		/* written by BPF: from_user * 3 + 1 */
	__u64 bpf_runs;		/* incremented by BPF on each hit */
	__u64 hook;		/* which program wrote last: RT_HOOK_* */
};

#define RT_HOOK_SYS_ENTER	1
#define RT_HOOK_FENTRY		2
#define RT_HOOK_LSM		3

/* The ioctl command the LSM program reacts to (sent to /dev/null). */
#define RT_LSM_IOCTL_CMD	0x75C5

#endif
